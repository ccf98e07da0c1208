#!/bin/bash
# 21-sim-traps: every fault herald-sim injects changes what its agent reports
# and emits the vendor's traps (OIDs and varbinds of pon-dslam-oids.md), and
# every restoration the clears; Debian's snmptrapd is the independent
# receiver. A silent (powered-off) OLT answers nothing and sends nothing,
# and comes back with a coldStart. v3 traps pass snmptrapd's USM. With a
# list of targets (an OLT with two trap destinations) every trap goes to
# each receiver.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
command -v snmpget >/dev/null || skip_all "net-snmp tools (snmp) not installed"
plan 30

start_trapd
start_sim --olts 4 --pons 2 --onus 8 --dslams 1 --dsl-slots 1 --dsl-ports 4 \
    -t "udp:127.0.0.1:$TRAPD_PORT" --rate 300
get() { snmpget -v2c -c public -On -Oqv -t 1 -r 1 "$@"; }
walkv() { snmpbulkwalk -v2c -c public -On -Oqv -t 1 -r 1 "$@" | tr '\n' ' '; }
HW=1.3.6.1.4.1.2011.6.128.1.1.12.2
ZTE=1.3.6.1.4.1.3902.1012.3.45
PON0=4194312192		# Huawei 0/1/0

# Huawei fibre cut: PON LOS first (8 ONTs affected, none with DGi), then LOSi.
sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
wait_traps 8 $HW.2.0.12
is "Huawei fibre cut: one hwXponProfOltLOSAlarmTrap" "$(trap_count $HW.1.0.108)" 1
like "with frame/slot/port 0/1/0, AffectOntNum 8, DgiOntNum 0" "$(traps_with $HW.1.0.108)" \
    "3\.3\.4\.1\.1\.$PON0 = INTEGER: 0	.*145\.2\.48\.$PON0 = INTEGER: 8	.*145\.2\.49\.$PON0 = INTEGER: 0"
is "then one hwGponProfOntLOSAlarmTrap per ONT" "$(trap_count $HW.2.0.12)" 8
first_pon=$(grep -n "OID: .$HW.1.0.108" "$TRAPD_LOG" | head -1 | cut -d: -f1)
first_ont=$(grep -n "OID: .$HW.2.0.12	" "$TRAPD_LOG" | head -1 | cut -d: -f1)
ok "the PON LOS arrives before the ONT LOS" test "$first_pon" -lt "$first_ont"
like "traps come from the OLT's own address" "$(sed -n "$((first_pon - 1))p" "$TRAPD_LOG")" \
    "\[${SIM_IP//./\\.}\]:$SIM_PORT->"
like "ONT LOS names the ONT (hwGponDeviceOntIndex)" "$(traps_with $HW.2.0.12 | tail -1)" \
    "43\.1\.1\.$PON0\.7 = INTEGER: 7"
is "the OLT reports the cut: PON down, ONTs down(2) with LastDownCause LOSi(2)" \
    "$(get "$(sim_addr 1)" 1.3.6.1.2.1.2.2.1.8.$PON0) $(walkv "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15.$PON0)$(walkv "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.46.1.24.$PON0)" \
    "2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 "
sim restore olt1 0/1/0 >/dev/null && sim wait >/dev/null
wait_traps 8 $HW.2.0.13
is "restore: one PON LOS clear and eight ONT LOS clears" \
    "$(trap_count $HW.1.0.109) $(trap_count $HW.2.0.13)" "1 8"
is "and the ONTs run again" "$(walkv "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15.$PON0)" \
    "1 1 1 1 1 1 1 1 "

# ZTE C300: area power cut (dying gasp) on three ONUs, one drop fibre.
is "power-off of a set of ONUs" "$(sim power-off olt2 onus 1/1/1:1-3)" "changed 3"
sim los olt2 1/1/2:5 >/dev/null && sim wait >/dev/null
wait_traps 3 $ZTE.123 && wait_traps 1 $ZTE.101
is "three zxGponOltDGi and one zxGponOltLOSi" "$(trap_count $ZTE.123) $(trap_count $ZTE.101)" "3 1"
like "DGi carries the PON ifIndex and the ONU name" "$(traps_with $ZTE.123 | head -1)" \
    "2\.2\.1\.1\.268501248 = INTEGER: 268501248	.*28\.1\.1\.2\.268501248\.1 = STRING: \"A0000"
is "PhaseState: dyinggasp(4) for 1-3, working(3) for 4" \
    "$(walkv "$(sim_addr 2)" 1.3.6.1.4.1.3902.1012.3.28.2.1.4.268501248 | cut -d' ' -f1-4)" "4 4 4 3"
sim restore olt2 >/dev/null && sim wait >/dev/null
wait_traps 3 $ZTE.124 && wait_traps 1 $ZTE.102
is "restore: three DGi restores and one LOSi restore" \
    "$(trap_count $ZTE.124) $(trap_count $ZTE.102)" "3 1"

# Boards.
sim board-fail olt1 0/1 >/dev/null && sim wait >/dev/null
wait_traps 1 1.3.6.1.4.1.2011.6.3.8.3.3.0.3
like "Huawei board failure: hwDevBoardFaultTrap for slot 0/1" \
    "$(traps_with 1.3.6.1.4.1.2011.6.3.8.3.3.0.3)" "3\.3\.2\.1\.1\.0\.1 = INTEGER: 1"
is "hwSlotOperStatus fault(3)" "$(get "$(sim_addr 1)" 1.3.6.1.4.1.2011.6.3.3.2.1.8.0.1)" 3
sim board-fail olt3 1/1 >/dev/null && sim wait >/dev/null
wait_traps 1 1.3.6.1.4.1.3902.1015.2.2.2.2
like "ZTE C600 board failure: zxAnEquipCardDown, zxAnCardOperStatus faulty(9)" \
    "$(traps_with 1.3.6.1.4.1.3902.1015.2.2.2.2)" "1015\.2\.1\.1\.3\.1\.5\.1\.1\.1 = INTEGER: 9"

# FiberHome: no public trap MIB, so a fibre cut is an IF-MIB linkDown.
sim cut olt4 1/1/1 >/dev/null && sim wait >/dev/null
wait_traps 1 1.3.6.1.6.3.1.1.5.3
like "FiberHome fibre cut: linkDown for PON ifIndex 34078720" \
    "$(traps_with 1.3.6.1.6.3.1.1.5.3)" "2\.2\.1\.1\.34078720 = INTEGER: 34078720	.*2\.2\.1\.8\.34078720 = INTEGER: 2"
is "onuStatus: fibre cut (0)" "$(walkv "$(sim_addr 4)" 1.3.6.1.4.1.5875.800.3.10.1.1.11 | cut -d' ' -f1-2)" "0 0"

# DSLAM: CPE power loss = linkDown + adslAturPerfLprsThreshTrap.
sim line-down dslam1 1/2 power >/dev/null && sim port-down dslam1 1/3 >/dev/null && sim wait >/dev/null
wait_traps 3 1.3.6.1.6.3.1.1.5.3 && wait_traps 1 1.3.6.1.2.1.10.94.1.2.2.0.3
is "DSL line and port down: linkDown for ifIndex 1002 and 1003" \
    "$(traps_with 1.3.6.1.6.3.1.1.5.3 | grep -o '2\.2\.1\.1\.100[0-9]' | tr '\n' ' ')" \
    "2.2.1.1.1002 2.2.1.1.1003 "
is "ATU-R lossOfPower on 1002, ifOperStatus down" \
    "$(get "$(sim_addr 5)" 1.3.6.1.2.1.10.94.1.1.3.1.6.1002) $(get "$(sim_addr 5)" 1.3.6.1.2.1.2.2.1.8.1002)" \
    '"10 " 2'
sim restore dslam1 1/2-3 >/dev/null && sim wait >/dev/null
wait_traps 2 1.3.6.1.6.3.1.1.5.4
is "restore: linkUp for both" "$(trap_count 1.3.6.1.6.3.1.1.5.4)" 2

# Whole OLT power loss: no answers, no traps; then coldStart.
before=$(trap_count $ZTE.161)
sim silence olt3 >/dev/null
ok "a silenced OLT does not answer" \
    bash -c "! snmpget -v2c -c public -t 0.3 -r 0 $(sim_addr 3) 1.3.6.1.2.1.1.5.0"
sim cut olt3 1/1/2 >/dev/null && sim wait >/dev/null
sleep 0.3
is "and sends no trap while silent; the others still answer" \
    "$(trap_count $ZTE.161) $(get "$(sim_addr 2)" 1.3.6.1.2.1.1.5.0)" "$before \"olt2\""
sim wake olt3 >/dev/null && sim wait >/dev/null
wait_traps 1 1.3.6.1.6.3.1.1.5.1
ok "wake: coldStart, and sysUpTime restarted" \
    test "$(snmpget -v2c -c public -Oqvt "$(sim_addr 3)" 1.3.6.1.2.1.1.3.0)" -lt 500

# SNMPv3 traps (authPriv, the simulator's engine ID) pass snmptrapd's USM.
sim trap-version v3 >/dev/null && sim coldstart olt4 >/dev/null && sim wait >/dev/null
ok "a v3 authPriv trap is accepted by snmptrapd" wait_traps 2 1.3.6.1.6.3.1.1.5.1

# Two trap destinations (as OLTs are configured for several heraldd): the
# control command takes a list, and every trap reaches both receivers.
log1=$TRAPD_LOG port1=$TRAPD_PORT
start_trapd
log2=$TRAPD_LOG port2=$TRAPD_PORT
sim target "udp:127.0.0.1:$port1,udp:127.0.0.1:$port2" >/dev/null
like "target takes a comma-separated list; stats shows both" "$(sim stats | tail -1)" \
    "target=udp:127\.0\.0\.1:$port1,udp:127\.0\.0\.1:$port2\$"
before1=$(TRAPD_LOG=$log1 trap_count 1.3.6.1.6.3.1.1.5.1)
sent0=$(sim stats | sed -n 's/^traps .* sent=\([0-9]*\) .*/\1/p')
sim coldstart olt1 olt2 >/dev/null && sim wait >/dev/null
wait_traps 2 1.3.6.1.6.3.1.1.5.1
TRAPD_LOG=$log1 wait_traps $((before1 + 2)) 1.3.6.1.6.3.1.1.5.1
is "each of the two coldStarts reaches both receivers" \
    "$(TRAPD_LOG=$log1 trap_count 1.3.6.1.6.3.1.1.5.1) $(TRAPD_LOG=$log2 trap_count 1.3.6.1.6.3.1.1.5.1)" \
    "$((before1 + 2)) 2"
is "  and counts as two traps sent, not four" \
    "$(( $(sim stats | sed -n 's/^traps .* sent=\([0-9]*\) .*/\1/p') - sent0 ))" 2
sim target "udp:127.0.0.1:$port2,udp:nowhere:1" >"$TEST_TMP/target.out" 2>&1
like "a bad entry refuses the whole list and keeps the old one" \
    "$( (cat "$TEST_TMP/target.out"; sim stats | tail -1) | tr '\n' ' ')" \
    "want an IPv4 address.*target=udp:127\.0\.0\.1:$port1,udp:127\.0\.0\.1:$port2 \$"
