// Inspecting a store from the command line, also while `shopflow serve` runs on it. STORE is a
// SQLite file or a postgres:// URL (SHOPFLOW_DB when --db is not given):
//   shopflow runs --db STORE [--workflow ID] [--status S] [--steps RUN_ID] [--json]
//   shopflow runs --db STORE --rejected [--workflow ID] [--json]
//   shopflow effects --db STORE [--status S] [--type T] [--json]
//   shopflow dead-letters --db STORE [list | retry ID... | retry --all | discard ID...] [--json]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "shopflow/condition.hpp"
#include "shopflow/open_store.hpp"
#include "shopflow/step_record.hpp"
#include "shopflow/store.hpp"

namespace shopflow::cli {

namespace {

struct InspectArgs {
  std::string db;
  std::vector<std::string> positional;
  std::string workflow, status, type, steps_of;
  bool all = false;
  bool json = false;
  bool rejected = false;
};

// Parses the options all three commands share; returns false (after printing why) on a bad one.
bool parse_args(const char* cmd, const char* usage, int argc, char** argv, InspectArgs* a, int* exit_code) {
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shopflow %s: %s needs a value\n", cmd, arg.c_str());
        return false;
      }
      *out = argv[++i];
      return true;
    };
    if (is_help(argv[i])) {
      std::fputs(usage, stdout);
      *exit_code = 0;
      return false;
    }
    bool ok = true;
    if (arg == "--db") {
      ok = value(&a->db);
    } else if (arg == "--workflow") {
      ok = value(&a->workflow);
    } else if (arg == "--status") {
      ok = value(&a->status);
    } else if (arg == "--type") {
      ok = value(&a->type);
    } else if (arg == "--steps") {
      ok = value(&a->steps_of);
    } else if (arg == "--all") {
      a->all = true;
    } else if (arg == "--rejected") {
      a->rejected = true;
    } else if (arg == "--json") {
      a->json = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow %s: unknown option %s\n\n%s", cmd, arg.c_str(), usage);
      ok = false;
    } else {
      a->positional.push_back(arg);
    }
    if (!ok) {
      *exit_code = 2;
      return false;
    }
  }
  if (a->db.empty()) {
    if (const char* env = std::getenv("SHOPFLOW_DB"); env && *env) a->db = env;
  }
  if (a->db.empty()) {
    std::fprintf(stderr, "shopflow %s: --db STORE is required (or SHOPFLOW_DB)\n\n%s", cmd, usage);
    *exit_code = 2;
    return false;
  }
  return true;
}

std::unique_ptr<Store> open_inspected(const char* cmd, const std::string& path) {
  // A file must be there already: inspecting a path mistyped must not create an empty store.
  if (!is_postgres_url(path)) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
      std::fprintf(stderr, "shopflow %s: no store at %s\n", cmd, path.c_str());
      return nullptr;
    }
    std::fclose(f);
  }
  auto s = open_store(path);
  if (!s) {
    std::fprintf(stderr, "shopflow %s: %s\n", cmd, s.error().message.c_str());
    return nullptr;
  }
  return std::move(s.value());
}

Json parsed(const std::string& text) { return text.empty() ? Json(nullptr) : Json::parse(text, nullptr, false); }

Json effect_json(const EffectRow& e) {
  return Json{{"id", e.id},           {"type", e.type},         {"status", e.status},
              {"attempts", e.attempts}, {"created", format_instant(e.created)},
              {"next_attempt", format_instant(e.next_attempt)}, {"last_error", e.last_error},
              {"params", parsed(e.params)}};
}

// Prints a listing as it is read, so that a store of millions of rows lists in little memory:
// a JSON array (the bytes Json::dump(2) would give) or a table with a closing count.
class Listing {
 public:
  Listing(bool json, const char* noun) : json_(json), noun_(noun) {}
  void header(const char* line) {
    if (!json_) std::fputs(line, stdout);
  }
  void add_json(const Json& item) {
    std::string text = item.dump(2);
    std::string indented;
    indented.reserve(text.size() + 64);
    for (char c : text) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    std::printf("%s\n  %s", n_ == 0 ? "[" : ",", indented.c_str());
    ++n_;
  }
  void counted() { ++n_; }
  void finish() {
    if (json_) {
      std::printf(n_ == 0 ? "[]\n" : "\n]\n");
    } else {
      std::printf("%zu %s%s\n", n_, noun_, n_ == 1 ? "" : "s");
    }
  }
  bool json() const { return json_; }

 private:
  bool json_;
  const char* noun_;
  size_t n_ = 0;
};

void print_effect(Listing& out, const EffectRow& e) {
  if (out.json()) {
    out.add_json(effect_json(e));
    return;
  }
  std::printf("%-10s %-22s %8d  %s\n", e.status.c_str(), e.type.c_str(), e.attempts, e.id.c_str());
  if (!e.last_error.empty()) std::printf("%43s last error: %s\n", "", e.last_error.c_str());
  out.counted();
}

const char* kEffectsHeader = "STATUS     TYPE                   ATTEMPTS  ID\n";

// Calls `each` on every row `fetch(limit, after)` gives, reading them a page at a time in
// their order; false (after saying why) when reading fails.
template <typename Fetch, typename Each>
bool each_row(const char* cmd, Fetch fetch, Each each) {
  constexpr size_t kPage = 500;
  for (std::int64_t after = 0;;) {
    auto page = fetch(kPage, after);
    if (!page) {
      std::fflush(stdout);
      std::fprintf(stderr, "shopflow %s: %s\n", cmd, page.error().message.c_str());
      return false;
    }
    for (const auto& row : page.value()) {
      after = row.seq;
      each(row);
    }
    if (page.value().size() < kPage) return true;
  }
}

// A clause of a verdict tree in a line: "money_gt(event.data.total_price = \"20.00\", \"1000.00\")".
std::string clause(const Json& n) {
  if (!n.is_object()) return n.dump();
  if (n.contains("var")) return n["var"].get<std::string>() + " = " + n.value("result", Json()).dump();
  if (n.contains("value")) return n["value"].dump();
  std::string out = n.value("op", std::string("?")) + "(";
  if (n.value("op", std::string()) == "rule") return "rule " + n.value("rule", std::string()) + "(...)";
  const Json kids = n.value("children", Json::array());
  for (size_t i = 0; i < kids.size(); ++i) out += (i ? ", " : "") + clause(kids[i]);
  return out + ")";
}

// The clauses that decided a verdict tree: for an "and" that was false only its false ones,
// for an "or" only its true ones; a named rule by its own tree.
std::string because(const Json& n) {
  if (!n.is_object() || !n.contains("op")) return clause(n);
  const std::string op = n["op"].get<std::string>();
  const Json kids = n.value("children", Json::array());
  const bool result = logic::truthy(n.value("result", Json()));
  if (op == "rule" && kids.size() == 1) return because(kids[0]);
  if ((op == "and" || op == "or") && !kids.empty()) {
    const bool decisive = op == "or";  // the children that decided: true ones of an or, false ones of an and
    std::string out;
    for (const Json& k : kids) {
      if (k.value("skipped", false)) continue;
      if (result == decisive && logic::truthy(k.value("result", Json())) != decisive) continue;
      out += (out.empty() ? "" : " and ") + because(k);
    }
    return out;
  }
  return clause(n) + " was " + n.value("result", Json()).dump();
}

Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int cmd_runs(int argc, char** argv) {
  const char* usage =
      "Usage: shopflow runs --db STORE [--workflow ID] [--status STATUS] [--json]\n"
      "       shopflow runs --db STORE --steps RUN_ID [--json]\n"
      "       shopflow runs --db STORE --rejected [--workflow ID] [--json]\n"
      "\n"
      "--rejected lists the events a workflow's trigger filter rejected, with why (kept as long\n"
      "as the deployment config's filter_rejections.keep says, default P7D).\n"
      "\n"
      "Lists the runs in a store (status: running, waiting, completed, failed, stopped), or with\n"
      "--steps the step records of one run: each step's output and condition verdicts.\n"
      "STORE is a SQLite file or a postgres:// URL (default: SHOPFLOW_DB).\n";
  InspectArgs a;
  int rc = 0;
  if (!parse_args("runs", usage, argc, argv, &a, &rc)) return rc;
  auto store = open_inspected("runs", a.db);
  if (!store) return 1;
  if (a.rejected) {
    Listing out(a.json, "rejected event");
    bool read = each_row(
        "runs", [&](size_t n, std::int64_t after) { return store->rejections(n, after, a.workflow); },
        [&](const FilterRejection& r) {
          Json tree = parsed(r.explanation);
          if (out.json()) {
            out.add_json(Json{{"time", format_instant(r.time)}, {"workflow", r.workflow}, {"event", r.event_id},
                              {"type", r.event_type}, {"explanation", tree}});
            return;
          }
          std::printf("%s  %s %s did not start %s: its filter was false%s\n", format_instant(r.time).c_str(),
                      r.event_type.c_str(), r.event_id.c_str(), r.workflow.c_str(),
                      tree.is_null() ? "" : (" because " + because(tree)).c_str());
          out.counted();
        });
    if (!read) return 1;
    out.finish();
    return 0;
  }
  if (!a.steps_of.empty()) {
    auto run = store->run_get(a.steps_of);
    if (!run) {
      std::fprintf(stderr, "shopflow runs: %s\n", run.error().message.c_str());
      return 1;
    }
    auto steps = parse_steps(a.steps_of, run.value() ? std::string_view(run.value()->steps) : std::string_view());
    if (!steps) {
      std::fprintf(stderr, "shopflow runs: %s\n", steps.error().message.c_str());
      return 1;
    }
    if (steps.value().empty()) {
      std::fprintf(stderr, "shopflow runs: no steps recorded for run %s\n", a.steps_of.c_str());
      return 1;
    }
    Json out = Json::array();
    for (const auto& s : steps.value()) {
      Json j = {{"path", s.path}, {"kind", s.kind}, {"time", format_instant(s.time)}};
      if (!s.output.empty()) j["output"] = parsed(s.output);
      if (!s.verdict.empty()) j["verdict"] = parsed(s.verdict);
      if (!s.explanation.empty() && a.json) j["explanation"] = parsed(s.explanation);
      out.push_back(j);
    }
    if (a.json) {
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      for (const auto& j : out) std::printf("%s\n", j.dump().c_str());
    }
    return 0;
  }
  Listing out(a.json, "run");
  out.header("STATUS     WORKFLOW                 STARTED                  RUN\n");
  bool read = each_row("runs", [&](size_t n, std::int64_t after) { return store->runs(n, after); }, [&](const RunRow& r) {
    if (!(a.workflow.empty() || r.workflow == a.workflow) || !(a.status.empty() || r.status == a.status)) return;
    if (out.json()) {
      out.add_json(Json{{"id", r.id}, {"workflow", r.workflow}, {"event", r.event_id}, {"status", r.status},
                        {"started", format_instant(r.started)}, {"updated", format_instant(r.updated)},
                        {"error", r.error}, {"error_step", r.error_step}, {"waiting_for", r.wait_event},
                        {"bundle_version", r.bundle_version}});
      return;
    }
    std::printf("%-10s %-24s %-24s %s\n", r.status.c_str(), r.workflow.c_str(), format_instant(r.started).c_str(),
                r.id.c_str());
    if (!r.error.empty()) std::printf("%60s error at %s: %s\n", "", r.error_step.c_str(), r.error.c_str());
    out.counted();
  });
  if (!read) return 1;
  out.finish();
  return 0;
}

int cmd_effects(int argc, char** argv) {
  const char* usage =
      "Usage: shopflow effects --db STORE [--status pending|delivered|dead] [--type TYPE] [--json]\n"
      "\n"
      "Lists the outbox of a store: every effect with its idempotency key, delivery status,\n"
      "attempts and last error. STORE is a SQLite file or a postgres:// URL (default: SHOPFLOW_DB).\n";
  InspectArgs a;
  int rc = 0;
  if (!parse_args("effects", usage, argc, argv, &a, &rc)) return rc;
  auto store = open_inspected("effects", a.db);
  if (!store) return 1;
  Listing out(a.json, "effect");
  out.header(kEffectsHeader);
  bool read = each_row("effects", [&](size_t n, std::int64_t after) { return store->effects(n, after); },
                       [&](const EffectRow& e) {
                         if ((a.status.empty() || e.status == a.status) && (a.type.empty() || e.type == a.type))
                           print_effect(out, e);
                       });
  if (!read) return 1;
  out.finish();
  return 0;
}

int cmd_dead_letters(int argc, char** argv) {
  const char* usage =
      "Usage: shopflow dead-letters --db STORE [list] [--json]\n"
      "       shopflow dead-letters --db STORE retry (EFFECT_ID... | --all)\n"
      "       shopflow dead-letters --db STORE discard EFFECT_ID...\n"
      "\n"
      "Effects that failed every delivery attempt. retry puts them back in the outbox (a running\n"
      "runner picks them up at once); discard drops them for good. STORE is a SQLite file or a\n"
      "postgres:// URL (default: SHOPFLOW_DB).\n";
  InspectArgs a;
  int rc = 0;
  if (!parse_args("dead-letters", usage, argc, argv, &a, &rc)) return rc;
  std::string action = a.positional.empty() ? "list" : a.positional[0];
  std::vector<std::string> ids(a.positional.size() > 1 ? a.positional.begin() + 1 : a.positional.end(),
                               a.positional.end());
  if (action != "list" && action != "retry" && action != "discard") {
    std::fprintf(stderr, "shopflow dead-letters: unknown action '%s' (list, retry or discard)\n", action.c_str());
    return 2;
  }
  auto store = open_inspected("dead-letters", a.db);
  if (!store) return 1;
  auto dead_pages = [&](size_t n, std::int64_t after) { return store->effects_dead(n, after); };
  if (action == "list") {
    Listing out(a.json, "effect");
    out.header(kEffectsHeader);
    if (!each_row("dead-letters", dead_pages, [&](const EffectRow& e) { print_effect(out, e); })) return 1;
    out.finish();
    return 0;
  }
  auto change = [&](const std::string& id) -> bool {
    auto r = action == "retry" ? store->effect_update(id, "pending", false, now_ms(), "")
                               : store->effect_update(id, "discarded", false, 0, "discarded by hand");
    if (!r) {
      std::fprintf(stderr, "shopflow dead-letters: %s\n", r.error().message.c_str());
      return false;
    }
    std::printf("%s %s\n", action == "retry" ? "retrying" : "discarded", id.c_str());
    return true;
  };
  if (a.all && action == "retry") {
    // A page at a time: each retried letter leaves the dead ones, the next page starts after it.
    bool ok = true;
    bool read = each_row("dead-letters", dead_pages, [&](const EffectRow& e) { ok = ok && change(e.id); });
    return read && ok ? 0 : 1;
  }
  if (ids.empty()) {
    std::fprintf(stderr, "shopflow dead-letters %s: which effects? (give their ids%s)\n", action.c_str(),
                 action == "retry" ? " or --all" : "");
    return 2;
  }
  int failures = 0;
  for (const auto& id : ids) {
    auto e = store->effect_get(id);
    if (!e) {
      std::fprintf(stderr, "shopflow dead-letters: %s\n", e.error().message.c_str());
      return 1;
    }
    if (!e.value() || e.value()->status != "dead") {
      std::fprintf(stderr, "shopflow dead-letters: %s is not a dead letter\n", id.c_str());
      ++failures;
      continue;
    }
    if (!change(id)) return 1;
  }
  return failures ? 1 : 0;
}

}  // namespace shopflow::cli
