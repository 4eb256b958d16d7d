// End-to-end: the studio boots in headless Chromium, loads the example bundle through the
// WebAssembly core, draws frames, and reports the bundle it shows through window.shopflow.
// Usage: node studio_test.mjs SITE_DIR SCREENSHOT_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './serve_static.mjs';
import { launchBrowser } from './browser.mjs';

const [siteDir, shotDir] = process.argv.slice(2);
if (!siteDir || !fs.existsSync(path.join(siteDir, 'index.html'))) {
  console.error(`studio_test: no studio at ${siteDir} (build the wasm preset first)`);
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const example = JSON.parse(fs.readFileSync(path.join(here, '../../workflows/order-processing.json'), 'utf8'));
fs.mkdirSync(shotDir, { recursive: true });

const server = await serveStatic(siteDir);
const browser = await launchBrowser();
let failed = 0;
try {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

  const started = Date.now();
  await page.goto(server.url);
  await page.waitForFunction(() => window.shopflow && window.shopflow.status().frames > 2, null, { timeout: 60000 });
  const firstFrameMs = Date.now() - started;
  const status = await page.evaluate(() => window.shopflow.status());

  const checks = [
    ['the example bundle is loaded', () => assert.equal(status.loaded, true)],
    ['its name is shown', () => assert.equal(status.bundle, example.name)],
    ['all its workflows are read', () => assert.equal(status.workflowCount, example.workflows.length)],
    ['workflow ids match the file', () => assert.deepEqual(status.workflows.map((w) => w.id), example.workflows.map((w) => w.id))],
    ['it validates without problems', () => assert.equal(status.problems, 0)],
    ['no page errors', () => assert.deepEqual(errors, [])],
  ];
  for (const [name, check] of checks) {
    try { check(); console.log(`ok   ${name}`); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
  }
  const shot = path.join(shotDir, 'studio-bundle.png');
  await page.screenshot({ path: shot });
  console.log(`first frame after ${firstFrameMs} ms; screenshot: ${shot}`);
} finally {
  await browser.close();
  server.close();
}
console.log(`${failed === 0 ? 'passed' : 'FAILED'}: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
