// The store connectors end to end: `shopflow serve` delivers effects to fake Shopify,
// WooCommerce and Slack servers over real HTTP on loopback, and each fake checks the token, the
// mutation and its variables as the real API does.
// Usage: node connectors_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { FakeShopify, FakeSlack, FakeWoo, gid } from './fakes.mjs';
import { Runner, ceKey, freePort, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, 'connectors_bundle.json');
const mutationsBundle = path.join(here, 'mutations_bundle.json');
const TOKEN = 'shpat_test_token';
const t = suite();
// Every runner started here is stopped when the test ends, also when a check failed midway.
const started = [];
process.on('exit', () => { for (const r of started) if (r.proc && r.proc.exitCode === null) r.proc.kill('SIGKILL'); });
// The CLI, without blocking this process: the fakes answer from its event loop.
const shopflow = (args, env = {}) => new Promise((resolve) => {
  execFile(bin, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 },
    (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
});

const order = (id, fields = {}) => ({ specversion: '1.0', id: `order-${id}`, source: '/test/shop', type: 'order.created',
  data: { id, name: `#${id}`, email: `b${id}@example.com`, total_price: '20.00', ...fields } });
const ce = { 'Content-Type': 'application/cloudevents-batch+json' };

// A runner whose deployment config routes the bundle's effects to the fakes.
// The bundle's lookup calls a fake on loopback, which the config must allow.
async function runnerFor(name, routes, { retry = { max_attempts: 8, base_ms: 100, max_ms: 400 }, env = {}, calls = { allow: ['http://127.0.0.1'] }, bundlePath = bundle } = {}) {
  const dir = tempDir(name);
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify({ delivery: { routes }, retry, ...(calls ? { calls } : {}) }));
  const r = new Runner(bin, bundlePath, dir, { env: { SHOPIFY_ADMIN_TOKEN: TOKEN, ...env }, args: ['--config', config] });
  r.config = config;
  started.push(r);
  await r.start();
  return r;
}
const shopifyRoute = (shop, extra = {}) => ({ adapter: 'shopify', url: shop.url, api_version: '2025-10', token_env: 'SHOPIFY_ADMIN_TOKEN', ...extra });
const settled = (r) => r.until('every effect delivered or dead', () => {
  const effects = r.effects();
  return effects.length > 0 && effects.every((e) => e.status !== 'pending') ? effects : null;
}, 30000);

const shop = await new FakeShopify({ token: TOKEN }).start();
const slack = await new FakeSlack().start();

await t.test('a route to an effect type the adapter cannot perform is refused at start, naming the route', async () => {
  const dir = tempDir('refuse');
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify({ delivery: { routes: { 'email.send': shopifyRoute(shop) } }, calls: { allow: ['http://127.0.0.1'] } }));
  const r = spawnSync(bin, ['serve', bundle, '--db', path.join(dir, 's.db'), '--listen', '127.0.0.1:1', '--config', config],
    { env: { ...process.env, SHOPIFY_ADMIN_TOKEN: TOKEN }, encoding: 'utf8', timeout: 10000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /\/delivery\/routes\/email\.send/);
  assert.match(r.stderr, /cannot perform email\.send/);
});

await t.test('orders are tagged, noted and held in the shop; the fraud team is told in Slack', async () => {
  for (const id of [1001, 1002, 1003]) shop.addOrder(id);
  const r = await runnerFor('shopify', { 'order.tag': shopifyRoute(shop), 'order.note': shopifyRoute(shop), 'order.hold': shopifyRoute(shop),
    notify: { adapter: 'slack', url_env: 'SLACK_WEBHOOK_URL' } }, { env: { SLACK_WEBHOOK_URL: slack.hook } });
  const res = await r.post('/v1/events', JSON.stringify([order(1001), order(1002, { risk_level: 'high' }), order(1003, { risk_level: 'medium' })]), ce);
  assert.equal(res.status, 202);
  const effects = await settled(r);
  assert.deepEqual(effects.filter((e) => e.status !== 'delivered'), []);
  for (const id of [1001, 1002, 1003]) assert.deepEqual([...shop.order(id).tags].sort(), ['checked', 'shopflow'], `order ${id}`);
  assert.equal(shop.order(1003).note, 'Medium risk: check the addresses before packing.');
  const fo = shop.order(1002).fulfillmentOrders[0];
  assert.equal(fo.status, 'ON_HOLD');
  assert.deepEqual(fo.holds, [{ handle: `check:${ceKey('order-1002')}/risky/then/hold`, reason: 'HIGH_RISK_OF_FRAUD', notes: 'high fraud risk' }]);
  assert.equal(shop.order(1001).fulfillmentOrders[0].status, 'OPEN');
  assert.deepEqual(slack.messages.map((m) => m.text), ['Order #1002 is on hold: high fraud risk']);
  // Numeric ids from the webhook became GIDs in the variables.
  assert.ok(shop.applied.some((a) => a.op === 'tagsAdd' && a.variables.id === gid('Order', 1001)));
  await r.kill('SIGTERM');
});

await t.test('Connect your store: the order-processing bundle with workflows/deploy/shopify.json tags, notes and holds orders', async () => {
  for (const id of [8001, 8002, 8003, 8004]) shop.addOrder(id);
  shop.addCustomer(9004);
  // The library's deployment config, pointed at the fake shop instead of example.myshopify.com.
  const deploy = JSON.parse(fs.readFileSync(path.join(here, '../../workflows/deploy/shopify.json'), 'utf8'));
  for (const route of Object.values(deploy.delivery.routes)) { delete route.shop; route.url = shop.url; }
  const dir = tempDir('library');
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify(deploy));
  const r = new Runner(bin, path.join(here, '../../workflows/order-processing.json'), dir,
    { env: { SHOPIFY_CLIENT_ID: 'library-app', SHOPIFY_CLIENT_SECRET: 'library-secret' }, args: ['--config', config] });
  shop.client = { id: 'library-app', secret: 'library-secret' };
  started.push(r);
  await r.start();
  const address = { address1: 'Keizersgracht 1', city: 'Amsterdam', zip: '1015 CJ', country_code: 'NL' };
  const created = (id, data) => ({ specversion: '1.0', id: `lib-${id}`, source: '/t', type: 'order.created',
    data: { id, name: `#${id}`, email: `b${id}@example.com`, total_price: '30.00', financial_status: 'paid', shipping_address: address, ...data } });
  const res = await r.post('/v1/events', JSON.stringify([created(8001, { risk_level: 'high' }), created(8002, { risk_level: 'medium' }),
    created(8003, { email: null }),
    { specversion: '1.0', id: 'lib-8004-paid', source: '/t', type: 'order.paid', data: { id: 8004, name: '#8004', company: 'Acme GmbH',
      customer: { id: 9004, email: 'buyer@acme.example', tags: '', total_spent: '30.00', first_name: 'Ada' } } }]), ce);
  assert.equal(res.status, 202);
  await r.until('the store effects settled', () => {
    const e = r.effects().filter((x) => deploy.delivery.routes[x.type]);
    return e.length >= 5 && e.every((x) => x.status !== 'pending');
  });
  const store = r.effects().filter((x) => deploy.delivery.routes[x.type]);
  assert.deepEqual(store.filter((e) => e.status !== 'delivered').map((e) => [e.id, e.last_error]), []);
  assert.deepEqual(shop.order(8001).fulfillmentOrders[0].holds.map((h) => [h.reason, h.notes]), [['HIGH_RISK_OF_FRAUD', 'high fraud risk']]);
  assert.equal(shop.order(8002).note, 'Medium fraud risk: check that the billing and shipping addresses belong together before packing.');
  assert.equal(shop.order(8003).fulfillmentOrders[0].status, 'ON_HOLD');
  assert.deepEqual([...shop.order(8004).tags].sort(), ['Acme GmbH', 'B2B']);
  assert.deepEqual([...shop.customer(9004).tags], ['B2B']);
  await r.kill('SIGTERM');
});

await t.test('a Dev Dashboard app: its client credentials are exchanged for a token, once for many calls', async () => {
  for (const id of [1101, 1102, 1103]) shop.addOrder(id);
  shop.client = { id: 'client-id-1', secret: 'client-secret-1' };
  shop.grants = 0;
  const route = { adapter: 'shopify', url: shop.url, api_version: '2025-10', client_id_env: 'SHOPIFY_CLIENT_ID', client_secret_env: 'SHOPIFY_CLIENT_SECRET' };
  const r = await runnerFor('grant', { 'order.tag': route }, { env: { SHOPIFY_CLIENT_ID: 'client-id-1', SHOPIFY_CLIENT_SECRET: 'client-secret-1' } });
  await r.post('/v1/events', JSON.stringify([order(1101), order(1102), order(1103)]), ce);
  const effects = await settled(r);
  assert.deepEqual(effects.map((e) => e.status), ['delivered', 'delivered', 'delivered']);
  for (const id of [1101, 1102, 1103]) assert.deepEqual([...shop.order(id).tags].sort(), ['checked', 'shopflow']);
  assert.equal(shop.grants, 1);
  await r.kill('SIGTERM');
  // Wrong credentials: refused at once, and said so.
  shop.addOrder(1104);
  const bad = await runnerFor('grant-bad', { 'order.tag': route }, { env: { SHOPIFY_CLIENT_ID: 'client-id-1', SHOPIFY_CLIENT_SECRET: 'wrong' } });
  await bad.post('/v1/events', JSON.stringify([order(1104)]), ce);
  const [e] = await settled(bad);
  assert.equal(e.status, 'dead');
  assert.match(e.last_error, /Shopify refused the app's client credentials \(HTTP 400\)/);
  await bad.kill('SIGTERM');
});

await t.test('a throttled shop slows the adapter: nothing lost, nothing doubled, THROTTLED is not a failed attempt', async () => {
  // A small bucket: 60 points, 100 restored per second; each call costs 10. Another app has
  // just drained it, so the first calls are THROTTLED whatever the adapter knows.
  const small = await new FakeShopify({ token: TOKEN, maximum: 60, restore: 100, cost: 10 }).start();
  const ids = Array.from({ length: 40 }, (_, i) => 2000 + i);
  ids.forEach((id) => small.addOrder(id));
  small.throttleNext = 3;
  // One attempt only: a THROTTLED answer counted as a failure would send the effect to the dead letters.
  const r = await runnerFor('throttle', { 'order.tag': shopifyRoute(small) }, { retry: { max_attempts: 1 } });
  const res = await r.post('/v1/events', JSON.stringify(ids.map((id) => order(id))), ce);
  assert.equal(res.status, 202);
  const effects = await settled(r);
  assert.deepEqual(effects.filter((e) => e.status !== 'delivered').map((e) => [e.id, e.last_error]), []);
  assert.equal(effects.length, ids.length);
  assert.ok(effects.every((e) => e.attempts <= 1), 'throttled tries are not counted as attempts');
  const applied = small.applied.filter((a) => a.op === 'tagsAdd').map((a) => a.variables.id);
  assert.equal(applied.length, ids.length, 'each order tagged by exactly one applied call');
  assert.equal(new Set(applied).size, ids.length);
  assert.ok(small.calls.filter((c) => c.status === 'THROTTLED').length >= 3);
  // 400 points through a 60-point bucket: a client that did not wait on throttleStatus would be
  // THROTTLED on most calls after the sixth.
  assert.ok(small.naturalThrottles <= 3, `the adapter overdrew the bucket ${small.naturalThrottles} times`);
  assert.match(await (await fetch(`${r.url}/metrics`)).text(), /shopflow_effect_deliveries_total\{[^}]*outcome="throttled"[^}]*\} [1-9]/);
  await r.kill('SIGTERM');
  await small.stop();
});

await t.test('userErrors go to the dead letters at once with Shopify\'s message and field; 5xx is retried', async () => {
  shop.addOrder(3001);
  const r = await runnerFor('errors', { 'order.tag': shopifyRoute(shop) });
  let res = await r.post('/v1/events', JSON.stringify([order(3999)]), ce);
  assert.equal(res.status, 202);
  const [missing] = await settled(r);
  assert.equal(missing.status, 'dead');
  assert.equal(missing.attempts, 1, 'a business error is not retried');
  assert.match(missing.last_error, /Shopify refused tagsAdd: id: Order does not exist/);
  shop.failNext = 2;
  res = await r.post('/v1/events', JSON.stringify([order(3001)]), ce);
  assert.equal(res.status, 202);
  const effects = await settled(r);
  const ok = effects.find((e) => e.id === `check:${ceKey('order-3001')}/tag`);
  assert.equal(ok.status, 'delivered');
  assert.equal(ok.attempts, 3, 'two 503 answers, then the tag');
  assert.deepEqual([...shop.order(3001).tags].sort(), ['checked', 'shopflow']);
  await r.kill('SIGTERM');
});

await t.test('a refused token: dead letter at once, one log line and a metric', async () => {
  shop.addOrder(4001);
  const r = await runnerFor('token', { 'order.tag': shopifyRoute(shop) }, { env: { SHOPIFY_ADMIN_TOKEN: 'shpat_wrong' } });
  await r.post('/v1/events', JSON.stringify([order(4001)]), ce);
  const [e] = await settled(r);
  assert.equal(e.status, 'dead');
  assert.equal(e.attempts, 1);
  assert.match(e.last_error, /refused the access token \(HTTP 401\)/);
  assert.equal(shop.order(4001).tags.size, 0);
  assert.match(await (await fetch(`${r.url}/metrics`)).text(), /shopflow_connector_credentials_refused_total\{type="order\.tag"\} 1/);
  assert.equal(r.log.split('\n').filter((l) => l.includes('refused the credentials')).length, 1);
  await r.kill('SIGTERM');
});

await t.test('refund.create carries the effect key in @idempotent and goes through the order\'s payment', async () => {
  shop.addOrder(5001);
  const r = await runnerFor('refund', { 'refund.create': shopifyRoute(shop) });
  await r.post('/v1/events', JSON.stringify([{ specversion: '1.0', id: 'ret-1', source: '/t', type: 'return.closed',
    data: { order_id: 5001, amount: '12.50', name: '#R1' } }]), ce);
  const [e] = await settled(r);
  assert.equal(e.status, 'delivered', e.last_error);
  const refund = shop.applied.find((a) => a.op === 'refundCreate');
  assert.equal(refund.key, `refund:${ceKey('ret-1', '/t')}/refund`);
  assert.deepEqual(refund.variables.input.transactions, [{ orderId: gid('Order', 5001), parentId: gid('OrderTransaction', '50011'),
    gateway: 'shopify_payments', kind: 'REFUND', amount: '12.50' }]);
  assert.equal(refund.variables.input.note, 'Return #R1');
  await r.kill('SIGTERM');
});

await t.test('Slack: 429 waits for Retry-After without counting an attempt; a 4xx is permanent', async () => {
  shop.addOrder(6001);
  shop.addOrder(6002);
  slack.messages = [];
  slack.answers = [[429, 'rate_limited', { 'Retry-After': '1' }]];
  const r = await runnerFor('slack', { 'order.hold': shopifyRoute(shop), notify: { adapter: 'slack', url_env: 'SLACK_WEBHOOK_URL' } },
    { env: { SLACK_WEBHOOK_URL: slack.hook }, retry: { max_attempts: 1 } });
  await r.post('/v1/events', JSON.stringify([order(6001, { risk_level: 'high' })]), ce);
  let effects = await settled(r);
  assert.equal(effects.find((e) => e.type === 'notify').status, 'delivered');
  assert.equal(slack.messages.length, 1);
  slack.answers = [[404, 'channel_not_found']];
  await r.post('/v1/events', JSON.stringify([order(6002, { risk_level: 'high' })]), ce);
  await r.until('the second notify settled', () => r.effects().filter((e) => e.type === 'notify' && e.status !== 'pending').length === 2);
  effects = r.effects();
  const dead = effects.find((e) => e.id === `check:${ceKey('order-6002')}/risky/then/tell`);
  assert.equal(dead.status, 'dead');
  assert.match(dead.last_error, /Slack answered 404: channel_not_found/);
  assert.ok(!dead.last_error.includes('XXXX'), 'the webhook URL (a secret) is not in the error');
  await r.kill('SIGTERM');
});

await t.test('WooCommerce: notes, on-hold status and refunds over REST v3 with the consumer key', async () => {
  const woo = await new FakeWoo({ key: 'ck_test', secret: 'cs_test' }).start();
  for (const id of ['7001', '7002', '7003']) woo.orders.set(id, { status: 'processing', notes: [], refunds: [] });
  const route = { adapter: 'woocommerce', url: woo.url, key_env: 'WC_KEY', secret_env: 'WC_SECRET' };
  const r = await runnerFor('woo', { 'order.note': route, 'order.hold': route, 'refund.create': route },
    { env: { WC_KEY: 'ck_test', WC_SECRET: 'cs_test' } });
  await r.post('/v1/events', JSON.stringify([order(7001, { risk_level: 'medium' }), order(7002, { risk_level: 'high' }),
    { specversion: '1.0', id: 'ret-7', source: '/t', type: 'return.closed', data: { order_id: 7003, amount: '5.00', name: '#R7' } }]), ce);
  await r.until('the woo effects settled', () => {
    const e = r.effects().filter((x) => x.type !== 'order.tag' && x.type !== 'notify');
    return e.length === 3 && e.every((x) => x.status !== 'pending');
  });
  const effects = r.effects().filter((x) => x.type !== 'order.tag' && x.type !== 'notify');
  assert.deepEqual(effects.filter((e) => e.status !== 'delivered').map((e) => e.last_error), []);
  assert.deepEqual(woo.orders.get('7001').notes, [{ note: 'Medium risk: check the addresses before packing.', customer_note: false }]);
  assert.equal(woo.orders.get('7002').status, 'on-hold');
  const [refund] = woo.orders.get('7003').refunds;
  assert.equal(refund.amount, '5.00');
  assert.deepEqual(refund.meta_data, [{ key: '_shopflow_effect', value: `refund:${ceKey('ret-7', '/t')}/refund` }]);
  await r.kill('SIGTERM');
  await woo.stop();
});

await t.test('a slow API never holds up a webhook: calls wait off the engine thread and their answers resume the runs', async () => {
  // An API that answers after 8 s; the runs that call it wait, the others go on.
  const port = await freePort();
  const asked = [];
  const slow = http.createServer((req, res) => {
    asked.push(req.url);
    setTimeout(() => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ orders_count: 7 })); }, 8000);
  });
  await new Promise((resolve) => slow.listen(port, '127.0.0.1', resolve));
  const r = await runnerFor('slow', {});
  const lookups = [9001, 9002, 9003].map((id) => order(id, { lookup_port: port }));
  let res = await r.post('/v1/events', JSON.stringify(lookups), ce);
  assert.equal(res.status, 202);
  await r.until('the three calls made', () => asked.length === 3);
  // While the calls wait, webhooks keep coming; each acknowledgement is timed.
  const latencies = [];
  const until = Date.now() + 6000;
  let next = 9100;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < until) {
      const id = next++;
      const t0 = performance.now();
      res = await r.post('/v1/events', JSON.stringify([order(id)]), ce);
      latencies.push(performance.now() - t0);
      assert.equal(res.status, 202);
      await sleep(20);
    }
  }));
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)];
  console.log(`     ${latencies.length} acknowledgements while 3 calls waited 8 s: p99 ${p99.toFixed(1)} ms`);
  assert.ok(latencies.length > 50);
  assert.ok(p99 < 1000, `p99 of acknowledgements ${p99.toFixed(0)} ms`);
  // The answers resume the runs: each note carries what the API said.
  await r.until('the lookup runs completed', () => r.runs().filter((x) => x.workflow === 'lookup' && x.status === 'completed').length === 3, 30000);
  await r.until('the notes delivered', () => r.sinkLines().filter((l) => l.type === 'order.note').length === 3);
  const notes = r.sinkLines().filter((l) => l.type === 'order.note');
  assert.deepEqual(notes.map((l) => l.params.note), ['7 earlier orders', '7 earlier orders', '7 earlier orders']);
  assert.deepEqual(asked.sort(), ['/customers?order=9001', '/customers?order=9002', '/customers?order=9003']);
  const calls = r.effects().filter((e) => e.type === 'http.request');
  assert.deepEqual(calls.map((e) => e.status), ['delivered', 'delivered', 'delivered']);
  await r.kill('SIGTERM');
  slow.closeAllConnections();
  slow.close();
});

await t.test('a call not answered before a crash is made again after the restart, with the same idempotency key', async () => {
  const port = await freePort();
  const keys = [];
  const api = http.createServer((req, res) => {
    keys.push(req.headers['idempotency-key']);
    setTimeout(() => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ orders_count: 3 })); }, 1500);
  });
  await new Promise((resolve) => api.listen(port, '127.0.0.1', resolve));
  const r = await runnerFor('call-crash', {});
  await r.post('/v1/events', JSON.stringify([order(9701, { lookup_port: port }), order(9702, { lookup_port: port })]), ce);
  await r.until('both calls made', () => keys.length === 2);
  await r.kill('SIGKILL');
  await r.start();
  await r.until('the calls made again and the runs completed',
    () => r.runs().filter((x) => x.workflow === 'lookup' && x.status === 'completed').length === 2, 30000);
  assert.deepEqual(keys.sort(), ['order-9701', 'order-9701', 'order-9702', 'order-9702'].map((id) => `lookup:${ceKey(id)}/ask`));
  await r.until('the notes delivered', () => r.sinkLines().filter((l) => l.type === 'order.note').length === 2);
  assert.deepEqual(r.sinkLines().filter((l) => l.type === 'order.note').map((l) => l.params.note), ['3 earlier orders', '3 earlier orders']);
  await r.kill('SIGTERM');
  api.closeAllConnections();
  api.close();
});

await t.test('shopify.query reads the store off the engine thread; the answer decides the run', async () => {
  shop.addOrder(9601);
  shop.addOrder(9602);
  shop.addCustomer(77).numberOfOrders = 9;
  shop.addCustomer(78).numberOfOrders = 1;
  const r = await runnerFor('query', { 'shopify.query': shopifyRoute(shop), 'order.tag': shopifyRoute(shop) });
  await r.post('/v1/events', JSON.stringify([order(9601, { customer: { id: 77 } }), order(9602, { customer: { id: 78 } })]), ce);
  await r.until('the loyal runs completed', () => r.runs().filter((x) => x.workflow === 'loyal' && x.status === 'completed').length === 2);
  await settled(r);
  assert.deepEqual([...shop.order(9601).tags].sort(), ['checked', 'loyal', 'shopflow']);
  assert.deepEqual([...shop.order(9602).tags].sort(), ['checked', 'shopflow']);
  const steps = JSON.parse(r.cli('runs', '--db', r.db, '--steps', `loyal:${ceKey('order-9601')}`, '--json'));
  assert.deepEqual(steps.find((x) => x.path === 'orders').output.body, { data: { customer: { numberOfOrders: 9 } } });
  await r.kill('SIGTERM');
});

await t.test('calls leave only where ops allow: checked at start, on reload, after name resolution', async () => {
  const port = await freePort();
  let reached = 0;
  const inside = http.createServer((req, res) => { reached++; res.end('{}'); });
  await new Promise((resolve) => inside.listen(port, '127.0.0.1', resolve));
  // At start: a url whose host comes from the run's data cannot be checked against a list.
  const dir = tempDir('egress');
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify({ calls: { allow: ['erp.example.com'] } }));
  let out = await shopflow(['serve', bundle, '--db', path.join(dir, 's.db'), '--listen', '127.0.0.1:1', '--config', config]);
  assert.equal(out.status, 1);
  assert.match(out.stderr, /\/workflows\/2\/steps\/0\/params\/url: http:\/\/127\.0\.0\.1 is not among the hosts the deployment config allows/);
  // At start, without a list: cloud metadata is refused.
  const meta = path.join(dir, 'meta.json');
  const metaBundle = (url) => JSON.stringify({ format: 'shopflow.bundle/1', name: 'meta', version: '1', workflows: [{ id: 'w',
    trigger: { event: 'order.created' }, steps: [{ id: 'ask', action: 'http.request', params: { method: 'GET', url } }] }] });
  fs.writeFileSync(meta, metaBundle('http://169.254.169.254/latest/meta-data/iam/'));
  out = await shopflow(['serve', meta, '--db', path.join(dir, 's2.db'), '--listen', '127.0.0.1:1']);
  assert.equal(out.status, 1);
  assert.match(out.stderr, /\/workflows\/0\/steps\/0\/params\/url: 169\.254\.169\.254 is an internal address/);
  // With a list, a host that comes from the run's data cannot be checked: refused.
  fs.writeFileSync(meta, metaBundle('https://{{ event.data.host }}/stock'));
  out = await shopflow(['serve', meta, '--db', path.join(dir, 's3.db'), '--listen', '127.0.0.1:1', '--config', config]);
  assert.equal(out.status, 1);
  assert.match(out.stderr, /\/workflows\/0\/steps\/0\/params\/url: the url's host comes from the run's data/);
  // When the call is made (no list): loopback, by address and by a name resolving to it, and
  // cloud metadata are refused.
  const probe = path.join(dir, 'probe.json');
  fs.writeFileSync(probe, metaBundle('http://{{ event.data.host }}:{{ event.data.port }}/x'));
  const r = await runnerFor('egress-run', {}, { calls: null, bundlePath: probe });
  await r.post('/v1/events', JSON.stringify([order(9501, { host: '127.0.0.1', port }), order(9502, { host: 'localhost', port }),
    order(9503, { host: '169.254.169.254', port: 80 })]), ce);
  await r.until('the calls answered', () => r.runs().filter((x) => x.status === 'completed').length === 3);
  const answer = (id) => JSON.parse(r.cli('runs', '--db', r.db, '--steps', `w:${ceKey(`order-${id}`)}`, '--json')).find((x) => x.path === 'ask').output;
  assert.equal(answer(9501).status, 0);
  assert.match(answer(9501).error, /call refused: 127\.0\.0\.1 is an internal address/);
  assert.match(answer(9502).error, /call refused: localhost resolves to an internal address/);
  assert.match(answer(9503).error, /call refused: 169\.254\.169\.254 is an internal address/);
  assert.equal(reached, 0, 'nothing reached the internal server');
  await r.kill('SIGTERM');
  // On reload: a bundle that now calls a host off the list is refused, naming the step.
  const listedBundle = path.join(dir, 'listed.json');
  fs.writeFileSync(listedBundle, metaBundle('https://erp.example.com/stock'));
  const r2 = await runnerFor('egress-reload', {}, { calls: { allow: ['erp.example.com'] }, bundlePath: listedBundle });
  fs.writeFileSync(listedBundle, metaBundle('https://collector.example.net/stock'));
  r2.proc.kill('SIGHUP');
  await r2.until('the reload refused', () => /reload refused: the bundle calls a host/.test(r2.log));
  assert.match(r2.log, /workflows\/0\/steps\/0\/params\/url: https:\/\/collector\.example\.net is not among the hosts/);
  await r2.kill('SIGTERM');
  inside.close();
});

await t.test('connectors check: the shop name, the scopes of the token against the routed effects, and a refused token', async () => {
  const dir = tempDir('check');
  const config = path.join(dir, 'deploy.json');
  const check = (routes, env = {}) => {
    fs.writeFileSync(config, JSON.stringify({ delivery: { routes } }));
    return shopflow(['connectors', 'check', '--config', config], { SHOPIFY_ADMIN_TOKEN: TOKEN, ...env });
  };
  let r = await check({ 'order.tag': shopifyRoute(shop), 'order.hold': shopifyRoute(shop) });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^OK +shopify .*\[order\.hold, order\.tag\]: shop "Fake Shop" \(fake-shop\.myshopify\.com\), the token has every scope/m);
  r = await check({ 'order.tag': shopifyRoute(shop), 'inventory.adjust': shopifyRoute(shop) });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^FAIL +shopify .*the token lacks write_inventory \(for inventory\.adjust\)/m);
  r = await check({ 'order.tag': shopifyRoute(shop) }, { SHOPIFY_ADMIN_TOKEN: 'shpat_wrong' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /refused the access token \(HTTP 401\)/);
  const woo = await new FakeWoo({ key: 'ck_check', secret: 'cs_check' }).start();
  const wooRoute = { adapter: 'woocommerce', url: woo.url, key_env: 'WC_KEY', secret_env: 'WC_SECRET' };
  r = await check({ 'order.note': wooRoute }, { WC_KEY: 'ck_check', WC_SECRET: 'cs_check' });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^OK +woocommerce .*\[order\.note\]: the consumer key may read orders/m);
  assert.deepEqual(woo.requests, ['GET /wp-json/wc/v3/orders?per_page=1']);
  r = await check({ 'order.note': wooRoute }, { WC_KEY: 'ck_check', WC_SECRET: 'cs_wrong' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^FAIL +woocommerce .*answered 401: Sorry, you cannot list resources\. \(woocommerce_rest_cannot_view\); the store refused the consumer key/m);
  await woo.stop();
  r = await check({ notify: { adapter: 'slack', url_env: 'SLACK_URL' } }, { SLACK_URL: 'https://hooks.slack.com/services/T1/B1/abc' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^OK +slack .*its form only: nothing was sent/m);
  assert.ok(!r.stdout.includes('abc'), 'the webhook URL is a secret and is not printed');
});

await t.test('Shopify: fulfilments, stock counts, returns, prices and released holds happen in the shop', async () => {
  shop.addOrder(9101);
  const held = shop.addOrder(9102).fulfillmentOrders[0];
  Object.assign(held, { status: 'ON_HOLD', holds: [{ handle: 'ops', reason: 'OTHER', notes: 'waiting' }] });
  const level = shop.addStock(501, 77, 10);
  shop.addReturn(601);
  shop.addReturn(602);
  shop.addProduct(701, { 7011: '10.00', 7012: '12.00' });
  const routes = Object.fromEntries(['fulfillment.create', 'inventory.adjust', 'return.approve', 'return.deny', 'price.update', 'order.release_hold']
    .map((type) => [type, shopifyRoute(shop)]));
  const r = await runnerFor('mutations', routes, { bundlePath: mutationsBundle, retry: { max_attempts: 2, base_ms: 100, max_ms: 200 } });
  const ev = (id, type, data) => ({ specversion: '1.0', id, source: '/t', type, data });
  const res = await r.post('/v1/events', JSON.stringify([
    ev('ship-1', 'shipment.ready', { order_id: 9101, tracking: '1Z999', carrier: 'UPS' }),
    ev('count-1', 'stock.counted', { item: 501, location: 77, delta: -3 }),
    ev('ret-601', 'return.requested', { id: 601, days_since_delivery: 3 }),
    ev('ret-602', 'return.requested', { id: 602, days_since_delivery: 45 }),
    ev('price-1', 'price.changed', { product: 701, variant: 7012, price: '14.50' }),
    ev('clear-1', 'order.cleared', { id: 9102 })]), ce);
  assert.equal(res.status, 202);
  const effects = await settled(r);
  assert.equal(effects.length, 6);
  assert.deepEqual(effects.filter((e) => e.status !== 'delivered').map((e) => [e.id, e.last_error]), []);
  // fulfillmentCreate on the order's open fulfillment order, with the tracking number.
  const fo = shop.order(9101).fulfillmentOrders[0];
  assert.equal(fo.status, 'CLOSED');
  assert.deepEqual(shop.order(9101).fulfillments.map((f) => [f.fulfillmentOrders, f.trackingInfo, f.notifyCustomer]),
    [[[fo.id], { number: '1Z999', company: 'UPS' }, false]]);
  // inventoryAdjustQuantities: a delta of the available quantity, keyed by the effect.
  assert.equal(level.available, 7);
  const adjust = shop.applied.find((a) => a.op === 'inventoryAdjustQuantities');
  assert.equal(adjust.key, `count:${ceKey('count-1', '/t')}/adjust`);
  assert.equal(adjust.variables.input.reason, 'cycle_count_available');
  // The approved return opens; the late one is declined with its reason.
  assert.equal(shop.return(601).status, 'OPEN');
  assert.deepEqual(shop.return(602), { status: 'DECLINED', declineReason: 'RETURN_PERIOD_ENDED', declineNote: 'Returns are accepted within 30 days.' });
  // One variant repriced, its sibling untouched.
  assert.equal(shop.variant(7012).price, '14.50');
  assert.equal(shop.variant(7011).price, '10.00');
  // The hold released.
  assert.deepEqual([held.status, held.holds], ['OPEN', []]);
  await r.kill('SIGTERM');
});

await t.test('Shopify: an inventory adjustment applied once though the answer was lost; bad input is a userError', async () => {
  const level = shop.addStock(502, 77, 20);
  shop.addReturn(603, 'CLOSED');
  shop.addProduct(702, { 7021: '5.00' });
  const r = await runnerFor('mutations-retry', { 'inventory.adjust': shopifyRoute(shop), 'return.approve': shopifyRoute(shop), 'price.update': shopifyRoute(shop) },
    { bundlePath: mutationsBundle, retry: { max_attempts: 4, base_ms: 100, max_ms: 200 } });
  // The shop applies the first call but the answer never reaches the runner: the adapter retries
  // with the same key, and the shop does not count the change twice.
  const original = shop.handle.bind(shop);
  let dropped = 0;
  shop.handle = async (req, body, res) => {
    if (dropped === 0 && body.includes('inventoryAdjustQuantities')) {
      dropped++;
      const sink = { writeHead() {}, end() { res.destroy(); } };
      return original(req, body, sink);
    }
    return original(req, body, res);
  };
  try {
    const ev = (id, type, data) => ({ specversion: '1.0', id, source: '/t', type, data });
    await r.post('/v1/events', JSON.stringify([ev('count-2', 'stock.counted', { item: 502, location: 77, delta: 5 }),
      ev('ret-603', 'return.requested', { id: 603, days_since_delivery: 1 }),
      ev('price-2', 'price.changed', { product: 702, variant: 9999, price: '1.00' })]), ce);
    const effects = await settled(r);
    const byType = Object.fromEntries(effects.map((e) => [e.type, e]));
    assert.equal(byType['inventory.adjust'].status, 'delivered', byType['inventory.adjust'].last_error);
    assert.ok(byType['inventory.adjust'].attempts >= 2, 'the lost answer was retried');
    assert.equal(level.available, 25, 'the change counted once');
    const keys = shop.applied.filter((a) => a.op === 'inventoryAdjustQuantities' && a.key === `count:${ceKey('count-2', '/t')}/adjust`);
    assert.equal(keys.length, 1);
    assert.equal(byType['return.approve'].status, 'dead');
    assert.equal(byType['return.approve'].attempts, 1);
    assert.match(byType['return.approve'].last_error, /Shopify refused returnApproveRequest: input\.id: Return is not approved/);
    assert.equal(byType['price.update'].status, 'dead');
    assert.match(byType['price.update'].last_error, /Shopify refused productVariantsBulkUpdate: variants\.0\.id: Product variant does not exist/);
  } finally {
    shop.handle = original;
  }
  await r.kill('SIGTERM');
});

await t.test('WooCommerce: prices of products and variations, and stock read, added and written', async () => {
  const woo = await new FakeWoo({ key: 'ck_test', secret: 'cs_test' }).start();
  woo.products.set('801', { id: 801, sku: 'MUG', regular_price: '9.00', manage_stock: true, stock_quantity: 12 });
  woo.products.set('802', { id: 802, sku: 'TEE', type: 'variable', variations: new Map([['8021', { id: 8021, regular_price: '20.00', manage_stock: true, stock_quantity: 4 }],
    ['8022', { id: 8022, regular_price: '20.00', manage_stock: true, stock_quantity: 6 }]]) });
  const route = { adapter: 'woocommerce', url: woo.url, key_env: 'WC_KEY', secret_env: 'WC_SECRET' };
  const r = await runnerFor('woo-catalogue', { 'price.update': route, 'inventory.adjust': route },
    { bundlePath: mutationsBundle, env: { WC_KEY: 'ck_test', WC_SECRET: 'cs_test' } });
  const ev = (id, type, data) => ({ specversion: '1.0', id, source: '/t', type, data });
  await r.post('/v1/events', JSON.stringify([ev('wp-1', 'price.changed', { product: 801, price: '11.50' }),
    ev('wp-2', 'price.changed', { product: 802, variation: 8022, price: '22.00' }),
    ev('wc-1', 'stock.counted', { product: 801, delta: -5 }),
    ev('wc-2', 'stock.counted', { product: 802, variation: 8021, delta: 3 })]), ce);
  const effects = await settled(r);
  assert.deepEqual(effects.filter((e) => e.status !== 'delivered').map((e) => [e.id, e.last_error]), []);
  const mug = woo.products.get('801');
  const tee = woo.products.get('802').variations;
  assert.deepEqual([mug.regular_price, mug.stock_quantity], ['11.50', 7]);
  assert.deepEqual([tee.get('8022').regular_price, tee.get('8022').stock_quantity], ['22.00', 6]);
  assert.deepEqual([tee.get('8021').regular_price, tee.get('8021').stock_quantity], ['20.00', 7]);
  // The stock was read before it was written.
  assert.ok(woo.requests.indexOf('GET /wp-json/wc/v3/products/802/variations/8021') < woo.requests.indexOf('PUT /wp-json/wc/v3/products/802/variations/8021'));
  await r.kill('SIGTERM');
  await woo.stop();
});

await t.test('topics: the webhook topics the triggers of the bundle need', async () => {
  const { stdout: out } = await shopflow(['topics', bundle]);
  assert.match(out, /Shopify webhook topics \(to \/webhooks\/shopify\):\n  orders\/create\n/);
  assert.match(out, /WooCommerce webhook topics \(to \/webhooks\/woocommerce\):\n  order\.created\n/);
  assert.match(out, /Sent by neither store.*\n  return\.closed \(refund\)/);
});

await shop.stop();
await slack.stop();
await sleep(50);
t.done();
