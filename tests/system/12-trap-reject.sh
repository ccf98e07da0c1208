#!/bin/bash
# 12-trap-reject: hostile and broken input. Garbage and truncated
# datagrams, wrong communities, wrong USM keys and users, huge varbind
# lists, unknown trap OIDs and traps from unknown addresses: each is counted
# under its reason, logged, and heraldd keeps running (and keeps working).
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 14

TRAP_EXTRA="max_varbinds = 20"
trap_start
PY=/usr/bin/python3
# udp FROM HEX: one raw datagram from an address of our choosing.
udp() {
	$PY -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0))
s.sendto(bytes.fromhex(sys.argv[2]),("127.0.0.1",int(sys.argv[3])))' "$1" "$2" "$TRAP_PORT"
}

udp 127.0.0.1 "deadbeef00112233445566778899"
udp 127.0.0.1 "$(head -c 300 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# A valid v2c trap cut after 20 bytes.
udp 127.0.0.1 "3081a302010104067075626c6963a7819502"
ok "garbage and truncated datagrams: parse_error = 3" wait_stat parse_error 3

strap 127.0.0.1 -v2c -c private "$TRAP_TO" '' $HW_DG $(hw_loc 1 1 1) >/dev/null
strap 127.0.0.3 -v2c -c public "$TRAP_TO" '' 1.3.6.1.6.3.1.1.5.3 >/dev/null
strap 127.0.0.1 -v1 -c wrong "$TRAP_TO" 1.3.6.1.4.1.2011 127.0.0.1 2 0 '' >/dev/null
ok "wrong communities (also another device's): bad_community = 3" wait_stat bad_community 3

strap 127.0.0.2 -v3 -u zteuser -l authPriv -a SHA -A wrong-auth-pass -x AES -X zte-priv-pass \
	-e $V3_ENGINE "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.123 >/dev/null
strap 127.0.0.2 -v3 -u nobody -l authPriv -a SHA -A zte-auth-pass -x AES -X zte-priv-pass \
	-e $V3_ENGINE "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.123 >/dev/null
# hwuser is valid USM, but device 2 is configured for zteuser.
strap 127.0.0.2 $V3AUTH -e $V3_ENGINE "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.123 >/dev/null
# A v3 trap from a device with community credentials.
strap 127.0.0.1 $V3AUTH -e $V3_ENGINE "$TRAP_TO" '' $HW_DG >/dev/null
# One datagram exactly: herald's engine ID is given, so there is no discovery
# probe (whose answer a loaded machine may send after the sender's timeout,
# and then no inform goes out), and -r 0 means no retransmission either.
our_engine=$(sed -n 's/.*trap: .* engine ID \([0-9A-Fa-fx]*\).*/\1/p' "$TEST_TMP/h.log" | head -1)
out=$(snmpinform -t 5 -r 0 --clientaddr=127.0.0.2 -v3 -e "$our_engine" -u zteuser -l authPriv -a SHA \
	-A wrong-auth-pass -x AES -X zte-priv-pass "$TRAP_TO" '' 1.3.6.1.4.1.3902.1012.3.45.123 2>&1)
is "an inform with a wrong key is not answered" "$?" "1"
ok "wrong key, unknown user, other device's user, v3 without v3 credentials: usm_failure = 5" \
	wait_stat usm_failure 5

big=""
for i in $(seq 30); do big="$big 1.3.6.1.4.1.2011.9.$i.0 s padding-$i"; done
strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG $big >/dev/null
ok "30 varbinds over max_varbinds = 20: parse_error = 4" wait_stat parse_error 4

strap 127.0.0.9 -v2c -c public "$TRAP_TO" '' $HW_DG $(hw_loc 1 1 1) >/dev/null
strap 127.0.0.10 -v1 -c public "$TRAP_TO" 1.3.6.1.4.1.2011 127.0.0.10 2 0 '' >/dev/null
ok "traps from unknown addresses: unknown_source = 2" wait_stat unknown_source 2

strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' 1.3.6.1.4.1.2011.99.1.2.3 1.3.6.1.4.1.2011.99.1 s hello >/dev/null
ok "an unknown trap OID from a known device: unknown_trap = 1" wait_stat unknown_trap 1
is "  kept as a raw event for profile writers" \
	"$(q "$db" "SELECT device_id, coalesce(kind, 'NULL'), action, trap_oid, varbinds FROM events WHERE trap_oid LIKE '1.3.6.1.4.1.2011.99.%'")" \
	"1|NULL|raw|1.3.6.1.4.1.2011.99.1.2.3|1.3.6.1.4.1.2011.99.1 s \"hello\""
is "only that one reached the events table" "$(rows "true")" "1"
ok "rejects are logged with their reason" grep -q "rejected (usm_failure)" "$TEST_TMP/h.log"
ok "received counts every datagram: 15" wait_stat received 15

ok "heraldd is still running" alive $HERALDD_PID
strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' $HW_DG $(hw_loc 3 3 3) >/dev/null
ok "and still takes good traps" wait_rows "kind = 'onu.dying_gasp' AND slot = 3" 1
stop_heraldd
is "heraldd stops cleanly" "$STOP_RC" "0"
