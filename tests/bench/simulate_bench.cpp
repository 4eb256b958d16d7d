// Benchmark: events per second for the simulator on a 100,000-event order stream, for a
// workflow of a condition, a template and two effects; and peak memory. Not a test: run it
// from a release build (cmake --preset release; cmake --build --preset release --target
// shopflow_bench_simulate). Built natively and, under Emscripten, as a Node program.
// Usage: shopflow_bench_simulate [EVENTS] [--lean] [--trace FILE]
//   --lean        only the lean-trace run
//   --trace FILE  write each trace to FILE as `shopflow simulate --trace` does (default: the
//                 trace is only hashed, as `shopflow simulate` without --trace does)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#ifndef __EMSCRIPTEN__
#include <sys/resource.h>
#endif

#include "shopflow/process.hpp"
#include "shopflow/simulator.hpp"

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

long peak_rss_kb() {
#ifndef __EMSCRIPTEN__
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
#else
  return -1;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  shopflow::use_huge_pages(argv);  // as the shopflow program does
  shopflow::keep_freed_memory();
  size_t n = 100000;
  bool lean_only = false;
  const char* trace_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--lean") {
      lean_only = true;
    } else if (arg == "--trace" && i + 1 < argc) {
      trace_path = argv[++i];
    } else if (!arg.empty() && arg[0] != '-') {
      n = std::strtoul(argv[i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: shopflow_bench_simulate [EVENTS] [--lean] [--trace FILE]\n");
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
  using Clock = std::chrono::steady_clock;
  auto a = Clock::now();
  auto events = shopflow::parse_events_jsonl(jsonl);
  auto b = Clock::now();
  if (!events) {
    std::fprintf(stderr, "%s\n", events.error().to_string().c_str());
    return 1;
  }
  auto run = [&](const char* what, shopflow::SimOptions opts) {
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
    auto start = Clock::now();
    auto trace = shopflow::simulate(bundle, events.value(), opts);
    if (out) std::fclose(out);
    auto end = Clock::now();
    if (!trace) {
      std::fprintf(stderr, "%s\n", trace.error().to_string().c_str());
      std::exit(1);
    }
    double s = std::chrono::duration<double>(end - start).count();
    size_t effects = 0;
    for (const auto& [type, count] : trace.value().effects_by_type) effects += count;
    std::printf("simulate (%s): %zu events in %.2f s = %.0f events/s; %zu runs, %zu effects, trace %zu bytes\n", what,
                events.value().size(), s, static_cast<double>(events.value().size()) / s,
                trace.value().counts.empty() ? size_t{0} : trace.value().counts[0].started, effects, bytes);
  };
  double parse_s = std::chrono::duration<double>(b - a).count();
  std::printf("parse JSONL: %zu events in %.2f s = %.0f events/s\n", n, parse_s, static_cast<double>(n) / parse_s);
  // As `shopflow simulate` does: the trace as text, written to a file with --trace.
  shopflow::SimOptions lean;
  lean.explain = false;
  lean.include_steps = false;
  lean.document = false;
  run("lean trace: no verdict trees, no step records in the trace", lean);
  shopflow::SimOptions full;
  full.document = false;
  if (!lean_only) run("full trace: verdict trees and every step record", full);
  long rss = peak_rss_kb();
  if (rss >= 0) std::printf("peak memory (max RSS): %.1f MB\n", static_cast<double>(rss) / 1024.0);
  return 0;
}
