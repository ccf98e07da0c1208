#!/bin/bash
# 26-poll-unreachable: an OLT that loses power sends nothing; the poller
# raises device.unreachable within its detection time (interval x
# unreachable_after + the timeout) and clears it when the OLT answers again.
# The other OLT is polled all along.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 10

poll_setup "--olts 2 --vendors huawei,zte-c300 --pons 2 --onus 8" ||
	{ fail "set-up"; exit 1; }
ok "both OLTs answer" wait_log "$HLOG" "olt2: cycle done" 15

t0=$(date +%s.%N)
sim silence olt1 >/dev/null
unreachable() { [ "$(alarm_set olt1)" = "device.unreachable -/-/-" ]; }
wait_for 20 unreachable
# When heraldd decided, from the event's own time, not when we looked.
t1=$(q "$DB" "SELECT extract(epoch FROM at) FROM events WHERE kind = 'device.unreachable' AND action = 'raise'")
ok "device.unreachable is raised for the silent OLT" unreachable
# interval 1 s x unreachable_after 2 + timeout 0.3 s, plus one interval of
# phase and the event batch: 4 s is the bound a NOC engineer was promised.
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
ok "within its detection time (took $took s)" \
	awk -v t="$took" 'BEGIN { exit !(t <= 4.0) }' 
is "the other OLT is not touched" "$(alarm_set olt2)" ""
n=$(grep -c "olt2: cycle done" "$HLOG")
sleep 5
ok "and is still polled meanwhile" test "$(grep -c "olt2: cycle done" "$HLOG")" -gt "$n"

sim wake olt1 >/dev/null
answered() { [ -z "$(alarm_set olt1)" ]; }
ok "the alarm clears when the OLT answers again" wait_for 10 answered
is "raised once and cleared once" \
	"$(q "$DB" "SELECT string_agg(action, ',' ORDER BY at) FROM events WHERE kind='device.unreachable'")" "raise,clear"

# The device list follows the inventory, and a reload keeps polling.
q "$DB" "DELETE FROM devices WHERE name = 'olt2'; NOTIFY inventory_changed" >/dev/null
ok "a device removed from the inventory is no longer polled" \
	wait_log "$HLOG" "poll: 1 devices \(0 new or changed, 1 removed\)" 10
kill -HUP $HERALDD_PID
ok "a reload is taken" wait_log "$HLOG" "configuration reloaded" 10
n=$(grep -c "olt1: cycle done" "$HLOG")
more_cycles() { [ "$(grep -c "olt1: cycle done" "$HLOG")" -gt "$n" ]; }
ok "and polling goes on after it" wait_for 15 more_cycles
