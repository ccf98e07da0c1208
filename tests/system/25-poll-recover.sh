#!/bin/bash
# 25-poll-recover: traps are lost (30% dropped) and a clear is never sent;
# the poller reads the OLT and herald ends with the alarm set the device
# states, each alarm raised and cleared once.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 15

poll_setup "--olts 1 --dslams 1 --vendors huawei --pons 2 --onus 64 --rate 0 --drop 0.3 --seed 7" \
	"timeout = 3000" ||
	{ fail "set-up"; exit 1; }
pass "heraldd polls the simulated OLT"
ok "a first ONU cycle completes" wait_log "$HLOG" "olt1: cycle done" 15

sim power-off olt1 0/1/1:0-39 >/dev/null
sim wait >/dev/null
dropped=$(sim stats olt1 | sed -n 's/.*traps_dropped=\([0-9]*\).*/\1/p' | head -1)
like "the simulator really dropped some dying-gasp traps" "$dropped" "^[1-9]"
want=$(for i in $(seq 0 39); do echo "onu.dying_gasp 0/1/1:$i"; done | sort)
full_set() { [ "$(alarm_set olt1)" = "$want" ]; }
ok "within one cycle the alarm set is all 40 ONUs, nothing else" wait_for 15 full_set
is "the ONUs whose traps were lost were raised by the poller" \
	"$(q "$DB" "SELECT count(*) FROM events WHERE source='poll' AND action='raise' AND kind='onu.dying_gasp'")" "$dropped"
is "no ONU was raised twice" \
	"$(q "$DB" "SELECT count(*) FROM (SELECT onu FROM events WHERE action='raise' AND kind='onu.dying_gasp' GROUP BY onu HAVING count(*) > 1) d")" "0"

# Power comes back, but every clear is lost.
sim drop 1 >/dev/null
sim restore olt1 onus 0/1/1:0-39 >/dev/null
sim wait >/dev/null
empty_set() { [ -z "$(alarm_set olt1)" ]; }
ok "clears that never came are made by the poll" wait_for 15 empty_set
is "each ONU was cleared once, by the poller" \
	"$(q "$DB" "SELECT count(*), count(DISTINCT onu) FROM events WHERE source='poll' AND action='clear'")" "40|40"
counted() { [ "$(poll_stat raised)" = "$dropped" ] && [ "$(poll_stat cleared)" = 40 ]; }
ok "the corrections are counted in the stats line" wait_for 5 counted
# DSL lines: a line that goes down while its traps are lost, and comes back.
sim line-down dslam1 1/3 >/dev/null
line_down() { [ "$(alarm_set dslam1)" = "dsl.line_down -/-/- line 1003" ]; }
ok "a DSL line down whose linkDown was lost is raised by the poll" wait_for 15 line_down
is "with the poll's cause" \
	"$(q "$DB" "SELECT cause FROM events WHERE kind='dsl.line_down'")" "poll: line down"
sim restore dslam1 1/3 >/dev/null
line_up() { [ -z "$(alarm_set dslam1)" ]; }
ok "and cleared when it is back" wait_for 15 line_up
# A slow read that began before a fibre cut answers with the state from
# before it; it must not clear the alarms the traps just raised.
sim drop 0 >/dev/null
sim delay olt1 1000 >/dev/null
# Let a full read begin and get port 0's first rows (1 s per answer), then cut.
n=$(grep -c "olt1: cycle started" "$HLOG")
started() { [ "$(grep -c "olt1: cycle started" "$HLOG")" -gt "$n" ]; }
wait_for 20 started
sleep 1.5
cut_at=$(q "$DB" "SELECT now()")
c=$(grep -c "olt1: confirmation read done" "$HLOG")
f=$(grep -c "olt1: cycle done" "$HLOG")
sim cut olt1 0/1/0 >/dev/null
sim wait >/dev/null
# Both the confirmation read and the stale full read must be over.
both_done() { [ "$(grep -c "olt1: confirmation read done" "$HLOG")" -gt "$c" ] &&
	[ "$(grep -c "olt1: cycle done" "$HLOG")" -gt "$f" ]; }
wait_for 60 both_done
sleep 1
is "no alarm of the cut port was cleared by a read older than the cut" \
	"$(q "$DB" "SELECT count(*) FROM events WHERE source='poll' AND port=0 AND at >= '$cut_at'")" "0"
is "the port and its 64 ONUs stay raised" \
	"$(alarm_set olt1 | grep -c "0/1/0")" "65"
ok "heraldd is still running" alive $HERALDD_PID
