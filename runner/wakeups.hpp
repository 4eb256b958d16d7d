// Wake-ups between runners that share one PostgreSQL. Each runner holds one connection of its
// own for LISTEN (never a pooled one: a transaction-mode pooler drops notifications), announces
// the work it commits with NOTIFY, and wakes its engine thread when another runner announces
// some. A notification is only a hint that makes another runner look sooner: the engine thread
// also looks on its own every idle tick, so work is found when a notification is lost, when
// the connection is down, or when nobody listens (the polling fallback is always correct).
// Used by HttpServer for a `--db postgres://` store; SQLite has one runner and needs none.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "metrics.hpp"

namespace shopflow::runner {

class Wakeups {
 public:
  // `url`: the PostgreSQL connection URL (libpq's syntax). `on_wake` is called on the listener's
  // thread when another runner announced work, and after each (re)connection, since
  // announcements made while disconnected were missed.
  Wakeups(std::string url, std::function<void()> on_wake, Metrics& metrics);
  ~Wakeups();
  Wakeups(const Wakeups&) = delete;
  Wakeups& operator=(const Wakeups&) = delete;

  // Starts the listener's thread, which connects (and reconnects, with backoff) by itself.
  void start();
  void stop();

  // Tells the other runners that this one committed work they may take: coalesced, so a burst
  // of commits costs one NOTIFY. Never blocks; dropped while disconnected (they poll anyway).
  void announce();

  // The channel the runners LISTEN and NOTIFY on.
  static constexpr const char* kChannel = "shopflow_work";

 private:
  void loop();
  void kick();  // wakes the listener's thread from its poll()

  std::string url_;
  std::function<void()> on_wake_;
  Metrics& metrics_;
  std::thread thread_;
  int event_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> announce_{false};
};

}  // namespace shopflow::runner
