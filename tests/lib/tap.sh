# tap.sh: a little TAP for the shell tests (automake's tap-driver reads it),
# plus helpers to run heraldd and talk to the test's own database.
#
# The environment comes from tests/run: HERALD_TEST_PGHOST/PGPORT name the
# suite's PostgreSQL server; without them the database tests are skipped.

set -u
TAP_N=0
: "${top_builddir:=.}" "${top_srcdir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
top_srcdir=$(cd "$top_srcdir" && pwd)
HERALDD="$top_builddir/heraldd"
HERALDCTL="$top_builddir/heraldctl"
export HERALD_SCHEMA_DIR="$top_srcdir/schema"
. "$top_srcdir/tests/lib/pg.sh"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/herald-test.XXXXXX")
chmod 0755 "$TEST_TMP"
TEST_PIDS=""
TEST_CLEANUP=""

tap_cleanup() {
	local p
	for p in $TEST_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	eval "$TEST_CLEANUP"
	rm -rf "$TEST_TMP"
}
trap tap_cleanup EXIT

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { echo "# $*" | sed '2,$s/^/# /'; }

pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); echo "not ok $TAP_N - $*"; }

# ok DESC COMMAND...: passes when the command exits 0.
ok() {
	local desc=$1; shift
	if "$@" >"$TEST_TMP/ok.out" 2>&1; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $*"
		diag "$(tail -20 "$TEST_TMP/ok.out")"
	fi
}

# is DESC GOT EXPECTED
is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		diag "got:      '$2'"
		diag "expected: '$3'"
	fi
}

# like DESC TEXT EXTENDED-REGEX
like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1"
		diag "no match for /$3/ in:"
		diag "$(printf '%s' "$2" | tail -20)"
	fi
}

# private_pg: a PostgreSQL of this test's own, which it may stop and start
# under heraldd (pg_stop/pg_start "$pgdir" "$port"); stopped at the end.
# Sets pgdir, port and db (its conninfo). Check need_private_pg before plan.
need_private_pg() {
	[ -x "${PGBIN:-}/initdb" ] || skip_all "no PostgreSQL server binaries"
}

private_pg() {
	local try
	pgdir="$TEST_TMP/pg"
	# The port can be taken between the pick and the bind: try another.
	for try in 1 2 3; do
		port=$(pg_free_port)
		pg_start "$pgdir" "$port" >/dev/null 2>&1 && break
		[ $try = 3 ] && { fail "private PostgreSQL starts"; exit 1; }
		pg_stop "$pgdir" 2>/dev/null; rm -rf "$pgdir"
	done
	TEST_CLEANUP="$TEST_CLEANUP pg_stop '$pgdir';"
	db="host=$pgdir port=$port user=postgres dbname=postgres"
}

need_db() {
	[ -n "${HERALD_TEST_PGHOST:-}" ] ||
		skip_all "no PostgreSQL for tests (run tests/run)"
}

# new_db: create an empty database for this test and print its conninfo.
new_db() {
	local name="t_$(basename "$0" .sh | tr -c 'a-z0-9\n' '_')_$$_$RANDOM"
	psql -X -q -h "$HERALD_TEST_PGHOST" -p "$HERALD_TEST_PGPORT" -U postgres \
		-d postgres -c "CREATE DATABASE $name" >/dev/null || return 1
	TEST_CLEANUP="$TEST_CLEANUP psql -X -q -h '$HERALD_TEST_PGHOST' -p '$HERALD_TEST_PGPORT' -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)' >/dev/null 2>&1;"
	echo "host=$HERALD_TEST_PGHOST port=$HERALD_TEST_PGPORT user=postgres dbname=$name"
}

# q CONNINFO SQL: one value (or rows, '|' separated) from the database.
q() {
	psql -X -q -At -d "$1" -c "$2"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local limit=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_log FILE REGEX [SECONDS]
wait_log() {
	wait_for "${3:-10}" grep -Eq -- "$2" "$1"
}

# A free UDP port on loopback, picked by the kernel (tests run in parallel,
# and simulators and snmptrap clients hold UDP ports too).
free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_conf FILE CONNINFO [EXTRA]: a throw-away herald.conf.
write_conf() {
	cat >"$1" <<EOC
state_dir = "$TEST_TMP/state"
database {
	conninfo = "$2"
	heartbeat = 1
	connect_timeout = 2
}
snmp {
	trap_listen = {"udp:127.0.0.1:$(free_udp_port)"}
	profile_dir = "$top_srcdir/collectors/profiles"
}
http {
	listen = "127.0.0.1:$(pg_free_port)"
}
log {
	level = "debug"
}
${3:-}
EOC
	mkdir -p "$TEST_TMP/state"
}

# start_heraldd CONF LOG [ARGS]: run heraldd -d in the background; sets HERALDD_PID.
start_heraldd() {
	local conf=$1 log=$2; shift 2
	"$HERALDD" -d -c "$conf" "$@" >"$log" 2>&1 &
	HERALDD_PID=$!
	TEST_PIDS="$TEST_PIDS $HERALDD_PID"
}

# stop_heraldd: SIGTERM and wait; the exit status is left in STOP_RC.
stop_heraldd() {
	kill -TERM "$HERALDD_PID" 2>/dev/null
	wait "$HERALDD_PID"
	STOP_RC=$?
	TEST_PIDS=$(echo "$TEST_PIDS" | sed "s/ $HERALDD_PID\b//")
}

alive() { kill -0 "$1" 2>/dev/null; }

# api_token CONNINFO NAME ROLE: an API token, stored as "heraldctl token
# add" stores it (its SHA-256 only); prints the token.
api_token() {
	local t="hrd_test_$2_$RANDOM$RANDOM"
	q "$1" "INSERT INTO api_tokens (name, role, token_sha256) VALUES
		('$2', '$3', encode(sha256(convert_to('$t', 'UTF8')), 'hex'))" >/dev/null
	echo "$t"
}
