// Cron schedules for schedule-triggered workflows: five fields (minute hour day-of-month month
// day-of-week) with ranges, steps, lists and names (jan, mon), or @yearly/@annually, @monthly,
// @weekly, @daily/@midnight, @hourly. When both day fields are restricted a day matches if
// either does (the Vixie cron rule). Times are on the wall clock of a time zone: UTC, a fixed
// offset such as "+02:00", or a named zone with daylight saving ("Europe/Berlin"). In a named
// zone a time the clock skips when it springs forward fires once, at the first valid instant
// after it (the change itself), and a time the clock shows twice when it falls back fires once,
// at its first occurrence.
// Used by the bundle checker (parse errors with pointers) and the engine (next fire time).
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "shopflow/instant.hpp"
#include "shopflow/result.hpp"
#include "shopflow/time_zone.hpp"

namespace shopflow {

class CronSchedule {
 public:
  // Parses `expr`, read on the wall clock of `zone`. Fails with a sentence naming the bad field.
  static Result<CronSchedule> parse(std::string_view expr, TimeZone zone = TimeZone());

  // The first fire time strictly after `after` (epoch ms), or nullopt when none within 8 years
  // (e.g. "0 0 30 2 *").
  std::optional<Millis> next_after(Millis after) const;

  const std::string& source() const { return source_; }
  const TimeZone& zone() const { return zone_; }

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> mdays_;   // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> wdays_;    // 0 = Sunday
  bool mday_star_ = false, wday_star_ = false;
  TimeZone zone_;
  std::string source_;

  bool day_matches(std::int64_t year, unsigned month, unsigned mday, unsigned wday) const;
  // The first matching wall-clock minute strictly after the local time `local` (ms), or nullopt.
  std::optional<Millis> next_local_after(Millis local) const;
};

// Parses "", "Z" or "+HH:MM"/"-HH:MM" into minutes east of UTC.
Result<int> parse_utc_offset(std::string_view text);

}  // namespace shopflow
