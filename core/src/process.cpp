// Allocator settings of the C library (glibc's mallopt).
#include "shopflow/process.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace shopflow {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_TRIM_THRESHOLD, 256 << 20);  // give memory back only above 256 MB free at the top
  mallopt(M_TOP_PAD, 64 << 20);          // and grow the heap 64 MB at a time
  mallopt(M_MMAP_THRESHOLD, 64 << 20);   // large blocks from the heap too, so they are reused
#endif
}

}  // namespace shopflow
