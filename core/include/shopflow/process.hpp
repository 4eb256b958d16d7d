// Process-wide settings for the programs built on the core (the runner, the benchmarks), which
// call them first thing in main(); the core itself never does.
#pragma once

namespace shopflow {

// Keeps memory that the program frees for its own reuse instead of handing it back to the
// system at once: long simulations and a busy runner allocate and free large amounts, and on
// virtual machines every page handed back and touched again costs a page fault. Does nothing
// where the C library has no such setting (WebAssembly).
void keep_freed_memory();

}  // namespace shopflow
