#!/bin/bash
# 54-api-server: heraldd's API as a server — tokens and roles, the lookup
# a customer-service agent makes (answered from memory, also while the
# database is away), and hostile clients: malformed, oversized and deeply
# nested bodies, slow clients holding connections, more connections than
# allowed. The routes answered by SQL are test 56.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_private_pg
command -v curl >/dev/null || skip_all "curl is not installed"
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 46

private_pg
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
q "$db" "
INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr, region) VALUES
	(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1', '南山');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id, serial)
	SELECT 100 + n, 20, n, 'HWTC0000000' || n FROM generate_series(1, 4) n;
INSERT INTO subscribers (account, name, phones, onu_id)
	SELECT 'acct' || id, '张' || id, ARRAY['1380013' || lpad(id::text, 4, '0')], id
	FROM onus;
-- Two accounts share a phone (a family with two lines).
UPDATE subscribers SET phones = ARRAY['13900000000', '13800130104']
	WHERE account = 'acct104';
UPDATE subscribers SET phones = ARRAY['13900000000'] WHERE account = 'acct103';
" >/dev/null
token() { api_token "$db" "$1" "$2"; }
CS=$(token agent1 cs)
GW=$(token kannel gateway)

cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
rules {
	policy = \"$TEST_TMP/policy.conf\"
}
api {
	timeout = 2
	max_connections = 40
	gauge_interval = 1
}"
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$TEST_TMP/h.conf")
TRAP_TO="127.0.0.1:$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")"
LOG="$TEST_TMP/h.log"
start_heraldd "$TEST_TMP/h.conf" "$LOG"
ok "heraldd starts with its tokens and inventory" bash -c \
	"$(declare -f wait_log wait_for); wait_log '$LOG' 'api: 2 active tokens' 20 &&
	wait_log '$LOG' 'inventory: index loaded' 20 &&
	wait_log '$LOG' 'rules: [0-9]+ open incident' 20"

# get PATH [TOKEN] [CURL ARGS]: "BODY STATUS"
get() {
	local path=$1 tok=${2:-}; shift; [ $# -gt 0 ] && shift
	curl -s -w ' %{http_code}' ${tok:+-H "Authorization: Bearer $tok"} "$@" \
		"http://$api$path" | tr -d '\n'
}
jget() { get "$@" | sed 's/ [0-9]*$//'; }
js() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# Tokens and roles.
like "no token: 401 with a JSON reason" "$(get /api/v1/lookup?account=acct101)" \
	'^\{"error":"unauthorized","detail":"send Authorization: Bearer TOKEN.*\} 401$'
is "  and the Bearer challenge" "$(curl -s -D - -o /dev/null "http://$api/api/v1/alarms" | tr -d '\r' | grep -i '^www-authenticate')" \
	'WWW-Authenticate: Bearer realm="herald"'
like "an unknown token: 401" "$(get /api/v1/lookup?account=acct101 nope)" '"unknown or revoked token"\} 401$'
like "a Basic header: 401" "$(get /api/v1/lookup?account=acct101 '' -H 'Authorization: Basic YTpi')" ' 401$'
like "the gateway's token may not look up subscribers: 403" \
	"$(get /api/v1/lookup?account=acct101 "$GW")" \
	'"error":"forbidden","detail":"role gateway may not use GET /api/v1/lookup"\} 403$'
NOC=$(token zhang.wei noc)
ok "a token added while heraldd runs works at once (NOTIFY)" wait_for 5 bash -c \
	"curl -sf -H 'Authorization: Bearer $NOC' 'http://$api/api/v1/lookup?account=acct101' >/dev/null"
q "$db" "UPDATE api_tokens SET revoked_at = now() WHERE name = 'zhang.wei'" >/dev/null
ok "a revoked token is refused at once" wait_for 5 bash -c \
	"[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $NOC' 'http://$api/api/v1/lookup?account=acct101')\" = 401 ]"

# The lookup, before any outage.
r=$(jget "/api/v1/lookup?account=acct101" "$CS")
is "lookup by account: the account, its phones, its place" \
	"$(echo "$r" | js 'd["accounts"][0]["account"], d["accounts"][0]["phones"], d["accounts"][0]["place"]')" \
	"('acct101', ['13800130101'], {'kind': 'onu', 'device': 'olt-hw', 'device_id': 1, 'frame': 0, 'slot': 1, 'port': 3, 'splitter': None, 'onu': 1, 'serial': 'HWTC00000001'})"
is "  no known outage" "$(echo "$r" | js 'd["accounts"][0]["in_outage"], d["accounts"][0]["incidents"]')" "(False, [])"
is "lookup by phone: both accounts of a shared number" \
	"$(jget "/api/v1/lookup?phone=13900000000" "$CS" | js '[a["account"] for a in d["accounts"]]')" "['acct103', 'acct104']"
is "  a second number of an account finds it" \
	"$(jget "/api/v1/lookup?phone=13800130104" "$CS" | js '[a["account"] for a in d["accounts"]]')" "['acct104']"
is "  the number as dialled (+86, spaces) finds it too" \
	"$(jget "/api/v1/lookup?phone=%2B86%20138%200013%200102" "$CS" | js '[a["account"] for a in d["accounts"]]')" "['acct102']"
is "lookup by ONU serial" \
	"$(jget "/api/v1/lookup?onu_serial=HWTC00000003" "$CS" | js '[a["account"] for a in d["accounts"]]')" "['acct103']"
is "an unknown account: 404" "$(get "/api/v1/lookup?account=nobody" "$CS")" \
	'{"error":"not found","detail":"no account matches"} 404'
is "two keys at once: 400" "$(get "/api/v1/lookup?account=acct101&phone=13800130101" "$CS")" \
	'{"error":"bad request","detail":"give exactly one of account, phone, onu_serial"} 400'
like "no key: 400" "$(get "/api/v1/lookup" "$CS")" ' 400$'
like "a key given twice: 400" "$(get "/api/v1/lookup?account=a&account=b" "$CS")" 'given twice"\} 400$'
like "hostile text in the query is only text" \
	"$(get "/api/v1/lookup?account=%27%3B%20DROP%20TABLE%20subscribers%3B--%F0%9F%98%80" "$CS")" 'no account matches"\} 404$'

# An outage: the PON port of all four goes dark.
pon() { strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' "$1" $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 >/dev/null; }
pon 1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108
confirmed() { [ "$(q "$db" "SELECT count(*) FROM tickets WHERE kind = 'outage'")" = 1 ]; }
ok "the PON LOS trap opens a confirmed incident and its ticket" wait_for 15 confirmed
inc=$(q "$db" "SELECT id FROM incidents WHERE state = 'confirmed'")
tkt=$(q "$db" "SELECT id FROM tickets WHERE kind = 'outage'")
has_ticket() { jget "/api/v1/lookup?account=acct102" "$CS" | grep -q "\"ticket\":{\"id\":$tkt"; }
ok "the lookup shows the outage with its ticket" wait_for 5 has_ticket
r=$(jget "/api/v1/lookup?account=acct102" "$CS")
is "  in outage, the incident's database id, cause, scope, count" \
	"$(echo "$r" | js 'd["accounts"][0]["in_outage"], [(i["id"], i["state"], i["cause"], i["scope"], i["affected_accounts"]) for i in d["accounts"][0]["incidents"]]')" \
	"(True, [($inc, 'confirmed', 'fibre_cut', 'port', 4)])"
like "  since when" "$(echo "$r" | js 'd["accounts"][0]["incidents"][0]["since"]')" '^20[0-9-]+T[0-9:.]+Z$'
q "$db" "SET herald.role = 'noc'; UPDATE tickets SET eta = '2030-01-02 03:04:05+00' WHERE id = $tkt" >/dev/null
has_eta() { jget "/api/v1/lookup?account=acct102" "$CS" | grep -q '"eta":"2030-01-02T03:04:05'; }
ok "  an ETA set by the NOC shows at once" wait_for 5 has_eta
q "$db" "SET herald.role = 'noc'; UPDATE tickets SET state = 'acknowledged' WHERE id = $tkt" >/dev/null
acked() { jget "/api/v1/lookup?account=acct102" "$CS" | grep -q '"state":"acknowledged"'; }
ok "  and so does the ticket's state" wait_for 5 acked

# Hostile bodies.
post() { curl -s -w ' %{http_code}' -H "Authorization: Bearer $CS" -X POST "$@" | tr -d '\n'; }
like "malformed JSON: 400 saying where" "$(post -d '{"channel":' "http://$api/api/v1/complaints")" \
	'"detail":"the body is not JSON: .*line 1, column [0-9]+\)"\} 400$'
like "a JSON array: 400" "$(post -d '[1,2]' "http://$api/api/v1/complaints")" 'must be a JSON object"\} 400$'
deep=$(python3 -c 'print("{\"a\":" * 40 + "1" + "}" * 40)')
like "JSON nested 40 deep: 400" "$(post -d "$deep" "http://$api/api/v1/complaints")" 'nested too deeply"\} 400$'
python3 -c 'print("[" * 30000 + "]" * 30000)' >"$TEST_TMP/deep.json"
like "  30,000 deep: 400, and heraldd lives" "$(post --data-binary @"$TEST_TMP/deep.json" "http://$api/api/v1/complaints")" ' 400$'
like "duplicate keys: 400" "$(post -d '{"a":1,"a":2}' "http://$api/api/v1/complaints")" 'duplicate object key.*\} 400$'
python3 -c 'print("{\"content\":\"" + "x" * 70000 + "\"}")' >"$TEST_TMP/big.json"
like "a 70 kB body: 413 with a JSON reason" "$(post --data-binary @"$TEST_TMP/big.json" "http://$api/api/v1/complaints")" \
	'^\{"error":"payload too large","detail":"the body is 70[0-9]+ bytes; at most 65536 are accepted"\} 413$'
python3 -c 'print("x" * 2000000)' >"$TEST_TMP/huge.json"
like "a 2 MB body is cut off by the server" "$(post --data-binary @"$TEST_TMP/huge.json" "http://$api/api/v1/complaints")" ' 4[0-9][0-9]$'
like "a 20 kB header is refused" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "http://$api/healthz")" '^4[0-9][0-9]$'
is "an unknown path: 404" "$(get /api/v1/nothing "$CS")" '{"error":"not found","detail":"/api/v1/nothing"} 404'
is "a wrong method: 405 naming the right ones" "$(get /api/v1/tickets "$CS" -X PUT)" \
	'{"error":"method not allowed","detail":"GET, POST"} 405'
like "a non-numeric id: 404" "$(get "/api/v1/tickets/1%20OR%201=1" "$CS")" ' 404$'

# Slow clients: 30 connections dribble half a header; others are answered.
out=$(python3 "$top_srcdir/tests/tools/api-clients.py" slow "$api" 30 3 \
	"/api/v1/lookup?account=acct101" "$CS")
like "30 slow clients: every other request still answered, quickly" \
	"$(echo "$out" | head -1)" '^answered=(2[5-9]|3[0-9]) slowest_ms=([0-9]|[0-9][0-9]|[1-4][0-9][0-9])$'
is "  and the slow ones are cut off after api.timeout" "$(echo "$out" | tail -1)" "closed=30 of 30"
# More connections than api.max_connections (40): the rest get 503.
out=$(python3 "$top_srcdir/tests/tools/api-clients.py" hold "$api" 45 /healthz)
like "45 held connections, 40 allowed: the last ones get 503" "$out" '^(200 ){40}503 503 503 503 503$'
like "after they close, connections are served again" "$(get /healthz)" ' 200$'

# While the database is away, the lookup still answers from memory.
pg_stop "$pgdir"
wait_log "$LOG" "api: database connection lost|api: database unreachable" 10
like "database down: the lookup still answers, with the outage" \
	"$(get "/api/v1/lookup?account=acct102" "$CS")" '"in_outage":true.* 200$'
like "  an SQL route says 503" "$(get "/api/v1/tickets" "$CS")" '"error":"unavailable".* 503$'

curl -s "http://$api/metrics" >"$TEST_TMP/metrics"
like "/metrics counts requests by route and status" "$(cat "$TEST_TMP/metrics")" \
	'herald_api_requests_total\{route="lookup",status="200"\} [0-9]+'
like "  and the open incidents by state and cause" "$(cat "$TEST_TMP/metrics")" \
	'herald_incidents_open\{state="confirmed",cause="fibre_cut"\} 1'
if command -v promtool >/dev/null; then
	is "  promtool check metrics finds nothing wrong" \
		"$(promtool check metrics <"$TEST_TMP/metrics" 2>&1)" ""
else
	pass "# SKIP promtool (Debian prometheus) is not installed"
fi
ok "heraldd is still running" kill -0 "$HERALDD_PID"
