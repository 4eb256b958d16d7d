// Instants and durations as the engine sees them: milliseconds since the Unix epoch (UTC),
// read from and written as RFC 3339 / ISO 8601 text.
//
// The core never reads a clock; every time it needs arrives as an epoch-millisecond value.
// Used by events (their `time`), the engine (timers, `now`), cron, the simulator and tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shopflow/result.hpp"

namespace shopflow {

// Milliseconds since 1970-01-01T00:00:00Z.
using Millis = std::int64_t;

// Parses an RFC 3339 date-time: "2026-03-01T09:30:00Z", "2026-03-01T11:30:00.250+02:00".
// Seconds are required; fractions beyond milliseconds are truncated; the offset is "Z" or
// ±HH:MM (hours up to 23). Fails with a sentence quoting the text, saying it "is not a
// date-time" and naming the wrong part ("it has no offset; end it with Z ..."): this is
// timeutil::parse_timestamp in its Rfc3339 form.
Result<Millis> parse_instant(std::string_view text);

// Formats as "2026-03-01T09:30:00Z", with ".250" milliseconds only when non-zero.
std::string format_instant(Millis ms);
// Appends format_instant(ms) to `out`.
void append_instant(std::string& out, Millis ms);

// Parses an ISO 8601 duration with days, hours, minutes and seconds ("PT4H", "P1D", "P2W",
// "PT1H30M", "PT0.5S") as timeutil::parse_duration reads it, then refuses years and months
// (their length varies), negative durations and more than 100 years, each with a sentence.
Result<Millis> parse_duration(std::string_view text);

}  // namespace shopflow
