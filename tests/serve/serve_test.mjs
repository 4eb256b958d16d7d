// `shopflow serve` over real HTTP on loopback: events in, effects out in the file sink; every
// bad-input class refused with its status; signatures; metrics; reload; timers across restarts.
// Usage: node serve_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, ceKey, orderEvent, sign, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, 'bundle.json');
const SECRET = 'shpss_test_secret';
const TOKEN = 'test-token-123';
const t = suite();

const runner = new Runner(bin, bundle, tempDir('serve'), {
  env: { SHOPFLOW_SHOPIFY_SECRET: SECRET, SHOPFLOW_WOOCOMMERCE_SECRET: 'wc', SHOPFLOW_API_TOKEN: TOKEN },
});
await runner.start();
const auth = { Authorization: `Bearer ${TOKEN}` };
const ce = { ...auth, 'Content-Type': 'application/cloudevents+json' };

await t.test('a structured CloudEvent is accepted (202) and its workflow delivers effects to the file sink', async () => {
  const res = await runner.post('/v1/events', JSON.stringify(orderEvent('o-1', { total_price: '149.90' })), ce);
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 1, duplicates: 0 });
  const lines = await runner.until('two effects in the sink', () => (runner.sinkLines().length >= 2 ? runner.sinkLines() : null));
  assert.deepEqual(lines.map((l) => l.type).sort(), ['email.send', 'order.tag']);
  const email = lines.find((l) => l.type === 'email.send');
  assert.equal(email.params.to, 'buyer-o-1@example.com');
  assert.equal(email.params.subject, 'Order #o-1 confirmed');
  assert.equal(email.id, `confirm:${ceKey('o-1')}/email`);
  // The run's step records, as `shopflow runs --steps` shows them: the decision and its why.
  const steps = JSON.parse(runner.cli('runs', '--db', runner.db, '--steps', `confirm:${ceKey('o-1')}`, '--json'));
  assert.deepEqual(steps.map((s) => s.path), ['big', 'big/then/tag-big', 'email']);
  assert.equal(steps[0].kind, 'if');
  assert.equal(steps[0].verdict, true);
  assert.ok(steps[0].explanation, 'the condition has its explanation');
  assert.equal(steps[2].output.effect_id, `confirm:${ceKey('o-1')}/email`);
});

await t.test('the same event id twice starts one run', async () => {
  const body = JSON.stringify(orderEvent('o-1'));
  const res = await runner.post('/v1/events', body, ce);
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 0, duplicates: 1 });
  await sleep(300);
  assert.equal(runner.runs().filter((r) => r.event === ceKey('o-1')).length, 1);
});

await t.test('batch and binary mode', async () => {
  const batch = JSON.stringify([orderEvent('o-2'), orderEvent('o-3')]);
  let res = await runner.post('/v1/events', batch, { ...auth, 'Content-Type': 'application/cloudevents-batch+json' });
  assert.equal(res.status, 202);
  assert.equal((await res.json()).accepted, 2);
  res = await runner.post('/v1/events', JSON.stringify({ id: 4, email: 'b@example.com', total_price: '5.00', name: '#4' }), {
    ...auth, 'Content-Type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'o-4', 'ce-source': '/test', 'ce-type': 'order.created',
  });
  assert.equal(res.status, 202);
  await runner.until('runs for o-2..o-4', () => [ceKey('o-2'), ceKey('o-3'), ceKey('o-4', '/test')].every((key) => runner.runs().some((r) => r.event === key)));
});

await t.test('Shopify webhook: verified, mapped to order.created, deduplicated on the webhook id', async () => {
  const body = JSON.stringify({ id: 5005, name: '#5005', email: 'shop@example.com', total_price: '20.00' });
  const headers = { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Shop-Domain': 'demo.myshopify.com',
    'X-Shopify-Webhook-Id': 'wh-5005', 'X-Shopify-Hmac-Sha256': sign(SECRET, body) };
  let res = await runner.post('/webhooks/shopify', body, headers);
  assert.equal(res.status, 202);
  res = await runner.post('/webhooks/shopify', body, headers);
  assert.deepEqual(await res.json(), { accepted: 0, duplicates: 1 });
  await runner.until('the webhook run', () => runner.runs().some((r) => r.event === 'shopify:demo.myshopify.com#wh-5005'));
  res = await runner.post('/webhooks/shopify', body, { ...headers, 'X-Shopify-Hmac-Sha256': sign('wrong', body) });
  assert.equal(res.status, 401);
  res = await runner.post('/webhooks/shopify', body.replace('20.00', '0.01'), headers);
  assert.equal(res.status, 401, 'a body changed after signing is refused');
  // Header bytes that are not UTF-8 cannot become an event id: a 400 naming the header, and the
  // runner goes on.
  res = await runner.post('/webhooks/shopify', body, { ...headers, 'X-Shopify-Webhook-Id': 'caf\xe9' });
  assert.equal(res.status, 400);
  assert.deepEqual((await res.json()).error,
    { code: 'invalid_header', message: 'header X-Shopify-Webhook-Id is not valid UTF-8 (byte 4 of 4)' });
  res = await runner.post('/v1/events', '{}', { ...auth, 'Content-Type': 'application/json', 'ce-specversion': '1.0',
    'ce-id': 'caf\xe9', 'ce-source': '/test', 'ce-type': 'order.created' });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error.message, /^header ce-id: "id" is not valid UTF-8/);
  assert.equal((await fetch(`${runner.url}/healthz`)).status, 200);
});

await t.test('WooCommerce webhook and its creation ping', async () => {
  const body = JSON.stringify({ id: 77, status: 'processing', total: '21.00' });
  let res = await runner.post('/webhooks/woocommerce', body, { 'Content-Type': 'application/json', 'X-WC-Webhook-Topic': 'order.created',
    'X-WC-Webhook-Delivery-ID': 'd-77', 'X-WC-Webhook-Signature': sign('wc', body) });
  assert.equal(res.status, 202);
  res = await runner.post('/webhooks/woocommerce', 'webhook_id=3', { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.ok(res.status < 300);
});

await t.test('bad input: 400 malformed (with line), 401 token, 413 too large, 415 content type, 404 path', async () => {
  let res = await runner.post('/v1/events', '{"id": "x",\n "type": }', ce);
  assert.equal(res.status, 400);
  let body = await res.json();
  assert.equal(body.error.code, 'malformed_json');
  assert.equal(body.error.line, 2);
  res = await runner.post('/v1/events', JSON.stringify({ specversion: '1.0', source: '/s', type: 'order.created' }), ce);
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.pointer, '/id');
  res = await runner.post('/v1/events', JSON.stringify(orderEvent('o-x')), { 'Content-Type': 'application/cloudevents+json' });
  assert.equal(res.status, 401);
  res = await runner.post('/v1/events', JSON.stringify(orderEvent('o-x')), { ...ce, Authorization: 'Bearer nope' });
  assert.equal(res.status, 401);
  res = await runner.post('/v1/events', 'x'.repeat(2 * 1024 * 1024), ce);
  assert.equal(res.status, 413);
  res = await runner.post('/v1/events', 'hello', { ...auth, 'Content-Type': 'text/plain' });
  assert.equal(res.status, 415);
  res = await runner.post('/v1/nothing', '{}', ce);
  assert.equal(res.status, 404);
  // Nothing accepted before was lost, and the runner still answers.
  assert.equal((await fetch(`${runner.url}/healthz`)).status, 200);
  assert.ok(runner.runs().some((r) => r.event === ceKey('o-1')));
});

await t.test('an event no workflow takes is accepted and counted', async () => {
  const ev = { specversion: '1.0', id: 'x-1', source: '/s', type: 'inventory.changed', data: {} };
  const res = await runner.post('/v1/events', JSON.stringify(ev), ce);
  assert.equal(res.status, 202);
  const metrics = await (await fetch(`${runner.url}/metrics`)).text();
  assert.match(metrics, /shopflow_events_accepted_total\{endpoint="events"\} \d+/);
});

await t.test('/metrics is valid Prometheus text (promtool check metrics, when installed)', async () => {
  await sleep(1200);  // gauges refresh every second
  const metrics = await (await fetch(`${runner.url}/metrics`)).text();
  for (const name of ['shopflow_requests_rejected_total', 'shopflow_runs', 'shopflow_effect_deliveries_total',
    'shopflow_request_seconds_bucket', 'shopflow_inbox_pending', 'shopflow_dead_letters']) {
    assert.ok(metrics.includes(name), `${name} missing`);
  }
  assert.match(metrics, /shopflow_requests_rejected_total\{endpoint="events",reason="malformed_json"\} 1/);
  assert.match(metrics, /shopflow_runs\{workflow="confirm",status="completed"\} [1-9]/);
  let promtool = null;
  try { promtool = execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim(); } catch { /* absent */ }
  if (promtool) execFileSync(promtool, ['check', 'metrics'], { input: metrics });
  else console.log('     (promtool not installed: format checked by the assertions above only)');
});

await t.test('SIGHUP with a broken bundle is refused and logged; the old bundle keeps running', async () => {
  const dir = tempDir('reload');
  const copy = path.join(dir, 'bundle.json');
  fs.copyFileSync(bundle, copy);
  const r = new Runner(bin, copy, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN } });
  await r.start();
  fs.writeFileSync(copy, '{"format": "shopflow.bundle/1", "name": "broken", "version": "2", "workflows": [{"id": "x"}]}');
  r.proc.kill('SIGHUP');
  await r.until('the refusal in the log', () => r.log.includes('reload refused'));
  assert.match(r.log, /\/workflows\/0\/trigger/);
  const res = await r.post('/v1/events', JSON.stringify(orderEvent('r-1')), ce);
  assert.equal(res.status, 202);
  await r.until('the old bundle to run the event', () => r.runs().some((x) => x.workflow === 'confirm' && x.event === ceKey('r-1')));
  // A valid new bundle is taken.
  const next = JSON.parse(fs.readFileSync(bundle, 'utf8'));
  next.version = '2.0.0';
  fs.writeFileSync(copy, JSON.stringify(next));
  r.proc.kill('SIGHUP');
  await r.until('the reload', () => r.log.includes('"msg":"bundle reloaded"'));
  assert.match(r.log, /"version":"2.0.0"/);
  r.proc.kill('SIGTERM');
  const exit = await r.exited;
  assert.equal(exit.code, 0, 'SIGTERM stops cleanly');
});

await t.test('dead letters: listed, retried and discarded by id or all at once', async () => {
  // Every effect goes to a port where nothing listens, with one attempt: each becomes a dead letter.
  const dir = tempDir('dead');
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify({ delivery: { default: { adapter: 'http', url: 'http://127.0.0.1:9/effects' } },
    retry: { max_attempts: 1 } }));
  const r = new Runner(bin, bundle, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN }, args: ['--config', config] });
  await r.start();
  for (const id of ['d-1', 'd-2', 'd-3']) {  // big orders: an email and a tag each
    assert.equal((await r.post('/v1/events', JSON.stringify(orderEvent(id, { total_price: '149.90' })), ce)).status, 202);
  }
  const dead = () => JSON.parse(r.cli('dead-letters', '--db', r.db, '--json'));
  const letters = await r.until('six dead letters', () => (dead().length === 6 ? dead() : null));
  assert.ok(letters.every((e) => e.status === 'dead' && e.attempts === 1 && e.last_error));
  await r.kill('SIGTERM');  // so that a retried letter is not delivered (and dead) again meanwhile
  const table = r.cli('dead-letters', '--db', r.db);
  assert.match(table, /^STATUS +TYPE +ATTEMPTS +ID\n/);
  assert.match(table, /\n6 effects\n$/);
  assert.throws(() => r.cli('dead-letters', '--db', r.db, 'retry', 'no-such-effect'), /is not a dead letter/);
  assert.equal(r.cli('dead-letters', '--db', r.db, 'discard', letters[0].id).trim(), `discarded ${letters[0].id}`);
  assert.equal(r.cli('dead-letters', '--db', r.db, 'retry', letters[1].id).trim(), `retrying ${letters[1].id}`);
  assert.throws(() => r.cli('dead-letters', '--db', r.db, 'retry', letters[1].id), /is not a dead letter/);
  const all = r.cli('dead-letters', '--db', r.db, 'retry', '--all').trim().split('\n');
  assert.deepEqual(all, letters.slice(2).map((e) => `retrying ${e.id}`));
  assert.equal(dead().length, 0);
  const statuses = r.effects().filter((e) => e.id.includes('#d-')).map((e) => e.status);
  assert.equal(statuses.filter((s) => s === 'discarded').length, 1);
  assert.equal(statuses.filter((s) => s === 'pending').length, 5);
});

await t.test('a timer set before a restart fires after it', async () => {
  const ev = { specversion: '1.0', id: 'p-1', source: '/s', type: 'order.paid', data: { id: 901 } };
  const res = await runner.post('/v1/events', JSON.stringify(ev), ce);
  assert.equal(res.status, 202);
  await runner.until('the run to wait', () => runner.runs().some((r) => r.event === ceKey('p-1', '/s') && r.status === 'waiting'));
  await runner.kill('SIGKILL');
  await sleep(2500);  // the timer falls due while the runner is down
  await runner.start();
  await runner.until('the note after the restart', () => runner.sinkLines().some((l) => l.type === 'notify' && l.params.message === 'order 901 was paid'));
  assert.equal(runner.runs().find((r) => r.event === ceKey('p-1', '/s')).status, 'completed');
});

await runner.kill('SIGTERM');
t.done();
