#!/bin/bash
# 29-poll-admin: an ONU the operator deactivated (Huawei LastDownCause 8,
# "deactive ONT success") or disabled (ZTE zxGponOntAdminState 2) is offline
# but is no outage: the poller raises nothing for it, and clears what herald
# held for it before.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 10

poll_setup "--olts 2 --dslams 0 --vendors huawei,zte-c300 --pons 1 --onus 16 --rate 0" ||
	{ fail "set-up"; exit 1; }
pass "heraldd polls the simulated OLT"
ok "a first ONU cycle completes" wait_log "$HLOG" "olt1: cycle done" 15
ok "  on both OLTs" wait_log "$HLOG" "olt2: cycle done" 15

# cycles N: until N more full ONU cycles are done on both OLTs.
cycles() {
	local n1 n2
	n1=$(grep -c "olt1: cycle done" "$HLOG")
	n2=$(grep -c "olt2: cycle done" "$HLOG")
	wait_for 30 eval "[ \$(grep -c 'olt1: cycle done' '$HLOG') -ge $((n1 + $1)) ] &&
		[ \$(grep -c 'olt2: cycle done' '$HLOG') -ge $((n2 + $1)) ]"
}
sim deactivate olt1 0/1/0:3-5 >/dev/null
sim deactivate olt2 1/1/1:3-5 >/dev/null
like "the simulator reports the deactivated ONUs with cause 8" \
	"$(sim show olt1 0/1/0 | grep -c 'state=offline cause=8')" "^3$"
ok "two ONU cycles read them" cycles 2
is "and no alarm was raised for them (Huawei: last down cause)" "$(alarm_set olt1)" ""
is "  nor for the disabled ZTE ONUs (admin state)" "$(alarm_set olt2)" ""

# An ONU in LOS (its trap raised the alarm) that the operator then
# deactivates: the device now says "deactivated", so the LOS is over.
sim los olt1 0/1/0:7 >/dev/null
sim wait >/dev/null
ok "an ONU LOS trap raises onu.los 0/1/0:7" \
	wait_for 10 eval '[ "$(alarm_set olt1)" = "onu.los 0/1/0:7" ]'
sim deactivate olt1 0/1/0:7 >/dev/null
ok "deactivated, its LOS is cleared by the poll" \
	wait_for 20 eval '[ -z "$(alarm_set olt1)" ]'
is "  with the device's cause" \
	"$(q "$DB" "SELECT source || ' ' || cause FROM events WHERE action = 'clear' AND onu = 7")" \
	"poll poll: deactivated"
stop_heraldd
