// shopflow: the native front end of the Shopflow core. Dispatches to one subcommand per file.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_util.hpp"
#include "commands.hpp"
#include "shopflow/zoneinfo.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

// Every subcommand, in the order --help lists them.
const Command kCommands[] = {
    {"validate", shopflow::cli::cmd_validate, "check a bundle and list every problem"},
    {"eval", shopflow::cli::cmd_eval, "evaluate a JSON Logic condition against data"},
    {"render", shopflow::cli::cmd_render, "render a Liquid template against data"},
    {"simulate", shopflow::cli::cmd_simulate, "run a bundle over events on a simulated clock"},
    {"test", shopflow::cli::cmd_test, "run a bundle's self-tests"},
    {"serve", shopflow::cli::cmd_serve, "run a bundle in production: webhooks in, effects out"},
    {"backtest", shopflow::cli::cmd_backtest, "re-run production's events through a bundle and say what differs"},
    {"export-events", shopflow::cli::cmd_export_events, "write production's events as JSON Lines"},
    {"runs", shopflow::cli::cmd_runs, "list the runs in a store, or one run's steps"},
    {"effects", shopflow::cli::cmd_effects, "list the effects in a store's outbox"},
    {"dead-letters", shopflow::cli::cmd_dead_letters, "list, retry or discard effects that kept failing"},
    {"connectors", shopflow::cli::cmd_connectors, "check that the store connections of a deployment config work"},
    {"topics", shopflow::cli::cmd_topics, "list the webhook topics a bundle needs from the store"},
};

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: shopflow COMMAND [ARGS...]\n"
               "\n"
               "Shopflow runs store automation workflows from a bundle (shopflow.bundle/1).\n"
               "\n"
               "Commands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\n"
               "Run 'shopflow COMMAND --help' for a command's options.\n"
               "Options: --help, --version\n");
}

}  // namespace

int main(int argc, char** argv) {
  shopflow::use_zone_source(&shopflow::system_zones());
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (shopflow::cli::is_help(argv[1]) || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("shopflow %s\n", SHOPFLOW_VERSION);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (cmd == c.name) return c.run(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "shopflow: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return 2;
}
