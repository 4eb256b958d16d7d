// The scale-out test: three `shopflow serve` runners on one PostgreSQL take a stream of
// thousands of webhooks spread over all three, while one is killed with `kill -9`, another is
// paused (SIGSTOP) past its lease and then resumed, and PostgreSQL itself is restarted. Then:
//   - every event answered 202 produced exactly one run;
//   - every effect was delivered at least once, and all deliveries of one effect carry one
//     idempotency key (its id);
//   - each schedule tick fired once, across the three runners;
//   - no waiting run was lost: every order resumed on its payment, which reached another runner
//     than the order, and its timer fired;
//   - the paused runner's late writes were refused (its lease-loss counter is above zero).
// The sender behaves like a store: what was not acknowledged (an error, 503, a refused
// connection, no answer in time) is sent again, to the next runner.
// Run under tests/support/pg_temp.sh, which gives SHOPFLOW_TEST_PG and SHOPFLOW_PG_DIR.
// Usage: node cluster_test.mjs SHOPFLOW_BINARY [ORDERS]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeRecorder } from './fakes.mjs';
import { Runner, ceKey, orderEvent, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const orders = Number(process.argv[3] || 2000);
const here = path.dirname(fileURLToPath(import.meta.url));
const pgUrl = process.env.SHOPFLOW_TEST_PG;
const pgDir = process.env.SHOPFLOW_PG_DIR;
const pgTemp = path.join(here, '..', 'support', 'pg_temp.sh');
if (!pgUrl || !pgDir) {
  console.error('cluster_test: run me under tests/support/pg_temp.sh run (SHOPFLOW_TEST_PG is not set)');
  process.exit(2);
}
// Short leases, so that the test waits seconds, not the production default, for a takeover.
const LEASE_MS = 3000;
const t = suite();

const recorder = await new FakeRecorder({ delayMs: 10 }).start();
const runners = [];
for (const name of ['a', 'b', 'c']) {
  const dir = tempDir(`cluster-${name}`);
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify({ delivery: { default: { adapter: 'http', url: `${recorder.url}/effects/${name}` } },
    retry: { base_ms: 100, max_ms: 1000, max_attempts: 50 } }));
  const r = new Runner(bin, path.join(here, 'cluster_bundle.json'), dir,
    { args: ['--config', config, '--lease-ms', String(LEASE_MS)] });
  r.db = pgUrl;
  r.name = name;
  runners.push(r);
}
const [a, b, c] = runners;
const started = Date.now();
await Promise.all(runners.map((r) => r.start()));
const up = new Set(runners);  // runners that take requests (not killed, not paused)

const headers = { 'Content-Type': 'application/cloudevents+json' };
const acked = new Set();
const answered = { 202: 0, 503: 0, other: 0, failed: 0 };

// Sends each event to its runner first (spread over all three), then to the others in turn
// until one acknowledges it; a runner that does not answer within a second is passed by.
async function send(list, concurrency) {
  let next = 0;
  async function worker() {
    while (next < list.length) {
      const i = next++;
      const ev = list[i];
      for (let attempt = 0; ; attempt++) {
        const r = runners[(i + attempt) % runners.length];
        if (!up.has(r)) { if (attempt % 3 === 2) await sleep(100); continue; }
        try {
          const res = await fetch(`${r.url}/v1/events`, { method: 'POST', body: JSON.stringify(ev), headers,
            signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          if (res.status === 202) { answered[202]++; acked.add(ceKey(ev.id, ev.source)); break; }
          answered[res.status === 503 ? 503 : 'other']++;
        } catch {
          answered.failed++;  // refused, reset or no answer in time: not acknowledged
        }
        if (attempt % 3 === 2) await sleep(100);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const cli = (...args) => JSON.parse(execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }));
const runs = () => cli('runs', '--db', pgUrl, '--json');
const effects = () => cli('effects', '--db', pgUrl, '--json');
async function until(what, predicate, timeoutMs) {
  const start = Date.now();
  for (;;) {
    let v;
    try { v = await predicate(); } catch { v = false; }  // PostgreSQL may be restarting
    if (v) return v;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out waiting for ${what}\n${runners.map((r) => `-- ${r.name}\n${r.log.slice(-2000)}`).join('\n')}`);
    }
    await sleep(200);
  }
}
async function metric(r, name) {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && /^[a-z_]+(\{[^}]*\})? /.test(line)) sum += Number(line.split(' ').pop());
  return sum;
}

// Phase 1: the orders. Runner a is killed with kill -9 a third of the way in; its share goes
// to the others, and what it had claimed is taken over once its leases run out.
const orderEvents = Array.from({ length: orders }, (_, i) => orderEvent(`o-${i}`, { id: 100000 + i }));
const phase1 = send(orderEvents, 24);
await until('a third of the orders acknowledged', () => acked.size >= orders / 3, 60000);
up.delete(a);
await a.kill('SIGKILL');
console.log(`     runner a killed after ${acked.size} acknowledgements`);
await phase1;
await until('every order waiting for its payment', () => {
  const waiting = runs().filter((r) => r.workflow === 'order' && r.status === 'waiting').length;
  return waiting === orders;
}, 60000);

// Phase 2: the payments, each to another runner than its order went to. Runner b is paused
// a quarter of the way in, in the middle of a delivery, until another runner has taken that
// effect over (its lease ran out) and delivered it; then b is resumed and its late outcome must
// be refused. PostgreSQL is restarted halfway.
const payEvents = orderEvents.map((o, i) => ({ specversion: '1.0', id: `p-${i}`, source: '/test/shop', type: 'order.paid',
  data: { order_id: o.data.id } }));
payEvents.push(...payEvents.splice(0, 1));  // event i goes first to runner i+1, not to its order's
const before = acked.size;
const phase2 = send(payEvents, 24);
await until('some payments acknowledged', () => acked.size - before >= orders / 4, 60000);
let release;
const held = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('runner b delivered nothing for 30 s')), 30000);
  recorder.hold = (d) => {
    if (d.by !== 'b') return undefined;
    recorder.hold = null;
    up.delete(b);
    b.proc.kill('SIGSTOP');  // before the answer: b's claim on the effect is surely in flight
    clearTimeout(timer);
    resolve(d);
    return new Promise((r) => { release = r; });
  };
});
console.log(`     runner b paused after ${acked.size - before} payments, delivering ${held.id}`);
await until(`another runner to take over and deliver ${held.id}`,
  () => recorder.deliveries.some((d) => d.id === held.id && d.by !== 'b'), 10 * LEASE_MS);
release();
b.proc.kill('SIGCONT');
up.add(b);
console.log('     runner b resumed');
await until('more payments acknowledged', () => acked.size - before >= orders / 2, 60000);
execFileSync('bash', [pgTemp, 'stop', pgDir, 'fast'], { stdio: 'inherit' });
console.log('     PostgreSQL stopped');
const outage = { specversion: '1.0', id: 'outage-1', source: '/test/shop', type: 'customer.created', data: { id: 1 } };
const whileDown = await fetch(`${c.url}/v1/events`, { method: 'POST', body: JSON.stringify(outage), headers });
const readyWhileDown = await fetch(`${c.url}/readyz`);
await sleep(1000);
execFileSync('bash', [pgTemp, 'start', pgDir], { stdio: 'ignore' });
console.log('     PostgreSQL started again');
await t.test('while PostgreSQL is down, ingest answers 503 (never 202) and /readyz 503; then the runner reconnects', async () => {
  assert.equal(whileDown.status, 503);
  assert.equal(readyWhileDown.status, 503);
  await until('runner c ready again', async () => (await fetch(`${c.url}/readyz`)).status === 200, 30000);
});
await phase2;

const ticksBy = Date.now();
await until('every order run to complete', () => {
  const rs = runs().filter((r) => r.workflow === 'order');
  return rs.length === orders && rs.every((r) => r.status === 'completed');
}, 90000);
// A schedule tick passed while the runners ran (the test runs past a minute boundary).
await until('a schedule tick', () => runs().some((r) => r.workflow === 'tick'), Math.max(0, 61000 - (ticksBy - started)) + 10000);
await until('every effect to be delivered', () => {
  const es = effects();
  return es.length >= 2 * orders && es.every((e) => e.status === 'delivered');
}, 60000);
// Everything made until now is delivered; a tick that fires from here on may still be in flight.
const settled = Date.now();
const lateTick = (id) => id.startsWith('tick@') && Date.parse(id.slice(5).split('/')[0]) > settled - 2000;

await t.test('every event answered 202 produced exactly one run, and every payment resumed its order', async () => {
  assert.equal(acked.size, 2 * orders, 'every order and payment acknowledged in the end');
  const rs = runs().filter((r) => r.workflow === 'order');
  const perEvent = new Map();
  for (const r of rs) perEvent.set(r.event, (perEvent.get(r.event) || 0) + 1);
  for (const e of orderEvents) assert.equal(perEvent.get(ceKey(e.id, e.source)), 1, `order ${e.id}`);
  assert.equal(rs.length, orders);
  console.log(`     answers: ${JSON.stringify(answered)}`);
});

await t.test('every effect was delivered at least once, all deliveries of it under one idempotency key', async () => {
  const es = effects();
  const keysOf = new Map();  // what the effect is (its run and type) -> keys it was delivered under
  for (const d of recorder.deliveries) {
    assert.equal(d.key, d.id, 'the Idempotency-Key header is the effect id');
    const what = `${d.run} ${d.type}`;
    if (!keysOf.has(what)) keysOf.set(what, new Set());
    keysOf.get(what).add(d.key);
  }
  for (const [what, keys] of keysOf) assert.equal(keys.size, 1, `${what} delivered under ${[...keys].join(', ')}`);
  const delivered = new Set(recorder.deliveries.map((d) => d.id));
  for (const e of es) if (!lateTick(e.id)) assert.ok(delivered.has(e.id), `effect ${e.id} never delivered`);
  const receipts = recorder.deliveries.filter((d) => d.type === 'notify' && d.params?.message !== 'tick');
  assert.equal(new Set(receipts.map((d) => d.id)).size, orders, 'no waiting run was lost: every order got its receipt');
  console.log(`     ${es.length} effects, ${recorder.deliveries.length} deliveries (${recorder.deliveries.length - delivered.size} repeated)`);
});

await t.test('each schedule tick fired once across the runners', async () => {
  // A tick's run is named after its minute (tick@TIME): one run per minute that began while the
  // runners ran, none missing, none twice, and one report delivered for each.
  const checked = Date.now();
  const ticks = runs().filter((r) => r.workflow === 'tick');
  const minutes = (from, to) => Math.floor(to / 60000) - Math.floor(from / 60000);
  const times = ticks.map((r) => Date.parse(r.id.split('@')[1]));
  assert.equal(new Set(times).size, ticks.length);
  for (const at of times) assert.ok(at % 60000 === 0 && at > started && at <= checked, `tick at ${new Date(at).toISOString()}`);
  assert.ok(ticks.length >= minutes(started, checked - 2000) && ticks.length <= minutes(started, checked),
    `${ticks.length} ticks from ${new Date(started).toISOString()} to ${new Date(checked).toISOString()}`);
  const reports = recorder.deliveries.filter((d) => d.params?.message === 'tick');
  assert.deepEqual([...new Set(reports.map((d) => d.run))].filter((id) => !lateTick(id)).sort(),
    ticks.map((r) => r.id).filter((id) => !lateTick(id)).sort(), 'one report per tick');
  console.log(`     ${ticks.length} ticks: ${ticks.map((r) => r.id).join(', ')}`);
});

await t.test("the paused runner's late writes were refused", async () => {
  // b's outcome of the held delivery came after c's claim: refused, and counted.
  const refused = await until('runner b to count its refused write',
    async () => metric(b, 'shopflow_lease_losses_total'), 10000).catch(() => 0);
  assert.ok(refused > 0, `shopflow_lease_losses_total of runner b is ${refused}`);
  const takeovers = (await metric(b, 'shopflow_takeovers_total')) + (await metric(c, 'shopflow_takeovers_total'));
  console.log(`     runner b: ${refused} writes refused; ${takeovers} claims taken over from a or b`);
});

await t.test('the runners woke each other by NOTIFY, and listen again after the restart', async () => {
  for (const r of [b, c]) assert.equal(await metric(r, 'shopflow_listen_connected'), 1, `runner ${r.name}`);
  const wakeups = (await metric(b, 'shopflow_wakeups_total')) + (await metric(c, 'shopflow_wakeups_total'));
  assert.ok(wakeups > 0);
  console.log(`     ${wakeups} wake-ups`);
});

await Promise.all([b, c].map((r) => r.kill('SIGTERM')));
await recorder.stop();
console.log(`     ${((Date.now() - started) / 1000).toFixed(0)} s`);
t.done();
