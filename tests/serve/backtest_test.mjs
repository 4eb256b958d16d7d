// The fidelity test of the whole product: a real `shopflow serve` runs the quotes bundle
// (workflows/quotes.json: conditions, tables, waits, effects) on its sample events, posted as
// webhooks, twice over (the second time as other quotes); `shopflow backtest` of the same bundle
// over production's record finds no difference, and of an edit (a lower approval threshold)
// exactly the decisions and effects it changes. Time windows; `export-events`; errors.
// Usage: node backtest_test.mjs SHOPFLOW_BINARY
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner, sleep, suite, tempDir } from './harness.mjs';

const bin = path.resolve(process.argv[2] || '');
const here = path.dirname(fileURLToPath(import.meta.url));
const source = JSON.parse(fs.readFileSync(path.join(here, '..', '..', 'workflows', 'quotes.json'), 'utf8'));
const TOKEN = 'backtest-ingest-token';
const t = suite();

const dir = tempDir('backtest');
const deployed = path.join(dir, 'quotes.json');
fs.writeFileSync(deployed, JSON.stringify(source, null, 2));
// The edit: quotes over 5,000.00 (not 10,000.00) wait for a manager's approval.
const edited = structuredClone(source);
edited.tables.quote_policy.rows[0].approval_threshold = '5000.00';
const editedPath = path.join(dir, 'quotes-edited.json');
fs.writeFileSync(editedPath, JSON.stringify(edited, null, 2));

// Copy k of the samples as other quotes: what identifies things gets "~k" (integers + k million).
function copyOf(value, k) {
  if (Array.isArray(value)) return value.map((v) => copyOf(v, k));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    const ident = key === 'id' || key.endsWith('_id');
    if (ident && typeof v === 'string') out[key] = `${v}~${k}`;
    else if (ident && Number.isInteger(v)) out[key] = v + k * 1000000;
    else out[key] = copyOf(v, k);
  }
  return out;
}

// The runner's API is on (a read token), without redaction: the analysts of this shop may see
// its customers, and effects whose text names a customer then compare as production sent them.
const READ = 'backtest-read-token';
const config = path.join(dir, 'deploy.json');
fs.writeFileSync(config, JSON.stringify({ api: { redact: false } }));
const runner = new Runner(bin, deployed, dir,
  { env: { SHOPFLOW_API_TOKEN: TOKEN, SHOPFLOW_API_READ_TOKEN: READ }, args: ['--config', config] });
await runner.start();

async function post(events) {
  for (const e of events) {
    const res = await runner.post('/v1/events', JSON.stringify({ specversion: '1.0', ...e }),
      { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/cloudevents+json' });
    assert.equal(res.status, 202, await res.text());
    await sleep(15);
  }
}

// Production is done with what it was sent once its runs stop changing.
async function settled() {
  let last = '';
  await runner.until('the runs to settle', () => {
    const now = JSON.stringify(runner.runs().map((r) => [r.id, r.status]));
    const same = now === last;
    last = now;
    return same;
  });
}

const samples = source.samples.events;
const first = samples.map((e) => copyOf(e, 1));
const second = samples.map((e) => copyOf(e, 2));
await post(first);
await settled();
await sleep(50);
const between = new Date().toISOString();
await sleep(50);
await post(second);
await settled();

function backtest(...args) {
  const r = spawnSync(bin, ['backtest', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const json = (r) => JSON.parse(r.out);
const wf = (report, id) => report.workflows.find((w) => w.workflow === id);

await t.test('the bundle production ran, over its own events: no difference (exit 0)', async () => {
  const r = backtest(deployed, '--db', runner.db);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /No difference/);
  const j = json(backtest(deployed, '--db', runner.db, '--json', '--details'));
  assert.equal(j.differs, false, JSON.stringify(j.details, null, 1));
  assert.equal(j.events, 2 * samples.length);
  const quote = wf(j, 'price-quote');
  assert.equal(quote.runs.before, 14);  // 7 quotes requested, twice
  assert.equal(quote.runs.after, 14);
  assert.ok(quote.effects.before > 14, 'the quotes made effects');
  assert.equal(quote.effects.after, quote.effects.before);
  assert.equal(wf(j, 'handle-quote-acceptance').runs.before, wf(j, 'handle-quote-acceptance').runs.after);
  assert.ok(wf(j, 'handle-quote-acceptance').runs.before > 0);
});

// What the lower threshold changes, from the samples: the quotes whose total is above 5,000.00
// and at most 10,000.00 now wait for approval instead of going out.
const flippedQuotes = ['Q-2026-0142', 'Q-2026-0146'];
await t.test('an edited threshold: exactly the expected flipped decisions and effects (exit 1)', async () => {
  const r = backtest(editedPath, '--db', runner.db);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /decisions flipped/);
  assert.match(r.out, /--details/);
  const j = json(backtest(editedPath, '--db', runner.db, '--json', '--details'));
  assert.equal(j.differs, true);
  const flips = j.details.filter((d) => d.kind === 'decision flipped');
  const expected = [1, 2].flatMap((k) => flippedQuotes.map((q) => `price-quote:ce:https://b2b.nordlicht-coffee.example#qr-${q}~${k}`));
  assert.deepEqual(flips.map((d) => d.run).sort(), expected.sort());
  for (const d of flips) {
    assert.equal(d.step, 'needs-approval');
    assert.equal(d.before, false);
    assert.equal(d.after, true);
    assert.ok(d.seen_before['vars.total'], 'the decision shows the total it saw');
    assert.equal(d.seen_after['vars.threshold'], '5000.00');
    assert.equal(d.seen_before['vars.threshold'], '10000.00');
  }
  // Those quotes now wait for approval: no quote email goes out, a manager is asked instead,
  // and the buyer's acceptance no longer finds a quote that was sent. The quotes that already
  // needed approval ask with the new limit in the message.
  const quotes = (qs) => [1, 2].flatMap((k) => qs.map((q) => `${q}~${k}`)).sort();
  const listed = (kind, f) => j.details.filter((d) => d.kind === kind).map(f).sort();
  const quoteOf = (id) => id.split('#')[1].replace(/^q[a-z]+-/, '').replace(/\/.*$/, '');
  assert.deepEqual(listed('run ends differently', (d) => `${quoteOf(d.run)} ${d.before} -> ${d.after}`),
    quotes(flippedQuotes).map((q) => `${q} stopped: accepted before the reminder -> waiting`));
  assert.deepEqual(listed('effect removed', (d) => `${quoteOf(d.effect)} ${d.type} ${d.step}`).sort(),
    [...quotes(flippedQuotes).map((q) => `${q} email.send send-quote`),
      ...quotes(flippedQuotes).map((q) => `${q} notify ask-for-order`)].sort());
  assert.deepEqual(listed('effect added', (d) => `${quoteOf(d.effect)} ${d.type} ${d.step}`),
    quotes(flippedQuotes).map((q) => `${q} notify needs-approval/then/ask-manager`));
  assert.deepEqual(listed('run removed', (d) => `${d.workflow} ${quoteOf(d.run)}`),
    quotes(flippedQuotes).map((q) => `handle-quote-acceptance ${q}`));
  const changed = j.details.filter((d) => d.kind === 'effect changed');
  assert.deepEqual(changed.map((d) => quoteOf(d.effect)).sort(), quotes(['Q-2026-0143', 'Q-2026-0144', 'Q-2026-0147']));
  for (const d of changed) {
    assert.deepEqual(d.changed, ['/message']);
    assert.match(d.before.message, /above the €10\.000,00 limit/);
    assert.match(d.after.message, /above the €5\.000,00 limit/);
  }
  assert.equal(j.details.length, 4 + 4 + 8 + 4 + 4 + 6);
  assert.equal(wf(j, 'price-quote').decisions_flipped, 4);
});

await t.test('--since and --until: only the events received in the window, and the runs they started', async () => {
  const since = json(backtest(editedPath, '--db', runner.db, '--json', '--details', '--since', between));
  assert.equal(since.events, samples.length);
  assert.equal(wf(since, 'price-quote').runs.before, 7);
  assert.deepEqual(since.details.filter((d) => d.kind === 'decision flipped').map((d) => d.run.split('#')[1]).sort(),
    flippedQuotes.map((q) => `qr-${q}~2`));
  const until = json(backtest(editedPath, '--db', runner.db, '--json', '--details', '--until', between));
  assert.equal(until.events, samples.length);
  assert.deepEqual(until.details.filter((d) => d.kind === 'decision flipped').map((d) => d.run.split('#')[1]).sort(),
    flippedQuotes.map((q) => `qr-${q}~1`));
  // The deployed bundle over either window: no difference.
  for (const w of [['--since', between], ['--until', between]]) {
    const r = backtest(deployed, '--db', runner.db, ...w);
    assert.equal(r.code, 0, `${w.join(' ')}: ${r.out}${r.err}`);
  }
});

await t.test('--until T leaves out what was received at T, through --db and --from alike', async () => {
  const received = runner.cli('export-events', '--db', runner.db).trim().split('\n').map((l) => JSON.parse(l));
  const at = received[samples.length + 1].received;  // the second event of the second round
  const expected = received.filter((l) => l.received < at).length;
  assert.ok(expected <= samples.length + 1 && expected > 0);
  const strip = (j) => { delete j.production; return j; };
  const viaDb = strip(json(backtest(editedPath, '--db', runner.db, '--json', '--details', '--until', at)));
  const viaApi = strip(json(backtest(editedPath, '--from', runner.url, '--token', READ, '--json', '--details', '--until', at)));
  assert.equal(viaDb.events, expected);
  assert.deepEqual(viaApi, viaDb);
  const r = backtest(deployed, '--db', runner.db, '--until', at);
  assert.equal(r.code, 0, r.out + r.err);
});

await t.test('--from URL reads the running runner\'s API and finds what --db finds', async () => {
  const r = backtest(deployed, '--from', runner.url, '--token', READ);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /No difference/);
  const strip = (j) => { delete j.production; return j; };
  const viaApi = strip(json(backtest(editedPath, '--from', runner.url, '--token', READ, '--json', '--details')));
  const viaDb = strip(json(backtest(editedPath, '--db', runner.db, '--json', '--details')));
  assert.deepEqual(viaApi, viaDb);
  const since = json(backtest(editedPath, '--from', runner.url, '--token', READ, '--json', '--since', between));
  assert.equal(since.events, samples.length);
  assert.equal(wf(since, 'price-quote').decisions_flipped, 2);
  // The read token from SHOPFLOW_API_READ_TOKEN, the name the runner gives it, even beside the
  // ingest's SHOPFLOW_API_TOKEN in the same shell; the ingest's name alone still works.
  const withEnv = (env) => spawnSync(bin, ['backtest', deployed, '--from', runner.url], { encoding: 'utf8',
    env: { ...process.env, SHOPFLOW_API_READ_TOKEN: '', SHOPFLOW_API_TOKEN: '', ...env } });
  let e = withEnv({ SHOPFLOW_API_READ_TOKEN: READ, SHOPFLOW_API_TOKEN: TOKEN });
  assert.equal(e.status, 0, e.stdout + e.stderr);
  e = withEnv({ SHOPFLOW_API_TOKEN: READ });
  assert.equal(e.status, 0, e.stdout + e.stderr);
  e = withEnv({});
  assert.equal(e.status, 2);
  assert.match(e.stderr, /SHOPFLOW_API_READ_TOKEN/);
  const bad = backtest(deployed, '--from', runner.url, '--token', 'wrong');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /401/);
  assert.match(bad.err, /read token/);
});

await t.test('export-events writes the events received, in order, as JSON Lines', async () => {
  const out = runner.cli('export-events', '--db', runner.db);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2 * samples.length);
  assert.deepEqual(lines.map((l) => l.event.id), [...first, ...second].map((e) => e.id));
  for (let i = 1; i < lines.length; i++) {
    assert.ok(lines[i].seq > lines[i - 1].seq);
    assert.ok(lines[i].received >= lines[i - 1].received);
  }
  assert.match(lines[0].received, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const typed = runner.cli('export-events', '--db', runner.db, '--type', 'quote.accepted', '--since', between).trim().split('\n');
  assert.equal(typed.length, samples.filter((e) => e.type === 'quote.accepted').length);
  const api = execFileSync(bin, ['export-events', '--from', runner.url], { encoding: 'utf8', env: { ...process.env, SHOPFLOW_API_READ_TOKEN: READ } })
    .trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(api.map((l) => [l.seq, l.received, l.event.id]), lines.map((l) => [l.seq, l.received, l.event.id]));
});

await t.test('errors say what, where and what to do (exit 2)', async () => {
  let r = backtest(deployed, '--db', path.join(dir, 'nope.db'));
  assert.equal(r.code, 2);
  assert.match(r.err, /no store at .*nope\.db/);
  r = backtest(deployed);
  assert.equal(r.code, 2);
  assert.match(r.err, /--db STORE or --from URL/);
  r = backtest(deployed, '--db', runner.db, '--since', 'yesterday');
  assert.equal(r.code, 2);
  assert.match(r.err, /--since yesterday/);
  r = backtest(deployed, '--from', runner.url);
  assert.equal(r.code, 2);
  assert.match(r.err, /token/);
  r = backtest('--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: shopflow backtest/);
});

await runner.kill('SIGTERM');
t.done();
