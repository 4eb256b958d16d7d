// The runner's log: one JSON object per line on stderr ({"ts", "level", "msg", ...fields}).
// Never given a secret or any part of a payload: offsets and reasons only. Warnings and errors
// with the same message are written at most once a second: the next one written says how many
// were left out in between ("repeated"), and log_flush_repeats() writes that count for a
// message that has stopped coming.
#pragma once

#include <string>

#include "shopflow/json.hpp"

namespace shopflow::runner {

void log_line(const char* level, const std::string& msg, const Json& fields);
inline void log_info(const std::string& msg, const Json& fields) { log_line("info", msg, fields); }
inline void log_warn(const std::string& msg, const Json& fields) { log_line("warn", msg, fields); }
inline void log_error(const std::string& msg, const Json& fields) { log_line("error", msg, fields); }
// Writes the count of left-out lines of each message whose last line is a second old.
void log_flush_repeats();

}  // namespace shopflow::runner
