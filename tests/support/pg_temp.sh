#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the tests: a cluster in a temporary folder, listening on
# 127.0.0.1 on a free port and on a socket in that folder, trusting local connections, gone
# when the test is done. Run as root, the server runs as the `postgres` user (PostgreSQL refuses
# root). fsync stays on, so a test may stop the server hard and find its commits again.
#
#   pg_temp.sh run COMMAND [ARG...]   starts a cluster, runs COMMAND with SHOPFLOW_TEST_PG set to
#                                      its URL, then stops and removes it; exits with COMMAND's status
#   pg_temp.sh start [DIR]            starts the cluster in DIR (a new temporary folder when none;
#                                      initialised when empty) and prints, one per line,
#                                      SHOPFLOW_PG_DIR=DIR and SHOPFLOW_TEST_PG=URL
#   pg_temp.sh stop DIR [MODE]        stops it, keeping its data (MODE: fast, the default, or
#                                      immediate, which is a crash of the server); `start DIR`
#                                      starts it again on the same port
#   pg_temp.sh url DIR                prints its URL
#   pg_temp.sh destroy DIR            stops it if running and removes DIR
#
# PG_BINDIR overrides where the server's programs are (default: PostgreSQL 15's Debian folder).
# Exits 2, saying so, when they are not installed.
set -euo pipefail

bindir="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
me="pg_temp"

die() { echo "$me: $*" >&2; exit 2; }

need_binaries() {
  for p in initdb pg_ctl pg_isready; do
    [ -x "$bindir/$p" ] || die "PostgreSQL's server programs are not installed ($bindir/$p is missing); install the Debian package postgresql-15 (cmake/setup.sh does), or set PG_BINDIR"
  done
}

# Runs a PostgreSQL program as the user the server runs as.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url_of() { echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"; }

# A port nothing listens on now (the server's start fails, and is retried, if one takes it first).
random_port() { echo $((20000 + RANDOM % 30000)); }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

init_cluster() {
  local dir=$1
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (created by the postgresql-15 package)"
    chown postgres: "$dir"
  fi
  chmod 700 "$dir"
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
}

start_server() {
  local dir=$1 tries=0
  [ -d "$dir/data" ] || init_cluster "$dir"
  if as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
  while :; do
    if [ ! -f "$dir/port" ]; then
      local p
      p=$(random_port)
      port_free "$p" || continue
      echo "$p" >"$dir/port"
      [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/port"
    fi
    local port
    port=$(cat "$dir/port")
    if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null 2>&1; then
      return 0
    fi
    tries=$((tries + 1))
    # The port was taken between the check and the start: a new cluster takes another one.
    # A restarted cluster keeps its port, as its clients know it.
    if [ "$tries" -ge 5 ] || [ "${keep_port:-0}" = 1 ]; then
      tail -n 20 "$dir/server.log" >&2 || true
      die "the server in $dir did not start"
    fi
    rm -f "$dir/port"
  done
}

stop_server() {
  local dir=$1 mode=${2:-fast}
  [ -d "$dir/data" ] || die "$dir holds no cluster"
  if as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null
  fi
}

destroy() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -d "$dir/data" ]; then stop_server "$dir" immediate || true; fi
  rm -rf "$dir"
}

new_dir() { mktemp -d "${TMPDIR:-/tmp}/shopflow-pg.XXXXXX"; }

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  run)
    [ $# -gt 0 ] || die "usage: pg_temp.sh run COMMAND [ARG...]"
    need_binaries
    dir=$(new_dir)
    trap 'destroy "$dir"' EXIT
    trap 'exit 130' INT TERM
    start_server "$dir"
    status=0
    SHOPFLOW_TEST_PG=$(url_of "$dir") SHOPFLOW_PG_DIR="$dir" "$@" || status=$?
    exit "$status"
    ;;
  start)
    need_binaries
    if [ $# -gt 0 ]; then
      dir=$1
      mkdir -p "$dir"
      [ -f "$dir/port" ] && keep_port=1
    else
      dir=$(new_dir)
    fi
    start_server "$dir"
    echo "SHOPFLOW_PG_DIR=$dir"
    echo "SHOPFLOW_TEST_PG=$(url_of "$dir")"
    ;;
  stop)
    [ $# -ge 1 ] || die "usage: pg_temp.sh stop DIR [fast|immediate]"
    need_binaries
    case "${2:-fast}" in fast|immediate) ;; *) die "stop mode must be fast or immediate, not ${2}";; esac
    stop_server "$1" "${2:-fast}"
    ;;
  url)
    [ $# -eq 1 ] && [ -f "$1/port" ] || die "usage: pg_temp.sh url DIR (a folder made by pg_temp.sh start)"
    url_of "$1"
    ;;
  destroy)
    [ $# -eq 1 ] || die "usage: pg_temp.sh destroy DIR"
    need_binaries
    destroy "$1"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
