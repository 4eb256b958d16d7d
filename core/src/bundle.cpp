// Bundle checking: structure first, then the rules a schema cannot express (unique ids).
#include "shopflow/bundle.hpp"

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

// Event types are dotted lower-case names: "order.created", "checkout.updated".
bool valid_event_type(const std::string& s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.back() == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

class Checker {
 public:
  explicit Checker(BundleCheck& out) : out_(out) {}

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

  void workflow(const Json& wf, const std::string& at, std::set<std::string>& ids) {
    if (!wf.is_object()) {
      problem(at, std::string("a workflow must be an object, not ") + type_name(wf));
      return;
    }
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
    auto trig = wf.find("trigger");
    std::string tat = pointer_join(at, "trigger");
    if (trig == wf.end()) {
      problem(tat, "missing: say which event starts this workflow, e.g. {\"event\": \"order.created\"}");
    } else if (!trig->is_object()) {
      problem(tat, std::string("must be an object like {\"event\": \"order.created\"}, not ") + type_name(*trig));
    } else {
      w.trigger.event = required_string(*trig, tat, "event", "trigger");
      if (!w.trigger.event.empty() && !valid_event_type(w.trigger.event)) {
        problem(pointer_join(tat, "event"),
                "\"" + w.trigger.event +
                    "\" is not an event type: use dotted lower-case names such as \"order.created\"");
      }
    }
    out_.bundle.workflows.push_back(std::move(w));
  }

  void bundle(const Json& doc) {
    out_.bundle.source = doc;
    if (!doc.is_object()) {
      problem("", std::string("a bundle must be a JSON object, not ") + type_name(doc));
      return;
    }
    static const std::set<std::string> known = {"$schema", "format", "name", "version", "description",
                                                "workflows", "templates", "tables", "mocks", "tests",
                                                "samples"};
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (!known.count(it.key())) {
        problem(pointer_join("", it.key()), "unknown field \"" + it.key() + "\"; a bundle has format, name, version, "
                                            "description, workflows, templates, tables, mocks, samples and tests");
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
    auto wfs = doc.find("workflows");
    if (wfs == doc.end()) {
      problem("/workflows", "missing: a bundle needs a list of workflows (it may be empty)");
    } else if (!wfs->is_array()) {
      problem("/workflows", std::string("must be an array of workflows, not ") + type_name(*wfs));
    } else {
      std::set<std::string> ids;
      for (size_t i = 0; i < wfs->size(); ++i) workflow((*wfs)[i], pointer_join("/workflows", i), ids);
    }
  }

 private:
  BundleCheck& out_;
};

}  // namespace

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
