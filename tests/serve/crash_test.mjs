// The crash test: `kill -9` the runner in the middle of a stream of events, restart it, and
// check that nothing acknowledged was lost or done twice.
//   - every event answered 202 produced exactly one run;
//   - every effect in the outbox was delivered at least once (in the file sink);
//   - no two deliveries share an idempotency key unless they are the same effect;
//   - no waiting run was lost: every paid order's timer fired after the restart;
//   - the order tags go to a fake Shopify shop through the shopify connector, killed while
//     deliveries are in flight: every big order carries its tag in the shop, once;
//   - refunds, whose mutation takes an idempotency key, are applied in the shop exactly once
//     though the runner is killed while they are in flight.
// The sender behaves like a store: what was not acknowledged is sent again.
// Usage: node crash_test.mjs SHOPFLOW_BINARY [EVENTS]
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { FakeShopify, gid } from './fakes.mjs';
import { Runner, ceKey, orderEvent, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const total = Number(process.argv[3] || 3000);
const here = path.dirname(fileURLToPath(import.meta.url));
const TOKEN = 'crash-token';
const t = suite();
// A shop with a roomy bucket, so that a thousand tags take seconds, not minutes.
const shop = await new FakeShopify({ token: 'shpat_crash', maximum: 2000, restore: 1000 }).start();
const dir = tempDir('crash');
const config = path.join(dir, 'deploy.json');
fs.writeFileSync(config, JSON.stringify({ delivery: { routes: { 'order.tag': { adapter: 'shopify', url: shop.url, api_version: '2025-10',
  token_env: 'SHOPIFY_ADMIN_TOKEN' } } }, retry: { base_ms: 100, max_ms: 1000 } }));
const runner = new Runner(bin, path.join(here, 'bundle.json'), dir,
  { env: { SHOPFLOW_API_TOKEN: TOKEN, SHOPIFY_ADMIN_TOKEN: 'shpat_crash' }, args: ['--config', config] });
const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/cloudevents+json' };

// Every 10th event is a paid order, whose run waits 2 s on a timer.
const events = Array.from({ length: total }, (_, i) => (i % 10 === 9
  ? { specversion: '1.0', id: `c-${i}`, source: '/crash', type: 'order.paid', data: { id: i } }
  : orderEvent(`c-${i}`, { total_price: i % 3 ? '20.00' : '250.00' })));
for (const e of events) if (e.type === 'order.created' && e.data.total_price === '250.00') shop.addOrder(e.data.id);
const acked = new Set();
let killedAt = -1;

async function send(list, concurrency) {
  let next = 0;
  const failed = [];
  async function worker() {
    while (next < list.length) {
      const ev = list[next++];
      try {
        const res = await runner.post('/v1/events', JSON.stringify(ev), headers);
        if (res.status === 202) acked.add(ceKey(ev.id, ev.source)); else failed.push(ev);
      } catch {
        failed.push(ev);  // connection refused or reset: not acknowledged
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

await runner.start();
const sending = send(events, 16);
await runner.until('a third of the stream acknowledged', () => acked.size >= total / 3, 60000);
killedAt = acked.size;
await runner.kill('SIGKILL');
const unacked = await sending;
console.log(`     killed after ${killedAt} acknowledgements; ${unacked.length} requests failed and are sent again`);
await runner.start();
const stillFailed = await send(unacked, 16);
// Re-send a slice of acknowledged events too, as a store retrying on a lost response would.
await send(events.slice(0, 200), 8);

await t.test('every event was acknowledged in the end', async () => {
  assert.equal(stillFailed.length, 0);
  assert.equal(acked.size, total);
});

const paid = events.filter((e) => e.type === 'order.paid').length;
const orders = total - paid;
await runner.until('every run to complete', () => {
  const runs = runner.runs();
  return runs.length === total && runs.every((r) => r.status === 'completed');
}, 120000);

await t.test('every acknowledged event produced exactly one run', async () => {
  const runs = runner.runs();
  const perEvent = new Map();
  for (const r of runs) perEvent.set(r.event, (perEvent.get(r.event) || 0) + 1);
  for (const id of acked) assert.equal(perEvent.get(id), 1, `event ${id}`);
  assert.equal(runs.length, total);
});

await runner.until('every effect to be delivered', () => {
  const effects = runner.effects();
  return effects.length > 0 && effects.every((e) => e.status === 'delivered');
}, 120000);

await t.test('every effect was delivered at least once, and one idempotency key is one effect', async () => {
  const effects = runner.effects();
  const bigOrders = events.filter((e) => e.type === 'order.created' && e.data.total_price === '250.00').length;
  assert.equal(effects.length, orders + bigOrders + paid, 'one email per order, one tag per big order, one note per payment');
  const lines = runner.sinkLines();
  const byId = new Map();
  for (const l of lines) {
    const seen = byId.get(l.id);
    if (seen) assert.deepEqual({ type: l.type, params: l.params }, seen, `two different effects share the key ${l.id}`);
    else byId.set(l.id, { type: l.type, params: l.params });
  }
  for (const e of effects.filter((x) => x.type !== 'order.tag')) assert.ok(byId.has(e.id), `effect ${e.id} never reached the sink`);
  console.log(`     ${effects.length} effects, ${lines.length} deliveries (${lines.length - byId.size} repeated after the crash)`);
});

await t.test('no waiting run was lost: every payment note arrived', async () => {
  const notes = new Set(runner.sinkLines().filter((l) => l.type === 'notify').map((l) => l.id));
  assert.equal(notes.size, paid);
});

await t.test('every big order carries its tag in the shop, though the runner was killed while tagging', async () => {
  const big = events.filter((e) => e.type === 'order.created' && e.data.total_price === '250.00');
  for (const e of big) assert.deepEqual([...shop.order(e.data.id).tags], ['big-order'], `order ${e.data.id}`);
  // tagsAdd adds to a set: a tag sent again after the crash changes nothing (at least once,
  // applied once). Every call named an order of the shop.
  const tagged = shop.applied.filter((a) => a.op === 'tagsAdd');
  assert.ok(tagged.length >= big.length);
  assert.ok(tagged.every((a) => shop.orders.has(a.variables.id)));
  console.log(`     ${big.length} orders tagged in the shop by ${tagged.length} calls (${tagged.length - big.length} repeated after the crash)`);
  assert.ok(shop.applied.every((a) => a.variables.id.startsWith(gid('Order', ''))));
});

await runner.kill('SIGTERM');

// Refunds carry their effect's key in @idempotent: killed while refunds are in flight (the
// shop answers slowly, so some are applied in the shop but never recorded as delivered), the
// runner sends them again after the restart with the same keys, and the shop applies each once.
const refunds = 40;
shop.delayMs = 150;
const refundDir = tempDir('crash-refunds');
const refundConfig = path.join(refundDir, 'deploy.json');
fs.writeFileSync(refundConfig, JSON.stringify({ delivery: { routes: { 'refund.create': { adapter: 'shopify', url: shop.url,
  api_version: '2025-10', token_env: 'SHOPIFY_ADMIN_TOKEN' } } }, calls: { allow: ['http://127.0.0.1'] }, retry: { base_ms: 100, max_ms: 1000 } }));
const refunder = new Runner(bin, path.join(here, 'connectors_bundle.json'), refundDir,
  { env: { SHOPIFY_ADMIN_TOKEN: 'shpat_crash' }, args: ['--config', refundConfig] });
for (let i = 0; i < refunds; i++) shop.addOrder(70000 + i);
await refunder.start();
const returns = Array.from({ length: refunds }, (_, i) => ({ specversion: '1.0', id: `ret-${i}`, source: '/crash', type: 'return.closed',
  data: { order_id: 70000 + i, amount: '9.90', name: `#R${i}` } }));
const sendReturns = () => refunder.post('/v1/events', JSON.stringify(returns), { 'Content-Type': 'application/cloudevents-batch+json' });
assert.equal((await sendReturns()).status, 202);
const refundCalls = () => shop.calls.filter((c) => c.op === 'refundCreate').length;
await refunder.until('some refunds applied', () => refundCalls() >= 8, 60000);
await refunder.kill('SIGKILL');
const beforeRestart = refundCalls();
await refunder.start();
assert.equal((await sendReturns()).status, 202, 'the store sends the returns again');
await refunder.until('every refund delivered', () => {
  const e = refunder.effects();
  return e.length === refunds && e.every((x) => x.status === 'delivered');
}, 120000);

await t.test('killed while refunding: every refund applied in the shop exactly once, under its effect key', async () => {
  const applied = shop.applied.filter((a) => a.op === 'refundCreate');
  assert.equal(applied.length, refunds);
  assert.equal(new Set(applied.map((a) => a.key)).size, refunds);
  assert.deepEqual(applied.map((a) => a.key).sort(), returns.map((r) => `refund:${ceKey(r.id, r.source)}/refund`).sort());
  console.log(`     ${refunds} refunds, ${refundCalls()} refundCreate calls (${refundCalls() - refunds} sent again after the kill, ${beforeRestart} before it)`);
});

await refunder.kill('SIGTERM');
await shop.stop();
await sleep(50);
t.done();
