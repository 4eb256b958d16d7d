// End-to-end: the studio's Runner panel against a real `shopflow serve`. The runner starts with
// the read and admin tokens in its environment and a deployment config whose api.cors_origins
// names the studio's origin, and is fed orders as webhooks. In headless Chromium the studio
// connects through the panel (clicks and typing), loads production's events as its sample data
// (with no customer email reaching the page), backtests an edit of a threshold and shows
// exactly the decisions it flips — each opening production's run beside the edited one —,
// steps through a production run with its explanations, has a deploy refused (422, a failing
// self-test) and shows why, deploys the edit, and then the runner runs the new version: a new
// order gets the new behaviour, checked through the runner's API. Last, History rolls back.
// The case (bundle, webhooks, edit, expected flips) is data: tests/browser/runner/case.json.
// Screenshots go to SCREENSHOT_DIR.
// Usage: node studio_runner_test.mjs SITE_DIR SCREENSHOT_DIR SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './serve_static.mjs';
import { launchBrowser } from './browser.mjs';
import { selectAll } from './imgui_input.mjs';
import { Runner, tempDir } from '../serve/harness.mjs';

const [siteDir, shotDir, shopflowBin] = process.argv.slice(2);
if (!siteDir || !fs.existsSync(path.join(siteDir, 'index.html')) || !shopflowBin || !fs.existsSync(shopflowBin)) {
  console.error('usage: studio_runner_test.mjs SITE_DIR SCREENSHOT_DIR SHOPFLOW_BINARY (build the wasm preset and shopflow first)');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const caseDir = path.join(here, 'runner');
const spec = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
const bundleText = fs.readFileSync(path.join(caseDir, spec.bundle), 'utf8');
fs.mkdirSync(shotDir, { recursive: true });

const READ = 'read-token-5d1c';
const ADMIN = 'admin-token-90fa';
const SOURCE = '/shop';
const runId = (id) => `tag-big-order:ce:${SOURCE}#${id}`;
const order = (w) => ({
  specversion: '1.0', id: w.id, source: SOURCE, type: 'order.created', time: new Date().toISOString(),
  data: { id: w.id, name: `#${w.id}`, email: w.email, total_price: w.total_price, customer: { email: w.email, first_name: 'Test' } },
});
const edited = (text, edit) => {
  const b = JSON.parse(text);
  const tokens = edit.pointer.split('/').slice(1);
  let at = b;
  for (const t of tokens.slice(0, -1)) at = at[t];
  at[tokens[tokens.length - 1]] = edit.value;
  return JSON.stringify(b, null, 2);
};

const site = await serveStatic(siteDir);
const origin = new URL(site.url).origin;
const dir = tempDir('studio-runner');
const bundleFile = path.join(dir, spec.bundle);
fs.writeFileSync(bundleFile, bundleText);
const config = path.join(dir, 'deploy.json');
fs.writeFileSync(config, JSON.stringify({ api: { cors_origins: [origin] } }));
const runner = new Runner(shopflowBin, bundleFile, dir, {
  env: { SHOPFLOW_API_READ_TOKEN: READ, SHOPFLOW_API_ADMIN_TOKEN: ADMIN }, args: ['--config', config],
});
await runner.start();
const api = async (p, token = READ) => {
  const r = await fetch(`${runner.url}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
};
const post = (w) => runner.post('/v1/events', JSON.stringify(order(w)), { 'Content-Type': 'application/cloudevents+json' });

const browser = await launchBrowser({ gpuCompositing: true });
let failed = 0;
function check(name, fn) {
  try { fn(); console.log(`ok   ${name}`); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
async function step(name, fn) {
  try { await fn(); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.stack || e.message}`); }
}

try {
  // [1] Production: the webhooks, each run by the deployed version.
  await step('webhooks', async () => {
    for (const w of spec.webhooks) assert.equal((await post(w)).status, 202, `webhook ${w.id}`);
    await runner.until('the runs of the webhooks', async () => (await api('/v1/runs')).body.runs?.length >= spec.webhooks.length);
  });
  const deployed = (await api('/v1/bundle')).body;
  check('the runner serves its deployed version', () => assert.match(deployed.version, /^[0-9a-f]{16}$/));

  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  const status = () => page.evaluate(() => window.shopflow.status());
  const frames = async (n = 3) => {
    const start = (await status()).frames;
    await page.waitForFunction((f) => window.shopflow.status().frames >= f, start + n, { timeout: 20000 });
  };
  const waitFor = (predicate, arg, timeout = 30000) => page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  const widget = async (name) => {
    await waitFor((n) => { const r = window.shopflow.status().widgets[n]; return r && r[2] > 0 && r[3] > 0; }, name).catch(async () => {
      const file = path.join(shotDir, `runner-missing-${name.replace(/[^a-z0-9.]+/gi, '_')}.png`);
      await page.screenshot({ path: file }).catch(() => {});
      throw new Error(`no widget ${name} on screen (screenshot ${file})`);
    });
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
  const typeInto = async (name, text) => {
    await click(name);
    await selectAll(page, frames);
    await page.keyboard.type(text, { delay: 10 });
    await frames(3);
  };
  const shot = async (name) => {
    await frames(3);
    const file = path.join(shotDir, `runner-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`     screenshot ${file}`);
  };
  const runnerStatus = async () => (await status()).runner;

  await page.goto(site.url);
  await page.waitForFunction(() => window.shopflow && window.shopflow.status().frames > 2, null, { timeout: 60000 });
  // The studio opens the bundle production runs (as a user would import the exported file).
  assert.equal(await page.evaluate((t) => window.shopflow.loadBundleText('import:big-orders.json', t), bundleText), true);
  await frames(2);

  // [2] Connect: URL and the read token, typed into the panel.
  await step('connect', async () => {
    await click('tab.Runner');
    await typeInto('runner.url', runner.url);
    await typeInto('runner.token', READ);
    await click('runner.connect');
    await waitFor(() => window.shopflow.status().runner.link !== 'connecting');
    const r = await runnerStatus();
    check('the panel connects with the read token', () => assert.equal(r.link, 'connected', r.error));
    check('it shows the deployed version', () => assert.equal(r.version, deployed.version));
    check('the unedited bundle does what the deployed version does', () => assert.deepEqual(r.diff, []));
    check('no problem is shown', () => assert.equal(r.error, ''));
    const stored = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage) }));
    check('the token is kept in sessionStorage, not in localStorage', () => {
      assert.ok(stored.session.includes(READ));
      assert.ok(!stored.local.includes(READ));
    });
    await shot('connected');
  });

  // [3] Production's events become the sample data; no customer email reaches the page.
  await step('load events', async () => {
    await click('runner.tab.Sample events');
    await click('runner.load');
    await waitFor(() => !window.shopflow.status().runner.sample.running);
    const s = await status();
    check('the production events are the sample data', () => assert.equal(s.sampleEvents, spec.webhooks.length, s.runner.sample.note));
    const text = await page.evaluate(() => window.shopflow.bundleText());
    check('no customer email of the webhooks is in the page', () => {
      for (const w of spec.webhooks) assert.ok(!text.includes(w.email), `${w.email} reached the browser`);
      assert.match(text, /@redacted\.invalid/);
    });
    await shot('events');
  });

  // [4] The edit, and what the panel says it changes. (Made through the page's API: the
  // inspector's own editing is the studio test's.)
  const applyEdit = async (edit) => {
    const text = await page.evaluate(() => window.shopflow.bundleText());
    await page.evaluate((t) => window.shopflow.editBundleText(t), edited(text, edit));
    await frames(2);
  };
  await applyEdit(spec.edit);
  await step('diff', async () => {
    await click('runner.tab.Deployed');
    const r = await runnerStatus();
    check('the diff names the changed condition', () => assert.ok(r.diff.some((l) => l.startsWith(spec.expect_diff) && l.includes('50.00')), JSON.stringify(r.diff)));
  });

  // [5] Backtest: exactly the expected flips; a flip opens both runs.
  await step('backtest', async () => {
    await click('runner.tab.Backtest');
    await click('runner.backtest');
    await waitFor(() => window.shopflow.status().runner.backtest.done, null, 60000);
    const b = (await runnerStatus()).backtest;
    check('the backtest ends without error', () => assert.equal(b.error, ''));
    check('it went through every production event', () => assert.equal(b.events, spec.webhooks.length));
    const got = b.flips.map((f) => ({ run: f.run, path: f.path, production: f.production, edited: f.edited }))
      .sort((x, y) => x.run.localeCompare(y.run));
    check('exactly the expected decisions flipped', () => assert.deepEqual(got, spec.expect_flips));
    await shot('backtest');
    await click('runner.flip:0');
    await waitFor(() => { const x = window.shopflow.status().runner.backtest; return (x.productionRun && x.editedRun) || x.productionError || x.editedError; });
    const o = (await runnerStatus()).backtest;
    check('a flipped decision opens production\'s run beside the edited one', () => {
      assert.equal(o.productionError + o.editedError, '');
      assert.equal(o.productionRun, b.flips[0].run);
      assert.equal(o.editedRun, b.flips[0].run);
    });
    await shot('backtest-sides');
  });

  // [6] A production run, step by step, with the why of its decision.
  await step('runs', async () => {
    await click('runner.tab.Runs');
    await click('runner.runs');
    await waitFor(() => window.shopflow.status().runner.runs > 0);
    await click(`runner.run:${runId('o-3')}`);
    await waitFor((id) => window.shopflow.status().runner.openRun === id, runId('o-3'));
    await click('run.step:is-big');
    const s = await status();
    check('the production run\'s decision says why in words', () => assert.ok(s.why.some((w) => w.startsWith('Took then because')), JSON.stringify(s.why)));
    await shot('run');
  });

  // [7] Deploy: with the read token refused (403), with a failing self-test refused (422)
  // and its problem shown, then with the admin token and the good edit deployed.
  const deployThroughUi = async () => {
    await click('runner.tab.Deployed');
    await click('runner.deploy');
    await shot('deploy-confirm');
    await click('runner.deploy.confirm');
    await waitFor(() => { const d = window.shopflow.status().runner.deploy; return !d.busy && d.result !== ''; });
    return (await runnerStatus()).deploy;
  };
  let newVersion = '';
  await step('deploy', async () => {
    const readOnly = await deployThroughUi();
    check('a deploy with the read token is refused (403), in words', () => assert.match(readOnly.result, /403/));
    await typeInto('runner.token', ADMIN);
    await click('runner.connect');
    await waitFor(() => window.shopflow.status().runner.link === 'connected');
    await applyEdit(spec.refused_edit);
    const refused = await deployThroughUi();
    check('a bundle whose self-test fails is refused and the failing test shown', () => {
      assert.match(refused.result, /Refused/);
      assert.ok(refused.problems.some((p) => p.includes('an order of 150.00 is tagged big')), JSON.stringify(refused.problems));
    });
    await shot('deploy-refused');
    const still = (await api('/v1/bundle')).body.version;
    check('the runner still runs the version it had', () => assert.equal(still, deployed.version));
    await applyEdit(spec.edit);
    const ok = await deployThroughUi();
    check('the edit is deployed', () => assert.match(ok.result, /^Deployed/));
    newVersion = (await api('/v1/bundle')).body.version;
    check('the runner reports a new version', () => assert.notEqual(newVersion, deployed.version));
    await waitFor((v) => window.shopflow.status().runner.version === v, newVersion);
    await shot('deployed');
  });

  // [8] The runner runs the new version: a new order of 60.00 is tagged.
  await step('new behaviour', async () => {
    const w = spec.after_deploy;
    assert.equal((await post(w)).status, 202);
    const run = await runner.until('the new order\'s run', async () => {
      const r = await api(`/v1/runs/${encodeURIComponent(runId(w.id))}`);
      return r.status === 200 && r.body.run.status !== 'running' ? r.body.run : null;
    });
    check('the new order ran on the deployed version', () => assert.equal(run.bundle_version, newVersion));
    check('its decision took the new threshold', () => assert.equal(run.steps.find((s) => s.path === 'is-big').verdict, true));
    const effects = await api(`/v1/effects?run=${encodeURIComponent(runId(w.id))}`);
    check(`it made a ${w.expect_effect}`, () => assert.deepEqual(effects.body.effects.map((e) => e.type), [w.expect_effect]));
  });

  // [9] History: roll back to the first version.
  await step('rollback', async () => {
    await click('runner.tab.History');
    await click(`runner.rollback:${deployed.version}`);
    await click('runner.rollback.confirm');
    await waitFor((v) => window.shopflow.status().runner.version === v, deployed.version);
    const back = (await api('/v1/bundle')).body.version;
    check('the runner is back on the first version', () => assert.equal(back, deployed.version));
    await shot('history');
  });

  const text = await page.evaluate(() => window.shopflow.bundleText());
  check('no token in the exported bundle', () => { assert.ok(!text.includes(READ)); assert.ok(!text.includes(ADMIN)); });
  // The refused deploys answer 403 and 422, which the browser reports on its console.
  const expected = (e) => /\b(403|422)\b/.test(e) && e.includes('/v1/bundle');
  check('no other page errors, console errors or warnings', () => assert.deepEqual(errors.filter((e) => !expected(e)), []));
} finally {
  await browser.close();
  site.close();
  await runner.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`${failed === 0 ? 'passed' : 'FAILED'}: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
