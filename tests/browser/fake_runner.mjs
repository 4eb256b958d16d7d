// A stand-in for `shopflow serve`'s API (/v1, as the README's "Studio: the Runner panel"
// describes it) for the studio's benchmark: events made on demand from their seq, so a million
// of them cost no memory; runs, bundle versions, deploy and rollback kept in memory; bearer
// tokens and CORS as the real runner answers them. Events, runs and effects are each
// { count, make(seq) } (make returns null where there is none), runs also with byId(id).
// Usage:
//   const fake = await startFakeRunner({ bundle, events, runs, effects, origins, readToken, adminToken, keep });
//   fake.url ... fake.close()
// With `keep`, each page of events, runs and effects is made once and kept (as bytes): asked for
// again, it costs this process next to nothing, as a runner on another machine costs the
// browser's machine nothing.

import crypto from 'node:crypto';
import http from 'node:http';

const version = (text) => crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);

const none = { count: 0, make: () => null, byId: () => null };

// The items after `after` in seq order, at most `limit` of them, and whether more may follow.
function page(source, after, limit) {
  const out = [];
  let seq = after + 1;
  for (; seq <= source.count && out.length < limit; seq++) {
    const item = source.make(seq);
    if (item) out.push(item);
  }
  return { items: out, more: seq <= source.count, last: seq - 1 };
}

export function startFakeRunner({ bundle, events = none, runs = none, effects = none, origins = [],
  readToken = 'read-token', adminToken = 'admin-token', port = 0, keep = false }) {
  const kept = new Map();  // GET url -> [status, body bytes, headers]
  const versions = new Map();
  const history = [];
  let current = null;
  const deploy = (b, source) => {
    const text = JSON.stringify(b);
    const v = version(text);
    versions.set(v, b);
    current = v;
    history.unshift({ version: v, deployed_at: new Date().toISOString(), source });
    return v;
  };
  deploy(bundle, 'start');
  const stats = { requests: 0, eventLines: 0, runLines: 0 };

  const server = http.createServer((req, res) => {
    stats.requests++;
    const origin = req.headers.origin;
    const cors = origin && origins.includes(origin)
      ? { 'Access-Control-Allow-Origin': origin, 'Vary': 'Origin', 'Access-Control-Expose-Headers': 'Shopflow-Next-After' } : {};
    const url = new URL(req.url, 'http://x');
    const keepIt = keep && req.method === 'GET' && /^\/v1\/(events|runs|effects)$/.test(url.pathname);
    const send = (status, body, headers = {}) => {
      const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      if (keepIt && status === 200) kept.set(req.url, [status, bytes, headers]);
      res.writeHead(status, { 'Content-Type': 'application/json', ...cors, ...headers });
      res.end(bytes);
    };

    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, PUT, POST', 'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600' });
      res.end();
      return;
    }
    const auth = req.headers.authorization || '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const admin = token === adminToken;
    if (!admin && token !== readToken) return send(401, { error: 'unauthorized', message: 'send Authorization: Bearer <token>' });
    if (keepIt && kept.has(req.url)) {
      const [status, bytes, headers] = kept.get(req.url);
      res.writeHead(status, { 'Content-Type': 'application/json', ...cors, ...headers });
      res.end(bytes);
      return;
    }
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const p = url.pathname;
      const q = (k, d) => url.searchParams.get(k) ?? d;
      if (req.method === 'GET' && p === '/v1/bundle') {
        return send(200, { version: current, bundle: versions.get(current), history });
      }
      if (req.method === 'GET' && p === '/v1/events') {
        const pg = page(events, Number(q('after', 0)), Math.min(Number(q('limit', 1000)), 100000));
        stats.eventLines += pg.items.length;
        const text = pg.items.map((line) => JSON.stringify(line)).join('\n');
        return send(200, text + (text ? '\n' : ''),
          { 'Content-Type': 'application/x-ndjson', ...(pg.more ? { "Shopflow-Next-After": String(pg.last) } : {}) });
      }
      if (req.method === 'GET' && p === '/v1/runs') {
        const pg = page(runs, Number(q('after', 0)), Math.min(Number(q('limit', 1000)), 10000));
        const next = pg.more ? { 'Shopflow-Next-After': String(pg.last) } : {};
        if (q('steps', 'false') === 'true') {
          // JSON Lines, each run with its steps.
          stats.runLines += pg.items.length;
          const text = pg.items.map((r) => JSON.stringify({ ...r, steps: r.steps || [] })).join('\n');
          return send(200, text + (text ? '\n' : ''), { 'Content-Type': 'application/x-ndjson', ...next });
        }
        return send(200, { runs: pg.items.map(({ steps, ...r }) => r), next_after: pg.more ? pg.last : null }, next);
      }
      if (req.method === 'GET' && p === '/v1/effects') {
        const e = page(effects, Number(q('after', 0)), Math.min(Number(q('limit', 1000)), 10000));
        return send(200, { effects: e.items, next_after: e.more ? e.last : null },
          e.more ? { 'Shopflow-Next-After': String(e.last) } : {});
      }
      if (req.method === 'GET' && p.startsWith('/v1/runs/')) {
        const id = decodeURIComponent(p.slice('/v1/runs/'.length));
        const run = runs.byId(id);
        return run ? send(200, { run }) : send(404, { error: 'not_found', message: `no run ${id}` });
      }
      if ((req.method === 'PUT' && p === '/v1/bundle') || (req.method === 'POST' && p === '/v1/bundle/rollback')) {
        if (!admin) return send(403, { error: 'forbidden', message: 'deploying needs the admin token' });
        let j;
        try { j = JSON.parse(body); } catch (e) { return send(400, { error: 'bad_json', message: e.message }); }
        if (req.method === 'POST') {
          if (!versions.has(j.version)) return send(404, { error: 'not_found', message: `no version ${j.version}` });
          current = j.version;
          history.unshift({ version: j.version, deployed_at: new Date().toISOString(), source: 'rollback' });
          return send(200, { version: j.version });
        }
        if (!Array.isArray(j.workflows)) {
          return send(422, { error: 'bundle_refused', problems: [{ pointer: '/workflows', message: 'a bundle needs its workflows' }], failed_tests: [] });
        }
        return send(200, { version: deploy(j, 'deploy') });
      }
      send(404, { error: 'not_found', message: `no ${req.method} ${p}` });
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, stats, get version() { return current; },
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) });
    });
  });
}
