# Compiler warnings and sanitizers for Shopflow's own targets (never for third-party sources).
#   shopflow_warnings(<target>)  -Wall -Wextra and friends; the build is kept warning-free.
function(shopflow_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
endfunction()

if(SHOPFLOW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
