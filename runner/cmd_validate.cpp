// `shopflow validate [--strict] FILE`: checks a bundle and prints every problem and warning.
// Exit codes: 0 valid, 1 problems found (or warnings, with --strict), 2 the file could not be
// read or is not JSON.
#include <cstdio>
#include <string>

#include "cli_util.hpp"
#include "commands.hpp"
#include "shopflow/bundle.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow validate [--strict] BUNDLE.json\n"
    "\n"
    "Checks a bundle (format shopflow.bundle/1) and prints OK, or every problem found, one per\n"
    "line, each beginning with the JSON Pointer of the offending value. Warnings (a template or\n"
    "rule reads a field that no sample event of its type has) are printed too, marked warning.\n"
    "BUNDLE may be - to read standard input.\n"
    "\n"
    "  --strict   warnings are problems\n"
    "\n"
    "Exit status: 0 valid, 1 problems found, 2 unreadable file or not JSON.\n";

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
    return 0;
  }
  std::fprintf(stderr, "%s: %zu problem%s%s\n", path.c_str(), problems, problems == 1 ? "" : "s",
               warnings == 0 ? "" : (", " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s")).c_str());
  return 1;
}

}  // namespace shopflow::cli
