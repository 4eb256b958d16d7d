// The Runner panel's backtest at scale, in headless Chromium: 1,000,000 production events
// (orders, served by a stand-in runner that makes each event, run with its steps and effect
// from its seq) backtested through the panel against an edit that lowers the big-order
// threshold. Prints the total time (target <= 30 s), the longest the page's main thread was held
// at a time (the browser's long tasks and the studio's frames; target <= 50 ms; with
// SHOPFLOW_BENCH_RAF=1, the longest gap between two animation frames) and the page's memory
// (JavaScript heap + WebAssembly memory; target < 1 GB), then what the time went to.
// The figures are of a second backtest, the stand-in runner's pages made already (the first
// one's time is printed too). Not a test. Usage: node tests/bench/studio_backtest_bench.mjs [SITE_DIR] [EVENTS]
// (default build/wasm/web/site, 1000000). Build the wasm preset first.
// SHOPFLOW_BENCH_PROFILE=FILE writes a CPU profile, SHOPFLOW_BENCH_TRACE=FILE three seconds of
// Chromium's timeline, SHOPFLOW_BENCH_FRAMES=FILE the studio's frame log.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../browser/serve_static.mjs';
import { launchBrowser } from '../browser/browser.mjs';
import { selectAll } from '../browser/imgui_input.mjs';
import { startFakeRunner } from '../browser/fake_runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');
const siteDir = process.argv[2] || path.join(root, 'build/wasm/web/site');
const count = Number(process.argv[3] || 1000000);
const kLongFrameMs = 50.5;  // three 60 Hz intervals, with the timestamps' coarsening
if (!fs.existsSync(path.join(siteDir, 'index.html'))) {
  console.error(`studio_backtest_bench: no studio at ${siteDir} (cmake --preset wasm && cmake --build build/wasm)`);
  process.exit(2);
}
const bundleText = fs.readFileSync(path.join(root, 'tests/browser/runner/big-orders.json'), 'utf8');
const bundle = JSON.parse(bundleText);

// Production: an order a second, its total from 0.00 to 199.00; the deployed bundle tags those
// of 100.00 and more. Run ids and effect ids as the runner makes them.
const t0 = Date.parse('2026-03-02T00:00:00Z');
const iso = (ms) => new Date(ms).toISOString();
const total = (seq) => `${(seq * 37) % 200}.00`;
const key = (seq) => `ce:/shop#o-${seq}`;
const runId = (seq) => `tag-big-order:${key(seq)}`;
const big = (seq) => (seq * 37) % 200 >= 100;
const events = {
  count,
  make: (seq) => ({ seq, received: iso(t0 + seq * 1000), key: key(seq), event: {
    specversion: '1.0', id: `o-${seq}`, source: '/shop', type: 'order.created', time: iso(t0 + seq * 1000),
    data: { id: `o-${seq}`, email: `c-${seq.toString(16)}@redacted.invalid`, total_price: total(seq) } } }),
};
const run = (seq, steps) => ({ seq, id: runId(seq), workflow: 'tag-big-order', event_id: `o-${seq}`, status: 'completed',
  started: iso(t0 + seq * 1000 + 2), updated: iso(t0 + seq * 1000 + 3), error: null, error_step: null, bundle_version: 'deployed',
  ...(steps ? { steps: [
    { path: 'is-big', kind: 'if', time: iso(t0 + seq * 1000 + 2), output: big(seq), verdict: big(seq) },
    ...(big(seq) ? [{ path: 'is-big/then/tag-big', kind: 'action', time: iso(t0 + seq * 1000 + 2), output: null }] : []),
  ] } : {}) });
const runs = {
  count,
  make: (seq) => run(seq, true),
  byId: (id) => { const m = /#o-(\d+)$/.exec(id); return m && Number(m[1]) <= count ? run(Number(m[1]), true) : null; },
};
const effects = {
  count,
  make: (seq) => (big(seq) ? { seq, id: `${runId(seq)}/is-big/then/tag-big`, run_id: runId(seq), path: 'is-big/then/tag-big',
    type: 'order.tag', params: { order_id: `o-${seq}`, tags: 'big' }, status: 'delivered', attempts: 1,
    created: iso(t0 + seq * 1000 + 2), last_error: null } : null),
};

const server = await serveStatic(siteDir);
// The stand-in runner keeps each page it made: the backtest runs twice, and the second, measured
// one has the pages made already, as a runner on another machine costs this one nothing (on
// this machine's two cores, making them takes a core's worth of the first run's time).
const fake = await startFakeRunner({ bundle, events, runs, effects, origins: [new URL(server.url).origin], keep: true });
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.log(`  [page error] ${e}`));
  const status = () => page.evaluate(() => window.shopflow.status());
  const frames = async (n) => {
    const s = (await status()).frames;
    await page.waitForFunction((f) => window.shopflow.status().frames >= f, s + n, { timeout: 20000 });
  };
  const click = async (name) => {
    await page.waitForFunction((n) => !!window.shopflow.status().widgets[n], name, { timeout: 20000 });
    const [x, y, w, h] = (await status()).widgets[name];
    await page.mouse.move(x + w / 2, y + h / 2);
    await frames(1);
    await page.mouse.click(x + w / 2, y + h / 2);
    await frames(2);
  };
  const typeInto = async (name, text) => {
    await click(name);
    await selectAll(page, frames);
    await page.keyboard.type(text);
    await frames(2);
  };
  await page.goto(server.url);
  await page.waitForFunction(() => window.shopflow && window.shopflow.status().warmedUp, null, { timeout: 60000 });
  await page.evaluate((t) => window.shopflow.loadBundleText('import:big-orders.json', t), bundleText);
  const editedBundle = JSON.parse(bundleText);
  editedBundle.workflows[0].steps[0].if.money_gte[1] = '50.00';
  await page.evaluate((t) => window.shopflow.editBundleText(t), JSON.stringify(editedBundle, null, 2));
  await click('tab.Runner');
  await typeInto('runner.url', fake.url);
  await typeInto('runner.token', 'read-token');
  await click('runner.connect');
  await page.waitForFunction(() => window.shopflow.status().runner.link === 'connected', null, { timeout: 20000 });
  await click('runner.tab.Backtest');
  await page.waitForFunction(() => window.shopflow.status().warmedUp, null, { timeout: 60000 });

  const first = Date.now();
  await click('runner.backtest');
  await page.waitForFunction(() => window.shopflow.status().runner.backtest.done, null, { timeout: 600000, polling: 500 });
  const firstMs = Date.now() - first;

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const memory = async () => {
    const m = await cdp.send('Performance.getMetrics');
    const js = m.metrics.find((x) => x.name === 'JSHeapTotalSize').value;
    const wasm = await page.evaluate(() => Module.HEAP8.buffer.byteLength);
    return { js, wasm, total: js + wasm };
  };
  // How long the page's main thread was held at a time: the browser's long tasks (over 50 ms),
  // which it reports without asking for frames. SHOPFLOW_BENCH_RAF=1 measures the gaps between
  // animation frames instead; asking for every frame costs the page a rendering step per
  // refresh, some 10% of the backtest's time here.
  const byFrames = process.env.SHOPFLOW_BENCH_RAF === '1';
  await page.evaluate((byFrames) => {
    window.__gaps = []; window.__long = []; window.__stop = false;
    if (byFrames) {
      let last = performance.now();
      const tick = (t) => { window.__gaps.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    } else {
      window.__observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); });
      window.__observer.observe({ type: 'longtask' });
    }
    window.shopflow.frameLog();
  }, byFrames);
  // SHOPFLOW_BENCH_PROFILE=FILE: a CPU profile of the page over the backtest (Chromium's
  // .cpuprofile; WebAssembly functions are named in a build linked with --profiling-funcs).
  const profileTo = process.env.SHOPFLOW_BENCH_PROFILE;
  if (profileTo) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
    await cdp.send('Profiler.start');
  }
  // The machine's busy time over the backtest (all processes), and this process's (the stand-in
  // runner's) share of it.
  const busy = () => {
    const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const n = f.map(Number);
    return { busy: n[0] + n[1] + n[2] + n[5] + n[6], all: n.reduce((a, x) => a + x, 0) };
  };
  const cpu0 = busy(), own0 = process.cpuUsage();
  const started = Date.now();
  await click('runner.backtest');
  let peak = await memory();
  const samples = [];
  // SHOPFLOW_BENCH_TRACE=FILE: three seconds of Chromium's timeline from ten seconds in.
  const traceTo = process.env.SHOPFLOW_BENCH_TRACE;
  const traced = [];
  if (traceTo) {
    cdp.on('Tracing.dataCollected', (d) => traced.push(...d.value));
    setTimeout(() => cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8,blink,loading,netlog', transferMode: 'ReportEvents' }), 10000);
    setTimeout(() => cdp.send('Tracing.end'), Number(process.env.SHOPFLOW_BENCH_TRACE_END || 13000));
  }
  for (;;) {
    const s = (await status()).runner.backtest;
    const m = await memory();
    if (m.total > peak.total) peak = m;
    samples.push({ t: Date.now() - started, events: s.events, mb: Math.round(m.total / 1048576) });
    if (s.done) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const ms = Date.now() - started;
  if (traceTo) fs.writeFileSync(traceTo, JSON.stringify({ traceEvents: traced }));
  const cpu1 = busy(), own1 = process.cpuUsage(own0);
  const hz = 100, cores = (await import('node:os')).cpus().length;
  const cpuLine = `machine busy ${(((cpu1.busy - cpu0.busy) / hz) ).toFixed(1)} s of ${cores} x ${(ms / 1000).toFixed(1)} s; ` +
    `the stand-in runner (this process) ${((own1.user + own1.system) / 1e6).toFixed(1)} s`;
  if (profileTo) {
    const { profile } = await cdp.send('Profiler.stop');
    fs.writeFileSync(profileTo, JSON.stringify(profile));
    const self = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = profile.timeDeltas;
    profile.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame;
      const name = f.functionName || `(${f.url.split('/').pop() || 'program'})`;
      self.set(name, (self.get(name) || 0) + (dt[i] || 0));
    });
    const top = [...self].sort((x, y) => y[1] - x[1]).slice(0, 40);
    console.log(`CPU profile written to ${profileTo}; self time by function:`);
    for (const [name, us] of top) console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name.slice(0, 150)}`);
  }
  const { gaps, long } = await page.evaluate(() => {
    window.__stop = true;
    window.__observer?.disconnect();
    return { gaps: window.__gaps, long: window.__long };
  });
  const log = await page.evaluate(() => window.shopflow.frameLog());
  const frameWork = log.map((f) => f[0] + f[1] + f[2]);
  const b = (await status()).runner.backtest;
  if (b.error) console.log(`backtest failed: ${b.error}`);
  const longest = byFrames ? Math.max(...gaps) : Math.max(...long, ...frameWork);
  const over = byFrames ? gaps.filter((g) => g > kLongFrameMs).length : long.filter((d) => d > kLongFrameMs).length;
  const mbOf = (n) => (n / 1048576).toFixed(0);
  console.log(`backtest of ${b.events} events (${b.runs} runs read with their steps, ${b.flipsTotal} decisions flipped): ` +
    `${(ms / 1000).toFixed(1)} s, ${Math.round(b.events / (ms / 1000))} events/s (target <= 30 s)`);
  console.log(`  (the first backtest, the stand-in runner making each page as it was asked for on this machine: ${(firstMs / 1000).toFixed(1)} s)`);
  if (byFrames) {
    console.log(`longest frame: ${longest.toFixed(1)} ms, ${over} of ${gaps.length} frames over 50 ms (target: none)`);
    const vsyncs = new Map();  // frames by how many 60 Hz intervals they took
    for (const g of gaps) { const k = Math.max(1, Math.round(g / (1000 / 60))); vsyncs.set(k, (vsyncs.get(k) || 0) + 1); }
    console.log(`frames by 60 Hz intervals: ${[...vsyncs].sort((x, y) => x[0] - y[0]).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  } else {
    console.log(`longest frame: ${longest.toFixed(1)} ms (the browser's long tasks and the studio's ${log.length} frames); ` +
      `${over} tasks over 50 ms (target: none)`);
  }
  console.log(`page memory at its peak: ${mbOf(peak.total)} MB (JavaScript heap ${mbOf(peak.js)} MB, WebAssembly ${mbOf(peak.wasm)} MB; target < 1024 MB)`);
  console.log(cpuLine);
  console.log(`requests to the runner: ${fake.stats.requests}; frames that waited for events: ${b.waits.events} for their page, ` +
    `${b.waits.runs} for production's runs to be read first`);
  for (const l of b.summary) console.log(`  ${l}`);
  // Where the time went, from the studio's own frame log: simulating, building the UI, drawing.
  const sum = (i) => log.reduce((a, f) => a + f[i], 0);
  const simMs = sum(0), uiMs = sum(1), drawMs = sum(2);
  {
    console.log(`measured: ${log.length} frames; simulating and comparing ${(simMs / 1000).toFixed(1)} s, ` +
      `UI ${(uiMs / 1000).toFixed(1)} s, drawing ${(drawMs / 1000).toFixed(1)} s; the rest of the ${(ms / 1000).toFixed(1)} s ` +
      `(${((ms - simMs - uiMs - drawMs) / 1000).toFixed(1)} s) is the browser between frames: fetching and handing the pages over`);
    const hist = new Map();  // frames by their simulation time, in 5 ms steps
    for (const f of log) { const k = Math.min(60, 5 * Math.floor(f[0] / 5)); hist.set(k, (hist.get(k) || 0) + 1); }
    console.log(`  frames by simulation time (ms: frames): ${[...hist].sort((x, y) => x[0] - y[0]).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    if (process.env.SHOPFLOW_BENCH_FRAMES) fs.writeFileSync(process.env.SHOPFLOW_BENCH_FRAMES, JSON.stringify({ log, gaps }));
    const worst = log.reduce((w, f) => (f[0] + f[1] + f[2] > w[0] + w[1] + w[2] ? f : w), [0, 0, 0]);
    console.log(`  the longest frame of the studio's own log: simulate ${worst[0].toFixed(1)} ms, UI ${worst[1].toFixed(1)} ms, draw ${worst[2].toFixed(1)} ms`);
    // The frames whose own work passed 50 ms (what the studio can bound), and where in the run they came.
    const own = log.map((f, i) => [f[0] + f[1] + f[2], i]).filter(([w]) => w > kLongFrameMs).sort((x, y) => y[0] - x[0]);
    console.log(`  ${own.length} frames of the studio's own work over 50 ms (the other long gaps are the browser's): ` +
      own.slice(0, 8).map(([w, i]) => `${w.toFixed(0)} ms at frame ${i}`).join(', '));
    console.log(`  memory over time (s: events, MB): ${samples.filter((_, i) => i % 5 === 0).map((s) => `${(s.t / 1000).toFixed(0)}: ${s.events}, ${s.mb}`).join('; ')}`);
  }
} finally {
  await browser.close();
  await fake.close();
  server.close();
}
