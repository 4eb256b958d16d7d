#include "wakeups.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "log.hpp"

namespace shopflow::runner {

namespace {

constexpr int kFirstBackoffMs = 100;
constexpr int kMaxBackoffMs = 5000;

bool exec_ok(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok;
}

}  // namespace

Wakeups::Wakeups(std::string url, std::function<void()> on_wake, Metrics& metrics)
    : url_(std::move(url)), on_wake_(std::move(on_wake)), metrics_(metrics) {
  metrics_.declare("shopflow_wakeups_total", "counter",
                   "Notifications from other runners that woke the engine thread (LISTEN/NOTIFY)");
  metrics_.declare("shopflow_listen_connected", "gauge",
                   "1 while the LISTEN connection is up (work is found by polling meanwhile)");
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Wakeups::~Wakeups() {
  stop();
  if (event_fd_ >= 0) ::close(event_fd_);
}

void Wakeups::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void Wakeups::stop() {
  stopping_ = true;
  kick();
  if (thread_.joinable()) thread_.join();
}

void Wakeups::announce() {
  if (!announce_.exchange(true)) kick();
}

void Wakeups::kick() {
  if (event_fd_ < 0) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Wakeups::loop() {
  int backoff = kFirstBackoffMs;
  // Waits `ms` for a kick (stop or announce); drains it.
  auto wait_kick = [this](int ms) {
    pollfd p{event_fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) > 0) {
      std::uint64_t n;
      [[maybe_unused]] auto r = ::read(event_fd_, &n, sizeof n);
    }
  };
  while (!stopping_) {
    PGconn* conn = PQconnectdb(url_.c_str());
    if (PQstatus(conn) != CONNECTION_OK || !exec_ok(conn, "LISTEN shopflow_work")) {
      log_warn("cannot listen for other runners' work; looking for it by polling meanwhile",
               {{"error", PQerrorMessage(conn)}, {"retry_ms", backoff}});
      PQfinish(conn);
      wait_kick(backoff);
      backoff = std::min(backoff * 2, kMaxBackoffMs);
      continue;
    }
    backoff = kFirstBackoffMs;
    metrics_.set("shopflow_listen_connected", {}, 1);
    const int own_pid = PQbackendPID(conn);
    on_wake_();  // whatever was announced while this connection was down
    bool lost = false;
    while (!stopping_ && !lost) {
      pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {event_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents & POLLIN) {
        std::uint64_t n;
        [[maybe_unused]] auto r = ::read(event_fd_, &n, sizeof n);
      }
      if (stopping_) break;
      if (announce_.exchange(false) && !exec_ok(conn, "NOTIFY shopflow_work")) lost = PQstatus(conn) != CONNECTION_OK;
      if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
        if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) lost = true;
      }
      // Notifications also arrive during the NOTIFY's own exchange; take them all.
      bool woke = false;
      while (PGnotify* n = PQnotifies(conn)) {
        if (n->be_pid != own_pid) woke = true;  // this runner's own announcements wake nobody
        PQfreemem(n);
      }
      if (woke) {
        metrics_.add("shopflow_wakeups_total", {});
        on_wake_();
      }
    }
    metrics_.set("shopflow_listen_connected", {}, 0);
    if (lost) log_warn("the LISTEN connection was lost; reconnecting", {{"error", PQerrorMessage(conn)}});
    PQfinish(conn);
  }
}

}  // namespace shopflow::runner
