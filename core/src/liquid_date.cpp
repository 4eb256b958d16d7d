// The `date` filter: Ruby's Time.parse-like reading of dates and a hand-written strftime.
//
// Deterministic by construction: civil-date arithmetic on UTC (no timegm/localtime, no wall
// clock); a named zone's offset comes from the installed zone database (time_zone.hpp). Times
// without an offset are UTC. "now" and "today" read the render
// data's top-level "now" field (an ISO 8601 string or epoch seconds), because the core has no
// clock of its own.
#include <cstring>
#include <vector>

#include "liquid_internal.hpp"
#include "shopflow/time_zone.hpp"
#include "shopflow/timeutil.hpp"

namespace shopflow::liquid::detail {

namespace {

struct Time {
  int64_t epoch = 0;   // seconds since 1970-01-01T00:00:00Z
  int64_t nanos = 0;
  int offset = 0;      // seconds east of UTC, used for display
  bool utc = true;     // %Z prints "UTC" (else nothing, as Ruby does for fixed offsets)
};

// The calendar is timeutil's; these adapt it to this file's signed fields.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  return timeutil::days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

void civil_from_days(int64_t z, int64_t& y, int& m, int& d) {
  unsigned month, day;
  timeutil::civil_from_days(z, &y, &month, &day);
  m = static_cast<int>(month);
  d = static_cast<int>(day);
}

const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                         "July",    "August",   "September", "October", "November", "December"};
const char* kDaysOfWeek[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequal_prefix(std::string_view word, const char* name, size_t min) {
  size_t n = std::strlen(name);
  if (word.size() < min || word.size() > n) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    if (lower(word[k]) != lower(name[k])) return false;
  }
  return true;
}

int month_of(std::string_view word) {
  for (int k = 0; k < 12; ++k) {
    if (iequal_prefix(word, kMonths[k], 3)) return k + 1;
  }
  if (word.size() == 4 && iequal_prefix(word.substr(0, 3), "sep", 3) && lower(word[3]) == 't') return 9;
  return 0;
}

bool is_weekday(std::string_view word) {
  for (const char* d : kDaysOfWeek) {
    if (iequal_prefix(word, d, 3)) return true;
  }
  return false;
}

// A small reading of the date forms Ruby's Time.parse accepts most often: ISO 8601 (with T or
// space, fractions, Z or offsets), RFC 2822, "March 14, 2016", "14 March 2016", y/m/d and d/m/y
// with slashes or dots, compact yyyymmdd, times with am/pm.
bool parse_time_text(std::string_view s, Time& out) {
  struct Tok {
    enum class T { Num, Word, Sep } t;
    std::string_view text;
    char sep = 0;
  };
  std::vector<Tok> toks;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      size_t st = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      toks.push_back({Tok::T::Num, s.substr(st, i - st)});
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      size_t st = i;
      while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
      toks.push_back({Tok::T::Word, s.substr(st, i - st)});
    } else {
      if (!is_space(c)) toks.push_back({Tok::T::Sep, s.substr(i, 1), c});
      ++i;
    }
  }
  int64_t year = -1;
  int64_t month = 0, day = 0;
  int64_t hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  bool have_time = false, have_offset = false, utc_zone = false;
  int64_t offset = 0;
  bool pm = false, am = false;
  auto num = [](std::string_view t) {
    int64_t v = 0;
    for (char c : t) {
      if (v < 100'000'000'000) v = v * 10 + (c - '0');  // saturate: such numbers are invalid anyway
    }
    return v;
  };
  auto two_digit_year = [](int64_t y, size_t len) { return len <= 2 ? (y < 69 ? y + 2000 : y + 1900) : y; };
  std::vector<bool> used(toks.size(), false);
  // Time of day: H:MM[:SS[.frac]]
  for (size_t k = 0; k + 2 < toks.size(); ++k) {
    if (toks[k].t == Tok::T::Num && toks[k + 1].t == Tok::T::Sep && toks[k + 1].sep == ':' &&
        toks[k + 2].t == Tok::T::Num && toks[k].text.size() <= 2) {
      hour = (num(toks[k].text));
      minute = (num(toks[k + 2].text));
      used[k] = used[k + 1] = used[k + 2] = true;
      size_t j = k + 3;
      if (j + 1 < toks.size() && toks[j].t == Tok::T::Sep && toks[j].sep == ':' && toks[j + 1].t == Tok::T::Num) {
        second = (num(toks[j + 1].text));
        used[j] = used[j + 1] = true;
        j += 2;
        if (j + 1 < toks.size() && toks[j].t == Tok::T::Sep && (toks[j].sep == '.' || toks[j].sep == ',') &&
            toks[j + 1].t == Tok::T::Num) {
          std::string_view f = toks[j + 1].text;
          int64_t v = 0;
          for (size_t q = 0; q < 9; ++q) v = v * 10 + (q < f.size() ? f[q] - '0' : 0);
          nanos = v;
          used[j] = used[j + 1] = true;
          j += 2;
        }
      }
      have_time = true;
      // Offset right after the time: +hh:mm, +hhmm, -hh
      if (j + 1 < toks.size() && toks[j].t == Tok::T::Sep && (toks[j].sep == '+' || toks[j].sep == '-') &&
          toks[j + 1].t == Tok::T::Num) {
        std::string_view h = toks[j + 1].text;
        int64_t oh = 0, om = 0;
        if (h.size() == 4) {
          oh = (num(h.substr(0, 2)));
          om = (num(h.substr(2)));
        } else if (h.size() <= 2) {
          oh = (num(h));
          if (j + 3 < toks.size() && toks[j + 2].t == Tok::T::Sep && toks[j + 2].sep == ':' && toks[j + 3].t == Tok::T::Num) {
            om = (num(toks[j + 3].text));
            used[j + 2] = used[j + 3] = true;
          }
        }
        offset = (oh * 3600 + om * 60) * (toks[j].sep == '-' ? -1 : 1);
        have_offset = true;
        used[j] = used[j + 1] = true;
      }
      break;
    }
  }
  for (size_t k = 0; k < toks.size(); ++k) {
    if (used[k] || toks[k].t != Tok::T::Word) continue;
    std::string_view w = toks[k].text;
    if (w.size() == 2 && lower(w[0]) == 'p' && lower(w[1]) == 'm') { pm = true; used[k] = true; }
    else if (w.size() == 2 && lower(w[0]) == 'a' && lower(w[1]) == 'm') { am = true; used[k] = true; }
    else if (w == "Z" || w == "z" || w == "UTC" || w == "GMT" || w == "utc" || w == "gmt") { utc_zone = true; used[k] = true; }
    else if (w == "T" || w == "t") { used[k] = true; }
    else if (is_weekday(w)) { used[k] = true; }
    else if (int m = month_of(w)) {
      month = m;
      used[k] = true;
    }
  }
  // Compact offsets after a zone word or a time, e.g. "+0000" when the time loop missed it.
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (used[k] || used[k + 1] || have_offset) continue;
    if (toks[k].t == Tok::T::Sep && (toks[k].sep == '+' || (toks[k].sep == '-' && have_time)) &&
        toks[k + 1].t == Tok::T::Num && toks[k + 1].text.size() == 4 && have_time) {
      std::string_view h = toks[k + 1].text;
      offset = (num(h.substr(0, 2)) * 3600 + num(h.substr(2)) * 60) * (toks[k].sep == '-' ? -1 : 1);
      have_offset = true;
      used[k] = used[k + 1] = true;
    }
  }
  std::vector<std::string_view> nums;
  std::vector<char> seps;
  for (size_t k = 0; k < toks.size(); ++k) {
    if (used[k] || toks[k].t != Tok::T::Num) continue;
    nums.push_back(toks[k].text);
    char sep = 0;
    if (k + 1 < toks.size() && toks[k + 1].t == Tok::T::Sep) sep = toks[k + 1].sep;
    seps.push_back(sep);
  }
  if (month) {
    // Month given by name: the remaining numbers are day and year.
    for (std::string_view n : nums) {
      if (n.size() >= 3 && year < 0) year = num(n);
      else if (day == 0 && n.size() <= 2 && num(n) >= 1 && num(n) <= 31) day = (num(n));
      else if (year < 0) year = two_digit_year(num(n), n.size());
    }
    if (day == 0) day = 1;
  } else if (nums.size() >= 3) {
    std::string_view a = nums[0], b = nums[1], c = nums[2];
    if (a.size() >= 3) {
      year = num(a);
      month = (num(b));
      day = (num(c));
    } else if (c.size() >= 3) {
      year = num(c);
      month = (num(b));
      day = (num(a));
    } else {
      year = two_digit_year(num(a), a.size());
      month = (num(b));
      day = (num(c));
    }
  } else if (nums.size() == 1 && nums[0].size() == 8) {
    year = num(nums[0].substr(0, 4));
    month = (num(nums[0].substr(4, 2)));
    day = (num(nums[0].substr(6, 2)));
  } else {
    return false;
  }
  if (year < 0 || year > 999'999 || month < 1 || month > 12 || day < 1 ||
      day > static_cast<int64_t>(timeutil::days_in_month(year, static_cast<unsigned>(month)))) {
    return false;
  }
  if (pm && hour < 12) hour += 12;
  if (am && hour == 12) hour = 0;
  if (hour > 24 || minute > 59 || second > 60) return false;
  if (offset <= -86400 || offset >= 86400) return false;
  int64_t days = days_from_civil(year, month, day);
  out.epoch = days * 86400 + hour * 3600 + minute * 60 + second - (have_offset ? offset : 0);
  out.nanos = nanos;
  out.offset = have_offset ? static_cast<int>(offset) : 0;
  out.utc = !have_offset || utc_zone;
  return true;
}

bool to_time(Renderer& r, const Value& v, Time& out, int depth) {
  if (v.kind == Kind::Int) {
    out.epoch = v.i;
    return true;
  }
  if (v.kind != Kind::Str || v.s.empty()) return false;
  std::string low;
  for (char c : v.s) low += lower(c);
  if (low == "now" || low == "today") {
    if (depth > 0) return false;
    if (!r.data || !r.data->is_object() || !r.data->contains("now")) {
      fail("date: \"" + std::string(v.s) +
           "\" needs a \"now\" field in the data (an ISO 8601 time or epoch seconds); templates have no clock");
    }
    return to_time(r, Value::from_json((*r.data)["now"]), out, depth + 1);
  }
  bool digits = true;
  for (char c : v.s) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (v.s.size() > 15) return false;
    int64_t e = 0;
    for (char c : v.s) e = e * 10 + (c - '0');
    out.epoch = e;
    return true;
  }
  return parse_time_text(v.s, out);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Fields {
  int64_t year;
  int month, day, hour, minute, second;
  int wday, yday;  // wday 0 = Sunday; yday 1..366
};

Fields fields_of(const Time& t) {
  int64_t local = t.epoch + t.offset;
  int64_t days = floor_div(local, 86400);
  int64_t secs = local - days * 86400;
  Fields f{};
  civil_from_days(days, f.year, f.month, f.day);
  f.hour = static_cast<int>(secs / 3600);
  f.minute = static_cast<int>(secs / 60 % 60);
  f.second = static_cast<int>(secs % 60);
  f.wday = timeutil::iso_weekday(days) % 7;
  f.yday = static_cast<int>(days - days_from_civil(f.year, 1, 1) + 1);
  return f;
}

// ISO 8601 week-based year and week number.
void iso_week(const Fields& f, int64_t& iso_year, int& week) {
  int wday_mon = (f.wday + 6) % 7;  // Monday = 0
  int64_t days = days_from_civil(f.year, f.month, f.day);
  int64_t thursday = days - wday_mon + 3;
  int64_t y;
  int m, d;
  civil_from_days(thursday, y, m, d);
  iso_year = y;
  week = static_cast<int>((thursday - days_from_civil(y, 1, 1)) / 7 + 1);
}

std::string pad(int64_t v, int width, char fill) {
  bool neg = v < 0;
  std::string digits = std::to_string(neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
  std::string out;
  int len = static_cast<int>(digits.size()) + (neg ? 1 : 0);
  if (fill == '0') {
    if (neg) out += '-';
    if (len < width) out.append(static_cast<size_t>(width - len), '0');
    out += digits;
  } else {
    if (len < width) out.append(static_cast<size_t>(width - len), ' ');
    if (neg) out += '-';
    out += digits;
  }
  return out;
}

std::string strftime(const Time& t, std::string_view fmt, int depth = 0) {
  Fields f = fields_of(t);
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    size_t start = i;
    ++i;
    // Flags and width.
    char padflag = 0;
    bool upper = false, swapcase = false;
    int colons = 0;
    while (i < fmt.size() && (fmt[i] == '-' || fmt[i] == '_' || fmt[i] == '0' || fmt[i] == '^' || fmt[i] == '#')) {
      if (fmt[i] == '^') upper = true;
      else if (fmt[i] == '#') swapcase = true;
      else padflag = fmt[i];
      ++i;
    }
    int width = -1;
    while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
      width = (width < 0 ? 0 : width) * 10 + (fmt[i] - '0');
      if (width > 1024) width = 1024;
      ++i;
    }
    while (i < fmt.size() && fmt[i] == ':') {
      ++colons;
      ++i;
    }
    if (i >= fmt.size()) {
      out.append(fmt.substr(start));
      break;
    }
    char c = fmt[i];
    auto number = [&](int64_t v, int def_width, char def_fill) {
      char fill = def_fill;
      int w = width >= 0 ? width : def_width;
      if (padflag == '-') w = 0;
      else if (padflag == '_') fill = ' ';
      else if (padflag == '0') fill = '0';
      return pad(v, w, fill);
    };
    auto text = [&](std::string s) {
      if (upper) {
        for (char& ch : s) ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
      } else if (swapcase) {
        bool all_upper = true;
        for (char ch : s) all_upper = all_upper && !(ch >= 'a' && ch <= 'z');
        for (char& ch : s) {
          if (all_upper) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
          else ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
        }
      }
      if (width > 0 && static_cast<int>(s.size()) < width) {
        s.insert(0, static_cast<size_t>(width) - s.size(), padflag == '0' ? '0' : ' ');
      }
      return s;
    };
    int h12 = f.hour % 12 == 0 ? 12 : f.hour % 12;
    switch (c) {
      case 'Y': out += number(f.year, f.year < 0 ? 5 : 4, '0'); break;
      case 'C': out += number(floor_div(f.year, 100), 2, '0'); break;
      case 'y': out += number(((f.year % 100) + 100) % 100, 2, '0'); break;
      case 'm': out += number(f.month, 2, '0'); break;
      case 'B': out += text(kMonths[f.month - 1]); break;
      case 'b':
      case 'h': out += text(std::string(kMonths[f.month - 1]).substr(0, 3)); break;
      case 'd': out += number(f.day, 2, '0'); break;
      case 'e': out += number(f.day, 2, ' '); break;
      case 'j': out += number(f.yday, 3, '0'); break;
      case 'H': out += number(f.hour, 2, '0'); break;
      case 'k': out += number(f.hour, 2, ' '); break;
      case 'I': out += number(h12, 2, '0'); break;
      case 'l': out += number(h12, 2, ' '); break;
      case 'P': out += text(f.hour < 12 ? "am" : "pm"); break;
      case 'p': {
        std::string s = f.hour < 12 ? "AM" : "PM";
        if (swapcase) s = f.hour < 12 ? "am" : "pm";
        swapcase = false;
        out += text(s);
        break;
      }
      case 'M': out += number(f.minute, 2, '0'); break;
      case 'S': out += number(f.second, 2, '0'); break;
      case 'L': {
        std::string ms = pad(t.nanos / 1000000, 3, '0');
        if (width > 3) ms.append(static_cast<size_t>(width - 3), '0');
        out += ms;
        break;
      }
      case 'N': {
        std::string ns = pad(t.nanos, 9, '0');
        if (width >= 0 && width < 9) ns.resize(static_cast<size_t>(width));
        else if (width > 9) ns.append(static_cast<size_t>(width - 9), '0');
        out += ns;
        break;
      }
      case 'z': {
        int off = t.offset;
        char sign = off < 0 ? '-' : '+';
        int a = off < 0 ? -off : off;
        std::string s(1, sign);
        s += pad(a / 3600, 2, '0');
        if (colons >= 1) s += ':';
        s += pad(a / 60 % 60, 2, '0');
        if (colons >= 2) {
          s += ':';
          s += pad(a % 60, 2, '0');
        }
        out += s;
        break;
      }
      case 'Z': out += text(t.utc ? "UTC" : ""); break;
      case 'A': out += text(kDaysOfWeek[f.wday]); break;
      case 'a': out += text(std::string(kDaysOfWeek[f.wday]).substr(0, 3)); break;
      case 'u': out += number(f.wday == 0 ? 7 : f.wday, 1, '0'); break;
      case 'w': out += number(f.wday, 1, '0'); break;
      case 'U': out += number((f.yday + 6 - f.wday) / 7, 2, '0'); break;
      case 'W': out += number((f.yday + 6 - (f.wday + 6) % 7) / 7, 2, '0'); break;
      case 'G':
      case 'g':
      case 'V': {
        int64_t iy;
        int wk;
        iso_week(f, iy, wk);
        if (c == 'G') out += number(iy, 4, '0');
        else if (c == 'g') out += number(((iy % 100) + 100) % 100, 2, '0');
        else out += number(wk, 2, '0');
        break;
      }
      case 's': out += number(t.epoch, 1, '0'); break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '%': out += text("%"); break;
      case 'c': out += depth < 2 ? text(strftime(t, "%a %b %e %H:%M:%S %Y", depth + 1)) : ""; break;
      case 'D':
      case 'x': out += depth < 2 ? text(strftime(t, "%m/%d/%y", depth + 1)) : ""; break;
      case 'F': out += depth < 2 ? text(strftime(t, "%Y-%m-%d", depth + 1)) : ""; break;
      case 'T':
      case 'X': out += depth < 2 ? text(strftime(t, "%H:%M:%S", depth + 1)) : ""; break;
      case 'R': out += depth < 2 ? text(strftime(t, "%H:%M", depth + 1)) : ""; break;
      case 'r': out += depth < 2 ? text(strftime(t, "%I:%M:%S %p", depth + 1)) : ""; break;
      case 'v': out += depth < 2 ? text(strftime(t, "%e-%^b-%Y", depth + 1)) : ""; break;
      default: out.append(fmt.substr(start, i - start + 1)); break;
    }
  }
  return out;
}

}  // namespace

Value date_filter(Renderer& r, const Value& input, const Value& format, const Value& zone) {
  std::string fmt = to_s(format);
  if (fmt.empty()) return input;
  Time t;
  if (!to_time(r, input, t, 0)) return input;
  std::string zone_name = zone.kind == Kind::Nil ? r.options().time_zone : to_s(zone);
  if (!zone_name.empty()) {
    auto z = TimeZone::named(zone_name);
    if (!z) fail("date: " + z.error().message);
    t.offset = z.value().offset_minutes_at(t.epoch * 1000) * 60;
    t.utc = t.offset == 0 && zone_name == "UTC";
  }
  return Value::str(strftime(t, fmt));
}

}  // namespace shopflow::liquid::detail
