#!/bin/bash
# 01-kill-storm: heraldd killed with SIGKILL in the middle of a storm and
# restarted. An area power cut reaches every ONU of one OLT (4 PON ports x
# 64 ONUs, one account each) as dying-gasp traps at 50/s; heraldd is
# killed once part of them are in the events table (the incident is being
# confirmed and its notices sent), stays down for a moment (the traps sent
# then are lost on the wire), and is started again. The poller reads the
# ONU states and raises what the lost traps would have: all 256 alarms
# raised, one incident, one outage ticket, and at the fake SMSC exactly one
# outage message per subscriber; after the power comes back, exactly one
# restoration each.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_db
need_kannel
plan 13

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 1 --vendors huawei --pons 4 --onus 64 --rate 50"
faults_setup "$FLEET" || { fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
is "256 subscribers under the OLT" "$NSUBS" 256

raised() { [ "$(alarm_count olt1 onu.dying_gasp)" -ge "$1" ]; }
sim power-off olt1 0/1/0 0/1/1 0/1/2 0/1/3 >/dev/null
# kill once about 100 of the 256 traps are written (2 s into the storm,
# the hold-down ending)
trap_rows() { q "$DB" "SELECT count(*) FROM events WHERE source = 'trap'"; }
wait_for 30 eval '[ "$(trap_rows)" -ge 100 ]'
kill -KILL "$HERALDD_PID"; wait "$HERALDD_PID" 2>/dev/null
TEST_PIDS=$(echo "$TEST_PIDS" | sed "s/ $HERALDD_PID\b//")
diag "killed after $(trap_rows) trap rows, $(events_from olt1) events, $(q "$DB" "SELECT count(*) FROM incidents") incident(s), $(smsc_count) SMS at the SMSC"
sleep 1.5	# the traps of these seconds go nowhere
start_heraldd "$HCONF" "$HLOG.2"
ok "heraldd restarts" wait_log "$HLOG.2" "notify: 1 gateway" 30
sim wait >/dev/null
sent=$(sim stats | sed -n 's/^traps .* sent=\([0-9]*\) .*/\1/p')
is "herald-sim sent the 256 dying gasps" "$sent" 256
ok "no alarm lost: the poller raises the ones whose traps went nowhere" \
	wait_for 60 raised 256
ok_or_dump "the open incidents cover all 256 accounts" \
	wait_for 60 eval '[ "$(q "$DB" "SELECT coalesce(sum(affected_accounts), 0) FROM incidents WHERE state = '"'confirmed'"'")" = 256 ]'
is "  in one incident, a power cut" \
	"$(q "$DB" "SELECT count(*) || ' ' || string_agg(DISTINCT cause, ',') FROM incidents WHERE state IN ('suspected', 'confirmed')")" "1 power_cut"
ok_or_dump "every phone gets exactly one outage message" wait_settled 1 90
sleep 2
diag "SMSC: $(phone_dist | tr '\n' ' ')"
is "  still exactly one each, 256 in all" "$(phones_each 1 && smsc_count)" 256
is "no duplicates: incident per place, outage ticket per incident, notice per account" \
	"$(dup_rows)" "0 0 0"
is "one outage ticket" "$(q "$DB" "SELECT count(*) FROM tickets WHERE kind = 'outage'")" 1

sim restore olt1 >/dev/null && sim wait >/dev/null
still_open() { q "$DB" "SELECT count(*) FROM incidents WHERE state IN ('suspected', 'confirmed')"; }
ok "the power back: the incident resolves" wait_for 60 eval '[ "$(still_open)" = 0 ]'
ok "  and every phone ends with exactly 2 messages (one outage, one restored)" \
	wait_settled 2 90
sleep 2
is "  the rows agree" "$(notice_rows)" "outage:told:256 restored:told:256 "
