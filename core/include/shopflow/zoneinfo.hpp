// The system's time zone database as the core's ZoneSource: date/tz reading the compiled zone
// files under /usr/share/zoneinfo (Debian's tzdata natively; in the browser, the copy the
// studio's data file puts there). Kept out of shopflow_core because it reads files; the runner,
// the studio and the tests link it (shopflow::zoneinfo) and install it at start-up:
//   shopflow::use_zone_source(&shopflow::system_zones());
#pragma once

#include "shopflow/time_zone.hpp"

namespace shopflow {

// The database, read when first asked; a folder that is missing or unreadable gives a database
// with no zones (every name is then unknown, which the bundle checker reports).
const ZoneSource& system_zones();

}  // namespace shopflow
