# Compiler warnings and sanitizers for Shopflow's own targets (never for third-party sources).
#   shopflow_warnings(<target>)  -Wall -Wextra and friends; the build is kept warning-free.
function(shopflow_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
  # GCC 12 at -O2 reports memcpy overlaps inside std::string's own operator+ and assign
  # (GCC bug 105329, a false positive in libstdc++'s inlined code, not in ours).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

if(SHOPFLOW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
