// `shopflow validate [--strict] FILE`: checks a bundle and prints every problem and warning.
// Exit codes: 0 valid, 1 problems found (or warnings, with --strict), 2 the file could not be
// read or is not JSON.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/time_zone.hpp"
#include "shopflow/zoneinfo.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow validate [--strict] BUNDLE.json\n"
    "\n"
    "Checks a bundle (format shopflow.bundle/1) and prints OK, or every problem found, one per\n"
    "line, each beginning with the JSON Pointer of the offending value. Warnings (a template or\n"
    "rule reads a field that no sample event of its type has) are printed too, marked warning.\n"
    "A valid bundle may get hints on standard error (a schedule on a fixed UTC offset, which\n"
    "ignores daylight saving).\n"
    "BUNDLE may be - to read standard input.\n"
    "\n"
    "  --strict   warnings are problems\n"
    "\n"
    "Exit status: 0 valid, 1 problems found, 2 unreadable file or not JSON.\n";

// Up to three zone names whose clocks show `offset_minutes` in January (winter in the north),
// the continents where stores are most often first.
std::vector<std::string> zones_at(int offset_minutes) {
  const Millis january = 1767225600000;  // 2026-01-01T00:00:00Z
  static const char* const kOrder[] = {"Europe/", "America/", "Asia/", "Australia/", "Africa/", "Pacific/"};
  std::vector<std::string> out;
  for (const char* prefix : kOrder) {
    for (const std::string& name : system_zones().names()) {
      if (out.size() == 3) return out;
      if (name.rfind(prefix, 0) != 0) continue;
      auto z = TimeZone::named(name);
      if (z && z.value().offset_minutes_at(january) == offset_minutes) out.push_back(name);
    }
  }
  return out;
}

// A schedule on a fixed offset runs an hour off for half the year wherever clocks change.
void print_zone_hints(const Bundle& bundle) {
  for (std::size_t i = 0; i < bundle.workflows.size(); ++i) {
    const Trigger& t = bundle.workflows[i].trigger;
    if (t.utc_offset.empty() || !t.cron) continue;
    std::string hint = "hint: /workflows/" + std::to_string(i) + "/trigger/utc_offset: \"" + t.utc_offset +
                       "\" is fixed all year (no daylight saving); name the store's zone with \"time_zone\" "
                       "on the bundle or the schedule instead";
    auto zones = zones_at(t.cron->zone().offset_minutes_at(0));
    if (!zones.empty()) {
      hint += "; zones at " + t.utc_offset + " in January include ";
      for (std::size_t k = 0; k < zones.size(); ++k) hint += (k ? ", " : "") + zones[k];
    }
    std::fprintf(stderr, "%s\n", hint.c_str());
  }
}

}  // namespace

int cmd_validate(int argc, char** argv) {
  std::string path;
  bool strict = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--strict") {
      strict = true;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow validate: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
    if (!path.empty()) {
      std::fprintf(stderr, "shopflow validate: one bundle at a time (got %s and %s)\n", path.c_str(), arg.c_str());
      return 2;
    }
    path = arg;
  }
  if (path.empty()) {
    std::fprintf(stderr, "shopflow validate: which bundle? \n\n%s", kUsage);
    return 2;
  }
  auto loaded = read_bundle(path);
  if (!loaded) return 2;
  const BundleCheck& check = loaded.value();
  auto line = [](const Problem& p, const char* mark) {
    std::printf("%s: %s%s\n", p.pointer.empty() ? "(root)" : p.pointer.c_str(), mark, p.message.c_str());
  };
  for (const Problem& p : check.problems) line(p, "");
  for (const Problem& p : check.warnings) line(p, strict ? "" : "warning: ");
  size_t problems = check.problems.size() + (strict ? check.warnings.size() : 0);
  size_t warnings = strict ? 0 : check.warnings.size();
  if (problems == 0) {
    std::puts(warnings == 0 ? "OK" : "OK, with warnings");
    if (warnings > 0) std::fprintf(stderr, "%s: %zu warning%s\n", path.c_str(), warnings, warnings == 1 ? "" : "s");
    print_zone_hints(check.bundle);
    return 0;
  }
  std::fprintf(stderr, "%s: %zu problem%s%s\n", path.c_str(), problems, problems == 1 ? "" : "s",
               warnings == 0 ? "" : (", " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s")).c_str());
  return 1;
}

}  // namespace shopflow::cli
