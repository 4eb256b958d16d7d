// system_zones(): date/tz's own database (built with USE_OS_TZDB), each zone loaded before the
// core sees it so that the core's questions never read a file.
#include "shopflow/zoneinfo.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include <date/tz.h>

namespace shopflow {

namespace {

class SystemZones final : public ZoneSource {
 public:
  SystemZones() {
    try {
      db_ = &date::get_tzdb();
      for (const date::time_zone& z : db_->zones) {
        // "localtime" is the machine's own zone, not a name a bundle can rely on.
        if (z.name() != "localtime") names_.push_back(z.name());
      }
    } catch (const std::exception&) {
      db_ = nullptr;
    }
  }

  const date::time_zone* find(std::string_view name) const override {
    if (!db_ || !std::binary_search(names_.begin(), names_.end(), name)) return nullptr;
    auto it = std::lower_bound(db_->zones.begin(), db_->zones.end(), name,
                               [](const date::time_zone& z, std::string_view n) { return z.name() < n; });
    if (it == db_->zones.end() || it->name() != name) return nullptr;
    try {
      // date/tz reads a zone's file when first asked about an instant.
      (void)it->get_info(date::sys_days{});
    } catch (const std::exception&) {
      return nullptr;
    }
    return &*it;
  }

  const std::vector<std::string>& names() const override { return names_; }

 private:
  const date::tzdb* db_ = nullptr;
  std::vector<std::string> names_;
};

}  // namespace

const ZoneSource& system_zones() {
  static const SystemZones zones;
  return zones;
}

}  // namespace shopflow
