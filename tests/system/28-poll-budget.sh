#!/bin/bash
# 28-poll-budget: a storm on every PON port of an OLT whose budget is one
# request in flight and five a second. Each trap asks for a confirmation
# read; the OLT (which answers slowly here, as a busy line card does) must
# never see more than its budget, and herald still ends with the right
# alarm set. Counted by the simulator, not by herald.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 7

poll_setup "--olts 1 --vendors huawei --pons 8 --onus 32 --rate 0 --drop 0.5 --seed 3" \
	'budget "olt1" {
		max_inflight = 1
		max_rate = 5
	}' || { fail "set-up"; exit 1; }
ok "the OLT is polled" wait_log "$HLOG" "olt1: cycle done" 30
sim delay olt1 150 >/dev/null
sim stats reset olt1 >/dev/null

sim power-off olt1 $(for p in 0 1 2 3 4 5 6 7; do printf '0/1/%d ' $p; done) >/dev/null
want=$(for p in 0 1 2 3 4 5 6 7; do for o in $(seq 0 31); do
	echo "onu.dying_gasp 0/1/$p:$o"; done; done | sort)
all_down() { [ "$(alarm_set olt1)" = "$want" ]; }
ok "all 256 ONUs end up raised, lost traps included" wait_for 60 all_down

st=$(sim stats olt1 | head -1)
max_s=$(echo "$st" | sed -n 's/.* max_per_s=\([0-9]*\).*/\1/p')
max_in=$(echo "$st" | sed -n 's/.* max_inflight=\([0-9]*\).*/\1/p')
req=$(echo "$st" | sed -n 's/^olt1 requests=\([0-9]*\).*/\1/p')
ok "the OLT was asked (requests=$req)" test "$req" -gt 20
ok "never more than 5 requests in one second (max_per_s=$max_s)" test "$max_s" -le 5
ok "never more than 1 in flight (max_inflight=$max_in)" test "$max_in" -le 1
waits() { [ "$(poll_stat budget_waits)" -gt 0 ] && [ "$(poll_stat confirms_merged)" -gt 0 ]; }
ok "the poller queued and merged instead" wait_for 5 waits
ok "heraldd is still running" alive $HERALDD_PID
