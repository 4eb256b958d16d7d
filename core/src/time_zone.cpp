// Named zones through date/tz's time_zone, fixed offsets by arithmetic; the nearest-name search
// for the checker's messages.
#include "shopflow/time_zone.hpp"
#include "edit_distance.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <date/tz.h>

namespace shopflow {

namespace {

const ZoneSource* g_source = nullptr;

using SysMillis = date::sys_time<std::chrono::milliseconds>;
using LocalMillis = date::local_time<std::chrono::milliseconds>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

}  // namespace

void use_zone_source(const ZoneSource* source) { g_source = source; }

Result<TimeZone> TimeZone::named(std::string_view name) {
  const date::time_zone* z = g_source ? g_source->find(name) : nullptr;
  if (!z) {
    std::string msg = "unknown time zone \"" + std::string(name) + "\"";
    auto near = nearest_names(name);
    if (!near.empty()) {
      msg += "; did you mean ";
      for (std::size_t i = 0; i < near.size(); ++i) {
        if (i > 0) msg += i + 1 == near.size() ? " or " : ", ";
        msg += near[i];
      }
      msg += "?";
    } else if (!g_source) {
      msg += ": no time zone database is installed";
    }
    return Error{std::move(msg), "", 0, 0};
  }
  TimeZone t;
  t.zone_ = z;
  t.name_ = std::string(name);
  return t;
}

TimeZone TimeZone::fixed(int offset_minutes) {
  TimeZone t;
  t.fixed_minutes_ = offset_minutes;
  if (offset_minutes != 0) {
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', (a / 60) % 100, a % 60);
    t.name_ = buf;
  }
  return t;
}

int TimeZone::offset_minutes_at(Millis utc) const {
  if (!zone_) return fixed_minutes_;
  auto info = zone_->get_info(SysMillis{std::chrono::milliseconds{utc}});
  return static_cast<int>(info.offset.count() / 60);
}

Millis TimeZone::from_local(Millis local) const {
  if (!zone_) return local - static_cast<Millis>(fixed_minutes_) * 60000;
  auto info = zone_->get_info(LocalMillis{std::chrono::milliseconds{local}});
  switch (info.result) {
    case date::local_info::nonexistent:
      // The wall clock jumped over `local`: the first instant after it is the jump itself.
      return std::chrono::duration_cast<std::chrono::milliseconds>(info.second.begin.time_since_epoch()).count();
    case date::local_info::ambiguous:
    case date::local_info::unique:
    default:
      return local - std::chrono::duration_cast<std::chrono::milliseconds>(info.first.offset).count();
  }
}

std::vector<std::string> TimeZone::nearest_names(std::string_view name, std::size_t count) {
  if (!g_source || name.size() > 64) return {};
  const std::string want = lower(name);
  std::vector<std::pair<std::size_t, const std::string*>> scored;
  for (const std::string& n : g_source->names()) {
    std::string cand = lower(n);
    std::size_t d = edit_distance(want, cand);
    // "Berlin" or "new york" name the city part of "Europe/Berlin", "America/New_York".
    if (auto slash = cand.rfind('/'); slash != std::string::npos) {
      std::string city = cand.substr(slash + 1);
      std::string spaced = want;
      std::replace(spaced.begin(), spaced.end(), ' ', '_');
      d = std::min(d, edit_distance(spaced, city) + 1);
    }
    scored.emplace_back(d, &n);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  const std::size_t allowed = std::max<std::size_t>(2, want.size() / 3);
  for (const auto& [d, n] : scored) {
    // Names much further than the best one are not what was meant.
    if (out.size() == count || d > allowed || d > scored.front().first + 1) break;
    out.push_back(*n);
  }
  return out;
}

}  // namespace shopflow
