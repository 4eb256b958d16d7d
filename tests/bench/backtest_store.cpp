// Makes a production store for the backtest benchmark (tests/bench/backtest_bench.sh): EVENTS
// order.created events received by a runner, 1,000 per group commit, 1,000 commits a minute
// apart, run as the runner runs them (the engine on the store file, step records and
// explanations kept), with their runs and effects. Also writes the bundle it ran and the events
// as JSON Lines, each at the time received (for timing `shopflow simulate` over the same events).
// Not a test.
// Usage: shopflow_bench_backtest_store DIR [EVENTS]   (writes DIR/store.db, DIR/bench.json, DIR/events.jsonl)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "shopflow/engine.hpp"
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

bool write_file(const std::filesystem::path& p, const std::string& text) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  shopflow::use_zone_source(&shopflow::system_zones());
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [EVENTS]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const size_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  std::filesystem::create_directories(dir);
  const auto db = dir / "store.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
  if (!write_file(dir / "bench.json", kBundle)) {
    std::fprintf(stderr, "cannot write %s\n", (dir / "bench.json").c_str());
    return 2;
  }
  auto checked = shopflow::load_bundle(kBundle);
  if (!checked || !checked.value().ok()) {
    std::fprintf(stderr, "the bench bundle does not load\n");
    return 2;
  }
  auto store = shopflow::Store::open(db.string());
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 2;
  }
  auto engine = shopflow::Engine::open(checked.value().bundle.runnable_copy(), std::move(store.value()));
  if (!engine) {
    std::fprintf(stderr, "%s\n", engine.error().message.c_str());
    return 2;
  }
  shopflow::Engine& e = *engine.value();
  std::FILE* jsonl = std::fopen((dir / "events.jsonl").c_str(), "wb");
  if (!jsonl) {
    std::fprintf(stderr, "cannot write %s\n", (dir / "events.jsonl").c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const shopflow::Millis t0 = 1'800'000'000'000;
  constexpr size_t kCommit = 1000;
  std::string lines;
  for (size_t done = 0, commit = 0; done < total; ++commit) {
    const shopflow::Millis received = t0 + static_cast<shopflow::Millis>(commit) * 60'000;
    std::vector<shopflow::Event> batch;
    lines.clear();
    for (size_t k = 0; k < kCommit && done < total; ++k, ++done) {
      const std::string n = std::to_string(done + 1);
      const int cents = 2000 + static_cast<int>((done * 7919) % 18000);  // 20.00 .. 199.99
      shopflow::Json doc = {{"specversion", "1.0"},
                            {"id", "o-" + n},
                            {"type", "order.created"},
                            {"source", "/bench/shop"},
                            {"time", shopflow::format_instant(received)},
                            {"data",
                             {{"order_id", n},
                              {"email", "buyer-" + n + "@example.com"},
                              {"total", std::to_string(cents / 100) + "." + std::to_string(cents % 100 / 10) +
                                            std::to_string(cents % 10)},
                              {"currency", "EUR"},
                              {"customer", {{"first_name", "Ada"}}}}}};
      lines += doc.dump() + "\n";
      auto ev = shopflow::parse_cloudevent(std::move(doc));
      if (!ev) {
        std::fprintf(stderr, "%s\n", ev.error().message.c_str());
        return 2;
      }
      ev.value().key = "ce:/bench/shop#o-" + n;  // as the runner keys a CloudEvent
      batch.push_back(std::move(ev.value()));
    }
    std::fwrite(lines.data(), 1, lines.size(), jsonl);
    if (auto r = e.accept(batch, received); !r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 2;
    }
    if (auto r = e.process_pending(received + 5); !r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 2;
    }
    if (commit % 100 == 99) std::fprintf(stderr, "  %zu events stored\n", done);
  }
  std::fclose(jsonl);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("stored %zu events, their runs and effects in %s in %.1f s\n", total, db.c_str(), secs);
  return 0;
}
