#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests: a temp data directory, trust
# auth, 127.0.0.1 on a free port, durability off (fsync, synchronous_commit,
# full_page_writes) because the data dies with the run.
#
# As a library (scripts/test does this):
#   source scripts/pg.sh
#   pg_start   # sets and exports WEALTHALLOC_TEST_PG_DSN, PG_TMP; returns non-zero on failure
#   pg_stop    # stops the cluster and removes PG_TMP
#
# By hand, for a cluster that outlives the command:
#   scripts/pg.sh start   # prints `export WEALTHALLOC_TEST_PG_DSN=...` and the stop command
#   scripts/pg.sh stop DIR

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_log() { echo "pg.sh: $*" >&2; }

# _pg_as_owner runs a command as the postgres user when we are root
# (initdb and postgres refuse to run as root).
_pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

_pg_free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

_pg_install() {
	[ -x "$PG_BIN/initdb" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		_pg_log "PostgreSQL 15 not found in $PG_BIN (install postgresql-15, or set PG_BIN)"
		return 1
	fi
	_pg_log "installing postgresql-15 with apt-get"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; } >/dev/null 2>&1 || {
		_pg_log "apt-get install postgresql-15 failed"
		return 1
	}
	[ -x "$PG_BIN/initdb" ]
}

pg_start() {
	_pg_install || return 1
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		_pg_log "running as root but there is no postgres user to run the server as"
		return 1
	fi
	PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wealthalloc-pg.XXXXXX") || return 1
	export PG_TMP
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PG_TMP" || return 1
	fi
	local port
	port=$(_pg_free_port) || { _pg_log "no free port"; return 1; }
	if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_TMP/data" --auth=trust -U postgres -E UTF8 --no-sync \
		>"$PG_TMP/initdb.log" 2>&1; then
		_pg_log "initdb failed:"; cat "$PG_TMP/initdb.log" >&2
		return 1
	fi
	if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null 2>&1; then
		_pg_log "pg_ctl start failed:"; cat "$PG_TMP/server.log" >&2
		return 1
	fi
	export WEALTHALLOC_TEST_PG_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

pg_stop() {
	[ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ] || return 0
	if [ -f "$PG_TMP/data/postmaster.pid" ]; then
		_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$PG_TMP"
	PG_TMP=
}

# Command-line use.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-}" in
	start)
		pg_start
		echo "export WEALTHALLOC_TEST_PG_DSN='$WEALTHALLOC_TEST_PG_DSN'"
		echo "# stop with: $0 stop $PG_TMP"
		;;
	stop)
		PG_TMP=${2:?usage: $0 stop DIR}
		pg_stop
		;;
	*)
		echo "usage: $0 start | stop DIR" >&2
		exit 2
		;;
	esac
fi
