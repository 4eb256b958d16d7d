// `shopflow eval RULE.json [--data DATA.json] [--bundle B] [--explain]`: evaluates a JSON Logic condition
// or computed value against data, as a workflow step would, and prints the result as JSON. With
// `--run RUN --trace T [--step PATH]` the data is what that step of a simulated run saw.
// Exit codes: 0 evaluated, 1 the rule or data could not be parsed, compiled or evaluated,
// 2 wrong usage or an unreadable file.
#include <cstdio>
#include <string>

#include "cli_util.hpp"
#include "commands.hpp"
#include "run_data.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/condition.hpp"
#include "shopflow/json.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow eval RULE.json [--data DATA.json] [--bundle BUNDLE.json] [--now TIMESTAMP] [--explain]\n"
    "       shopflow eval [RULE.json] --bundle BUNDLE.json --run RUN --trace TRACE.json [--step PATH]\n"
    "                     [--events FILE.jsonl] [--explain]\n"
    "\n"
    "Evaluates a JSON Logic rule (a condition or a computed value, with Shopflow's money, tag,\n"
    "time and lookup operators; see workflows/CONDITIONS.md) against data and prints the\n"
    "result as JSON.\n"
    "\n"
    "  RULE.json         the rule; - reads it from standard input\n"
    "  --data DATA.json  the data the rule reads with var/val (default {}); - reads stdin\n"
    "  --now TIMESTAMP   sets the data's \"now\" (what the now operator returns), e.g.\n"
    "                    2026-03-01T09:30:00Z; the engine sets it when workflows run\n"
    "  --bundle B        as the rule runs in that bundle: its named rules ({\"rule\": name}),\n"
    "                    its tables as declared (lookup, rows), and trigger read as event\n"
    "  --explain         prints {\"result\": ..., \"explain\": tree} instead: every clause with\n"
    "                    the values it saw and its result, skipped clauses marked\n"
    "  --run RUN --trace T   (with --bundle) the data that run of a `shopflow simulate --trace T`\n"
    "                    saw just before --step PATH (e.g. check/then/hold, lines/2/take-stock;\n"
    "                    default: after its last step), with the tables as they were then;\n"
    "                    without RULE, --step's own condition (if, switch, foreach, wait;\n"
    "                    --step trigger: the trigger's filter)\n"
    "  --events FILE     the events that simulation ran on (default: the bundle's samples);\n"
    "                    the trace names each run's event but does not repeat its data\n"
    "\n"
    "Without --bundle, lookup yields null and rows [].\n"
    "Exit status: 0 evaluated, 1 invalid or failing rule or data, 2 wrong usage or unreadable file.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "shopflow eval: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

std::string dump(const Json& j, int indent) { return j.dump(indent, ' ', false, Json::error_handler_t::replace); }

// Reads and parses one JSON input: 0, or the exit status after printing why (2 unreadable,
// 1 not JSON, with "PATH:LINE:COL: message").
int load(const std::string& path, const char* what, Json* out) {
  auto text = read_input(path);
  if (!text) return 2;
  auto parsed = parse_json(*text, what);
  if (!parsed) {
    const Error& e = parsed.error();
    std::string name = path == "-" ? "<stdin>" : path;
    std::fprintf(stderr, "shopflow eval: %s:%d:%d: %s\n", name.c_str(), e.line, e.column, e.message.c_str());
    return 1;
  }
  *out = std::move(parsed.value());
  return 0;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  std::string rule_path, data_path, now, bundle_path, run_id, trace_path, step_path, events_path;
  bool explain = false, have_data = false, have_now = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto value_of = [&](const std::string& name, std::string* out) {
      std::string prefix = name + "=";
      if (arg.rfind(prefix, 0) == 0) {
        *out = arg.substr(prefix.size());
        return true;
      }
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "--explain") {
      explain = true;
    } else if (arg == "--data" || arg.rfind("--data=", 0) == 0) {
      if (have_data) return usage_error("--data given twice");
      if (!value_of("--data", &data_path)) return usage_error("--data needs a file name");
      have_data = true;
    } else if (arg == "--bundle" || arg.rfind("--bundle=", 0) == 0) {
      if (!value_of("--bundle", &bundle_path)) return usage_error("--bundle needs a bundle file");
    } else if (arg == "--run" || arg == "--trace" || arg == "--step" || arg == "--events") {
      std::string* target = arg == "--run" ? &run_id : arg == "--trace" ? &trace_path : arg == "--step" ? &step_path : &events_path;
      if (!value_of(arg, target)) return usage_error(arg + " needs a value");
    } else if (arg == "--now" || arg.rfind("--now=", 0) == 0) {
      if (!value_of("--now", &now)) return usage_error("--now needs a timestamp such as 2026-03-01T09:30:00Z");
      have_now = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option " + arg);
    } else if (!rule_path.empty()) {
      return usage_error("one rule at a time (got " + rule_path + " and " + arg + ")");
    } else {
      rule_path = arg;
    }
  }
  const bool from_run = !run_id.empty();
  if (from_run != !trace_path.empty()) return usage_error("--run and --trace go together: the run, and the trace that has it");
  if (!from_run && !step_path.empty()) return usage_error("--step needs --run and --trace");
  if (!from_run && !events_path.empty()) return usage_error("--events needs --run and --trace");
  if (from_run && bundle_path.empty()) return usage_error("--run needs --bundle: the bundle the trace was made with");
  if (from_run && have_data) return usage_error("--run gives the data; leave out --data");
  if (rule_path.empty() && !(from_run && !step_path.empty())) return usage_error("which rule? Give a file, or - for standard input");
  if (rule_path == "-" && data_path == "-") return usage_error("the rule and the data cannot both come from stdin");

  Json rule, data = Json::object();
  if (!rule_path.empty()) {
    if (int rc = load(rule_path, "rule", &rule)) return rc;
  }
  if (have_data) {
    if (int rc = load(data_path, "data", &data)) return rc;
  }
  if (have_now) {
    if (!data.is_object()) {
      std::fprintf(stderr, "shopflow eval: --now needs the data to be an object, not %s\n", dump(data, -1).substr(0, 40).c_str());
      return 1;
    }
    data["now"] = now;
  }

  std::string name = rule_path == "-" ? "<stdin>" : rule_path;
  std::optional<BundleCheck> bundle;
  logic::CompileOptions compile_options;
  if (!bundle_path.empty()) {
    if (bundle_path == "-" && (rule_path == "-" || data_path == "-")) return usage_error("only one input can come from stdin");
    bundle = read_usable_bundle(bundle_path, "eval");
    if (!bundle) return 1;
    compile_options.rules = &bundle->bundle.rules;
  }
  std::optional<RunData> at_step;
  if (from_run) {
    int status = 0;
    at_step = step_data(bundle->bundle, run_id, trace_path, step_path, events_path, "eval", &status);
    if (!at_step) return status;
    data = at_step->data;
    if (have_now) data["now"] = now;
  }
  logic::Condition own;  // the step's own condition, when no rule is given
  if (rule_path.empty()) {
    const Step* st = at_step->step;
    if (at_step->filter) {
      own = at_step->workflow->trigger.filter;
    } else if (!st || !st->has_logic) {
      std::fprintf(stderr, "shopflow eval: step %s has no condition of its own; give a rule to try on its data\n", step_path.c_str());
      return 1;
    } else {
      own = st->logic;
    }
    name = "step " + step_path;
  }
  auto compiled = rule_path.empty() ? Result<logic::Condition>(own) : logic::Condition::compile(rule, "", compile_options);
  if (!compiled) {
    std::fprintf(stderr, "shopflow eval: %s: %s\n", name.c_str(), compiled.error().to_string().c_str());
    return 1;
  }
  const logic::Condition& condition = compiled.value();
  logic::EvalOptions options;
  options.log = [](const Json& v) { std::fprintf(stderr, "log: %s\n", dump(v, -1).c_str()); };
  if (bundle) {
    if (at_step) {
      use_tables(at_step->tables, &options);
    } else {
      use_bundle_tables(bundle->bundle, &options);
    }
    options.root_aliases = {{"trigger", "event"}};  // as in an event run
  }

  if (!explain) {
    auto r = condition.evaluate(data, options);
    if (!r) {
      std::fprintf(stderr, "shopflow eval: %s: %s\n", name.c_str(), r.error().to_string().c_str());
      return 1;
    }
    std::printf("%s\n", dump(r.value(), -1).c_str());
    return 0;
  }
  Json tree;
  auto r = condition.explain(data, &tree, options);
  Json out = Json::object();
  if (r) {
    out["result"] = r.value();
  } else {
    const Error& e = r.error();
    out["error"] = Json::object({{"message", e.message}, {"pointer", e.pointer}});
  }
  out["explain"] = std::move(tree);
  std::printf("%s\n", dump(out, 2).c_str());
  if (!r) {
    std::fprintf(stderr, "shopflow eval: %s: %s\n", name.c_str(), r.error().to_string().c_str());
    return 1;
  }
  return 0;
}

}  // namespace shopflow::cli
