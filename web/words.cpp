// Durations in words (words.hpp).
#include "words.hpp"

#include <cctype>
#include <cstdio>
#include <vector>

namespace shopflow::studio {

namespace {

// Seconds per unit, by the names a person writes.
long long unit_seconds(const std::string& u) {
  static const std::pair<const char*, long long> kUnits[] = {
      {"s", 1},       {"sec", 1},      {"secs", 1},     {"second", 1},    {"seconds", 1},
      {"m", 60},      {"min", 60},     {"mins", 60},    {"minute", 60},   {"minutes", 60},
      {"h", 3600},    {"hr", 3600},    {"hrs", 3600},   {"hour", 3600},   {"hours", 3600},
      {"d", 86400},   {"day", 86400},  {"days", 86400}, {"w", 604800},    {"week", 604800},
      {"weeks", 604800}};
  for (const auto& [name, secs] : kUnits) {
    if (u == name) return secs;
  }
  return 0;
}

}  // namespace

std::optional<std::string> duration_from_words(std::string_view text) {
  // Words and numbers, lower case; "and" and commas only join.
  std::vector<std::string> tokens;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && cur != "and") tokens.push_back(cur);
    cur.clear();
  };
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isspace(u) || c == ',') {
      flush();
    } else if (!cur.empty() && (std::isdigit(u) != 0) != (std::isdigit(static_cast<unsigned char>(cur.back())) != 0)) {
      flush();  // "4h" is "4 h"
      cur += static_cast<char>(std::tolower(u));
    } else {
      cur += static_cast<char>(std::tolower(u));
    }
  }
  flush();
  if (tokens.empty() || tokens.size() % 2 != 0) return std::nullopt;
  long long total = 0;
  for (size_t i = 0; i < tokens.size(); i += 2) {
    const std::string& n = tokens[i];
    if (n.empty() || n.size() > 6) return std::nullopt;
    for (char c : n) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    long long secs = unit_seconds(tokens[i + 1]);
    if (secs == 0) return std::nullopt;
    total += std::stoll(n) * secs;
  }
  if (total <= 0) return std::nullopt;
  long long days = total / 86400, rest = total % 86400;
  long long hours = rest / 3600, minutes = rest % 3600 / 60, seconds = rest % 60;
  std::string out = "P";
  if (days) out += std::to_string(days) + "D";
  if (rest) {
    out += "T";
    if (hours) out += std::to_string(hours) + "H";
    if (minutes) out += std::to_string(minutes) + "M";
    if (seconds) out += std::to_string(seconds) + "S";
  }
  return out;
}

std::string duration_in_words(Millis ms) {
  if (ms % 1000 != 0 || ms < 60000) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g second%s", static_cast<double>(ms) / 1000.0, ms == 1000 ? "" : "s");
    return buf;
  }
  long long secs = ms / 1000;
  const std::pair<long long, const char*> kParts[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  std::string out;
  for (const auto& [size, name] : kParts) {
    long long n = secs / size;
    secs %= size;
    if (n == 0) continue;
    if (!out.empty()) out += " ";
    out += std::to_string(n) + " " + name + (n == 1 ? "" : "s");
  }
  return out;
}

}  // namespace shopflow::studio
