// The runner's API (/v1) over real HTTP: a `shopflow serve` fed Shopify and WooCommerce webhooks
// (the example bundles' sample orders, with their customers' emails), then every route read
// with the read token. No email of what was sent appears in any answer's bytes; the read token
// cannot deploy; a deploy whose self-test fails is refused with 422 naming it; a good deploy is
// what the runner then runs, and rollback brings the old version back; CORS answers only the
// configured origin; events, and runs with their steps, page by Shopflow-Next-After.
// Usage: node api_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, sign, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const bundlePath = path.join(here, 'api_bundle.json');
const bundleText = fs.readFileSync(bundlePath, 'utf8');
const SHOPIFY = 'shpss_api_secret';
const WOO = 'wc_api_secret';
const READ = 'read-token-5d1c';
const ADMIN = 'admin-token-90fe';
const STUDIO = 'http://studio.example.test:8080';
const t = suite();

const dir = tempDir('api');
const config = path.join(dir, 'deploy.json');
fs.writeFileSync(config, JSON.stringify({ api: { cors_origins: [STUDIO] } }));
const runner = new Runner(bin, bundlePath, dir, {
  env: { SHOPFLOW_SHOPIFY_SECRET: SHOPIFY, SHOPFLOW_WOOCOMMERCE_SECRET: WOO, SHOPFLOW_API_READ_TOKEN: READ,
    SHOPFLOW_API_ADMIN_TOKEN: ADMIN },
  args: ['--config', config],
});
await runner.start();

// Every answer read under the read token, as raw bytes: the redaction check scans them all.
const answers = [];
async function get(pathname, { token = READ, headers = {} } = {}) {
  const res = await fetch(`${runner.url}${pathname}`, { headers: { Authorization: `Bearer ${token}`, ...headers } });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (token === READ) answers.push({ pathname, bytes });
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), json: () => JSON.parse(bytes.toString('utf8')) };
}
async function send(method, pathname, body, token = ADMIN) {
  const res = await fetch(`${runner.url}${pathname}`, { method, body, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) };
}
const lines = (text) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l));

// The webhooks: order-processing's sample orders as Shopify sends them, and a WooCommerce order.
const samples = JSON.parse(fs.readFileSync(path.join(root, 'workflows/order-processing.json'), 'utf8')).samples.events
  .filter((e) => e.type === 'order.created' && e.data.email);
const woo = { id: 727, number: '727', status: 'processing', total: '240.00',
  billing: { first_name: 'Jorah', last_name: 'Quill', email: 'jorah.quill@woo-customer.example', phone: '(555) 555-5555',
    address_1: '969 Market', city: 'San Francisco', postcode: '94103', country: 'US' },
  shipping: { first_name: 'Jorah', last_name: 'Quill', address_1: '969 Market', city: 'San Francisco', country: 'US' },
  customer_ip_address: '203.0.113.9', customer_note: 'ring twice',
  meta_data: [{ key: 'contact', value: 'call Jorah.Quill@woo-customer.example first' }] };
const sent = [...samples.map((e) => e.data), woo];
const emails = [...new Set(JSON.stringify(sent).match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]+/g))];
const names = [...new Set(sent.flatMap((d) => [d.customer?.first_name, d.customer?.last_name, d.shipping_address?.name,
  d.billing?.first_name, d.billing?.last_name]).filter(Boolean))];
let webhookCount = 0;

async function shopifyOrder(data, id) {
  const body = JSON.stringify(data);
  const res = await runner.post('/webhooks/shopify', body, { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Shop-Domain': 'api-test.myshopify.com', 'X-Shopify-Event-Id': id, 'X-Shopify-Hmac-Sha256': sign(SHOPIFY, body) });
  assert.equal(res.status, 202, await res.text());
  webhookCount++;
}
const runOf = (id) => `confirm:shopify:api-test.myshopify.com#${id}`;
const effectsOfRun = async (id) => {
  await runner.until(`the run ${id}`, () => runner.runs().some((r) => r.id === runOf(id) && r.status === 'completed'));
  return (await get(`/v1/effects?run=${encodeURIComponent(runOf(id))}`)).json().effects;
};

await t.test('webhooks in: the sample orders (Shopify) and a WooCommerce order are accepted', async () => {
  assert.ok(samples.length >= 5 && emails.length >= 5, `sample orders with emails: ${emails}`);
  for (const [i, e] of samples.entries()) await shopifyOrder(e.data, `ev-${i}`);
  const body = JSON.stringify(woo);
  const res = await runner.post('/webhooks/woocommerce', body, { 'Content-Type': 'application/json', 'X-WC-Webhook-Topic': 'order.created',
    'X-WC-Webhook-Source': 'https://woo.example/', 'X-WC-Webhook-Delivery-ID': 'd-1', 'X-WC-Webhook-Signature': sign(WOO, body) });
  assert.equal(res.status, 202);
  webhookCount++;
  await runner.until('every order run', () => runner.runs().filter((r) => r.status === 'completed').length === webhookCount);
});

await t.test('the API wants a token: none or a wrong one is 401, an unknown route 404, a wrong method 405', async () => {
  let res = await fetch(`${runner.url}/v1/runs`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await res.json()).error, 'unauthorized');
  assert.equal((await get('/v1/runs', { token: 'read-token-5d1X' })).status, 401);
  assert.equal((await get('/v1/nothing')).status, 404);
  res = await send('DELETE', '/v1/bundle', '');
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, HEAD, PUT');
});

await t.test('GET /v1/events: every event from outside, in arrival order, with when it was received', async () => {
  const before = Date.now();
  const res = await get('/v1/events');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /application\/x-ndjson/);
  assert.equal(res.headers.get('shopflow-next-after'), null, 'one page holds them all');
  const events = lines(res.text);
  assert.equal(events.length, webhookCount);
  assert.deepEqual(events.map((e) => e.seq), [...events.map((e) => e.seq)].sort((a, b) => a - b));
  for (const e of events) {
    assert.match(e.received, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(e.received) <= before && Date.parse(e.received) > before - 600000);
    assert.equal(e.event.type, 'order.created');
  }
  // Redacted, and still correlated: the same buyer has the same pseudonym in every event.
  const first = events[0].event.data;
  assert.match(first.email, /^c-[0-9a-f]{16}@redacted\.invalid$/);
  assert.equal(first.customer.email, first.email);
  assert.match(first.customer.first_name, /^p-[0-9a-f]{16}$/);
  assert.equal(first.name, samples[0].data.name, "the order's name is not a person's");
  assert.equal(first.total_price, samples[0].data.total_price);
  const byEmail = new Map();
  for (const [i, s] of samples.entries()) {
    const pseudonym = events[i].event.data.email;
    if (byEmail.has(s.data.email)) assert.equal(pseudonym, byEmail.get(s.data.email));
    byEmail.set(s.data.email, pseudonym);
  }
  // Each line names the key the runner stored the event under, which its runs' ids are made of.
  const runIds = new Set((await get('/v1/runs')).json().runs.map((r) => r.id));
  for (const e of events) assert.ok(runIds.has(`confirm:${e.key}`), `a run of ${e.key}`);
  assert.equal(events[0].key, 'shopify:api-test.myshopify.com#ev-0');
  const wooEvent = events.at(-1).event.data;
  assert.match(wooEvent.billing.email, /^c-[0-9a-f]{16}@redacted\.invalid$/);
  assert.equal(wooEvent.meta_data[0].value, `call ${wooEvent.billing.email} first`, 'an email inside any text, the same pseudonym');
  assert.match(wooEvent.customer_note, /^p-[0-9a-f]{16}$/);
  assert.match(wooEvent.customer_ip_address, /^p-/);
  assert.equal(wooEvent.billing.city, 'San Francisco');
});

await t.test('GET /v1/events pages by Shopflow-Next-After, and filters by type and time', async () => {
  const seen = [];
  let after = 0, pages = 0;
  for (;;) {
    const res = await get(`/v1/events?limit=2&after=${after}`);
    assert.equal(res.status, 200, res.text);
    const page = lines(res.text);
    seen.push(...page.map((e) => e.seq));
    pages++;
    const next = res.headers.get('shopflow-next-after');
    if (next === null) break;
    assert.equal(page.length, 2);
    assert.equal(Number(next), page.at(-1).seq);
    after = Number(next);
  }
  assert.equal(pages, Math.ceil(webhookCount / 2));
  assert.equal(seen.length, webhookCount);
  assert.equal(new Set(seen).size, webhookCount);
  assert.equal(lines((await get('/v1/events?type=order.paid')).text).length, 0);
  assert.equal(lines((await get('/v1/events?type=order.created')).text).length, webhookCount);
  assert.equal(lines((await get('/v1/events?until=2000-01-01T00:00:00Z')).text).length, 0);
  // `until` is left out: up to the third event's reception, the events received before it.
  const all = lines((await get('/v1/events')).text);
  const until = all[2].received;
  const before = lines((await get(`/v1/events?until=${until}`)).text);
  assert.deepEqual(before.map((e) => e.seq), all.filter((e) => e.received < until).map((e) => e.seq));
  assert.ok(!before.some((e) => e.seq === all[2].seq));
  assert.deepEqual(lines((await get(`/v1/events?since=${until}`)).text)[0].seq, all.find((e) => e.received >= until).seq);
  assert.equal(lines((await get(`/v1/events?since=${new Date(Date.now() - 600000).toISOString()}`)).text).length, webhookCount);
  const offset = new Date(Date.now() + 3600000).toISOString().replace('Z', '+01:00');  // now, written in +01:00, '+' unescaped
  assert.equal(lines((await get(`/v1/events?since=2000-01-01T00:00:00+01:00&until=${offset}`)).text).length, webhookCount);
  const bad = await get('/v1/events?since=yesterday');
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /since=yesterday/);
  assert.equal((await get('/v1/events?limit=100001')).status, 400);
});

await t.test('GET /v1/runs pages by next_after; GET /v1/runs/{id} has the steps with their verdicts', async () => {
  const all = (await get('/v1/runs')).json();
  assert.equal(all.runs.length, webhookCount);
  assert.equal(all.next_after, null);
  const start = (await get('/v1/bundle')).json().version;
  for (const r of all.runs) {
    assert.equal(r.workflow, 'confirm');
    assert.equal(r.status, 'completed');
    assert.equal(r.bundle_version, start);
    assert.match(r.started, /\.\d{3}Z$/);
  }
  const first = (await get('/v1/runs?limit=3')).json();
  assert.equal(first.runs.length, 3);
  assert.equal(first.next_after, first.runs[2].seq);
  const rest = (await get(`/v1/runs?after=${first.next_after}&limit=1000`)).json();
  assert.equal(rest.runs.length, webhookCount - 3);
  assert.equal((await get('/v1/runs?workflow=nothing')).json().runs.length, 0);
  const one = await get(`/v1/runs/${encodeURIComponent(runOf('ev-0'))}`);
  assert.equal(one.status, 200);
  const run = one.json().run;
  assert.equal(run.id, runOf('ev-0'));
  assert.deepEqual(run.steps.map((s) => s.path), samples[0].data.total_price > 100 ? ['big', 'big/then/tag-big', 'email'] : ['big', 'email']);
  assert.equal(run.steps[0].kind, 'if');
  assert.equal(typeof run.steps[0].verdict, 'boolean');
  assert.ok(run.steps[0].explanation);
  assert.equal((await get(`/v1/runs/${encodeURIComponent('confirm:nothing#1')}`)).status, 404);
});

await t.test('GET /v1/runs?steps=true: every run with its steps as GET /v1/runs/{id} has them, streamed and paged', async () => {
  const res = await get('/v1/runs?steps=true');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /application\/x-ndjson/);
  assert.equal(res.headers.get('shopflow-next-after'), null);
  const runs = lines(res.text);
  assert.deepEqual(runs.map((r) => r.id), (await get('/v1/runs')).json().runs.map((r) => r.id));
  for (const run of runs) {
    assert.deepEqual(run, (await get(`/v1/runs/${encodeURIComponent(run.id)}`)).json().run, run.id);
  }
  // The decisions are there, with their verdicts: the big-order test said true where the total is over 100.
  for (const [i, s] of samples.entries()) {
    const run = runs.find((r) => r.id === runOf(`ev-${i}`));
    const big = run.steps.find((st) => st.path === 'big');
    assert.equal(big.kind, 'if');
    assert.equal(big.verdict, Number(s.data.total_price) > 100, `${run.id}: ${s.data.total_price}`);
    assert.ok(big.explanation);
  }
  // Pages of two, by the header; the plain listing gives its next page in the header too.
  const seen = [];
  let after = 0;
  for (;;) {
    const page = await get(`/v1/runs?steps=true&limit=2&after=${after}`);
    const got = lines(page.text);
    seen.push(...got.map((r) => r.id));
    const next = page.headers.get('shopflow-next-after');
    if (next === null) break;
    assert.equal(got.length, 2);
    assert.equal(Number(next), got.at(-1).seq);
    after = Number(next);
  }
  assert.deepEqual(seen, runs.map((r) => r.id));
  const plain = await get('/v1/runs?limit=3');
  assert.equal(plain.headers.get('shopflow-next-after'), String(plain.json().next_after));
  assert.equal(lines((await get('/v1/runs?steps=true&workflow=nothing')).text).length, 0);
  const bad = await get('/v1/runs?steps=yes');
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /steps=yes/);
});

await t.test('GET /v1/effects: params redacted to the same pseudonyms as the events', async () => {
  const all = (await get('/v1/effects')).json();
  assert.ok(all.effects.length >= webhookCount);
  const mails = all.effects.filter((e) => e.type === 'email.send');
  assert.equal(mails.length, webhookCount);
  const events = lines((await get('/v1/events')).text);
  assert.equal(mails[0].params.to, events[0].event.data.email);
  assert.ok(mails[0].params.body.includes(events[0].event.data.email));
  const page = (await get('/v1/effects?limit=1')).json();
  assert.equal(page.effects.length, 1);
  assert.equal(page.next_after, page.effects[0].seq);
  const ofRun = await effectsOfRun('ev-0');
  assert.ok(ofRun.length >= 1 && ofRun.every((e) => e.run_id === runOf('ev-0')));
});

await t.test('no email that was sent appears in any answer under the read token, nor a name', async () => {
  await get('/v1/bundle');
  for (const r of (await get('/v1/runs')).json().runs) await get(`/v1/runs/${encodeURIComponent(r.id)}`);
  assert.ok(lines((await get('/v1/runs?steps=true')).text).some((r) => r.steps.some((s) => s.kind === 'action')));
  assert.ok(answers.length > 10);
  assert.ok(names.length >= 8, `names sent: ${names}`);
  for (const { pathname, bytes } of answers) {
    for (const email of emails) {
      assert.equal(bytes.indexOf(email), -1, `${email} in the answer to ${pathname}`);
      assert.equal(bytes.toString('utf8').toLowerCase().indexOf(email.toLowerCase()), -1, `${email} in ${pathname}`);
    }
    // Names too, where the event's fields name them and where a template wrote them ("Dear Ada Byron,").
    for (const name of names) assert.equal(bytes.indexOf(name), -1, `${name} in the answer to ${pathname}`);
  }
  const mail = (await get('/v1/effects')).json().effects.find((e) => e.type === 'email.send' && e.run_id === runOf('ev-0'));
  assert.match(mail.params.body, /^Dear p-[0-9a-f]{16}( p-[0-9a-f]{16})?, thank you; we will write to c-[0-9a-f]{16}@redacted\.invalid/);
});

// The deployed bundle with a new threshold: orders over 200 are big.
const edited = (threshold, testTotal) => {
  const b = JSON.parse(bundleText);
  b.version = `1.1.${threshold}`;
  b.workflows[0].steps[0].if['>'][1] = threshold;
  b.samples.events[0].data.total_price = testTotal;
  return JSON.stringify(b, null, 2);
};

await t.test('the read token cannot deploy or roll back (403)', async () => {
  const res = await send('PUT', '/v1/bundle', edited(200, '250.00'), READ);
  assert.equal(res.status, 403);
  assert.equal(res.json.error, 'forbidden');
  assert.equal((await send('POST', '/v1/bundle/rollback', '{"version":"0000000000000000"}', READ)).status, 403);
});

await t.test('a deploy whose self-test fails, or that has problems, is refused with 422 listing them', async () => {
  // The threshold moves to 200 but the test still expects an order of 150 to be tagged.
  let res = await send('PUT', '/v1/bundle', edited(200, '150.00'));
  assert.equal(res.status, 422);
  assert.equal(res.json.error, 'bundle_refused');
  assert.deepEqual(res.json.failed_tests.map((f) => f.name), ['an order of 150 is tagged big']);
  assert.ok(res.json.failed_tests[0].diff.length > 0);
  const broken = JSON.parse(bundleText);
  broken.workflows[0].steps[1].action = 'email.sendd';
  broken.workflows[0].steps[0].then[0].params.tags = '{{ event.data.id ';
  res = await send('PUT', '/v1/bundle', JSON.stringify(broken));
  assert.equal(res.status, 422);
  const pointers = res.json.problems.map((p) => p.pointer);
  assert.ok(pointers.includes('/workflows/0/steps/1/action'), JSON.stringify(res.json.problems));
  assert.ok(pointers.some((p) => p.startsWith('/workflows/0/steps/0/then/0/params/tags')), JSON.stringify(res.json.problems));
  res = await send('PUT', '/v1/bundle', '{"format": ');
  assert.equal(res.status, 422);
  assert.match(res.json.problems[0].message, /line 1/);
  assert.equal((await get('/v1/bundle')).json().history.length, 1, 'nothing was deployed');
});

let startVersion, newVersion;
await t.test('a good deploy is answered 200 and the runner then runs the new version', async () => {
  startVersion = (await get('/v1/bundle')).json().version;
  assert.match(startVersion, /^[0-9a-f]{16}$/);
  await shopifyOrder({ ...samples[0].data, total_price: '150.00' }, 'before-deploy');
  assert.deepEqual((await effectsOfRun('before-deploy')).map((e) => e.type).sort(), ['email.send', 'order.tag']);
  const text = edited(200, '250.00');
  const res = await send('PUT', '/v1/bundle', text);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  newVersion = res.json.version;
  assert.match(newVersion, /^[0-9a-f]{16}$/);
  assert.notEqual(newVersion, startVersion);
  const bundle = (await get('/v1/bundle')).json();
  assert.equal(bundle.version, newVersion);
  assert.equal(bundle.bundle.workflows[0].steps[0].if['>'][1], 200);
  assert.deepEqual(bundle.history.map((h) => [h.version, h.source]), [[newVersion, 'deploy'], [startVersion, 'start']]);
  // The same order of 150 now gets no tag.
  await shopifyOrder({ ...samples[0].data, total_price: '150.00' }, 'after-deploy');
  assert.deepEqual((await effectsOfRun('after-deploy')).map((e) => e.type), ['email.send']);
  const run = (await get(`/v1/runs/${encodeURIComponent(runOf('after-deploy'))}`)).json().run;
  assert.equal(run.bundle_version, newVersion);
});

await t.test('rollback restores the old version; an unknown version is 404', async () => {
  assert.equal((await send('POST', '/v1/bundle/rollback', '{"version":"0123456789abcdef"}')).status, 404);
  const res = await send('POST', '/v1/bundle/rollback', JSON.stringify({ version: startVersion }));
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.version, startVersion);
  const bundle = (await get('/v1/bundle')).json();
  assert.equal(bundle.version, startVersion);
  assert.deepEqual(bundle.history.map((h) => h.source), ['rollback', 'deploy', 'start']);
  assert.deepEqual(JSON.parse(JSON.stringify(bundle.bundle)), JSON.parse(bundleText));
  await shopifyOrder({ ...samples[0].data, total_price: '150.00' }, 'after-rollback');
  assert.deepEqual((await effectsOfRun('after-rollback')).map((e) => e.type).sort(), ['email.send', 'order.tag']);
});

await t.test('CORS: the configured origin is answered, any other is not', async () => {
  const preflight = (origin) => fetch(`${runner.url}/v1/events`, { method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
  let res = await preflight(STUDIO);
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), STUDIO);
  assert.match(res.headers.get('access-control-allow-headers'), /Authorization/);
  assert.match(res.headers.get('access-control-allow-methods'), /GET/);
  res = await preflight('https://evil.example');
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  let got = await get('/v1/events?limit=1', { headers: { Origin: STUDIO } });
  assert.equal(got.headers.get('access-control-allow-origin'), STUDIO);
  assert.match(got.headers.get('access-control-expose-headers'), /Shopflow-Next-After/);
  got = await get('/v1/events?limit=1', { headers: { Origin: 'https://evil.example' } });
  assert.equal(got.headers.get('access-control-allow-origin'), null);
});

await t.test('SIGHUP runs the bundle file again, and the history says so', async () => {
  runner.proc.kill('SIGHUP');
  const bundle = await runner.until('the reload in the history', async () => {
    const b = (await get('/v1/bundle')).json();
    return b.history[0].source === 'reload' ? b : null;
  });
  assert.equal(bundle.history[0].version, startVersion);
  assert.equal(bundle.version, startVersion);
});

await t.test('a page larger than one piece streams whole, in order, and pages on', async () => {
  const bulk = Array.from({ length: 700 }, (_, i) => ({ specversion: '1.0', id: `bulk-${i}`, source: '/api-test/bulk',
    type: 'inventory.changed', data: { sku: `SKU-${i}`, available: i, contact: `buyer-${i}@bulk.example` } }));
  const res = await runner.post('/v1/events', JSON.stringify(bulk), { 'Content-Type': 'application/cloudevents-batch+json' });
  assert.equal(res.status, 202);
  const all = lines((await get('/v1/events?type=inventory.changed&limit=100000')).text);
  assert.deepEqual(all.map((e) => e.event.data.sku), bulk.map((e) => e.data.sku));
  assert.ok(all.every((e) => /^c-[0-9a-f]{16}@redacted\.invalid$/.test(e.event.data.contact)));
  const first = await get('/v1/events?type=inventory.changed&limit=300');
  assert.equal(first.status, 200, first.text);
  assert.equal(lines(first.text).length, 300);
  const second = await get(`/v1/events?type=inventory.changed&limit=300&after=${first.headers.get('shopflow-next-after')}`);
  assert.equal(second.status, 200, second.text);
  assert.equal(lines(second.text)[0].event.data.sku, 'SKU-300');
  const last = await get(`/v1/events?type=inventory.changed&limit=300&after=${second.headers.get('shopflow-next-after')}`);
  assert.equal(lines(last.text).length, 100);
  assert.equal(last.headers.get('shopflow-next-after'), null);
  for (const { bytes } of answers.slice(-4)) assert.equal(bytes.indexOf('@bulk.example'), -1);
});

await t.test('/metrics counts the API by route and status', async () => {
  const metrics = await (await fetch(`${runner.url}/metrics`)).text();
  assert.match(metrics, /shopflow_api_requests_total\{route="events",status="200"\} \d+/);
  assert.match(metrics, /shopflow_api_requests_total\{route="bundle",status="403"\} 1/);
  assert.match(metrics, /shopflow_api_requests_total\{route="bundle",status="422"\} 3/);
  assert.match(runner.log, /"api request refused"/);
  assert.ok(!runner.log.includes(READ) && !runner.log.includes(ADMIN), 'no token in the log');
});

await t.test('without tokens the API is off: 404 saying how to turn it on; the ingest still works', async () => {
  const off = new Runner(bin, bundlePath, tempDir('api-off'), { env: { SHOPFLOW_API_READ_TOKEN: '', SHOPFLOW_API_ADMIN_TOKEN: '' } });
  await off.start();
  try {
    const res = await fetch(`${off.url}/v1/runs`, { headers: { Authorization: 'Bearer anything' } });
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(body.error, 'api_off');
    assert.match(body.message, /SHOPFLOW_API_READ_TOKEN/);
  } finally {
    await off.kill('SIGTERM');
  }
});

await runner.kill('SIGTERM');
t.done();
