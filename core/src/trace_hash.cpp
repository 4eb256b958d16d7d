// The trace hash: XXH3 64-bit, from xxHash's header (Debian's libxxhash-dev), compiled in.
#include <cstdio>

#include "shopflow/simulator.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shopflow {

namespace {

std::string hex16(XXH64_hash_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

struct TraceHash::State {
  XXH3_state_t xxh;
};

TraceHash::TraceHash() : state_(new State) { XXH3_64bits_reset(&state_->xxh); }
TraceHash::~TraceHash() = default;
TraceHash::TraceHash(TraceHash&&) noexcept = default;
TraceHash& TraceHash::operator=(TraceHash&&) noexcept = default;

void TraceHash::update(std::string_view bytes) { XXH3_64bits_update(&state_->xxh, bytes.data(), bytes.size()); }

std::string TraceHash::hex() const { return hex16(XXH3_64bits_digest(&state_->xxh)); }

std::string trace_hash_hex(std::string_view bytes) { return hex16(XXH3_64bits(bytes.data(), bytes.size())); }

}  // namespace shopflow
