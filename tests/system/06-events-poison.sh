#!/bin/bash
# 06-events-poison: one row that PostgreSQL refuses must not cost its
# neighbours. A CHECK constraint added here makes every event for ONU 99
# (or, for the blast, the blaster's first trap) a row the server refuses,
# as an out-of-range value or bad bytes would be. The batch holding it is
# split until the row is alone; the good rows are written once each and
# the bad one lands in events_quarantine with the server's error. Also when
# the server refuses the COPY while heraldd is still sending it (the writer
# must not hang), and when the poisoned batch comes back from the spool
# after a restart.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_private_pg
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
BLAST=$top_builddir/bench/trapblast
[ -x "$BLAST" ] || skip_all "bench/trapblast is not built"
plan 17

private_pg
TRAP_DB=$db
# One batch for everything sent within 3 s, up to 30,000 rows.
EVENTS_EXTRA="batch_max = 30000
	flush_interval = 3000"
trap_start
q "$db" "ALTER TABLE events ADD CONSTRAINT test_poison CHECK (onu IS DISTINCT FROM 99)" >/dev/null

# send FIRST LAST: Huawei dying gasps for ONTs FIRST..LAST on 0/1/1.
send() {
	local i
	for i in $(seq "$1" "$2"); do
		strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG $(hw_loc 1 1 "$i") >/dev/null
	done
}
evstat() { stat "$1" events; }

# 1. Good, bad, good in one batch.
send 1 20; send 99 99; send 21 40
ok "20 good, 1 refused, 20 good in one batch: the 40 good rows are written" \
	wait_for 20 rows_are "onu BETWEEN 1 AND 40" 40
is "  each once" "$(q "$db" "SELECT count(DISTINCT uid) FROM events WHERE onu BETWEEN 1 AND 40")" "40"
is "  the refused row is not in events" "$(rows "onu = 99")" "0"
is "  it is in events_quarantine, with the server's error" \
	"$(q "$db" "SELECT sqlstate || ' ' || error FROM events_quarantine")" \
	'23514 new row for relation "events_'"$(date -u +%Y%m%d)"'" violates check constraint "test_poison"'
like "  and the row itself" "$(q "$db" "SELECT encode(line, 'escape') FROM events_quarantine")" \
	"onu.dying_gasp	raise	0	1	1	99	"
ok "  counted as quarantined" wait_stat quarantined 1 events
ok "  and logged" wait_log "$TEST_TMP/h.log" "refused by the database and quarantined: new row .* violates check constraint"

# 2. Refused while heraldd is still sending: 20,000 rows in one COPY, the
# first of them poisoned (the blaster's trap 0 is ONT 0 on 0/0/0).
# (The blaster's ONT ids run 0..127: ONU 99 is no poison here.)
q "$db" "ALTER TABLE events DROP CONSTRAINT test_poison;
	ALTER TABLE events ADD CONSTRAINT test_poison0 CHECK (NOT (slot = 0 AND port = 0 AND onu = 0))" >/dev/null
before=$(rows "true")
"$BLAST" 127.0.0.1 "$TRAP_PORT" 20000 40000 >"$TEST_TMP/blast.out"
diag "$(cat "$TEST_TMP/blast.out")"
blasted() { [ "$(rows "true")" -ge $((before + 19000)) ]; }
ok "a COPY refused while its data is still being sent: the writer carries on" \
	wait_for 120 blasted
accepted=$(stat accepted)
all_written() { [ "$(rows "true")" = "$((accepted - 2))" ]; }
# accepted counts the 41 traps before and the blast.
ok "  every accepted event but the two refused ones is written" wait_for 20 all_written
is "  the blaster's trap 0 is quarantined" \
	"$(q "$db" "SELECT count(*) FROM events_quarantine WHERE error LIKE '%test_poison0%'")" "1"
beat() { q "$db" "SELECT extract(epoch FROM now() - last_seen) < 3 FROM instances WHERE pid = $HERALDD_PID"; }
ok "  heartbeats go on" wait_for 10 test "$(beat)" = t
ok "  no stall, nothing dropped" \
	wait_log "$TEST_TMP/h.log" "stats events: .* dropped=0 .*stalls=0"

# 3. A poisoned batch in the spool, replayed by the next heraldd.
q "$db" "ALTER TABLE events ADD CONSTRAINT test_poison CHECK (onu IS DISTINCT FROM 99) NOT VALID" >/dev/null
pg_stop "$pgdir"
send 201 205; send 99 99; send 206 210
stop_heraldd
like "heraldd stopping with the database down spools the batch" \
	"$(cat "$TEST_TMP/h.log")" "11 unwritten events kept in"
pg_start "$pgdir" "$port"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h2.log"
ok "the next heraldd drains the spool: the 10 good rows are written" \
	wait_for 30 rows_are "onu BETWEEN 201 AND 210" 10
ok "  the spool is emptied" wait_for 10 test ! -s "$TEST_TMP/state/events.spool"
is "  the refused row is quarantined (a second row for ONU 99)" \
	"$(q "$db" "SELECT count(*) FROM events_quarantine WHERE encode(line, 'escape') LIKE '%	1	1	99	%'")" "2"
stop_heraldd
is "heraldd stops with status 0" "$STOP_RC" "0"
