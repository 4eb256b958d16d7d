// PostgreSQL goes away under a runner in the middle of a stream of events, and comes back:
//   - while it is away, ingest answers 503 (never 202: nothing is acknowledged that was not
//     committed) and /readyz answers 503;
//   - the runner reconnects by itself (/readyz 200 again, shopflow_store_reconnects_total);
//   - every event answered 202, before, during or after, produced exactly one run, and every
//     effect was delivered.
// The sender behaves like a store: what was not acknowledged is sent again.
// Run under tests/support/pg_temp.sh, which gives SHOPFLOW_TEST_PG and SHOPFLOW_PG_DIR.
// Usage: node outage_test.mjs SHOPFLOW_BINARY [EVENTS]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, ceKey, orderEvent, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const total = Number(process.argv[3] || 1500);
const here = path.dirname(fileURLToPath(import.meta.url));
const pgDir = process.env.SHOPFLOW_PG_DIR;
if (!process.env.SHOPFLOW_TEST_PG || !pgDir) {
  console.error('outage_test: run me under tests/support/pg_temp.sh run (SHOPFLOW_TEST_PG is not set)');
  process.exit(2);
}
const pgTemp = path.join(here, '..', 'support', 'pg_temp.sh');
const t = suite();
const runner = new Runner(bin, path.join(here, 'bundle.json'), tempDir('outage'));
await runner.start();
const headers = { 'Content-Type': 'application/cloudevents+json' };
const events = Array.from({ length: total }, (_, i) => orderEvent(`out-${i}`, { total_price: '20.00' }));
const acked = new Set();
const statuses = new Map();
let down = false;
const whileDown = new Map();  // answers given while the server was stopped

async function send(list, concurrency) {
  let next = 0;
  async function worker() {
    while (next < list.length) {
      const ev = list[next++];
      for (;;) {
        const wasDown = down;
        let status = 0;
        try {
          const res = await runner.post('/v1/events', JSON.stringify(ev), headers);
          await res.arrayBuffer();
          status = res.status;
        } catch { /* not acknowledged */ }
        statuses.set(status, (statuses.get(status) || 0) + 1);
        if (wasDown && down) whileDown.set(status, (whileDown.get(status) || 0) + 1);
        if (status === 202) { acked.add(ceKey(ev.id, ev.source)); break; }
        await sleep(50);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const sending = send(events, 16);
await runner.until('a third of the stream acknowledged', () => acked.size >= total / 3, 60000);
execFileSync('bash', [pgTemp, 'stop', pgDir, 'fast'], { stdio: 'inherit' });
down = true;
await runner.until('an answer while PostgreSQL is down', () => whileDown.size > 0, 10000);
const ready = await fetch(`${runner.url}/readyz`);
await sleep(1000);
down = false;
execFileSync('bash', [pgTemp, 'start', pgDir], { stdio: 'ignore' });
await sending;

await t.test('while PostgreSQL was down, ingest answered 503 and /readyz 503, never 202', async () => {
  assert.equal(ready.status, 503);
  assert.ok(!whileDown.has(202), `answers while down: ${JSON.stringify([...whileDown])}`);
  assert.ok(whileDown.has(503), `answers while down: ${JSON.stringify([...whileDown])}`);
  console.log(`     answers: ${JSON.stringify([...statuses])}, while down: ${JSON.stringify([...whileDown])}`);
});

await t.test('the runner reconnected by itself', async () => {
  await runner.until('/readyz 200', async () => (await fetch(`${runner.url}/readyz`)).status === 200, 30000);
  const metrics = await (await fetch(`${runner.url}/metrics`)).text();
  assert.match(metrics, /shopflow_store_reconnects_total\{outcome="ok"\} [1-9]/);
  assert.match(metrics, /shopflow_store_up 1/);
});

await runner.until('every run to complete', () => {
  const runs = runner.runs();
  return runs.length === total && runs.every((r) => r.status === 'completed');
}, 120000);

await t.test('every acknowledged event produced exactly one run, and every effect was delivered', async () => {
  assert.equal(acked.size, total);
  const perEvent = new Map();
  for (const r of runner.runs()) perEvent.set(r.event, (perEvent.get(r.event) || 0) + 1);
  for (const id of acked) assert.equal(perEvent.get(id), 1, `event ${id}`);
  await runner.until('every effect delivered', () => {
    const effects = runner.effects();
    return effects.length === total && effects.every((e) => e.status === 'delivered');
  }, 60000);
});

await runner.kill('SIGTERM');
t.done();
