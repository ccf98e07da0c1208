#!/bin/bash
# 15-profile-ctl: "heraldctl profile test" shows the profile, the rule and
# the event for a trap written as text and for a capture; a broken profile
# is a configuration error with file and line that "heraldd -n" reports.
. "${top_srcdir:-.}/tests/lib/tap.sh"
plan 9

P="$top_srcdir/collectors/profiles"
out=$("$HERALDCTL" -c /nonexistent profile test -p "$P" -k olt -v huawei -m MA5608T --trap \
	'1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18 1.3.6.1.4.1.2011.6.3.3.1.1.1.0 i 0
	 1.3.6.1.4.1.2011.6.3.3.2.1.1.0 i 1 1.3.6.1.4.1.2011.6.3.3.4.1.1.0 i 3
	 1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0 i 12 1.3.6.1.4.1.2011.6.128.1.1.2.45.1.4.0 s "HG 8245H"')
is "--trap exits 0" "$?" "0"
like "  shows the matching profile and rule" "$(echo "$out" | grep -A1 '^  profile:' | tr '\n' ' ')" "profile: huawei-gpon .* rule: hwGponProfOntDGAlarmTrap"
like "  and the event" "$out" "event: kind=onu.dying_gasp action=raise cause=dying-gasp frame=0 slot=1 port=3 onu=12"
out=$("$HERALDCTL" -c /nonexistent profile test -p "$P" --trap '1.3.6.1.4.1.99999.1.2')
like "an unknown OID says it would be kept raw" "$out" "no profile rule matches"
out=$("$HERALDCTL" -c /nonexistent profile test -p "$P" --trap '1.3.6.1.4.1.1 1.3.6.1.2 q 5' 2>&1)
like "a bad varbind type is a clear error" "$out" "heraldctl: .*1.3.6.1.2 q 5"

if command -v tcpdump >/dev/null && command -v snmptrap >/dev/null && [ "$(id -u)" = 0 ]; then
	port=$(free_udp_port)
	tcpdump -i lo -U -w "$TEST_TMP/cap.pcap" "udp port $port" >/dev/null 2>&1 &
	tpid=$!; TEST_PIDS="$TEST_PIDS $tpid"
	sleep 1
	snmptrap -v1 -c public "127.0.0.1:$port" 1.3.6.1.4.1.3902.1012.3.45 127.0.0.1 6 123 '' \
		1.3.6.1.4.1.3902.1012.3.28.1.1.2.268566784.7 s onu-7
	snmptrap -v2c -c public "127.0.0.1:$port" '' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.1001 i 1001
	sleep 1; kill $tpid; wait $tpid 2>/dev/null
	out=$("$HERALDCTL" -c /nonexistent profile test -p "$P" -k olt -v zte -m C320 "$TEST_TMP/cap.pcap")
	flat=$(echo "$out" | tr '\n' ' ')
	like "a capture: the v1 ZTE dying gasp is decoded" "$flat" "rule: zxGponOltDGi +event: kind=onu.dying_gasp action=raise .*slot=2 port=1 onu=7"
	like "  and the v2c linkUp" "$flat" "rule: linkUp +event: kind=port.down action=clear"
else
	pass "# SKIP tcpdump, snmptrap or root missing"
	pass "# SKIP tcpdump, snmptrap or root missing"
fi

mkdir -p "$TEST_TMP/prof"
printf 'profile "bad" {\n\ttrap "x" {\n\t\toid = "1.3.6.1.4.1.1"\n\t\tkind = "onu.lost"\n\t}\n}\n' >"$TEST_TMP/prof/bad.conf"
cat >"$TEST_TMP/h.conf" <<EOC
snmp {
	profile_dir = "$TEST_TMP/prof"
}
EOC
out=$("$HERALDD" -n -c "$TEST_TMP/h.conf" 2>&1)
is "heraldd -n refuses a broken profile (status 78)" "$?" "78"
like "  naming the file and line" "$out" "bad.conf:5: trap \"x\": kind \"onu.lost\""
