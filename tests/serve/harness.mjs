// Starts and stops `shopflow serve` for the end-to-end tests, and talks to it over HTTP.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

export function tempDir(name) { return fs.mkdtempSync(path.join(os.tmpdir(), `shopflow-${name}-`)); }

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The store a test runner gets: a SQLite file in its folder or, when SHOPFLOW_TEST_PG names a
// PostgreSQL server (tests/support/pg_temp.sh), an empty schema of its own in that database.
export function storeFor(dir) {
  const server = process.env.SHOPFLOW_TEST_PG;
  if (!server) return path.join(dir, 'store.db');
  const schema = `serve_${path.basename(dir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  execFileSync('psql', [server, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE SCHEMA ${schema}`], { stdio: 'inherit' });
  return `${server}${server.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
}

export function sign(secret, body) { return crypto.createHmac('sha256', secret).update(body).digest('base64'); }

export class Runner {
  constructor(bin, bundle, dir, { env = {}, args = [] } = {}) {
    Object.assign(this, { bin, bundle, dir, env, args, db: storeFor(dir), log: '' });
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(this.bin, ['serve', this.bundle, '--db', this.db, '--listen', `127.0.0.1:${this.port}`, ...this.args],
      { cwd: this.dir, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    for (let i = 0; i < 200; i++) {
      try { if ((await fetch(`${this.url}/healthz`)).ok) return; } catch { /* not up yet */ }
      if (this.proc.exitCode !== null) break;
      await sleep(25);
    }
    throw new Error(`shopflow serve did not start:\n${this.log}`);
  }

  kill(signal = 'SIGKILL') { this.proc.kill(signal); return this.exited; }

  post(pathname, body, headers = {}) {
    return fetch(`${this.url}${pathname}`, { method: 'POST', body, headers });
  }

  cli(...args) { return execFileSync(this.bin, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }); }
  runs() { return JSON.parse(this.cli('runs', '--db', this.db, '--json')); }
  effects() { return JSON.parse(this.cli('effects', '--db', this.db, '--json')); }
  sinkLines() {
    const file = path.join(this.dir, 'effects.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  async until(what, predicate, timeoutMs = 20000) {
    const start = Date.now();
    for (;;) {
      const v = await predicate();
      if (v) return v;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}\n${this.log.slice(-3000)}`);
      await sleep(100);
    }
  }
}

// A tiny test runner: named checks, a summary line in the form CTest and CI read.
export function suite() {
  let passed = 0, failed = 0;
  return {
    async test(name, fn) {
      try { await fn(); passed++; console.log(`ok   ${name}`); } catch (e) { failed++; console.log(`FAIL ${name}\n     ${e.stack || e}`); }
    },
    done() { console.log(`${passed} passed, ${failed} failed`); process.exit(failed ? 1 : 0); },
  };
}

// The key the runner deduplicates a CloudEvent on (and names its runs by): its source and id.
export const ceKey = (id, source = '/test/shop') => `ce:${source}#${id}`;

export function orderEvent(id, fields = {}) {
  return { specversion: '1.0', id, source: '/test/shop', type: 'order.created', time: new Date().toISOString(),
    data: { id: Number(String(id).replace(/\D/g, '')) || 1, name: `#${id}`, email: `buyer-${id}@example.com`, total_price: '49.90', ...fields } };
}
