// Launches Debian's Chromium headless through playwright-core, with the flags that work on
// this machine kind (root, no GPU, closed network; WebGL2 through SwiftShader). `options` may set
// the window: { viewport, screen, deviceScaleFactor } as playwright takes them; with
// gpuCompositing the page is composited through SwiftShader as a GPU would do it (without it,
// Chromium composites in software and reads every WebGL frame back, warning "GPU stall due to
// ReadPixels" on the page's console).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function launchBrowser({ gpuCompositing = false, ...options } = {}) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (or set CHROMIUM)`);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopflow-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    ...options,
    args: ['--no-sandbox', ...(gpuCompositing ? [] : ['--disable-gpu']), '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-gl=angle', '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader'],
  });
  return {
    context,
    async close() { await context.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); },
  };
}
