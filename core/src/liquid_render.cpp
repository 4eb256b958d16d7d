// Liquid renderer: walks a parsed Document against JSON data.
//
// Scopes, variable lookup, conditions and every tag's render live here; filters are in
// liquid_filters.cpp. The data document is never copied: lookups return Values that point into
// it. Limits (output size, loop iterations, nesting, bytes produced by filters) are checked as
// the render goes, so a runaway template ends with an Error instead of a hang.
#include <algorithm>

#include "liquid_internal.hpp"

namespace shopflow::liquid::detail {

namespace {

size_t depth_limit(const Options& o) { return std::min(std::max<size_t>(o.limits.max_depth, 1), kHardDepthLimit); }

}  // namespace

Renderer::Renderer(Shared& s, const Json* d) : shared(s), data(d) { scopes.emplace_back(); }

const Options& Renderer::options() const { return *shared.options; }

bool Renderer::strict_variables() const {
  return shared.options->mode == Mode::Strict && shared.options->strict_variables;
}

// [SECTION] Limits

void Renderer::count_iteration(const Node& where) {
  if (++shared.iterations > options().limits.max_loop_iterations) {
    fail("loop iteration limit reached (" + std::to_string(options().limits.max_loop_iterations) +
             " iterations in one render)",
         where.line, where.column);
  }
}

void Renderer::check_output(const std::string& out, const Node& where) {
  if (out.size() > options().limits.max_output_bytes) {
    fail("output too large (limit " + std::to_string(options().limits.max_output_bytes) + " bytes)", where.line,
         where.column);
  }
}

void Renderer::charge_bytes(size_t n) {
  size_t budget = options().limits.max_output_bytes;
  budget = budget > (static_cast<size_t>(-1) / 16) ? static_cast<size_t>(-1) : budget * 16;
  shared.bytes_produced += n;
  if (n > options().limits.max_output_bytes || shared.bytes_produced > budget) {
    fail("template produced too much text (limit " + std::to_string(options().limits.max_output_bytes) +
             " bytes per value, " + std::to_string(budget) + " bytes in one render)",
         line, column);
  }
}

void Renderer::enter(const Node& where) {
  if (++depth > depth_limit(options())) {
    --depth;
    fail("nesting too deep (limit " + std::to_string(depth_limit(options())) + ")", where.line, where.column);
  }
}

namespace {

struct DepthScope {
  Renderer& r;
  DepthScope(Renderer& renderer, const Node& where) : r(renderer) { r.enter(where); }
  ~DepthScope() { r.leave(); }
};

}  // namespace

std::shared_ptr<Document> Renderer::load_partial(const std::string& name, const Node& where) {
  auto it = shared.partials.find(name);
  if (it != shared.partials.end()) return it->second;
  PartialCacheEntries* kept = options().partial_cache ? partial_cache_entries(*options().partial_cache) : nullptr;
  if (kept) {
    auto k = kept->docs.find(name);
    if (k != kept->docs.end()) {
      shared.partials.emplace(name, k->second);
      return k->second;
    }
  }
  const std::string* source = options().partials ? options().partials(name) : nullptr;
  if (!source) fail("no template named '" + name + "'", where.line, where.column);
  std::shared_ptr<Document> doc;
  try {
    doc = parse_document(*source, options());
  } catch (LiquidError& e) {
    std::string where_in = e.line ? " (line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ")" : "";
    fail("in template '" + name + "'" + where_in + ": " + e.message, where.line, where.column);
  }
  shared.partials.emplace(name, doc);
  if (kept) kept->docs.emplace(name, doc);
  return doc;
}

// [SECTION] Scopes and lookup

Value Renderer::find_variable(std::string_view name, bool& found) {
  found = true;
  for (size_t k = scope_count_; k-- > 0;) {
    for (auto& kv : scopes[k]) {
      if (kv.first == name) return kv.second;
    }
  }
  for (auto& kv : counters) {
    if (kv.first == name) return Value::integer(kv.second);
  }
  if (data && data->is_object()) {
    for (const auto& kv : data->get_ref<const Json::object_t&>()) {
      if (kv.first.size() == name.size() && kv.first == name) return Value::from_json(kv.second);
    }
    for (const auto& [alias, target] : options().root_aliases) {
      if (alias != name) continue;
      auto it = data->find(target);
      if (it != data->end()) return Value::from_json(*it);
    }
  }
  found = false;
  return Value::nil();
}

void Renderer::set_outer(const std::string& name, Value v) {
  for (auto& kv : scopes.front()) {
    if (kv.first == name) {
      kv.second = std::move(v);
      return;
    }
  }
  scopes.front().emplace_back(name, std::move(v));
}

void Renderer::set_local(const std::string& name, Value v) {
  auto& scope = scopes[scope_count_ - 1];
  for (auto& kv : scope) {
    if (kv.first == name) {
      kv.second = std::move(v);
      return;
    }
  }
  scope.emplace_back(name, std::move(v));
}

namespace {

Value command(const Value& obj, std::string_view cmd, bool& ok) {
  ok = true;
  if (cmd == "size") {
    switch (obj.kind) {
      case Kind::Arr: return Value::integer(static_cast<int64_t>(arr_size(obj)));
      case Kind::Obj: return Value::integer(static_cast<int64_t>(obj_size(obj)));
      case Kind::Str: return Value::integer(static_cast<int64_t>(utf8_length(obj.s)));
      case Kind::Range: return Value::integer(range_size(obj));
      case Kind::Int: return Value::integer(8);
      case Kind::Blank:
      case Kind::Empty: return Value::integer(0);
      default: break;
    }
  } else if (cmd == "first") {
    switch (obj.kind) {
      case Kind::Arr: return arr_size(obj) ? arr_at(obj, 0) : Value::nil();
      case Kind::Range: return Value::integer(obj.i);  // Range#first: the start, even when empty
      case Kind::Obj: {
        const Json& j = obj.j();
        if (j.empty()) return Value::nil();
        auto it = j.begin();
        Array pair;
        pair.push_back(Value::view(it.key()));
        pair.push_back(Value::from_json(it.value()));
        return Value::array(std::move(pair));
      }
      default: break;
    }
  } else if (cmd == "last") {
    switch (obj.kind) {
      case Kind::Arr: {
        size_t n = arr_size(obj);
        return n ? arr_at(obj, n - 1) : Value::nil();
      }
      case Kind::Range: return Value::integer(obj.i2);  // Range#last: the end, even when empty
      default: break;
    }
  }
  ok = false;
  return Value::nil();
}

}  // namespace

Value Renderer::eval(const Expr& e) {
  switch (e.t) {
    case Expr::T::Literal: return e.literal;
    case Expr::T::Range: {
      auto to_int = [&](const Value& v) -> int64_t {
        if (v.kind == Kind::Int) return v.i;
        if (v.kind == Kind::Nil || v.kind == Kind::Str) return to_i(v);
        if (v.kind == Kind::Float) return to_i(v);
        return to_integer_strict(v);
      };
      return Value::range(to_int(eval(*e.lo)), to_int(eval(*e.hi)));
    }
    case Expr::T::Lookup: break;
  }
  bool found = true;
  Value obj;
  if (e.name_expr) {
    Value key = eval(*e.name_expr);
    if (key.kind == Kind::Str) {
      obj = find_variable(key.s, found);
    } else {
      found = false;
    }
    if (!found && strict_variables()) fail("undefined variable " + to_s(key), line, column);
  } else {
    obj = find_variable(e.name, found);
    if (!found && strict_variables()) fail("undefined variable " + e.name, line, column);
  }
  for (const PathSegment& seg : e.path) {
    Value key = seg.expr ? eval(*seg.expr) : Value::view(seg.key);
    Value next;
    bool ok = false;
    if (obj.kind == Kind::Obj) {
      if (key.kind == Kind::Str) ok = obj_get(obj, key.s, next);
    } else if (obj.kind == Kind::Arr) {
      if (key.kind == Kind::Int) {
        int64_t n = static_cast<int64_t>(arr_size(obj));
        int64_t idx = key.i < 0 ? key.i + n : key.i;
        if (idx >= 0 && idx < n) next = arr_at(obj, static_cast<size_t>(idx));
        ok = true;
      }
    } else if (obj.kind == Kind::Drop) {
      if (key.kind == Kind::Str) ruby_index(obj, key, next);
      ok = true;
    }
    if (!ok && seg.command) next = command(obj, seg.key, ok);
    if (!ok) {
      if (strict_variables()) fail("undefined variable " + to_s(key), line, column);
      return Value::nil();
    }
    obj = std::move(next);
  }
  return obj;
}

Value Renderer::eval_variable(const VariableExpr& v) {
  Value val = v.expr ? eval(*v.expr) : Value::nil();
  for (const FilterCall& f : v.filters) {
    if (!f.def) continue;  // unknown filter in lax mode: Ruby passes the input through
    FilterArgs args;
    for (const ExprPtr& a : f.args) args.pos.push_back(eval(*a));
    for (const auto& kv : f.kwargs) args.kw.emplace_back(kv.first, eval(*kv.second));
    if (!args.kw.empty() && !f.def->takes_kwargs) {
      // Ruby passes keyword arguments as one trailing hash argument.
      auto hash = std::make_shared<Json>(Json::object());
      for (const auto& kv : args.kw) (*hash)[kv.first] = value_to_json(kv.second);
      Value h;
      h.kind = Kind::Obj;
      h.json = true;
      h.p = hash.get();
      h.hold = std::move(hash);
      args.pos.push_back(std::move(h));
    }
    try {
      val = f.def->fn(*this, val, args);
    } catch (LiquidError& e) {
      if (e.line == 0) {
        e.line = line;
        e.column = column;
      }
      if (e.message.find(f.name) == std::string::npos) e.message = f.name + ": " + e.message;
      throw;
    }
    if (val.kind == Kind::Str && val.hold) charge_bytes(val.s.size());
    if (val.kind == Kind::Arr && !val.json && arr_size(val) > options().limits.max_loop_iterations) {
      fail(f.name + ": array too large (limit " + std::to_string(options().limits.max_loop_iterations) + " elements)",
           line, column);
    }
  }
  return val;
}

// [SECTION] Conditions

namespace {

// Ruby's equal_variables, with blank/empty as method literals.
bool equal_variables(const Value& l, const Value& r) {
  auto special = [](const Value& v) { return v.kind == Kind::Blank || v.kind == Kind::Empty; };
  if (special(l)) {
    if (special(r)) return false;
    return l.kind == Kind::Blank ? is_blank(r) : is_empty(r);
  }
  if (special(r)) return r.kind == Kind::Blank ? is_blank(l) : is_empty(l);
  return ruby_equal(l, r);
}

}  // namespace

bool Renderer::eval_condition(const Condition& c) {
  bool result = false;
  for (size_t k = 0; k < c.items.size(); ++k) {
    const Comparison& cmp = c.items[k];
    Value l = eval(*cmp.left);
    switch (cmp.op) {
      case CmpOp::None: result = l.truthy(); break;
      case CmpOp::Eq: result = equal_variables(l, eval(*cmp.right)); break;
      case CmpOp::Ne: result = !equal_variables(l, eval(*cmp.right)); break;
      case CmpOp::Contains: result = liquid_contains(l, eval(*cmp.right)); break;
      default: {
        Value r = eval(*cmp.right);
        if (l.kind == Kind::Blank || l.kind == Kind::Empty || r.kind == Kind::Blank || r.kind == Kind::Empty) {
          result = false;
          break;
        }
        const char* op = cmp.op == CmpOp::Lt ? "<" : cmp.op == CmpOp::Le ? "<=" : cmp.op == CmpOp::Gt ? ">" : ">=";
        try {
          result = ordered_compare(l, r, op);
        } catch (LiquidError& e) {
          e.line = line;
          e.column = column;
          throw;
        }
      }
    }
    if (k + 1 >= c.items.size()) break;
    if (c.is_and[k] ? !result : result) break;
  }
  return result;
}

// [SECTION] Bodies

void Renderer::render_body(const Body& body, std::string& out) {
  for (const NodePtr& node : body.nodes) {
    line = node->line;
    column = node->column;
    node->render(*this, out);
    check_output(out, *node);
    if (interrupt != Interrupt::None) break;
  }
}

// [SECTION] Tags

void TextNode::render(Renderer&, std::string& out) const { out += text; }

bool TextNode::blank() const {
  for (char c : text) {
    if (!is_space(c)) return false;
  }
  return true;
}

void OutputNode::render(Renderer& r, std::string& out) const {
  Value v = r.eval_variable(var);
  size_t before = out.size();
  append_output(out, v);
  if (out.size() - before > 4096) r.charge_bytes(out.size() - before);
}

void AssignNode::render(Renderer& r, std::string&) const { r.set_outer(to, r.eval_variable(from)); }

void CaptureNode::render(Renderer& r, std::string&) const {
  DepthScope d(r, *this);
  std::string buf;
  r.render_body(body, buf);
  r.charge_bytes(buf.size());
  r.set_outer(to, Value::str(std::move(buf)));
}

void IfNode::render(Renderer& r, std::string& out) const {
  for (size_t k = 0; k < branches.size(); ++k) {
    const Branch& b = branches[k];
    bool take;
    if (b.is_else) {
      take = true;
    } else {
      r.line = line;
      r.column = column;
      take = r.eval_condition(b.cond);
      if (unless && k == 0) take = !take;
    }
    if (take) {
      DepthScope d(r, *this);
      r.render_body(b.body, out);
      return;
    }
  }
}

void CaseNode::render(Renderer& r, std::string& out) const {
  bool run_else = true;
  for (const Block& b : blocks) {
    if (r.interrupt != Renderer::Interrupt::None) return;
    r.line = line;
    r.column = column;
    if (b.is_else) {
      if (run_else) {
        DepthScope d(r, *this);
        r.render_body(bodies[b.body], out);
      }
      continue;
    }
    if (equal_variables(r.eval(*left), r.eval(*b.value))) {
      run_else = false;
      DepthScope d(r, *this);
      r.render_body(bodies[b.body], out);
    }
  }
}

namespace {

// The items a for/tablerow loop walks, without materializing ranges or copying arrays.
struct Segment {
  enum class T : uint8_t { None, Range, Arr, List } t = T::None;
  Value source;     // Arr: the array
  Array list;       // List: hash pairs, or a string as its only item
  int64_t first = 0;
  size_t begin = 0, end = 0;  // index range within the source
  bool reversed = false;

  size_t size() const { return end > begin ? end - begin : 0; }
  Value at(size_t k) const {
    size_t idx = reversed ? end - 1 - k : begin + k;
    switch (t) {
      case T::Range: return Value::integer(first + static_cast<int64_t>(idx));
      case T::Arr: return arr_at(source, idx);
      case T::List: return list[idx];
      default: return Value::nil();
    }
  }
};

// Ruby's Utils.slice_collection: items with index in [from, to).
Segment slice(const Value& coll, int64_t from, bool has_to, int64_t to) {
  Segment s;
  size_t count = 0;
  switch (coll.kind) {
    case Kind::Range:
      s.t = Segment::T::Range;
      s.first = coll.i;
      if (coll.i2 >= coll.i) {
        u128 n = static_cast<u128>(static_cast<i128>(coll.i2) - coll.i + 1);
        count = n > static_cast<u128>(SIZE_MAX / 2) ? SIZE_MAX / 2 : static_cast<size_t>(n);
      }
      break;
    case Kind::Arr:
      s.t = Segment::T::Arr;
      s.source = coll;
      count = arr_size(coll);
      break;
    case Kind::Obj: {
      s.t = Segment::T::List;
      for (auto it = coll.j().begin(); it != coll.j().end(); ++it) {
        Array pair;
        pair.push_back(Value::view(it.key()));
        pair.push_back(Value::from_json(it.value()));
        s.list.push_back(Value::array(std::move(pair)));
      }
      count = s.list.size();
      break;
    }
    case Kind::Str:
      // Ruby keeps 1.8's behaviour: a string is one item, whatever the offset and limit.
      s.t = Segment::T::List;
      if (!coll.s.empty()) s.list.push_back(coll);
      s.begin = 0;
      s.end = s.list.size();
      return s;
    default:
      return s;
  }
  int64_t b = std::max<int64_t>(from, 0);
  int64_t e = static_cast<int64_t>(std::min<size_t>(count, static_cast<size_t>(INT64_MAX)));
  if (has_to) e = std::min(e, to);
  if (e < b) e = b;
  s.begin = static_cast<size_t>(std::min<int64_t>(b, static_cast<int64_t>(count)));
  s.end = static_cast<size_t>(std::max<int64_t>(static_cast<int64_t>(s.begin), std::min<int64_t>(e, static_cast<int64_t>(count))));
  return s;
}

int64_t sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

}  // namespace

void ForNode::render(Renderer& r, std::string& out) const {
  int64_t from = 0;
  if (offset_continue) {
    for (const auto& kv : r.for_offsets) {
      if (kv.first == name) from = kv.second;
    }
  } else if (offset) {
    Value v = r.eval(*offset);
    if (!v.is_nil()) from = to_integer_strict(v);
  }
  Value coll = r.eval(*collection);
  bool has_to = false;
  int64_t to = 0;
  if (limit) {
    Value v = r.eval(*limit);
    if (!v.is_nil()) {
      has_to = true;
      to = sat_add(to_integer_strict(v), from);
    }
  }
  Segment seg = slice(coll, from, has_to, to);
  seg.reversed = reversed;
  size_t length = seg.size();
  {
    int64_t next = sat_add(from, static_cast<int64_t>(length));
    bool stored = false;
    for (auto& kv : r.for_offsets) {
      if (kv.first == name) {
        kv.second = next;
        stored = true;
      }
    }
    if (!stored) r.for_offsets.emplace_back(name, next);
  }
  DepthScope d(r, *this);
  if (length == 0) {
    if (has_else) r.render_body(else_body, out);
    return;
  }
  auto loop = std::make_shared<DropState>();
  loop->name = name;
  loop->length = static_cast<int64_t>(length);
  if (!r.for_stack.empty()) loop->parent = r.for_stack.back();
  r.for_stack.push_back(loop);
  r.push_scope();
  struct Pop {
    Renderer& r;
    ~Pop() {
      r.pop_scope();
      r.for_stack.pop_back();
    }
  } pop{r};
  r.set_local("forloop", Value::drop(loop));
  for (size_t k = 0; k < length; ++k) {
    r.count_iteration(*this);
    r.set_local(var, seg.at(k));
    r.render_body(body, out);
    loop->index++;
    if (r.interrupt == Renderer::Interrupt::Break) {
      r.interrupt = Renderer::Interrupt::None;
      break;
    }
    if (r.interrupt == Renderer::Interrupt::Continue) r.interrupt = Renderer::Interrupt::None;
  }
}

void TableRowNode::render(Renderer& r, std::string& out) const {
  Value coll = r.eval(*collection);
  if (coll.is_nil()) return;
  int64_t from = offset ? to_i(r.eval(*offset)) : 0;
  bool has_to = static_cast<bool>(limit);
  int64_t to = limit ? sat_add(from, to_i(r.eval(*limit))) : 0;
  Segment seg = slice(coll, from, has_to, to);
  size_t length = seg.size();
  int64_t ncols = static_cast<int64_t>(length);
  if (cols) {
    Value c = r.eval(*cols);
    if (!c.is_nil()) ncols = to_i(c);
  }
  DepthScope d(r, *this);
  out += "<tr class=\"row1\">\n";
  auto loop = std::make_shared<DropState>();
  loop->tablerow = true;
  loop->length = static_cast<int64_t>(length);
  loop->cols = ncols;
  r.push_scope();
  struct Pop {
    Renderer& r;
    ~Pop() { r.pop_scope(); }
  } pop{r};
  r.set_local("tablerowloop", Value::drop(loop));
  for (size_t k = 0; k < length; ++k) {
    r.count_iteration(*this);
    r.set_local(var, seg.at(k));
    out += "<td class=\"col" + std::to_string(loop->col) + "\">";
    r.render_body(body, out);
    out += "</td>";
    if (r.interrupt != Renderer::Interrupt::None) {
      bool brk = r.interrupt == Renderer::Interrupt::Break;
      r.interrupt = Renderer::Interrupt::None;
      if (brk) break;
    }
    if (loop->col == loop->cols && loop->index != loop->length - 1) {
      out += "</tr>\n<tr class=\"row" + std::to_string(loop->row + 1) + "\">";
    }
    loop->index++;
    if (loop->col == loop->cols) {
      loop->col = 1;
      loop->row++;
    } else {
      loop->col++;
    }
  }
  out += "</tr>\n";
}

void CycleNode::render(Renderer& r, std::string& out) const {
  std::string k;
  if (group) {
    Value g = r.eval(*group);
    k = g.kind == Kind::Str ? "s:" + std::string(g.s) : "v:" + inspect(g);
  } else {
    k = "s:" + key;
  }
  int64_t& iteration = r.cycles[k];
  // A group shared by cycles of different lengths can point past this one's values: Ruby
  // outputs nil (nothing) then.
  Value v = (iteration >= 0 && static_cast<size_t>(iteration) < values.size()) ? r.eval(*values[static_cast<size_t>(iteration)])
                                                                                : Value::nil();
  append_output(out, v);
  ++iteration;
  if (static_cast<size_t>(iteration) >= values.size()) iteration = 0;
}

void CounterNode::render(Renderer& r, std::string& out) const {
  for (auto& kv : r.counters) {
    if (kv.first == name) {
      if (increment) {
        out += std::to_string(kv.second);
        kv.second = sat_add(kv.second, 1);
      } else {
        kv.second = sat_add(kv.second, -1);
        out += std::to_string(kv.second);
      }
      return;
    }
  }
  int64_t start = 0;
  if (r.data && r.data->is_object()) {
    auto it = r.data->find(name);
    if (it != r.data->end() && it->is_number_integer()) start = it->get<int64_t>();
  }
  if (increment) {
    out += std::to_string(start);
    r.counters.emplace_back(name, sat_add(start, 1));
  } else {
    out += std::to_string(sat_add(start, -1));
    r.counters.emplace_back(name, sat_add(start, -1));
  }
}

void RawNode::render(Renderer&, std::string& out) const { out += text; }

void IfChangedNode::render(Renderer& r, std::string& out) const {
  DepthScope d(r, *this);
  std::string buf;
  r.render_body(body, buf);
  if (!r.has_ifchanged || buf != r.ifchanged_last) {
    r.has_ifchanged = true;
    out += buf;
    r.ifchanged_last = std::move(buf);
  }
}

void InterruptNode::render(Renderer& r, std::string&) const {
  r.interrupt = is_break ? Renderer::Interrupt::Break : Renderer::Interrupt::Continue;
}

namespace {

// Errors inside a partial carry the partial's own positions: name the partial and point at the
// tag that rendered it.
template <class F>
void in_partial(const std::string& name, const Node& tag, F&& fn) {
  try {
    fn();
  } catch (LiquidError& e) {
    std::string where = e.line ? " (line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ")" : "";
    e.message = "in template '" + name + "'" + where + ": " + e.message;
    e.line = tag.line;
    e.column = tag.column;
    throw;
  }
}

}  // namespace

void PartialNode::render(Renderer& r, std::string& out) const {
  Value name_v = r.eval(*name_expr);
  if (name_v.is_nil()) fail("Argument error in tag 'include' - Illegal template name", line, column);
  std::string tname = to_s(name_v);
  if (!is_render && r.in_render) fail("include usage is not allowed in this context", line, column);
  std::shared_ptr<Document> doc = r.load_partial(tname, *this);
  std::string var_name = alias;
  if (var_name.empty()) {
    size_t slash = tname.rfind('/');
    var_name = slash == std::string::npos ? tname : tname.substr(slash + 1);
  }
  DepthScope d(r, *this);
  if (!is_render) {
    bool found;
    Value variable = var_expr ? r.eval(*var_expr) : r.find_variable(tname, found);
    r.push_scope();
    struct Pop {
      Renderer& r;
      ~Pop() { r.pop_scope(); }
    } pop{r};
    for (const auto& kv : attributes) r.set_local(kv.first, r.eval(*kv.second));
    if (variable.kind == Kind::Arr) {
      size_t n = arr_size(variable);
      for (size_t k = 0; k < n; ++k) {
        r.count_iteration(*this);
        r.set_local(var_name, arr_at(variable, k));
        in_partial(tname, *this, [&] { r.render_body(doc->body, out); });
        if (r.interrupt != Renderer::Interrupt::None) break;
      }
    } else {
      r.set_local(var_name, variable);
      in_partial(tname, *this, [&] { r.render_body(doc->body, out); });
    }
    return;
  }
  Value variable = var_expr ? r.eval(*var_expr) : Value::nil();
  auto render_one = [&](const Value& var, const std::shared_ptr<DropState>& forloop) {
    Renderer inner(r.shared, r.data);
    inner.depth = r.depth;
    inner.in_render = true;
    if (forloop) inner.set_local("forloop", Value::drop(forloop));
    for (const auto& kv : attributes) inner.set_local(kv.first, r.eval(*kv.second));
    if (!var.is_nil()) inner.set_local(var_name, var);
    inner.line = line;
    inner.column = column;
    in_partial(tname, *this, [&] { inner.render_body(doc->body, out); });
    if (forloop) forloop->index++;
  };
  if (is_for && (variable.kind == Kind::Arr || variable.kind == Kind::Obj || variable.kind == Kind::Range)) {
    Segment seg = slice(variable, 0, false, 0);
    auto forloop = std::make_shared<DropState>();
    forloop->name = tname;
    forloop->length = static_cast<int64_t>(seg.size());
    for (size_t k = 0; k < seg.size(); ++k) {
      r.count_iteration(*this);
      render_one(seg.at(k), forloop);
    }
  } else {
    render_one(variable, nullptr);
  }
}

}  // namespace shopflow::liquid::detail
