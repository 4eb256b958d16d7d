// ISO 8601 timestamps and durations, business days; civil-date arithmetic only. See timeutil.hpp.
#include "shopflow/timeutil.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace shopflow::timeutil {

namespace {

Error fail(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 60));
  if (text.size() > 60) shown += "...";
  return Error{"\"" + shown + "\" " + why, "", 0, 0};
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `*i`.
bool fixed(std::string_view s, size_t* i, int n, int* out) {
  if (*i + static_cast<size_t>(n) > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[*i + static_cast<size_t>(k)];
    if (!digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *i += static_cast<size_t>(n);
  *out = v;
  return true;
}

std::string two(int v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

bool in_range(Millis ms) { return ms >= kMinMillis && ms <= kMaxMillis; }

Error out_of_range() { return Error{"the time falls outside the years 0000 to 9999", "", 0, 0}; }

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                                        // [0, 399]
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                // [0, 146096]
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;                                   // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);      // [1, 31]
  const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);         // [1, 12]
  *year = yoe + era * 400 + (m <= 2);
  *month = m;
  *day = d;
}

int iso_weekday(std::int64_t days) {
  std::int64_t w = days % 7;
  if (w < 0) w += 7;  // 0 = Thursday
  return static_cast<int>((w + 3) % 7) + 1;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  static const unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[(month - 1) % 12];
}

std::int64_t floor_days(Millis ms) {
  std::int64_t d = ms / kMillisPerDay;
  if (ms % kMillisPerDay < 0) --d;
  return d;
}

Result<Timestamp> parse_timestamp(std::string_view s, TimestampForm form) {
  const bool rfc = form == TimestampForm::Rfc3339;
  // Each complaint quotes the text and names the part that is wrong.
  auto bad = [&](const std::string& why) { return fail(s, rfc ? "is not a date-time: it " + why : why); };
  size_t i = 0;
  int y, mo, d;
  if (!fixed(s, &i, 4, &y) || i >= s.size() || s[i++] != '-' || !fixed(s, &i, 2, &mo) || i >= s.size() ||
      s[i++] != '-' || !fixed(s, &i, 2, &d)) {
    return fail(s, rfc ? "is not a date-time; write it like 2026-03-01T09:30:00Z or 2026-03-01T11:30:00+02:00"
                       : "is not a timestamp; write it as 2026-03-01T09:30:00Z or 2026-03-01T11:30:00+02:00");
  }
  if (mo < 1 || mo > 12) return bad("has month " + std::to_string(mo) + "; months are 01 to 12");
  if (d < 1 || static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(mo))) {
    return bad("has day " + std::to_string(d) + ", which month " + two(mo) + " of " + std::to_string(y) +
               " does not have");
  }
  Millis ms = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kMillisPerDay;
  int offset = 0;
  if (i >= s.size() && rfc) return bad("has no time of day; write the date and time with an offset, like 2026-03-01T09:30:00Z");
  if (i < s.size()) {
    char sep = s[i];
    if (sep != 'T' && sep != 't' && sep != ' ') {
      return bad("has '" + std::string(1, sep) + "' after the date; put 'T' between date and time");
    }
    ++i;
    int h, mi, sec = 0;
    if (!fixed(s, &i, 2, &h) || i >= s.size() || s[i++] != ':' || !fixed(s, &i, 2, &mi)) {
      return bad("has no time of day after the 'T'; write hours and minutes as 09:30");
    }
    if (h > 23) return bad("has hour " + std::to_string(h) + "; hours are 00 to 23");
    if (mi > 59) return bad("has minute " + std::to_string(mi) + "; minutes are 00 to 59");
    Millis frac = 0;
    if (rfc && (i >= s.size() || s[i] != ':')) return bad("has no seconds; write the time as 09:30:00");
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!fixed(s, &i, 2, &sec)) return bad("has a ':' after the minutes but no two-digit seconds");
      // RFC 3339 allows a leap second; it counts as the last second of its minute.
      if (rfc && sec == 60) sec = 59;
      if (sec > 59) return bad("has second " + std::to_string(sec) + "; seconds are 00 to 59");
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int n = 0;
        for (; i < s.size() && digit(s[i]); ++i, ++n) {
          if (n < 3) frac = frac * 10 + (s[i] - '0');
        }
        if (n == 0) return bad("has a '.' after the seconds but no digits");
        for (int k = n; k < 3; ++k) frac *= 10;
      }
    }
    ms += h * kMillisPerHour + mi * kMillisPerMinute + sec * kMillisPerSecond + frac;
    if (i >= s.size() && rfc) return bad("has no offset; end it with Z or an offset such as +02:00");
    if (i < s.size()) {
      char z = s[i];
      if (z == 'Z' || z == 'z') {
        ++i;
      } else if (z == '+' || z == '-') {
        ++i;
        int oh, om = 0;
        if (!fixed(s, &i, 2, &oh)) return bad("has an offset without two-digit hours; write +02:00");
        if (i < s.size() && s[i] == ':') {
          ++i;
          if (!fixed(s, &i, 2, &om)) return bad("has an offset without two-digit minutes; write +02:00");
        } else if (rfc) {
          return bad("has an offset without ':' between hours and minutes; write +02:00");
        } else if (i < s.size() && digit(s[i])) {
          if (!fixed(s, &i, 2, &om)) return bad("has an offset without two-digit minutes; write +02:00");
        }
        if (oh > 23 || om > 59) return bad("has an offset beyond 23:59");
        offset = (oh * 60 + om) * (z == '-' ? -1 : 1);
      } else {
        return bad("has '" + std::string(1, z) + "' after the time; end it with Z or an offset such as +02:00");
      }
    }
  }
  if (i != s.size()) return bad("has extra text after the " + std::string(rfc ? "offset" : "timestamp"));
  ms -= static_cast<Millis>(offset) * kMillisPerMinute;
  if (!in_range(ms)) return out_of_range();
  return Timestamp{ms, offset};
}

std::string format_timestamp(Millis ms, int offset_minutes) {
  Millis local = ms + static_cast<Millis>(offset_minutes) * kMillisPerMinute;
  std::int64_t days = floor_days(local);
  Millis rest = local - days * kMillisPerDay;
  std::int64_t y;
  unsigned mo, d;
  civil_from_days(days, &y, &mo, &d);
  char buf[64];
  int h = static_cast<int>(rest / kMillisPerHour);
  int mi = static_cast<int>(rest / kMillisPerMinute % 60);
  int sec = static_cast<int>(rest / kMillisPerSecond % 60);
  int milli = static_cast<int>(rest % 1000);
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), mo, d, h, mi, sec);
  std::string out = buf;
  if (milli != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", milli);
    out += buf;
  }
  if (offset_minutes == 0) {
    out += 'Z';
  } else {
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    out += offset_minutes < 0 ? '-' : '+';
    out += two(a / 60) + ":" + two(a % 60);
  }
  return out;
}

Result<Duration> parse_duration(std::string_view s) {
  const std::string why =
      "is not a duration; write it as an ISO 8601 duration, such as PT4H, PT30M, P1D or P1DT12H";
  size_t i = 0;
  int sign = 1;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    sign = s[i] == '-' ? -1 : 1;
    ++i;
  }
  if (i >= s.size() || (s[i] != 'P' && s[i] != 'p')) return fail(s, why);
  ++i;
  Duration out;
  bool time = false, any = false;
  // Units in the order ISO 8601 writes them; each appears at most once.
  const char* date_units = "YMWD";
  const char* time_units = "HMS";
  int next_date = 0, next_time = 0;
  constexpr std::int64_t kLimit = 1'000'000'000;  // per component; keeps every product in range
  while (i < s.size()) {
    if (s[i] == 'T' || s[i] == 't') {
      if (time) return fail(s, why);
      time = true;
      ++i;
      if (i >= s.size()) return fail(s, "has a 'T' with no hours, minutes or seconds after it");
      continue;
    }
    std::int64_t whole = 0, frac = 0, scale = 1;
    bool digits = false, point = false;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (digit(c)) {
        digits = true;
        if (!point) {
          whole = whole * 10 + (c - '0');
          if (whole > kLimit) return fail(s, "has a number too large");
        } else if (scale < 1'000'000'000) {
          frac = frac * 10 + (c - '0');
          scale *= 10;
        }
      } else if ((c == '.' || c == ',') && !point) {
        point = true;
      } else {
        break;
      }
    }
    if (!digits || i >= s.size()) return fail(s, why);
    char unit = static_cast<char>(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    ++i;
    const char* units = time ? time_units : date_units;
    int& next = time ? next_time : next_date;
    int pos = -1;
    for (int k = next; units[k] != '\0'; ++k) {
      if (units[k] == unit) {
        pos = k;
        break;
      }
    }
    if (pos < 0) {
      if (!time && (unit == 'H' || unit == 'S')) return fail(s, "needs a 'T' before hours, minutes or seconds (PT4H)");
      return fail(s, why);
    }
    next = pos + 1;
    if (point && !time && unit != 'D') return fail(s, "has a fraction on years, months or weeks, which vary in length");
    if (point && i != s.size()) return fail(s, "has a fraction on a part that is not the last one");
    any = true;
    if (!time) {
      if (unit == 'Y') out.months += whole * 12;
      if (unit == 'M') out.months += whole;
      if (unit == 'W') out.days += whole * 7;
      if (unit == 'D') {
        out.days += whole;
        out.millis += frac * kMillisPerDay / scale;
      }
    } else {
      Millis u = unit == 'H' ? kMillisPerHour : unit == 'M' ? kMillisPerMinute : kMillisPerSecond;
      out.millis += whole * u + frac * u / scale;
    }
  }
  if (!any) return fail(s, why);
  out.months *= sign;
  out.days *= sign;
  out.millis *= sign;
  return out;
}

std::string format_duration(const Duration& d) {
  bool negative = d.months <= 0 && d.days <= 0 && d.millis <= 0 && (d.months || d.days || d.millis);
  int k = negative ? -1 : 1;
  std::int64_t months = d.months * k, days = d.days * k;
  Millis millis = d.millis * k;
  std::string out = negative ? "-P" : "P";
  if (months / 12) out += std::to_string(months / 12) + "Y";
  if (months % 12) out += std::to_string(months % 12) + "M";
  if (days) out += std::to_string(days) + "D";
  if (millis) {
    out += "T";
    Millis h = millis / kMillisPerHour, m = millis / kMillisPerMinute % 60;
    Millis sec = millis / kMillisPerSecond % 60, ms = millis % 1000;
    if (h) out += std::to_string(h) + "H";
    if (m) out += std::to_string(m) + "M";
    if (sec || ms) {
      out += std::to_string(sec);
      if (ms) {
        char buf[8];
        std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ms < 0 ? -ms : ms));
        std::string f = buf;
        while (f.back() == '0') f.pop_back();
        out += f;
      }
      out += "S";
    }
  }
  if (out == "P" || out == "-P") out = "PT0S";
  return out;
}

Result<Millis> duration_millis(const Duration& d) {
  if (d.has_months()) {
    return Error{"the duration " + format_duration(d) + " has months or years, whose length varies; use days",
                 "", 0, 0};
  }
  Millis days_ms, total;
  if (__builtin_mul_overflow(d.days, kMillisPerDay, &days_ms) || __builtin_add_overflow(days_ms, d.millis, &total)) {
    return Error{"the duration is too long", "", 0, 0};
  }
  return total;
}

Result<Timestamp> add_duration(const Timestamp& t, const Duration& d) {
  Millis local = t.ms + static_cast<Millis>(t.offset_minutes) * kMillisPerMinute;
  std::int64_t days = floor_days(local);
  Millis in_day = local - days * kMillisPerDay;
  if (d.months != 0) {
    std::int64_t y;
    unsigned m, dd;
    civil_from_days(days, &y, &m, &dd);
    if (d.months > 200000 || d.months < -200000) return out_of_range();
    std::int64_t total = y * 12 + (m - 1) + d.months;
    std::int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
    unsigned nm = static_cast<unsigned>(total - ny * 12) + 1;
    if (ny < -1 || ny > 10000) return out_of_range();
    unsigned dim = days_in_month(ny, nm);
    days = days_from_civil(ny, nm, dd > dim ? dim : dd);
  }
  if (d.days > 5'000'000 || d.days < -5'000'000) return out_of_range();
  days += d.days;
  Millis out = days * kMillisPerDay + in_day;
  if (__builtin_add_overflow(out, d.millis, &out)) return out_of_range();
  out -= static_cast<Millis>(t.offset_minutes) * kMillisPerMinute;
  if (!in_range(out)) return out_of_range();
  return Timestamp{out, t.offset_minutes};
}

Result<Timestamp> add_business_days(const Timestamp& t, std::int64_t n) {
  if (n == 0) return t;
  if (n > 4'000'000 || n < -4'000'000) return out_of_range();
  Millis local = t.ms + static_cast<Millis>(t.offset_minutes) * kMillisPerMinute;
  std::int64_t days = floor_days(local);
  Millis in_day = local - days * kMillisPerDay;
  int w = iso_weekday(days);
  if (n > 0) {
    // From a weekend, count as if from the Friday before: +1 then lands on Monday.
    if (w > 5) {
      days -= w - 5;
      w = 5;
    }
    std::int64_t weeks = n / 5, rest = n % 5;
    days += weeks * 7 + rest + (w + rest > 5 ? 2 : 0);
  } else {
    std::int64_t k = -n;
    // From a weekend, count as if from the Monday after: -1 then lands on Friday.
    if (w > 5) {
      days += 8 - w;
      w = 1;
    }
    std::int64_t weeks = k / 5, rest = k % 5;
    days -= weeks * 7 + rest + (w - rest < 1 ? 2 : 0);
  }
  Millis out = days * kMillisPerDay + in_day - static_cast<Millis>(t.offset_minutes) * kMillisPerMinute;
  if (!in_range(out)) return out_of_range();
  return Timestamp{out, t.offset_minutes};
}

Result<Timestamp> add_business_days(const Timestamp& t, std::int64_t n, const std::vector<std::int64_t>& holidays) {
  if (holidays.empty()) return add_business_days(t, n);
  if (n == 0) return t;
  if (n > 3660 || n < -3660) {
    return Error{"business days with holidays count at most 3660 days either way", "", 0, 0};
  }
  std::vector<std::int64_t> off(holidays);
  std::sort(off.begin(), off.end());
  Millis local = t.ms + static_cast<Millis>(t.offset_minutes) * kMillisPerMinute;
  std::int64_t days = floor_days(local);
  Millis in_day = local - days * kMillisPerDay;
  // Day by day: each weekday that is not a holiday counts one.
  const std::int64_t step = n > 0 ? 1 : -1;
  for (std::int64_t left = n > 0 ? n : -n; left > 0;) {
    days += step;
    if (iso_weekday(days) <= 5 && !std::binary_search(off.begin(), off.end(), days)) --left;
  }
  Millis out = days * kMillisPerDay + in_day - static_cast<Millis>(t.offset_minutes) * kMillisPerMinute;
  if (!in_range(out)) return out_of_range();
  return Timestamp{out, t.offset_minutes};
}

}  // namespace shopflow::timeutil
