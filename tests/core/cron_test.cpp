// Cron schedules: fields, names, @-shortcuts, the Vixie day rule and fixed UTC offsets.
#include "shopflow/cron.hpp"

#include <doctest/doctest.h>

using shopflow::CronSchedule;
using shopflow::format_instant;
using shopflow::parse_instant;

namespace {
std::string next(const char* expr, const char* after, const char* offset = "") {
  auto c = CronSchedule::parse(expr, offset);
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  auto n = c.value().next_after(parse_instant(after).value());
  return n ? format_instant(*n) : "never";
}
}  // namespace

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
  CHECK_FALSE(CronSchedule::parse("0 9 * * *", "+2").ok());
}
