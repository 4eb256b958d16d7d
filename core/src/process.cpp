// Allocator settings of the C library (glibc's mallopt and tunables).
#include "shopflow/process.hpp"

#include <cstdlib>  // first: it says whether this is glibc (__GLIBC__)

#if defined(__GLIBC__) && defined(__linux__)
#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <string>
#endif

namespace shopflow {

void keep_freed_memory() {
#if defined(__GLIBC__) && defined(__linux__)
  mallopt(M_TRIM_THRESHOLD, 256 << 20);  // give memory back only above 256 MB free at the top
  mallopt(M_TOP_PAD, 64 << 20);          // and grow the heap 64 MB at a time
  mallopt(M_MMAP_THRESHOLD, 64 << 20);   // large blocks from the heap too, so they are reused
#endif
}

void use_huge_pages(char** argv) {
#if defined(__GLIBC__) && defined(__linux__)
  const char* set = std::getenv("GLIBC_TUNABLES");
  std::string tunables = set ? set : "";
  if (tunables.find("glibc.malloc.hugetlb") != std::string::npos) return;  // decided already (or opted out)
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(thp, modes);
  if (modes.find("[madvise]") == std::string::npos) return;  // "[always]" has them already, "[never]" has none
  tunables += tunables.empty() ? "glibc.malloc.hugetlb=1" : ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only when it failed: then without huge pages
#else
  (void)argv;
#endif
}

}  // namespace shopflow
