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
  for (const char* bad : {"lunchtime", "2026-03-01", "2026-03-01T09:30Z", "2026-03-01T09:30:00", "2026-02-30T00:00:00Z",
                          "2026-03-01T09:30:00+25:00", "2026-03-01T09:30:00+05", "2026-03-01T09:30:00X",
                          "2026-13-01T00:00:00Z", "2026-03-01T24:00:00Z"}) {
    CAPTURE(bad);
    auto r = parse_instant(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("is not a date-time") != std::string::npos);
  }
}

TEST_CASE("durations") {
  CHECK(parse_duration("PT4H").value() == 4 * 3600 * 1000);
  CHECK(parse_duration("PT20H").value() == 20 * 3600 * 1000);
  CHECK(parse_duration("P1D").value() == 86400 * 1000);
  CHECK(parse_duration("P2W").value() == 14LL * 86400 * 1000);
  CHECK(parse_duration("P1DT12H30M").value() == (36 * 3600 + 1800) * 1000LL);
  CHECK(parse_duration("PT0.5S").value() == 500);
  for (const char* bad : {"4h", "P", "PT", "P1M", "P1Y", "PT4", "PT4X", "P1H"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).ok());
  }
}
