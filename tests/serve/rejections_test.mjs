// Events a trigger filter rejected, in production: `shopflow runs --rejected` says which
// workflow did not start and why, /metrics counts them by workflow, and the deployment config's
// filter_rejections.keep bounds how long they are kept (pruned when the runner works, also right
// after it starts).
// Usage: node rejections_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, ceKey, freePort, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, '..', 'data', 'named-rules.json');
const t = suite();
const ce = { 'Content-Type': 'application/cloudevents+json' };

// The bundle's hold-for-review workflow holds big first orders and orders to risky countries.
const order = (id, data) => JSON.stringify({ specversion: '1.0', id, source: '/test/shop', type: 'order.created',
  time: new Date().toISOString(), data: { id: 1, name: `#${id}`, ...data } });
const usual = { total_price: '1200.00', customer: { orders_count: 5 }, shipping_address: { country_code: 'DE' } };
const risky = { total_price: '20.00', customer: { orders_count: 5 }, shipping_address: { country_code: 'XX' } };

const dir = tempDir('rejections');
const config = path.join(dir, 'config.json');
fs.writeFileSync(config, JSON.stringify({ filter_rejections: { keep: 'PT2S' } }));
const runner = new Runner(bin, bundle, dir, { args: ['--config', config] });
await runner.start();
const rejected = () => JSON.parse(runner.cli('runs', '--db', runner.db, '--rejected', '--json'));

await t.test('an order the filter rejects starts no run and is listed with why', async () => {
  assert.equal((await runner.post('/v1/events', order('usual-1', usual), ce)).status, 202);
  assert.equal((await runner.post('/v1/events', order('risky-1', risky), ce)).status, 202);
  await runner.until('the risky order held', () => runner.runs().some((r) => r.event === ceKey('risky-1')));
  await runner.until('the usual order listed', () => rejected().length === 1);
  assert.ok(!runner.runs().some((r) => r.event === ceKey('usual-1')), 'the rejected order started no run');
  const [r] = rejected();
  assert.equal(r.workflow, 'hold-for-review');
  assert.equal(r.event, ceKey('usual-1'));
  assert.equal(r.type, 'order.created');
  assert.equal(r.explanation.rule, 'flagged');
  assert.equal(r.explanation.result, false);
  const text = runner.cli('runs', '--db', runner.db, '--rejected');
  assert.match(text, /order\.created ce:\/test\/shop#usual-1 did not start hold-for-review: its filter was false because /);
  assert.match(text, /<=\(event\.data\.customer\.orders_count = 5, 1\) was false/);
  assert.match(text, /lookup\("high_risk_countries", event\.data\.shipping_address\.country_code = "DE"\)/);
  assert.match(text, /^1 rejected event$/m);
  console.log(text.trim().split('\n').map((l) => `     ${l}`).join('\n'));
  assert.equal(JSON.parse(runner.cli('runs', '--db', runner.db, '--rejected', '--workflow', 'weekly-summary', '--json')).length, 0);
});

await t.test('/metrics counts rejections by workflow', async () => {
  const metrics = await runner.until('the counter', async () => {
    const m = await (await fetch(`${runner.url}/metrics`)).text();
    return /shopflow_filter_rejections_total\{workflow="hold-for-review"\} 1\b/.test(m) ? m : null;
  });
  assert.match(metrics, /# TYPE shopflow_filter_rejections_total counter/);
  assert.match(metrics, /shopflow_filter_rejections_total\{workflow="weekly-summary"\} 0\b/);
});

await t.test('rejections older than filter_rejections.keep are pruned', async () => {
  await runner.kill('SIGTERM');
  await sleep(2500);  // past the 2 s the config keeps them
  await runner.start();
  await runner.until('the old rejection pruned', () => rejected().length === 0);
  assert.ok(runner.runs().some((r) => r.event === ceKey('risky-1')), 'runs are kept');
});

await t.test('with the default keep (7 days) a restart keeps them', async () => {
  await runner.kill('SIGTERM');
  fs.writeFileSync(config, JSON.stringify({}));
  await runner.start();
  assert.equal((await runner.post('/v1/events', order('usual-2', usual), ce)).status, 202);
  await runner.until('the new rejection', () => rejected().length === 1);
  await runner.kill('SIGTERM');
  await runner.start();
  await sleep(500);
  assert.equal(rejected().length, 1);
});

await t.test('a keep that is not a duration is refused at start, naming the setting', async () => {
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ filter_rejections: { keep: 'a week' } }));
  let out = '';
  try {
    execFileSync(bin, ['serve', bundle, '--db', path.join(dir, 'other.db'), '--listen', `127.0.0.1:${await freePort()}`, '--config', bad],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  } catch (e) { out = `${e.stdout}${e.stderr}`; }
  assert.match(out, /\/filter_rejections\/keep: must be a positive ISO 8601 duration/);
});

await runner.kill('SIGTERM');
t.done();
