// Placeholder until the eval command lands; replaced by its real implementation.
#include <cstdio>
#include "commands.hpp"
namespace shopflow::cli {
int cmd_eval(int, char**) { std::fputs("shopflow eval: not available yet\n", stderr); return 1; }
}  // namespace shopflow::cli
