// Durations in words for the studio's fields: "4 hours", "2 days", "1 day 6 hours" are read as
// ISO 8601 durations (what bundles hold: PT4H, P2D, P1DT6H), and durations are shown back in
// words. Pure functions; used by the inspector and the Data panel.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shopflow/instant.hpp"

namespace shopflow::studio {

// The ISO 8601 duration `text` says in words ("4 hours" -> "PT4H", "1 week" -> "P7D",
// "90 min" -> "PT90M"), or nullopt when it is not a duration in words. Units: seconds,
// minutes, hours, days, weeks (singular, plural or short: s, sec, m, min, h, hr, d, w);
// parts may be joined by "and" or commas.
std::optional<std::string> duration_from_words(std::string_view text);

// `ms` in words: "4 hours", "1 day 6 hours", "90 minutes", "1.5 seconds".
std::string duration_in_words(Millis ms);

}  // namespace shopflow::studio
