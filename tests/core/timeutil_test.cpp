// Tests for core/src/timeutil.cpp: ISO 8601 timestamps and durations, business days.
#include <doctest/doctest.h>

#include <string>

#include "shopflow/timeutil.hpp"

namespace tu = shopflow::timeutil;

TEST_CASE("parse_timestamp reads ISO 8601 with offsets") {
  struct Case {
    const char* text;
    tu::Millis ms;
    int offset;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0, 0},
      {"2026-03-01T09:30:00Z", 1772357400000, 0},
      {"2026-03-01T11:30:00+02:00", 1772357400000, 120},
      {"2026-03-01T11:30:00+0200", 1772357400000, 120},
      {"2026-03-01T11:30:00+02", 1772357400000, 120},
      {"2026-03-01T04:00:00-05:30", 1772357400000, -330},
      {"2026-03-01t09:30:00z", 1772357400000, 0},
      {"2026-03-01 09:30:00", 1772357400000, 0},
      {"2026-03-01T09:30Z", 1772357400000, 0},
      {"2026-03-01T09:30:00.250Z", 1772357400250, 0},
      {"2026-03-01T09:30:00.2Z", 1772357400200, 0},
      {"2026-03-01T09:30:00.123456789Z", 1772357400123, 0},
      {"2026-03-01", 1772323200000, 0},
      {"2024-02-29T00:00:00Z", 1709164800000, 0},
      {"1969-12-31T23:59:59.999Z", -1, 0},
      {"0000-01-01T00:00:00Z", tu::kMinMillis, 0},
      {"9999-12-31T23:59:59.999Z", tu::kMaxMillis, 0},
  };
  for (const Case& c : cases) {
    std::string cap_c_text = c.text;
    CAPTURE(cap_c_text);
    auto t = tu::parse_timestamp(c.text);
    REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().message));
    CHECK(t.value().ms == c.ms);
    CHECK(t.value().offset_minutes == c.offset);
  }
}

TEST_CASE("parse_timestamp says what is wrong") {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "is not a timestamp"},
      {"yesterday", "is not a timestamp"},
      {"2026-3-1", "is not a timestamp"},
      {"2026-13-01T00:00:00Z", "month 13"},
      {"2025-02-29T00:00:00Z", "day 29"},
      {"2026-03-01X10:00:00Z", "put 'T'"},
      {"2026-03-01T24:00:00Z", "hour 24"},
      {"2026-03-01T10:60:00Z", "minute 60"},
      {"2026-03-01T10:00:60Z", "second 60"},
      {"2026-03-01T10:00:00+25:00", "offset beyond"},
      {"2026-03-01T10:00:00 UTC", "end it with Z"},
      {"2026-03-01T10:00:00Zjunk", "extra text"},
      {"2026-03-01T10", "hours and minutes"},
  };
  for (const Case& c : cases) {
    std::string cap_c_text = c.text;
    CAPTURE(cap_c_text);
    auto t = tu::parse_timestamp(c.text);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().message.find(c.says) != std::string::npos);
  }
}

TEST_CASE("format_timestamp writes the offset it is given") {
  CHECK(tu::format_timestamp(0) == "1970-01-01T00:00:00Z");
  CHECK(tu::format_timestamp(1772357400000) == "2026-03-01T09:30:00Z");
  CHECK(tu::format_timestamp(1772357400250, 120) == "2026-03-01T11:30:00.250+02:00");
  CHECK(tu::format_timestamp(1772357400000, -330) == "2026-03-01T04:00:00-05:30");
  CHECK(tu::format_timestamp(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(tu::format_timestamp(tu::kMinMillis) == "0000-01-01T00:00:00Z");
  for (const char* text : {"2026-03-01T11:30:00+02:00", "2024-02-29T23:59:59.001Z", "1900-01-01T00:00:00-08:00"}) {
    CHECK(tu::format_timestamp(tu::parse_timestamp(text).value()) == text);
  }
}

TEST_CASE("civil dates and weekdays") {
  CHECK(tu::days_from_civil(1970, 1, 1) == 0);
  CHECK(tu::days_from_civil(2000, 3, 1) == 11017);
  CHECK(tu::days_from_civil(1969, 12, 31) == -1);
  std::int64_t y;
  unsigned m, d;
  tu::civil_from_days(19782, &y, &m, &d);  // 2024-02-29
  CHECK(y == 2024);
  CHECK(m == 2);
  CHECK(d == 29);
  CHECK(tu::iso_weekday(0) == 4);                                // Thursday
  CHECK(tu::iso_weekday(tu::days_from_civil(2026, 3, 2)) == 1);  // Monday
  CHECK(tu::iso_weekday(tu::days_from_civil(2026, 3, 1)) == 7);  // Sunday
  CHECK(tu::iso_weekday(-1) == 3);
  CHECK(tu::days_in_month(2024, 2) == 29);
  CHECK(tu::days_in_month(1900, 2) == 28);
  CHECK(tu::days_in_month(2000, 2) == 29);
  CHECK(tu::floor_days(-1) == -1);
}

TEST_CASE("parse_duration and format_duration") {
  struct Case {
    const char* text;
    std::int64_t months, days;
    tu::Millis millis;
    const char* canonical;
  };
  const Case cases[] = {
      {"P1D", 0, 1, 0, "P1D"},
      {"PT30M", 0, 0, 30 * tu::kMillisPerMinute, "PT30M"},
      {"P1DT4H", 0, 1, 4 * tu::kMillisPerHour, "P1DT4H"},
      {"P2W", 0, 14, 0, "P14D"},
      {"P1Y2M10DT2H30M", 14, 10, 2 * tu::kMillisPerHour + 30 * tu::kMillisPerMinute, "P1Y2M10DT2H30M"},
      {"PT0.5S", 0, 0, 500, "PT0.5S"},
      {"PT1.5H", 0, 0, 90 * tu::kMillisPerMinute, "PT1H30M"},
      {"P0.5D", 0, 0, 12 * tu::kMillisPerHour, "PT12H"},
      {"-P1D", 0, -1, 0, "-P1D"},
      {"+PT1H", 0, 0, tu::kMillisPerHour, "PT1H"},
      {"PT0S", 0, 0, 0, "PT0S"},
      {"PT36H", 0, 0, 36 * tu::kMillisPerHour, "PT36H"},
  };
  for (const Case& c : cases) {
    std::string cap_c_text = c.text;
    CAPTURE(cap_c_text);
    auto d = tu::parse_duration(c.text);
    REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().message));
    CHECK(d.value().months == c.months);
    CHECK(d.value().days == c.days);
    CHECK(d.value().millis == c.millis);
    CHECK(tu::format_duration(d.value()) == c.canonical);
  }
  for (const char* bad : {"", "1D", "P", "PT", "P1H", "P1S", "PT1D", "P1D2D", "P1M1Y", "P1.5M", "PT1.5H2M",
                          "P99999999999D", "one day"}) {
    std::string cap_bad = bad;
    CAPTURE(cap_bad);
    CHECK_FALSE(tu::parse_duration(bad).ok());
  }
  CHECK(tu::duration_millis(tu::parse_duration("P1DT1S").value()).value() == tu::kMillisPerDay + 1000);
  CHECK_FALSE(tu::duration_millis(tu::parse_duration("P1M").value()).ok());
}

TEST_CASE("add_duration follows the calendar of the timestamp's offset") {
  struct Case {
    const char* from;
    const char* duration;
    const char* want;
  };
  const Case cases[] = {
      {"2026-03-01T09:30:00Z", "P1DT2H", "2026-03-02T11:30:00Z"},
      {"2026-03-01T23:30:00+02:00", "PT1H", "2026-03-02T00:30:00+02:00"},
      {"2026-01-31T10:00:00Z", "P1M", "2026-02-28T10:00:00Z"},
      {"2024-01-31T10:00:00Z", "P1M", "2024-02-29T10:00:00Z"},
      {"2024-02-29T10:00:00Z", "P1Y", "2025-02-28T10:00:00Z"},
      {"2026-03-31T10:00:00Z", "-P1M", "2026-02-28T10:00:00Z"},
      {"2026-01-15T10:00:00Z", "P13M", "2027-02-15T10:00:00Z"},
      {"2026-03-01T00:00:00Z", "-PT1S", "2026-02-28T23:59:59Z"},
      // Local midnight at a negative offset: months apply to the local date.
      {"2026-01-31T22:00:00-05:00", "P1M", "2026-02-28T22:00:00-05:00"},
  };
  for (const Case& c : cases) {
    std::string cap_c_from = c.from;
    CAPTURE(cap_c_from);
    std::string cap_c_duration = c.duration;
    CAPTURE(cap_c_duration);
    auto t = tu::add_duration(tu::parse_timestamp(c.from).value(), tu::parse_duration(c.duration).value());
    REQUIRE(t.ok());
    CHECK(tu::format_timestamp(t.value()) == c.want);
  }
  CHECK_FALSE(tu::add_duration(tu::parse_timestamp("9999-12-31T00:00:00Z").value(), tu::parse_duration("P1D").value()).ok());
}

TEST_CASE("add_business_days skips weekends") {
  struct Case {
    const char* from;
    std::int64_t n;
    const char* want;
  };
  const Case cases[] = {
      {"2026-03-02T10:00:00Z", 1, "2026-03-03T10:00:00Z"},   // Mon + 1 = Tue
      {"2026-03-06T10:00:00Z", 1, "2026-03-09T10:00:00Z"},   // Fri + 1 = Mon
      {"2026-03-07T10:00:00Z", 1, "2026-03-09T10:00:00Z"},   // Sat + 1 = Mon
      {"2026-03-08T10:00:00Z", 1, "2026-03-09T10:00:00Z"},   // Sun + 1 = Mon
      {"2026-03-05T10:00:00Z", 2, "2026-03-09T10:00:00Z"},   // Thu + 2 = Mon
      {"2026-03-02T10:00:00Z", 5, "2026-03-09T10:00:00Z"},   // Mon + 5 = next Mon
      {"2026-03-06T10:00:00Z", 10, "2026-03-20T10:00:00Z"},  // Fri + 10 = Fri two weeks on
      {"2026-03-02T10:00:00Z", -1, "2026-02-27T10:00:00Z"},  // Mon - 1 = Fri
      {"2026-03-07T10:00:00Z", -1, "2026-03-06T10:00:00Z"},  // Sat - 1 = Fri
      {"2026-03-08T10:00:00Z", -1, "2026-03-06T10:00:00Z"},  // Sun - 1 = Fri
      {"2026-03-04T10:00:00Z", -6, "2026-02-24T10:00:00Z"},  // Wed - 6 = Tue a week before
      {"2026-03-07T10:00:00Z", 0, "2026-03-07T10:00:00Z"},   // 0 leaves a weekend alone
      // Friday 23:00 in New York is already Saturday in UTC; the local date decides.
      {"2026-03-06T23:00:00-05:00", 1, "2026-03-09T23:00:00-05:00"},
  };
  for (const Case& c : cases) {
    std::string cap_c_from = c.from;
    CAPTURE(cap_c_from);
    CAPTURE(c.n);
    auto t = tu::add_business_days(tu::parse_timestamp(c.from).value(), c.n);
    REQUIRE(t.ok());
    CHECK(tu::format_timestamp(t.value()) == c.want);
  }
}
