#!/bin/bash
# 23-sim-misbehave: the faulty agents a poller must survive do what they
# say, per device, switched by command: OIDs that do not increase (an
# endless GETBULK loop), truncated tables, wrong types, no answer at all,
# slow answers (requests pile up in flight), while other devices answer.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
command -v snmpget >/dev/null || skip_all "net-snmp tools (snmp) not installed"
plan 13

start_sim --olts 2 --pons 2 --onus 8 --vendors huawei
RUN=1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15
get() { snmpget -v2c -c public -On -Oq -t 1 -r 0 "$@"; }
rows() { snmpbulkwalk -v2c -c public -On -Oq -t 1 -r 0 "$@" 2>/dev/null | grep -c "^\.$RUN\..* [0-9]*$"; }

sim misbehave olt1 loop >/dev/null
out=$(timeout 10 snmpwalk -v2c -c public -On -t 1 -r 0 "$(sim_addr 1)" $RUN 2>&1); rc=$?
like "loop: snmpwalk stops with 'OID not increasing'" "$out" "OID not increasing"
ok "and fails" test "$rc" -ne 0
out=$(timeout 10 snmpbulkwalk -v2c -c public -On -t 1 -r 0 "$(sim_addr 1)" $RUN 2>&1)
like "loop: so does snmpbulkwalk (GETBULK)" "$out" "OID not increasing"
is "the other OLT walks normally meanwhile" "$(rows "$(sim_addr 2)" $RUN)" 16

sim misbehave olt1 truncate >/dev/null
is "truncate: the table ends half way" "$(rows "$(sim_addr 1)" $RUN)" 8
like "truncate: a row past the end is noSuchInstance" \
    "$(get "$(sim_addr 1)" $RUN.4194312448.7)" "No Such Instance"

sim misbehave olt1 wrong-type >/dev/null
is "wrong-type: an INTEGER column answers a STRING" \
    "$(snmpget -v2c -c public -On "$(sim_addr 1)" $RUN.4194312192.0)" \
    ".$RUN.4194312192.0 = STRING: \"1\""
like "wrong-type: a STRING answers an INTEGER" \
    "$(snmpget -v2c -c public -On "$(sim_addr 1)" 1.3.6.1.2.1.1.5.0)" "INTEGER: 4"

sim misbehave olt1 timeout >/dev/null
ok "timeout: no answer" bash -c "! snmpget -v2c -c public -t 0.5 -r 0 $(sim_addr 1) 1.3.6.1.2.1.1.5.0"
like "while the other OLT answers" "$(get "$(sim_addr 2)" 1.3.6.1.2.1.1.5.0)" '"olt2"'
like "timeout requests are counted as ignored" "$(sim stats olt1)" "ignored=1 "

sim misbehave olt1 none >/dev/null
sim delay olt1 400 >/dev/null
sim stats reset olt1 >/dev/null
for i in 1 2 3 4; do
	snmpget -v2c -c public -t 2 -r 0 "$(sim_addr 1)" 1.3.6.1.2.1.1.5.0 >"$TEST_TMP/slow$i" 2>&1 &
	pids="${pids:-} $!"
done
wait $pids
is "delay: four slow answers all arrive" "$(cat "$TEST_TMP"/slow* | grep -c olt1)" 4
like "and were in flight together (max_inflight=4)" "$(sim stats olt1)" "max_inflight=4 "
