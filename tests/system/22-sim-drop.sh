#!/bin/bash
# 22-sim-drop: herald-sim drops the share of traps it is told to, the same
# ones for the same seed, sends everything else (snmptrapd receives exactly
# what the simulator says it sent), and paces bursts at the chosen rate.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
command -v snmpget >/dev/null || skip_all "net-snmp tools (snmp) not installed"
plan 8

HW=1.3.6.1.4.1.2011.6.128.1.1.12.2
start_trapd
all_traps() { grep -c '1\.3\.6\.1\.6\.3\.1\.1\.4\.1\.0 = OID' "$TRAPD_LOG" 2>/dev/null; }
received_ids() { traps_with $HW.2.0.12 | grep -o '43\.1\.1\.[0-9]*\.[0-9]*' | sort; }
field() { sim stats olt1 | sed -n "1s/.* $1=\([0-9]*\).*/\1/p"; }

run_drop() {
	start_sim --olts 1 --pons 4 --onus 64 -t "udp:127.0.0.1:$TRAPD_PORT" \
	    --rate 1000 --drop 0.3 --seed 7
	sim cut olt1 0/1/0 0/1/1 0/1/2 0/1/3 >/dev/null
	sim wait >/dev/null
	sent=$(field traps_sent)
	dropped=$(field traps_dropped)
	wait_for 5 test "$(all_traps)" -ge "$sent"
	sleep 0.2
}

run_drop
is "every trap is either sent or dropped (4 PON LOS + 256 ONT LOS)" \
    "$((sent + dropped))" 260
ok "about 30% are dropped ($dropped of 260)" \
    test "$dropped" -ge 52 -a "$dropped" -le 104
is "snmptrapd received exactly the traps sent" "$(all_traps)" "$sent"
received_ids >"$TEST_TMP/ids1"
dropped1=$dropped
sim quit >/dev/null
wait "$SIM_PID" 2>/dev/null

start_trapd
run_drop
received_ids >"$TEST_TMP/ids2"
is "the same seed drops the same count" "$dropped" "$dropped1"
ok "and the same traps" cmp "$TEST_TMP/ids1" "$TEST_TMP/ids2"

# drop 0 at run time: every clear arrives.
start_trapd
sim target "udp:127.0.0.1:$TRAPD_PORT" >/dev/null
sim drop 0 >/dev/null
sim restore olt1 >/dev/null
sim wait >/dev/null
wait_traps 256 $HW.2.0.13
is "after drop 0 every clear arrives" "$(trap_count $HW.2.0.13) $(trap_count $HW.1.0.109)" "256 4"

# rate: 65 traps at 100/s take about 0.65 s.
start_trapd
sim target "udp:127.0.0.1:$TRAPD_PORT" >/dev/null
sim rate 100 >/dev/null
t0=$(date +%s%N)
sim cut olt1 0/1/0 >/dev/null
sim wait >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
ok "a burst of 65 traps at rate 100 takes 0.5-3 s (took $ms ms)" \
    test "$ms" -ge 500 -a "$ms" -le 3000
wait_traps 64 $HW.2.0.12
is "and none is lost" "$(trap_count $HW.2.0.12)" 64
