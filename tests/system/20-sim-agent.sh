#!/bin/bash
# 20-sim-agent: herald-sim's agents answer the real net-snmp tools (snmpget,
# snmpwalk, snmpbulkwalk; v1, v2c, v3 authNoPriv and authPriv) with what the
# fleet holds: names, vendor ifIndex layouts, ONU tables, DSL lines; they
# refuse wrong credentials; the inventory files describe the same fleet.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
command -v snmpget >/dev/null || skip_all "net-snmp tools (snmp) not installed"
plan 23

FLEET="--olts 4 --pons 2 --onus 8 --dslams 1 --dsl-slots 1 --dsl-ports 4"
start_sim $FLEET
get() { snmpget -v2c -c public -On -Oqv -t 1 -r 1 "$@"; }
walk() { snmpwalk -v2c -c public -On -Oq -t 1 -r 1 "$@"; }
bulk() { snmpbulkwalk -v2c -c public -On -Oq -t 1 -r 1 "$@"; }

names=""
for i in 1 2 3 4 5; do names="$names $(get "$(sim_addr $i)" 1.3.6.1.2.1.1.5.0)"; done
is "each agent answers sysName with its device name" "$names" \
    ' "olt1" "olt2" "olt3" "olt4" "dslam1"'
is "Huawei sysObjectID" "$(get "$(sim_addr 1)" 1.3.6.1.2.1.1.2.0)" \
    ".1.3.6.1.4.1.2011.2.248"
like "sysUpTime is TimeTicks" \
    "$(snmpget -v2c -c public -On "$(sim_addr 1)" 1.3.6.1.2.1.1.3.0)" "Timeticks: \([0-9]+\)"
is "Huawei PON ifIndex: 0xFA000000 | frame<<19 | slot<<13 | port<<8" \
    "$(walk "$(sim_addr 1)" 1.3.6.1.2.1.2.2.1.1 | awk '{print $2}' | tr '\n' ' ')" \
    "4194312192 4194312448 "
is "ZTE C300 ifIndex, layout A (gpon-olt_1/1/1 = 268501248)" \
    "$(walk "$(sim_addr 2)" 1.3.6.1.2.1.2.2.1.1 | awk '{print $2}' | tr '\n' ' ')" \
    "268501248 268501504 "
is "ZTE C600 ifIndex, layout B (rack 1 shelf 1 slot 1 port 1 = 285278465)" \
    "$(walk "$(sim_addr 3)" 1.3.6.1.2.1.2.2.1.1 | awk '{print $2}' | head -1)" "285278465"
is "ZTE ifDescr" "$(get "$(sim_addr 2)" 1.3.6.1.2.1.2.2.1.2.268501504)" '"gpon-olt_1/1/2"'
is "FiberHome onuStatus: one row per ONU, signed index slot|pon|onu" \
    "$(bulk "$(sim_addr 4)" 1.3.6.1.4.1.5875.800.3.10.1.1.11 | head -1)" \
    ".1.3.6.1.4.1.5875.800.3.10.1.1.11.34078976 1"
is "FiberHome has 2 x 8 ONU rows" \
    "$(bulk "$(sim_addr 4)" 1.3.6.1.4.1.5875.800.3.10.1.1.11 | grep -c ' [0-3]$')" "16"
is "Huawei ONT run status: 16 rows, all up(1)" \
    "$(bulk "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15 | awk '{print $2}' | sort | uniq -c | tr -s ' ')" \
    " 16 1"
# sysUpTime moves between the two walks
walk "$(sim_addr 2)" .1 2>&1 | grep -v '^\.1\.3\.6\.1\.2\.1\.1\.3\.0 ' >"$TEST_TMP/walk"
bulk "$(sim_addr 2)" .1 2>&1 | grep -v '^\.1\.3\.6\.1\.2\.1\.1\.3\.0 ' >"$TEST_TMP/bulk"
ok "snmpwalk (GETNEXT) and snmpbulkwalk (GETBULK) see the same tree" \
    cmp "$TEST_TMP/walk" "$TEST_TMP/bulk"
like "the ZTE tree holds PhaseState working(3) rows" "$(cat "$TEST_TMP/bulk")" \
    "1012\.3\.28\.2\.1\.4\.268501248\.1 3"
snmpbulkwalk $SIM_V3 -On -Oq "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.43 >"$TEST_TMP/v3" 2>&1
bulk "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.43 >"$TEST_TMP/v2" 2>&1
ok "v3 authPriv (SHA/AES) walk answers what v2c does" cmp "$TEST_TMP/v3" "$TEST_TMP/v2"
is "v3 authNoPriv get" "$(snmpget -v3 -l authNoPriv -u $SIM_USER -a SHA -A $SIM_AUTH \
    -On -Oqv "$(sim_addr 5)" 1.3.6.1.2.1.1.5.0)" '"dslam1"'
ok "a wrong community gets no answer" \
    bash -c "! snmpget -v2c -c wrong -t 0.3 -r 0 $(sim_addr 1) 1.3.6.1.2.1.1.5.0"
ok "a wrong v3 password is refused" \
    bash -c "! snmpget -v3 -l authPriv -u $SIM_USER -a SHA -A wrongpass1 -x AES -X $SIM_PRIV -t 0.3 -r 0 $(sim_addr 1) 1.3.6.1.2.1.1.5.0"
sim access dslam1 v3 >/dev/null
ok "a v3-only device ignores v2c" \
    bash -c "! snmpget -v2c -c public -t 0.3 -r 0 $(sim_addr 5) 1.3.6.1.2.1.1.5.0"
is "DSLAM lines: ifOperStatus up, ATU-R noDefect (v3)" \
    "$(snmpbulkwalk $SIM_V3 -On -Oqv "$(sim_addr 5)" 1.3.6.1.2.1.2.2.1.8 | tr '\n' ' ')$(snmpget $SIM_V3 -On -Oqv "$(sim_addr 5)" 1.3.6.1.2.1.10.94.1.1.3.1.6.1001)" \
    '1 1 1 1 "80 "'

# The inventory the simulator writes names the same devices and ONUs.
mkdir "$TEST_TMP/inv"
"$HERALD_SIM" $FLEET -l "$SIM_IP:$SIM_PORT" --write-inventory "$TEST_TMP/inv" 2>/dev/null
is "devices.csv: the agents' addresses" \
    "$(awk -F, 'NR>1 {printf "%s=%s ", $1, $5}' "$TEST_TMP/inv/devices.csv")" \
    "olt1=${SIM_IP%.1}.1 olt2=${SIM_IP%.1}.2 olt3=${SIM_IP%.1}.3 olt4=${SIM_IP%.1}.4 dslam1=${SIM_IP%.1}.5 "
acct=$(get "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.43.1.9.4194312448.3 | tr -d '"')
sn=$(get "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.43.1.3.4194312448.3 | tr -d '" ')
is "subscribers.csv: the ONU at olt1 0/1/1:3 has the account and serial the OLT reports" \
    "$(awk -F, '$6=="olt1" && $7==0 && $8==1 && $9==1 && $10==3 {print $1, $11}' "$TEST_TMP/inv/subscribers.csv")" \
    "$acct HWTC${sn:8:8}"
is "subscribers.csv: each DSL line carries the ifIndex the DSLAM's agent uses" \
    "$(awk -F, 'NR>1 && $6=="dslam1" {print $13}' "$TEST_TMP/inv/subscribers.csv" | sort -n | tr '\n' ' ')" \
    "$(snmpbulkwalk $SIM_V3 -On -Oq "$(sim_addr 5)" 1.3.6.1.2.1.2.2.1.8 | sed 's/ .*//; s/.*\.//' | sort -n | tr '\n' ' ')"
is "one subscriber per ONU and per DSL line" \
    "$(($(wc -l <"$TEST_TMP/inv/subscribers.csv") - 1))" "$((4 * 2 * 8 + 4))"

# One address, consecutive ports.
P=$(free_udp_port)
"$HERALD_SIM" -n -q --port-mode --olts 2 --pons 1 --onus 2 -l "127.0.0.1:$((P))" &
TEST_PIDS="$TEST_PIDS $!"
wait_for 5 snmpget -v2c -c public -t 0.2 -r 0 "127.0.0.1:$((P + 1))" 1.3.6.1.2.1.1.5.0
is "--port-mode: the second device answers on the next port" \
    "$(get "127.0.0.1:$((P + 1))" 1.3.6.1.2.1.1.5.0)" '"olt2"'
