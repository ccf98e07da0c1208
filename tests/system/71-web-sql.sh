#!/bin/bash
# 71-web-sql: the SQL side of the web pages (schema/080_web.sql), called as
# heraldd calls it: SELECT api_NAME(args::jsonb, role, actor). The board's
# counters (active incidents without individual faults, distinct accounts,
# notices by state and by incident, overdue tickets, raised alarms); the
# alarm rate per minute and kind with its zeros; the topology under a
# port, a splitter and an ONU incident, affected and down marked, cut at
# 5,000 ONUs; the texts sent for an incident with their states; each
# route's roles and refusals.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/apisql.sh"
need_db
command -v jq >/dev/null || skip_all "jq is not installed"
plan 38

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }


# olt1: board 0/1 with PON ports 3 (ONUs 1..4, 1 and 2 behind splitter
# S1) and 4 (ONU 1); subscribers acct1..acct5, one per ONU; a second OLT
# with 6,000 ONUs on one port for the cap.
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr, region) VALUES
	(1, 'olt1', 'olt', 'huawei', '127.0.0.11', '南山'),
	(2, 'olt2', 'olt', 'huawei', '127.0.0.12', '福田');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1), (11, 2, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon'),
	(21, 10, 4, 'pon'), (22, 11, 0, 'pon');
INSERT INTO splitters (id, port_id, name) VALUES (25, 20, 'S1');
INSERT INTO onus (id, port_id, onu_id, serial, splitter_id)
	SELECT 30 + n, 20, n, 'HWTC000' || n, CASE WHEN n <= 2 THEN 25 END
	FROM generate_series(1, 4) n;
INSERT INTO onus (id, port_id, onu_id, serial) VALUES (35, 21, 1, 'HWTC0005');
INSERT INTO onus (id, port_id, onu_id, serial)
	SELECT 1000 + n, 22, n, 'BIG' || n FROM generate_series(0, 5999) n;
INSERT INTO subscribers (id, account, name, address, onu_id, phones)
	SELECT 100 + n, 'acct' || n, '用户' || n, 'Road ' || n, 30 + n,
	    ARRAY['1380000000' || n] FROM generate_series(1, 5) n;
SELECT rules_write_incident(jsonb_build_object('uid', 'p@1',
	'scope_key', '1:p0/1/3', 'scope', 'port', 'device_id', 1, 'frame', 0,
	'slot', 1, 'port', 3, 'state', 'confirmed', 'cause', 'fibre_cut',
	'title', 'Fibre cut: olt1 0/1/3', 'opened_at', now() - interval '5 min',
	'confirmed_at', now() - interval '4 min',
	'accounts', jsonb_build_array(101, 102, 103)));
SELECT rules_write_incident(jsonb_build_object('uid', 's@1',
	'scope_key', '1:s0/1/3/S1', 'scope', 'splitter', 'device_id', 1,
	'frame', 0, 'slot', 1, 'port', 3, 'splitter', 'S1',
	'state', 'suspected', 'cause', 'power_cut', 'title', 'S1',
	'opened_at', now() - interval '1 min', 'accounts', jsonb_build_array(101, 102)));
SELECT rules_write_incident(jsonb_build_object('uid', 'o@1',
	'scope_key', '1:o0/1/4/1', 'scope', 'onu', 'device_id', 1,
	'frame', 0, 'slot', 1, 'port', 4, 'onu', 1, 'individual', true,
	'state', 'confirmed', 'cause', 'onu_los', 'title', 'ONU',
	'opened_at', now() - interval '1 min', 'confirmed_at', now(),
	'accounts', jsonb_build_array(105)));
SELECT rules_write_incident(jsonb_build_object('uid', 'big@1',
	'scope_key', '2:d', 'scope', 'device', 'device_id', 2,
	'state', 'resolved', 'cause', 'device_down', 'title', 'olt2',
	'opened_at', now() - interval '9 min', 'resolved_at', now(),
	'accounts', '[]'::jsonb));
" >/dev/null
P=$(q "$db" "SELECT id FROM incidents WHERE uid = 'p@1'")
S=$(q "$db" "SELECT id FROM incidents WHERE uid = 's@1'")
O=$(q "$db" "SELECT id FROM incidents WHERE uid = 'o@1'")
B=$(q "$db" "SELECT id FROM incidents WHERE uid = 'big@1'")
# Alarms: ONUs 1 and 2 of port 3 down (2 cleared since), raises spread
# over the last minutes, one two hours ago.
q "$db" "
DELETE FROM notifications;
INSERT INTO alarms (device_id, kind, reduction_key, frame, slot, port, onu,
	state, first_raised_at, cleared_at) VALUES
	(1, 'onu.los', 'k1', 0, 1, 3, 1, 'raised', now(), NULL),
	(1, 'onu.los', 'k2', 0, 1, 3, 2, 'cleared', now() - interval '1 min', now()),
	(1, 'pon.los', 'k3', 0, 1, 3, NULL, 'raised', now() - interval '2 min', NULL),
	(1, 'onu.dying_gasp', 'k4', 0, 1, 3, 4, 'raised', now() - interval '2 min', NULL),
	(1, 'pon.los', 'k5', 0, 1, 4, NULL, 'raised', now() - interval '2 hours', NULL);
INSERT INTO notifications (subscriber_id, incident_id, kind, phone, language,
	body, state, sent_at) VALUES
	(101, $P, 'outage', '1', 'zh', '光纤中断 <b>', 'delivered', now() - interval '3 min'),
	(102, $P, 'outage', '2', 'zh', '光纤中断 <b>', 'sent', now() - interval '3 min'),
	(103, $P, 'outage', '3', 'en', 'A fibre cut', 'failed', now() - interval '2 min'),
	(101, $P, 'update', '1', 'zh', NULL, 'queued', NULL),
	(101, $S, 'outage', '1', 'zh', NULL, 'suppressed', NULL),
	(105, $O, 'outage', '5', 'zh', 'x', 'delivered', now());
UPDATE tickets SET first_response_due = now() - interval '1 min'
	WHERE incident_id = $P;
" >/dev/null

# 1. Summary -----------------------------------------------------------------
sum=$(call summary noc '{}')
is "active incidents: suspected and confirmed, individual faults left out" \
	"$(j "$sum" '[.incidents_active, .incidents_planned] | @csv')" "2,0"
is "accounts affected: distinct over them (the splitter's are the port's)" \
	"$(j "$sum" .accounts_affected)" 3
is "  and summed when no two places nest (ONU 4 of port 0/1/3 and olt2)" \
	"$(q "$db" "BEGIN; UPDATE incidents SET state = 'resolved', resolved_at = now() WHERE id = $S;
	    INSERT INTO incidents (kind, scope, device_id, frame, slot, port, onu, state, title, affected_accounts)
	    VALUES ('x', 'onu', 2, 0, 1, 0, 7, 'suspected', 'x', 5);
	    SELECT api_summary_accounts(); ROLLBACK;" | tail -1)" 8
is "notices of active incidents by state, the usual ones present as zeros" \
	"$(j "$sum" '.notifications | [.queued, .sent, .delivered, .failed, .suppressed] | @csv')" \
	"1,1,1,1,1"
is "  and by incident, for the board's rows" \
	"$(j "$sum" ".notices_by_incident[\"$P\"] | [.delivered, .sent, .failed, .queued] | @csv")" \
	"1,1,1,1"
is "  none for the individual fault" "$(j "$sum" ".notices_by_incident[\"$O\"]")" null
is "overdue tickets counted once each" "$(j "$sum" .tickets_overdue)" 1
is "raised alarms" "$(j "$sum" .alarms_active)" 4
is "  and no list unless asked" "$(j "$sum" '.incidents')" null
l=$(call summary noc '{"incidents":"true"}')
is "incidents=true lists the active ones, most accounts first, with their tickets" \
	"$(j "$l" '[.incidents[] | "\(.id):\(.state):\(.affected_accounts):\(.ticket.kind // "-")"] | join(" ")')" \
	"$P:confirmed:3:outage $S:suspected:2:-"
is "  each with its place and words as GET /incidents has them" \
	"$(j "$l" '.incidents[0] | [.device.name, .frame, .slot, .port, .cause, .scope, .planned, .truncated] | @csv')" \
	'"olt1",0,1,3,"fibre_cut","port",false,'
is "  and says whether it was cut" "$(j "$l" .truncated)" false
is "counts=false: the list without the counters (what a ticket step changes)" \
	"$(j "$(call summary noc '{"incidents":"true","counts":"false"}')" '[(.incidents | length), .incidents_active, .accounts_affected, .notices_by_incident] | @csv')" \
	"2,2,,"
is "incidents that is no boolean" "$(code summary noc '{"incidents":"yes"}')" \
	"22023 incidents: must be true or false"
is "cs may read it" "$(code summary cs '{}')" ok
is "a gateway token may not" "$(code summary gateway '{}')" \
	"42501 role gateway may not use GET /summary"

# 2. Alarm rate ----------------------------------------------------------------
rate=$(call alarm_rate noc '{}')
is "60 minutes by default, oldest first, the last one now's" \
	"$(j "$rate" '[(.minutes | length), (.minutes | . == sort)] | @csv')" "60,true"
is "the kinds raised in the window, one count per minute" \
	"$(j "$rate" '.kinds | to_entries | sort_by(.key) | map("\(.key)=\(.value | length)") | join(",")')" \
	"onu.dying_gasp=60,onu.los=60,pon.los=60"
is "  counted by the minute of their first raise (the one two hours ago out)" \
	"$(j "$rate" '[.kinds["onu.los"][-1] + .kinds["onu.los"][-2], (.kinds["pon.los"] | add), (.kinds["onu.los"] | add)] | @csv')" \
	"2,1,2"
is "minutes=3" "$(j "$(call alarm_rate noc '{"minutes":"3"}')" '.minutes | length')" 3
is "minutes=0 refused naming the field" "$(code alarm_rate noc '{"minutes":0}')" \
	"22023 minutes: must be 1..1440"
is "minutes that is no number" "$(code alarm_rate noc '{"minutes":"an hour"}')" \
	"22023 minutes: not an integer"

# 3. Topology --------------------------------------------------------------------
t=$(call incident_topology noc "{\"id\":\"$P\"}")
is "a port incident: the device, its board and that port only" \
	"$(j "$t" '[.device.name, .device.region, (.boards | length), .boards[0].slot, (.boards[0].ports | map(.port) | join("+")), .truncated] | @csv')" \
	'"olt1","南山",1,1,"3",false'
is "  its splitters, S1 first, the ONUs without one under a null splitter" \
	"$(j "$t" '.boards[0].ports[0].splitters | map("\(.name):\(.onus | map(.onu) | join("+"))") | join(" ")')" \
	"S1:1+2 null:3+4"
is "  affected and down marked per ONU (down: a raised onu.* alarm)" \
	"$(j "$t" '[.boards[0].ports[0].splitters[].onus[] | "\(.onu)\(if .affected then "a" else "" end)\(if .down then "d" else "" end)"] | join(" ")')" \
	"1ad 2a 3a 4d"
is "  with serial and account" \
	"$(j "$t" '.boards[0].ports[0].splitters[0].onus[0] | [.serial, .account] | @csv')" \
	'"HWTC0001","acct1"'
is "a splitter incident: only its ONUs" \
	"$(j "$(call incident_topology noc "{\"id\":$S}")" '[.boards[].ports[] | "\(.port):" + (.splitters | map(.name + "=" + (.onus | map(.onu | tostring) | join("+"))) | join(","))] | join(" ")')" \
	"3:S1=1+2"
is "an ONU incident: its port and that ONU" \
	"$(j "$(call incident_topology noc "{\"id\":$O}")" '[.boards[].ports[] | "\(.port):" + (.splitters | map(.onus | map(.onu | tostring) | join("+")) | join(","))] | join(" ")')" \
	"4:1"
big=$(call incident_topology noc "{\"id\":$B}")
is "a device incident of 6,000 ONUs is cut at 5,000 and says so" \
	"$(j "$big" '[([.boards[].ports[].splitters[].onus[]] | length), .truncated] | @csv')" "5000,true"
is "an unknown incident" "$(code incident_topology noc '{"id":999999}')" \
	"P0002 incident 999999: not found"
is "an id that is no number" "$(code incident_topology noc '{"id":"x"}')" \
	"22023 id: not an integer"
is "a gateway token may not read it" "$(code incident_topology gateway "{\"id\":$P}")" \
	"42501 role gateway may not use GET /incidents/{id}/topology"

# 4. Messages -------------------------------------------------------------------
m=$(call incident_messages cs "{\"id\":$P}")
is "the distinct texts sent, in the order first sent, with their counts" \
	"$(j "$m" '.items | map("\(.kind)/\(.language)/\(.count)") | join(" ")')" \
	"outage/zh/2 outage/en/1"
is "  each with its states, the body as stored (not escaped)" \
	"$(j "$m" '.items[0] | [.body, .states.delivered, .states.sent] | @csv')" \
	'"光纤中断 <b>",1,1'
is "  notices not rendered yet counted apart" "$(j "$m" '.pending | tojson')" '{"queued":1}'
is "an incident with nothing sent has no items" \
	"$(j "$(call incident_messages noc "{\"id\":$B}")" '[(.items | length), (.pending | length)] | @csv')" "0,0"
is "an unknown incident" "$(code incident_messages noc '{"id":"424242"}')" \
	"P0002 incident 424242: not found"
is "a gateway token may not read it" "$(code incident_messages gateway "{\"id\":$P}")" \
	"42501 role gateway may not use GET /incidents/{id}/messages"
