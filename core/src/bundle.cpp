// Bundle checking: structure first, then the rules a schema cannot express — unique ids,
// conditions that compile, templates that parse, actions and their parameters, schedules,
// durations, references to steps and tables. Every problem is reported, none stops the check.
#include "shopflow/bundle.hpp"
#include "edit_distance.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace shopflow {

namespace {

// A user-facing name for a JSON value's type.
const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

bool valid_id(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Variable names (set, foreach "as"): letters, digits and '_', not starting with a digit.
bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Event types are dotted lower-case names: "order.created", "checkout.updated".
bool valid_event_type(const std::string& s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.back() == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_template_text(const std::string& s) {
  return s.find("{{") != std::string::npos || s.find("{%") != std::string::npos;
}

// The candidate nearest to `name` when it is close enough to be a likely typo, else "".
template <class Names>
std::string nearest(const std::string& name, const Names& candidates) {
  size_t allowed = std::max<size_t>(2, name.size() / 3);
  std::string best;
  size_t best_d = allowed + 1;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

// A path as a user reads it: event.data.line_items[].title ("#" is an array element).
std::string show_path(const std::vector<std::string>& path, size_t n = SIZE_MAX) {
  std::string out;
  for (size_t i = 0; i < path.size() && i < n; ++i) {
    if (path[i] == "#") {
      out += "[]";
    } else {
      out += (out.empty() ? "" : ".") + path[i];
    }
  }
  return out;
}

std::string join_path(const std::vector<std::string>& path, size_t n) {
  std::string out;
  for (size_t i = 0; i < path.size() && i < n; ++i) out += (i ? "." : "") + path[i];
  return out;
}

// The paths that the sample and test events of one type have, to check what rules and
// templates read against ("#" stands for any element of a list).
struct Shape {
  std::map<std::string, std::set<std::string>> children;  // path -> the keys found below it
  std::set<std::string> open;  // paths that are null or an empty list/object somewhere: anything may be below
};

void add_shape(Shape& s, const std::string& path, const Json& v, int depth) {
  auto& kids = s.children[path];
  if (v.is_null() || ((v.is_object() || v.is_array()) && v.empty()) || depth > 32) s.open.insert(path);
  if (depth > 32) return;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      kids.insert(it.key());
      add_shape(s, path + "." + it.key(), it.value(), depth + 1);
    }
  } else if (v.is_array()) {
    kids.insert("#");
    for (const Json& x : v) add_shape(s, path + ".#", x, depth + 1);
  }
}

// A `var` path of JSON Logic as segments: "event.data.lines.0.sku" -> event, data, lines, #, sku.
std::vector<std::string> split_var(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool index = !seg.empty();
    for (char c : seg) index = index && c >= '0' && c <= '9';
    out.push_back(index ? "#" : seg);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

const char* const kStepKinds[] = {"if", "switch", "action", "wait", "foreach", "set", "emit", "stop"};

class Checker {
 public:
  explicit Checker(BundleCheck& out) : out_(out), b_(out.bundle) {}

  void problem(const std::string& pointer, std::string message) {
    out_.problems.push_back(Problem{std::move(message), pointer, 0, 0});
  }

  // Reads a required non-empty string member; reports and returns "" when it is not one.
  std::string required_string(const Json& obj, const std::string& base, const char* key, const char* what) {
    auto it = obj.find(key);
    std::string at = pointer_join(base, key);
    if (it == obj.end()) {
      problem(at, std::string("missing: every ") + what + " needs \"" + key + "\"");
      return {};
    }
    if (!it->is_string()) {
      problem(at, std::string("must be a string, not ") + type_name(*it));
      return {};
    }
    if (it->get_ref<const std::string&>().empty()) {
      problem(at, "must not be empty");
      return {};
    }
    return it->get<std::string>();
  }

  // An optional string member: "" when absent; reports a non-string.
  std::string optional_string(const Json& obj, const std::string& base, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end()) return {};
    if (!it->is_string()) {
      problem(pointer_join(base, key), std::string("must be a string, not ") + type_name(*it));
      return {};
    }
    return it->get<std::string>();
  }

  void unknown_keys(const Json& obj, const std::string& at, std::initializer_list<const char*> known,
                    const char* what) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool ok = it.key() == "$comment";
      for (const char* k : known) ok = ok || it.key() == k;
      if (ok) continue;
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      problem(pointer_join(at, it.key()), "unknown field \"" + it.key() + "\" in " + what + "; it may have " + list);
    }
  }

  // Compiles a JSON Logic rule; a problem when it does not compile. Records step references.
  logic::Condition condition(const Json& rule, const std::string& at) {
    note_rule(rule, at, false, 0);
    logic::CompileOptions options;
    options.rules = &b_.rules;
    auto c = logic::Condition::compile(rule, at, options);
    if (!c) {
      const Error& e = c.error();
      problem(e.pointer.empty() ? at : e.pointer, "condition: " + e.message);
      return {};
    }
    return std::move(c.value());
  }

  liquid::Template text(const std::string& source, const std::string& at) {
    liquid::Options opts = template_options(b_);
    opts.mode = liquid::Mode::Strict;
    auto t = liquid::Template::parse(source, opts);
    if (!t) {
      const Error& e = t.error();
      std::string where = e.line > 0 ? " (line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ")" : "";
      problem(at, "template does not parse" + where + ": " + e.message);
      return {};
    }
    note_template(t.value(), at);
    return std::move(t.value());
  }

  Computed computed(const Json& v, const std::string& at, int depth = 0) {
    Computed c;
    if (depth > 32) {
      problem(at, "nested deeper than 32 levels");
      return c;
    }
    if (v.is_string() && is_template_text(v.get_ref<const std::string&>())) {
      c.kind = Computed::Kind::Text;
      c.text = text(v.get<std::string>(), at);
      return c;
    }
    if (v.is_object() && v.size() == 1 && v.contains("$logic")) {
      c.kind = Computed::Kind::Logic;
      c.logic = condition(v["$logic"], pointer_join(at, "$logic"));
      return c;
    }
    bool all_literal = true;
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        c.fields.push_back(ComputedField{it.key(), computed(it.value(), pointer_join(at, it.key()), depth + 1)});
        all_literal = all_literal && c.fields.back().value.kind == Computed::Kind::Literal;
      }
      c.kind = Computed::Kind::Object;
    } else if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) {
        c.items.push_back(computed(v[i], pointer_join(at, i), depth + 1));
        all_literal = all_literal && c.items.back().kind == Computed::Kind::Literal;
      }
      c.kind = Computed::Kind::Array;
    }
    if (all_literal) {
      c = Computed{};
      c.kind = Computed::Kind::Literal;
      c.literal = v;
    }
    return c;
  }

  // [SECTION] what rules and templates read, checked when the whole workflow has been read
  //
  // Tables and partials are checked at once (they are all known before workflows are read);
  // steps.<id> and vars.<name> must be set by a step that runs before the reader (document
  // order: an if, switch or foreach has its output before its branches run); event and trigger
  // paths are compared with the sample and test events of the type the workflow takes.

  struct Read {
    std::string pointer;
    std::string where;                // " (line L, column C)" in a template
    std::vector<std::string> path;    // with foreach items resolved
    bool optional = false;            // read with a default or tested for presence
    bool in_template = false;
    bool ready = false;               // steps.<id>: that step has run; vars.<name>: it is set
    std::string event_type;           // the type of the event `event` holds there ("" unknown)
    std::string trigger_type;         // the type of the event `trigger` holds ("" for schedules)
    std::string via;                  // read inside a named rule or partial: where it is used from
    std::vector<std::string> args;    // inside a partial: the names its caller binds
    std::string alias;                // inside a partial: the name it read, shown for...
    size_t alias_len = 0;             // ...this many segments of `path` (what the caller bound)
  };

  // A path as the reader wrote it: inside a partial, its argument's name for what the caller bound.
  static std::string shown(const Read& r, const std::vector<std::string>& path) {
    if (r.alias.empty() || path.size() < r.alias_len || !std::equal(path.begin(), path.begin() + static_cast<long>(r.alias_len), r.path.begin())) {
      return show_path(path);
    }
    std::vector<std::string> out{r.alias};
    out.insert(out.end(), path.begin() + static_cast<long>(r.alias_len), path.end());
    return show_path(out);
  }
  using Bindings = std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>>;

  // Iterators evaluate their other arguments per item: `var` there reads the item.
  static bool is_iterator(const std::string& op) {
    return op == "map" || op == "filter" || op == "reduce" || op == "all" || op == "some" || op == "none";
  }
  // Operators whose direct operands are tested for presence, where null is expected.
  static bool tests_presence(const std::string& op) {
    return op == "!!" || op == "!" || op == "??" || op == "if" || op == "?:" || op == "or" || op == "and" || op == "exists";
  }

  void note_rule(const Json& rule, const std::string& at, bool optional, int depth) {
    if (depth > 64) return;
    if (rule.is_array()) {
      for (size_t i = 0; i < rule.size(); ++i) note_rule(rule[i], pointer_join(at, i), optional, depth + 1);
      return;
    }
    if (!rule.is_object() || rule.size() != 1) return;
    const std::string& op = rule.begin().key();
    const Json& args = rule.begin().value();
    std::string aat = pointer_join(at, op);
    if (op == "var") {
      const Json* name = args.is_array() && !args.empty() ? &args[0] : &args;
      bool with_default = args.is_array() && args.size() > 1;
      if (name->is_string()) note_read(split_var(name->get<std::string>()), at, "", optional || with_default, false);
      else note_rule(*name, args.is_array() ? pointer_join(aat, 0) : aat, false, depth + 1);
      return;
    }
    if (op == "val" || op == "preserve") return;  // val climbs scopes; preserve holds a value, not rules
    if (op == "rule") {
      const Json* name = args.is_array() && args.size() == 1 ? &args[0] : &args;
      if (name->is_string()) note_named_rule(name->get<std::string>(), at, optional, depth);
      return;
    }
    if (op == "lookup" || op == "rows") {
      const Json* table = args.is_array() && !args.empty() ? &args[0] : &args;
      if (table->is_string()) table_refs_.emplace_back(args.is_array() ? pointer_join(aat, 0) : aat, table->get<std::string>());
    }
    if (is_iterator(op) && args.is_array()) {
      if (!args.empty()) note_rule(args[0], pointer_join(aat, 0), false, depth + 1);
      return;
    }
    bool presence = tests_presence(op);
    if (args.is_array()) {
      for (size_t i = 0; i < args.size(); ++i) note_rule(args[i], pointer_join(aat, i), presence, depth + 1);
    } else {
      note_rule(args, aat, presence, depth + 1);
    }
  }

  // A named rule reads the data of the place that uses it: its reads are checked there, and
  // reported where the rule is written.
  void note_named_rule(const std::string& name, const std::string& at, bool optional, int depth) {
    auto it = b_.rules.find(name);
    if (!in_workflow_ || it == b_.rules.end() || depth > 64 || rule_stack_.size() > 16) return;
    if (std::find(rule_stack_.begin(), rule_stack_.end(), name) != rule_stack_.end()) return;  // a cycle, refused elsewhere
    std::string saved = via_;
    if (rule_stack_.empty() && partial_stack_.empty()) via_ = " (rule \"" + name + "\" as used at " + at + ")";
    rule_stack_.push_back(name);
    note_rule(it->second, pointer_join("/rules", name), optional, depth + 1);
    rule_stack_.pop_back();
    via_ = saved;
  }

  // The path a read inside a partial stands for in its caller: the root replaced by what the
  // caller bound to that name, unchanged when the name is not bound (the render's data), nullopt
  // when the caller bound a computed value.
  static std::optional<std::vector<std::string>> through(const Bindings& b, const std::vector<std::string>& path) {
    if (path.empty()) return path;
    for (auto it = b.rbegin(); it != b.rend(); ++it) {
      if (it->first != path[0]) continue;
      if (!it->second) return std::nullopt;
      std::vector<std::string> out = *it->second;
      out.insert(out.end(), path.begin() + 1, path.end());
      return out;
    }
    return path;
  }

  // Checks what a partial reads as the caller renders it: its arguments stand for the caller's
  // paths, its other names read the render's data. Reported where the partial is written.
  void note_partial(const std::string& name, const Bindings& bindings, const std::string& caller, int depth) {
    auto t = partials_.find(name);
    if (t == partials_.end() || depth > 8) return;
    if (std::count(partial_stack_.begin(), partial_stack_.end(), name) > 1) return;  // recursion: seen enough
    std::string saved_via = via_;
    std::vector<std::string> saved_args = args_;
    if (partial_stack_.empty() && rule_stack_.empty()) via_ = " (rendered from " + caller + ")";
    args_.clear();
    for (const auto& kv : bindings) args_.push_back(kv.first);
    partial_stack_.push_back(name);
    std::string at = pointer_join("/templates", name);
    for (const liquid::Reference& r : t->second.references()) {
      if (r.kind == liquid::Reference::Kind::Partial) {
        Bindings inner = r.isolated ? Bindings{} : bindings;
        for (const auto& [k, v] : r.bindings) inner.emplace_back(k, v ? through(bindings, *v) : std::nullopt);
        note_partial(r.path[0], inner, caller, depth + 1);
        continue;
      }
      auto path = through(bindings, r.path);
      if (!path) continue;
      std::string where = " (line " + std::to_string(r.line) + ", column " + std::to_string(r.column) + ")";
      if (*path != r.path) {
        alias_ = r.path[0];
        alias_len_ = path->size() + 1 - r.path.size();
      }
      note_read(std::move(*path), at, where, r.optional, true);
      alias_.clear();
      alias_len_ = 0;
    }
    partial_stack_.pop_back();
    via_ = std::move(saved_via);
    args_ = std::move(saved_args);
  }

  void note_template(const liquid::Template& t, const std::string& at) {
    for (const liquid::Reference& r : t.references()) {
      std::string where = " (line " + std::to_string(r.line) + ", column " + std::to_string(r.column) + ")";
      if (r.kind == liquid::Reference::Kind::Partial) {
        const std::string& name = r.path[0];
        if (b_.templates.count(name)) {
          if (in_workflow_) note_partial(name, r.bindings, at + where, 0);
          continue;
        }
        std::vector<std::string> names;
        for (const auto& kv : b_.templates) names.push_back(kv.first);
        std::string hint = nearest(name, names);
        problem(at, "template" + where + " renders \"" + name + "\", but there is no template of that name under " +
                        "\"templates\"" + (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
        continue;
      }
      // A partial's own reads are checked where a workflow renders it (note_partial).
      if (in_workflow_) note_read(r.path, at, where, r.optional, true);
    }
  }

  void note_read(std::vector<std::string> path, const std::string& at, const std::string& where, bool optional,
                 bool in_template) {
    if (!in_workflow_ || path.empty()) return;
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
      if (it->first != path[0]) continue;
      if (!it->second) return;  // an item of a list we know nothing about
      std::vector<std::string> resolved = *it->second;
      resolved.insert(resolved.end(), path.begin() + 1, path.end());
      path = std::move(resolved);
      break;
    }
    Read r;
    r.pointer = at;
    r.where = where;
    r.optional = optional;
    r.in_template = in_template;
    r.event_type = event_type_;
    r.trigger_type = trigger_type_;
    r.via = via_;
    r.args = args_;
    r.alias = alias_;
    r.alias_len = alias_len_;
    if (path[0] == "steps" && path.size() > 1) r.ready = ready_steps_.count(path[1]) > 0;
    if (path[0] == "vars" && path.size() > 1) r.ready = set_vars_.count(path[1]) > 0;
    r.path = std::move(path);
    reads_.push_back(std::move(r));
  }

  void check_reads(const Workflow& w) {
    for (const Read& r : reads_) {
      const std::string& root = r.path[0];
      std::string lead = r.in_template ? "template" + r.where + " reads " : "reads ";
      if ((root == "steps" || root == "vars") && r.path.size() > 1 && !r.ready) {
        const std::string& name = r.path[1];
        bool step = root == "steps";
        const std::set<std::string>& known = step ? step_ids_ : all_set_vars_;
        if (known.count(name)) {
          report(r, lead + root + "." + name + " before " +
                                 (step ? "step \"" + name + "\" has run" : "a set step sets it") +
                                 ": a step sees only what the steps before it set");
        } else {
          std::string hint = nearest(name, known);
          report(r, lead + root + "." + name + ", but " +
                                 (step ? "this workflow has no step with the id \"" + name + "\""
                                       : "no set step of this workflow sets \"" + name + "\"") +
                                 (hint.empty() ? "" : "; did you mean " + root + "." + hint + "?"));
        }
        continue;
      }
      if (root == "event" || (root == "trigger" && !w.trigger.cron)) {
        check_shape(r);
        continue;
      }
      if (r.in_template && root != "steps" && root != "vars" && root != "now" && root != "trigger" && (!r.optional || strict(r))) {
        std::vector<std::string> names = {"event", "trigger", "steps", "vars", "now"};
        for (const auto& item : items_seen_) names.push_back(item);
        names.insert(names.end(), r.args.begin(), r.args.end());
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        std::string hint = nearest(root, names);
        finding(r, lead + root + ", but a step's data has no \"" + root + "\" (it has " + list + ")" +
                       (hint.empty() ? "" : "; did you mean " + hint + "?"));
      }
    }
  }

  // Compares an event path with the events of that type among the samples and tests.
  void check_shape(const Read& r) {
    const std::string& type = r.path[0] == "event" ? r.event_type : r.trigger_type;
    if (type.empty() || (r.optional && !strict(r))) return;
    auto sh = shapes_.find(type);
    if (sh == shapes_.end()) return;
    const Shape& shape = sh->second;
    std::vector<std::string> path = r.path;
    path[0] = "event";
    for (size_t k = 1; k < path.size(); ++k) {
      std::string parent = join_path(path, k);
      if (shape.open.count(parent)) return;
      auto kids = shape.children.find(parent);
      if (kids == shape.children.end()) return;
      if (kids->second.empty()) return;  // a text or number: Liquid's first/last and such apply
      if (kids->second.count(path[k])) continue;
      std::vector<std::string> names(kids->second.begin(), kids->second.end());
      std::string hint = nearest(path[k], names);
      std::string msg = (r.in_template ? "template" + r.where + " reads " : "reads ") + shown(r, r.path) + ", which no sample \"" +
                        type + "\" event has";
      if (!hint.empty()) {
        std::vector<std::string> better(r.path.begin(), r.path.begin() + static_cast<long>(k));
        better.push_back(hint);
        msg += "; did you mean " + shown(r, better) + "?";
      } else {
        std::string list;
        size_t n = 0;
        for (const auto& name : names) {
          if (name == "#" || ++n > 12) continue;
          list += (list.empty() ? "" : ", ") + name;
        }
        msg += "; " + shown(r, std::vector<std::string>(r.path.begin(), r.path.begin() + static_cast<long>(k))) + " has " + (list.empty() ? "list items" : list);
      }
      finding(r, msg);
      return;
    }
  }

  // Strict templates fail the run on any variable the data lacks, even under `default`.
  bool strict(const Read& r) const { return r.in_template && b_.strict_templates; }

  // What a run would fail on is a problem; what only renders empty or reads null is a warning,
  // unless the bundle's templates are strict (then it fails the run).
  void finding(const Read& r, std::string message) { report(r, std::move(message), strict(r)); }

  // A read's problem (or warning) once: a partial or named rule used from several places, or
  // from several workflows, is reported once where it is written, naming the first use.
  void report(const Read& r, std::string message, bool is_problem = true) {
    if (!reported_.insert(r.pointer + r.where + '\n' + join_path(r.path, SIZE_MAX) + '\n' + r.event_type + '\n' + message.substr(0, 40)).second) return;
    message += r.via;
    if (is_problem) {
      problem(r.pointer, std::move(message));
    } else {
      out_.warnings.push_back(Problem{std::move(message), r.pointer, 0, 0});
    }
  }

  void build_shapes(const Json& doc) {
    auto add = [&](const Json& list) {
      if (!list.is_array()) return;
      for (const Json& x : list) {
        auto e = parse_event(x, "shape");
        if (!e) continue;
        add_shape(shapes_[e.value().type], "event", event_to_json(e.value()), 0);
      }
    };
    if (auto s = doc.find("samples"); s != doc.end() && s->is_object() && s->contains("events")) add((*s)["events"]);
    if (auto t = doc.find("tests"); t != doc.end() && t->is_array()) {
      for (const Json& x : *t) {
        if (x.is_object() && x.contains("events")) add(x["events"]);
      }
    }
  }

  // The path an item of a foreach stands for, when its list is a plain `var` read.
  std::optional<std::vector<std::string>> item_path(const Json& list) const {
    if (!list.is_object() || list.size() != 1 || !list.contains("var")) return std::nullopt;
    const Json& a = list["var"];
    const Json* name = a.is_array() && !a.empty() ? &a[0] : &a;
    if (!name->is_string()) return std::nullopt;
    std::vector<std::string> path = split_var(name->get<std::string>());
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
      if (it->first != path[0]) continue;
      if (!it->second) return std::nullopt;
      std::vector<std::string> resolved = *it->second;
      resolved.insert(resolved.end(), path.begin() + 1, path.end());
      path = std::move(resolved);
      break;
    }
    path.push_back("#");
    return path;
  }

  // [SECTION] steps
  size_t new_list(Workflow& w) {
    w.lists.emplace_back();
    return w.lists.size() - 1;
  }

  void step_list(const Json* arr, const std::string& at, Workflow& w, size_t list, const std::string& prefix,
                 int depth) {
    if (arr == nullptr) return;
    if (!arr->is_array()) {
      problem(at, std::string("must be a list of steps, not ") + type_name(*arr));
      return;
    }
    if (depth > 16) {
      problem(at, "steps are nested deeper than 16 levels");
      return;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      size_t idx = step((*arr)[i], pointer_join(at, i), w, prefix, depth);
      if (idx != SIZE_MAX) w.lists[list].push_back(idx);
    }
  }

  // Reads one step into w.steps; returns its index, or SIZE_MAX when it is unusable.
  size_t step(const Json& s, const std::string& at, Workflow& w, const std::string& prefix, int depth) {
    if (!s.is_object()) {
      problem(at, std::string("a step must be an object, not ") + type_name(s));
      return SIZE_MAX;
    }
    Step st;
    st.pointer = at;
    st.id = required_string(s, at, "id", "step");
    if (!st.id.empty()) {
      if (!valid_id(st.id)) {
        problem(pointer_join(at, "id"),
                "\"" + st.id + "\" is not a valid step id: use up to 64 letters, digits, '_', '-' or '.'");
      } else if (!step_ids_.insert(st.id).second) {
        problem(pointer_join(at, "id"), "the step id \"" + st.id + "\" is used twice in this workflow; step ids must be unique");
      }
    }
    st.path = prefix + (st.id.empty() ? "?" : st.id);
    const char* kind = nullptr;
    int kinds = 0;
    for (const char* k : kStepKinds) {
      if (s.contains(k)) {
        if (!kind) kind = k;
        ++kinds;
      }
    }
    if (kinds != 1) {
      problem(at, kinds == 0 ? "a step needs one of if, switch, action, wait, foreach, set, emit or stop"
                             : "a step does one thing: it has more than one of if, switch, action, wait, foreach, "
                               "set, emit, stop");
      return SIZE_MAX;
    }
    size_t idx = w.steps.size();
    w.steps.emplace_back();
    std::string k = kind;
    std::string kat = pointer_join(at, k);
    const Json& body = s[k];
    if (k == "if") {
      st.kind = StepKind::If;
      unknown_keys(s, at, {"id", "name", "description", "if", "then", "else"}, "an if step");
      st.logic = condition(body, kat);
      st.has_logic = true;
      ready_steps_.insert(st.id);
      st.then_list = new_list(w);
      st.else_list = new_list(w);
      if (!s.contains("then")) problem(pointer_join(at, "then"), "missing: an if step needs the steps to run when true");
      step_list(s.contains("then") ? &s["then"] : nullptr, pointer_join(at, "then"), w, st.then_list,
                st.path + "/then/", depth + 1);
      step_list(s.contains("else") ? &s["else"] : nullptr, pointer_join(at, "else"), w, st.else_list,
                st.path + "/else/", depth + 1);
    } else if (k == "switch") {
      st.kind = StepKind::Switch;
      unknown_keys(s, at, {"id", "name", "description", "switch", "cases", "default"}, "a switch step");
      st.logic = condition(body, kat);
      st.has_logic = true;
      auto cases = s.find("cases");
      std::string cat = pointer_join(at, "cases");
      if (cases == s.end() || !cases->is_array()) {
        problem(cat, "a switch step needs \"cases\": a list of {\"equals\": value, \"steps\": [...]}");
      } else {
        for (size_t i = 0; i < cases->size(); ++i) {
          const Json& c = (*cases)[i];
          std::string at_i = pointer_join(cat, i);
          if (!c.is_object()) {
            problem(at_i, std::string("a case must be an object, not ") + type_name(c));
            continue;
          }
          unknown_keys(c, at_i, {"equals", "when", "steps"}, "a case");
          SwitchCase sc;
          if (c.contains("equals") == c.contains("when")) {
            problem(at_i, "a case has either \"equals\" (a value) or \"when\" (a condition)");
          } else if (c.contains("equals")) {
            sc.has_equals = true;
            sc.equals = c["equals"];
          } else {
            sc.when = condition(c["when"], pointer_join(at_i, "when"));
          }
          ready_steps_.insert(st.id);
          sc.list = new_list(w);
          if (!c.contains("steps")) problem(pointer_join(at_i, "steps"), "missing: the steps to run for this case");
          step_list(c.contains("steps") ? &c["steps"] : nullptr, pointer_join(at_i, "steps"), w, sc.list,
                    st.path + "/cases/" + std::to_string(i) + "/", depth + 1);
          st.cases.push_back(std::move(sc));
        }
      }
      ready_steps_.insert(st.id);
      st.default_list = new_list(w);
      step_list(s.contains("default") ? &s["default"] : nullptr, pointer_join(at, "default"), w, st.default_list,
                st.path + "/default/", depth + 1);
    } else if (k == "action") {
      st.kind = StepKind::Action;
      unknown_keys(s, at, {"id", "name", "description", "action", "params"}, "an action step");
      action(s, at, st);
    } else if (k == "wait") {
      st.kind = StepKind::Wait;
      unknown_keys(s, at, {"id", "name", "description", "wait"}, "a wait step");
      wait(body, kat, st);
    } else if (k == "foreach") {
      st.kind = StepKind::Foreach;
      unknown_keys(s, at, {"id", "name", "description", "foreach", "as", "steps"}, "a foreach step");
      st.logic = condition(body, kat);
      st.has_logic = true;
      if (s.contains("as")) {
        st.as = optional_string(s, at, "as");
        if (!valid_name(st.as)) {
          problem(pointer_join(at, "as"), "\"" + st.as + "\" is not a variable name: use letters, digits and '_'");
        } else if (st.as == "event" || st.as == "trigger" || st.as == "steps" || st.as == "vars" || st.as == "now") {
          problem(pointer_join(at, "as"), "\"" + st.as + "\" is taken by the data every step sees; pick another name");
        }
      }
      st.body_list = new_list(w);
      ready_steps_.insert(st.id);
      items_.emplace_back(st.as, item_path(body));
      items_seen_.insert(st.as);
      if (!s.contains("steps")) problem(pointer_join(at, "steps"), "missing: the steps to run for each item");
      step_list(s.contains("steps") ? &s["steps"] : nullptr, pointer_join(at, "steps"), w, st.body_list,
                st.path + "/*/", depth + 1);
      items_.pop_back();
    } else if (k == "set") {
      st.kind = StepKind::Set;
      unknown_keys(s, at, {"id", "name", "description", "set"}, "a set step");
      if (!body.is_object() || body.empty()) {
        problem(kat, "a set step maps variable names to JSON Logic values, e.g. {\"total\": {\"var\": \"event.data.total\"}}");
      } else {
        for (auto it = body.begin(); it != body.end(); ++it) {
          std::string vat = pointer_join(kat, it.key());
          if (!valid_name(it.key())) problem(vat, "\"" + it.key() + "\" is not a variable name: use letters, digits and '_'");
          st.sets.emplace_back(it.key(), condition(it.value(), vat));
          set_vars_.insert(it.key());
          all_set_vars_.insert(it.key());
        }
      }
    } else if (k == "emit") {
      st.kind = StepKind::Emit;
      unknown_keys(s, at, {"id", "name", "description", "emit"}, "an emit step");
      if (!body.is_object()) {
        problem(kat, "an emit step needs {\"type\": \"event.type\", \"data\": {...}}");
      } else {
        unknown_keys(body, kat, {"type", "data"}, "emit");
        st.emit_type = required_string(body, kat, "type", "emitted event");
        if (!st.emit_type.empty() && !valid_event_type(st.emit_type))
          problem(pointer_join(kat, "type"), "\"" + st.emit_type + "\" is not an event type: use dotted lower-case names");
        if (body.contains("data")) st.emit_data = computed(body["data"], pointer_join(kat, "data"));
      }
    } else {
      st.kind = StepKind::Stop;
      unknown_keys(s, at, {"id", "name", "description", "stop"}, "a stop step");
      if (body.is_object()) {
        unknown_keys(body, kat, {"reason"}, "stop");
        st.reason = optional_string(body, kat, "reason");
      } else if (!body.is_boolean() || !body.get<bool>()) {
        problem(kat, "a stop step is {\"stop\": {\"reason\": \"why\"}} or {\"stop\": true}");
      }
    }
    ready_steps_.insert(st.id);
    w.steps[idx] = std::move(st);
    return idx;
  }

  void action(const Json& s, const std::string& at, Step& st) {
    std::string aat = pointer_join(at, "action");
    const Json& a = s["action"];
    if (!a.is_string()) {
      problem(aat, std::string("must be the name of an action, not ") + type_name(a));
      return;
    }
    st.action = a.get<std::string>();
    st.spec = find_action(st.action);
    if (!st.spec) {
      std::string names;
      for (const auto& spec : action_specs()) names += (names.empty() ? "" : ", ") + spec.type;
      problem(aat, "unknown action \"" + st.action + "\"; the actions are " + names);
      return;
    }
    std::string pat = pointer_join(at, "params");
    auto params = s.find("params");
    if (params != s.end() && !params->is_object()) {
      problem(pat, std::string("must be an object of parameters, not ") + type_name(*params));
      return;
    }
    static const Json kEmpty = Json::object();
    const Json& p = params == s.end() ? kEmpty : *params;
    for (const auto& spec : st.spec->params) {
      if (spec.required && !p.contains(spec.name)) {
        problem(pat, "missing parameter \"" + spec.name + "\": " + st.action + " needs it (" + spec.summary + ")");
      }
    }
    for (auto it = p.begin(); it != p.end(); ++it) {
      std::string vat = pointer_join(pat, it.key());
      bool known = false;
      for (const auto& spec : st.spec->params) known = known || spec.name == it.key();
      if (!known) {
        std::string names;
        for (const auto& spec : st.spec->params) names += (names.empty() ? "" : ", ") + spec.name;
        problem(vat, "unknown parameter \"" + it.key() + "\" for " + st.action + "; it takes " + names);
        continue;
      }
      st.params.emplace_back(it.key(), computed(it.value(), vat));
      if (it.key() == "table" && it.value().is_string() && !is_template_text(it.value().get<std::string>()))
        table_refs_.emplace_back(vat, it.value().get<std::string>());
    }
  }

  void wait(const Json& body, const std::string& at, Step& st) {
    if (!body.is_object()) {
      problem(at, "a wait is {\"duration\": \"PT4H\"}, {\"until\": time} or {\"event\": \"order.created\", \"match\": ..., "
                  "\"timeout\": \"PT4H\"}");
      return;
    }
    bool event = body.contains("event");
    int n = body.contains("duration") + (body.contains("until") && !event) + event;
    if (n != 1) {
      problem(at, "a wait has exactly one of \"duration\", \"until\" or \"event\"");
      return;
    }
    if (body.contains("duration")) {
      st.wait = WaitKind::Duration;
      unknown_keys(body, at, {"duration"}, "a duration wait");
      st.duration_ms = duration(body["duration"], pointer_join(at, "duration"));
    } else if (!event) {
      st.wait = WaitKind::Until;
      unknown_keys(body, at, {"until"}, "an until wait");
      st.logic = time_rule(body["until"], pointer_join(at, "until"));
      st.has_logic = true;
    } else {
      st.wait = WaitKind::Event;
      unknown_keys(body, at, {"event", "match", "timeout", "until"}, "an event wait");
      st.wait_event = required_string(body, at, "event", "event wait");
      if (!st.wait_event.empty() && !valid_event_type(st.wait_event))
        problem(pointer_join(at, "event"), "\"" + st.wait_event + "\" is not an event type: use dotted lower-case names");
      if (body.contains("match")) {
        std::string own_type = event_type_;
        event_type_ = st.wait_event;  // `match` sees the arriving event
        st.logic = condition(body["match"], pointer_join(at, "match"));
        event_type_ = own_type;
        st.has_logic = true;
        correlation(body["match"], st);
      }
      if (body.contains("timeout") && body.contains("until")) {
        problem(pointer_join(at, "until"),
                "an event wait gives up after a \"timeout\" (a duration) or at an \"until\" time, not both");
      } else if (body.contains("timeout")) {
        st.has_timeout = true;
        st.duration_ms = duration(body["timeout"], pointer_join(at, "timeout"));
      } else if (body.contains("until")) {
        st.deadline = time_rule(body["until"], pointer_join(at, "until"));
        st.has_deadline = true;
      }
    }
  }

  // Finds the equality that correlates an event wait (see Step::correlate_event).
  static void correlation(const Json& match, Step& st) {
    auto var_path = [](const Json& v) -> std::string {
      if (!v.is_object() || v.size() != 1 || !v.contains("var")) return std::string();
      const Json& p = v["var"];
      return p.is_string() ? p.get<std::string>() : std::string();
    };
    auto try_equality = [&](const Json& rule) {
      if (!rule.is_object() || rule.size() != 1) return false;
      auto it = rule.begin();
      if ((it.key() != "==" && it.key() != "===") || !it.value().is_array() || it.value().size() != 2) return false;
      std::string a = var_path(it.value()[0]), b = var_path(it.value()[1]);
      auto is_event = [](const std::string& p) { return p.rfind("event.", 0) == 0; };
      auto is_own = [](const std::string& p) {  // fixed while the run waits
        return !p.empty() && p != "event" && p.rfind("event.", 0) != 0 && p != "now";
      };
      if (!(is_event(a) && is_own(b)) && !(is_event(b) && is_own(a))) return false;
      st.correlate_event = is_event(a) ? a : b;
      st.correlate_own = is_event(a) ? b : a;
      auto ev = logic::Condition::compile(Json{{"var", st.correlate_event}});
      auto own = logic::Condition::compile(Json{{"var", st.correlate_own}});
      if (!ev || !own) {
        st.correlate_event.clear();
        st.correlate_own.clear();
        return false;
      }
      st.correlate_event_rule = std::move(ev.value());
      st.correlate_own_rule = std::move(own.value());
      return true;
    };
    if (try_equality(match)) return;
    if (match.is_object() && match.size() == 1 && match.contains("and") && match["and"].is_array()) {
      for (const Json& c : match["and"]) {
        if (try_equality(c)) return;
      }
    }
  }

  // A wait's `until`: a literal time (checked now) or a rule that yields one when it runs.
  logic::Condition time_rule(const Json& u, const std::string& at) {
    if (u.is_string()) {
      if (auto t = parse_instant(u.get<std::string>()); !t) problem(at, t.error().message);
    }
    return condition(u, at);
  }

  Millis duration(const Json& v, const std::string& at) {
    if (!v.is_string()) {
      problem(at, std::string("a duration is a string like \"PT4H\", not ") + type_name(v));
      return 0;
    }
    auto d = parse_duration(v.get<std::string>());
    if (!d) {
      problem(at, d.error().message);
      return 0;
    }
    if (d.value() <= 0) problem(at, "a duration must be longer than zero");
    return d.value();
  }

  // [SECTION] workflows
  void workflow(const Json& wf, const std::string& at, std::set<std::string>& ids) {
    if (!wf.is_object()) {
      problem(at, std::string("a workflow must be an object, not ") + type_name(wf));
      return;
    }
    unknown_keys(wf, at, {"id", "name", "description", "trigger", "steps", "enabled"}, "a workflow");
    Workflow w;
    w.id = required_string(wf, at, "id", "workflow");
    if (!w.id.empty()) {
      if (!valid_id(w.id)) {
        problem(pointer_join(at, "id"), "\"" + w.id +
                                            "\" is not a valid id: use up to 64 letters, digits, '_', '-' or '.'");
      } else if (!ids.insert(w.id).second) {
        problem(pointer_join(at, "id"), "the workflow id \"" + w.id + "\" is used twice; ids must be unique");
      }
    }
    w.name = w.id;
    if (auto n = wf.find("name"); n != wf.end()) {
      if (n->is_string()) {
        w.name = n->get<std::string>();
      } else {
        problem(pointer_join(at, "name"), std::string("must be a string, not ") + type_name(*n));
      }
    }
    w.description = optional_string(wf, at, "description");
    in_workflow_ = true;
    event_type_.clear();
    trigger_type_.clear();
    step_ids_.clear();
    ready_steps_.clear();
    set_vars_.clear();
    all_set_vars_.clear();
    items_.clear();
    items_seen_.clear();
    reads_.clear();
    auto trig = wf.find("trigger");
    std::string tat = pointer_join(at, "trigger");
    if (trig == wf.end()) {
      problem(tat, "missing: say which event starts this workflow, e.g. {\"event\": \"order.created\"}");
    } else if (!trig->is_object()) {
      problem(tat, std::string("must be an object like {\"event\": \"order.created\"}, not ") + type_name(*trig));
    } else if (trig->contains("schedule")) {
      unknown_keys(*trig, tat, {"schedule", "time_zone", "utc_offset", "filter"}, "a schedule trigger");
      w.trigger.schedule = required_string(*trig, tat, "schedule", "schedule trigger");
      w.trigger.time_zone = optional_string(*trig, tat, "time_zone");
      w.trigger.utc_offset = optional_string(*trig, tat, "utc_offset");
      // The schedule's own zone or offset, else the store's.
      std::optional<TimeZone> zone = b_.zone;
      if (!w.trigger.time_zone.empty() && !w.trigger.utc_offset.empty()) {
        problem(pointer_join(tat, "utc_offset"), "a schedule has either \"time_zone\" or \"utc_offset\", not both");
        zone.reset();
      } else if (!w.trigger.time_zone.empty()) {
        zone = time_zone(w.trigger.time_zone, pointer_join(tat, "time_zone"));
      } else if (!w.trigger.utc_offset.empty()) {
        if (auto off = parse_utc_offset(w.trigger.utc_offset)) {
          zone = TimeZone::fixed(off.value());
        } else {
          problem(pointer_join(tat, "utc_offset"), off.error().message);
          zone.reset();
        }
      }
      if (!w.trigger.schedule.empty()) {
        auto c = CronSchedule::parse(w.trigger.schedule, zone.value_or(TimeZone()));
        if (!c) {
          problem(pointer_join(tat, "schedule"), c.error().message);
        } else if (zone) {
          w.trigger.cron = std::move(c.value());
        }
      }
      if (trig->contains("filter")) {
        w.trigger.has_filter = true;
        w.trigger.filter = condition((*trig)["filter"], pointer_join(tat, "filter"));
      }
    } else {
      unknown_keys(*trig, tat, {"event", "filter"}, "an event trigger");
      w.trigger.event = required_string(*trig, tat, "event", "trigger");
      event_type_ = w.trigger.event;
      trigger_type_ = w.trigger.event;
      if (!w.trigger.event.empty() && !valid_event_type(w.trigger.event)) {
        problem(pointer_join(tat, "event"),
                "\"" + w.trigger.event +
                    "\" is not an event type: use dotted lower-case names such as \"order.created\"");
      }
      if (trig->contains("filter")) {
        w.trigger.has_filter = true;
        w.trigger.filter = condition((*trig)["filter"], pointer_join(tat, "filter"));
      }
    }
    size_t top = new_list(w);
    if (auto st = wf.find("steps"); st != wf.end()) step_list(&*st, pointer_join(at, "steps"), w, top, "", 0);
    check_reads(w);
    in_workflow_ = false;
    out_.bundle.workflows.push_back(std::move(w));
  }

  // [SECTION] templates, tables, mocks, samples, tests
  void templates(const Json& t) {
    if (!t.is_object()) {
      problem("/templates", std::string("must be an object of named Liquid templates, not ") + type_name(t));
      return;
    }
    for (auto it = t.begin(); it != t.end(); ++it) {
      if (!it.value().is_string()) {
        problem(pointer_join("/templates", it.key()), std::string("a template is a string, not ") + type_name(it.value()));
        continue;
      }
      b_.templates[it.key()] = it.value().get<std::string>();
    }
    // Parse after all are known, so that partials can render one another.
    for (auto it = t.begin(); it != t.end(); ++it) {
      if (it.value().is_string()) partials_[it.key()] = text(it.value().get<std::string>(), pointer_join("/templates", it.key()));
    }
  }

  // Named rules: all are known before any is compiled, so they may use one another.
  void rules(const Json& r) {
    if (!r.is_object()) {
      problem("/rules", std::string("must be an object of named JSON Logic rules, not ") + type_name(r));
      return;
    }
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (!valid_id(it.key())) {
        problem(pointer_join("/rules", it.key()), "\"" + it.key() + "\" is not a valid rule name: use up to 64 letters, digits, '_', '-' or '.'");
        continue;
      }
      b_.rules[it.key()] = it.value();
    }
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (b_.rules.count(it.key())) (void)condition(it.value(), pointer_join("/rules", it.key()));
    }
  }

  void tables(const Json& t) {
    if (!t.is_object()) {
      problem("/tables", std::string("must be an object of tables, not ") + type_name(t));
      return;
    }
    for (auto it = t.begin(); it != t.end(); ++it) {
      std::string at = pointer_join("/tables", it.key());
      const Json& def = it.value();
      if (!valid_id(it.key())) problem(at, "\"" + it.key() + "\" is not a valid table name");
      if (!def.is_object()) {
        problem(at, "a table is {\"key\": \"sku\", \"rows\": [ {...}, ... ]}");
        continue;
      }
      unknown_keys(def, at, {"key", "rows", "description"}, "a table");
      TableDef td;
      td.name = it.key();
      td.key_field = required_string(def, at, "key", "table");
      if (auto rows = def.find("rows"); rows != def.end()) table_rows(*rows, pointer_join(at, "rows"), td);
      b_.tables.push_back(std::move(td));
    }
  }

  // Reads a table's rows into td.rows (td.key_field names the key).
  void table_rows(const Json& rows, const std::string& rat, TableDef& td) {
    std::set<std::string> keys;
    if (!rows.is_array()) {
      problem(rat, "must be a list of row objects");
      return;
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      const Json& row = rows[i];
      std::string at_i = pointer_join(rat, i);
      if (!row.is_object()) {
        problem(at_i, "a row must be an object");
        continue;
      }
      auto k = row.find(td.key_field);
      if (td.key_field.empty()) continue;
      if (k == row.end() || !(k->is_string() || k->is_number_integer())) {
        problem(at_i, "the row needs its key field \"" + td.key_field + "\" (a string or an integer)");
        continue;
      }
      std::string key = table_key(*k);
      if (!keys.insert(key).second) {
        problem(pointer_join(at_i, td.key_field), "the key \"" + key + "\" appears twice in this table");
        continue;
      }
      td.rows.emplace_back(key, row);
    }
  }

  void shop(const Json& s) {
    if (!s.is_object()) {
      problem("/shop", "must be an object like {\"money_format\": \"€{{amount_with_comma_separator}}\"}");
      return;
    }
    unknown_keys(s, "/shop", {"money_format", "money_with_currency_format"}, "shop");
    auto text = [&](const char* key, std::string* into) {
      auto f = s.find(key);
      if (f == s.end()) return;
      if (!f->is_string() || f->get<std::string>().find("{{") == std::string::npos) {
        problem(pointer_join("/shop", key), "must be a text holding an amount placeholder such as {{amount}}");
        return;
      }
      *into = f->get<std::string>();
    };
    text("money_format", &b_.money_format);
    text("money_with_currency_format", &b_.money_with_currency_format);
  }

  // The zone called `name`, or nullopt after a problem at `at` naming the nearest valid names.
  std::optional<TimeZone> time_zone(const std::string& name, const std::string& at) {
    auto z = TimeZone::named(name);
    if (!z) {
      problem(at, z.error().message);
      return std::nullopt;
    }
    return z.value();
  }

  void mocks(const Json& m) { b_.http_mocks = http_mocks(m, "/mocks"); }

  std::vector<HttpMock> http_mocks(const Json& m, const std::string& at_mocks) {
    std::vector<HttpMock> out;
    if (!m.is_object()) {
      problem(at_mocks, "must be an object like {\"http\": [ {\"method\", \"url\", \"response\"} ]}");
      return out;
    }
    unknown_keys(m, at_mocks, {"http"}, "mocks");
    auto http = m.find("http");
    if (http == m.end()) return out;
    const std::string at_http = pointer_join(at_mocks, "http");
    if (!http->is_array()) {
      problem(at_http, "must be a list of {\"method\", \"url\", \"response\"}");
      return out;
    }
    for (size_t i = 0; i < http->size(); ++i) {
      const Json& x = (*http)[i];
      std::string at = pointer_join(at_http, i);
      if (!x.is_object()) {
        problem(at, "a mock must be an object");
        continue;
      }
      unknown_keys(x, at, {"method", "url", "response"}, "an HTTP mock");
      HttpMock hm;
      hm.method = optional_string(x, at, "method");
      hm.url = required_string(x, at, "url", "HTTP mock");
      hm.response = x.contains("response") ? x["response"] : Json{{"status", 200}, {"body", nullptr}};
      if (!hm.response.is_object()) problem(pointer_join(at, "response"), "a response is {\"status\": 200, \"body\": ...}");
      out.push_back(std::move(hm));
    }
    return out;
  }

  // Reads a list of events (tests, samples). Each needs a type and a time.
  std::vector<Event> events(const Json& list, const std::string& at, const std::string& id_prefix) {
    std::vector<Event> out;
    if (!list.is_array()) {
      problem(at, std::string("must be a list of events, not ") + type_name(list));
      return out;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at_i = pointer_join(at, i);
      Json from_sample;
      const Json* raw = &list[i];
      if (raw->is_object() && raw->contains("sample") && id_prefix != "sample-") {
        if (!sample_event(*raw, at_i, &from_sample)) continue;
        raw = &from_sample;
      }
      auto e = parse_event(*raw, id_prefix + std::to_string(i + 1));
      if (!e) {
        problem(at_i + e.error().pointer, e.error().message);
        continue;
      }
      if (!e.value().has_time) {
        problem(pointer_join(at_i, "time"), "missing: every sample or test event needs its \"time\"");
        continue;
      }
      out.push_back(std::move(e.value()));
    }
    return out;
  }

  // A test event written as {"sample": "<id>"}, optionally with its own "id", "time", and
  // "data" (a JSON merge patch on the sample's data): the sample event so changed.
  bool sample_event(const Json& ref, const std::string& at, Json* out) {
    unknown_keys(ref, at, {"sample", "id", "time", "data"}, "an event taken from the samples");
    const Json& id = ref["sample"];
    if (!id.is_string()) {
      problem(pointer_join(at, "sample"), std::string("must be the id of a sample event, not ") + type_name(id));
      return false;
    }
    auto it = sample_raw_.find(id.get<std::string>());
    if (it == sample_raw_.end()) {
      std::vector<std::string> ids;
      for (const auto& kv : sample_raw_) ids.push_back(kv.first);
      std::string hint = nearest(id.get<std::string>(), ids);
      problem(pointer_join(at, "sample"), "no sample event has the id \"" + id.get<std::string>() + "\"" +
                                              (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
      return false;
    }
    *out = it->second;
    (*out)["id"] = it->first;
    if (ref.contains("id")) (*out)["id"] = ref["id"];
    if (ref.contains("time")) (*out)["time"] = ref["time"];
    if (ref.contains("data")) {
      if (!out->contains("data")) (*out)["data"] = Json::object();
      (*out)["data"].merge_patch(ref["data"]);
    }
    return true;
  }

  void samples(const Json& s) {
    if (!s.is_object()) {
      problem("/samples", std::string("must be an object, not ") + type_name(s));
      return;
    }
    if (auto ev = s.find("events"); ev != s.end()) {
      b_.sample_events = events(*ev, "/samples/events", "sample-");
      if (ev->is_array()) {
        for (size_t i = 0; i < ev->size(); ++i) {
          auto e = parse_event((*ev)[i], "sample-" + std::to_string(i + 1));
          if (e) sample_raw_.emplace(e.value().id, (*ev)[i]);
        }
      }
    }
  }

  void tests(const Json& t, std::set<std::string>& names) {
    if (!t.is_array()) {
      problem("/tests", std::string("must be a list of tests, not ") + type_name(t));
      return;
    }
    for (size_t i = 0; i < t.size(); ++i) {
      const Json& x = t[i];
      std::string at = pointer_join("/tests", i);
      if (!x.is_object()) {
        problem(at, "a test must be an object");
        continue;
      }
      unknown_keys(x, at, {"name", "description", "events", "from", "until", "tables", "mocks", "expect"}, "a test");
      BundleTest bt;
      bt.pointer = at;
      bt.name = required_string(x, at, "name", "test");
      if (!bt.name.empty() && !names.insert(bt.name).second)
        problem(pointer_join(at, "name"), "the test name \"" + bt.name + "\" is used twice");
      if (auto ev = x.find("events"); ev != x.end()) {
        bt.events = events(*ev, pointer_join(at, "events"), "evt-");
      } else {
        problem(pointer_join(at, "events"), "missing: the events this test feeds in");
      }
      if (auto m = x.find("mocks"); m != x.end()) bt.http_mocks = http_mocks(*m, pointer_join(at, "mocks"));
      if (auto tb = x.find("tables"); tb != x.end()) test_tables(*tb, pointer_join(at, "tables"), bt);
      for (const char* key : {"from", "until"}) {
        auto u = x.find(key);
        if (u == x.end()) continue;
        auto ms = u->is_string() ? parse_instant(u->get<std::string>()) : Result<Millis>(Error{"must be a date-time string", "", 0, 0});
        if (!ms) {
          problem(pointer_join(at, key), ms.error().message);
        } else {
          (std::string_view(key) == "from" ? bt.from : bt.until) = ms.value();
        }
      }
      if (auto e = x.find("expect"); e != x.end()) {
        expect(*e, pointer_join(at, "expect"));
        bt.expect = *e;
      } else {
        problem(pointer_join(at, "expect"), "missing: what the test expects (effects, tables, runs)");
      }
      b_.tests.push_back(std::move(bt));
    }
  }

  // A test's own rows for some tables: {"stock": [rows]} replaces the rows the bundle declares.
  void test_tables(const Json& t, const std::string& at, BundleTest& bt) {
    if (!t.is_object()) {
      problem(at, "must be {\"table\": [ rows ]}, the rows a table starts with in this test");
      return;
    }
    for (auto it = t.begin(); it != t.end(); ++it) {
      std::string tat = pointer_join(at, it.key());
      const TableDef* declared = b_.find_table(it.key());
      if (!declared) {
        table_refs_.emplace_back(tat, it.key());
        continue;
      }
      TableDef td;
      td.name = declared->name;
      td.key_field = declared->key_field;
      table_rows(it.value(), tat, td);
      bt.tables.push_back(std::move(td));
    }
  }

  void expect(const Json& e, const std::string& at) {
    if (!e.is_object()) {
      problem(at, "must be an object with effects, no_effects, tables and/or runs");
      return;
    }
    unknown_keys(e, at, {"effects", "effects_match", "no_effects", "tables", "runs"}, "expect");
    if (auto m = e.find("effects_match"); m != e.end() && !(m->is_string() && (*m == "subset" || *m == "exact")))
      problem(pointer_join(at, "effects_match"), "must be \"subset\" (the default) or \"exact\"");
    if (auto f = e.find("effects"); f != e.end()) {
      std::string fat = pointer_join(at, "effects");
      if (!f->is_array()) {
        problem(fat, "must be a list of {\"type\": ..., \"params\": {...}}");
      } else {
        for (size_t i = 0; i < f->size(); ++i) {
          const Json& x = (*f)[i];
          std::string at_i = pointer_join(fat, i);
          if (!x.is_object()) {
            problem(at_i, "an expected effect is {\"type\": ..., \"params\": {...}}");
            continue;
          }
          unknown_keys(x, at_i, {"type", "params", "at", "workflow"}, "an expected effect");
          std::string type = required_string(x, at_i, "type", "expected effect");
          if (!type.empty() && !find_action(type)) problem(pointer_join(at_i, "type"), "unknown action \"" + type + "\"");
          if (auto a = x.find("at"); a != x.end()) {
            if (!a->is_string() || !parse_instant(a->get<std::string>()))
              problem(pointer_join(at_i, "at"), "must be a date-time like 2026-03-01T13:00:00Z");
          }
        }
      }
    }
    if (auto n = e.find("no_effects"); n != e.end()) {
      if (!n->is_array()) problem(pointer_join(at, "no_effects"), "must be a list of action types");
    }
    if (auto r = e.find("runs"); r != e.end()) {
      std::string rat = pointer_join(at, "runs");
      if (!r->is_array()) {
        problem(rat, "must be a list of {\"workflow\": ..., \"status\": ...}");
      } else {
        for (size_t i = 0; i < r->size(); ++i) {
          const Json& x = (*r)[i];
          std::string at_i = pointer_join(rat, i);
          if (!x.is_object()) {
            problem(at_i, "an expected run is {\"workflow\": ..., \"status\": ...}");
            continue;
          }
          unknown_keys(x, at_i, {"workflow", "status", "count", "error"}, "an expected run");
          std::string wf = required_string(x, at_i, "workflow", "expected run");
          if (!wf.empty()) workflow_refs_.emplace_back(pointer_join(at_i, "workflow"), wf);
          if (auto s = x.find("status"); s != x.end()) {
            static const std::set<std::string> kStatuses = {"running", "waiting", "completed", "failed", "stopped"};
            if (!s->is_string() || !kStatuses.count(s->get<std::string>()))
              problem(pointer_join(at_i, "status"), "must be one of waiting, completed, failed, stopped");
          }
        }
      }
    }
    if (auto tb = e.find("tables"); tb != e.end()) {
      if (!tb->is_object()) {
        problem(pointer_join(at, "tables"), "must be {\"table\": {\"key\": row-or-null}}");
      } else {
        for (auto it = tb->begin(); it != tb->end(); ++it) {
          table_refs_.emplace_back(pointer_join(pointer_join(at, "tables"), it.key()), it.key());
          if (!it.value().is_object()) problem(pointer_join(pointer_join(at, "tables"), it.key()), "must map keys to rows");
        }
      }
    }
  }

  void bundle(const Json& doc) {
    out_.bundle.source = doc;
    if (!doc.is_object()) {
      problem("", std::string("a bundle must be a JSON object, not ") + type_name(doc));
      return;
    }
    static const std::set<std::string> known = {"$schema", "format", "name", "version", "description",
                                                "shop", "time_zone", "workflows", "templates", "tables",
                                                "mocks", "tests", "samples", "strict_templates", "rules"};
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (!known.count(it.key())) {
        problem(pointer_join("", it.key()), "unknown field \"" + it.key() + "\"; a bundle has format, name, version, "
                                            "description, shop, time_zone, strict_templates, rules, workflows, "
                                            "templates, tables, mocks, samples and tests");
      }
    }
    auto fmt = doc.find("format");
    if (fmt == doc.end()) {
      problem("/format", std::string("missing: it must be \"") + std::string(kBundleFormat) + "\"");
    } else if (!fmt->is_string() || fmt->get<std::string>() != kBundleFormat) {
      problem("/format", "unsupported format " + fmt->dump() + ": this version of Shopflow reads \"" +
                             std::string(kBundleFormat) + "\"");
    }
    out_.bundle.name = required_string(doc, "", "name", "bundle");
    out_.bundle.version = required_string(doc, "", "version", "bundle");
    if (auto d = doc.find("description"); d != doc.end()) {
      if (d->is_string()) {
        out_.bundle.description = d->get<std::string>();
      } else {
        problem("/description", std::string("must be a string, not ") + type_name(*d));
      }
    }
    if (auto sh = doc.find("shop"); sh != doc.end()) shop(*sh);
    // Before the workflows: their schedules run in the store's zone.
    b_.time_zone = optional_string(doc, "", "time_zone");
    if (!b_.time_zone.empty()) {
      if (auto z = time_zone(b_.time_zone, "/time_zone")) b_.zone = *z;
    }
    if (auto st = doc.find("strict_templates"); st != doc.end()) {
      if (st->is_boolean()) {
        b_.strict_templates = st->get<bool>();
      } else {
        problem("/strict_templates", std::string("must be true or false, not ") + type_name(*st));
      }
    }
    build_shapes(doc);
    // Templates first: workflows' templates may render them as partials.
    if (auto t = doc.find("templates"); t != doc.end()) templates(*t);
    if (auto t = doc.find("tables"); t != doc.end()) tables(*t);
    if (auto r = doc.find("rules"); r != doc.end()) rules(*r);
    auto wfs = doc.find("workflows");
    if (wfs == doc.end()) {
      problem("/workflows", "missing: a bundle needs a list of workflows (it may be empty)");
    } else if (!wfs->is_array()) {
      problem("/workflows", std::string("must be an array of workflows, not ") + type_name(*wfs));
    } else {
      std::set<std::string> ids;
      for (size_t i = 0; i < wfs->size(); ++i) workflow((*wfs)[i], pointer_join("/workflows", i), ids);
    }
    if (auto m = doc.find("mocks"); m != doc.end()) mocks(*m);
    if (auto s = doc.find("samples"); s != doc.end()) samples(*s);
    std::set<std::string> test_names;
    if (auto t = doc.find("tests"); t != doc.end()) tests(*t, test_names);
    std::vector<std::string> table_names;
    for (const auto& t : b_.tables) table_names.push_back(t.name);
    for (const auto& [pointer, name] : table_refs_) {
      if (b_.find_table(name)) continue;
      std::string hint = nearest(name, table_names);
      problem(pointer, "no table named \"" + name + "\"" + (hint.empty() ? "" : "; did you mean \"" + hint + "\"?") +
                           " A table is declared under \"tables\" (its rows may be empty)");
    }
    for (const auto& [pointer, id] : workflow_refs_) {
      if (!b_.find_workflow(id)) problem(pointer, "no workflow with the id \"" + id + "\"");
    }
  }

 private:
  BundleCheck& out_;
  Bundle& b_;
  std::map<std::string, Json> sample_raw_;  // sample events as written, by id
  std::map<std::string, Shape> shapes_;  // by event type, from the samples and tests
  // The workflow being read:
  bool in_workflow_ = false;
  std::string event_type_;               // the type of `event` where a rule is read ("" unknown)
  std::string trigger_type_;             // the type of `trigger` ("" for schedules)
  std::set<std::string> step_ids_;       // every step id
  std::set<std::string> ready_steps_;    // steps whose output the next reader sees
  std::set<std::string> set_vars_;       // vars set before the next reader
  std::set<std::string> all_set_vars_;   // vars set anywhere
  std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>> items_;  // open foreach items
  std::set<std::string> items_seen_;     // every foreach item name
  std::vector<Read> reads_;
  std::string via_;                      // inside a named rule or partial: where it is used from
  std::vector<std::string> args_;        // inside a partial: the names its caller binds
  std::string alias_;                    // a partial's read: its argument's name...
  size_t alias_len_ = 0;                 // ...for this many segments of the path
  std::vector<std::string> rule_stack_;     // named rules being read, outermost first
  std::vector<std::string> partial_stack_;  // partials being read, outermost first
  // The bundle:
  std::map<std::string, liquid::Template> partials_;  // the templates, parsed
  std::set<std::string> reported_;       // pointer and message of each read reported
  std::vector<std::pair<std::string, std::string>> table_refs_;     // (pointer, table)
  std::vector<std::pair<std::string, std::string>> workflow_refs_;  // (pointer, workflow id)
};

}  // namespace

Bundle Bundle::runnable_copy() const {
  Bundle b;
  b.name = name;
  b.version = version;
  b.description = description;
  b.money_format = money_format;
  b.money_with_currency_format = money_with_currency_format;
  b.time_zone = time_zone;
  b.zone = zone;
  b.strict_templates = strict_templates;
  b.workflows = workflows;
  b.templates = templates;
  b.rules = rules;
  b.tables = tables;
  b.http_mocks = http_mocks;
  b.tests = tests;
  return b;
}

const Workflow* Bundle::find_workflow(std::string_view id) const {
  for (const auto& w : workflows) {
    if (w.id == id) return &w;
  }
  return nullptr;
}

const TableDef* Bundle::find_table(std::string_view table) const {
  for (const auto& t : tables) {
    if (t.name == table) return &t;
  }
  return nullptr;
}

liquid::Options template_options(const Bundle& bundle) {
  liquid::Options opts;
  opts.money_format = bundle.money_format;
  opts.money_with_currency_format = bundle.money_with_currency_format;
  opts.time_zone = bundle.time_zone;
  if (bundle.strict_templates) opts.mode = liquid::Mode::Strict;
  const auto* templates = &bundle.templates;
  opts.partials = [templates](const std::string& name) -> const std::string* {
    auto it = templates->find(name);
    return it == templates->end() ? nullptr : &it->second;
  };
  return opts;
}

std::string table_key(const Json& key) {
  if (key.is_string()) return key.get<std::string>();
  return key.dump();
}

BundleCheck check_bundle(const Json& doc) {
  BundleCheck out;
  Checker(out).bundle(doc);
  return out;
}

Result<BundleCheck> load_bundle(std::string_view text) {
  auto doc = parse_json(text, "the bundle");
  if (!doc) return doc.error();
  return check_bundle(doc.value());
}

}  // namespace shopflow
