// Writes a Node-RED flows.json equivalent to the order-processing benchmark workflow:
// http in -> function (the same condition) -> template -> file append -> http response 202.
// Usage: node nodered_flow.mjs FLOWS_JSON EFFECTS_FILE
import fs from 'node:fs';

const [out, effects] = process.argv.slice(2);
const flows = [
  { id: 'tab', type: 'tab', label: 'shopflow benchmark' },
  { id: 'in', type: 'http in', z: 'tab', url: '/webhooks/shopify', method: 'post', upload: false, wires: [['cond']] },
  { id: 'cond', type: 'function', z: 'tab', outputs: 1,
    func: "const o = msg.payload;\n" +
          "msg.hold = !o.email || !o.shipping_address || o.financial_status !== 'paid' || Number(o.total_price) > 1000;\n" +
          "msg.vip = (o.tags || '').split(',').map(t => t.trim()).includes('vip');\n" +
          "return msg;", wires: [['tpl']] },
  { id: 'tpl', type: 'template', z: 'tab', field: 'payload', fieldType: 'msg', format: 'handlebars', syntax: 'mustache', output: 'str',
    template: '{"type":"email.send","to":"{{payload.email}}","subject":"Order {{payload.name}} confirmed","hold":{{hold}},"vip":{{vip}}}',
    wires: [['file']] },
  { id: 'file', type: 'file', z: 'tab', filename: effects, filenameType: 'str', appendNewline: true, createDir: true,
    overwriteFile: 'false', encoding: 'none', wires: [['status']] },
  { id: 'status', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '202', tot: 'num' }], wires: [['out']] },
  { id: 'out', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
];
fs.writeFileSync(out, JSON.stringify(flows, null, 2));
