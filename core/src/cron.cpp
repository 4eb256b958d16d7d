// Cron expressions: parsing into bitsets and a day-by-day search for the next fire time.
#include "shopflow/cron.hpp"

#include <cctype>
#include <vector>

#include "shopflow/timeutil.hpp"

namespace shopflow {

namespace {

const char* const kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  const char* name;
  int lo, hi;
  const char* const* names;  // nullptr, or names for lo.. (months from 1, days from 0)
  int name_count;
};

const FieldSpec kFields[5] = {{"minute", 0, 59, nullptr, 0},
                              {"hour", 0, 23, nullptr, 0},
                              {"day-of-month", 1, 31, nullptr, 0},
                              {"month", 1, 12, kMonthNames, 12},
                              {"day-of-week", 0, 7, kDayNames, 7}};

bool read_value(const std::string& s, const FieldSpec& f, int* out) {
  if (s.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    if (s.size() > 3) return false;
    int v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return v >= f.lo && v <= f.hi;
  }
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < f.name_count; ++i) {
    if (lower == f.names[i]) {
      *out = f.names == kMonthNames ? i + 1 : i;
      return true;
    }
  }
  return false;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Fills `bits` (indexed by value) from one field; `star` tells whether it began with '*'.
Status parse_field(const std::string& text, const FieldSpec& f, std::vector<bool>* bits, bool* star) {
  auto bad = [&](const std::string& why) {
    return Error{"the " + std::string(f.name) + " field \"" + text + "\" " + why, "", 0, 0};
  };
  *star = !text.empty() && text[0] == '*';
  bits->assign(static_cast<size_t>(f.hi + 1), false);
  for (const std::string& item : split(text, ',')) {
    if (item.empty()) return bad("has an empty list item");
    std::string range = item;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      range = item.substr(0, slash);
      std::string st = item.substr(slash + 1);
      if (st.empty() || st.size() > 3) return bad("has a bad step after '/'");
      step = 0;
      for (char c : st) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return bad("has a bad step after '/'");
        step = step * 10 + (c - '0');
      }
      if (step == 0) return bad("has a step of 0");
    }
    int a, b;
    if (range == "*") {
      a = f.lo;
      b = f.hi;
    } else if (auto dash = range.find('-'); dash != std::string::npos) {
      if (!read_value(range.substr(0, dash), f, &a) || !read_value(range.substr(dash + 1), f, &b))
        return bad("has a value outside " + std::to_string(f.lo) + "-" + std::to_string(f.hi));
      if (a > b) return bad("has a range that runs backwards");
    } else {
      if (!read_value(range, f, &a)) return bad("has a value outside " + std::to_string(f.lo) + "-" + std::to_string(f.hi));
      // "5/15" means from 5 to the end in steps of 15 (as most crons read it).
      b = item.find('/') != std::string::npos ? f.hi : a;
    }
    for (int v = a; v <= b; v += step) (*bits)[static_cast<size_t>(v)] = true;
  }
  return {};
}

}  // namespace

Result<int> parse_utc_offset(std::string_view s) {
  if (s.empty() || s == "Z" || s == "z") return 0;
  std::string msg = "\"";
  msg.append(s).append("\" is not a UTC offset: write it like +02:00 or -05:30");
  const Error bad{std::move(msg), "", 0, 0};
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return bad;
  for (size_t i : {1, 2, 4, 5}) {
    if (s[i] < '0' || s[i] > '9') return bad;
  }
  int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
  if (h > 14 || m > 59) return bad;
  return (h * 60 + m) * (s[0] == '-' ? -1 : 1);
}

Result<CronSchedule> CronSchedule::parse(std::string_view expr, TimeZone zone) {
  CronSchedule c;
  c.source_ = std::string(expr);
  c.zone_ = std::move(zone);
  std::string text(expr);
  // Trim and collapse whitespace.
  std::vector<std::string> fields;
  std::string cur;
  for (char ch : text) {
    if (ch == ' ' || ch == '\t') {
      if (!cur.empty()) fields.push_back(cur), cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) fields.push_back(cur);
  if (fields.size() == 1 && !fields[0].empty() && fields[0][0] == '@') {
    const std::string& n = fields[0];
    if (n == "@yearly" || n == "@annually") fields = {"0", "0", "1", "1", "*"};
    else if (n == "@monthly") fields = {"0", "0", "1", "*", "*"};
    else if (n == "@weekly") fields = {"0", "0", "*", "*", "0"};
    else if (n == "@daily" || n == "@midnight") fields = {"0", "0", "*", "*", "*"};
    else if (n == "@hourly") fields = {"0", "*", "*", "*", "*"};
    else
      return Error{"unknown schedule \"" + n + "\": use @yearly, @monthly, @weekly, @daily, @hourly or five fields", "",
                   0, 0};
  }
  if (fields.size() != 5)
    return Error{"a schedule has five fields (minute hour day-of-month month day-of-week), e.g. \"0 9 * * 1\"; got " +
                     std::to_string(fields.size()),
                 "", 0, 0};
  std::vector<bool> bits;
  bool star = false;
  for (int i = 0; i < 5; ++i) {
    if (auto st = parse_field(fields[static_cast<size_t>(i)], kFields[i], &bits, &star); !st) return st.error();
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0: c.minutes_.set(v); break;
        case 1: c.hours_.set(v); break;
        case 2: c.mdays_.set(v); break;
        case 3: c.months_.set(v); break;
        default: c.wdays_.set(v % 7); break;  // 7 is Sunday too
      }
    }
    if (i == 2) c.mday_star_ = star;
    if (i == 4) c.wday_star_ = star;
  }
  return c;
}

bool CronSchedule::day_matches(std::int64_t, unsigned month, unsigned mday, unsigned wday) const {
  if (!months_.test(month)) return false;
  bool md = mdays_.test(mday), wd = wdays_.test(wday);
  if (mday_star_ || wday_star_) return md && wd;  // a '*' field matches every day
  return md || wd;
}

std::optional<Millis> CronSchedule::next_after(Millis after) const {
  // Search the wall clock, then map each match back to an instant. Matches in a skipped hour all
  // map to the change itself and matches in a repeated hour to their first occurrence, so a
  // match that maps to `after` or earlier was already fired (or lies in the repeat): go on.
  Millis local = zone_.to_local(after);
  for (int guard = 0; guard < 4 * 60 + 2; ++guard) {
    auto next = next_local_after(local);
    if (!next) return std::nullopt;
    Millis at = zone_.from_local(*next);
    if (at > after) return at;
    local = *next;
  }
  return std::nullopt;
}

std::optional<Millis> CronSchedule::next_local_after(Millis local) const {
  // In whole minutes; start at the minute after `local`.
  Millis minute = (local >= 0 ? local / 60000 : -((-local + 59999) / 60000)) + 1;
  std::int64_t day = minute >= 0 ? minute / 1440 : -((-minute + 1439) / 1440);
  int start_min_of_day = static_cast<int>(minute - day * 1440);
  for (int i = 0; i < 366 * 8 + 2; ++i, ++day, start_min_of_day = 0) {
    std::int64_t y;
    unsigned m, d;
    timeutil::civil_from_days(day, &y, &m, &d);
    unsigned wday = static_cast<unsigned>(timeutil::iso_weekday(day) % 7);  // 0 = Sunday
    if (!day_matches(y, m, d, wday)) continue;
    for (int h = start_min_of_day / 60; h < 24; ++h) {
      if (!hours_.test(static_cast<size_t>(h))) continue;
      int from = h == start_min_of_day / 60 ? start_min_of_day % 60 : 0;
      for (int mi = from; mi < 60; ++mi) {
        if (minutes_.test(static_cast<size_t>(mi))) return (day * 1440 + h * 60 + mi) * 60000;
      }
    }
  }
  return std::nullopt;
}

}  // namespace shopflow
