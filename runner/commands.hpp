// The subcommands of the `shopflow` program. Each takes the arguments after its own name,
// prints its own --help, and returns the process exit code.
#pragma once

namespace shopflow::cli {

int cmd_validate(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_render(int argc, char** argv);
int cmd_simulate(int argc, char** argv);
int cmd_test(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_runs(int argc, char** argv);
int cmd_effects(int argc, char** argv);
int cmd_dead_letters(int argc, char** argv);
int cmd_connectors(int argc, char** argv);
int cmd_topics(int argc, char** argv);
int cmd_backtest(int argc, char** argv);
int cmd_export_events(int argc, char** argv);

}  // namespace shopflow::cli
