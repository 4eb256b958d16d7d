// Cron schedules for schedule-triggered workflows: five fields (minute hour day-of-month month
// day-of-week) with ranges, steps, lists and names (jan, mon), or @yearly/@annually, @monthly,
// @weekly, @daily/@midnight, @hourly. When both day fields are restricted a day matches if
// either does (the Vixie cron rule). Times are UTC unless a fixed offset such as "+02:00" is given.
// Used by the bundle checker (parse errors with pointers) and the engine (next fire time).
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "shopflow/instant.hpp"
#include "shopflow/result.hpp"

namespace shopflow {

class CronSchedule {
 public:
  // Parses `expr`; `utc_offset` is "" (UTC), "Z", or "+HH:MM"/"-HH:MM". Fails with a sentence
  // naming the bad field.
  static Result<CronSchedule> parse(std::string_view expr, std::string_view utc_offset = "");

  // The first fire time strictly after `after` (epoch ms), or nullopt when none within 8 years
  // (e.g. "0 0 30 2 *").
  std::optional<Millis> next_after(Millis after) const;

  const std::string& source() const { return source_; }

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> mdays_;   // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> wdays_;    // 0 = Sunday
  bool mday_star_ = false, wday_star_ = false;
  int offset_minutes_ = 0;
  std::string source_;

  bool day_matches(int year, unsigned month, unsigned mday, unsigned wday) const;
};

// Parses "", "Z" or "+HH:MM"/"-HH:MM" into minutes east of UTC.
Result<int> parse_utc_offset(std::string_view text);

}  // namespace shopflow
