// `shopflow serve` facing clients directly, without a proxy in front: slow clients, idle
// keep-alive connections, more connections than its cap, pipelined requests, an endless header
// line, bytes that are not HTTP/1.x, and SIGTERM among all of them. Each replays a way the
// blocking server it replaced was starved.
// Usage: node connections_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, orderEvent, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, 'bundle.json');
const TOKEN = 'conn-token';
const ce = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/cloudevents+json' };
const t = suite();

const started = [];
const sockets = [];
process.on('exit', () => {
  for (const s of sockets) s.destroy();
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
});
class TrackedRunner extends Runner {
  async start() { const r = await super.start(); started.push(this.proc); return r; }
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// A raw connection; `ended` resolves with the time it ended, `text()` is what it received.
function connect(port) {
  const s = net.connect(port, '127.0.0.1');
  let received = '';
  s.on('data', (d) => { received += d; });
  s.on('error', () => {});
  s.opened = new Promise((resolve) => s.on('connect', resolve));
  s.ended = new Promise((resolve) => s.on('close', () => resolve(performance.now())));
  s.text = () => received;
  sockets.push(s);
  return s;
}

// One request on a connection of its own: { status, ms, body, headers }.
function request(url, pathname, { method = 'GET', body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(`${url}${pathname}`, { method, agent: false,
      headers: body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const probe = (url, id) => request(url, '/v1/events', { method: 'POST', body: JSON.stringify(orderEvent(id)), headers: ce });

const runner = new TrackedRunner(bin, bundle, tempDir('conn'), { env: { SHOPFLOW_API_TOKEN: TOKEN } });
await runner.start();

await t.test('200 clients sending a byte a second do not delay a probe; each is closed at the request deadline', async () => {
  const slow = [];
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    const s = connect(runner.port);
    s.write('POST /v1/events HTTP/1.1\r\nHost: x\r\n');
    slow.push(s);
  }
  await Promise.all(slow.map((s) => s.opened));
  const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('X'); }, 1000);
  try {
    await sleep(1500);
    for (let i = 0; i < 5; i++) {
      const p = await probe(runner.url, `slow-${i}`);
      assert.equal(p.status, 202);
      assert.ok(p.ms < 1000, `a probe took ${p.ms.toFixed(0)} ms beside 200 slow clients`);
    }
    // Their requests never end: each connection is closed once its 10 s are up.
    const ends = await Promise.race([Promise.all(slow.map((s) => s.ended)), sleep(20000).then(() => null)]);
    assert.ok(ends, 'the slow clients were still connected after 20 s');
    const last = (Math.max(...ends) - t0) / 1000;
    console.log(`     the 200 slow clients were closed ${((Math.min(...ends) - t0) / 1000).toFixed(1)}-${last.toFixed(1)} s after they connected`);
    assert.ok(last < 14, `the last was closed after ${last.toFixed(1)} s`);
    const metrics = (await request(runner.url, '/metrics')).body;
    assert.match(metrics, /shopflow_http_connections_closed_total\{reason="deadline"\} [1-9]/);
  } finally {
    clearInterval(drip);
  }
});

await t.test('idle keep-alive connections hold nothing: a new request is answered at once', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const once = (id) => new Promise((resolve, reject) => {
    const body = JSON.stringify(orderEvent(id));
    const req = http.request(`${runner.url}/v1/events`, { method: 'POST', agent, headers: { ...ce, 'Content-Length': Buffer.byteLength(body) } },
      (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
  // 64 kept-alive connections, each used once and left idle (a proxy's pool).
  assert.deepEqual(new Set(await Promise.all(Array.from({ length: 64 }, (_, i) => once(`idle-${i}`)))), new Set([202]));
  try {
    await sleep(500);
    for (let i = 0; i < 5; i++) {
      const p = await probe(runner.url, `after-idle-${i}`);
      assert.equal(p.status, 202);
      assert.ok(p.ms < 500, `a request took ${p.ms.toFixed(0)} ms beside 64 idle connections`);
    }
  } finally {
    agent.destroy();
  }
});

await t.test('three pipelined requests on one connection are answered, in order', async () => {
  const one = (id) => {
    const b = JSON.stringify(orderEvent(id));
    return `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
      `Content-Type: application/cloudevents+json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`;
  };
  const s = connect(runner.port);
  s.write(one('pipe-1') + one('pipe-2') + one('pipe-1') + 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  for (let i = 0; i < 100 && !/\r\n\r\nok\n$/.test(s.text()); i++) await sleep(50);
  s.destroy();
  const text = s.text();
  assert.deepEqual(text.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 202', 'HTTP/1.1 202', 'HTTP/1.1 202', 'HTTP/1.1 200'], text);
  assert.deepEqual(text.match(/\{"accepted":\d,"duplicates":\d\}/g),
    ['{"accepted":1,"duplicates":0}', '{"accepted":1,"duplicates":0}', '{"accepted":0,"duplicates":1}']);
});

await t.test('an endless header line is refused (431) and memory stays bounded', async () => {
  const before = rssKiB(runner.proc.pid);
  const clients = Array.from({ length: 8 }, () => {
    const s = connect(runner.port);
    s.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Endless: ');
    const piece = 'a'.repeat(64 * 1024);
    let sent = 0;
    const pump = () => {
      while (!s.destroyed && sent < (16 << 20)) {
        sent += piece.length;
        if (!s.write(piece)) { s.once('drain', pump); return; }
      }
    };
    pump();
    return s;
  });
  const t0 = performance.now();
  const ends = await Promise.race([Promise.all(clients.map((s) => s.ended)), sleep(10000).then(() => null)]);
  assert.ok(ends, 'a connection sending an endless header line was still open after 10 s');
  console.log(`     the 8 connections were closed within ${((Math.max(...ends) - t0) / 1000).toFixed(2)} s`);
  // The answer is 431; a client that keeps sending may see the connection reset before it (the
  // runner closes with its bytes unread). One that stops at 100 KB reads it.
  const one = connect(runner.port);
  one.write(`POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(100000)}`);
  await Promise.race([one.ended, sleep(5000)]);
  assert.match(one.text(), /^HTTP\/1\.1 431/);
  const after = rssKiB(runner.proc.pid);
  console.log(`     resident memory ${Math.round(before / 1024)} MiB before, ${Math.round(after / 1024)} MiB after 8 endless headers`);
  assert.ok(after - before < 16 * 1024, `grew by ${after - before} KiB; the bound is 16 MiB`);
  assert.equal((await probe(runner.url, 'after-endless')).status, 202);
});

await t.test('what is not HTTP/1.x (HTTP/2 preface, HTTP/0.9, garbage) is refused at once', async () => {
  const cases = [
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', /^HTTP\/1\.1 505/],
    ['HTTP/0.9', 'GET /healthz\r\n', /^HTTP\/1\.1 400/],
    ['garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n', /^HTTP\/1\.1 400/],
  ];
  for (const [name, bytes, answer] of cases) {
    const s = connect(runner.port);
    const t0 = performance.now();
    s.write(Buffer.from(bytes, 'latin1'));
    const end = await Promise.race([s.ended, sleep(3000).then(() => null)]);
    s.destroy();
    assert.ok(end, `${name}: still open after 3 s`);
    const ms = end - t0;
    console.log(`     ${name}: ${JSON.stringify(s.text().split('\r\n')[0])} in ${ms.toFixed(0)} ms`);
    assert.match(s.text(), answer, name);
    assert.ok(ms < 1000, `${name}: answered after ${ms.toFixed(0)} ms`);
  }
});

await t.test('past --max-connections a request is answered 503 with a JSON error; under it, served again', async () => {
  const dir = tempDir('cap');
  const r = new TrackedRunner(bin, bundle, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN }, args: ['--max-connections', '20'] });
  await r.start();
  try {
    const held = Array.from({ length: 20 }, () => connect(r.port));
    await Promise.all(held.map((s) => s.opened));
    await sleep(300);
    const over = await probe(r.url, 'over-cap');
    assert.equal(over.status, 503);
    const res = await request(r.url, '/healthz');
    assert.equal(res.status, 503);
    const err = JSON.parse(res.body).error;
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, /20 connections/);
    assert.equal(res.headers['retry-after'], '5');
    for (const s of held) s.destroy();
    await sleep(300);
    assert.equal((await probe(r.url, 'under-cap')).status, 202);
    const metrics = (await request(r.url, '/metrics')).body;
    assert.match(metrics, /shopflow_requests_rejected_total\{endpoint="events",reason="too_many_connections"\} 1/);
  } finally {
    await r.kill('SIGTERM');
  }
});

await t.test('SIGTERM ends the runner within 5 s among 200 slow and 50 idle clients, with what it acknowledged kept', async () => {
  const dir = tempDir('term');
  const r = new TrackedRunner(bin, bundle, dir, { env: { SHOPFLOW_API_TOKEN: TOKEN } });
  await r.start();
  assert.equal((await probe(r.url, 'term-1')).status, 202);
  const slow = Array.from({ length: 200 }, () => { const s = connect(r.port); s.write('POST /v1/events HTTP/1.1\r\n'); return s; });
  const idle = Array.from({ length: 50 }, () => connect(r.port));
  await Promise.all([...slow, ...idle].map((s) => s.opened));
  const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('X'); }, 500);
  await sleep(700);
  const t0 = performance.now();
  r.proc.kill('SIGTERM');
  const exit = await r.exited;
  const secs = (performance.now() - t0) / 1000;
  clearInterval(drip);
  console.log(`     stopped in ${secs.toFixed(2)} s`);
  assert.equal(exit.code, 0);
  assert.ok(secs < 5, `SIGTERM took ${secs.toFixed(1)} s`);
  assert.ok(r.runs().some((x) => x.event === 'ce:/test/shop#term-1'));
});

await runner.kill('SIGTERM');
t.done();
