#!/bin/bash
# 17-trap-reload: SIGHUP with changed credentials and a changed listen
# address. The old community is refused from then on, the new one is
# accepted, traps go to the new port, and a reload that breaks a profile is
# refused as a whole (the old profiles stay).
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 7

trap_start
linkdown() {	# linkDown from the DSLAM with community $1 on line $2, to $3
	strap 127.0.0.3 -v2c -c "$1" "$3" '' 1.3.6.1.6.3.1.1.5.3 \
		1.3.6.1.2.1.2.2.1.1.$2 i "$2" >/dev/null
}
linkdown dslcomm 1001 "$TRAP_TO"
ok "before: the DSLAM's community is accepted" \
	wait_rows "device_id = 3 AND line = 1001" 1

new_port=$(free_udp_port)
sed -i "s/community = \"dslcomm\"/community = \"newcomm\"/; s/udp:127.0.0.1:$TRAP_PORT/udp:127.0.0.1:$new_port/" \
	"$TEST_TMP/h.conf"
kill -HUP $HERALDD_PID
ok "the reload is taken" wait_log "$TEST_TMP/h.log" "configuration reloaded"
wait_log "$TEST_TMP/h.log" "trap: listening on udp:127.0.0.1:$new_port" 10
linkdown dslcomm 1002 "127.0.0.1:$new_port"
ok "after: the old community is refused" wait_stat bad_community 1
linkdown newcomm 1003 "127.0.0.1:$new_port"
ok "the new one is accepted, on the new port" \
	wait_rows "device_id = 3 AND line = 1003" 1
is "nothing came in with the old community" \
	"$(rows "device_id = 3 AND line = 1002")" "0"

# A profile broken by an edit: the reload keeps the old profiles.
mkdir -p "$TEST_TMP/profiles"
cp "$top_srcdir"/collectors/profiles/*.conf "$TEST_TMP/profiles/"
sed -i "s|profile_dir = \"[^\"]*\"|profile_dir = \"$TEST_TMP/profiles\"|" "$TEST_TMP/h.conf"
echo 'profile "broken" { trap "x" { oid = "1.3.6.1.4.1.9.9" kind = "onu.nonsense" } }' \
	>"$TEST_TMP/profiles/zz-broken.conf"
kill -HUP $HERALDD_PID
ok "a broken profile makes the reload refused" \
	wait_log "$TEST_TMP/h.log" "has errors, not reloading"
linkdown newcomm 1004 "127.0.0.1:$new_port"
ok "and traps are still matched by the old profiles" \
	wait_rows "device_id = 3 AND line = 1004 AND kind = 'dsl.line_down'" 1
