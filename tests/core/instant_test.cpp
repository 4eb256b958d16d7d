// Instants and durations: RFC 3339 in and out, ISO 8601 durations.
#include "shopflow/instant.hpp"

#include <doctest/doctest.h>

using shopflow::format_instant;
using shopflow::parse_duration;
using shopflow::parse_instant;

TEST_CASE("instants parse with offsets and fractions, and format back in UTC") {
  struct Case {
    const char* text;
    long long ms;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-03-01T09:30:00Z", 1772357400000},
      {"2026-03-01T11:30:00+02:00", 1772357400000},
      {"2026-03-01T04:00:00-05:30", 1772357400000},
      {"2026-03-01T09:30:00.250Z", 1772357400250},
      {"2026-03-01T09:30:00.123456789Z", 1772357400123},
      {"2024-02-29T23:59:59Z", 1709251199000},
      {"1969-12-31T23:59:59Z", -1000},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = parse_instant(c.text);
    REQUIRE(r.ok());
    CHECK(r.value() == c.ms);
  }
  CHECK(format_instant(1772357400000) == "2026-03-01T09:30:00Z");
  CHECK(format_instant(1772357400250) == "2026-03-01T09:30:00.250Z");
  CHECK(format_instant(-1000) == "1969-12-31T23:59:59Z");
  CHECK(format_instant(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_instant(5) == "1970-01-01T00:00:00.005Z");
  CHECK(format_instant(253402300799000) == "9999-12-31T23:59:59Z");
  CHECK(format_instant(253402300800000) == "10000-01-01T00:00:00Z");
}

TEST_CASE("bad instants are refused with a reason") {
  struct Case {
    const char* text;
    const char* says;  // besides "is not a date-time"
  };
  const Case cases[] = {
      {"lunchtime", "write it like 2026-03-01T09:30:00Z"},
      {"2026-03-01", "has no time of day"},
      {"2026-03-01T09:30Z", "has no seconds"},
      {"2026-03-01T09:30:00", "has no offset"},
      {"2026-02-30T00:00:00Z", "has day 30, which month 02 of 2026 does not have"},
      {"2026-03-01T09:30:00+25:00", "offset beyond 23:59"},
      {"2026-03-01T09:30:00+05", "write +02:00"},
      {"2026-03-01T09:30:00+0500", "write +02:00"},
      {"2026-03-01T09:30:00X", "has 'X' after the time"},
      {"2026-13-01T00:00:00Z", "has month 13"},
      {"2026-03-01T24:00:00Z", "has hour 24"},
      {"2026-03-01T09:30:61Z", "has second 61"},
      {"2026-03-01T09:30:00Z and more", "extra text after the offset"},
  };
  for (const Case& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    auto r = parse_instant(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("\"" + text + "\" is not a date-time") == 0);
    CHECK(r.error().message.find(c.says) != std::string::npos);
  }
}

TEST_CASE("a leap second is the last second of its minute") {
  CHECK(parse_instant("2016-12-31T23:59:60Z").value() == parse_instant("2016-12-31T23:59:59Z").value());
}

TEST_CASE("durations") {
  CHECK(parse_duration("PT4H").value() == 4 * 3600 * 1000);
  CHECK(parse_duration("PT20H").value() == 20 * 3600 * 1000);
  CHECK(parse_duration("P1D").value() == 86400 * 1000);
  CHECK(parse_duration("P2W").value() == 14LL * 86400 * 1000);
  CHECK(parse_duration("P1DT12H30M").value() == (36 * 3600 + 1800) * 1000LL);
  CHECK(parse_duration("PT0.5S").value() == 500);
  CHECK(parse_duration("PT1.5H").value() == 90 * 60 * 1000);
  struct Case {
    const char* text;
    const char* says;
  };
  const Case bad[] = {
      {"4h", "is not a duration; write it as an ISO 8601 duration"},
      {"P", "is not a duration; write it as an ISO 8601 duration"},
      {"PT", "'T' with no hours"},
      {"PT4", "is not a duration; write it as an ISO 8601 duration"},
      {"PT4X", "is not a duration; write it as an ISO 8601 duration"},
      {"P1H", "needs a 'T' before hours"},
      {"P1M", "years and months have no fixed length"},
      {"P1Y", "years and months have no fixed length"},
      {"-P1D", "it is negative"},
      {"P40000D", "longer than 100 years"},
  };
  for (const Case& c : bad) {
    std::string text = c.text;
    CAPTURE(text);
    auto r = parse_duration(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("\"" + text + "\"") == 0);
    CHECK(r.error().message.find(c.says) != std::string::npos);
  }
}
