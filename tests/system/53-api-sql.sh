#!/bin/bash
# 53-api-sql: the HTTP API's SQL side (schema/060_api.sql), called as heraldd
# calls it: SELECT api_NAME(args::jsonb, role, actor), the args passed as a
# psql variable (a bound value, as heraldd's $1). Every route's JSON shape,
# its filters, defaults, ordering and paging; the role of each route; the
# SQLSTATE of each refusal (which heraldd maps to the HTTP status); hostile
# text stored as given; complaints linking to the open incident; the token
# table and its NOTIFY.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/apisql.sh"
need_db
command -v jq >/dev/null || skip_all "jq is not installed"
plan 146

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }

# The network: olt1 (east) with PON 0/1/3, ONUs 1..4 (ONU 1 behind
# splitter S1), subscribers 101..104 = acct1..acct4; olt2 (west) with a
# DSL line for subscriber 105 = acct5.
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr, region) VALUES
	(1, 'olt1', 'olt', 'huawei', '127.0.0.11', 'east'),
	(2, 'dslam2', 'dslam', 'zte', '127.0.0.12', 'west');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1), (11, 2, 0, 2);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon'), (21, 11, 7, 'dsl');
INSERT INTO splitters (id, port_id, name) VALUES (25, 20, 'S1');
INSERT INTO onus (id, port_id, onu_id, serial, splitter_id)
	SELECT 30 + n, 20, n, 'HWTC000' || n, CASE n WHEN 1 THEN 25 END
	FROM generate_series(1, 4) n;
INSERT INTO dsl_lines (id, port_id) VALUES (40, 21);
INSERT INTO subscribers (id, account, name, address, region, onu_id, phones)
	SELECT 100 + n, 'acct' || n, '用户' || n, 'Road ' || n, 'east', 30 + n,
	    ARRAY['1380000000' || n, '0755000' || n]
	FROM generate_series(1, 4) n;
INSERT INTO subscribers (id, account, dsl_line_id, phones, region)
	VALUES (105, 'acct5', 40, '{13900000005}', 'west');
" >/dev/null

# Alarms: three raised on olt1 at known times, one cleared, one on dslam2.
q "$db" "
INSERT INTO alarms (id, device_id, kind, reduction_key, frame, slot, port, onu,
	state, first_raised_at, last_raised_at, cleared_at) VALUES
	(1, 1, 'pon.los', '1:pon.los:0/1/3', 0, 1, 3, NULL, 'raised',
	    '2026-12-01 08:00+08', '2026-12-01 08:00+08', NULL),
	(2, 1, 'onu.los', '1:onu.los:0/1/3/1', 0, 1, 3, 1, 'raised',
	    '2026-12-01 08:01+08', '2026-12-01 09:00+08', NULL),
	(3, 1, 'onu.los', '1:onu.los:0/1/3/2', 0, 1, 3, 2, 'raised',
	    '2026-12-01 08:02+08', '2026-12-01 08:30+08', NULL),
	(4, 1, 'onu.los', '1:onu.los:0/1/3/4', 0, 1, 3, 4, 'cleared',
	    '2026-11-30 08:00+08', '2026-11-30 08:00+08', '2026-11-30 09:00+08'),
	(5, 2, 'dsl.line_down', '2:dsl.line_down:0/2/7', 0, 2, 7, NULL, 'raised',
	    '2026-12-01 07:00+08', '2026-12-01 07:00+08', NULL);
" >/dev/null

# 1. Tokens -------------------------------------------------------------------

notes=$(printf '%s\n' "LISTEN api_tokens_changed;" \
	"INSERT INTO api_tokens (name, role, token_sha256) VALUES ('zhang.wei', 'noc', repeat('a', 64));" \
	"UPDATE api_tokens SET revoked_at = now() WHERE name = 'zhang.wei';" \
	"INSERT INTO api_tokens (name, role, token_sha256) VALUES ('zhang.wei', 'noc', repeat('b', 64));" |
	psql -X -q -At -d "$db" -f - 2>&1)
is "every change of api_tokens notifies api_tokens_changed (a name may come back once revoked)" \
	"$(printf '%s\n' "$notes" | grep -c 'notification "api_tokens_changed"')" 3
like "one active token per name" \
	"$(q "$db" "INSERT INTO api_tokens (name, role, token_sha256) VALUES ('zhang.wei', 'cs', repeat('c', 64))" 2>&1)" \
	"api_tokens_name_active"
like "a token hash is unique" \
	"$(q "$db" "INSERT INTO api_tokens (name, role, token_sha256) VALUES ('other', 'cs', repeat('b', 64))" 2>&1)" \
	"api_tokens_token_sha256_key"
like "the role is one of noc, cs, admin, gateway" \
	"$(q "$db" "INSERT INTO api_tokens (name, role, token_sha256) VALUES ('x', 'herald', repeat('d', 64))" 2>&1)" \
	"api_tokens_role_check"
is "created_by defaults to the database user" \
	"$(q "$db" "SELECT created_by FROM api_tokens WHERE revoked_at IS NULL")" "postgres"

# 2. Arguments ----------------------------------------------------------------

is "limit 0 is refused naming the field" "$(code alarms noc '{"limit":"0"}')" \
	"22023 limit: must be 1..1000"
is "limit 1001 too" "$(code alarms noc '{"limit":1001}')" "22023 limit: must be 1..1000"
is "a limit that is no number" "$(code alarms noc '{"limit":"ten"}')" "22023 limit: not an integer"
is "a limit beyond bigint is out of range, not a crash" \
	"$(code alarms noc '{"limit":"99999999999999999999999"}')" "22023 limit: must be 1..1000"
is "a fractional limit" "$(code alarms noc '{"limit":2.5}')" "22023 limit: not an integer"
is "a negative offset" "$(code alarms noc '{"offset":"-1"}')" "22023 offset: must be >= 0"
is "a time that is no time" "$(code alarms noc '{"since":"yesterday-ish"}')" \
	"22023 since: not a timestamp"
is "infinity is no time either" "$(code incidents noc '{"until":"infinity"}')" \
	"22023 until: not a timestamp"
is "an unknown state" "$(code alarms noc '{"state":"burning"}')" \
	"22023 state: unknown value 'burning' (one of raised, cleared, all)"
is "a boolean that is neither" "$(code incidents noc '{"planned":"yes"}')" \
	"22023 planned: must be true or false"
is "args that are no object" "$(code alarms noc '[1,2]')" "22023 body: must be a JSON object"
is "an id that is no number" "$(code incident noc '{"id":"1; DROP TABLE incidents"}')" \
	"22023 id: not an integer"
is "an id that is missing" "$(code ticket noc '{}')" "22023 id: required"
is "a filter given as an object" "$(code alarms noc '{"device":{"a":1}}')" \
	"22023 device: must be a string"

# 3. Roles --------------------------------------------------------------------

# Every route refuses a gateway token and an unknown or missing role.
refused=""
for f in alarms incidents incident incident_accounts tickets ticket \
	ticket_create ticket_transition ticket_assign ticket_eta complaint \
	maintenance maintenance_add maintenance_delete; do
	for r in gateway root ''; do
		c=$(code $f "$r" '{"id":1}')
		case "$c" in 42501*) ;; *) refused="$refused $f/$r:$c" ;; esac
	done
done
is "all 14 routes refuse gateway, an unknown role and none with 42501" "$refused" ""
like "a NULL role (no token role at all) is refused too" \
	"$(q "$db" "SELECT api_alarms('{}', NULL, NULL)" 2>&1)" "role \(none\) may not use GET /alarms"
is "the refusal names role and route" "$(code tickets gateway '{}')" \
	"42501 role gateway may not use GET /tickets"
is "cs may not open a ticket" "$(code ticket_create cs '{"title":"x"}')" \
	"42501 role cs may not use POST /tickets"
is "cs may not set an ETA" "$(code ticket_eta cs '{"id":1,"eta":null}')" \
	"42501 role cs may not use POST /tickets/{id}/eta"
is "cs may not add a maintenance window" "$(code maintenance_add cs '{}')" \
	"42501 role cs may not use POST /maintenance"
is "cs may not delete one" "$(code maintenance_delete cs '{"id":1}')" \
	"42501 role cs may not use DELETE /maintenance/{id}"
is "cs, noc and admin may read" \
	"$(for r in cs noc admin; do j "$(call tickets $r '{}')" '.total'; done | tr '\n' ' ')" "0 0 0 "

# 4. Alarms -------------------------------------------------------------------

out=$(call alarms cs '{}')
is "alarms: raised by default, newest last_raised_at first" \
	"$(j "$out" '[.items[].id] | join(",")') $(j "$out" '[.total, .limit, .offset] | join(",")')" \
	"2,3,1,5 4,100,0"
is "an alarm has the spec's keys" "$(j "$out" '.items[0] | keys | join(",")')" \
	"cause,cleared_at,device,first_raised_at,flapping,frame,id,incident_id,kind,last_raised_at,line,onu,port,raise_count,reduction_key,slot,source,state"
is "its device is id, name and region" "$(j "$out" '.items[0].device | [.id, .name, .region] | join(",")')" \
	"1,olt1,east"
is "times are ISO 8601 with an offset" "$(j "$out" '.items[0].first_raised_at')" \
	"$(q "$db" "SELECT to_json(first_raised_at)#>>'{}' FROM alarms WHERE id = 2")"
like "...such as" "$(j "$out" '.items[0].first_raised_at')" '^2026-12-01T0[0-9]:01:00[+-][0-9]{2}:[0-9]{2}$'
is "state=cleared, state=all" \
	"$(j "$(call alarms noc '{"state":"cleared"}')" '[.items[].id] | join(",")') $(j "$(call alarms noc '{"state":"all"}')" '.total')" \
	"4 5"
is "kind, device and region filters" \
	"$(j "$(call alarms noc '{"kind":"onu.los"}')" '[.items[].id] | join(",")') $(j "$(call alarms noc '{"device":"dslam2"}')" '[.items[].id] | join(",")') $(j "$(call alarms noc '{"region":"east","state":"all"}')" '.total')" \
	"2,3 5 4"
is "since (inclusive) and until (exclusive) on first_raised_at" \
	"$(j "$(call alarms noc '{"since":"2026-12-01T08:01:00+08:00","until":"2026-12-01 08:02+08"}')" '[.items[].id] | join(",")')" \
	"2"
out=$(call alarms noc '{"limit":"2","offset":"1"}')
is "limit and offset page through; total counts all" \
	"$(j "$out" '[.items[].id] | join(",")') $(j "$out" '[.total, .limit, .offset] | join(",")')" "3,1 4,2,1"
is "an offset past the end: no items, the total still there" \
	"$(j "$(call alarms noc '{"offset":50}')" '[(.items | length), .total] | join(",")')" "0,4"
is "an unknown device is an empty list, not an error" \
	"$(j "$(call alarms noc '{"device":"x'"'"' OR 1=1 --"}')" '.total')" "0"

# 5. Incidents ----------------------------------------------------------------

inc() {	# UID SCOPE_KEY STATE ACCOUNTS [EXTRA JSON]
	q "$db" "SELECT rules_write_incident('{\"uid\":\"$1\",\"scope_key\":\"$2\",\"scope\":\"port\",\"device_id\":1,\"frame\":0,\"slot\":1,\"port\":3,\"state\":\"$3\",\"cause\":\"fibre_cut\",\"title\":\"PON 0/1/3 down\",\"root_alarm\":\"1:pon.los:0/1/3\",\"opened_at\":\"${OPENED:-2026-12-01T00:00:01Z}\",\"confirmed_at\":${CONF:-null},\"affected_onus\":4,\"accounts\":[$4],\"evidence\":[${EVID:-}]${5:-}}'::jsonb)"
}
i1=$(EVID='"1:pon.los:0/1/3","1:onu.los:0/1/3/1"' CONF='"2026-12-01T00:01:00Z"' inc u1 '1:port:0/1/3' confirmed '101,102,103')
i2=$(OPENED=2026-11-30T00:00:00Z inc u2 '1:port:old' suspected '104' ',"planned":true')
q "$db" "UPDATE incidents SET state = 'resolved', resolved_at = '2026-11-30 01:00+00' WHERE id = $i2" >/dev/null
i3=$(OPENED=2026-12-01T02:00:00Z inc u3 '1:port:other' suspected '' ',"planned":true')
ot=$(q "$db" "SELECT id FROM tickets WHERE incident_id = $i1 AND kind = 'outage'")

out=$(call incidents noc '{}')
is "incidents: open by default (suspected and confirmed), newest first" \
	"$(j "$out" '[.items[].id] | join(",")') $(j "$out" '.total')" "$i3,$i1 2"
is "an incident has the spec's keys" "$(j "$out" '.items[1] | keys | join(",")')" \
	"affected_accounts,affected_onus,cause,confirmed_at,device,eta,frame,id,individual,line,notifications,onu,opened_at,planned,port,resolved_at,root_alarm,scope,scope_key,slot,splitter,state,ticket,title,uid"
is "with its outage ticket: id, kind, state, assignee, eta" \
	"$(j "$out" '.items[1].ticket | [.id, .kind, .state, (.assignee // "-"), (.eta // "-")] | join(",")') $(j "$out" '.items[0].ticket')" \
	"$ot,outage,new,-,- null"
is "state=all, state=resolved, planned=true, planned=false" \
	"$(j "$(call incidents cs '{"state":"all"}')" '.total') $(j "$(call incidents cs '{"state":"resolved"}')" '[.items[].id] | join(",")') $(j "$(call incidents cs '{"state":"all","planned":"true"}')" '.total') $(j "$(call incidents cs '{"planned":false}')" '[.items[].id] | join(",")')" \
	"3 $i2 2 $i1"
is "since/until on opened_at, device and region" \
	"$(j "$(call incidents cs '{"state":"all","since":"2026-12-01T00:00:00Z","until":"2026-12-01T01:00:00Z"}')" '[.items[].id] | join(",")') $(j "$(call incidents cs '{"device":"olt1"}')" '.total') $(j "$(call incidents cs '{"region":"west"}')" '.total')" \
	"$i1 2 0"

out=$(call incident noc "{\"id\":$i1}")
is "one incident: its evidence, alarm count and linked complaints" \
	"$(j "$out" '[([.alarms[].id] | join("+")), .alarm_count, .complaints, .uid] | join(",")')" \
	"2+1,2,0,u1"
is "an evidence alarm has the alarm keys" "$(j "$out" '.alarms[0] | keys | length')" "18"
is "an incident that does not exist is P0002 (404)" \
	"$(code incident noc '{"id":999999}')" "P0002 incident 999999: not found"

out=$(call incident_accounts cs "{\"id\":$i1}")
is "incident accounts: ordered by account, with the list envelope" \
	"$(j "$out" '[.items[].account] | join(",")') $(j "$out" '[.total, .limit, .offset] | join(",")')" \
	"acct1,acct2,acct3 3,100,0"
is "an account has id, name, phones, region, address and its place" \
	"$(j "$out" '.items[0] | [(keys | join("+")), .id, .name, (.phones | join("+")), .address] | join(",")')" \
	"account+address+id+name+phones+place+region,101,用户1,13800000001+07550001,Road 1"
is "the place: device, frame/slot/port, splitter, ONU and serial" \
	"$(j "$out" '.items[0].place | [.device, .frame, .slot, .port, .splitter, .onu, .serial] | join(",")') $(j "$out" '.items[1].place.splitter')" \
	"olt1,0,1,3,S1,1,HWTC0001 null"
is "paged" "$(j "$(call incident_accounts cs "{\"id\":$i1,\"limit\":1,\"offset\":2}")" '[.items[].account, .total] | join(",")')" \
	"acct3,3"
q "$db" "INSERT INTO incident_accounts VALUES ($i3, 105)" >/dev/null
is "a DSL account's place is its line's port, no ONU" \
	"$(j "$(call incident_accounts cs "{\"id\":$i3}")" '.items[0].place | [.device, .slot, .port, (.onu // "-"), (.serial // "-")] | join(",")')" \
	"dslam2,2,7,-,-"
is "accounts of an incident that does not exist: 404" \
	"$(code incident_accounts cs '{"id":424242}')" "P0002 incident 424242: not found"

# 6. Complaints ---------------------------------------------------------------

out=$(call complaint cs '{"account":"acct1","channel":"hotline","category":"network","sub_category":"drops","content":"no internet since 8"}' 'cs.wang')
is "a complaint answers with its ticket and the complaint" \
	"$(j "$out" '[.kind, .state, (.complaint | keys | join("+"))] | join(",")')" \
	"complaint,new,account+category+channel+content+escalated+id+incident_id+pre_notified+priority+received_at+repeat+sub_category+subscriber_id"
is "it links to the open incident of the account, under the outage ticket" \
	"$(j "$out" '[.complaint.incident_id, .complaint.subscriber_id, .complaint.repeat, .incident_id, .parent_id] | join(",")')" \
	"$i1,101,false,$i1,$ot"
is "its ticket history names the agent and role cs" \
	"$(q "$db" "SELECT actor, role FROM ticket_history WHERE ticket_id = $(j "$out" .id)")" "cs.wang|cs"
out=$(call complaint cs '{"phone":"138 0000 0001","channel":"12345","category":"network","content":"again!"}')
is "a second complaint, by phone with spaces: same account, repeat, escalated, priority 1" \
	"$(j "$out" '[.complaint.account, .complaint.repeat, .complaint.escalated, .complaint.priority, .priority, .complaint.incident_id] | join(",")')" \
	"acct1,true,true,1,1,$i1"
is "the phone is stored without the spaces" \
	"$(q "$db" "SELECT caller_phone FROM complaints WHERE id = $(j "$out" .complaint.id)")" "13800000001"
is "received_at is taken as given" \
	"$(j "$(call complaint noc '{"account":"acct9","channel":"web","category":"billing","content":"x","received_at":"2026-11-01T10:00:00+08:00"}')" '[.complaint.received_at, (.complaint.subscriber_id // "-"), (.complaint.incident_id // "-")] | join(",")')" \
	"$(q "$db" "SELECT to_json('2026-11-01T10:00:00+08:00'::timestamptz)#>>'{}'"),-,-"
is "account or phone is required" \
	"$(code complaint cs '{"channel":"web","category":"network","content":"x"}')" "22023 account: required (or phone)"
is "channel is required" "$(code complaint cs '{"account":"acct1","category":"network","content":"x"}')" \
	"22023 channel: required"
like "an unknown channel is named" "$(code complaint cs '{"account":"acct1","channel":"fax","category":"network","content":"x"}')" \
	"^22023 channel: unknown value 'fax' \(one of hotline, web"
is "category is required" "$(code complaint cs '{"account":"acct1","channel":"web","content":"x"}')" \
	"22023 category: required"
like "an unknown category" "$(code complaint cs '{"account":"acct1","channel":"web","category":"weather","content":"x"}')" \
	"^22023 category: unknown value 'weather'"
is "a sub-category of another category" \
	"$(code complaint cs '{"account":"acct1","channel":"web","category":"billing","sub_category":"slow","content":"x"}')" \
	"22023 sub_category: 'slow' is not a sub-category of billing"
is "content is required" "$(code complaint cs '{"account":"acct1","channel":"web","category":"network"}')" \
	"22023 content: required"
long=$(printf 'x%.0s' $(seq 4001))
is "content of 4001 characters is too long" \
	"$(code complaint cs "{\"account\":\"acct1\",\"channel\":\"web\",\"category\":\"network\",\"content\":\"$long\"}")" \
	"22023 content: at most 4000 characters, not 4001"
is "a bad received_at" "$(code complaint cs '{"account":"acct1","channel":"web","category":"network","content":"x","received_at":"31/12/2026"}')" \
	"22023 received_at: not a timestamp"
is "nothing of the refused complaints was stored" \
	"$(q "$db" "SELECT count(*) FROM complaints")" "3"

# Hostile text: stored and returned byte for byte.
hostile="'); DROP TABLE tickets; -- \"quoted\" \\back 😀 𠀀 中文 \$\$ :'args'"
body=$(jq -n -c --arg c "$hostile" --arg n "O'Brien 😀" \
	'{account:"acct2", caller_name:$n, channel:"web", category:"network", content:$c}')
out=$(call complaint cs "$body")
is "hostile content comes back as sent" "$(j "$out" .complaint.content)" "$hostile"
is "and is stored as sent" \
	"$(q "$db" "SELECT content = \$h\$$hostile\$h\$, caller_name FROM complaints WHERE id = $(j "$out" .complaint.id)")" \
	"t|O'Brien 😀"
is "4-byte UTF-8 counts as one character each" \
	"$(q "$db" "SELECT char_length(content) = $(printf '%s' "$hostile" | python3 -c 'import sys; print(len(sys.stdin.read()))') FROM complaints WHERE id = $(j "$out" .complaint.id)")" "t"
is "the tickets table is still there" "$(q "$db" "SELECT count(*) > 0 FROM tickets")" "t"

# 7. Tickets: lists and one ------------------------------------------------------

out=$(call tickets noc '{}')
is "tickets: open ones, priority first, then newest (the outage ticket opened at its confirmation, the late complaint in November)" \
	"$(j "$out" '[.items[] | "\(.kind):\(.priority)"] | join(",")')" \
	"complaint:1,complaint:3,complaint:3,outage:3,complaint:3"
is "a ticket has the spec's keys" "$(j "$out" '.items[0] | keys | join(",")')" \
	"affected_accounts,assignee,closed_at,complaint_id,deadlines,eta,id,incident_id,kind,opened_at,overdue,parent_id,planned,priority,replied_at,resolved_at,responded_at,state,team,title,updated_at"
is "deadlines: first_response, reply, investigation, resolve" \
	"$(j "$out" '.items[0].deadlines | keys | join(",")')" "first_response,investigation,reply,resolve"
is "kind and incident_id filters" \
	"$(j "$(call tickets noc '{"kind":"outage"}')" '[.items[].id] | join(",")') $(j "$(call tickets noc "{\"incident_id\":\"$i1\"}")" '.total')" \
	"$ot 4"
like "an unknown kind" "$(code tickets noc '{"kind":"x"}')" "^22023 kind: unknown value 'x'"
# The complaint received 2026-11-01 missed all its deadlines.
late=$(q "$db" "SELECT t.id FROM tickets t JOIN complaints c ON c.id = t.complaint_id WHERE c.account = 'acct9'")
out=$(call tickets noc '{"overdue":"true"}')
is "overdue=true: only tickets with a missed deadline, with their names" \
	"$(j "$out" '[.items[].id] | join(",")') $(j "$out" '.items[0].overdue | join(",")')" \
	"$late acceptance,reply,investigation,solution"
is "one state, and all" \
	"$(j "$(call tickets noc '{"state":"new","kind":"outage"}')" '.total') $(j "$(call tickets noc '{"state":"closed"}')" '.total') $(j "$(call tickets noc '{"state":"all"}')" '.total')" \
	"1 0 5"
is "since/until on opened_at" \
	"$(j "$(call tickets noc '{"state":"all","until":"2026-11-15T00:00:00Z"}')" '[.items[].id] | join(",")')" "$late"

out=$(call ticket cs "{\"id\":$ot}")
is "one ticket: history, children, complaint, incident" \
	"$(j "$out" '[(.history | length), (.children | length), (.complaint // "-"), .incident.id] | join(",")')" \
	"1,3,-,$i1"
is "a history entry: at, actor, role, from, to, note" \
	"$(j "$out" '.history[0] | [(keys | join("+")), .actor, .role, (.from // "-"), .to, .note] | join(",")')" \
	"actor+at+from+note+role+to,herald,herald,-,new,incident $i1 confirmed"
is "the children are ticket objects" "$(j "$out" '[.children[].kind] | join(",")') $(j "$out" '.children[0] | keys | length')" \
	"complaint,complaint,complaint 21"
ct=$(j "$out" '.children[0].id')
is "a complaint ticket shows its complaint" \
	"$(j "$(call ticket cs "{\"id\":$ct}")" '[.complaint.account, .complaint.channel] | join(",")')" "acct1,hotline"
is "a ticket that does not exist: 404" "$(code ticket cs '{"id":"777777"}')" "P0002 ticket 777777: not found"

# 8. Opening a repair ticket -----------------------------------------------------

out=$(call ticket_create noc '{"title":"ONU 4 dark","account":"acct4","priority":2,"team":"field-3","assignee":"li.na","eta":"2026-12-02T18:00:00+08:00"}' 'zhang.wei')
rp=$(j "$out" .id)
is "noc opens a repair ticket: kind, state, priority, team, assignee" \
	"$(j "$out" '[.kind, .state, .priority, .team, .assignee, (.history | length)] | join(",")')" \
	"repair,new,2,field-3,li.na,1"
is "its ETA and its 30-minute first response deadline" \
	"$(j "$out" '.eta') $(q "$db" "SELECT first_response_due - opened_at FROM tickets WHERE id = $rp")" \
	"$(q "$db" "SELECT to_json('2026-12-02T18:00:00+08:00'::timestamptz)#>>'{}'") 00:30:00"
is "the opening is in its history with the actor and the account" \
	"$(j "$out" '.history[0] | [.actor, .role, .to, .note] | join(",")')" \
	"zhang.wei,noc,new,opened by hand for account acct4"
is "only repair tickets are opened by hand" "$(code ticket_create noc '{"kind":"outage","title":"x"}' | cut -c1-58)" \
	"22023 kind: only repair tickets are opened by hand, not 'o"
is "a title is required" "$(code ticket_create noc '{"kind":"repair"}')" "22023 title: required"
is "a title of 501 characters is too long" \
	"$(code ticket_create noc "{\"title\":\"$(printf 'y%.0s' $(seq 501))\"}")" \
	"22023 title: at most 500 characters, not 501"
is "priority 6" "$(code ticket_create noc '{"title":"x","priority":6}')" "22023 priority: must be 1..5"
is "priority high" "$(code ticket_create noc '{"title":"x","priority":"high"}')" "22023 priority: not an integer"
is "a bad eta" "$(code ticket_create noc '{"title":"x","eta":"soon"}')" "22023 eta: not a timestamp"
is "an unknown account is 23503 (422)" "$(code ticket_create noc '{"title":"x","account":"nobody"}')" \
	"23503 account: no account 'nobody'"
is "an unknown incident is 23503 (422)" "$(code ticket_create noc '{"title":"x","incident_id":31337}')" \
	"23503 incident_id: no incident 31337"
r3=$(j "$(call ticket_create admin "{\"title\":\"splice\",\"incident_id\":$i3}")" .id)
is "a repair ticket on an incident" "$(q "$db" "SELECT kind, incident_id FROM tickets WHERE id = $r3")" "repair|$i3"
is "a second one on the same incident is 23505 (409)" \
	"$(code ticket_create admin "{\"title\":\"again\",\"incident_id\":$i3}")" \
	"23505 incident_id: incident $i3 has its repair ticket already (ticket $r3)"
htitle="Robert'); DROP TABLE tickets;-- 😀𠀀"
is "a hostile title is kept as given" \
	"$(j "$(call ticket_create noc "$(jq -n -c --arg t "$htitle" '{title:$t}')")" .title)" "$htitle"

# 9. Transitions ----------------------------------------------------------------

out=$(call ticket_transition noc "{\"id\":$ot,\"to\":\"acknowledged\",\"note\":\"on it 😀\"}" 'zhang.wei')
is "noc acknowledges the outage ticket; the answer has the history" \
	"$(j "$out" '[.state, (.history | length), .history[-1].from, .history[-1].to, .history[-1].actor, .history[-1].role, .history[-1].note] | join(",")')" \
	"acknowledged,2,new,acknowledged,zhang.wei,noc,on it 😀"
is "cs may make no step on an outage ticket: 42501 (403)" \
	"$(code ticket_transition cs "{\"id\":$ot,\"to\":\"dispatched\"}")" \
	"42501 role cs may not change outage tickets"
like "a step the workflow does not have, for noc: 23514 (409)" \
	"$(code ticket_transition noc "{\"id\":$ot,\"to\":\"closed\"}")" \
	"^23514 ticket $ot: no transition from acknowledged to closed for role noc on a outage ticket"
is "the state it is in already: 23514 (409)" \
	"$(code ticket_transition noc "{\"id\":$ot,\"to\":\"acknowledged\"}")" \
	"23514 ticket $ot: is acknowledged already"
is "an unknown state: 22023" \
	"$(code ticket_transition noc "{\"id\":$ot,\"to\":\"done\"}")" \
	"22023 to: unknown state 'done' (one of acknowledged, dispatched, in_progress, resolved, closed, reopened, cancelled)"
is "'new' is no target" "$(code ticket_transition noc "{\"id\":$ot,\"to\":\"new\"}" | cut -c1-30)" \
	"22023 to: unknown state 'new' "
is "to is required" "$(code ticket_transition noc "{\"id\":$ot}")" "22023 to: required"
is "a ticket that does not exist: P0002" \
	"$(code ticket_transition noc '{"id":888888,"to":"acknowledged"}')" "P0002 ticket 888888: not found"
is "a note over 2000 characters" \
	"$(code ticket_transition noc "{\"id\":$ot,\"to\":\"dispatched\",\"note\":\"$(printf 'n%.0s' $(seq 2001))\"}")" \
	"22023 note: at most 2000 characters, not 2001"
is "the refused steps left the ticket and its history alone" \
	"$(q "$db" "SELECT state, (SELECT count(*) FROM ticket_history WHERE ticket_id = $ot) FROM tickets WHERE id = $ot")" \
	"acknowledged|2"
is "noc may not touch a complaint ticket: 42501" \
	"$(code ticket_transition noc "{\"id\":$ct,\"to\":\"acknowledged\"}")" \
	"42501 role noc may not change complaint tickets"
is "cs acknowledges a complaint ticket" \
	"$(j "$(call ticket_transition cs "{\"id\":$ct,\"to\":\"acknowledged\"}")" .state)" "acknowledged"
out=$(call ticket_transition noc "{\"id\":$ot,\"to\":\"resolved\"}")
is "resolving the outage ticket resolves its complaint tickets (the 050 trigger)" \
	"$(j "$out" '[.state, ([.children[].state] | unique | join("+"))] | join(",")')" "resolved,resolved"
is "a transition without a note leaves none" "$(j "$out" '.history[-1].note')" "null"

# 10. Assign and ETA ----------------------------------------------------------------

out=$(call ticket_assign noc "{\"id\":$rp,\"assignee\":\"wang.fang\",\"note\":\"nearest\"}" 'zhang.wei')
is "noc assigns: the assignee changes, the team stays" \
	"$(j "$out" '[.assignee, .team, .state] | join(",")')" "wang.fang,field-3,new"
is "history: a row from the state to itself with what changed" \
	"$(j "$out" '.history[-1] | [.from, .to, .actor, .role, .note] | join(",")')" \
	"new,new,zhang.wei,noc,assigned to wang.fang (team field-3): nearest"
is "a null clears, an absent key is kept" \
	"$(j "$(call ticket_assign admin "{\"id\":$rp,\"team\":null}")" '[.assignee, (.team // "-")] | join(",")')" "wang.fang,-"
is "assignee or team is required" "$(code ticket_assign noc "{\"id\":$rp,\"note\":\"x\"}")" \
	"22023 assignee: required (or team)"
is "cs may not assign a repair ticket" "$(code ticket_assign cs "{\"id\":$rp,\"assignee\":\"x\"}")" \
	"42501 role cs may assign complaint tickets only, not repair tickets"
c2=$(j "$(call ticket cs "{\"id\":$ot}")" '.children[1].id')
is "cs assigns a complaint ticket" \
	"$(j "$(call ticket_assign cs "{\"id\":$c2,\"assignee\":\"cs.li\"}")" .assignee)" "cs.li"
is "assigning a ticket that does not exist" "$(code ticket_assign noc '{"id":5555,"assignee":"x"}')" \
	"P0002 ticket 5555: not found"

out=$(call ticket_eta noc "{\"id\":$ot,\"eta\":\"2026-12-02T18:00:00+08:00\",\"note\":\"splicer on site\"}")
is "an outage ticket's ETA is set on the ticket and on its incident" \
	"$(j "$out" '.eta') $(j "$out" '.incident.eta')" \
	"$(q "$db" "SELECT to_json('2026-12-02T18:00:00+08:00'::timestamptz)#>>'{}'") $(q "$db" "SELECT to_json(estimated_restore_at)#>>'{}' FROM incidents WHERE id = $i1")"
like "and written to history" "$(j "$out" '.history[-1] | [.from, .to, .note] | join(",")')" \
	"^resolved,resolved,eta set to 2026-12-02T..:00:00[+-]..:..: splicer on site$"
out=$(call ticket_eta admin "{\"id\":$ot,\"eta\":null}")
is "a null ETA clears both" \
	"$(j "$out" '.eta') $(q "$db" "SELECT coalesce(estimated_restore_at::text, 'null') FROM incidents WHERE id = $i1")" "null null"
is "an ETA on a repair ticket of an incident moves the incident's" \
	"$(j "$(call ticket_eta noc "{\"id\":$r3,\"eta\":\"2026-12-03T00:00:00Z\"}")" '.incident.eta | startswith("2026-12-0")') $(q "$db" "SELECT estimated_restore_at = '2026-12-03T00:00:00Z' FROM incidents WHERE id = $i3")" \
	"true t"
q "$db" "UPDATE incidents SET state = 'resolved', resolved_at = now() WHERE id = $i3" >/dev/null
call ticket_transition noc "{\"id\":$r3,\"to\":\"reopened\"}" >/dev/null
out=$(call ticket_eta noc "{\"id\":$r3,\"eta\":\"2026-12-04T12:00:00Z\"}")
is "when the incident has ended only the ticket's ETA changes (the incident's would resolve the reopened ticket again)" \
	"$(j "$out" '[.state, (.eta | startswith("2026-12-04"))] | join(",")') $(q "$db" "SELECT estimated_restore_at = '2026-12-03T00:00:00Z' FROM incidents WHERE id = $i3")" \
	"reopened,true t"
is "eta is required (null to clear)" "$(code ticket_eta noc "{\"id\":$rp}")" "22023 eta: required (null clears it)"
is "a bad eta" "$(code ticket_eta noc "{\"id\":$rp,\"eta\":\"tomorrow morning\"}")" "22023 eta: not a timestamp"
is "an eta given as a number" "$(code ticket_eta noc "{\"id\":$rp,\"eta\":1764000000}")" "22023 eta: not a timestamp"
is "an ETA for a ticket that does not exist" "$(code ticket_eta noc '{"id":6666,"eta":null}')" \
	"P0002 ticket 6666: not found"

# 11. Maintenance windows ------------------------------------------------------------

out=$(call maintenance_add noc '{"device":"olt1","frame":0,"slot":1,"port":3,"splitter":"S1","starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","reason":"splitter swap 😀"}' 'zhang.wei')
m1=$(j "$out" .id)
is "noc adds a window: the item's keys" "$(j "$out" 'keys | join(",")')" \
	"active,created_at,created_by,device,ends_at,frame,id,port,reason,slot,splitter,starts_at"
is "its scope, reason, creator and active flag" \
	"$(j "$out" '[.device.id, .device.name, .frame, .slot, .port, .splitter, .reason, .created_by, .active] | join(",")')" \
	"1,olt1,0,1,3,S1,splitter swap 😀,zhang.wei,true"
m2=$(j "$(call maintenance_add admin '{"device_id":2,"starts_at":"2098-01-01T00:00:00Z","ends_at":"2098-01-01T04:00:00Z","reason":"upgrade"}')" .id)
m3=$(j "$(call maintenance_add admin '{"device_id":"2","starts_at":"2020-01-01T00:00:00Z","ends_at":"2020-01-01T04:00:00Z","reason":"long ago"}')" .id)
out=$(call maintenance cs '{}')
is "the list: current and future ones, soonest first" \
	"$(j "$out" '[.items[] | "\(.id):\(.active)"] | join(",")') $(j "$out" .total)" \
	"$m1:true,$m2:false 2"
is "all=true shows past ones too; device filters" \
	"$(j "$(call maintenance cs '{"all":"true"}')" '[.items[].id] | join(",")') $(j "$(call maintenance cs '{"all":true,"device":"dslam2"}')" '.total')" \
	"$m3,$m1,$m2 2"
is "port without slot" "$(code maintenance_add noc '{"device":"olt1","frame":0,"port":3,"ends_at":"2099-01-01","reason":"x"}')" \
	"22023 port: needs slot (a narrower scope names its parents)"
is "slot without frame" "$(code maintenance_add noc '{"device":"olt1","slot":1,"ends_at":"2099-01-01","reason":"x"}')" \
	"22023 slot: needs frame (a narrower scope names its parents)"
is "splitter without port" "$(code maintenance_add noc '{"device":"olt1","frame":0,"slot":1,"splitter":"S1","ends_at":"2099-01-01","reason":"x"}')" \
	"22023 splitter: needs port (a narrower scope names its parents)"
is "ends before it starts" "$(code maintenance_add noc '{"device":"olt1","starts_at":"2099-01-02","ends_at":"2099-01-01","reason":"x"}')" \
	"22023 ends_at: must be after starts_at"
is "no end" "$(code maintenance_add noc '{"device":"olt1","reason":"x"}')" "22023 ends_at: required"
is "no reason" "$(code maintenance_add noc '{"device":"olt1","ends_at":"2099-01-01"}')" "22023 reason: required"
is "no device" "$(code maintenance_add noc '{"ends_at":"2099-01-01","reason":"x"}')" "22023 device: required (or device_id)"
is "a negative slot" "$(code maintenance_add noc '{"device":"olt1","frame":0,"slot":-1,"ends_at":"2099-01-01","reason":"x"}')" \
	"22023 slot: must be 0..2147483647"
is "an unknown device: 23503 (422)" "$(code maintenance_add noc '{"device":"olt9","ends_at":"2099-01-01","reason":"x"}')" \
	"23503 device: no device 'olt9'"
is "a name and an id that disagree" "$(code maintenance_add noc '{"device":"olt1","device_id":2,"ends_at":"2099-01-01","reason":"x"}')" \
	"23503 device: no device 'olt1' with id 2"
is "delete" "$(call maintenance_delete noc "{\"id\":$m2}")" "{\"deleted\": $m2}"
is "delete again: 404" "$(code maintenance_delete noc "{\"id\":$m2}")" "P0002 maintenance window $m2: not found"
is "the windows left" "$(q "$db" "SELECT string_agg(id::text, ',' ORDER BY id) FROM maintenance_windows")" "$m1,$m3"
