#!/bin/bash
# 27-poll-v3: an OLT that answers SNMPv3 authPriv only is polled with the
# credentials its devices row names; engine discovery does not block, and
# a fault whose traps are all lost is found by the poll.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 5

POLL_CRED=simv3
POLL_SNMP="credentials \"simv3\" {
		version = \"3\"
		user = \"$SIM_USER\"
		auth_protocol = \"SHA\"
		auth_password = \"$SIM_AUTH\"
		priv_protocol = \"AES\"
		priv_password = \"$SIM_PRIV\"
	}"
poll_setup "--olts 1 --vendors huawei --pons 2 --onus 16 --access v3 --drop 1" ||
	{ fail "set-up"; exit 1; }
ok "the v3-only OLT is read (engine discovered, keys localised)" \
	wait_log "$HLOG" "olt1: cycle done, [1-9][0-9]* rows" 15
is "and is not taken for unreachable" "$(alarm_set olt1)" ""

sim los olt1 0/1/0:3-5 >/dev/null
want=$(printf 'onu.los 0/1/0:3\nonu.los 0/1/0:4\nonu.los 0/1/0:5')
found() { [ "$(alarm_set olt1)" = "$want" ]; }
ok "an ONU LOS whose traps were all lost is found by the poll" wait_for 15 found
is "its cause is the OLT's last-down cause" \
	"$(q "$DB" "SELECT DISTINCT cause FROM events WHERE source='poll' AND kind='onu.los'")" "losi-lobi"

st=$(sim stats olt1 | head -1)
like "every request herald sent was v3 and answered" "$st" "answered=[1-9][0-9]* ignored=0 "
