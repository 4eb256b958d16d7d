// Cron schedules: fields, names, @-shortcuts, the Vixie day rule, fixed UTC offsets and named
// time zones across their daylight-saving changes.
#include "shopflow/cron.hpp"

#include <vector>

#include <doctest/doctest.h>

using shopflow::CronSchedule;
using shopflow::format_instant;
using shopflow::parse_instant;

namespace {
// `zone` is "" (UTC), an offset such as "+02:00" or a zone name.
shopflow::TimeZone zone_of(const std::string& zone) {
  if (zone.empty() || zone[0] == '+' || zone[0] == '-') return shopflow::TimeZone::fixed(shopflow::parse_utc_offset(zone).value());
  auto z = shopflow::TimeZone::named(zone);
  REQUIRE_MESSAGE(z.ok(), z.error().message);
  return z.value();
}

std::string next(const char* expr, const char* after, const char* zone = "") {
  auto c = CronSchedule::parse(expr, zone_of(zone));
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  auto n = c.value().next_after(parse_instant(after).value());
  return n ? format_instant(*n) : "never";
}
}  // namespace

// A schedule in a named zone: from `after`, it fires next at `expected` (UTC).
struct ZoneCase {
  const char* zone;
  const char* expr;
  const char* after;
  const char* expected;
};

void check_zone_cases(const std::vector<ZoneCase>& cases) {
  for (const auto& c : cases) {
    CAPTURE(c.zone);
    CAPTURE(c.after);
    CHECK(next(c.expr, c.after, c.zone) == c.expected);
  }
}

TEST_CASE("next fire times") {
  struct Case {
    const char* expr;
    const char* after;
    const char* offset;
    const char* expected;
  };
  // 2026-03-02 is a Monday.
  const Case cases[] = {
      {"0 9 * * 1", "2026-03-02T08:59:59Z", "", "2026-03-02T09:00:00Z"},
      {"0 9 * * 1", "2026-03-02T09:00:00Z", "", "2026-03-09T09:00:00Z"},
      {"0 9 * * mon", "2026-03-02T09:00:00Z", "", "2026-03-09T09:00:00Z"},
      {"0 9 * * 1", "2026-03-02T06:00:00Z", "+02:00", "2026-03-02T07:00:00Z"},
      {"30 8 * * *", "2026-03-02T08:00:00Z", "-05:00", "2026-03-02T13:30:00Z"},
      {"*/15 * * * *", "2026-03-02T10:07:00Z", "", "2026-03-02T10:15:00Z"},
      {"5-10/5 * * * *", "2026-03-02T10:06:00Z", "", "2026-03-02T10:10:00Z"},
      {"0 0 1,15 * *", "2026-03-02T00:00:00Z", "", "2026-03-15T00:00:00Z"},
      {"0 0 * feb *", "2026-03-02T00:00:00Z", "", "2027-02-01T00:00:00Z"},
      {"0 0 29 2 *", "2026-03-02T00:00:00Z", "", "2028-02-29T00:00:00Z"},
      {"0 12 13 * 5", "2026-03-02T00:00:00Z", "", "2026-03-06T12:00:00Z"},  // Vixie: 13th OR Friday
      {"0 12 13 * *", "2026-03-02T00:00:00Z", "", "2026-03-13T12:00:00Z"},
      {"0 0 * * 7", "2026-03-02T00:00:00Z", "", "2026-03-08T00:00:00Z"},    // 7 is Sunday
      {"@daily", "2026-03-02T10:00:00Z", "", "2026-03-03T00:00:00Z"},
      {"@hourly", "2026-03-02T10:00:00Z", "", "2026-03-02T11:00:00Z"},
      {"@weekly", "2026-03-02T10:00:00Z", "", "2026-03-08T00:00:00Z"},
      {"@monthly", "2026-03-02T10:00:00Z", "", "2026-04-01T00:00:00Z"},
      {"@yearly", "2026-03-02T10:00:00Z", "", "2027-01-01T00:00:00Z"},
      {"0 0 30 2 *", "2026-03-02T00:00:00Z", "", "never"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.expr);
    CAPTURE(c.after);
    CHECK(next(c.expr, c.after, c.offset) == c.expected);
  }
}

TEST_CASE("bad schedules say which field is wrong") {
  struct Case {
    const char* expr;
    const char* words;
  };
  const Case cases[] = {{"0 9 * *", "five fields"},      {"60 * * * *", "minute"},    {"0 24 * * *", "hour"},
                        {"0 0 0 * *", "day-of-month"},   {"0 0 * 13 *", "month"},     {"0 0 * * 8", "day-of-week"},
                        {"*/0 * * * *", "step of 0"},    {"5-1 * * * *", "backwards"}, {"@sometimes", "unknown schedule"}};
  for (const auto& c : cases) {
    CAPTURE(c.expr);
    auto r = CronSchedule::parse(c.expr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(c.words) != std::string::npos);
  }
  CHECK_FALSE(shopflow::parse_utc_offset("+2").ok());
}

TEST_CASE("schedules in a named zone keep their local time across daylight saving") {
  check_zone_cases({
      // Berlin: CET (+01:00) in winter, CEST (+02:00) from 2026-03-29 to 2026-10-25.
      {"Europe/Berlin", "0 7 * * mon-fri", "2026-01-15T06:00:00Z", "2026-01-16T06:00:00Z"},
      {"Europe/Berlin", "0 7 * * mon-fri", "2026-03-27T06:00:00Z", "2026-03-30T05:00:00Z"},
      {"Europe/Berlin", "0 7 * * mon-fri", "2026-07-01T05:00:00Z", "2026-07-02T05:00:00Z"},
      {"Europe/Berlin", "0 7 * * mon-fri", "2026-10-23T05:00:00Z", "2026-10-26T06:00:00Z"},
      // New York: EST (-05:00), EDT (-04:00) from 2026-03-08 to 2026-11-01.
      {"America/New_York", "0 9 * * *", "2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"},
      {"America/New_York", "0 9 * * *", "2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z"},
      // Sydney, southern hemisphere: AEDT (+11:00) until 2026-04-05, AEST (+10:00) until 2026-10-04.
      {"Australia/Sydney", "0 9 * * *", "2026-04-03T22:00:00Z", "2026-04-04T23:00:00Z"},
      {"Australia/Sydney", "0 9 * * *", "2026-10-03T23:00:00Z", "2026-10-04T22:00:00Z"},
      // Kolkata: +05:30 all year.
      {"Asia/Kolkata", "0 7 * * *", "2026-01-01T00:00:00Z", "2026-01-01T01:30:00Z"},
      {"Asia/Kolkata", "0 7 * * *", "2026-07-01T00:00:00Z", "2026-07-01T01:30:00Z"},
      // Zones whose rules changed: Moscow kept +04:00 from 2011 to 2014, then +03:00; Sao Paulo
      // dropped daylight saving in 2019.
      {"Europe/Moscow", "0 9 * * *", "2013-01-10T00:00:00Z", "2013-01-10T05:00:00Z"},
      {"Europe/Moscow", "0 9 * * *", "2015-01-10T00:00:00Z", "2015-01-10T06:00:00Z"},
      {"America/Sao_Paulo", "0 9 * * *", "2019-01-10T00:00:00Z", "2019-01-10T11:00:00Z"},
      {"America/Sao_Paulo", "0 9 * * *", "2020-01-10T00:00:00Z", "2020-01-10T12:00:00Z"},
  });
}

TEST_CASE("a local time skipped by spring-forward fires once, at the change") {
  check_zone_cases({
      // 02:30 does not exist on 2026-03-29 in Berlin: the clock goes from 02:00 CET to 03:00 CEST.
      {"Europe/Berlin", "30 2 * * *", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z"},
      {"Europe/Berlin", "30 2 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
      // Every half hour: 02:00 and 02:30 both fall in the gap and fire once between them.
      {"Europe/Berlin", "*/30 * * * *", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z"},
      {"Europe/Berlin", "*/30 * * * *", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"},
      {"America/New_York", "30 2 * * *", "2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z"},
      {"Australia/Sydney", "30 2 * * *", "2026-10-02T16:30:00Z", "2026-10-03T16:00:00Z"},
      // Samoa skipped 2011-12-30 altogether: noon that day is the first instant of the 31st.
      {"Pacific/Apia", "0 12 * * *", "2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z"},
  });
}

TEST_CASE("a local time repeated by fall-back fires once, at its first occurrence") {
  check_zone_cases({
      // 02:30 happens twice on 2026-10-25 in Berlin: 00:30Z (CEST) and 01:30Z (CET).
      {"Europe/Berlin", "30 2 * * *", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z"},
      {"Europe/Berlin", "30 2 * * *", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
      // Asked during the repeat, the repeated time is already past.
      {"Europe/Berlin", "30 2 * * *", "2026-10-25T01:10:00Z", "2026-10-26T01:30:00Z"},
      {"Europe/Berlin", "0 * * * *", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"},
      {"America/New_York", "30 1 * * *", "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z"},
      {"America/New_York", "30 1 * * *", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
      {"Australia/Sydney", "30 2 * * *", "2026-04-03T15:30:00Z", "2026-04-04T15:30:00Z"},
  });
}

TEST_CASE("an unknown zone name is refused with the nearest valid names") {
  auto z = shopflow::TimeZone::named("Europe/Berln");
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().message.find("unknown time zone \"Europe/Berln\"") != std::string::npos);
  CHECK(z.error().message.find("Europe/Berlin") != std::string::npos);
  auto city = shopflow::TimeZone::nearest_names("new york");
  REQUIRE_FALSE(city.empty());
  CHECK(city[0] == "America/New_York");
}
