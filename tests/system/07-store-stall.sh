#!/bin/bash
# 07-store-stall: the database is up but the writer cannot move (a session
# holds an exclusive lock on events). heraldd notices within
# database.stall_timeout, says so, counts it and reconnects; once the lock
# goes, every event is written exactly once. A writer stuck for longer than
# database.stall_restart stops the systemd watchdog pings (heraldd runs here
# with a stand-in notify socket), so that systemd would restart it.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 9

# A stand-in for systemd's notify socket, before heraldd starts.
python3 "$top_srcdir/tests/lib/notify-listen.py" "$TEST_TMP/notify.sock" \
	"$TEST_TMP/notify.out" &
TEST_PIDS="$TEST_PIDS $!"
wait_for 5 test -S "$TEST_TMP/notify.sock"
export NOTIFY_SOCKET=$TEST_TMP/notify.sock WATCHDOG_USEC=1000000
trap_start
unset NOTIFY_SOCKET WATCHDOG_USEC
sed -i 's/^\tconnect_timeout = 2$/\tconnect_timeout = 2\n\tstall_timeout = 2\n\tstall_restart = 6/' "$TEST_TMP/h.conf"
kill -HUP $HERALDD_PID
wait_log "$TEST_TMP/h.log" "configuration reloaded"

send() {
	local i
	for i in $(seq "$1" "$2"); do
		strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG $(hw_loc 2 2 "$i") >/dev/null
	done
}
pings() { grep -c '^WATCHDOG=1' "$TEST_TMP/notify.out"; }
pings_above() { [ "$(pings)" -gt "$1" ]; }
ok "heraldd pings the watchdog" wait_for 5 pings_above 1

# Hold the lock for 12 s: longer than stall_restart.
psql -X -q -d "$db" -c "BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE;
	SELECT pg_sleep(12); COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.5
send 1 10
ok "a writer that does not move is noticed and the connection reopened" \
	wait_log "$TEST_TMP/h.log" "database connection lost: no progress for [0-9]+ s on \"COPY events" 10
ok "  it is counted" wait_log "$TEST_TMP/h.log" "stats events: .*stalls=[1-9]"
ok "stuck beyond stall_restart: heraldd says it stops the watchdog pings" \
	wait_log "$TEST_TMP/h.log" "database writer stuck for [0-9]+ s: no more watchdog pings" 12
n1=$(pings); sleep 2; n2=$(pings)
is "  and does" "$n2" "$n1"
wait "$locker"
ok "the lock gone, the 10 events are written" wait_rows "onu BETWEEN 1 AND 10" 10
is "  each once" "$(q "$db" "SELECT count(DISTINCT uid) FROM events WHERE onu BETWEEN 1 AND 10")" "10"
ok "  and the pings resume" wait_for 5 pings_above "$n2"
ok "heraldd is still running" alive $HERALDD_PID
