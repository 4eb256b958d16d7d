// `shopflow simulate BUNDLE [--events FILE.jsonl] [--from TIME] [--until TIME] [--trace OUT.json]`:
// runs a bundle over events on a simulated clock (the core's simulate()) and prints a summary.
// Exit codes: 0 simulated, 1 the bundle has problems, 2 unreadable input or bad usage.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.hpp"
#include "commands.hpp"
#include "read_ahead.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/simulator.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow simulate BUNDLE.json [--events FILE.jsonl] [--from TIME] [--until TIME] [--trace OUT.json]\n"
    "\n"
    "Runs the bundle's workflows over events on a simulated clock that jumps from event to event\n"
    "and timer to timer, answering http.request from the bundle's mocks, and prints runs by\n"
    "workflow and status and effects by type.\n"
    "\n"
    "  --events FILE   events as JSON Lines, one {\"id\", \"type\", \"time\", \"data\"} per line\n"
    "                  (default: the bundle's samples.events); - reads standard input\n"
    "  --from TIME     start of the simulated clock (default: the first event's time)\n"
    "  --until TIME    end of the simulated clock (default: 7 days after the last event)\n"
    "  --trace FILE    write the whole trace (runs, steps with verdicts, effects, tables) as JSON\n"
    "  --hash          print only the trace hash\n"
    "TIME is RFC 3339, e.g. 2026-03-01T09:00:00Z.\n"
    "\n"
    "Exit status: 0 simulated, 1 the bundle has problems, 2 unreadable input or bad usage.\n";

}  // namespace

int cmd_simulate(int argc, char** argv) {
  std::string path, events_path, trace_path;
  SimOptions opts;
  bool hash_only = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shopflow simulate: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--events" || arg == "--trace" || arg == "--until" || arg == "--from") {
      const char* v = value(arg.c_str());
      if (!v) return 2;
      if (arg == "--events") {
        events_path = v;
      } else if (arg == "--trace") {
        trace_path = v;
      } else {
        auto t = parse_instant(v);
        if (!t) {
          std::fprintf(stderr, "shopflow simulate: %s: %s\n", arg.c_str(), t.error().message.c_str());
          return 2;
        }
        (arg == "--until" ? opts.until : opts.from) = t.value();
      }
    } else if (arg == "--hash") {
      hash_only = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow simulate: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::fprintf(stderr, "shopflow simulate: one bundle at a time (got %s and %s)\n", path.c_str(), arg.c_str());
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "shopflow simulate: which bundle?\n\n%s", kUsage);
    return 2;
  }
  auto loaded = read_bundle(path);
  if (!loaded) return 2;
  if (!loaded.value().ok()) {
    for (const Problem& p : loaded.value().problems) std::fprintf(stderr, "%s: %s\n", path.c_str(), p.to_string().c_str());
    std::fprintf(stderr, "shopflow simulate: the bundle has problems; fix them first (shopflow validate %s)\n",
                 path.c_str());
    return 1;
  }
  const Bundle& bundle = loaded.value().bundle;
  std::optional<std::string> ev_text;
  if (!events_path.empty()) {
    ev_text = read_input(events_path);
    if (!ev_text) return 2;
  } else if (bundle.sample_events.empty()) {
    std::fprintf(stderr, "shopflow simulate: the bundle has no samples.events; give events with --events FILE.jsonl\n");
  }
  // The trace goes to a file beside its own as it is built (opened first, so that a path that
  // cannot be written fails before the simulation, not after), which takes its name once the
  // trace is complete: a simulation that fails leaves an older trace there as it was. A path
  // that is not a regular file (/dev/stdout, a pipe) is written directly. Without --trace only
  // the trace's hash is kept.
  opts.document = false;
  std::FILE* out = nullptr;
  std::string write_path = trace_path;
  if (!trace_path.empty()) {
    struct stat st;
    if (::stat(trace_path.c_str(), &st) != 0 || S_ISREG(st.st_mode))
      write_path = trace_path + ".partial-" + std::to_string(::getpid());
    out = std::fopen(write_path.c_str(), "wb");
    if (!out) {
      std::fprintf(stderr, "shopflow simulate: cannot write %s: %s\n", trace_path.c_str(), std::strerror(errno));
      return 2;
    }
    std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
    opts.write_text = [out](std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), out); };
  } else {
    opts.write_text = [](std::string_view) {};
  }
  // Events from a file are read while the first of them are simulated, and used up (their data
  // moves into the runs).
  bool bad_events = false;
  auto trace = ev_text ? simulate_reading_ahead(bundle, *ev_text, opts, &bad_events)
                       : simulate(bundle, bundle.sample_events, opts);
  if (bad_events) {
    if (out) {
      std::fclose(out);
      if (write_path != trace_path) std::remove(write_path.c_str());
    }
    std::fprintf(stderr, "%s: %s\n", events_path.c_str(), trace.error().to_string().c_str());
    return 2;
  }
  if (out) {
    bool written = trace && std::fputc('\n', out) != EOF && std::fflush(out) == 0 && !std::ferror(out);
    int write_errno = errno;
    if (std::fclose(out) != 0 && written) {
      written = false;
      write_errno = errno;
    }
    if (written && write_path != trace_path && std::rename(write_path.c_str(), trace_path.c_str()) != 0) {
      written = false;
      write_errno = errno;
    }
    if (!written) {
      // No half trace left behind (a file written directly is what it is).
      if (write_path != trace_path) std::remove(write_path.c_str());
      if (trace) {
        std::fprintf(stderr, "shopflow simulate: cannot write %s: %s\n", trace_path.c_str(), std::strerror(write_errno));
        return 2;
      }
    }
  }
  if (!trace) {
    std::fprintf(stderr, "shopflow simulate: %s\n", trace.error().to_string().c_str());
    return 2;
  }
  if (hash_only) {
    std::printf("%s\n", trace.value().hash.c_str());
  } else {
    std::fputs(summarize(trace.value()).c_str(), stdout);
    if (!trace_path.empty()) std::printf("Trace written to %s\n", trace_path.c_str());
  }
  return 0;
}

}  // namespace shopflow::cli
