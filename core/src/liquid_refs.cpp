// What a parsed template reads: the variables it looks up in its data and the partials it
// renders (Template::references, template.hpp). Walks the parsed tree the parser built
// (liquid_internal.hpp) without rendering; `shopflow validate` uses the result to check names
// before any run.
#include <map>
#include <optional>

#include "liquid_internal.hpp"

namespace shopflow::liquid {

namespace detail {
namespace {

class RefWalker {
 public:
  explicit RefWalker(std::vector<Reference>& out) : out_(out) {}

  void body(const Body& b) {
    for (const auto& n : b.nodes) node(*n);
  }

 private:
  using Path = std::vector<std::string>;

  // A name the template binds itself: to a known path (a for loop's item, an assign of a plain
  // lookup) or to something computed (nullopt).
  std::vector<std::map<std::string, std::optional<Path>>> scopes_{1};

  const std::optional<Path>* local(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return &f->second;
    }
    return nullptr;
  }

  // The path a lookup reads, as far as it is static: "#" stands for an array element, the
  // path ends at a dynamic key or `size`. Nullopt when the root itself is computed.
  std::optional<Path> path_of(const Expr& e) {
    if (e.t != Expr::T::Lookup || e.name_expr) return std::nullopt;
    Path p;
    if (const auto* bound = local(e.name)) {
      if (!*bound) return std::nullopt;
      p = **bound;
    } else {
      p.push_back(e.name);
    }
    for (const auto& seg : e.path) {
      if (seg.expr) {
        if (seg.expr->t == Expr::T::Literal && seg.expr->literal.kind == Kind::Int) {
          p.push_back("#");
          continue;
        }
        break;
      }
      if (seg.command && seg.key == "size") break;
      p.push_back(seg.command ? "#" : seg.key);
    }
    return p;
  }

  void expr(const Expr* e, bool optional, const Node& at) {
    if (!e) return;
    if (e->t == Expr::T::Range) {
      expr(e->lo.get(), false, at);
      expr(e->hi.get(), false, at);
      return;
    }
    if (e->t != Expr::T::Lookup) return;
    if (e->name_expr) expr(e->name_expr.get(), false, at);
    for (const auto& seg : e->path) expr(seg.expr.get(), false, at);
    if (e->name == "forloop" || e->name == "tablerowloop") return;
    if (!e->name_expr && local(e->name) && !*local(e->name)) return;
    auto p = path_of(*e);
    if (!p || p->empty()) return;
    out_.push_back(Reference{Reference::Kind::Variable, std::move(*p), optional, at.line, at.column, {}, true});
  }

  void variable(const VariableExpr& v, const Node& at) {
    bool optional = false;
    for (const auto& f : v.filters) optional = optional || f.name == "default";
    expr(v.expr.get(), optional, at);
    for (const auto& f : v.filters) {
      // `default`'s fallback may be absent too (a chain of fallbacks).
      for (const auto& a : f.args) expr(a.get(), f.name == "default", at);
      for (const auto& kw : f.kwargs) expr(kw.second.get(), false, at);
    }
  }

  void condition(const Condition& c, const Node& at) {
    for (const auto& item : c.items) {
      // `{% if x %}` asks whether x is there: its absence is expected.
      expr(item.left.get(), item.op == CmpOp::None, at);
      expr(item.right.get(), false, at);
    }
  }

  void bind(const std::string& name, std::optional<Path> p) { scopes_.back()[name] = std::move(p); }

  void node(const Node& n) {
    if (auto* o = dynamic_cast<const OutputNode*>(&n)) {
      variable(o->var, n);
    } else if (auto* a = dynamic_cast<const AssignNode*>(&n)) {
      variable(a->from, n);
      std::optional<Path> p;
      if (a->from.filters.empty() && a->from.expr) p = path_of(*a->from.expr);
      scopes_.front()[a->to] = std::move(p);
    } else if (auto* c = dynamic_cast<const CaptureNode*>(&n)) {
      body(c->body);
      scopes_.front()[c->to] = std::nullopt;
    } else if (auto* i = dynamic_cast<const IfNode*>(&n)) {
      for (const auto& br : i->branches) {
        if (!br.is_else) condition(br.cond, n);
        body(br.body);
      }
    } else if (auto* cs = dynamic_cast<const CaseNode*>(&n)) {
      expr(cs->left.get(), false, n);
      for (const auto& bl : cs->blocks) expr(bl.value.get(), false, n);
      for (const auto& b : cs->bodies) body(b);
    } else if (auto* f = dynamic_cast<const ForNode*>(&n)) {
      loop(f->var, f->collection.get(), {f->limit.get(), f->offset.get()}, n, [&] {
        body(f->body);
      });
      body(f->else_body);
    } else if (auto* t = dynamic_cast<const TableRowNode*>(&n)) {
      loop(t->var, t->collection.get(), {t->cols.get(), t->limit.get(), t->offset.get()}, n, [&] { body(t->body); });
    } else if (auto* cy = dynamic_cast<const CycleNode*>(&n)) {
      expr(cy->group.get(), false, n);
      for (const auto& v : cy->values) expr(v.get(), false, n);
    } else if (auto* k = dynamic_cast<const CounterNode*>(&n)) {
      scopes_.front()[k->name] = std::nullopt;
    } else if (auto* ic = dynamic_cast<const IfChangedNode*>(&n)) {
      body(ic->body);
    } else if (auto* p = dynamic_cast<const PartialNode*>(&n)) {
      const Expr* name = p->name_expr.get();
      expr(p->var_expr.get(), false, n);
      for (const auto& at : p->attributes) expr(at.second.get(), false, n);
      if (name && name->t == Expr::T::Literal && name->literal.kind == Kind::Str) {
        out_.push_back(partial(*p, std::string(name->literal.s)));
      } else {
        expr(name, false, n);
      }
    }
  }

  // A render or include by a literal name, with what the partial's names stand for here.
  Reference partial(const PartialNode& p, std::string name) {
    Reference r{Reference::Kind::Partial, {name}, false, p.line, p.column, {}, p.is_render};
    if (!p.is_render) {  // include shares the caller's scope
      for (const auto& scope : scopes_) {
        for (const auto& [local_name, bound] : scope) r.bindings.emplace_back(local_name, bound);
      }
    }
    if (p.var_expr) {
      std::optional<Path> item = path_of(*p.var_expr);
      if (item && p.is_for) item->push_back("#");
      r.bindings.emplace_back(p.alias.empty() ? name : p.alias, std::move(item));
    }
    for (const auto& [key, value] : p.attributes) {
      r.bindings.emplace_back(key, value ? path_of(*value) : std::nullopt);
    }
    return r;
  }

  template <class F>
  void loop(const std::string& var, const Expr* collection, std::initializer_list<const Expr*> options, const Node& n,
            F&& inner) {
    expr(collection, false, n);
    for (const Expr* o : options) expr(o, false, n);
    std::optional<Path> item;
    if (collection) {
      item = path_of(*collection);
      if (item) item->push_back("#");
    }
    scopes_.emplace_back();
    bind(var, std::move(item));
    inner();
    scopes_.pop_back();
  }

  std::vector<Reference>& out_;
};

}  // namespace
}  // namespace detail

std::vector<Reference> Template::references() const {
  std::vector<Reference> out;
  if (!doc_) return out;
  detail::RefWalker(out).body(doc_->body);
  return out;
}

}  // namespace shopflow::liquid
