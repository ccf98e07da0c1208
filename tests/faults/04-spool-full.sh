#!/bin/bash
# 04-spool-full: the event spool is full. With PostgreSQL stopped, events
# wait in memory (events.memory_max 4 kB), then in the spool file
# (events.spool_max 16 kB); a storm of 256 dying gasps overflows both. The
# events that fit nowhere are dropped, counted (herald_events_dropped) and
# logged, and heraldd stays up. When the server is back, what was spooled
# is written, the count adds up (rows = accepted - dropped), and heraldd
# works: the outage it decided in memory meanwhile is confirmed with all
# 256 accounts and each subscriber gets exactly one message.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_private_pg
need_kannel
plan 10

private_pg
POLL_DB=$db
start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 1 --vendors huawei --pons 4 --onus 64 --rate 400"
FAULTS_EVENTS="memory_max = 4096
	spool_max = 16384"
faults_setup "$FLEET" || { fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
is "256 subscribers under the OLT" "$NSUBS" 256

pg_stop "$pgdir"
down_at=$SECONDS
sim power-off olt1 0/1/0 0/1/1 0/1/2 0/1/3 >/dev/null && sim wait >/dev/null
dropped() { [ "$(metric herald_events_dropped)" -gt 0 ]; }
ok "the spool full: herald_events_dropped counts what fit nowhere" wait_for 20 dropped
diag "spool $(metric herald_events_spool_bytes) bytes, $(metric herald_events_spooled) spooled, $(metric herald_events_dropped) dropped"
ok "  a log line says so" grep -Eq "events: [0-9]+ events? dropped: memory buffer and spool are full" "$HLOG"
is "  the spool file stays within spool_max" \
	"$(test "$(stat -c %s "$TEST_TMP/state/events.spool")" -le 16384 && echo yes)" yes
sleep $((10 - (SECONDS - down_at)))
ok "  heraldd stays up" alive "$HERALDD_PID"
pg_start "$pgdir" "$port"

drained() { [ "$(metric herald_events_spool_bytes)" = 0 ] && [ "$(metric herald_events_pending)" = 0 ]; }
ok "PostgreSQL back: the spool is written back" wait_for 60 drained
sleep 1.5	# a stats interval, so that the counters are this moment's
rows=$(q "$DB" "SELECT count(*) FROM events")
submitted=$(metric herald_events_submitted) dropped=$(metric herald_events_dropped)
[ -n "$submitted" ] && [ -n "$dropped" ] ||
	diag "/metrics: HTTP $(cat "$TEST_TMP/metrics.code"), $(wc -l <"$TEST_TMP/metrics.txt") lines: $(grep -c herald_events "$TEST_TMP/metrics.txt") herald_events lines"
is "  rows in events = events submitted - dropped (every loss counted)" \
	"$rows" "$((${submitted:-0} - ${dropped:-0}))"
diag "rows $rows, trap rows $(q "$DB" "SELECT count(*) FROM events WHERE source = 'trap'"), dropped $(metric herald_events_dropped)"
open_accounts() { q "$DB" "SELECT count(*) || ' ' || coalesce(sum(affected_accounts), 0) FROM incidents WHERE state IN ('suspected', 'confirmed')"; }
ok_or_dump "heraldd works: one open incident with all 256 accounts" \
	wait_for 60 eval '[ "$(open_accounts)" = "1 256" ]'
ok_or_dump "  every phone gets exactly one outage message" wait_settled 1 90
sleep 2
is "  256 in all, no duplicate rows" "$(smsc_count) $(dup_rows)" "256 0 0 0"
