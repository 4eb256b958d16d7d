// `shopflow validate FILE`: checks a bundle and prints every problem.
// Exit codes: 0 valid, 1 problems found, 2 the file could not be read or is not JSON.
#include <cstdio>
#include <string>

#include "cli_util.hpp"
#include "commands.hpp"
#include "shopflow/bundle.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow validate BUNDLE.json\n"
    "\n"
    "Checks a bundle (format shopflow.bundle/1) and prints OK, or every problem found, one per\n"
    "line, each beginning with the JSON Pointer of the offending value.\n"
    "BUNDLE may be - to read standard input.\n"
    "\n"
    "Exit status: 0 valid, 1 problems found, 2 unreadable file or not JSON.\n";

}  // namespace

int cmd_validate(int argc, char** argv) {
  std::string path;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
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
  if (check.ok()) {
    std::puts("OK");
    return 0;
  }
  for (const Problem& p : check.problems) {
    std::printf("%s: %s\n", p.pointer.empty() ? "(root)" : p.pointer.c_str(), p.message.c_str());
  }
  std::fprintf(stderr, "%s: %zu problem%s\n", path.c_str(), check.problems.size(),
               check.problems.size() == 1 ? "" : "s");
  return 1;
}

}  // namespace shopflow::cli
