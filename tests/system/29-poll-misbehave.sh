#!/bin/bash
# 29-poll-misbehave: one OLT answers with wrong types, truncated tables,
# endless GETBULK loops (non-increasing OIDs) and then not at all. Its
# answers are refused and counted; the other OLT's faults are still found,
# and heraldd stays up.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 14

poll_setup "--olts 2 --vendors huawei,huawei --pons 2 --onus 16 --drop 1" ||
	{ fail "set-up"; exit 1; }
ok "both OLTs are read" wait_log "$HLOG" "olt2: cycle done" 15

i=0
want=""
for mode in wrong-type truncate loop timeout; do
	sim misbehave olt2 $mode >/dev/null
	sim los olt1 0/1/0:$i >/dev/null
	want=$(printf '%s\nonu.los 0/1/0:%d' "$want" $i | sed '/^$/d' | sort)
	found() { [ "$(alarm_set olt1)" = "$want" ]; }
	ok "$mode on olt2: olt1's lost fault is still found" wait_for 15 found
	i=$((i + 1))
	case $mode in
	wrong-type)
		bad() { [ "$(poll_stat bad_rows)" -gt 0 ]; }
		ok "wrong types are refused and counted" wait_for 5 bad
		is "and raise nothing" "$(alarm_set olt2)" ""
		;;
	truncate)
		is "a truncated table raises and clears nothing" "$(alarm_set olt2)" ""
		;;
	loop)
		ok "a non-increasing walk is stopped" \
			wait_log "$HLOG" "olt2.*non-increasing OID" 10
		n1=$(sim stats olt2 | head -1 | sed -n 's/^olt2 requests=\([0-9]*\).*/\1/p')
		sleep 3
		n2=$(sim stats olt2 | head -1 | sed -n 's/^olt2 requests=\([0-9]*\).*/\1/p')
		ok "and does not spin: $((n2 - n1)) requests in 3 s" test $((n2 - n1)) -le 30
		is "loops raise nothing" "$(alarm_set olt2)" ""
		;;
	timeout)
		unreach() { [ "$(alarm_set olt2)" = "device.unreachable -/-/-" ]; }
		ok "no answer at all is device.unreachable" wait_for 10 unreach
		;;
	esac
done
ok "heraldd is still running" alive $HERALDD_PID
sim misbehave olt2 none >/dev/null
back() { [ -z "$(alarm_set olt2)" ]; }
ok "and olt2 is back to normal when it behaves" wait_for 10 back
