// The studio as an analyst meets it, in three windows: 1280x720, 1920x1080 with the screen
// exactly the viewport (and then in fullscreen), and 1280x720 at a device pixel ratio of 2. In
// each: no page errors and no console errors or warnings; the canvas's drawing buffer is the
// window times the pixel ratio; the UI font has €, £, ¥, ₹ and accented letters; the quotes
// bundle's graphs at Fit (at 1280x720 every example's) show every step inside the pane, with
// the smallest text (as the studio reports what it drew) at least 11 CSS pixels; the wheel
// scrolls and Ctrl+wheel zooms by one step.
// At 1280x720 and at ratio 2, the €10.000 approval limit is changed to €5.000 as a table cell,
// the change is undone and redone with the keyboard, and opening another example asks before
// the edit is lost; a trigger filter's field is picked from the sample events' fields, a typo
// in it is warned about, and both edits are undone; a step is copied, pasted and the paste
// undone with the keyboard. Screenshots go to SCREENSHOT_DIR.
// Usage: node studio_display_test.mjs SITE_DIR SCREENSHOT_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './serve_static.mjs';
import { launchBrowser } from './browser.mjs';
import { selectAll } from './imgui_input.mjs';

const [siteDir, shotDir] = process.argv.slice(2);
if (!siteDir || !fs.existsSync(path.join(siteDir, 'index.html'))) {
  console.error(`studio_display_test: no studio at ${siteDir} (build the wasm preset first)`);
  process.exit(2);
}
fs.mkdirSync(shotDir, { recursive: true });
const workflowsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../workflows');
const examples = fs.readdirSync(workflowsDir).filter((f) => f.endsWith('.json') && !f.includes('.schema.')).sort();

const windows = [
  { name: '1280x720', options: { viewport: { width: 1280, height: 720 }, screen: { width: 1920, height: 1080 } }, edit: true, allFits: true },
  { name: '1920x1080-screen', options: { viewport: { width: 1920, height: 1080 }, screen: { width: 1920, height: 1080 } }, fullscreen: true },
  { name: 'dpr2', options: { viewport: { width: 1280, height: 720 }, screen: { width: 1280, height: 720 }, deviceScaleFactor: 2 }, edit: true },
];

let failed = 0;
function check(name, fn) {
  try { fn(); console.log(`ok   ${name}`); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
async function step(name, fn) {
  try { await fn(); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}

const server = await serveStatic(siteDir);
try {
  for (const win of windows) {
    const browser = await launchBrowser({ gpuCompositing: true, ...win.options });
    try {
      await runWindow(win, browser);
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
}
console.log(`${failed === 0 ? 'passed' : 'FAILED'}: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

async function runWindow(win, browser) {
  const page = await browser.context.newPage();
  const messages = [];
  page.on('pageerror', (e) => messages.push(`page error: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') messages.push(`console ${m.type()}: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) messages.push(`${r.status()} ${r.url()}`); });

  const status = () => page.evaluate(() => window.shopflow.status());
  const frames = async (n = 3) => {
    const start = (await status()).frames;
    await page.waitForFunction((f) => window.shopflow.status().frames >= f, start + n, { timeout: 20000, polling: 20 });
  };
  const widget = async (name) => {
    // Laid out: a tab bar gives a new tab its size a frame after it first appears.
    await page.waitForFunction((n) => { const r = window.shopflow.status().widgets[n]; return r && r[2] > 0 && r[3] > 0; },
      name, { timeout: 20000, polling: 50 });
    // and in place: a table settles its column widths over its first frames.
    let rect = (await status()).widgets[name];
    for (let i = 0; i < 20; i++) {
      await frames(1);
      const again = (await status()).widgets[name];
      if (again && JSON.stringify(again) === JSON.stringify(rect)) break;
      rect = again;
    }
    return rect;
  };
  const click = async (name) => {
    const [x, y, w, h] = await widget(name);
    await page.mouse.move(x + w / 2, y + h / 2);
    await frames(1);
    await page.mouse.click(x + w / 2, y + h / 2);
    await frames(2);
  };
  // A key chord held over a frame (Dear ImGui reads the keys once a frame).
  const chord = async (...keys) => {
    for (const k of keys) await page.keyboard.down(k);
    await frames(1);
    for (const k of keys.reverse()) await page.keyboard.up(k);
    await frames(2);
  };
  const shot = async (what) => {
    await frames(2);
    const file = path.join(shotDir, `display-${win.name}-${what}.png`);
    await page.screenshot({ path: file });
    console.log(`     screenshot ${file}`);
  };
  const threshold = async () =>
    JSON.parse(await page.evaluate(() => window.shopflow.bundleText())).tables.quote_policy.rows[0].approval_threshold;
  const label = (text) => `${win.name}: ${text}`;

  await page.goto(server.url);
  await page.waitForFunction(() => window.shopflow && window.shopflow.status().frames > 2, null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.shopflow.loadExample('quotes.json')), true);
  await frames(3);

  const page_ = await page.evaluate(() => ({ w: innerWidth, h: innerHeight, dpr: devicePixelRatio, sw: screen.width, sh: screen.height }));
  const first = await status();
  check(label('the canvas is the window times the pixel ratio'), () => {
    assert.equal(first.display.dpr, page_.dpr);
    assert.deepEqual(first.display.canvas, [Math.round(page_.w * page_.dpr), Math.round(page_.h * page_.dpr)]);
    const size = page.viewportSize();
    assert.deepEqual([page_.w, page_.h], [size.width, size.height]);
  });
  if (win.options.screen) {
    check(label(`the screen is ${page_.sw}x${page_.sh}`), () => assert.deepEqual([page_.sw, page_.sh], [win.options.screen.width, win.options.screen.height]));
  }
  check(label('the UI font is Inter, with € £ ¥ ₹ é ß ł'), () => {
    assert.equal(first.display.fontsFromFiles, true);
    assert.deepEqual(first.display.glyphs, { '€': true, '£': true, '¥': true, '₹': true, 'é': true, 'ß': true, 'ł': true });
  });

  // Each workflow's graph at Fit: every step inside the pane (as the studio reports what it
  // drew, and by the boxes' rectangles), no text under 11 CSS px. At 1280x720 every example's
  // workflows, elsewhere the quotes bundle's.
  const fitBundles = win.allFits ? examples : ['quotes.json'];
  for (const bundle of fitBundles) {
    assert.equal(await page.evaluate((n) => window.shopflow.loadExample(n), bundle), true);
    await frames(3);
    for (const wf of (await status()).workflows) {
      await step(label(`graph of ${wf.id}`), async () => {
        await click(`workflow.${wf.id}`);
        await click('graph.fit');
        await frames(2);
        const s = await status();
        const pane = s.widgets['graph.pane'];
        const nodes = Object.entries(s.widgets).filter(([k]) => k.startsWith('node:'));
        const at = `${bundle} ${wf.id}: at Fit (${Math.round(s.graph.zoom * 100)}%)`;
        check(label(`${at} the smallest text is ${s.graph.smallestTextPx.toFixed(1)} px, at least 11`),
          () => assert.ok(s.graph.smallestTextPx >= 11, String(s.graph.smallestTextPx)));
        await shot(`fit-${bundle.replace('.json', '')}-${wf.id}`);
        check(label(`${at} all ${s.graph.boxes} steps are inside the pane`), () => {
          assert.ok(nodes.length > 1);
          assert.equal(s.graph.boxes, nodes.length);
          assert.equal(s.graph.boxesOutside, 0, 'the studio reports boxes outside the pane');
          for (const [k, [x, y, w, h]] of nodes) {
            assert.ok(x >= pane[0] - 0.5 && x + w <= pane[0] + pane[2] + 0.5 && y >= pane[1] - 0.5 && y + h <= pane[1] + pane[3] + 0.5,
              `${k} at ${Math.round(x)},${Math.round(y)} ${Math.round(w)}x${Math.round(h)} is outside the pane ${pane.map(Math.round).join(',')}`);
          }
        });
      });
    }
  }
  // The price-quote workflow at Fit is an outline (its graph would name no step); Graph shows
  // it as a graph again, at a zoom whose boxes name their steps.
  assert.equal(await page.evaluate(() => window.shopflow.loadExample('quotes.json')), true);
  await frames(3);
  await step(label('the outline and back to the graph'), async () => {
    await click('workflow.price-quote');
    await click('graph.fit');
    const outline = await status();
    check(label('price-quote at Fit is shown as an outline with every step named'), () => {
      assert.ok(outline.widgets['graph.leave_outline'], 'no Graph button');
      assert.equal(outline.graph.boxesOutside, 0);
    });
    await click('node:/workflows/0/steps/6');
    const picked = await status();
    check(label('a click on an outline line selects its step'), () => assert.equal(picked.selected, '/workflows/0/steps/6'));
    await click('graph.leave_outline');
    await page.waitForFunction(() => !window.shopflow.status().widgets['graph.leave_outline'], null, { timeout: 5000, polling: 50 }).catch(() => {});
    await frames(2);
    const graph = await status();
    check(label(`Graph shows the graph at ${Math.round(graph.graph.zoom * 100)}%, text at least 11 px`), () => {
      assert.ok(!graph.widgets['graph.leave_outline'], 'still an outline');
      assert.ok(graph.graph.smallestTextPx >= 11);
      assert.ok(graph.graph.boxesOutside > 0, 'the graph of price-quote does not fit at a readable zoom');
    });
    await shot('graph-after-outline');
  });
  // The wheel, on a workflow shown as a graph.
  await click('workflow.handle-quote-acceptance');
  await click('graph.fit');

  // The wheel scrolls; Ctrl+wheel zooms in by one step around the pointer.
  await step(label('wheel'), async () => {
    const before = await status();
    const pane = before.widgets['graph.pane'];
    await page.mouse.move(pane[0] + pane[2] / 2, pane[1] + pane[3] / 2);
    await frames(1);
    await page.mouse.wheel(0, 100);
    await frames(2);
    const scrolled = await status();
    check(label('one wheel notch scrolls the graph and leaves the zoom'), () => {
      assert.equal(scrolled.graph.zoom, before.graph.zoom);
      assert.notDeepEqual(scrolled.widgets['node:trigger'], before.widgets['node:trigger']);
    });
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await frames(2);
    const zoomed = await status();
    const ratio = zoomed.graph.zoom / scrolled.graph.zoom;
    check(label(`Ctrl+wheel up zooms in by one step (x${ratio.toFixed(3)})`), () => assert.ok(ratio >= 1.1 && ratio <= 1.15, String(ratio)));
    await click('graph.fit');
  });

  if (win.edit) {
    await step(label('the approval limit as a table cell, undone and redone'), async () => {
      await click('tab.Sample data');
      await click('data.tab.tables');
      const cell = 'table:quote_policy:0:approval_threshold';
      await click(cell);
      await selectAll(page, frames);
      await page.keyboard.type('5000.00', { delay: 20 });
      await frames(2);
      await page.keyboard.press('Enter');
      await frames(2);
      await shot('limit-edited');
      const typed = await threshold();
      check(label('the limit is now 5000.00 in the bundle'), () => assert.equal(typed, '5000.00'));
      const edited = await status();
      check(label('typing the new limit is one edit to undo'), () => assert.equal(edited.history.undo, 1));
      // Away from the field, Ctrl+Z undoes the edit, Ctrl+Shift+Z and Ctrl+Y redo it.
      await click('tab.Simulator');
      await chord('Control', 'z');
      const undone = await threshold();
      check(label('Ctrl+Z brings the limit back to 10000.00'), () => assert.equal(undone, '10000.00'));
      await chord('Control', 'Shift', 'Z');
      const redone = await threshold();
      check(label('Ctrl+Shift+Z redoes it: 5000.00'), () => assert.equal(redone, '5000.00'));
      await click('edit.undo');
      const undoneByButton = await threshold();
      await chord('Control', 'y');
      const redoneByY = await threshold();
      check(label('the Undo button and Ctrl+Y walk the same history'), () => assert.deepEqual([undoneByButton, redoneByY], ['10000.00', '5000.00']));
      const sim = await page.evaluate(() => window.shopflow.simulate());
      check(label('the edited bundle simulates'), () => assert.equal(sim.ok, true, sim.error));

      // Opening another example asks first; "Keep editing" keeps the edit.
      await click('bundle.examples');
      await frames(2);
      const [x, y, w, h] = await widget('bundle.examples');
      await page.mouse.click(x + w / 2, y + h + 12);  // the first example in the list
      await frames(3);
      const asked = await status();
      check(label('opening another example asks before the edit is lost'), () => assert.match(asked.confirm, /edits to .* will be lost/));
      await shot('confirm');
      await click('confirm.keep');
      const kept = await status();
      check(label('Keep editing keeps the edited bundle open'), () => { assert.equal(kept.confirm, ''); assert.equal(kept.path, '/workflows/quotes.json'); });
      assert.equal(await threshold(), '5000.00');
    });
  }

  if (win.edit) {
    await step(label('the field picker'), async () => {
      assert.equal(await page.evaluate(() => window.shopflow.loadExample('abandoned-checkout.json')), true);
      await frames(3);
      const filter = async () => JSON.parse(await page.evaluate(() => window.shopflow.bundleText())).workflows[0].trigger.filter;
      const row = 'cond:/workflows/0/trigger/filter.0';
      await click('node:trigger');
      await click(`${row}.pick`);
      await widget('field:event.data.total_price');
      await shot('field-picker');
      const listed = Object.keys((await status()).widgets).filter((k) => k.startsWith('field:'));
      check(label(`the picker lists the sample checkouts' fields (${listed.length})`), () => {
        for (const f of ['event.id', 'event.data.email', 'event.data.total_price', 'event.data.customer.first_name']) assert.ok(listed.includes(`field:${f}`), f);
      });
      await click('field:event.data.total_price');
      const picked = await filter();
      check(label('picking a field writes it into the condition'), () => assert.deepEqual(picked, { '!!': [{ var: 'event.data.total_price' }] }));
      await click(`${row}.field`);
      await selectAll(page, frames);
      await page.keyboard.type('event.data.totl', { delay: 20 });
      await frames(3);
      const typo = await status();
      check(label('a field no sample event has gets a warning'), () => assert.ok(typo.widgets[`${row}.warning`], 'no warning shown'));
      await shot('field-warning');
      await click('tab.Simulator');
      await chord('Control', 'z');
      await chord('Control', 'z');
      const back = await filter();
      check(label('two undos bring back the original filter'), () => assert.deepEqual(back, { '!!': [{ var: 'event.data.email' }] }));
    });

    await step(label('a duration in words'), async () => {
      const timeout = async () => JSON.parse(await page.evaluate(() => window.shopflow.bundleText())).workflows[0].steps[0].wait.timeout;
      await click('node:/workflows/0/steps/0');
      await click('wait.timeout');
      await selectAll(page, frames);
      await page.keyboard.type('2 days', { delay: 20 });
      await frames(3);
      const typed = await timeout();
      check(label('"2 days" typed as a wait\'s timeout is written as P2D'), () => assert.equal(typed, 'P2D'));
      await click('tab.Simulator');
      await chord('Control', 'z');
      const back = await timeout();
      check(label('and one undo brings back PT4H'), () => assert.equal(back, 'PT4H'));
    });

    await step(label('copy and paste a step'), async () => {
      const ids = async () => JSON.parse(await page.evaluate(() => window.shopflow.bundleText())).workflows[0].steps.map((st) => st.id);
      const before = await ids();
      await click('node:/workflows/0/steps/2');
      await chord('Control', 'c');
      await chord('Control', 'v');
      const pasted = await ids();
      check(label(`Ctrl+C, Ctrl+V pastes a copy of ${before[2]} after it, with an id of its own`), () =>
        assert.deepEqual(pasted, [...before.slice(0, 3), `${before[2]}-2`, ...before.slice(3)]));
      const after = await status();
      check(label('the pasted step is selected and the bundle stays valid'), () => { assert.equal(after.selected, '/workflows/0/steps/3'); assert.equal(after.problems, 0); });
      await chord('Control', 'z');
      const undone = await ids();
      check(label('Ctrl+Z takes the pasted step away'), () => assert.deepEqual(undone, before));
    });
  }

  if (win.fullscreen) {
    await step(label('fullscreen'), async () => {
      await page.evaluate(() => document.documentElement.requestFullscreen());
      await page.waitForFunction(() => !!document.fullscreenElement, null, { timeout: 10000 });
      await frames(5);
      const s = await status();
      const inner = await page.evaluate(() => ({ w: innerWidth, h: innerHeight, dpr: devicePixelRatio }));
      check(label('in fullscreen the canvas is the screen'), () =>
        assert.deepEqual(s.display.canvas, [Math.round(inner.w * inner.dpr), Math.round(inner.h * inner.dpr)]));
      await shot('fullscreen');
      await page.evaluate(() => document.exitFullscreen());
      await frames(5);
    });
  }

  await shot('end');
  check(label('no page errors, console errors or warnings'), () => assert.deepEqual(messages, []));
  await page.close();
}
