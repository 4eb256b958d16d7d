// Fake store and chat services for the connector tests, over real HTTP on loopback. Each
// checks what the real API checks (the token, the mutation, its variables) and answers as the
// documented API does: Shopify's throttleStatus on every answer, THROTTLED when the cost bucket
// is short, userErrors, 401, 5xx and slow answers; WooCommerce's basic auth and REST shapes;
// Slack's status codes and Retry-After.
import http from 'node:http';
import { freePort } from './harness.mjs';

function listen(handler) {
  return new Promise(async (resolve) => {
    const port = await freePort();
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => handler(req, body, res));
    });
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${port}` }));
  });
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export const gid = (kind, id) => `gid://shopify/${kind}/${id}`;

// A shop with orders, their fulfillment orders, and a leaky bucket of query cost.
export class FakeShopify {
  constructor({ token, version = '2025-10', maximum = 1000, restore = 50, cost = 10 } = {}) {
    Object.assign(this, { token, version, maximum, restore, cost });
    this.available = maximum;
    this.at = Date.now();
    this.orders = new Map();   // gid -> {tags: Set, note, fulfillmentOrders: [{id, status, holds: [{handle, reason, notes}]}], transactions}
    this.applied = [];         // every mutation that changed the shop: {op, variables, key}
    this.calls = [];           // every call: {op, status}
    this.customers = new Map(); // gid -> {tags: Set}
    this.refundKeys = new Set();
    this.throttleNext = 0;     // answer THROTTLED to this many calls, whatever the bucket holds
    this.failNext = 0;         // answer 503 to this many calls
    this.delayMs = 0;          // answer this much later
    this.naturalThrottles = 0; // THROTTLED answers because the client overdrew the bucket
    this.scopes = ['write_orders', 'write_merchant_managed_fulfillment_orders'];
    this.products = new Map();  // gid -> {variants: Map(gid -> {price, compareAtPrice})}
    this.inventory = new Map(); // `${inventoryItemId} ${locationId}` -> {available, damaged}
    this.returns = new Map();   // gid -> {status, declineReason, declineNote}
    this.inventoryKeys = new Set();
  }

  addProduct(id, variants) {
    const p = { variants: new Map(Object.entries(variants).map(([v, price]) => [gid('ProductVariant', v), { price }])) };
    this.products.set(gid('Product', id), p);
    return p;
  }
  variant(id) { for (const p of this.products.values()) if (p.variants.has(gid('ProductVariant', id))) return p.variants.get(gid('ProductVariant', id)); return undefined; }
  addStock(item, location, available) {
    const level = { available, damaged: 0 };
    this.inventory.set(`${gid('InventoryItem', item)} ${gid('Location', location)}`, level);
    return level;
  }
  stock(item, location) { return this.inventory.get(`${gid('InventoryItem', item)} ${gid('Location', location)}`); }
  addReturn(id, status = 'REQUESTED') { const r = { status }; this.returns.set(gid('Return', id), r); return r; }
  return(id) { return this.returns.get(gid('Return', id)); }

  addOrder(id) {
    const o = { tags: new Set(), note: null, transactions: [{ id: gid('OrderTransaction', `${id}1`), kind: 'SALE', status: 'SUCCESS', gateway: 'shopify_payments' }],
      fulfillmentOrders: [{ id: gid('FulfillmentOrder', `${id}01`), status: 'OPEN', holds: [] }] };
    this.orders.set(gid('Order', id), o);
    return o;
  }
  order(id) { return this.orders.get(gid('Order', id)); }
  addCustomer(id) { const c = { tags: new Set() }; this.customers.set(gid('Customer', id), c); return c; }
  customer(id) { return this.customers.get(gid('Customer', id)); }

  async start() {
    ({ server: this.server, url: this.url } = await listen((req, body, res) => this.handle(req, body, res)));
    return this;
  }
  stop() { this.server.closeAllConnections?.(); return new Promise((r) => this.server.close(r)); }

  throttleStatus() {
    const now = Date.now();
    this.available = Math.min(this.maximum, this.available + ((now - this.at) / 1000) * this.restore);
    this.at = now;
    return { maximumAvailable: this.maximum, currentlyAvailable: Math.floor(this.available), restoreRate: this.restore };
  }

  async handle(req, body, res) {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (req.method === 'POST' && req.url === '/admin/oauth/access_token') {
      // The client credentials grant of a Dev Dashboard app installed on the shop.
      const form = new URLSearchParams(body);
      this.grants = (this.grants || 0) + 1;
      if (form.get('grant_type') !== 'client_credentials' || !this.client || form.get('client_id') !== this.client.id || form.get('client_secret') !== this.client.secret) {
        return reply(res, 400, { error: 'invalid_client', error_description: 'Client authentication failed' });
      }
      return reply(res, 200, { access_token: this.token, scope: this.scopes.join(','), expires_in: 86399 });
    }
    if (req.method !== 'POST' || req.url !== `/admin/api/${this.version}/graphql.json`) return reply(res, 404, { errors: 'Not Found' });
    if (req.headers['x-shopify-access-token'] !== this.token) {
      this.calls.push({ op: null, status: 401 });
      return reply(res, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
    if (this.failNext > 0) { this.failNext--; this.calls.push({ op: null, status: 503 }); return reply(res, 503, { errors: 'Service Unavailable' }); }
    const { query, variables = {} } = JSON.parse(body);
    const op = /[{]\s*(\w+)/.exec(query.slice(query.indexOf('{')))[1];
    const cost = { requestedQueryCost: this.cost, actualQueryCost: this.cost };
    let ts = this.throttleStatus();
    const forced = this.throttleNext > 0;
    if (forced || ts.currentlyAvailable < this.cost) {
      if (forced) { this.throttleNext--; this.available = 0; ts = this.throttleStatus(); } else this.naturalThrottles++;
      this.calls.push({ op, status: 'THROTTLED' });
      return reply(res, 200, { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: this.cost, actualQueryCost: null, throttleStatus: ts } } });
    }
    this.available -= this.cost;
    ts = this.throttleStatus();
    this.calls.push({ op, status: 200 });
    const answer = (data) => reply(res, 200, { data, extensions: { cost: { ...cost, throttleStatus: ts } } });
    const userError = (field, message) => answer({ [op]: { userErrors: [{ field, message }] } });
    const isMutation = query.trimStart().startsWith('mutation');
    const order = this.orders.get(variables.id) || this.orders.get(variables.input?.id) || this.orders.get(variables.input?.orderId);
    switch (op) {
      case 'shop':
        return answer({ shop: { name: 'Fake Shop', myshopifyDomain: 'fake-shop.myshopify.com' },
          currentAppInstallation: { accessScopes: this.scopes.map((handle) => ({ handle })) } });
      case 'customer': {
        const c = this.customers.get(variables.id);
        return answer({ customer: c ? { numberOfOrders: c.numberOfOrders ?? 0 } : null });
      }
      case 'order':
        if (!/^query/.test(query.trimStart())) break;
        if (!order) return answer({ order: null });
        return answer({ order: { id: variables.id, transactions: order.transactions,
          fulfillmentOrders: { nodes: order.fulfillmentOrders.map((fo) => ({ id: fo.id, status: fo.status, fulfillmentHolds: fo.holds.map((h) => ({ handle: h.handle })) })) } } });
      case 'tagsAdd': {
        const taggable = order || this.customers.get(variables.id);
        if (!taggable) return userError(['id'], `${/Customer/.test(variables.id) ? 'Customer' : 'Order'} does not exist`);
        if (!Array.isArray(variables.tags) || variables.tags.length === 0) return userError(['tags'], 'Tags can\'t be blank');
        variables.tags.forEach((t) => taggable.tags.add(t));
        this.applied.push({ op, variables });
        return answer({ tagsAdd: { node: { id: variables.id }, userErrors: [] } });
      }
      case 'orderUpdate':
        if (!order) return userError(['id'], 'Order does not exist');
        order.note = variables.input.note;
        this.applied.push({ op, variables });
        return answer({ orderUpdate: { order: { id: variables.input.id }, userErrors: [] } });
      case 'fulfillmentOrderHold': {
        const fo = [...this.orders.values()].flatMap((o) => o.fulfillmentOrders).find((f) => f.id === variables.id);
        if (!fo) return userError(['id'], 'Fulfillment order does not exist.');
        const h = variables.fulfillmentHold;
        if (!h || !h.reason) return userError(['fulfillmentHold', 'reason'], 'Reason is required');
        if (h.handle && h.handle.length > 64) return userError(['fulfillmentHold', 'handle'], 'Handle is too long (maximum is 64 characters)');
        if (fo.holds.some((x) => x.handle === h.handle)) return userError(['fulfillmentHold', 'handle'], 'The handle provided for the fulfillment hold is already in use by this app for another hold on this fulfillment order.');
        fo.holds.push({ handle: h.handle, reason: h.reason, notes: h.reasonNotes });
        fo.status = 'ON_HOLD';
        this.applied.push({ op, variables });
        return answer({ fulfillmentOrderHold: { fulfillmentOrder: { id: fo.id, status: fo.status }, userErrors: [] } });
      }
      case 'fulfillmentOrderReleaseHold': {
        const fo = [...this.orders.values()].flatMap((o) => o.fulfillmentOrders).find((f) => f.id === variables.id);
        if (!fo) return userError(['id'], 'Fulfillment order does not exist.');
        if (fo.status !== 'ON_HOLD') return userError(['id'], 'The fulfillment order is not on hold.');
        fo.holds = []; fo.status = 'OPEN';
        this.applied.push({ op, variables });
        return answer({ fulfillmentOrderReleaseHold: { fulfillmentOrder: { id: fo.id, status: fo.status }, userErrors: [] } });
      }
      case 'fulfillmentCreate': {
        const f = variables.fulfillment;
        const groups = f?.lineItemsByFulfillmentOrder;
        if (!Array.isArray(groups) || groups.length === 0) return userError(['fulfillment', 'lineItemsByFulfillmentOrder'], 'Line items by fulfillment order can\'t be blank');
        const all = [...this.orders.values()].flatMap((o) => o.fulfillmentOrders);
        const fos = [];
        for (const [i, g] of groups.entries()) {
          const fo = all.find((x) => x.id === g.fulfillmentOrderId);
          if (!fo) return userError(['fulfillment', 'lineItemsByFulfillmentOrder', String(i), 'fulfillmentOrderId'], 'Fulfillment order does not exist.');
          if (fo.status !== 'OPEN' && fo.status !== 'IN_PROGRESS') return userError(['fulfillment'], `Fulfillment order ${fo.id} has an unfulfillable status= ${fo.status.toLowerCase()}.`);
          fos.push(fo);
        }
        const owner = [...this.orders.values()].find((o) => o.fulfillmentOrders.includes(fos[0]));
        const made = { id: gid('Fulfillment', (this.fulfillmentCount = (this.fulfillmentCount || 0) + 1)), status: 'SUCCESS',
          fulfillmentOrders: fos.map((fo) => fo.id), trackingInfo: f.trackingInfo ?? null, notifyCustomer: f.notifyCustomer ?? false };
        fos.forEach((fo) => { fo.status = 'CLOSED'; });
        (owner.fulfillments ||= []).push(made);
        this.applied.push({ op, variables });
        return answer({ fulfillmentCreate: { fulfillment: { id: made.id, status: made.status }, userErrors: [] } });
      }
      case 'inventoryAdjustQuantities': {
        const key = /@idempotent\(key:\s*\$key\)/.test(query) ? variables.key : null;
        const input = variables.input || {};
        const reasons = ['correction', 'cycle_count_available', 'damaged', 'movement_created', 'movement_updated', 'movement_received', 'movement_canceled',
          'other', 'promotion', 'quality_control', 'received', 'reservation_created', 'reservation_deleted', 'reservation_updated', 'restock', 'safety_stock', 'shrinkage'];
        if (!reasons.includes(input.reason)) return userError(['input', 'reason'], 'The specified reason is invalid.');
        if (!['available', 'damaged', 'quality_control', 'reserved', 'safety_stock'].includes(input.name)) return userError(['input', 'name'], 'The quantity name must be one of: available, damaged, quality_control, reserved, safety_stock.');
        if (!Array.isArray(input.changes) || input.changes.length === 0) return userError(['input', 'changes'], 'Changes can\'t be blank');
        const levels = [];
        for (const [i, c] of input.changes.entries()) {
          if (!Number.isInteger(c.delta)) return reply(res, 200, { errors: [{ message: `Variable $input of type InventoryAdjustQuantitiesInput! was provided invalid value for changes.${i}.delta (Could not coerce value ${JSON.stringify(c.delta)} to Int)`, extensions: { code: 'INVALID_VARIABLE' } }] });
          const level = this.inventory.get(`${c.inventoryItemId} ${c.locationId}`);
          if (!level) return userError(['input', 'changes', String(i), 'inventoryItemId'], 'The specified inventory item is not stocked at the location.');
          levels.push([level, c.delta]);
        }
        if (key && this.inventoryKeys.has(key)) return answer({ inventoryAdjustQuantities: { inventoryAdjustmentGroup: { id: gid('InventoryAdjustmentGroup', key.length) }, userErrors: [] } });
        if (key) this.inventoryKeys.add(key);
        for (const [level, delta] of levels) level[input.name] = (level[input.name] || 0) + delta;
        this.applied.push({ op, variables, key });
        return answer({ inventoryAdjustQuantities: { inventoryAdjustmentGroup: { id: gid('InventoryAdjustmentGroup', this.applied.length) }, userErrors: [] } });
      }
      case 'returnApproveRequest':
      case 'returnDeclineRequest': {
        const input = variables.input || {};
        const ret = this.returns.get(input.id);
        if (!ret) return userError(['input', 'id'], 'Return does not exist.');
        const verb = op === 'returnApproveRequest' ? 'approved' : 'declined';
        if (ret.status !== 'REQUESTED') return userError(['input', 'id'], `Return is not ${verb}. Only returns with status REQUESTED can be ${verb}.`);
        if (op === 'returnDeclineRequest') {
          if (!['RETURN_PERIOD_ENDED', 'FINAL_SALE', 'OTHER'].includes(input.declineReason)) return reply(res, 200, { errors: [{ message: `Variable $input of type ReturnDeclineRequestInput! was provided invalid value for declineReason (Expected "${input.declineReason}" to be one of: RETURN_PERIOD_ENDED, FINAL_SALE, OTHER)`, extensions: { code: 'INVALID_VARIABLE' } }] });
          Object.assign(ret, { status: 'DECLINED', declineReason: input.declineReason, declineNote: input.declineNote ?? null });
        } else ret.status = 'OPEN';
        this.applied.push({ op, variables });
        return answer({ [op]: { return: { id: input.id, status: ret.status }, userErrors: [] } });
      }
      case 'productVariantsBulkUpdate': {
        const product = this.products.get(variables.productId);
        if (!product) return userError(['productId'], 'Product does not exist');
        if (!Array.isArray(variables.variants) || variables.variants.length === 0) return userError(['variants'], 'Variants can\'t be blank');
        for (const [i, v] of variables.variants.entries()) {
          if (!product.variants.has(v.id)) return userError(['variants', String(i), 'id'], 'Product variant does not exist');
          if (v.price !== undefined && (typeof v.price !== 'string' || !/^\d+(\.\d+)?$/.test(v.price))) return userError(['variants', String(i), 'price'], 'Price must be a number');
        }
        for (const v of variables.variants) Object.assign(product.variants.get(v.id), v.price !== undefined ? { price: v.price } : {}, v.compareAtPrice !== undefined ? { compareAtPrice: v.compareAtPrice } : {});
        this.applied.push({ op, variables });
        return answer({ productVariantsBulkUpdate: { productVariants: variables.variants.map((v) => ({ id: v.id, price: product.variants.get(v.id).price })), userErrors: [] } });
      }
      case 'refundCreate': {
        const key = /@idempotent\(key:\s*\$key\)/.test(query) ? variables.key : null;
        if (!key) return reply(res, 200, { errors: [{ message: 'The @idempotent directive is required for this mutation', extensions: { code: 'BAD_REQUEST' } }] });
        if (!order) return userError(['orderId'], 'Order does not exist');
        const tx = variables.input.transactions?.[0];
        if (!tx || !order.transactions.some((t) => t.id === tx.parentId)) return userError(['transactions', '0', 'parentId'], 'Parent transaction does not exist');
        if (!this.refundKeys.has(key)) { this.refundKeys.add(key); this.applied.push({ op, variables, key }); }
        return answer({ refundCreate: { refund: { id: gid('Refund', this.refundKeys.size) }, userErrors: [] } });
      }
      default:
        break;
    }
    return reply(res, 200, { errors: [{ message: `Field '${op}' doesn't exist on type '${isMutation ? 'Mutation' : 'QueryRoot'}'`, extensions: { code: 'undefinedField' } }] });
  }
}

// A WooCommerce store's REST v3: orders with notes, statuses and refunds; products with stock.
export class FakeWoo {
  constructor({ key, secret }) {
    Object.assign(this, { key, secret });
    this.orders = new Map();  // id -> {status, notes: [], refunds: []}
    this.products = new Map(); // id -> {id, sku, regular_price, stock_quantity, variations: Map(id -> {...})}
    this.requests = [];
  }
  async start() {
    ({ server: this.server, url: this.url } = await listen((req, body, res) => this.handle(req, body, res)));
    return this;
  }
  stop() { this.server.closeAllConnections?.(); return new Promise((r) => this.server.close(r)); }
  handle(req, body, res) {
    this.requests.push(`${req.method} ${req.url}`);
    const want = `Basic ${Buffer.from(`${this.key}:${this.secret}`).toString('base64')}`;
    if (req.headers.authorization !== want) return reply(res, 401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
    const u = new URL(req.url, 'http://x');
    const m = /^\/wp-json\/wc\/v3\/(orders|products)(?:\/(\d+))?(?:\/(notes|refunds|variations))?(?:\/(\d+))?$/.exec(u.pathname);
    if (!m) return reply(res, 404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.' });
    const [, kind, id, sub] = m;
    const input = body ? JSON.parse(body) : {};
    if (kind === 'orders') {
      if (!id) return reply(res, 200, [...this.orders.keys()].slice(0, 1).map((k) => ({ id: k })));
      const o = this.orders.get(id);
      if (!o) return reply(res, 404, { code: 'woocommerce_rest_shop_order_invalid_id', message: 'Invalid ID.', data: { status: 404 } });
      if (sub === 'notes' && req.method === 'POST') { o.notes.push(input); return reply(res, 201, { id: o.notes.length, note: input.note }); }
      if (sub === 'refunds' && req.method === 'GET') return reply(res, 200, o.refunds);
      if (sub === 'refunds' && req.method === 'POST') { o.refunds.push({ id: o.refunds.length + 1, ...input }); return reply(res, 201, o.refunds.at(-1)); }
      if (!sub && req.method === 'PUT') { Object.assign(o, input); return reply(res, 200, { id: Number(id), ...o }); }
      return reply(res, 200, { id: Number(id), ...o });
    }
    if (!id) {
      const found = [...this.products.values()].filter((p) => !u.searchParams.get('sku') || p.sku === u.searchParams.get('sku'));
      return reply(res, 200, found);
    }
    const product = this.products.get(id);
    if (!product) return reply(res, 404, { code: 'woocommerce_rest_product_invalid_id', message: 'Invalid ID.', data: { status: 404 } });
    const vid = m[4];
    const p = sub === 'variations' ? product.variations?.get(vid) : product;
    if (!p) return reply(res, 404, { code: 'woocommerce_rest_product_variation_invalid_id', message: 'Invalid ID.', data: { status: 404 } });
    if (req.method === 'PUT') {
      // The schema's types, as the REST API validates them.
      const invalid = {};
      for (const f of ['regular_price', 'sale_price']) if (f in input && typeof input[f] !== 'string') invalid[f] = `${f} is not of type string.`;
      if ('stock_quantity' in input && !Number.isInteger(input.stock_quantity)) invalid.stock_quantity = 'stock_quantity is not of type integer.';
      if ('manage_stock' in input && typeof input.manage_stock !== 'boolean') invalid.manage_stock = 'manage_stock is not of type boolean.';
      if (Object.keys(invalid).length) return reply(res, 400, { code: 'rest_invalid_param', message: `Invalid parameter(s): ${Object.keys(invalid).join(', ')}`, data: { status: 400, params: invalid } });
      Object.assign(p, input);
      this.writes = (this.writes || 0) + 1;
    }
    return reply(res, 200, p);
  }
}

// A Slack incoming webhook: the path is the secret; 200 "ok", or Slack's refusals.
export class FakeSlack {
  constructor() {
    this.messages = [];
    this.answers = [];  // queued [status, body, headers] for the next posts
    this.posts = 0;
  }
  async start() {
    ({ server: this.server, url: this.url } = await listen((req, body, res) => this.handle(req, body, res)));
    this.hook = `${this.url}/services/T000/B000/XXXX`;
    return this;
  }
  stop() { this.server.closeAllConnections?.(); return new Promise((r) => this.server.close(r)); }
  handle(req, body, res) {
    this.posts++;
    if (req.url !== '/services/T000/B000/XXXX') { res.writeHead(404, { 'Content-Type': 'text/plain' }); return res.end('no_service'); }
    const next = this.answers.shift();
    if (next) { res.writeHead(next[0], { 'Content-Type': 'text/plain', ...(next[2] || {}) }); return res.end(next[1]); }
    let msg;
    try { msg = JSON.parse(body); } catch { res.writeHead(400, { 'Content-Type': 'text/plain' }); return res.end('invalid_payload'); }
    if (!msg.text) { res.writeHead(400, { 'Content-Type': 'text/plain' }); return res.end('no_text'); }
    this.messages.push(msg);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  }
}

// An endpoint for the http delivery adapter that records every delivery as it came: its
// Idempotency-Key header and the effect CloudEvent (id, run, type, params). `delayMs` holds
// each answer, so that deliveries are in flight when a runner is killed or paused.
// Records each delivery, with `by`: the last part of the path it came to (a runner named in its
// URL, as in /effects/b). `hold`, when set, sees each delivery first; a promise it returns
// delays the answer until it settles.
export class FakeRecorder {
  constructor({ delayMs = 0 } = {}) {
    this.deliveries = [];
    this.delayMs = delayMs;
    this.hold = null;
  }
  async start() {
    ({ server: this.server, url: this.url } = await listen((req, body, res) => this.handle(req, body, res)));
    return this;
  }
  stop() { this.server.closeAllConnections?.(); return new Promise((r) => this.server.close(r)); }
  handle(req, body, res) {
    let ce;
    try { ce = JSON.parse(body); } catch { return reply(res, 400, { error: 'not JSON' }); }
    const d = { key: req.headers['idempotency-key'], id: ce.id, run: ce.data?.run, type: ce.data?.type,
      params: ce.data?.params, by: req.url.split('?')[0].split('/').pop() };
    this.deliveries.push(d);
    const held = this.hold?.(d);
    Promise.resolve(held).then(() => setTimeout(() => reply(res, 200, { ok: true }), this.delayMs));
  }
}
