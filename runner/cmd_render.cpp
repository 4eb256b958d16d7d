// Placeholder until the render command lands; replaced by its real implementation.
#include <cstdio>
#include "commands.hpp"
namespace shopflow::cli {
int cmd_render(int, char**) { std::fputs("shopflow render: not available yet\n", stderr); return 1; }
}  // namespace shopflow::cli
