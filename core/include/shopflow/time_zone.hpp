// Named time zones (IANA names such as "Europe/Berlin") and fixed UTC offsets, for everything a
// bundle says in local time: schedules, and the store's zone a bundle names in `time_zone`.
//
// The rules are the system's time zone database read by Howard Hinnant's date/tz, never rules
// of our own. The core reads no files: a front end hands it the database through the
// ZoneSource port once, at start-up (the runner from /usr/share/zoneinfo, the studio from the
// zone files its data file carries), so the same names give the same instants natively and in
// WebAssembly. Used by cron.hpp, the bundle checker and the engine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/result.hpp"

namespace date {
class time_zone;
}

namespace shopflow {

// The port through which the zone database reaches the core.
class ZoneSource {
 public:
  virtual ~ZoneSource() = default;
  // The zone called `name` (exact spelling), with its rules loaded so that asking it about any
  // instant reads nothing more; nullptr when the database has no such zone.
  virtual const date::time_zone* find(std::string_view name) const = 0;
  // Every zone name the database holds, sorted.
  virtual const std::vector<std::string>& names() const = 0;
};

// Makes `source` the zone database of every later TimeZone::named call. `source` must outlive
// them; nullptr removes it (then every name is unknown).
void use_zone_source(const ZoneSource* source);

// A zone's wall clock: a named zone with daylight saving, or a fixed offset from UTC.
class TimeZone {
 public:
  // UTC.
  TimeZone() = default;

  // The zone called `name` in the installed database. Fails with a sentence naming the nearest
  // valid names ("unknown time zone \"Europe/Berln\"; did you mean Europe/Berlin?").
  static Result<TimeZone> named(std::string_view name);

  // A fixed offset, in minutes east of UTC (+60 for "+01:00").
  static TimeZone fixed(int offset_minutes);

  // "Europe/Berlin", "+01:00", or "UTC".
  const std::string& name() const { return name_; }

  // Minutes east of UTC in effect at `utc`.
  int offset_minutes_at(Millis utc) const;

  // The wall-clock time at `utc`, as milliseconds since 1970-01-01T00:00 on the local clock.
  Millis to_local(Millis utc) const { return utc + static_cast<Millis>(offset_minutes_at(utc)) * 60000; }

  // The instant at which the wall clock shows `local`. A local time skipped by a change to
  // daylight saving gives the first valid instant after it (the change itself); a local time
  // shown twice by the change back gives its first occurrence.
  Millis from_local(Millis local) const;

  // The names in the installed database nearest to `name`, best first, at most `count`.
  static std::vector<std::string> nearest_names(std::string_view name, std::size_t count = 3);

 private:
  const date::time_zone* zone_ = nullptr;  // nullptr: the fixed offset
  int fixed_minutes_ = 0;
  std::string name_ = "UTC";
};

}  // namespace shopflow
