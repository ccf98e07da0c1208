#!/bin/bash
# 57-tickets-sim: the whole ticket path from a simulated OLT. herald-sim's
# fleet and its subscriber file are heraldd's inventory; a feeder fibre cut
# on one PON port (real traps: the PON LOS, then an ONT LOS per ONU) makes
# one confirmed incident, and the database opens its outage ticket with
# the port's accounts. The NOC sees it through the API and acknowledges it;
# the restoration (the clears) resolves the incident and with it the
# ticket, as role herald; the NOC closes it. The history has every step.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
command -v curl >/dev/null || skip_all "curl is not installed"
plan 12

cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
POLL_TOP="rules {
	policy = \"$TEST_TMP/policy.conf\"
}"
FLEET="--olts 1 --vendors huawei --pons 2 --onus 8 --rate 0"
poll_setup "$FLEET" || { fail "set-up"; exit 1; }
mkdir "$TEST_TMP/inv"
# shellcheck disable=SC2086
"$HERALD_SIM" $FLEET --write-inventory "$TEST_TMP/inv" 2>/dev/null
"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q \
	"$TEST_TMP/inv/subscribers.csv" >"$TEST_TMP/out" 2>&1
is "the simulator's subscriber file imports" "$?" 0
ok "heraldd loads it" wait_log "$HLOG" "inventory: index loaded.* 16 accounts" 20
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$HCONF")
NOC=$(api_token "$DB" li.na noc)
wait_log "$HLOG" "api: [1-9][0-9]* active tokens" 10 || true
call() { curl -s -H "Authorization: Bearer $NOC" "$@"; }
js() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
tk() { q "$DB" "SELECT $1 FROM tickets WHERE kind = 'outage'"; }
tk_is() { [ "$(tk "$1")" = "$2" ]; }

sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
ok "a feeder fibre cut opens one outage ticket" wait_for 20 tk_is "count(*) OVER (), state" "1|new"
inc=$(q "$DB" "SELECT id FROM incidents WHERE state = 'confirmed'")
is "  for one confirmed fibre-cut incident at the port, with its 8 accounts" \
	"$(q "$DB" "SELECT count(*) OVER (), scope, cause, affected_accounts FROM incidents WHERE state = 'confirmed'")" \
	"1|port|fibre_cut|8"
ok "  the ticket has them too" wait_for 5 tk_is affected_accounts 8
tkt=$(tk id)
is "the API shows the incident with its ticket" \
	"$(call "http://$api/api/v1/incidents/$inc" | js 'd["state"], d["cause"], d["ticket"]["id"], d["ticket"]["state"]')" \
	"('confirmed', 'fibre_cut', $tkt, 'new')"
is "  and its accounts, the simulator's ONUs on 0/1/0" \
	"$(call "http://$api/api/v1/incidents/$inc/accounts" | js 'd["total"], sorted(a["place"]["port"] for a in d["items"]) == [0] * 8')" \
	"(8, True)"
is "the NOC acknowledges it through the API" \
	"$(call -X POST -d '{"to":"acknowledged","note":"crew on the way"}' "http://$api/api/v1/tickets/$tkt/transition" | js 'd["state"]')" \
	"acknowledged"

sim restore olt1 >/dev/null && sim wait >/dev/null
ok "the restoration resolves the incident" wait_for 20 eval \
	'[ "$(q "$DB" "SELECT state FROM incidents WHERE id = $inc")" = resolved ]'
ok "  and the ticket with it" wait_for 10 tk_is state resolved
is "the NOC closes it after checking" \
	"$(call -X POST -d '{"to":"closed"}' "http://$api/api/v1/tickets/$tkt/transition" | js 'd["state"]')" \
	"closed"
is "its history: opened by herald, acknowledged by li.na, resolved by herald, closed by li.na" \
	"$(q "$DB" "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state || ':' || actor || '/' || role, ',' ORDER BY id) FROM ticket_history WHERE ticket_id = $tkt")" \
	"->new:herald/herald,new>acknowledged:li.na/noc,acknowledged>resolved:herald/herald,resolved>closed:li.na/noc"
