#!/bin/bash
# 10-trap-netsnmp: net-snmp's own snmptrap and snmpinform send v1, v2c and
# v3 (authPriv and authNoPriv) traps and informs in Huawei, ZTE and DSLAM
# formats; heraldd stores each as a normalised event with the right kind,
# action and location, answers the informs, and counts them.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 17

trap_start
ok "heraldd knows the 5 devices" grep -q "trap: 5 devices known" "$TEST_TMP/h.log"

strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG $(hw_loc 1 3 12) >/dev/null
ok "v2c Huawei dying gasp: one row" wait_rows "rule = 'hwGponProfOntDGAlarmTrap'" 1
is "  normalised: device, kind, action, cause, frame/slot/port/onu, pdu, peer" \
	"$(q "$db" "SELECT device_id, kind, action, cause, frame, slot, port, onu, pdu, peer, source FROM events WHERE rule = 'hwGponProfOntDGAlarmTrap'")" \
	"1|onu.dying_gasp|raise|dying-gasp|0|1|3|12|v2c-trap|127.0.0.1|trap"
like "  raw varbinds are kept" "$(q "$db" "SELECT varbinds FROM events WHERE rule = 'hwGponProfOntDGAlarmTrap'")" \
	"1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0 i 12"

# SNMPv1 generic linkDown (2) from an OLT: the Huawei ifIndex is decoded.
strap 127.0.0.1 -v1 -c public "$TRAP_TO" 1.3.6.1.4.1.2011 127.0.0.1 2 0 '' \
	1.3.6.1.2.1.2.2.1.1.4194312960 i 4194312960 >/dev/null
ok "v1 linkDown: port 0/1/3 down from the GPON ifIndex" \
	wait_rows "pdu = 'v1-trap' AND kind = 'port.down' AND slot = 1 AND port = 3 AND if_index = 4194312960" 1

out=$(sinform 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG_CLEAR $(hw_loc 1 3 12))
is "v2c inform is answered (snmpinform succeeds)" "$?:$out" "0:"
ok "  and stored as the clear" wait_rows "pdu = 'v2c-inform' AND action = 'clear' AND kind = 'onu.dying_gasp' AND onu = 12" 1

# ZTE as SNMPv1: enterprise ...3.45, specific 101 (LOSi), no .0 arc.
strap 127.0.0.4 -v1 -c public "$TRAP_TO" 1.3.6.1.4.1.3902.1012.3.45 127.0.0.4 6 101 '' \
	$ZTE_NAME.268566784.7 s "onu-7" >/dev/null
ok "v1 ZTE LOSi: onu.los on 1/2/1 ONU 7" \
	wait_rows "device_id = 4 AND kind = 'onu.los' AND slot = 2 AND port = 1 AND onu = 7 AND trap_oid = '1.3.6.1.4.1.3902.1012.3.45.0.101'" 1

strap 127.0.0.2 $V3ZTE -e $V3_ENGINE "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.124 \
	$ZTE_NAME.268566784.7 s "onu-7" >/dev/null
ok "v3 authPriv trap (device engine ID): dying gasp clear" \
	wait_rows "device_id = 2 AND pdu = 'v3-trap' AND kind = 'onu.dying_gasp' AND action = 'clear' AND onu = 7" 1

out=$(sinform 127.0.0.2 $V3ZTE "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.123 $ZTE_NAME.268566784.9 s "onu-9")
is "v3 authPriv inform (our engine ID) is answered" "$?:$out" "0:"
ok "  and stored" wait_rows "device_id = 2 AND pdu = 'v3-inform' AND action = 'raise' AND onu = 9" 1

strap 127.0.0.5 $V3AUTH -e $V3_ENGINE "$TRAP_TO" '' $HW_DG $(hw_loc 2 4 6) >/dev/null
out=$(sinform 127.0.0.5 $V3AUTH "$TRAP_TO" '' $HW_DG_CLEAR $(hw_loc 2 4 6))
ok "v3 authNoPriv trap and inform" \
	wait_rows "device_id = 5 AND slot = 2 AND port = 4 AND onu = 6 AND pdu IN ('v3-trap', 'v3-inform')" 2

strap 127.0.0.3 -v2c -c dslcomm "$TRAP_TO" '' 1.3.6.1.6.3.1.1.5.3 \
	1.3.6.1.2.1.2.2.1.1.1001 i 1001 1.3.6.1.2.1.2.2.1.7.1001 i 1 1.3.6.1.2.1.2.2.1.8.1001 i 2 >/dev/null
ok "DSLAM linkDown with its own community: dsl.line_down on line 1001" \
	wait_rows "device_id = 3 AND kind = 'dsl.line_down' AND action = 'raise' AND line = 1001" 1
strap 127.0.0.3 -v2c -c dslcomm "$TRAP_TO" '' 1.3.6.1.2.1.10.238.1.0.18 \
	1.3.6.1.2.1.10.238.1.1.1.1.12.1002 x 10 >/dev/null
ok "ADSL2 status change with lossOfPower raises on line 1002" \
	wait_rows "device_id = 3 AND rule = 'adsl2LineStatusChangeAtur' AND action = 'raise' AND line = 1002" 1

ok "counters: 10 accepted, 3 informs answered, nothing rejected" \
	wait_for 10 sh -c "[ \"\$(psql -X -qAt -d '$db' -c \"SELECT string_agg(name || '=' || value, ' ' ORDER BY name) FROM collector_stats WHERE collector = 'trap' AND name IN ('accepted', 'informs_answered', 'bad_community', 'usm_failure', 'parse_error', 'unknown_source')\")\" = 'accepted=10 bad_community=0 informs_answered=3 parse_error=0 unknown_source=0 usm_failure=0' ]"
stop_heraldd
is "heraldd stops cleanly" "$STOP_RC" "0"
like "and logs its counters at exit" "$(grep 'stats trap:' "$TEST_TMP/h.log" | tail -1)" "accepted=10 .*informs_answered=3"
