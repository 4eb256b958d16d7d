// Private declarations shared by the Liquid implementation files (template.cpp, liquid_*.cpp).
//
// The pieces: Value (a runtime value that borrows from the render data instead of copying it),
// Num (Ruby's Integer/BigDecimal arithmetic as the standard filters use it), the parsed tree
// (Expr, FilterCall, Condition, Node, Body, Document), the Renderer that walks it, and the filter
// table. Nothing here is part of the public API; errors travel internally as LiquidError and are
// turned into shopflow::Error at the boundary (template.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shopflow/decimal.hpp"
#include "shopflow/template.hpp"

namespace shopflow::liquid::detail {

using liquid::Document;  // defined at the end of this file

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// Thrown inside the implementation only; parse() and render() catch it.
struct LiquidError {
  std::string message;
  int line = 0;
  int column = 0;
  bool limit = false;  // a limit was reached: lax mode must not fall back and retry
};

[[noreturn]] void fail(std::string message, int line = 0, int column = 0);

// Nesting never goes deeper than this, whatever Limits::max_depth says: deeper recursion could
// overflow the native stack (sanitizer builds have large frames) or the WebAssembly stack.
constexpr size_t kHardDepthLimit = 200;

// [SECTION] Values

enum class Kind : uint8_t { Nil, Bool, Int, Float, Str, Arr, Obj, Range, Blank, Empty, Drop };

struct DropState;
struct Value;
using Array = std::vector<Value>;

// A runtime value. Strings, arrays and objects from the render data (and string literals of the
// parsed template) are borrowed: `s` or `p` point into storage that outlives the render. Values
// made during the render own their storage through `hold`.
struct Value {
  Kind kind = Kind::Nil;
  bool json = false;   // Arr/Obj: p is a const Json*; Arr otherwise: p is a const Array*
  bool b = false;
  int64_t i = 0;       // Int; Range: first
  int64_t i2 = 0;      // Range: last
  double f = 0;
  const void* p = nullptr;
  std::string_view s;  // Str
  std::shared_ptr<const void> hold;

  static Value nil() { return {}; }
  static Value boolean(bool v) { Value r; r.kind = Kind::Bool; r.b = v; return r; }
  static Value integer(int64_t v) { Value r; r.kind = Kind::Int; r.i = v; return r; }
  static Value flt(double v) { Value r; r.kind = Kind::Float; r.f = v; return r; }
  static Value view(std::string_view v) { Value r; r.kind = Kind::Str; r.s = v; return r; }
  static Value str(std::string v);
  static Value array(Array v);
  static Value range(int64_t a, int64_t b) { Value r; r.kind = Kind::Range; r.i = a; r.i2 = b; return r; }
  static Value special(Kind k) { Value r; r.kind = k; return r; }
  static Value drop(std::shared_ptr<DropState> d);
  // Scalars are converted; strings, arrays and objects are borrowed from `j`.
  static Value from_json(const Json& j);

  bool is_nil() const { return kind == Kind::Nil; }
  bool truthy() const { return !(kind == Kind::Nil || (kind == Kind::Bool && !b)); }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
  bool is_str() const { return kind == Kind::Str; }
  bool is_arr() const { return kind == Kind::Arr; }
  bool is_obj() const { return kind == Kind::Obj; }
  const Json& j() const { return *static_cast<const Json*>(p); }
  const Array& a() const { return *static_cast<const Array*>(p); }
  DropState& d() const { return *const_cast<DropState*>(static_cast<const DropState*>(p)); }
};

// forloop and tablerowloop.
struct DropState {
  bool tablerow = false;
  std::string name;
  int64_t length = 0;
  int64_t index = 0;  // 0-based
  int64_t cols = 0, row = 1, col = 1;
  std::shared_ptr<DropState> parent;
};

// The number of members of a range (saturated to int64).
inline int64_t range_size(const Value& r) {
  if (r.i2 < r.i) return 0;
  i128 n = static_cast<i128>(r.i2) - r.i + 1;
  return n > INT64_MAX ? INT64_MAX : static_cast<int64_t>(n);
}

// Array access for both borrowed (JSON) and owned arrays.
size_t arr_size(const Value& v);
Value arr_at(const Value& v, size_t i);
// Object access (objects are always borrowed JSON). Returns false when the key is absent.
bool obj_get(const Value& v, std::string_view key, Value& out);
size_t obj_size(const Value& v);

// Ruby's to_s (arrays and hashes as Ruby's inspect), output form (arrays joined), inspect.
std::string to_s(const Value& v);
void append_output(std::string& out, const Value& v);
std::string inspect(const Value& v);
std::string format_float(double d);  // Ruby Float#to_s: 2.0, 0.1, 1.0e+16
std::string_view str_view(const Value& v, std::string& scratch);  // to_s without copying strings

bool ruby_equal(const Value& a, const Value& b);
// Ruby's <=>: -1/0/1, or 2 when not comparable.
int ruby_compare(const Value& a, const Value& b);
// Liquid's <, <=, >, >= in conditions: false for types without ordering, error for
// number-vs-string; `op` is one of "<", "<=", ">", ">=".
bool ordered_compare(const Value& a, const Value& b, std::string_view op);
bool liquid_contains(const Value& left, const Value& right);
bool is_blank(const Value& v);
bool is_empty(const Value& v);

// Ruby's Utils.to_integer: Integer or a string that Integer() accepts, else an error.
int64_t to_integer_strict(const Value& v);
// Ruby's String#to_i / to_i-ish coercion (nil, strings, floats).
int64_t to_i(const Value& v);

// Ruby's InputIterator: flattened array; hash -> [hash]; nil -> []; range -> its members; other -> [v].
// Fails when a range is larger than `max_elements`.
Array to_iterable(const Value& v, size_t max_elements);
// Ruby's item[property] for where/map/sort/... Returns 0 ok, 1 "no [] method" (nil, numbers
// without [], booleans), 2 TypeError (e.g. a string indexed by a string it does not contain? no:
// by nil; an integer or array indexed by a string).
int ruby_index(const Value& item, const Value& key, Value& out);

// [SECTION] Numbers

// A number as Ruby's standard filters see it: an Integer or a BigDecimal, both exact in the
// core's Decimal (an Integer's has no places), or a Float where a value leaves Decimal's 38
// digits (as Ruby's BigDecimal results end up as Floats anyway).
struct Num {
  enum class T : uint8_t { Int, Dec, Dbl } t = T::Int;
  Decimal dec;     // Int and Dec
  double dbl = 0;  // Dbl only
};
Num to_number(const Value& v);  // Utils.to_number
Value num_value(const Num& n);   // Int -> Integer (Float when it does not fit), Dec -> Float
double num_to_double(const Num& n);
// The whole number n (rounded toward zero) limited to lo..hi.
int64_t num_clamp(const Num& n, int64_t lo, int64_t hi);
Num num_add(const Num& a, const Num& b);
Num num_sub(const Num& a, const Num& b);
Num num_mul(const Num& a, const Num& b);
Num num_div(const Num& a, const Num& b);  // fails on division by zero
Num num_mod(const Num& a, const Num& b);  // fails on division by zero
Num num_abs(const Num& a);
Num num_round(const Num& a, int64_t digits);
Num num_floor(const Num& a);
Num num_ceil(const Num& a);
int num_cmp(const Num& a, const Num& b);
// Parses "-?digits(.digits)?"; false when the text is not of that form or its whole part
// has more than 38 digits. Places beyond 38 significant digits are dropped.
bool parse_decimal(std::string_view text, Num& out);

// [SECTION] Parsed tree

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct PathSegment {
  std::string key;  // static key (dot form or a bracketed string literal)
  ExprPtr expr;     // dynamic key ([expr]); null for static keys
  bool command = false;  // dot form of size/first/last
};

struct Expr {
  enum class T : uint8_t { Literal, Lookup, Range } t = T::Literal;
  Value literal;            // Literal (strings borrow from `storage`)
  std::string storage;
  std::string name;         // Lookup root name
  ExprPtr name_expr;        // Lookup root given as [expr]
  std::vector<PathSegment> path;
  ExprPtr lo, hi;           // Range
  std::string text;         // source form, as Ruby's strict parser rebuilds it (forloop.name)
};

struct FilterDef;

struct FilterCall {
  const FilterDef* def = nullptr;  // null: unknown filter (lax mode passes the input through)
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct VariableExpr {
  ExprPtr expr;  // null for {{ }}
  std::vector<FilterCall> filters;
};

enum class CmpOp : uint8_t { None, Eq, Ne, Lt, Le, Gt, Ge, Contains };

struct Comparison {
  ExprPtr left;
  CmpOp op = CmpOp::None;
  ExprPtr right;
};

// Ruby evaluates `a or b and c` right to left: a chain where each link says whether the
// next comparison is reached by `and` or `or`.
struct Condition {
  std::vector<Comparison> items;
  std::vector<bool> is_and;  // is_and[k]: relation between items[k] and items[k+1]
};

class Renderer;

struct Node {
  int line = 0, column = 0;
  virtual ~Node() = default;
  virtual void render(Renderer& r, std::string& out) const = 0;
  virtual bool blank() const { return false; }
  virtual bool is_text() const { return false; }
};
using NodePtr = std::unique_ptr<Node>;

struct Body {
  std::vector<NodePtr> nodes;
  bool blank = true;
  void remove_blank_strings();
};

// The node types. Each renders itself (liquid_render.cpp); the parser builds them
// (liquid_parser.cpp). blank() is Ruby's blank?: a block whose bodies hold only whitespace
// and blank tags renders without that whitespace.
struct TextNode : Node {
  std::string text;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override;
  bool is_text() const override { return true; }
};

struct OutputNode : Node {  // {{ ... }} and echo
  VariableExpr var;
  void render(Renderer& r, std::string& out) const override;
};

struct AssignNode : Node {
  std::string to;
  VariableExpr from;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return true; }
};

struct CaptureNode : Node {
  std::string to;
  Body body;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return true; }
};

struct IfNode : Node {
  struct Branch {
    bool is_else = false;
    Condition cond;
    Body body;
  };
  std::vector<Branch> branches;
  bool unless = false;
  bool blank_ = true;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return blank_; }
};

struct CaseNode : Node {
  struct Block {
    bool is_else = false;
    ExprPtr value;
    size_t body = 0;
  };
  ExprPtr left;
  std::vector<Body> bodies;
  std::vector<Block> blocks;
  bool blank_ = true;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return blank_; }
};

struct ForNode : Node {
  std::string var;
  ExprPtr collection;
  std::string name;  // "var-collection", the key of offset:continue and forloop.name
  bool reversed = false;
  ExprPtr limit, offset;
  bool offset_continue = false;
  Body body, else_body;
  bool has_else = false;
  bool blank_ = true;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return blank_; }
};

struct TableRowNode : Node {
  std::string var;
  ExprPtr collection;
  ExprPtr cols, limit, offset;
  Body body;
  bool blank_ = true;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return blank_; }
};

struct CycleNode : Node {
  ExprPtr group;    // named cycle; null when unnamed
  std::string key;  // unnamed cycles: identity of the value list
  std::vector<ExprPtr> values;
  void render(Renderer& r, std::string& out) const override;
};

struct CounterNode : Node {  // increment / decrement
  std::string name;
  bool increment = true;
  void render(Renderer& r, std::string& out) const override;
};

struct RawNode : Node {
  std::string text;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return text.empty(); }
};

struct CommentNode : Node {  // comment, doc, {% # %}
  void render(Renderer&, std::string&) const override {}
  bool blank() const override { return true; }
};

struct IfChangedNode : Node {
  Body body;
  bool blank_ = true;
  void render(Renderer& r, std::string& out) const override;
  bool blank() const override { return blank_; }
};

struct InterruptNode : Node {  // break / continue
  bool is_break = true;
  void render(Renderer& r, std::string& out) const override;
};

struct PartialNode : Node {  // include / render
  bool is_render = false;
  ExprPtr name_expr;
  ExprPtr var_expr;
  bool is_for = false;
  std::string alias;
  std::vector<std::pair<std::string, ExprPtr>> attributes;
  void render(Renderer& r, std::string& out) const override;
};

// Parses `source` into a document; throws LiquidError with the line and column of the problem.
std::shared_ptr<Document> parse_document(std::string_view source, const Options& options);

// [SECTION] Rendering

struct Shared;  // state shared by a render and its isolated sub-renders ({% render %})

class Renderer {
 public:
  Renderer(Shared& shared, const Json* data);

  Shared& shared;
  const Json* data;  // outermost scope (null inside isolated sub-renders without data access)

  // Innermost scope last. scopes_[0] is the outermost one, where assign and capture write.
  std::vector<std::vector<std::pair<std::string, Value>>> scopes;
  std::vector<std::pair<std::string, int64_t>> counters;  // increment/decrement
  // offset:continue, keyed by the loops' names (views into the parsed documents, which
  // outlive the render).
  std::vector<std::pair<std::string_view, int64_t>> for_offsets;
  std::map<std::string, int64_t> cycles;
  std::string ifchanged_last;
  bool has_ifchanged = false;
  std::vector<std::shared_ptr<DropState>> for_stack;
  enum class Interrupt : uint8_t { None, Break, Continue } interrupt = Interrupt::None;
  size_t depth = 0;  // nesting of rendered blocks and partials
  bool in_render = false;  // inside {% render %}: include is not allowed

  void render_body(const Body& body, std::string& out);
  Value eval(const Expr& e);
  Value eval_variable(const VariableExpr& v);
  bool eval_condition(const Condition& c);
  Value find_variable(std::string_view name, bool& found);
  void set_outer(const std::string& name, Value v);   // assign / capture
  void set_local(const std::string& name, Value v);   // innermost scope
  // Scopes are reused (cleared, not freed) so loops do not allocate per iteration.
  void push_scope() {
    if (scope_count_ == scopes.size()) scopes.emplace_back();
    ++scope_count_;
  }
  void pop_scope() { scopes[--scope_count_].clear(); }
  size_t scope_count_ = 1;

  // Limits.
  void count_iteration(const Node& where);
  void check_output(const std::string& out, const Node& where);
  void charge_bytes(size_t n);
  void enter(const Node& where);
  void leave() { --depth; }
  std::shared_ptr<Document> load_partial(const std::string& name, const Node& where);

  const Options& options() const;
  bool strict_variables() const;
  int line = 0, column = 0;  // position of the node being rendered, for error messages
};

struct PartialCacheEntries {
  std::map<std::string, std::shared_ptr<Document>> docs;
};
PartialCacheEntries* partial_cache_entries(PartialCache& cache);

struct Shared {
  const Options* options = nullptr;
  size_t iterations = 0;
  size_t bytes_produced = 0;
  std::map<std::string, std::shared_ptr<Document>> partials;
};

// [SECTION] Filters

struct FilterArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

using FilterFn = Value (*)(Renderer& r, const Value& input, const FilterArgs& args);

struct FilterDef {
  const char* name;
  FilterFn fn;
  uint8_t min_args;
  uint8_t max_args;
  bool takes_kwargs;  // keyword arguments are options, not a trailing positional hash
};

// The built-in filters, registered in one table (liquid_filters.cpp). Null when unknown.
const FilterDef* find_filter(std::string_view name);

// Date filter helpers (liquid_date.cpp).
// `date: format` and `date: format, "Europe/Berlin"`: the time shown on a zone's clock (by
// default the store's, Options::time_zone), else in the offset it was written with.
Value date_filter(Renderer& r, const Value& input, const Value& format, const Value& zone);

// Small string helpers shared by the files.
size_t utf8_length(std::string_view s);
bool is_space(char c);
std::string_view trim(std::string_view s);

// Ruby's value -> JSON for the `json` filter and keyword arguments passed as a hash.
Json value_to_json(const Value& v);

}  // namespace shopflow::liquid::detail

namespace shopflow::liquid {

// The parsed form of a template (declared in template.hpp).
struct Document {
  detail::Body body;
  Mode mode = Mode::Lax;
};

}  // namespace shopflow::liquid
