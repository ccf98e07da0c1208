#!/bin/bash
# 24-sim-control: herald-sim's command language on the control socket, in a
# scenario file and on stdin; errors are clear (and stop a scenario at its
# line); `stats` counts the requests each device receives per second, which
# is what the poller's budget tests read, and the longest silence between
# two requests (the cluster tests' polling gap); bad options are refused.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
command -v snmpget >/dev/null || skip_all "net-snmp tools (snmp) not installed"
plan 18

start_sim --olts 2 --pons 1 --onus 4 --dslams 1 --dsl-slots 1 --dsl-ports 2
sim stats reset all >/dev/null
for i in 1 2 3 4 5 6 7; do
	snmpget -v2c -c public -t 1 -r 0 "$(sim_addr 1)" 1.3.6.1.2.1.1.3.0 >/dev/null
done
snmpbulkwalk -v2c -c public -Cr5 "$(sim_addr 2)" 1.3.6.1.2.1.2.2.1.8 >/dev/null
st=$(sim stats olt1 | head -1)
like "stats counts each request (7 GETs)" "$st" "^olt1 requests=7 answered=7 ignored=0 get=7 "
max=$(echo "$st" | sed 's/.*max_per_s=\([0-9]*\).*/\1/')
ok "max_per_s is the busiest second ($max)" test "$max" -ge 1 -a "$max" -le 7
like "GETBULK requests are counted per PDU" "$(sim stats olt2)" "getbulk=1 "
like "stats ends with the trap counters" "$(sim stats)" "traps queued=0 sent=0 "
snmpget -v2c -c public -t 1 -r 0 "$(sim_addr 2)" 1.3.6.1.2.1.1.3.0 >/dev/null
sleep 1.2
snmpget -v2c -c public -t 1 -r 0 "$(sim_addr 2)" 1.3.6.1.2.1.1.3.0 >/dev/null
gap=$(sim stats olt2 | sed -n 's/.* max_gap_ms=\([0-9]*\) idle_ms=[0-9]*$/\1/p')
ok "max_gap_ms is the longest silence between two requests ($gap)" \
    test "${gap:-0}" -ge 1150 -a "${gap:-0}" -lt 3000

out=$(sim frobnicate 2>&1); rc=$?
like "an unknown command is an error" "$out" "unknown command \"frobnicate\""
ok "and the client exits 1" test "$rc" -eq 1
like "a port the OLT does not have" "$(sim cut olt1 0/9/9 2>&1)" "olt1 has no PON port 0/9/9"
like "an OLT command on a DSLAM" "$(sim cut dslam1 0/1/0 2>&1)" "dslam1 is not an OLT"
like "an ONU id out of range" "$(sim los olt1 0/1/0:7 2>&1)" "ONU ids on 0/1/0 are 0-3"
like "show lists the faults" "$(sim los olt1 0/1/0:2 >/dev/null; sim show olt1)" "onu 0/1/0:2 los"

# A scenario file: runs in order, sleeps without blocking, stops at an error.
cat >"$TEST_TMP/scen" <<EOS
# comment
echo start
sleep 0.4
cut olt1 0/1/0
show olt1 0/1/0
bogus-command
echo never
EOS
t0=$(date +%s%N)
"$HERALD_SIM" -n --olts 1 --pons 1 --onus 2 -l "127.0.0.1:$(free_udp_port)" \
    -f "$TEST_TMP/scen" >"$TEST_TMP/scen.out" 2>&1 &
TEST_PIDS="$TEST_PIDS $!"
wait_log "$TEST_TMP/scen.out" "error:" 5
ms=$((($(date +%s%N) - t0) / 1000000))
like "a scenario runs its commands in order" "$(tr '\n' '|' <"$TEST_TMP/scen.out")" \
    "\|start\|ok\|ok\|ok\|onu 0/1/0:0 state=los cause=2\|"
ok "sleep 0.4 held it (${ms} ms)" test "$ms" -ge 400
like "an error names the file and line" "$(cat "$TEST_TMP/scen.out")" \
    "error: $TEST_TMP/scen:6: unknown command \"bogus-command\""
ok "and stops the scenario" bash -c "! grep -q never '$TEST_TMP/scen.out'"

out=$(printf 'list\nquit\n' | timeout 5 "$HERALD_SIM" --olts 1 --pons 1 --onus 2 \
    -l "127.0.0.1:$(free_udp_port)" 2>/dev/null | tr '\n' '|')
like "commands on stdin; quit ends the simulator" "$out" "^olt1 olt huawei MA5800 [^|]*\|ok\|ok\|$"
like "--write-inventory refuses --port-mode" \
    "$("$HERALD_SIM" --port-mode --write-inventory "$TEST_TMP" 2>&1)" "needs its own"
like "a bad fleet option is refused" "$("$HERALD_SIM" --onus 500 2>&1)" \
    "--onus 500: want a number from 1 to 128"
