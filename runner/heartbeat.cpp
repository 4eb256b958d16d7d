#include "heartbeat.hpp"

#include <chrono>

#include "log.hpp"

namespace shopflow::runner {

Heartbeat::Heartbeat(std::function<Result<std::int64_t>()> renew, std::int64_t every_ms, Metrics& metrics)
    : renew_(std::move(renew)), every_ms_(every_ms), metrics_(metrics) {
  metrics_.declare("shopflow_lease_renewals_total", "counter",
                   "Heartbeats that renewed this runner's leases, by outcome (ok, failed)");
  metrics_.declare("shopflow_leases_held", "gauge", "Leases this runner held at its last heartbeat");
  metrics_.declare("shopflow_db_round_trip_seconds", "histogram",
                   "Time of one heartbeat statement: the database's round trip as the runner sees it",
                   {0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5});
}

Heartbeat::~Heartbeat() { stop(); }

void Heartbeat::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void Heartbeat::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(every_ms_), [&] { return stopping_; })) return;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto renewed = renew_();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!renewed) {
      // Not fatal: the leases run out, other runners take the work over, and this runner's
      // writes of it are refused (fenced by their epoch). The next heartbeat tries again.
      metrics_.add("shopflow_lease_renewals_total", {{"outcome", "failed"}});
      log_warn("cannot renew this runner's leases", {{"error", renewed.error().message}});
      continue;
    }
    metrics_.observe("shopflow_db_round_trip_seconds", {}, secs);
    metrics_.add("shopflow_lease_renewals_total", {{"outcome", "ok"}});
    metrics_.set("shopflow_leases_held", {}, static_cast<double>(renewed.value()));
  }
}

}  // namespace shopflow::runner
