// The heartbeat of a runner that shares its PostgreSQL with others: a thread of its own that
// renews this runner's leases (one statement for all of them) every third of the lease time,
// so that work it holds is not taken over while it is alive, and work held by a dead runner is
// taken over by another within the lease time. Timing each renewal also measures the database's
// round trip. Used by HttpServer for a `--db postgres://` store, on a connection of its own (the
// engine thread's may be busy in a long transaction when a renewal is due).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "metrics.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

class Heartbeat {
 public:
  // `renew` extends every lease this runner holds and returns how many it extended; it is
  // called on the heartbeat's thread only. `every_ms`: the time between two renewals.
  Heartbeat(std::function<Result<std::int64_t>()> renew, std::int64_t every_ms, Metrics& metrics);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void start();
  void stop();

 private:
  void loop();

  std::function<Result<std::int64_t>()> renew_;
  std::int64_t every_ms_;
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace shopflow::runner
