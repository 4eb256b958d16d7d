// The runner's log: one JSON object per line on stderr ({"ts", "level", "msg", ...fields}).
// Never given a secret or a full payload.
#pragma once

#include <string>

#include "shopflow/json.hpp"

namespace shopflow::runner {

void log_line(const char* level, const std::string& msg, const Json& fields);
inline void log_info(const std::string& msg, const Json& fields) { log_line("info", msg, fields); }
inline void log_warn(const std::string& msg, const Json& fields) { log_line("warn", msg, fields); }
inline void log_error(const std::string& msg, const Json& fields) { log_line("error", msg, fields); }

}  // namespace shopflow::runner
