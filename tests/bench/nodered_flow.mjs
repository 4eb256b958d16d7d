// Writes a Node-RED flows.json equivalent to the order-processing benchmark workflow:
// http in -> function (the same condition) -> template -> file append -> http response 202.
// Node ids never equal a node type: Node-RED takes such a property for a reference to itself.
// Usage: node nodered_flow.mjs FLOWS_JSON EFFECTS_FILE
import fs from 'node:fs';

const [out, effects] = process.argv.slice(2);
const flows = [
  { id: 'bench-tab', type: 'tab', label: 'shopflow benchmark' },
  { id: 'bench-in', type: 'http in', z: 'bench-tab', url: '/webhooks/shopify', method: 'post', upload: false, wires: [['bench-cond']] },
  { id: 'bench-cond', type: 'function', z: 'bench-tab', outputs: 1,
    func: "const o = msg.payload;\n" +
          "msg.hold = !o.email || !o.shipping_address || o.financial_status !== 'paid' || Number(o.total_price) > 1000;\n" +
          "msg.vip = (o.tags || '').split(',').map(t => t.trim()).includes('vip');\n" +
          "return msg;", wires: [['bench-tpl']] },
  { id: 'bench-tpl', type: 'template', z: 'bench-tab', field: 'payload', fieldType: 'msg', format: 'handlebars', syntax: 'mustache', output: 'str',
    template: '{"type":"email.send","to":"{{payload.email}}","subject":"Order {{payload.name}} confirmed","hold":{{hold}},"vip":{{vip}}}',
    wires: [['bench-file']] },
  { id: 'bench-file', type: 'file', z: 'bench-tab', filename: effects, filenameType: 'str', appendNewline: true, createDir: true,
    overwriteFile: 'false', encoding: 'none', wires: [['bench-status']] },
  { id: 'bench-status', type: 'change', z: 'bench-tab', rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '202', tot: 'num' }], wires: [['bench-out']] },
  { id: 'bench-out', type: 'http response', z: 'bench-tab', statusCode: '', headers: {}, wires: [] },
];
fs.writeFileSync(out, JSON.stringify(flows, null, 2));
