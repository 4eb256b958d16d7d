// Benchmark: events per second for the simulator on a 100,000-event order stream, for a
// workflow of a condition, a template and two effects; and peak memory. Not a test: run it
// from a release build (cmake --preset release; cmake --build --preset release --target
// shopflow_bench_simulate). Built natively and, under Emscripten, as a Node program.
// Usage: shopflow_bench_simulate [EVENTS] [--lean] [--trace FILE] [--inputs DIR]
//   --lean        only the lean-trace run
//   --trace FILE  write each trace to FILE as `shopflow simulate --trace` does (default: the
//                 trace is only hashed, as `shopflow simulate` without --trace does)
//   --inputs DIR  write the bundle (DIR/bench.json) and the stream (DIR/orders.jsonl) and stop,
//                 for timing the shopflow program itself on them
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#else
#include <sys/resource.h>
#endif

#include "shopflow/event.hpp"
#include "shopflow/simulator.hpp"
#include "shopflow/sqlite_store.hpp"
#include "shopflow/zoneinfo.hpp"

namespace {

const char* kBundle = R"({
  "format": "shopflow.bundle/1", "name": "bench", "version": "1",
  "workflows": [{
    "id": "big-orders", "trigger": {"event": "order.created"},
    "steps": [
      {"id": "big", "if": {">=": [{"var": "event.data.total"}, 100]}, "then": [
        {"id": "thank", "action": "email.send", "params": {
           "to": "{{ event.data.email }}", "subject": "Thank you for order {{ event.data.order_id }}",
           "body": "Hello {{ event.data.customer.first_name }}, your order of {{ event.data.total }} {{ event.data.currency }} is on its way."}},
        {"id": "tag", "action": "order.tag", "params": {"order_id": "{{ event.data.order_id }}", "tags": "big-order"}}]}]}]})";

// What storing every run and effect costs alone: the rows a simulation of this stream writes
// when it builds a document trace, the studio's (each event's run, the effects of the big
// orders; an event handled as it arrives leaves no inbox row in a simulation), with the same
// texts, inserted through the same Store calls in one held transaction, with nothing else. A
// text trace's simulation, timed above, stores none of them: its runs finish at once. Returns
// events per second.
double store_floor(const std::vector<shopflow::Event>& events) {
  std::vector<shopflow::RunRow> runs;
  std::vector<std::vector<shopflow::EffectRow>> effects;
  for (const shopflow::Event& e : events) {
    shopflow::RunRow r;
    r.id = "big-orders:" + e.id;
    r.workflow = "big-orders";
    r.event_id = e.id;
    r.status = "completed";
    r.started = r.updated = e.time_ms;
    const shopflow::Json& d = e.data;
    const std::string total = d["total"].get<std::string>();
    const bool big = std::stod(total) >= 100;
    r.state = shopflow::Json{{"vars", shopflow::Json::object()}, {"seq", big ? 3 : 1}}.dump();
    std::vector<shopflow::EffectRow> fx;
    if (big) {
      const std::string order = d["order_id"].get<std::string>();
      shopflow::Json email = {{"to", d["email"]},
                              {"subject", "Thank you for order " + order},
                              {"body", "Hello Ada, your order of " + total + " EUR is on its way."}};
      shopflow::Json tag = {{"order_id", order}, {"tags", "big-order"}};
      for (auto [path, type, params] : {std::tuple{"big/then/thank", "email.send", &email},
                                        std::tuple{"big/then/tag", "order.tag", &tag}}) {
        shopflow::EffectRow x;
        x.id = r.id + "/" + path;
        x.run_id = r.id;
        x.path = path;
        x.type = type;
        x.params = params->dump();
        x.created = x.next_attempt = e.time_ms;
        fx.push_back(std::move(x));
      }
    }
    runs.push_back(std::move(r));
    effects.push_back(std::move(fx));
  }
  auto start = std::chrono::steady_clock::now();
  auto store = shopflow::SqliteStore::open(":memory:");
  if (!store || !store.value()->hold()) {
    std::fprintf(stderr, "cannot open an in-memory store\n");
    std::exit(1);
  }
  shopflow::Store& st = *store.value();
  for (size_t i = 0; i < events.size(); ++i) {
    bool ok = st.begin() && st.run_put(runs[i]);
    for (shopflow::EffectRow& x : effects[i]) ok = ok && st.effect_insert(x).ok();
    if (!ok || !st.commit()) {
      std::fprintf(stderr, "store floor: an insert failed\n");
      std::exit(1);
    }
  }
  if (!st.release_hold()) std::exit(1);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(events.size()) / s;
}

// The process's peak resident memory natively; under WebAssembly the linear memory's size,
// which only grows (so it is its peak).
long peak_memory_kb() {
#ifndef __EMSCRIPTEN__
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
#else
  return static_cast<long>(emscripten_get_heap_size() / 1024);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  shopflow::use_zone_source(&shopflow::system_zones());
  size_t n = 100000;
  bool lean_only = false;
  const char* trace_path = nullptr;
  const char* inputs_dir = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--lean") {
      lean_only = true;
    } else if (arg == "--trace" && i + 1 < argc) {
      trace_path = argv[++i];
    } else if (arg == "--inputs" && i + 1 < argc) {
      inputs_dir = argv[++i];
    } else if (!arg.empty() && arg[0] != '-') {
      n = std::strtoul(argv[i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: shopflow_bench_simulate [EVENTS] [--lean] [--trace FILE] [--inputs DIR]\n");
      return 2;
    }
  }
  auto loaded = shopflow::load_bundle(kBundle);
  if (!loaded || !loaded.value().ok()) {
    std::fprintf(stderr, "bench bundle does not load\n");
    return 1;
  }
  const shopflow::Bundle& bundle = loaded.value().bundle;

  // A deterministic order stream as JSON Lines, one order a second; two in three are >= 100.
  const shopflow::Millis t0 = 1772442000000;
  std::string jsonl;
  for (size_t i = 0; i < n; ++i) {
    shopflow::Json e = {{"id", "ord-" + std::to_string(i)},
                        {"type", "order.created"},
                        {"time", shopflow::format_instant(t0 + static_cast<shopflow::Millis>(i) * 1000)},
                        {"data",
                         {{"order_id", std::to_string(100000 + i)},
                          {"email", "customer" + std::to_string(i % 5000) + "@example.com"},
                          {"customer", {{"id", i % 5000}, {"first_name", "Ada"}}},
                          {"total", std::to_string(40 + (i * 37) % 200) + ".90"},
                          {"currency", "EUR"},
                          {"line_items", {{{"sku", "DESK-TRAY"}, {"quantity", 1 + i % 3}}}}}}};
    jsonl += e.dump();
    jsonl += '\n';
  }
  if (inputs_dir) {
    const std::pair<const char*, std::string_view> files[] = {{"/bench.json", kBundle}, {"/orders.jsonl", jsonl}};
    for (const auto& [name, text] : files) {
      const std::string path = std::string(inputs_dir) + name;
      std::FILE* f = std::fopen(path.c_str(), "wb");
      if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
    }
    return 0;
  }
  using Clock = std::chrono::steady_clock;
  auto parse = [&]() {
    auto events = shopflow::parse_events_jsonl(jsonl);
    if (!events) {
      std::fprintf(stderr, "%s\n", events.error().to_string().c_str());
      std::exit(1);
    }
    return std::move(events.value());
  };
  auto a = Clock::now();
  const size_t parsed = parse().size();
  auto b = Clock::now();
  double parse_s = std::chrono::duration<double>(b - a).count();
  std::printf("parse JSONL: %zu events in %.2f s = %.0f events/s\n", parsed, parse_s, static_cast<double>(parsed) / parse_s);

  // As `shopflow simulate` does: the events are used up by the simulation (parsed again,
  // untimed, for each run), and the trace is text, written to a file with --trace.
  auto run = [&](const char* what, shopflow::SimOptions opts, bool with_parse) {
    size_t bytes = 0;
    std::FILE* out = trace_path ? std::fopen(trace_path, "wb") : nullptr;
    if (trace_path && !out) {
      std::fprintf(stderr, "cannot write %s\n", trace_path);
      std::exit(1);
    }
    if (out) std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
    opts.write_text = [&](std::string_view piece) {
      bytes += piece.size();
      if (out) std::fwrite(piece.data(), 1, piece.size(), out);
    };
    std::vector<shopflow::Event> given;
    if (!with_parse) given = parse();
    auto start = Clock::now();
    if (with_parse) given = parse();
    const size_t count = given.size();
    auto trace = shopflow::simulate(bundle, std::move(given), opts);
    if (out) std::fclose(out);
    auto end = Clock::now();
    if (!trace) {
      std::fprintf(stderr, "%s\n", trace.error().to_string().c_str());
      std::exit(1);
    }
    double s = std::chrono::duration<double>(end - start).count();
    size_t effects = 0;
    for (const auto& [type, n_type] : trace.value().effects_by_type) effects += n_type;
    std::printf("simulate (%s): %zu events in %.2f s = %.0f events/s; %zu runs, %zu effects, trace %zu bytes\n", what,
                count, s, static_cast<double>(count) / s,
                trace.value().counts.empty() ? size_t{0} : trace.value().counts[0].started, effects, bytes);
  };
  // A short run first, not timed: WebAssembly starts unoptimized and V8 recompiles the hot
  // functions while they run (the studio warms up the same way before a person can press Run).
  {
    std::vector<shopflow::Event> first = parse();
    first.resize(std::min<size_t>(first.size(), 5000));
    shopflow::SimOptions warm;
    warm.document = false;
    warm.write_text = [](std::string_view) {};
    if (!shopflow::simulate(bundle, std::move(first), warm)) return 1;
  }
  shopflow::SimOptions lean;
  lean.explain = false;
  lean.include_steps = false;
  lean.document = false;
  run("lean trace: no verdict trees, no step records in the trace", lean, false);
  shopflow::SimOptions full;
  full.document = false;
  if (!lean_only) {
    run("full trace: verdict trees and every step record", full, false);
    run("parse and full trace, as `shopflow simulate` does", full, true);
  }
#ifdef __EMSCRIPTEN__
  const char* what = "WebAssembly memory";
#else
  const char* what = "max RSS";
#endif
  std::printf("peak memory before the store-alone run (%s): %.1f MB\n", what, static_cast<double>(peak_memory_kb()) / 1024.0);
  const double floor = store_floor(parse());
  std::printf("store alone (the run and effect rows a document trace stores, nothing else): %.0f events/s\n", floor);
  return 0;
}
