// RFC 3339 instants and ISO 8601 durations; the calendar arithmetic is timeutil's.
#include "shopflow/instant.hpp"

#include <cstdio>
#include <cstring>

#include "shopflow/timeutil.hpp"

namespace shopflow {

namespace {

bool digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Error bad_instant(std::string_view text, const char* why) {
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
  std::string msg = "\"";
  msg.append(text.substr(0, 64)).append("\" is not a date-time (").append(why);
  msg += "); write it like 2026-03-01T09:30:00Z or 2026-03-01T11:30:00+02:00";
  return Error{std::move(msg), "", 0, 0};
}

}  // namespace

Result<Millis> parse_instant(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d))
    return bad_instant(s, "the date must be YYYY-MM-DD");
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return bad_instant(s, "a 'T' must separate date and time");
  if (!digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &se))
    return bad_instant(s, "the time must be HH:MM:SS");
  if (mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > timeutil::days_in_month(y, static_cast<unsigned>(mo)))
    return bad_instant(s, "no such day");
  if (h > 23 || mi > 59 || se > 60) return bad_instant(s, "no such time of day");
  if (se == 60) se = 59;  // a leap second counts as the last second of its minute
  size_t i = 19;
  int ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return bad_instant(s, "a '.' must be followed by digits");
  }
  if (i >= s.size()) return bad_instant(s, "the offset is missing: end with Z or +HH:MM");
  int offset_min = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int oh, om;
    if (!digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, &om))
      return bad_instant(s, "the offset must be Z or +HH:MM");
    if (oh > 23 || om > 59) return bad_instant(s, "the offset is out of range");
    offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad_instant(s, "the offset must be Z or +HH:MM");
  }
  if (i != s.size()) return bad_instant(s, "unexpected text after the offset");
  std::int64_t days = timeutil::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
  return Millis{secs * 1000 + ms};
}

void append_instant(std::string& out, Millis ms) {
  // The records of one moment come together (a run's steps, its effects, its row): the text of
  // the last instant written is kept for the next.
  struct Last {
    Millis ms = 0;
    size_t n = 0;  // 0: none yet
    char text[24];
  };
  thread_local Last last;
  if (last.n != 0 && last.ms == ms) {
    out.append(last.text, last.n);
    return;
  }
  std::int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int frac = static_cast<int>(ms - secs * 1000);
  std::int64_t days = timeutil::floor_days(ms);
  std::int64_t rem = secs - days * 86400;
  std::int64_t y;
  unsigned m, d;
  timeutil::civil_from_days(days, &y, &m, &d);
  const int h = static_cast<int>(rem / 3600), mi = static_cast<int>(rem / 60 % 60), s = static_cast<int>(rem % 60);
  if (y < 0 || y > 9999) {
    char buf[48];
    if (frac != 0) {
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d, h, mi, s,
                    frac);
    } else {
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d, h, mi, s);
    }
    out += buf;
    return;
  }
  // The common case digit by digit: traces and step records format a time for every record.
  char buf[24] = "0000-00-00T00:00:00";
  auto put = [&buf](size_t at, unsigned v, size_t width) {
    for (size_t i = width; i-- > 0; v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(y), 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, static_cast<unsigned>(h), 2);
  put(14, static_cast<unsigned>(mi), 2);
  put(17, static_cast<unsigned>(s), 2);
  size_t n = 19;
  if (frac != 0) {
    buf[n] = '.';
    put(n + 1, static_cast<unsigned>(frac), 3);
    n += 4;
  }
  buf[n++] = 'Z';
  out.append(buf, n);
  last.ms = ms;
  last.n = n;
  std::memcpy(last.text, buf, n);
}

std::string format_instant(Millis ms) {
  std::string out;
  append_instant(out, ms);
  return out;
}

Result<Millis> parse_duration(std::string_view s) {
  auto bad = [&](const char* why) {
    std::string msg = "\"";
    msg.append(s.substr(0, 64)).append("\" is not a duration (").append(why);
    msg += "); write it like PT4H, PT30M, P1D or P1DT12H";
    return Error{std::move(msg), "", 0, 0};
  };
  if (s.size() < 3 || s[0] != 'P') return bad("it must start with P");
  bool in_time = false, any = false;
  double total = 0;
  size_t i = 1;
  while (i < s.size()) {
    if (s[i] == 'T') {
      if (in_time) return bad("T appears twice");
      in_time = true;
      ++i;
      continue;
    }
    size_t start = i;
    double v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      double scale = 0.1;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        v += (s[i++] - '0') * scale;
        scale /= 10;
      }
    }
    if (i == start || i >= s.size()) return bad("each number needs a unit");
    char unit = s[i++];
    double ms_per = 0;
    if (!in_time) {
      if (unit == 'D') ms_per = 86400e3;
      else if (unit == 'W') ms_per = 7 * 86400e3;
      else if (unit == 'Y' || unit == 'M') return bad("years and months have no fixed length; use days");
      else return bad("unknown unit before T");
    } else {
      if (unit == 'H') ms_per = 3600e3;
      else if (unit == 'M') ms_per = 60e3;
      else if (unit == 'S') ms_per = 1e3;
      else return bad("unknown unit after T");
    }
    total += v * ms_per;
    any = true;
  }
  if (!any) return bad("no amount given");
  if (total > 3.2e12) return bad("longer than 100 years");
  return static_cast<Millis>(total + 0.5);
}

}  // namespace shopflow
