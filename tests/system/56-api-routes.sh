#!/bin/bash
# 56-api-routes: every route of the API through heraldd, with curl: each
# one's success and its refusals with the right status (400, 401, 403,
# 404, 409, 422) and a JSON reason; SQL metacharacters and 4-byte UTF-8 in
# every text field stored verbatim; the workflow per role as HTTP sees it.
# (Test 53 checks the same functions' shapes in detail from psql; test 54
# the server itself.)
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
command -v curl >/dev/null || skip_all "curl is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 45

db=$(new_db)
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
-- An open outage on the port, as the rules engine writes it.
SELECT rules_write_incident(jsonb_build_object('uid', 'p@1',
	'scope_key', '1:p0/1/3', 'scope', 'port', 'device_id', 1, 'frame', 0,
	'slot', 1, 'port', 3, 'state', 'confirmed', 'cause', 'fibre_cut',
	'title', 'Fibre cut: olt-hw 0/1/3', 'opened_at', now() - interval '5 min',
	'confirmed_at', now() - interval '4 min',
	'accounts', (SELECT jsonb_agg(id) FROM subscribers)));
INSERT INTO alarms (device_id, kind, reduction_key, frame, slot, port)
	VALUES (1, 'pon.los', '1:pon.los:0/1/3', 0, 1, 3);
" >/dev/null
token() { api_token "$db" "$1" "$2"; }
NOC=$(token zhang.wei noc)
CS=$(token li.na cs)
ADM=$(token root admin)
GW=$(token kannel gateway)

write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}"
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$TEST_TMP/h.conf")
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "heraldd serves the API with 4 tokens" wait_log "$TEST_TMP/h.log" "api: 4 active tokens" 20

# req TOKEN METHOD PATH [BODY]: the body, then the status on its own line.
req() {
	curl -s -w '\n%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
		${4+-H 'Content-Type: application/json' --data-binary "$4"} "http://$api$3"
}
status() { req "$@" | tail -1; }
body() { req "$@" | sed '$d'; }
jb() { body "$1" "$2" "$3" "${5-}" | jq -r -c "$4" 2>&1; }
inc=$(q "$db" "SELECT id FROM incidents")
tkt=$(q "$db" "SELECT id FROM tickets WHERE kind = 'outage'")

is "GET /api/v1/alarms: the raised alarm" "$(jb "$NOC" GET /api/v1/alarms '[.total, .items[0].kind, .items[0].device.name]')" '[1,"pon.los","olt-hw"]'
is "  a bad filter: 400 naming it" "$(body "$NOC" GET '/api/v1/alarms?limit=0') $(status "$NOC" GET '/api/v1/alarms?limit=0')" \
	'{"error":"bad request","detail":"limit: must be 1..1000"} 400'
is "GET /api/v1/incidents: the open outage with its ticket" \
	"$(jb "$CS" GET /api/v1/incidents '[.total, .items[0].id, .items[0].cause, .items[0].ticket.id]')" "[1,$inc,\"fibre_cut\",$tkt]"
is "  since=garbage: 400" "$(status "$CS" GET '/api/v1/incidents?since=yesterday-ish')" 400
is "GET /api/v1/incidents/ID" "$(jb "$NOC" GET /api/v1/incidents/$inc '[.id, .state, .affected_accounts, .ticket.state]')" "[$inc,\"confirmed\",4,\"new\"]"
is "  an unknown id: 404" "$(req "$NOC" GET /api/v1/incidents/999999 | tail -1)" 404
is "GET /api/v1/incidents/ID/accounts: names and phones for cs" \
	"$(jb "$CS" GET /api/v1/incidents/$inc/accounts '[.total, .items[0].name, .items[0].phones[0]]')" '[4,"张101","13800130101"]'
is "  paginated" "$(jb "$CS" GET "/api/v1/incidents/$inc/accounts?limit=2&offset=3" '[.total, (.items | length), .items[0].account]')" '[4,1,"acct104"]'
is "  the gateway may not read them: 403" "$(status "$GW" GET /api/v1/incidents/$inc/accounts)" 403

is "GET /api/v1/tickets: the outage ticket" "$(jb "$CS" GET /api/v1/tickets '[.total, .items[0].id, .items[0].kind]')" "[1,$tkt,\"outage\"]"
is "GET /api/v1/tickets/ID: with its history" "$(jb "$CS" GET /api/v1/tickets/$tkt '[.id, (.history | length), .history[0].role]')" "[$tkt,1,\"herald\"]"
is "  an unknown ticket: 404" "$(status "$CS" GET /api/v1/tickets/424242)" 404
r=$(req "$CS" POST /api/v1/tickets/$tkt/transition '{"to":"acknowledged"}')
is "customer service may not work an outage ticket: 403" "$(echo "$r" | tail -1)" 403
like "  and says so" "$(echo "$r" | head -1)" '"error":"forbidden"'
is "the NOC acknowledges it: 200" "$(jb "$NOC" POST /api/v1/tickets/$tkt/transition '[.state, .history[-1].actor, .history[-1].note]' '{"to":"acknowledged","note":"crew 3 dispatched"}')" \
	'["acknowledged","zhang.wei","crew 3 dispatched"]'
is "  a step the workflow does not have: 409" "$(status "$NOC" POST /api/v1/tickets/$tkt/transition '{"to":"closed"}')" 409
is "  an unknown state: 400" "$(status "$NOC" POST /api/v1/tickets/$tkt/transition '{"to":"fixed-ish"}')" 400
is "  a missing body field: 400" "$(status "$NOC" POST /api/v1/tickets/$tkt/transition '{}')" 400
is "  and in psql, a direct UPDATE that skips a step is refused too" \
	"$(psql -X -q -At -d "$db" -c "SET herald.role = 'noc'; UPDATE tickets SET state = 'closed' WHERE id = $tkt" 2>&1 | grep -c 'no transition\|not allowed')" 1
is "assign: 200 with the assignee" "$(jb "$NOC" POST /api/v1/tickets/$tkt/assign '.assignee' '{"assignee":"王师傅","team":"field-3"}')" "王师傅"
is "eta: 200, and the incident has it" "$(jb "$NOC" POST /api/v1/tickets/$tkt/eta '.eta | startswith("2030-01-02")' '{"eta":"2030-01-02T18:00:00+08:00"}') $(q "$db" "SELECT estimated_restore_at IS NOT NULL FROM incidents WHERE id = $inc")" "true t"
is "  customer service may not set it: 403" "$(status "$CS" POST /api/v1/tickets/$tkt/eta '{"eta":null}')" 403
is "  a bad time: 400" "$(status "$NOC" POST /api/v1/tickets/$tkt/eta '{"eta":"tomorrow"}')" 400

# Complaints, with hostile text in every field.
evil="'); DROP TABLE tickets; -- \"\\\\ 😀 𠀀 \$(id) <b>"
evil_json=$(jq -n --arg s "$evil" '$s')
body_c="{\"account\":\"acct102\",\"channel\":\"12345\",\"category\":\"network\",\"sub_category\":\"no_pages\",\"content\":$evil_json,\"caller_name\":$evil_json}"
r=$(req "$CS" POST /api/v1/complaints "$body_c")
is "POST /api/v1/complaints: 201" "$(echo "$r" | tail -1)" 201
is "  linked to the outage, top priority for 12345, under the outage ticket" \
	"$(echo "$r" | sed '$d' | jq -r -c '[.complaint.incident_id, .priority, .parent_id, .complaint.repeat, .complaint.pre_notified]')" \
	"[$inc,1,$tkt,false,false]"
cid=$(echo "$r" | sed '$d' | jq -r .complaint.id)
is "  the hostile text is stored verbatim" "$(q "$db" "SELECT content = caller_name FROM complaints WHERE id = $cid") $(q "$db" "SELECT content FROM complaints WHERE id = $cid")" "t $evil"
is "  and the tickets table is still there" "$(q "$db" "SELECT count(*) > 1 FROM tickets")" t
is "  it reads back the same through the API" "$(jb "$CS" GET /api/v1/tickets/$(echo "$r" | sed '$d' | jq -r .id) '.complaint.content')" "$evil"
is "a second complaint from the account: repeat" \
	"$(jb "$CS" POST /api/v1/complaints '.complaint.repeat' '{"account":"acct102","channel":"hotline","category":"network","content":"still down"}')" true
is "  an unknown channel: 400" "$(status "$CS" POST /api/v1/complaints '{"account":"acct102","channel":"pigeon","category":"network","content":"x"}')" 400
is "  no content: 400" "$(status "$CS" POST /api/v1/complaints '{"account":"acct102","channel":"web","category":"network"}')" 400
is "  a 5000-character content: 400" "$(status "$CS" POST /api/v1/complaints "{\"account\":\"acct102\",\"channel\":\"web\",\"category\":\"other\",\"content\":\"$(head -c 5000 /dev/zero | tr '\0' x)\"}")" 400

is "assignee, team and note: hostile text stored verbatim" \
	"$(jb "$NOC" POST /api/v1/tickets/$tkt/assign '.assignee' "{\"assignee\":$evil_json,\"team\":$evil_json,\"note\":$evil_json}") $(q "$db" "SELECT team = assignee FROM tickets WHERE id = $tkt")" "$evil t"
is "  the transition note too" \
	"$(jb "$NOC" POST /api/v1/tickets/$tkt/transition '.history[-1].note' "{\"to\":\"dispatched\",\"note\":$evil_json}")" "$evil"

# Repair tickets by hand, and maintenance windows.
is "POST /api/v1/tickets (repair): 201" "$(status "$NOC" POST /api/v1/tickets "{\"kind\":\"repair\",\"title\":$evil_json,\"account\":\"acct101\"}")" 201
is "  its title verbatim" "$(q "$db" "SELECT title FROM tickets WHERE kind = 'repair'")" "$evil"
is "  customer service may not open one: 403" "$(status "$CS" POST /api/v1/tickets '{"kind":"repair","title":"x"}')" 403
is "  an unknown account: 422" "$(status "$NOC" POST /api/v1/tickets '{"kind":"repair","title":"x","account":"nobody"}')" 422
r=$(req "$NOC" POST /api/v1/maintenance "{\"device\":\"olt-hw\",\"frame\":0,\"slot\":1,\"starts_at\":\"2030-03-01T01:00:00+08:00\",\"ends_at\":\"2030-03-01T05:00:00+08:00\",\"reason\":$evil_json}")
is "POST /api/v1/maintenance: 201" "$(echo "$r" | tail -1)" 201
mid=$(echo "$r" | sed '$d' | jq -r .id)
is "GET /api/v1/maintenance lists it, reason verbatim" "$(jb "$CS" GET /api/v1/maintenance '.items[0].reason')" "$evil"
is "  ends before it starts: 400" "$(status "$NOC" POST /api/v1/maintenance '{"device":"olt-hw","starts_at":"2030-03-01T05:00:00Z","ends_at":"2030-03-01T01:00:00Z","reason":"x"}')" 400
is "DELETE /api/v1/maintenance/ID: 200" "$(jb "$ADM" DELETE /api/v1/maintenance/$mid '.deleted')" "$mid"
is "  again: 404" "$(status "$ADM" DELETE /api/v1/maintenance/$mid)" 404
ok "heraldd is still running" kill -0 "$HERALDD_PID"
