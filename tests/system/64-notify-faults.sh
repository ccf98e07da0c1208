#!/bin/bash
# 64-notify-faults: nothing lost, nothing twice, whatever fails. Outages
# from herald-sim are told through a real Kannel behind tests/tools/
# gw-proxy.py while, in turn: the gateway is down; it answers 503; it
# hangs (the request went nowhere: heraldd cannot know, waits notify.grace
# for a submit report, then sends again); heraldd is killed with -9 in the
# middle of a drain and restarted; PostgreSQL is restarted in the middle of
# a drain. After each, the fake SMSC is counted: every subscriber has
# exactly one outage and one restoration message, and the rows agree.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
need_private_pg
need_kannel
plan 15

private_pg
start_kannel || { fail "Kannel starts"; exit 1; }
start_gw_proxy || { fail "the proxy starts"; exit 1; }
cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 1
EOP
POLL_DB=$db
POLL_TOP="rules {
	policy = \"$TEST_TMP/policy.conf\"
}
notify {
	signature = \"【星河宽带】\"
	templates = \"$top_srcdir/rules/templates\"
	quiet_hours = \"\"
	grace = 4
	stats_interval = 1
	gateway \"kannel\" {
		url = \"$GW_PROXY_URL\"
		username = \"$KANNEL_USER\"
		password = \"$KANNEL_PASS\"
		rate = 4
		timeout = 2
		max_inflight = 8
	}
}"
FLEET="--olts 1 --vendors huawei --pons 4 --onus 8 --rate 0"
poll_setup "$FLEET" || { fail "set-up"; exit 1; }
mkdir "$TEST_TMP/inv"
# shellcheck disable=SC2086
"$HERALD_SIM" $FLEET --write-inventory "$TEST_TMP/inv" 2>/dev/null
"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q "$TEST_TMP/inv/subscribers.csv" >/dev/null 2>&1
wait_log "$HLOG" "inventory: index loaded.* 32 accounts" 20
wait_log "$HLOG" "notify: 1 gateway" 10

# port N: the 8 phones under PON 0/1/N, one per line
port_phones() {
	q "$DB" "SELECT s.phones[1] FROM subscribers s JOIN onus o ON o.id = s.onu_id
		JOIN ports p ON p.id = o.port_id WHERE p.port = $1 ORDER BY 1"
}
# each_once PORT N: every phone under the port received exactly N messages
each_n() {
	local p got
	for p in $(port_phones "$1"); do
		got=$(smsc_count "$p")
		[ "$got" = "$2" ] || { diag "$p got $got, want $2"; return 1; }
	done
}
rows() {
	q "$DB" "SELECT n.kind || ':' || n.state || ':' || count(*) FROM notifications n
		JOIN incidents i ON i.id = n.incident_id WHERE i.port = $1
		GROUP BY n.kind, n.state ORDER BY 1" | tr '\n' ' '
}
state_of() { q "$DB" "SELECT state FROM incidents WHERE port = $1 ORDER BY id DESC LIMIT 1"; }
confirmed() { [ "$(state_of "$1")" = confirmed ]; }
resolved() { [ "$(state_of "$1")" = resolved ]; }
settled() { each_n "$1" "$2" 2>/dev/null && [ -z "$(q "$DB" "SELECT 1 FROM notifications WHERE state IN ('queued', 'held', 'sending') LIMIT 1")" ]; }

# 1. The gateway is down when the outage is confirmed.
stop_kannel
sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
ok "gateway down: the outage is confirmed all the same" wait_for 20 confirmed 0
# has SQL-CONDITION: some notification matches
has() { [ "$(q "$DB" "SELECT count(*) FROM notifications n JOIN incidents i ON i.id = n.incident_id WHERE $1")" -gt 0 ]; }
ok "  the notices wait, with the reason" wait_for 15 has \
	"n.kind = 'outage' AND n.attempts > 0 AND n.state = 'queued' AND n.last_error IS NOT NULL"
diag "while down: $(q "$DB" "SELECT DISTINCT last_error FROM notifications WHERE last_error IS NOT NULL LIMIT 1")"
start_kannel_again
ok "  the gateway back: every phone gets its one outage message" wait_for 60 settled 0 1

# 2. The gateway answers 503 when the restoration goes out.
gw_proxy_mode 503
sim restore olt1 >/dev/null && sim wait >/dev/null
ok "503s: the restoration waits" wait_for 20 has \
	"n.kind = 'restored' AND n.last_error LIKE '%503%'"
gw_proxy_mode pass
ok "  and goes out once the gateway takes it: 2 messages per phone" wait_for 60 settled 0 2
is "  the rows agree" "$(rows 0)" "outage:delivered:8 restored:delivered:8 "

# 3. The gateway hangs: heraldd cannot know whether it took the messages.
gw_proxy_mode hang
sim cut olt1 0/1/1 >/dev/null && sim wait >/dev/null
ok "a hanging gateway: the messages stay 'sending' (unknown)" wait_for 30 has \
	"i.port = 1 AND n.state = 'sending' AND n.last_error LIKE '%may have it%'"
gw_proxy_mode pass
ok "  no submit report came, so after the grace they are sent, once" wait_for 60 settled 1 1
ok "  notify counted them as unknown, then recovered" wait_log "$HLOG" "stats notify:.* unknown=[1-9].* recovered=[1-9]" 10

# 4. heraldd is killed in the middle of a drain, and restarted.
gw_proxy_mode "delay 300"
sim restore olt1 >/dev/null && sim wait >/dev/null
wait_for 20 resolved 1
wait_for 10 eval "[ \"\$(smsc_count)\" -gt $(smsc_count) ]" || true
kill -9 "$HERALDD_PID"; wait "$HERALDD_PID" 2>/dev/null
diag "killed with $(q "$DB" "SELECT count(*) FROM notifications WHERE state = 'sending'") sending, $(q "$DB" "SELECT count(*) FROM notifications WHERE state = 'queued'") queued"
gw_proxy_mode pass
start_heraldd "$HCONF" "$HLOG.2"
ok "heraldd restarted after kill -9" wait_log "$HLOG.2" "notify: 1 gateway" 15
ok "  every phone of port 1 ends with exactly 2 messages" wait_for 60 settled 1 2
is "  the rows agree" "$(rows 1)" "outage:delivered:8 restored:delivered:8 "

# 5. PostgreSQL restarts in the middle of a drain.
gw_proxy_mode "delay 200"
sim cut olt1 0/1/2 >/dev/null && sim wait >/dev/null
wait_for 20 confirmed 2
wait_for 10 has "n.state = 'sending'" || true
pg_stop "$pgdir"; sleep 1; pg_start "$pgdir" "$port"
gw_proxy_mode pass
ok "PostgreSQL restarted mid-drain: each phone of port 2 gets exactly one" wait_for 60 settled 2 1
is "  the rows agree" "$(rows 2)" "outage:delivered:8 "
is "nobody else got anything: 32 + 8 messages in all" "$(smsc_count)" 40
