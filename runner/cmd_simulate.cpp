// Placeholder until the simulate command lands; replaced by its real implementation.
#include <cstdio>
#include "commands.hpp"
namespace shopflow::cli {
int cmd_simulate(int, char**) { std::fputs("shopflow simulate: not available yet\n", stderr); return 1; }
}  // namespace shopflow::cli
