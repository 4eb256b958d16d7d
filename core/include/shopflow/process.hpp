// Process-wide settings for the programs built on the core (the runner, the benchmarks), which
// call them first thing in main(); the core itself never does.
#pragma once

namespace shopflow {

// Keeps memory that the program frees for its own reuse instead of handing it back to the
// system at once: long simulations and a busy runner allocate and free large amounts, and on
// virtual machines every page handed back and touched again costs a page fault. Does nothing
// where the C library has no such setting (WebAssembly).
void keep_freed_memory();

// Has the C library's allocator ask for transparent huge pages (glibc's glibc.malloc.hugetlb
// tunable), where the kernel gives them only to memory that asks: a 2 MB page costs one fault
// where 4 KB pages cost 512, and first touches of fresh memory are a large part of a long
// simulation's time on virtual machines. Tunables are read when a program starts, so this
// starts the program again, at once, with the same arguments and the tunable added to
// GLIBC_TUNABLES; call it first thing in main(). Does nothing when GLIBC_TUNABLES names the
// tunable already (glibc.malloc.hugetlb=0 opts out), when the kernel gives huge pages to all
// memory or to none, or off glibc and Linux.
void use_huge_pages(char** argv);

}  // namespace shopflow
