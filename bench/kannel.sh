# bench/kannel.sh: start and stop the real Kannel of the tests from a bench
# script. It stands in for tests/lib/tap.sh (a work folder, the pid list
# and the few helpers tests/lib/kannel.sh uses) and sources that file, so
# the benchmarks and the tests share one config writer.
#
#   . bench/kannel.sh          (from the top of the tree; needs TMPDIR-ish
#                               space for the fake SMSC's log)
#   start_kannel / stop_kannel / smsc_messages / kannel_admin ... as in
#   tests/lib/kannel.sh; bench_kannel_cleanup at exit stops what is left.
#
# Kannel logs at warning level here (KANNEL_LOG_LEVEL=2): debug logging,
# the tests' default, costs more than the message it describes.
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib/pg.sh"
TEST_TMP=${TEST_TMP:-$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-kannel.XXXXXX")}
TEST_PIDS=""
KANNEL_LOG_LEVEL=${KANNEL_LOG_LEVEL:-2}

diag() { echo "# $*" >&2; }
skip_all() { echo "kannel: $*" >&2; exit 1; }

wait_for() {
	local limit=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
}

. "$top_srcdir/tests/lib/kannel.sh"

bench_kannel_cleanup() {
	stop_kannel
	local p
	for p in $TEST_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$TEST_TMP"
}
