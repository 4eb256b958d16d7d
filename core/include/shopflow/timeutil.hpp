// Calendar arithmetic for conditions: ISO 8601 timestamps with fixed offsets, ISO 8601
// durations (calendar months included) and business days (Monday to Friday, less a bundle's
// holidays).
//
// Everything is civil-date arithmetic on epoch milliseconds (Howard Hinnant's
// days_from_civil): no timegm, localtime or locale, so results are the same natively and in
// WebAssembly. A timestamp remembers the offset it was written with, so "10:00+02:00 plus one
// day" stays "10:00+02:00"; named zones with daylight saving are time_zone.hpp's, whose
// offsets a timestamp can be shown in. Used by the JSON Logic time operators (condition.cpp),
// and the one calendar and parser of instants and durations (instant.hpp), cron and Liquid's
// date filter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shopflow/result.hpp"

namespace shopflow::timeutil {

using Millis = std::int64_t;

constexpr Millis kMillisPerSecond = 1000;
constexpr Millis kMillisPerMinute = 60 * kMillisPerSecond;
constexpr Millis kMillisPerHour = 60 * kMillisPerMinute;
constexpr Millis kMillisPerDay = 24 * kMillisPerHour;

// Timestamps must fall in years 0000..9999 (what four-digit ISO years can write).
constexpr Millis kMinMillis = -62167219200000;  // 0000-01-01T00:00:00Z
constexpr Millis kMaxMillis = 253402300799999;  // 9999-12-31T23:59:59.999Z

// An instant and the UTC offset it is shown in.
struct Timestamp {
  Millis ms = 0;           // since 1970-01-01T00:00:00Z
  int offset_minutes = 0;  // +120 for "+02:00"; 0 for "Z"
};

// Which timestamps parse_timestamp accepts.
enum class TimestampForm {
  Iso8601,  // what people write in conditions: the shortened forms below are fine
  Rfc3339,  // what systems exchange (event times, bundle dates): seconds and an offset
            // (Z or +HH:MM) are required; a leap second :60 reads as :59
};

// Parses "2026-03-01T09:30:00Z", "2026-03-01T11:30:00.250+02:00", and in the Iso8601 form also
// "2026-03-01T11:30:00+0200", "2026-03-01 09:30:00" (no offset: UTC), "2026-03-01T09:30Z"
// (no seconds) and "2026-03-01" (midnight UTC). 't' and 'z' may be lower case; fractions
// beyond milliseconds are truncated. Fails with a sentence quoting the text and naming its
// first wrong part ("has month 13; months are 01 to 12"); in the Rfc3339 form the sentence
// says "is not a date-time". Fails too outside years 0000..9999.
Result<Timestamp> parse_timestamp(std::string_view text, TimestampForm form = TimestampForm::Iso8601);

// "2026-03-01T09:30:00Z" or "2026-03-01T11:30:00+02:00"; ".250" only when the milliseconds
// are not zero. Precondition: kMinMillis <= ms <= kMaxMillis and |offset| < 24 hours.
std::string format_timestamp(Millis ms, int offset_minutes = 0);
inline std::string format_timestamp(const Timestamp& t) { return format_timestamp(t.ms, t.offset_minutes); }

// A signed ISO 8601 duration split the way calendars need it: months (years count 12)
// vary in length, days are calendar days, the rest is exact time.
struct Duration {
  std::int64_t months = 0;
  std::int64_t days = 0;  // weeks count 7
  Millis millis = 0;      // hours, minutes, seconds
  bool has_months() const { return months != 0; }
};

// Parses "P1DT4H", "PT30M", "P2W", "P1Y2M10DT2H30M", "PT0.5S", "PT1.5H", "-P1D" (negative).
// Fails on "1 day", "P", "PT", "P1H" (hours need the T) and on values too large.
Result<Duration> parse_duration(std::string_view text);

// Canonical text: "P1DT4H", "PT30M", "P1Y2M", "-PT1.5S", "PT0S".
std::string format_duration(const Duration& d);

// The duration as exact milliseconds; fails when it has months or years.
Result<Millis> duration_millis(const Duration& d);

// t + d on t's own calendar: months first (Jan 31 + P1M = Feb 28 or 29), then days, then
// time. Fails when the result leaves years 0000..9999.
Result<Timestamp> add_duration(const Timestamp& t, const Duration& d);

// t moved by n business days (Monday to Friday of t's local date), keeping the time of day.
// n > 0 goes forward, n < 0 backward; from a weekend, +1 lands on Monday and -1 on Friday;
// n == 0 returns t unchanged. Fails when the result leaves years 0000..9999.
Result<Timestamp> add_business_days(const Timestamp& t, std::int64_t n);

// The same on a calendar with holidays: `holidays` (days since 1970-01-01, any order) are not
// business days either. Fails when |n| > 3660 or the result leaves years 0000..9999.
Result<Timestamp> add_business_days(const Timestamp& t, std::int64_t n, const std::vector<std::int64_t>& holidays);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, std::int64_t* year, unsigned* month, unsigned* day);

// 1 = Monday ... 7 = Sunday, for days since 1970-01-01 (a Thursday).
int iso_weekday(std::int64_t days);

// Days in `month` (1..12) of `year`.
unsigned days_in_month(std::int64_t year, unsigned month);

// Floor division of milliseconds into whole days since the epoch (negative-safe).
std::int64_t floor_days(Millis ms);

}  // namespace shopflow::timeutil
