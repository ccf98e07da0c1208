#!/bin/bash
# 19-trap-decode: what the decoders make of values that do not fit and of
# what vendor traps carry beyond a location (issue 8). A location out of
# range (Gauge32 4294967295, a 5-byte INTEGER 3000000000, a ZTE ONU
# instance sub-identifier 2147483648, a negative slot) is a raw event with
# that field NULL, counted as bad_location, and the good trap sent right
# after it still lands; an ifIndex sent as a negative INTEGER is stored
# unsigned; a clear has no raise cause; the Huawei mass power-off mask is
# one dying gasp per ONT; the PON LOS counts land in their columns;
# Response and Report PDUs are unexpected_pdu; net-snmp's own messages are
# rate limited.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 23

trap_start
PY=/usr/bin/python3
# udp FROM HEX [COUNT]: raw datagrams from an address of our choosing.
udp() {
	$PY -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0))
for i in range(int(sys.argv[4])): s.sendto(bytes.fromhex(sys.argv[2]),("127.0.0.1",int(sys.argv[3])))' \
		"$1" "$2" "$TRAP_PORT" "${3:-1}"
}
hw() { strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' "$@" >/dev/null; }

# --- locations that cannot exist ---------------------------------------
hw $HW_DG $HW_FRAME i 0 $HW_SLOT u 4294967295 $HW_PORT i 3 $HW_ONT i 21
hw $HW_DG $HW_FRAME i 0 $HW_SLOT u 2147483648 $HW_PORT i 3 $HW_ONT i 22
hw $HW_DG $HW_FRAME i 0 $HW_SLOT i 3000000000 $HW_PORT i 3 $HW_ONT i 23
hw $HW_DG $HW_FRAME i 0 $HW_SLOT i -5 $HW_PORT i 3 $HW_ONT i 24
# ZTE dying gasp whose ONU id (instance sub-identifier) is 2147483648.
strap 127.0.0.4 -v2c -c public "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.123 \
	$ZTE_NAME.268566784.2147483648 s onu-x >/dev/null
hw $HW_DG $(hw_loc 3 3 25)
ok "the good trap sent right after the bad ones lands" \
	wait_rows "kind = 'onu.dying_gasp' AND action = 'raise' AND slot = 3 AND onu = 25" 1
ok "five bad locations: bad_location = 5" wait_stat bad_location 5
is "  each a raw row (kind NULL) with the slot NULL and the rest kept" \
	"$(q "$db" "SELECT string_agg(onu || ':' || coalesce(kind, 'NULL') || ':' || action || ':' || coalesce(slot::text, 'NULL') || ':' || port, ' ' ORDER BY onu) FROM events WHERE rule = 'hwGponProfOntDGAlarmTrap' AND onu BETWEEN 21 AND 24")" \
	"21:NULL:raw:NULL:3 22:NULL:raw:NULL:3 23:NULL:raw:NULL:3 24:NULL:raw:NULL:3"
is "  the ZTE one: raw, ONU NULL, the PON port still decoded" \
	"$(q "$db" "SELECT coalesce(kind, 'NULL'), action, coalesce(onu::text, 'NULL'), frame, slot, port FROM events WHERE rule = 'zxGponOltDGi'")" \
	"NULL|raw|NULL|1|2|1"
ok "  logged with the field and the value" \
	grep -q "slot 4294967295 is out of range; kept as a raw event" "$TEST_TMP/h.log"
ok "  (and the ZTE ONU id)" grep -q "onu 2147483648 is out of range" "$TEST_TMP/h.log"
is "  and accepted: accepted = 6" "$(stat accepted)" "6"

# --- ifIndex unsigned; a clear has no raise cause ------------------------
HW_RUN=1.3.6.1.4.1.2011.6.128.1.1.12.3.0.100
run_state() {	# STATUS: the PON ifIndex 0xFA002300 as the OLT's 32-bit INTEGER
	hw $HW_RUN 1.3.6.1.2.1.2.2.1.1.0 i -100654336 \
		1.3.6.1.4.1.2011.6.128.1.1.2.41.1.1.0 i 7 \
		1.3.6.1.4.1.2011.6.128.1.1.11.510.0 i "$1"
}
run_state 2
run_state 1
ok "run-state down and up: two rows" wait_rows "rule = 'hwXponProfOntRunStateChangeTrap'" 2
is "  if_index unsigned (4194312960 = 0/1/3), the clear without a cause" \
	"$(q "$db" "SELECT string_agg(action || ':' || coalesce(cause, 'NULL') || ':' || if_index || ':' || slot || '/' || port || ':' || onu, ' ' ORDER BY action DESC) FROM events WHERE rule = 'hwXponProfOntRunStateChangeTrap'")" \
	"raise:run-state-down:4194312960:1/3:7 clear:NULL:4194312960:1/3:7"

# --- mass power-off: one dying gasp per ONT in the mask ------------------
HW_MASS=1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.45
HW_MASS_RESTORE=1.3.6.1.4.1.2011.6.145.3.2.1.0.7
HW_MASK=1.3.6.1.4.1.2011.6.128.1.1.11.2.0
hw $HW_MASS $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 $HW_MASK x C001
ok "mask C0 01: dying gasps for ONTs 0, 1 and 15" \
	wait_rows "rule = 'hwXponNumerousOntsPowerOffAlarmTrap' AND action = 'raise'" 3
is "  on 0/1/3, kind onu.dying_gasp, cause area-power-off" \
	"$(q "$db" "SELECT string_agg(onu || ':' || kind || ':' || cause || ':' || slot || '/' || port, ' ' ORDER BY onu) FROM events WHERE rule = 'hwXponNumerousOntsPowerOffAlarmTrap'")" \
	"0:onu.dying_gasp:area-power-off:1/3 1:onu.dying_gasp:area-power-off:1/3 15:onu.dying_gasp:area-power-off:1/3"
hw $HW_MASS_RESTORE $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 $HW_MASK x C001
ok "the restore: one clear each, without a cause" \
	wait_rows "rule = 'hwXponNumerousOntsPowerOffRestoreAlarmTrap' AND action = 'clear' AND cause IS NULL AND onu IN (0, 1, 15)" 3
# 17 octets, the last bit set: ONT 135 on a port of 128.
hw $HW_MASS $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 4 $HW_MASK x 0000000000000000000000000000000001
ok "a mask naming an ONT beyond the port's 128: bad_location = 6" wait_stat bad_location 6
is "  one raw row for it, no dying gasp" \
	"$(q "$db" "SELECT count(*), min(action), count(kind) FROM events WHERE rule = 'hwXponNumerousOntsPowerOffAlarmTrap' AND port = 4")" \
	"1|raw|0"

# --- PON LOS: affected and dying-gasp ONU counts -------------------------
HW_PON_LOS=1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108
hw $HW_PON_LOS $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 \
	1.3.6.1.4.1.2011.6.145.2.48.0 i 40 1.3.6.1.4.1.2011.6.145.2.49.0 i 38
hw $HW_PON_LOS $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 5 \
	1.3.6.1.4.1.2011.6.145.2.48.0 i -1 1.3.6.1.4.1.2011.6.145.2.49.0 i -1
ok "PON LOS traps: two rows" wait_rows "kind = 'pon.los'" 2
is "  40 affected, 38 dying gasps; -1 (invalid) is NULL" \
	"$(q "$db" "SELECT string_agg(port || ':' || coalesce(affected_onus::text, 'NULL') || ':' || coalesce(dying_gasp_onus::text, 'NULL'), ' ' ORDER BY port) FROM events WHERE kind = 'pon.los'")" \
	"3:40:38 5:NULL:NULL"

# --- Response and Report PDUs --------------------------------------------
# v2c, community "public", request-id 1, no varbinds: A2 Response, A8 Report.
udp 127.0.0.1 301802010104067075626c6963a20b0201010201000201003000
udp 127.0.0.1 301802010104067075626c6963a80b0201010201000201003000
udp 127.0.0.1 3019020101040770726976617465a20b0201010201000201003000 # "private"
ok "a Response and a Report with the right community: unexpected_pdu = 2" \
	wait_stat unexpected_pdu 2
is "  with a wrong one: bad_community; nothing is usm_failure" \
	"$(stat bad_community):$(stat usm_failure)" "1:0"

# --- net-snmp's messages under garbage -------------------------------------
# A v2c trap whose varbind has a value of unknown type 0x49: net-snmp
# logs "bad type returned" for every one.
before=$(grep -c "net-snmp:" "$TEST_TMP/h.log")
udp 127.0.0.1 "302202010104067075626c6963a715020101020100020100300a300806032b0601490100" 300
ok "300 such datagrams: parse_error = 300" wait_stat parse_error 300
n=$(( $(grep -c "net-snmp:" "$TEST_TMP/h.log") - before ))
ok "  net-snmp's lines are rate limited: $n logged, at most 20" [ "$n" -le 20 ]

ok "every datagram in exactly one counter" wait_for 10 sh -c "[ \"\$(psql -X -qAt -d '$db' -c \"SELECT (SELECT value FROM collector_stats WHERE collector = 'trap' AND name = 'received') = sum(value) FROM collector_stats WHERE collector = 'trap' AND name IN ('accepted', 'unknown_source', 'bad_community', 'usm_failure', 'parse_error', 'unexpected_pdu', 'inform_duplicates', 'v3_discovery')\")\" = t ]"
ok "heraldd is still running" alive $HERALDD_PID
stop_heraldd
is "heraldd stops cleanly" "$STOP_RC" "0"
