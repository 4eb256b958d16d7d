// Takes a screenshot of a running studio, for looking at what a user sees.
// Usage: node screenshot.mjs URL OUT.png   (waits for the studio's first frames)
import { launchBrowser } from './browser.mjs';

const [url, out] = process.argv.slice(2);
if (!url || !out) { console.error('usage: node screenshot.mjs URL OUT.png'); process.exit(2); }
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.shopflow && window.shopflow.status().frames > 2, null, { timeout: 60000 });
  await page.screenshot({ path: out });
  console.log(out);
} finally {
  await browser.close();
}
