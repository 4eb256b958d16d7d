// RFC 3339 instants and ISO 8601 durations in milliseconds; reading them and the calendar are
// timeutil's, this file only narrows them to what the engine's times allow.
#include "shopflow/instant.hpp"

#include <cstdio>
#include <cstring>

#include "shopflow/timeutil.hpp"

namespace shopflow {

Result<Millis> parse_instant(std::string_view text) {
  auto t = timeutil::parse_timestamp(text, timeutil::TimestampForm::Rfc3339);
  if (!t) return t.error();
  return t.value().ms;
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

Result<Millis> parse_duration(std::string_view text) {
  auto d = timeutil::parse_duration(text);
  if (!d) return d.error();
  auto bad = [&](const char* why) {
    std::string msg = "\"";
    msg.append(text.substr(0, 60)).append("\" is not a duration here: ").append(why);
    return Error{std::move(msg), "", 0, 0};
  };
  const timeutil::Duration& v = d.value();
  if (v.has_months()) return bad("years and months have no fixed length; use days, such as P30D");
  if (v.days < 0 || v.millis < 0) return bad("it is negative; write it without the '-'");
  auto ms = timeutil::duration_millis(v);
  constexpr Millis kLongest = 3'200'000'000'000;  // a little over a century
  if (!ms || ms.value() > kLongest) return bad("it is longer than 100 years");
  return ms.value();
}

}  // namespace shopflow
