// Checks every bundle in workflows/ against workflows/bundle.schema.json with an independent
// validator (Ajv, JSON Schema 2020-12, with formats), and that the schema rejects a few broken
// bundles. Ajv comes from tests/browser/node_modules (cmake/setup.sh runs `npm ci` there).
// Usage: node validate_schema.mjs SOURCE_DIR
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const src = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '../..'));
const require = createRequire(path.join(src, 'tests/browser/package.json'));
let Ajv2020, addFormats;
try {
  Ajv2020 = require('ajv/dist/2020').default;
  addFormats = require('ajv-formats').default;
} catch (e) {
  console.error(`ajv is not installed: run 'npm ci' in ${path.join(src, 'tests/browser')} (cmake/setup.sh does)`);
  process.exit(2);
}

const schema = JSON.parse(fs.readFileSync(path.join(src, 'workflows/bundle.schema.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let failures = 0;
const files = fs.readdirSync(path.join(src, 'workflows')).filter((f) => f.endsWith('.json') && !f.includes('.schema.')).sort();
if (files.length === 0) {
  console.log('FAIL no bundles found in workflows/');
  failures++;
}
for (const f of files) {
  const doc = JSON.parse(fs.readFileSync(path.join(src, 'workflows', f), 'utf8'));
  if (validate(doc)) {
    console.log(`ok   ${f} validates against bundle.schema.json`);
  } else {
    failures++;
    console.log(`FAIL ${f}`);
    for (const e of validate.errors.slice(0, 20)) console.log(`  ${e.instancePath || '(root)'}: ${e.message}`);
  }
}

// The schema is not vacuous: each of these must be refused.
const base = () => ({ format: 'shopflow.bundle/1', name: 'x', version: '1', workflows: [{ id: 'w', trigger: { event: 'order.created' }, steps: [] }] });
const broken = [
  ['wrong format', (b) => { b.format = 'shopflow.bundle/0'; }],
  ['unknown top-level field', (b) => { b.workflow = []; }],
  ['trigger event not a dotted lower-case name', (b) => { b.workflows[0].trigger.event = 'Order Paid'; }],
  ['unknown action', (b) => { b.workflows[0].steps.push({ id: 's', action: 'email.blast', params: {} }); }],
  ['missing action parameter', (b) => { b.workflows[0].steps.push({ id: 's', action: 'email.send', params: { to: 'a' } }); }],
  ['step doing two things', (b) => { b.workflows[0].steps.push({ id: 's', set: { a: 1 }, stop: true }); }],
  ['bad duration', (b) => { b.workflows[0].steps.push({ id: 's', wait: { duration: '4 hours' } }); }],
  ['test time not a date-time', (b) => { b.tests = [{ name: 't', events: [], until: 'tomorrow', expect: {} }]; }],
];
for (const [what, patch] of broken) {
  const b = base();
  patch(b);
  if (validate(b)) {
    failures++;
    console.log(`FAIL the schema accepts a bundle with ${what}`);
  } else {
    console.log(`ok   the schema refuses a bundle with ${what}`);
  }
}
console.log(`${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
