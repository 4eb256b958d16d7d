// `shopflow serve` against what the open internet and a quiet day bring, each failure replayed
// as it was found: bodies past the limit without credentials, CloudEvents from two senders with
// one id, a webhook-shaped CloudEvent id, deep nesting, a lone webhook after quiet, a steady load
// on the write-ahead log, payloads that must not reach the log, events only workflows emit, a
// store from before events were keyed by sender, deliveries the store refused to record for a
// while, and HTTPS through the nginx recipe of deploy/.
// Usage: node harden_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Runner, ceKey, freePort, orderEvent, sign, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, 'bundle.json');
const SECRET = 'shpss_harden';
const TOKEN = 'harden-token';
const auth = { Authorization: `Bearer ${TOKEN}` };
const ce = { ...auth, 'Content-Type': 'application/cloudevents+json' };
const t = suite();

// Every server this file starts, ended when it exits however a test ended.
const started = [];
process.on('exit', () => { for (const p of started) if (p.exitCode === null) p.kill(p.nginx ? 'SIGTERM' : 'SIGKILL'); });
class TrackedRunner extends Runner {
  async start() { const r = await super.start(); started.push(this.proc); return r; }
}

const runner = new TrackedRunner(bin, bundle, tempDir('harden'), {
  env: { SHOPFLOW_SHOPIFY_SECRET: SECRET, SHOPFLOW_API_TOKEN: TOKEN },
});
await runner.start();

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// POSTs a chunked body of `total` bytes in 64 KiB pieces, as fast as the server reads it; resolves
// with the status once answered (the upload may be cut short then) or null when the connection
// ended without an answer.
function chunkedPost(url, headers, total) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'Transfer-Encoding': 'chunked' } });
    let answered = false;
    req.on('response', (res) => { answered = true; res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', () => { if (!answered) resolve(null); });
    const piece = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < total && !answered) {
        sent += piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

await t.test('a chunked body past the limit is refused, without credentials before it is read; memory stays bounded', async () => {
  const before = rssKiB(runner.proc.pid);
  // 64 MiB each, four at once, with no token or signature: 401 from the headers alone.
  const unauthenticated = await Promise.all([
    chunkedPost(`${runner.url}/v1/events`, { 'Content-Type': 'application/cloudevents+json' }, 64 << 20),
    chunkedPost(`${runner.url}/v1/events`, { 'Content-Type': 'application/cloudevents+json', Authorization: 'Bearer nope' }, 64 << 20),
    chunkedPost(`${runner.url}/webhooks/shopify`, { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create' }, 64 << 20),
    chunkedPost(`${runner.url}/webhooks/shopify`, { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create' }, 64 << 20),
  ]);
  assert.deepEqual(unauthenticated, [401, 401, 401, 401]);
  // With credentials, a chunked body is cut off at --max-body (1 MiB): 413, not buffered whole.
  assert.equal(await chunkedPost(`${runner.url}/v1/events`, ce, 32 << 20), 413);
  const sig = { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': 'big',
    'X-Shopify-Hmac-Sha256': sign(SECRET, 'whatever') };
  assert.equal(await chunkedPost(`${runner.url}/webhooks/shopify`, sig, 32 << 20), 413);
  const after = rssKiB(runner.proc.pid);
  console.log(`     resident memory ${Math.round(before / 1024)} MiB before, ${Math.round(after / 1024)} MiB after`);
  assert.ok(after - before < 64 * 1024, `grew by ${after - before} KiB; the bound is 64 MiB`);
  assert.equal((await fetch(`${runner.url}/healthz`)).status, 200);
});

await t.test('CloudEvents from two sources with one id both run; a repeat is 202 with duplicates, and counted', async () => {
  const a = { ...orderEvent('1001'), source: '/erp' };
  const b = { ...orderEvent('1001'), source: '/pos' };
  for (const ev of [a, b]) {
    const res = await runner.post('/v1/events', JSON.stringify(ev), ce);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: 1, duplicates: 0 });
  }
  const again = await runner.post('/v1/events', JSON.stringify(b), ce);
  assert.equal(again.status, 202);
  assert.deepEqual(await again.json(), { accepted: 0, duplicates: 1 });
  await runner.until('a run for each', () => [ceKey('1001', '/erp'), ceKey('1001', '/pos')]
    .every((key) => runner.runs().some((r) => r.workflow === 'confirm' && r.event === key)));
  const metrics = await (await fetch(`${runner.url}/metrics`)).text();
  assert.match(metrics, /shopflow_events_duplicate_total\{endpoint="events"\} [1-9]/);
});

await t.test('a CloudEvent whose id looks like a Shopify delivery does not suppress that delivery', async () => {
  const forged = { ...orderEvent('x'), id: 'shopify:wh-77', source: 'shopify://demo.myshopify.com' };
  assert.equal((await runner.post('/v1/events', JSON.stringify(forged), ce)).status, 202);
  const body = JSON.stringify({ id: 77, name: '#77', email: 'shop@example.com', total_price: '20.00' });
  const res = await runner.post('/webhooks/shopify', body, { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Shop-Domain': 'demo.myshopify.com', 'X-Shopify-Webhook-Id': 'wh-77', 'X-Shopify-Hmac-Sha256': sign(SECRET, body) });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 1, duplicates: 0 });
  await runner.until('the webhook run', () => runner.runs().some((r) => r.event === 'shopify:demo.myshopify.com#wh-77'));
});

await t.test('deep nesting gets 400 too_deep, in structured and binary mode and in a webhook; the runner goes on', async () => {
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  let res = await runner.post('/v1/events', deep, ce);
  assert.equal(res.status, 400);
  let err = (await res.json()).error;
  assert.equal(err.code, 'too_deep');
  assert.match(err.message, /deeper than 128 levels/);
  res = await runner.post('/v1/events', `{"a":${deep}}`, { ...auth, 'Content-Type': 'application/json', 'ce-specversion': '1.0',
    'ce-id': 'deep', 'ce-source': '/s', 'ce-type': 'order.created' });
  assert.equal((await res.json()).error.code, 'too_deep');
  res = await runner.post('/webhooks/shopify', deep, { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Webhook-Id': 'deep', 'X-Shopify-Hmac-Sha256': sign(SECRET, deep) });
  assert.equal((await res.json()).error.code, 'too_deep');
  assert.equal((await fetch(`${runner.url}/healthz`)).status, 200);
});

await t.test('events of a type only workflows emit are refused from outside', async () => {
  const dir = tempDir('emitted');
  const b = JSON.parse(fs.readFileSync(bundle, 'utf8'));
  b.workflows.push({ id: 'relay', trigger: { event: 'order.created' },
    steps: [{ id: 'tell', emit: { type: 'order.relayed', data: { id: '{{ event.data.id }}' } } }] });
  const file = path.join(dir, 'bundle.json');
  fs.writeFileSync(file, JSON.stringify(b));
  const r = new TrackedRunner(bin, file, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN } });
  await r.start();
  try {
    const res = await r.post('/v1/events', JSON.stringify({ ...orderEvent('e-1'), type: 'order.relayed' }), ce);
    assert.equal(res.status, 400);
    assert.deepEqual((await res.json()).error.code, 'internal_type');
    assert.equal((await r.post('/v1/events', JSON.stringify(orderEvent('e-2')), ce)).status, 202);
  } finally {
    await r.kill('SIGTERM');
  }
});

await t.test('no sample email or other body content reaches the log of a run over malformed input', async () => {
  const email = 'private.buyer@example.com';
  const bad = [
    [`{"id": "m-1", "source": "/s", "type": "order.created", "data": {"email": "${email}"}`, ce],  // cut short
    [`{"id": "m-2", "source": "/s", "specversion": "1.0", "type": "${email}", "time": "${email}"}`, ce],
    [`[{"id": "m-3", "source": "/s", "specversion": "1.0", "type": "order.created", "subject": 5, "data": "${email}"}]`,
      { ...auth, 'Content-Type': 'application/cloudevents-batch+json' }],
    [`{"email": "${email}" "x": 1}`, { ...auth, 'Content-Type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'm-4',
      'ce-source': '/s', 'ce-type': 'order.created' }],
    ['{}', { ...auth, 'Content-Type': 'application/json', 'ce-specversion': '1.0', 'ce-id': email, 'ce-source': '/s',
      'ce-type': email, 'ce-time': email }],
  ];
  for (const [body, headers] of bad) {
    const res = await runner.post('/v1/events', body, headers);
    assert.equal(res.status, 400, body);
    await sleep(1100);  // past the once-a-second bound on repeated lines, so that each is written
  }
  await sleep(200);
  assert.ok(runner.log.includes('"msg":"request refused"'));
  assert.ok(!runner.log.includes(email), `the log holds ${email}:\n${runner.log.split('\n').filter((l) => l.includes(email)).join('\n')}`);
  assert.ok(!runner.log.includes('private.buyer'));
});

await t.test('repeated warnings are written once a second, with the count of those left out', async () => {
  const start = runner.log.length;
  for (let i = 0; i < 200; i++) await runner.post('/v1/events', '{', ce);
  await sleep(2500);  // the engine's turn writes the count of a message that stopped coming
  const lines = runner.log.slice(start).split('\n').filter((l) => l.includes('"msg":"request refused"'));
  assert.ok(lines.length >= 1 && lines.length <= 10, `${lines.length} lines for 200 refusals`);
  const counted = lines.reduce((n, l) => n + 1 + (JSON.parse(l).repeated || 0), 0);
  assert.ok(counted >= 200, `the lines account for ${counted} refusals`);
});

await t.test('a lone webhook after quiet is acknowledged as fast as under load (median under 50 ms, none 200 ms)', async () => {
  const body = JSON.stringify({ id: 1, name: '#1', email: 'q@example.com', total_price: '1.00' });
  const times = [];
  for (let i = 0; i < 10; i++) {
    await sleep(1200);  // quiet: the engine thread is asleep
    const headers = { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Shop-Domain': 'quiet.myshopify.com',
      'X-Shopify-Webhook-Id': `quiet-${i}`, 'X-Shopify-Hmac-Sha256': sign(SECRET, body) };
    const t0 = performance.now();
    const res = await runner.post('/webhooks/shopify', body, headers);
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    assert.equal(res.status, 202);
  }
  console.log(`     acknowledged in ${times.map((x) => x.toFixed(1)).join(', ')} ms`);
  // A lost wake-up costs the engine's idle tick, 250 ms: none may take 200 ms, and the median
  // (a busy machine delays one or two) stays under 50 ms.
  const median = [...times].sort((a, b) => a - b)[times.length >> 1];
  assert.ok(median < 50, `the median acknowledgement took ${median.toFixed(1)} ms`);
  assert.ok(Math.max(...times) < 200, `one took ${Math.max(...times).toFixed(1)} ms`);
});

await t.test('the write-ahead log stays under --max-wal over a sustained load, and is truncated when quiet', async () => {
  const dir = tempDir('wal');
  const bound = 4 << 20;
  const r = new TrackedRunner(bin, bundle, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN }, args: ['--max-wal', String(bound)] });
  await r.start();
  const wal = () => { try { return fs.statSync(`${r.db}-wal`).size; } catch { return 0; } };
  let largest = 0, sent = 0;
  const until = Date.now() + 8000;
  const sample = setInterval(() => { largest = Math.max(largest, wal()); }, 20);
  const worker = async (w) => {
    for (let i = 0; Date.now() < until; i++) {
      const batch = Array.from({ length: 20 }, (_, k) => orderEvent(`w${w}-${i}-${k}`, { total_price: '150.00' }));
      const res = await r.post('/v1/events', JSON.stringify(batch), { ...auth, 'Content-Type': 'application/cloudevents-batch+json' });
      assert.equal(res.status, 202);
      sent += batch.length;
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  clearInterval(sample);
  console.log(`     ${sent} events in 8 s; the log's largest size ${(largest / 1048576).toFixed(1)} MiB (bound ${bound / 1048576} MiB)`);
  assert.ok(largest > bound / 4, 'the load wrote enough to test the bound');
  assert.ok(largest <= bound, `the log reached ${largest} bytes`);
  await r.until('the log truncated once quiet', () => wal() === 0, 15000);
  // The gauges come back down once the work is done.
  await r.until('the gauges at rest', async () => {
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    return ['shopflow_wal_bytes', 'shopflow_outbox_in_flight', 'shopflow_ingest_queue', 'shopflow_inbox_pending']
      .every((name) => new RegExp(`^${name} 0$`, 'm').test(metrics));
  }, 15000);
  await r.kill('SIGTERM');
});

await t.test('a store written when events were deduplicated on their id alone is migrated: old deliveries stay duplicates', async () => {
  const dir = tempDir('legacy');
  const r = new TrackedRunner(bin, bundle, dir, { env: { SHOPFLOW_SHOPIFY_SECRET: SECRET, SHOPFLOW_API_TOKEN: TOKEN } });
  await r.start();
  const ev = orderEvent('old-1');
  const body = JSON.stringify({ id: 9, name: '#9', email: 'o@example.com', total_price: '9.00' });
  const hook = { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Shop-Domain': 'demo.myshopify.com',
    'X-Shopify-Webhook-Id': 'old-9', 'X-Shopify-Hmac-Sha256': sign(SECRET, body) };
  assert.equal((await r.post('/v1/events', JSON.stringify(ev), ce)).status, 202);
  assert.equal((await r.post('/webhooks/shopify', body, hook)).status, 202);
  await r.until('both runs', () => r.runs().length >= 2);
  await r.kill('SIGTERM');
  // Back to how the old runner kept them: keyed by the event id, no marker.
  execFileSync('sqlite3', [r.db, "UPDATE inbox SET id = json_extract(body, '$.id') WHERE depth = 0; " +
    "DELETE FROM meta WHERE key = 'inbox_keys_by_sender';"]);
  assert.deepEqual(execFileSync('sqlite3', [r.db, 'SELECT id FROM inbox WHERE depth = 0 ORDER BY seq'], { encoding: 'utf8' }).trim().split('\n'),
    ['old-1', 'shopify:old-9']);
  await r.start();
  assert.match(r.log, /"msg":"inbox events keyed by sender","events":2/);
  let res = await r.post('/v1/events', JSON.stringify(ev), ce);
  assert.deepEqual(await res.json(), { accepted: 0, duplicates: 1 });
  res = await r.post('/webhooks/shopify', body, hook);
  assert.deepEqual(await res.json(), { accepted: 0, duplicates: 1 });
  await r.kill('SIGTERM');
});


await t.test('SIGTERM stops the runner within its grace period while clients trickle requests in', async () => {
  const dir = tempDir('stop');
  const r = new TrackedRunner(bin, bundle, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN } });
  await r.start();
  assert.equal((await r.post('/v1/events', JSON.stringify(orderEvent('s-1')), ce)).status, 202);
  const slow = [];
  for (let i = 0; i < 20; i++) {
    const s = net.connect(r.port, '127.0.0.1');
    s.on('error', () => {});
    s.write('POST /v1/events HTTP/1.1\r\nHost: x\r\n');
    slow.push(s);
  }
  const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('X'); }, 500);
  await sleep(500);
  const t0 = performance.now();
  r.proc.kill('SIGTERM');
  const exit = await r.exited;
  const secs = (performance.now() - t0) / 1000;
  clearInterval(drip);
  for (const s of slow) s.destroy();
  console.log(`     stopped in ${secs.toFixed(1)} s with 20 slow clients`);
  assert.equal(exit.code, 0);
  assert.ok(secs < 10, `SIGTERM took ${secs.toFixed(1)} s`);
  // What was acknowledged before is there after.
  assert.ok(r.runs().some((x) => x.event === ceKey('s-1')));
});

await t.test('effects delivered while the store refuses to record them are recorded once it takes writes again, without a restart, and not delivered twice', async () => {
  const dir = tempDir('unrecorded');
  const r = new TrackedRunner(bin, bundle, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN } });
  await r.start();
  const sql = (text) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', r.db, text], { encoding: 'utf8' });
  const status = (ids) => { const all = r.effects(); return ids.map((id) => all.find((e) => e.id === id)?.status); };
  const ids = () => r.sinkLines().map((l) => l.id);
  try {
    assert.equal((await r.post('/v1/events', JSON.stringify(orderEvent('u-0')), ce)).status, 202);
    await r.until('the first effect recorded delivered', () => r.effects().length === 1 && r.effects()[0].status === 'delivered');
    // The store refuses to record a delivery, as a full or failing disk does; events and runs
    // still commit, so the effects are made and written to the file.
    sql("CREATE TRIGGER refuse_delivered BEFORE UPDATE OF status ON outbox WHEN NEW.status = 'delivered' " +
      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
    const from = r.log.length;
    const batch = Array.from({ length: 5 }, (_, k) => orderEvent(`u-${k + 1}`));
    assert.equal((await r.post('/v1/events', JSON.stringify(batch), { ...auth, 'Content-Type': 'application/cloudevents-batch+json' })).status, 202);
    await r.until('the five effects in the file', () => ids().length === 6);
    const written = ids().slice(1);
    const t0 = Date.now();
    await sleep(4000);  // a few retries, each refused
    const refusing = (Date.now() - t0) / 1000;
    assert.deepEqual(status(written), Array(5).fill('pending'), 'the store refused to record them');
    const lines = r.log.slice(from).split('\n').filter((l) => /"msg":"cannot record/.test(l));
    console.log(`     ${lines.length} log lines over ${refusing.toFixed(1)} s of refused records`);
    assert.ok(lines.length >= 1, 'the failure is logged');
    assert.ok(lines.length <= 2 * refusing + 4, `${lines.length} lines in ${refusing.toFixed(1)} s: not rate-limited`);
    // The store takes writes again: the same runner records what it delivered, once.
    sql('DROP TRIGGER refuse_delivered;');
    await r.until('the five recorded delivered', () => status(written).every((s) => s === 'delivered'), 15000);
    await sleep(1500);  // time for a second delivery, were one to happen
    assert.deepEqual([...new Set(ids())].sort(), r.effects().map((e) => e.id).sort());
    const counts = {};
    for (const id of ids()) counts[id] = (counts[id] || 0) + 1;
    assert.deepEqual(Object.values(counts), Array(6).fill(1), `delivered more than once: ${JSON.stringify(counts)}`);
    assert.equal(r.effects().filter((e) => e.status !== 'delivered').length, 0);
  } finally {
    await r.kill('SIGTERM');
  }
});

// Starts nginx with workflows/deploy/nginx-shopflow.conf in front of `upstreamPort`, on a free port, with a
// certificate made for the test; returns { url, ca, stop }.
async function startNginx(upstreamPort) {
  const dir = tempDir('nginx');
  fs.chmodSync(dir, 0o755);
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const port = await freePort();
  const recipe = fs.readFileSync(path.join(here, '../../workflows/deploy/nginx-shopflow.conf'), 'utf8')
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${upstreamPort};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`)
    .replace('listen [::]:443 ssl http2;', '')
    .replace(/ssl_certificate +\S+;/, `ssl_certificate ${cert};`)
    .replace(/ssl_certificate_key +\S+;/, `ssl_certificate_key ${key};`);
  fs.writeFileSync(path.join(dir, 'site.conf'), recipe);
  const temp = (name) => { const p = path.join(dir, name); fs.mkdirSync(p, { mode: 0o777 }); return p; };
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n` +
    `events { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path ${temp('body')};\n` +
    `  proxy_temp_path ${temp('proxy')};\n  fastcgi_temp_path ${temp('fastcgi')};\n  uwsgi_temp_path ${temp('uwsgi')};\n` +
    `  scgi_temp_path ${temp('scgi')};\n  include ${dir}/site.conf;\n}\n`);
  const nginx = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  execFileSync(nginx, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'pipe' });
  const proc = spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  proc.nginx = true;  // SIGTERM: its master then ends its worker
  started.push(proc);
  const ca = fs.readFileSync(cert);
  const url = `https://localhost:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => net.connect(port, '127.0.0.1').on('connect', function () { this.destroy(); resolve(true); })
      .on('error', () => resolve(false)));
    if (up) break;
    await sleep(50);
  }
  return { url, ca, port, stop: () => { proc.kill('SIGQUIT'); return new Promise((r) => proc.on('exit', r)); } };
}

// A request over TLS that verifies the certificate against `ca`: { status, body, protocol, authorized }.
function httpsPost(url, ca, body, headers) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, agent: false, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const { authorized } = res.socket;
      const protocol = res.socket.getProtocol();
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: text, protocol, authorized }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

await t.test('HTTPS through the nginx recipe: a signed Shopify webhook over a verified TLS handshake, pipelining in order; 200 slow clients do not starve it', async () => {
  const proxy = await startNginx(runner.port);
  const slow = [];
  try {
    const body = JSON.stringify({ id: 443, name: '#443', email: 'tls@example.com', total_price: '4.43' });
    const headers = { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Shop-Domain': 'demo.myshopify.com',
      'X-Shopify-Webhook-Id': 'tls-443', 'X-Shopify-Hmac-Sha256': sign(SECRET, body) };
    const res = await httpsPost(`${proxy.url}/webhooks/shopify`, proxy.ca, body, headers);
    assert.equal(res.status, 202, res.body);
    assert.equal(res.authorized, true, 'the certificate verified');
    assert.match(String(res.protocol), /TLSv1\.[23]/);
    await runner.until('the webhook run', () => runner.runs().some((r) => r.event === 'shopify:demo.myshopify.com#tls-443'));
    // A client that does not trust the certificate is refused in the handshake.
    await assert.rejects(httpsPost(`${proxy.url}/webhooks/shopify`, undefined, body, headers), /self[- ]signed|unable to verify/i);
    // /metrics is not served to the internet (this test's client is on loopback, as allowed).
    assert.equal((await httpsPost(`${proxy.url}/v1/events`, proxy.ca, '{', { ...ce })).status, 400);
    // Pipelined requests are each answered, in order.
    const pipelined = await new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: proxy.port, ca: proxy.ca, servername: 'localhost' }, () => {
        const one = (id) => {
          const b = JSON.stringify(orderEvent(id));
          return `POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\n` +
            `Content-Type: application/cloudevents+json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`;
        };
        s.write(one('pipe-1') + one('pipe-2') + one('pipe-1'));
      });
      let text = '';
      s.on('data', (d) => {
        text += d;
        if ((text.match(/HTTP\/1\.1 \d+/g) || []).length === 3 && text.endsWith('}\n')) { s.destroy(); resolve(text); }
      });
      s.on('error', reject);
      setTimeout(() => { s.destroy(); resolve(text); }, 10000);
    });
    assert.deepEqual(pipelined.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 202', 'HTTP/1.1 202', 'HTTP/1.1 202']);
    assert.deepEqual(pipelined.match(/\{"accepted":\d,"duplicates":\d\}/g),
      ['{"accepted":1,"duplicates":0}', '{"accepted":1,"duplicates":0}', '{"accepted":0,"duplicates":1}']);
    // 200 connections sending their headers a byte at a time: nginx holds them, the runner never sees them.
    for (let i = 0; i < 200; i++) {
      const s = tls.connect({ host: '127.0.0.1', port: proxy.port, ca: proxy.ca, servername: 'localhost' });
      s.on('error', () => {});
      slow.push(s);
    }
    const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('X'); }, 1000);
    await sleep(1500);
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const probe = await httpsPost(`${proxy.url}/v1/events`, proxy.ca, JSON.stringify(orderEvent(`tls-${i}`)), ce);
      const ms = performance.now() - t0;
      assert.equal(probe.status, 202);
      assert.ok(ms < 1000, `a probe took ${ms.toFixed(0)} ms behind 200 slow clients`);
    }
    clearInterval(drip);
  } finally {
    for (const s of slow) s.destroy();
    await proxy.stop();
  }
});

await runner.kill('SIGTERM');
t.done();
