// Wake-ups between runners over a real PostgreSQL: one runner's announcement wakes the other,
// and both listen again after the server restarts (waking once, for what they missed). Needs a server: CTest's runner.wakeups runs this under tests/support/pg_temp.sh;
// elsewhere (unit.native) it says it was skipped.
#include "wakeups.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

using namespace shopflow;
using namespace shopflow::runner;

namespace {

// Counts one listener's wake-ups; waits for a count.
struct Woken {
  std::mutex mu;
  std::condition_variable cv;
  int count = 0;
  void wake() {
    std::lock_guard<std::mutex> lock(mu);
    ++count;
    cv.notify_all();
  }
  bool reaches(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return count >= n; });
  }
  int now() {
    std::lock_guard<std::mutex> lock(mu);
    return count;
  }
};

int pg_temp(const std::string& args) {
  std::string cmd = "bash " SHOPFLOW_SOURCE_DIR "/tests/support/pg_temp.sh " + args + " >/dev/null";
  return std::system(cmd.c_str());
}

}  // namespace

TEST_CASE("wakeups: an announcement wakes the other runners, not its own; both listen again after a restart") {
  const char* url = std::getenv("SHOPFLOW_TEST_PG");
  const char* dir = std::getenv("SHOPFLOW_PG_DIR");
  if (url == nullptr || dir == nullptr) {
    MESSAGE("skipped: needs a PostgreSQL (CTest runner.wakeups runs it under tests/support/pg_temp.sh)");
    return;
  }
  Metrics m1, m2;
  Woken w1, w2;
  Wakeups one(url, [&] { w1.wake(); }, m1);
  Wakeups two(url, [&] { w2.wake(); }, m2);
  one.start();
  two.start();
  // Each wakes once as it connects: what was announced before it listened is looked for then.
  REQUIRE(w1.reaches(1));
  REQUIRE(w2.reaches(1));
  CHECK(m1.value("shopflow_listen_connected", {}) == 1);

  two.announce();
  REQUIRE(w1.reaches(2));
  CHECK(m1.value("shopflow_wakeups_total", {}) == 1);
  one.announce();
  REQUIRE(w2.reaches(2));
  // Its own announcement also reaches `one` (sooner or later after the NOTIFY): it wakes nobody.
  one.stop();
  CHECK(w1.now() == 2);
  CHECK(m1.value("shopflow_listen_connected", {}) == 0);

  Woken w3;
  Metrics m3;
  Wakeups three(url, [&] { w3.wake(); }, m3);
  three.start();
  REQUIRE(w3.reaches(1));
  REQUIRE(pg_temp(std::string("stop ") + dir + " fast") == 0);
  REQUIRE(pg_temp(std::string("start ") + dir) == 0);
  // Back: each wakes once for what it may have missed, and hears the other again.
  REQUIRE(w2.reaches(3));
  REQUIRE(w3.reaches(2));
  three.announce();
  REQUIRE(w2.reaches(4));
  CHECK(m2.value("shopflow_listen_connected", {}) == 1);
  two.stop();
  three.stop();
}
