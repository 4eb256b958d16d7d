// Fencing of effect deliveries that outlive their lease, with real runners on one PostgreSQL:
//   - a runner reloads its bundle (SIGHUP) while one of its effects is being delivered to a
//     slow target; it is then paused past its lease, a second runner takes the effect over and
//     delivers it, and the first runner's late outcome (a failure) is refused: the effect stays
//     delivered as the second runner recorded it, and the first counts a lease lost;
//   - one runner whose heartbeat stalls while it delivers to a slow target loses the lease to
//     itself: it claims the effect again and delivers it again without a restart, and the
//     outcome of the stale attempt is refused, so the store records the delivery once.
// The target answers each delivery when the test says, so nothing here depends on timing but
// the lease itself.
// Run under tests/support/pg_temp.sh, which gives SHOPFLOW_TEST_PG.
// Usage: node fence_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, ceKey, freePort, orderEvent, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
if (!process.env.SHOPFLOW_TEST_PG) {
  console.error('fence_test: run me under tests/support/pg_temp.sh run (SHOPFLOW_TEST_PG is not set)');
  process.exit(2);
}
const LEASE_MS = 600;  // short, so that a lost lease costs the test a second, not the default 15
const bundle = path.join(here, 'fence_bundle.json');
const headers = { 'Content-Type': 'application/cloudevents+json' };
const t = suite();

// A webhook target that holds every delivery until the test answers it.
class HeldTarget {
  constructor() { this.requests = []; this.waiters = []; }
  async start() {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        this.requests.push({ key: req.headers['idempotency-key'], body, res });
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise((r) => this.server.listen(port, '127.0.0.1', r));
    return this;
  }
  answer(i, status) {
    const { res } = this.requests[i];
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(status < 300 ? { ok: true } : { error: 'refused' }));
  }
  async received(n, what, logs, timeoutMs = 15000) {
    const start = Date.now();
    while (this.requests.length < n) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}\n${logs()}`);
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, 200); });
    }
  }
  stop() { this.server.closeAllConnections?.(); return new Promise((r) => this.server.close(r)); }
}

function runnerFor(name, target, db, leaseMs = LEASE_MS) {
  const dir = tempDir(`fence-${name}`);
  const config = path.join(dir, 'deploy.json');
  fs.writeFileSync(config, JSON.stringify({ delivery: { default: { adapter: 'http', url: `${target.url}/effects`, timeout_ms: 30000 } },
    retry: { base_ms: 100, max_ms: 1000, max_attempts: 5 } }));
  const r = new Runner(bin, bundle, dir, { args: ['--config', config, '--lease-ms', String(leaseMs)] });
  if (db) r.db = db;
  r.name = name;
  return r;
}

const psql = (db, sql) => execFileSync('psql', [db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' }).trim();
const effectRow = (db, id) => {
  const line = psql(db, `SELECT status, attempts, epoch, coalesce(owner, ''), last_error FROM outbox WHERE id = '${id}'`);
  const [status, attempts, epoch, owner, lastError] = line.split('|');
  return { status, attempts: Number(attempts), epoch: Number(epoch), owner, lastError };
};
async function metric(r, name) {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && /^[a-z_]+(\{[^}]*\})? /.test(line)) sum += Number(line.split(' ').pop());
  return sum;
}
async function until(what, predicate, logs, timeoutMs = 15000) {
  const start = Date.now();
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await sleep(100);
  }
}
const logsOf = (...rs) => () => rs.map((r) => `-- runner ${r.name}\n${r.log.slice(-3000)}`).join('\n');

await t.test('a reloaded runner paused past its lease cannot overwrite the outcome of the runner that took its delivery over', async () => {
  const target = await new HeldTarget().start();
  const a = runnerFor('a', target);
  const b = runnerFor('b', target, a.db);
  const logs = logsOf(a, b);
  try {
    await a.start();
    const ev = orderEvent('fence-1');
    assert.equal((await a.post('/v1/events', JSON.stringify(ev), headers)).status, 202);
    await target.received(1, 'runner a to deliver the effect', logs);
    const id = target.requests[0].key;
    assert.equal(id, `order:${ceKey(ev.id, ev.source)}/notify`);
    const claimed = effectRow(a.db, id);

    // The bundle is reloaded while the delivery is in flight: a new engine takes over.
    const reloaded = (a.log.match(/bundle reloaded/g) || []).length;
    a.proc.kill('SIGHUP');
    await until('runner a to reload its bundle', () => (a.log.match(/bundle reloaded/g) || []).length > reloaded, logs);

    // Runner a stalls past its lease; runner b takes the effect over and delivers it.
    a.proc.kill('SIGSTOP');
    await b.start();
    await target.received(2, 'runner b to take the delivery over', logs);
    assert.equal(target.requests[1].key, id, 'the same idempotency key');
    target.answer(1, 200);
    await until('runner b to record the delivery', () => effectRow(a.db, id).status === 'delivered', logs);
    const delivered = effectRow(a.db, id);
    assert.ok(delivered.epoch > claimed.epoch, `claimed again under a new epoch (${claimed.epoch} -> ${delivered.epoch})`);
    await until('runner b to count its takeover', async () => await metric(b, 'shopflow_takeovers_total') >= 1, logs);

    // Runner a wakes up and its first attempt fails late: that outcome must not count.
    a.proc.kill('SIGCONT');
    target.answer(0, 400);
    await until('runner a to write its late outcome', async () =>
      effectRow(a.db, id).status !== 'delivered' || await metric(a, 'shopflow_lease_losses_total') >= 1, logs);
    const after = effectRow(a.db, id);
    assert.equal(after.status, 'delivered', `runner b's outcome stands (last error: ${after.lastError})`);
    assert.equal(after.lastError, '');
    assert.equal(after.attempts, delivered.attempts);
    assert.equal(await metric(a, 'shopflow_lease_losses_total'), 1, 'runner a counted its refused write');
    const listed = JSON.parse(a.cli('effects', '--db', a.db, '--json'));
    assert.deepEqual(listed.map((e) => [e.id, e.status]), [[id, 'delivered']]);
  } finally {
    a.proc.kill('SIGCONT');
    await Promise.all([a, b].filter((r) => r.proc && r.proc.exitCode === null).map((r) => r.kill('SIGTERM')));
    await target.stop();
  }
});

await t.test('a runner that claims its own lapsed delivery again delivers it again without a restart, and records it once', async () => {
  const target = await new HeldTarget().start();
  // A longer lease: the heartbeat is stalled only until the first lapse, well before a second.
  const r = runnerFor('solo', target, undefined, 2000);
  const logs = logsOf(r);
  let locker;
  try {
    await r.start();
    const ev = orderEvent('fence-2');
    assert.equal((await r.post('/v1/events', JSON.stringify(ev), headers)).status, 202);
    await target.received(1, 'the runner to deliver the effect', logs);
    const id = target.requests[0].key;
    const claimed = effectRow(r.db, id);
    assert.notEqual(claimed.owner, '');

    // The runner's heartbeat stalls: it renews its leases in one statement, which waits here on
    // an inbox row of the runner's that another session holds locked (the engine never touches
    // a handled event again). The effect's lease runs out while its delivery is in flight.
    psql(r.db, `UPDATE inbox SET owner = '${claimed.owner}', lease_until = now() + interval '1 hour' WHERE processed`);
    locker = spawn('psql', [r.db, '-v', 'ON_ERROR_STOP=1', '-qAt'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const locked = new Promise((resolve, reject) => {
      locker.stdout.once('data', resolve);
      locker.once('exit', (code) => reject(new Error(`psql ended (${code}) before it held the lock`)));
    });
    locker.stdin.write(`BEGIN;\nSELECT seq FROM inbox WHERE owner = '${claimed.owner}' FOR UPDATE;\n`);
    await locked;

    // The runner claims the effect again: its lease ran out, and no one else holds it.
    await until('the runner to claim its effect again', () => effectRow(r.db, id).epoch > claimed.epoch, logs);
    locker.stdin.end('ROLLBACK;\n');
    psql(r.db, `UPDATE inbox SET lease_until = NULL WHERE processed`);

    // The stale attempt fails late: its claim is gone, so its outcome is refused and changes
    // nothing; the effect, claimed again, is delivered again at once (same idempotency key).
    target.answer(0, 400);
    await target.received(2, 'the effect claimed again to be delivered again', logs);
    assert.equal(target.requests[1].key, id, 'the same idempotency key');
    target.answer(1, 200);
    await until('the delivery to be recorded', () => effectRow(r.db, id).status === 'delivered', logs);
    const after = effectRow(r.db, id);
    assert.equal(after.attempts, 1, 'one attempt recorded');
    assert.equal(after.lastError, '');
    await until('the counters to be exported', async () => await metric(r, 'shopflow_lease_losses_total') >= 1, logs);
    assert.equal(await metric(r, 'shopflow_lease_losses_total'), 1, 'the stale outcome was refused');
    assert.equal(await metric(r, 'shopflow_effect_deliveries_total{type="notify",outcome="delivered"}'), 1);
    assert.equal(await metric(r, 'shopflow_effect_deliveries_total{type="notify",outcome="dead"}'), 0);
    // Nothing is left in flight or held: no third attempt comes.
    await until('nothing left in flight', async () => await metric(r, 'shopflow_outbox_in_flight') === 0, logs);
    assert.equal(target.requests.length, 2);
  } finally {
    if (locker && locker.exitCode === null) locker.kill();
    if (r.proc && r.proc.exitCode === null) await r.kill('SIGTERM');
    await target.stop();
  }
});

t.done();
