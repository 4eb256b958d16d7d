#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <vector>
#include <mutex>

namespace shopflow::runner {

namespace {
std::mutex g_log_mutex;

struct Repeats {
  std::chrono::steady_clock::time_point last;  // when a line of this message was last written
  size_t left_out = 0;                          // lines of it not written since
  std::string level;
};
std::map<std::string, Repeats> g_repeats;  // by message (warnings and errors; a fixed set of texts)
constexpr auto kRepeatEvery = std::chrono::seconds(1);

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}
}  // namespace

void log_line(const char* level, const std::string& msg, const Json& fields) {
  size_t left_out = 0;
  if (std::strcmp(level, "info") != 0) {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    auto now = std::chrono::steady_clock::now();
    auto [it, fresh] = g_repeats.try_emplace(msg);
    if (!fresh && now - it->second.last < kRepeatEvery) {
      ++it->second.left_out;
      return;
    }
    left_out = it->second.left_out;
    it->second = Repeats{now, 0, level};
  }
  Json line = {{"ts", utc_now()}, {"level", level}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  if (left_out > 0) line["repeated"] = left_out;
  std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

void log_flush_repeats() {
  std::vector<std::string> lines;
  {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    auto now = std::chrono::steady_clock::now();
    for (auto& [msg, r] : g_repeats) {
      if (r.left_out == 0 || now - r.last < kRepeatEvery) continue;
      Json line = {{"ts", utc_now()}, {"level", r.level}, {"msg", msg}, {"repeated", r.left_out}};
      lines.push_back(line.dump(-1, ' ', false, Json::error_handler_t::replace));
      r.left_out = 0;
      r.last = now;
    }
    for (const auto& text : lines) std::fprintf(stderr, "%s\n", text.c_str());
    if (!lines.empty()) std::fflush(stderr);
  }
}

}  // namespace shopflow::runner
