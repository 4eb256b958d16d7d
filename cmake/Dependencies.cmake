# Finds Shopflow's dependencies. Natively they are Debian's -dev packages, except SQLite (below);
# under Emscripten the header-only ones are put on the include path through a folder holding only
# them (the Emscripten sysroot must not see /usr/include), and Dear ImGui is compiled from Debian's
# source package. SQLite is compiled from Debian's source package on both (see DebianSource.cmake).
#
# Targets defined for the rest of the build:
#   shopflow::json      nlohmann_json, and simdjson (which parses JSON text faster into it); the
#                       core also needs xxHash's header (the trace hash)
#   shopflow::sqlite    SQLite 3
#   shopflow::tz        Howard Hinnant's date/tz over the system's compiled zone files
#                       (USE_OS_TZDB): Debian's library natively, its source package under
#                       Emscripten
#   shopflow::doctest   doctest (when SHOPFLOW_BUILD_TESTS)
#   shopflow::http      libmicrohttpd + OpenSSL (native only)
#   shopflow::curl      libcurl, for effect delivery (native only)
#   shopflow::pq        libpq, PostgreSQL's client library, for the PostgreSQL store (native only)
#   shopflow::malloc    mimalloc as the allocator of the programs that link it (native, without
#                       sanitizers; empty otherwise)
#   shopflow::imgui     Dear ImGui with the GLFW + OpenGL3 backends (Emscripten only)

# Stops the configure step with the Debian package to install.
function(shopflow_require_package found what package)
  if(NOT ${found})
    message(FATAL_ERROR "Shopflow needs ${what}, which was not found.\n"
                        "Install Debian's package: apt-get install ${package}\n"
                        "(or run cmake/setup.sh, which installs everything the build needs)")
  endif()
endfunction()

if(NOT EMSCRIPTEN)
  find_package(nlohmann_json 3.10 CONFIG QUIET)
  shopflow_require_package(nlohmann_json_FOUND "nlohmann_json (>= 3.10)" nlohmann-json3-dev)
  find_package(simdjson 3 CONFIG QUIET)
  shopflow_require_package(simdjson_FOUND "simdjson (>= 3)" libsimdjson-dev)
  find_path(XXHASH_INCLUDE_DIR xxhash.h)
  set(_have_xxhash FALSE)
  if(XXHASH_INCLUDE_DIR)
    set(_have_xxhash TRUE)
  endif()
  shopflow_require_package(_have_xxhash "xxHash's header (the trace hash)" libxxhash-dev)
  add_library(shopflow_json INTERFACE)
  target_link_libraries(shopflow_json INTERFACE nlohmann_json::nlohmann_json simdjson::simdjson)
  add_library(shopflow::json ALIAS shopflow_json)

  find_package(date 3 CONFIG QUIET)
  shopflow_require_package(date_FOUND "Howard Hinnant's date/tz (>= 3)" libhowardhinnant-date-dev)
  add_library(shopflow_tz INTERFACE)
  target_link_libraries(shopflow_tz INTERFACE date::date-tz)
  add_library(shopflow::tz ALIAS shopflow_tz)

  # SQLite from its amalgamation, made from Debian's source package as for WebAssembly, and
  # compiled into the programs with the options the store wants: each connection is used by one
  # thread at a time (multi-thread mode, no connection mutex), no memory statistics (a global
  # lock on every allocation), no extension loading, progress callbacks, declared types or depth
  # limit on expressions (the store's SQL is its own). Debian's shared library has serialized mode
  # and the statistics on; the store is the simulator's largest cost.
  include(DebianSource)
  shopflow_sqlite_amalgamation(_sqlite_dir)
  find_package(Threads REQUIRED)
  add_library(shopflow_sqlite STATIC "${_sqlite_dir}/sqlite3.c")
  target_include_directories(shopflow_sqlite SYSTEM PUBLIC "${_sqlite_dir}")
  # HAVE_USLEEP: a connection waiting for another's lock retries after milliseconds, not after
  # whole seconds.
  target_compile_definitions(shopflow_sqlite PRIVATE SQLITE_THREADSAFE=2 SQLITE_DEFAULT_MEMSTATUS=0 SQLITE_DQS=0
                                                     HAVE_USLEEP=1
                                                     SQLITE_OMIT_LOAD_EXTENSION SQLITE_OMIT_DEPRECATED
                                                     SQLITE_OMIT_SHARED_CACHE SQLITE_LIKE_DOESNT_MATCH_BLOBS
                                                     SQLITE_USE_ALLOCA SQLITE_OMIT_PROGRESS_CALLBACK
                                                     SQLITE_MAX_EXPR_DEPTH=0 SQLITE_OMIT_DECLTYPE)
  # Optimised in every build type: debug builds debug Shopflow, not SQLite.
  target_compile_options(shopflow_sqlite PRIVATE -w -O2)
  target_link_libraries(shopflow_sqlite PUBLIC Threads::Threads ${CMAKE_DL_LIBS} m)
  set_target_properties(shopflow_sqlite PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  add_library(shopflow::sqlite ALIAS shopflow_sqlite)

  # libmicrohttpd serves the runner's HTTP: event-driven (epoll), with a connection limit, a
  # memory bound per connection and suspended requests; Debian describes it with pkg-config.
  find_package(PkgConfig QUIET)
  set(microhttpd_FOUND FALSE)
  if(PkgConfig_FOUND)
    pkg_check_modules(MICROHTTPD QUIET IMPORTED_TARGET libmicrohttpd>=0.9.75)
    set(microhttpd_FOUND ${MICROHTTPD_FOUND})
  endif()
  shopflow_require_package(microhttpd_FOUND "libmicrohttpd (through pkg-config)" "libmicrohttpd-dev pkg-config")
  find_package(OpenSSL 3 QUIET)
  shopflow_require_package(OpenSSL_FOUND "OpenSSL 3" libssl-dev)
  add_library(shopflow_http INTERFACE)
  target_link_libraries(shopflow_http INTERFACE PkgConfig::MICROHTTPD OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
  add_library(shopflow::http ALIAS shopflow_http)

  find_package(CURL 7.80 QUIET)
  shopflow_require_package(CURL_FOUND "libcurl (effect delivery over HTTP and SMTP)" libcurl4-openssl-dev)
  add_library(shopflow_curl INTERFACE)
  target_link_libraries(shopflow_curl INTERFACE CURL::libcurl)
  add_library(shopflow::curl ALIAS shopflow_curl)

  set(libpq_FOUND FALSE)
  if(PkgConfig_FOUND)
    pkg_check_modules(LIBPQ QUIET IMPORTED_TARGET libpq>=15)
    set(libpq_FOUND ${LIBPQ_FOUND})
  endif()
  shopflow_require_package(libpq_FOUND "libpq (>= 15, through pkg-config), for the PostgreSQL store" "libpq-dev pkg-config")
  add_library(shopflow_pq INTERFACE)
  target_link_libraries(shopflow_pq INTERFACE PkgConfig::LIBPQ)
  add_library(shopflow::pq ALIAS shopflow_pq)

  # mimalloc replaces the C library's malloc (and so operator new) in the programs that link it:
  # a run allocates and frees hundreds of small blocks, and a long simulation grows its store
  # while it frees the events it used up. glibc's allocator took a seventh of a simulation's
  # instructions, kept more memory and, asked for huge pages, stalled in the kernel's compaction.
  add_library(shopflow_malloc INTERFACE)
  if(NOT SHOPFLOW_SANITIZE AND NOT SHOPFLOW_FUZZ)  # the sanitizers bring their own
    find_package(mimalloc 2 CONFIG QUIET)
    shopflow_require_package(mimalloc_FOUND "mimalloc (>= 2)" libmimalloc-dev)
    target_link_libraries(shopflow_malloc INTERFACE mimalloc)
  endif()
  add_library(shopflow::malloc ALIAS shopflow_malloc)

  if(SHOPFLOW_BUILD_TESTS)
    find_package(doctest 2.4 CONFIG QUIET)
    shopflow_require_package(doctest_FOUND "doctest (>= 2.4)" doctest-dev)
    add_library(shopflow_doctest INTERFACE)
    target_link_libraries(shopflow_doctest INTERFACE doctest::doctest)
    add_library(shopflow::doctest ALIAS shopflow_doctest)
  endif()
else()
  include(DebianSource)

  # Header-only packages, seen through a folder that holds only them.
  set(_inc "${CMAKE_BINARY_DIR}/wasm-include")
  file(MAKE_DIRECTORY "${_inc}")
  foreach(_pair "nlohmann;/usr/include/nlohmann/json.hpp;nlohmann-json3-dev"
                "doctest;/usr/include/doctest/doctest.h;doctest-dev"
                "xxhash.h;/usr/include/xxhash.h;libxxhash-dev"
                "date;/usr/include/date/tz.h;libhowardhinnant-date-dev")
    list(GET _pair 0 _name)
    list(GET _pair 1 _probe)
    list(GET _pair 2 _pkg)
    set(_have FALSE)
    if(EXISTS "${_probe}")
      set(_have TRUE)
    endif()
    shopflow_require_package(_have "${_name} headers" ${_pkg})
    if(NOT EXISTS "${_inc}/${_name}")
      file(CREATE_LINK "/usr/include/${_name}" "${_inc}/${_name}" SYMBOLIC)
    endif()
  endforeach()
  # simdjson from its single-file form in Debian's source package (its portable kernel here).
  shopflow_debian_source(simdjson "simdjson_*.orig.tar.*" _simdjson_dir)
  add_library(shopflow_simdjson STATIC "${_simdjson_dir}/singleheader/simdjson.cpp")
  target_include_directories(shopflow_simdjson SYSTEM PUBLIC "${_simdjson_dir}/singleheader")
  target_compile_options(shopflow_simdjson PRIVATE -w)
  add_library(shopflow_json INTERFACE)
  target_include_directories(shopflow_json SYSTEM INTERFACE "${_inc}")
  target_link_libraries(shopflow_json INTERFACE shopflow_simdjson)
  add_library(shopflow::json ALIAS shopflow_json)
  # date/tz compiled as Debian builds it: reading the compiled zone files under
  # /usr/share/zoneinfo (the studio's data file and Node's file system provide them), with no
  # downloads and the C locale only.
  shopflow_debian_source(howardhinnant-date "howardhinnant-date_*.orig.tar.*" _date_dir)
  add_library(shopflow_tz STATIC "${_date_dir}/src/tz.cpp")
  target_include_directories(shopflow_tz SYSTEM PUBLIC "${_inc}")
  target_compile_definitions(shopflow_tz PUBLIC USE_OS_TZDB=1 ONLY_C_LOCALE=1 HAS_STRING_VIEW=1)
  target_compile_options(shopflow_tz PRIVATE -w)
  add_library(shopflow::tz ALIAS shopflow_tz)
  add_library(shopflow_doctest INTERFACE)
  target_include_directories(shopflow_doctest SYSTEM INTERFACE "${_inc}")
  add_library(shopflow::doctest ALIAS shopflow_doctest)
  add_library(shopflow_malloc INTERFACE)  # Emscripten's own allocator
  add_library(shopflow::malloc ALIAS shopflow_malloc)

  # SQLite from its amalgamation, made from Debian's source package (as natively, above).
  shopflow_sqlite_amalgamation(_sqlite_dir)
  add_library(shopflow_sqlite STATIC "${_sqlite_dir}/sqlite3.c")
  target_include_directories(shopflow_sqlite SYSTEM PUBLIC "${_sqlite_dir}")
  # No threads and no dynamic extensions in the browser; the store runs in memory there.
  target_compile_definitions(shopflow_sqlite PRIVATE SQLITE_THREADSAFE=0 SQLITE_OMIT_LOAD_EXTENSION
                                                     SQLITE_DQS=0 SQLITE_DEFAULT_MEMSTATUS=0 SQLITE_OMIT_DEPRECATED
                                                     SQLITE_OMIT_SHARED_CACHE SQLITE_LIKE_DOESNT_MATCH_BLOBS
                                                     SQLITE_OMIT_PROGRESS_CALLBACK SQLITE_MAX_EXPR_DEPTH=0
                                                     SQLITE_OMIT_DECLTYPE)
  target_compile_options(shopflow_sqlite PRIVATE -w)
  add_library(shopflow::sqlite ALIAS shopflow_sqlite)

  # Dear ImGui with the GLFW (Emscripten's built-in) and OpenGL3 (WebGL2) backends.
  shopflow_debian_source(imgui "imgui_*.orig.tar.*" _imgui_dir)
  add_library(shopflow_imgui STATIC
    "${_imgui_dir}/imgui.cpp" "${_imgui_dir}/imgui_draw.cpp" "${_imgui_dir}/imgui_tables.cpp"
    "${_imgui_dir}/imgui_widgets.cpp" "${_imgui_dir}/imgui_demo.cpp"
    "${_imgui_dir}/backends/imgui_impl_glfw.cpp" "${_imgui_dir}/backends/imgui_impl_opengl3.cpp")
  target_include_directories(shopflow_imgui SYSTEM PUBLIC "${_imgui_dir}" "${_imgui_dir}/backends")
  # The OpenGL backend's state queries go through the studio's shopflow_gl_get_integerv, which
  # answers the ones that would wait for Chrome's GPU process (web/main.cpp says why).
  set_source_files_properties("${_imgui_dir}/backends/imgui_impl_opengl3.cpp" PROPERTIES
                              COMPILE_DEFINITIONS "glGetIntegerv=shopflow_gl_get_integerv")
  target_compile_options(shopflow_imgui PRIVATE -w -sUSE_GLFW=3)
  target_link_options(shopflow_imgui INTERFACE -sUSE_GLFW=3 -sMIN_WEBGL_VERSION=2 -sMAX_WEBGL_VERSION=2
                                               -sFULL_ES3=1)
  add_library(shopflow::imgui ALIAS shopflow_imgui)

  # C++ exceptions work inside WebAssembly only with this flag (the default aborts on throw).
  add_compile_options(-fwasm-exceptions)
  add_link_options(-fwasm-exceptions -sALLOW_MEMORY_GROWTH=1)
endif()
