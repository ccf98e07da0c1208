#!/bin/bash
# 13-trap-spool: PostgreSQL goes away under a trap storm. Events wait in
# memory, spill to the spool file under state_dir, survive a restart of
# heraldd, and reach the events table in the order they came, once each,
# when the database is back. When even the spool is full, the loss is
# counted and logged, never silent.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_private_pg
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 16

private_pg
TRAP_DB=$db
EVENTS_EXTRA="memory_max = 3000"
trap_start
# send FIRST LAST: Huawei dying gasps for ONTs FIRST..LAST, in that order
# (ONT ids stay within 0..255: a larger one is a bad_location raw event).
send() {
	local i
	for i in $(seq "$1" "$2"); do
		strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG $(hw_loc 1 1 "$i") >/dev/null
	done
}
order() { q "$db" "SELECT string_agg(onu::text, ',' ORDER BY at, uid) FROM events"; }

send 1 3
ok "with the database up, 3 events are written" wait_rows true 3
pg_stop "$pgdir"
send 101 120
ok "database down: events spill to the spool" \
	wait_log "$TEST_TMP/h.log" "stats events: .* spooled=[1-9]"
ok "  the spool file is under state_dir" test -s "$TEST_TMP/state/events.spool"
pg_start "$pgdir" "$port"
ok "database back: all 23 are written" wait_for 40 rows_are true 23
is "  in the order they came" "$(order)" "1,2,3,$(seq -s, 101 120)"

# A restart of heraldd while the database is down keeps what was pending.
pg_stop "$pgdir"
send 201 210
stop_heraldd
like "heraldd stopping with the database down keeps the events" \
	"$(cat "$TEST_TMP/h.log")" "10 unwritten events kept in .*events.spool"
pg_start "$pgdir" "$port"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h2.log"
ok "the next heraldd writes them first" wait_for 40 rows_are true 33
is "  still in order" "$(order)" "1,2,3,$(seq -s, 101 120),$(seq -s, 201 210)"
is "  and each event once" "$(q "$db" "SELECT count(DISTINCT uid) FROM events")" "33"
ok "  the spool is emptied" wait_for 10 test ! -s "$TEST_TMP/state/events.spool"

# A tiny spool that fills up: the loss is counted and logged.
wait_log "$TEST_TMP/h2.log" "trap: 5 devices known"
sed -i 's/memory_max = 3000/memory_max = 600\n\tspool_max = 1500/' "$TEST_TMP/h.conf"
kill -HUP $HERALDD_PID
wait_log "$TEST_TMP/h2.log" "configuration reloaded"
pg_stop "$pgdir"
send 211 240
ok "a full spool drops with a log line" wait_log "$TEST_TMP/h2.log" "events? dropped: memory buffer and spool are full" 30
pg_start "$pgdir" "$port"
# Every one of the 30 is accounted for: written, or counted as dropped.
accounted() {
	local w d
	w=$(rows "onu > 210")
	d=$(stat dropped events)
	[ "$(( ${w:-0} + ${d:-0} ))" = 30 ]
}
ok "written + dropped = 30 sent" wait_for 40 accounted
stop_heraldd

# heraldd starting while the database is away still knows its devices
# (state_dir/devices.cache, written at every load): their traps are kept.
ok "the device list is cached under state_dir" test -s "$TEST_TMP/state/devices.cache"
sed -i 's/memory_max = 600/memory_max = 3000/; /spool_max = 1500/d' "$TEST_TMP/h.conf"
pg_stop "$pgdir"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h3.log"
ok "a start with the database down takes the devices from the cache" \
	wait_log "$TEST_TMP/h3.log" "trap: 5 devices from .*devices.cache"
send 241 245
wait_log "$TEST_TMP/h3.log" "stats trap: .*accepted=5" 10
pg_start "$pgdir" "$port"
ok "their traps are accepted, not unknown_source, and written" \
	wait_for 40 rows_are "onu > 240" 5
stop_heraldd
is "heraldd stops with status 0" "$STOP_RC" "0"
