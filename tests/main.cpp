// The doctest runner for every unit and conformance test, native and WebAssembly. The time zone
// database is the system's, as in the shopflow program (under Node, through its file system).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "shopflow/zoneinfo.hpp"

int main(int argc, char** argv) {
  shopflow::use_zone_source(&shopflow::system_zones());
  return doctest::Context(argc, argv).run();
}
