// Placeholder until the test command lands; replaced by its real implementation.
#include <cstdio>
#include "commands.hpp"
namespace shopflow::cli {
int cmd_test(int, char**) { std::fputs("shopflow test: not available yet\n", stderr); return 1; }
}  // namespace shopflow::cli
