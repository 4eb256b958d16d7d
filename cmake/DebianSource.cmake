# Sources from Debian's source packages: SQLite, compiled into every build with Shopflow's
# options, and Dear ImGui and simdjson for the Emscripten build (Debian ships them only as native
# libraries). Downloads are cached outside the source tree, in SHOPFLOW_SOURCE_CACHE (default
# ~/.cache/shopflow/debian-src), and fetched by the configure step when missing. Needs a deb-src
# entry in APT's sources; cmake/setup.sh adds one.

set(SHOPFLOW_SOURCE_CACHE "$ENV{HOME}/.cache/shopflow/debian-src" CACHE PATH
    "Where Debian source packages for the WebAssembly build are downloaded and unpacked")

# shopflow_debian_source(<package> <tarball-glob> <out-var>)
# Sets <out-var> to the folder of the unpacked upstream source of <package>.
function(shopflow_debian_source package glob out_var)
  set(_root "${SHOPFLOW_SOURCE_CACHE}/${package}")
  set(_stamp "${_root}/.unpacked")
  if(NOT EXISTS "${_stamp}")
    file(MAKE_DIRECTORY "${_root}/download")
    file(GLOB _tarballs "${_root}/download/${glob}")
    if(NOT _tarballs)
      message(STATUS "Downloading Debian's source package '${package}' into ${_root}/download")
      execute_process(COMMAND apt-get source --download-only ${package}
                      WORKING_DIRECTORY "${_root}/download"
                      RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
      file(GLOB _tarballs "${_root}/download/${glob}")
      if(NOT _rc EQUAL 0 OR NOT _tarballs)
        message(FATAL_ERROR
          "Could not download Debian's source package '${package}' (Shopflow compiles it from source).\n"
          "apt-get said: ${_err}\n"
          "APT needs a deb-src entry and a fresh package list: run cmake/setup.sh as root, "
          "which adds them, or add a 'Types: deb-src' copy of /etc/apt/sources.list.d/debian.sources "
          "and run 'apt-get update'.")
      endif()
    endif()
    list(GET _tarballs 0 _tarball)
    file(REMOVE_RECURSE "${_root}/src")
    file(ARCHIVE_EXTRACT INPUT "${_tarball}" DESTINATION "${_root}/src")
    file(TOUCH "${_stamp}")
  endif()
  file(GLOB _dirs LIST_DIRECTORIES true "${_root}/src/*")
  list(GET _dirs 0 _dir)
  set(${out_var} "${_dir}" PARENT_SCOPE)
endfunction()

# shopflow_sqlite_amalgamation(<out-var>)
# Makes sqlite3.c/sqlite3.h from Debian's sqlite3 source package (configure && make sqlite3.c,
# needs tclsh) once per machine; sets <out-var> to the folder holding them.
function(shopflow_sqlite_amalgamation out_var)
  set(_out "${SHOPFLOW_SOURCE_CACHE}/sqlite3/amalgamation")
  if(NOT EXISTS "${_out}/sqlite3.c" OR NOT EXISTS "${_out}/sqlite3.h")
    shopflow_debian_source(sqlite3 "sqlite3_*.orig.tar.*" _src)
    find_program(TCLSH tclsh)
    if(NOT TCLSH)
      message(FATAL_ERROR "Making the SQLite amalgamation needs tclsh: apt-get install tcl")
    endif()
    set(_bld "${SHOPFLOW_SOURCE_CACHE}/sqlite3/build")
    file(REMOVE_RECURSE "${_bld}")
    file(MAKE_DIRECTORY "${_bld}" "${_out}")
    message(STATUS "Making the SQLite amalgamation from ${_src}")
    # The host compiler, not Emscripten's: configure builds helper programs it runs.
    execute_process(COMMAND env -u CC -u CXX "${_src}/configure" --quiet
                    WORKING_DIRECTORY "${_bld}" RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_VARIABLE _err)
    if(_rc EQUAL 0)
      execute_process(COMMAND make -s sqlite3.c WORKING_DIRECTORY "${_bld}"
                      RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_VARIABLE _err)
    endif()
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "Making the SQLite amalgamation failed:\n${_err}")
    endif()
    file(COPY "${_bld}/sqlite3.c" "${_bld}/sqlite3.h" DESTINATION "${_out}")
  endif()
  set(${out_var} "${_out}" PARENT_SCOPE)
endfunction()
