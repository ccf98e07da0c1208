#!/bin/bash
# 59-cluster-api: the API's side of several heraldd instances (issue 14).
# In SQL: api_cluster shows the instances (alive, devices, ONUs, epochs),
# the leases, the moves and the fenced writes; api_cluster_drain/undrain
# flip the flag and NOTIFY cluster; roles and an unknown instance are
# refused; the incidents trigger names the ids written. Through heraldd
# "herald-b" with curl: the routes and their refusals (403, 400, 404, as
# JSON); heraldctl cluster, drain, undrain. And the same view everywhere:
# an incident that "herald-a" writes to PostgreSQL for a device it holds
# shows in herald-b's lookup and on its stream within a second, and so
# does its end.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
command -v curl >/dev/null || skip_all "curl is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 38

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
. "$top_srcdir/tests/lib/apisql.sh"
q "$db" "
INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES
	(1, 'olt-a', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1'),
	(2, 'olt-b', 'olt', 'huawei', 'MA5800-X7', '127.0.0.2');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1), (11, 2, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon'), (21, 11, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id, serial)
	SELECT 100 + n, 20, n, 'HWTC0000000' || n FROM generate_series(1, 4) n;
INSERT INTO onus (id, port_id, onu_id, serial)
	SELECT 200 + n, 21, n, 'HWTC0000020' || n FROM generate_series(1, 2) n;
INSERT INTO subscribers (account, phones, onu_id)
	SELECT 'acct' || id, ARRAY['1380013' || lpad(id::text, 4, '0')], id FROM onus;
" >/dev/null
# herald-a: an instance that is not running here but holds olt-a's lease
# for an hour; it gives olt-b back, for herald-b to take.
q "$db" "SELECT cluster_lease('herald-a', 'tok-a', 4242, 'test', 3600)" >/dev/null
q "$db" "SELECT cluster_release('herald-a', 'tok-a', '{2}')" >/dev/null
epoch=$(q "$db" "SELECT epoch FROM device_leases WHERE device_id = 1")

r=$(call cluster noc '{}')
is "api_cluster: herald-a alive, holding 1 device, 4 ONUs, epoch 1" \
	"$(j "$r" '.instances[] | select(.name == "herald-a") | [.alive, .draining, .devices, .onus, .epoch_min, .epoch_max]')" \
	"[true,false,1,4,$epoch,$epoch]"
is "  the leases: olt-a held by herald-a, olt-b free" \
	"$(j "$r" '[.devices[] | [.name, .owner]]')" '[["olt-a","herald-a"],["olt-b",null]]'
is "  the moves, newest first, and the totals" \
	"$(j "$r" '[(.moves | map(.reason)), .totals.devices, .totals.held, .fenced.total]')" \
	'[["released","claimed","claimed"],2,1,0]'
is "  customer service may not see it" "$(code cluster cs '{}')" \
	"42501 role cs may not use GET /cluster"
is "api_cluster_drain: noc may not" "$(code cluster_drain noc '{"instance":"herald-a"}')" \
	"42501 role noc may not use POST /cluster/drain"
is "  no instance named: 400" "$(code cluster_drain admin '{}')" "22023 instance: required"
is "  an unknown instance: 404" "$(code cluster_drain admin '{"instance":"nobody"}')" \
	"P0002 instance nobody: not found"
out=$(psql -X -q -At -d "$db" -c "LISTEN cluster" \
	-c "SELECT api_cluster_drain('{\"instance\":\"herald-a\"}', 'admin', 'root')" 2>&1)
like "  admin drains herald-a: the flag, and NOTIFY cluster" \
	"$(echo "$out" | tr '\n' ' ') $(q "$db" "SELECT draining FROM instances WHERE name = 'herald-a'")" \
	'\{"draining": true, "instance": "herald-a"\}.*notification "cluster" with payload "herald-a".* t$'
is "api_cluster_undrain: the flag is off" \
	"$(j "$(call cluster_undrain admin '{"instance":"herald-a"}')" .draining) $(q "$db" "SELECT draining FROM instances WHERE name = 'herald-a'")" "false f"
# A stale writer: herald-b does not hold olt-a.
q "$db" "SELECT stored, fenced FROM rules_write_incidents(jsonb_build_array(jsonb_build_object(
	'uid', 'x@1', 'scope_key', '1:x', 'scope', 'device', 'device_id', 1, 'epoch', 0,
	'state', 'suspected', 'title', 'stale', 'opened_at', now())), 'herald-b')" >/dev/null
is "a refused write is counted in fenced" "$(j "$(call cluster admin '{}')" '[.fenced.total, .fenced.entries]')" '[1,1]'

# herald-b, in a cluster.
NOC=$(api_token "$db" zhang.wei noc)
CS=$(api_token "$db" li.na cs)
ADM=$(api_token "$db" root admin)
write_conf "$TEST_TMP/b.conf" "$db" "
poll {
	enabled = false
}
cluster {
	enabled = true
	name = \"herald-b\"
	lease = 10
}"
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$TEST_TMP/b.conf")
start_heraldd "$TEST_TMP/b.conf" "$TEST_TMP/b.log"
ok "herald-b starts in cluster mode" wait_log "$TEST_TMP/b.log" \
	"api: cluster mode: the other instances' incidents" 20
wait_log "$TEST_TMP/b.log" "api: 3 active tokens" 20
wait_log "$TEST_TMP/b.log" "inventory: index loaded" 20

req() {
	curl -s -w '\n%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
		${4+-H 'Content-Type: application/json' --data-binary "$4"} "http://$api$3"
}
status() { req "$@" | tail -1; }
body() { req "$@" | sed '$d'; }
is "GET /api/v1/cluster: 200 with herald-a" \
	"$(body "$NOC" GET /api/v1/cluster | jq -c '[.instances[] | select(.name == "herald-a") | .devices]')" '[1]'
is "  customer service: 403 as JSON" "$(req "$CS" GET /api/v1/cluster | tr -s '\n' ' ')" \
	'{"error":"forbidden","detail":"role cs may not use GET /api/v1/cluster"} 403'
is "POST /api/v1/cluster/drain: noc 403" "$(status "$NOC" POST /api/v1/cluster/drain '{"instance":"herald-a"}')" 403
is "  a body that is not JSON: 400" "$(status "$ADM" POST /api/v1/cluster/drain 'herald-a')" 400
is "  no instance: 400 saying so" "$(req "$ADM" POST /api/v1/cluster/drain '{}' | tr -s '\n' ' ')" \
	'{"error":"bad request","detail":"instance: required"} 400'
is "  an unknown instance: 404 as JSON" "$(req "$ADM" POST /api/v1/cluster/drain '{"instance":"nobody"}' | tr -s '\n' ' ')" \
	'{"error":"not found","detail":"instance nobody: not found"} 404'
is "  admin: 200, herald-a is draining" \
	"$(body "$ADM" POST /api/v1/cluster/drain '{"instance":"herald-a"}') $(q "$db" "SELECT draining FROM instances WHERE name = 'herald-a'")" \
	'{"draining": true, "instance": "herald-a"} t'
is "POST /api/v1/cluster/undrain: 200, not draining" \
	"$(body "$ADM" POST /api/v1/cluster/undrain '{"instance":"herald-a"}') $(q "$db" "SELECT draining FROM instances WHERE name = 'herald-a'")" \
	'{"draining": false, "instance": "herald-a"} f'

export HERALD_URL="http://$api"
out=$(HERALD_TOKEN=$NOC "$HERALDCTL" -c /nonexistent cluster)
like "heraldctl cluster: the table's header" "$(echo "$out" | head -1)" \
	'^INSTANCE +ALIVE +DRAINING +HEARTBEAT +DEVICES +ONUS +EPOCHS'
like "  herald-a's row: alive, 1 device, 4 ONUs, epoch $epoch" "$out" \
	"herald-a +yes +[0-9.]+ s +1 +4 +$epoch( |$)"
like "  the totals and fenced writes" "$(echo "$out" | tail -3 | tr '\n' '|')" \
	'^devices 2: held [12], unowned [01]\|fenced writes 1 \(1 entries\), last .*\|last move '
is "  --json is the API's" "$(HERALD_TOKEN=$NOC "$HERALDCTL" -c /nonexistent cluster --json | jq -c '.totals.devices')" 2
is "heraldctl cluster drain herald-a" "$(HERALD_TOKEN=$ADM "$HERALDCTL" -c /nonexistent cluster drain herald-a) $(q "$db" "SELECT draining FROM instances WHERE name = 'herald-a'")" \
	"herald-a: draining; its devices move to the other instances at its next lease round t"
like "  shown as draining" "$(HERALD_TOKEN=$NOC "$HERALDCTL" -c /nonexistent cluster)" 'herald-a +yes +yes '
is "heraldctl cluster undrain herald-a" "$(HERALD_TOKEN=$ADM "$HERALDCTL" -c /nonexistent cluster undrain herald-a) $(q "$db" "SELECT draining FROM instances WHERE name = 'herald-a'")" \
	"herald-a: no longer draining f"
HERALD_TOKEN=$ADM "$HERALDCTL" -c /nonexistent cluster drain nobody >"$TEST_TMP/out" 2>&1
is "  an unknown instance: exit 1, the API's reason" "$? $(cat "$TEST_TMP/out")" \
	"1 heraldctl: 404 not found: instance nobody: not found"

# The same view of active incidents: herald-a writes an outage on olt-a.
lookup() { body "$CS" GET "/api/v1/lookup?account=acct101" | jq -c "$1"; }
is "herald-b's lookup: no outage on acct101 yet" "$(lookup '.accounts[0].in_outage')" false
curl -s -N -H "Authorization: Bearer $NOC" "http://$api/api/v1/stream" >"$TEST_TMP/stream" &
TEST_PIDS="$TEST_PIDS $!"
wait_for 5 grep -q '^event: hello' "$TEST_TMP/stream"
out=$(psql -X -q -At -d "$db" -c "LISTEN api_incidents" -c "
SELECT stored, fenced FROM rules_write_incidents(jsonb_build_array(jsonb_build_object(
	'uid', '1:p0/1/3@1', 'scope_key', '1:p0/1/3', 'scope', 'port', 'device_id', 1,
	'epoch', $epoch, 'frame', 0, 'slot', 1, 'port', 3, 'state', 'confirmed',
	'cause', 'fibre_cut', 'title', 'Fibre cut: olt-a 0/1/3',
	'opened_at', now() - interval '2 min', 'confirmed_at', now() - interval '1 min',
	'accounts', (SELECT jsonb_agg(id ORDER BY id) FROM subscribers WHERE onu_id < 200))), 'herald-a')" 2>&1)
inc=$(q "$db" "SELECT id FROM incidents WHERE uid = '1:p0/1/3@1'")
like "herald-a's write is stored, and the trigger names the incident" "$(echo "$out" | tr -s '\n' ' ')" \
	"^1\|0 .*notification \"api_incidents\" with payload \"$inc\""
t0=$(date +%s.%N)
ok "  herald-b's lookup shows it within a second" wait_for 1 bash -c \
	"curl -s -H 'Authorization: Bearer $CS' 'http://$api/api/v1/lookup?account=acct101' | grep -q '\"in_outage\":true'"
diag "shown after $(echo "$(date +%s.%N) - $t0" | bc) s"
is "  with its id, cause, scope and count" \
	"$(lookup '.accounts[0].incidents[0] | [.id, .state, .cause, .scope, .affected_accounts]')" \
	"[$inc,\"confirmed\",\"fibre_cut\",\"port\",4]"
ok "  and on herald-b's stream" wait_for 1 grep -q "\"uid\":\"1:p0/1/3@1\",\"id\":$inc,\"state\":\"confirmed\"" "$TEST_TMP/stream"
q "$db" "SELECT stored FROM rules_write_incidents(jsonb_build_array(jsonb_build_object(
	'uid', '1:p0/1/3@1', 'scope_key', '1:p0/1/3', 'scope', 'port', 'device_id', 1,
	'epoch', $epoch, 'state', 'resolved', 'resolved_at', now(),
	'opened_at', now() - interval '2 min')), 'herald-a')" >/dev/null
ok "its end: herald-b's lookup has no outage within a second" wait_for 1 bash -c \
	"curl -s -H 'Authorization: Bearer $CS' 'http://$api/api/v1/lookup?account=acct101' | grep -q '\"in_outage\":false'"
ok "  and the stream says resolved" wait_for 1 grep -q "\"uid\":\"1:p0/1/3@1\",\"id\":$inc,\"state\":\"resolved\"" "$TEST_TMP/stream"
# olt-b is herald-b's: its engine is the truth there. A row written behind
# its back (a standalone writer: fenced, since herald-b holds the lease) is
# not added from the database.
q "$db" "SELECT stored FROM rules_write_incidents(jsonb_build_array(jsonb_build_object(
	'uid', '2:p0/1/3@1', 'scope_key', '2:p0/1/3', 'scope', 'port', 'device_id', 2,
	'epoch', 0, 'frame', 0, 'slot', 1, 'port', 3, 'state', 'confirmed',
	'cause', 'fibre_cut', 'title', 'Fibre cut: olt-b 0/1/3',
	'opened_at', now(), 'confirmed_at', now(),
	'accounts', (SELECT jsonb_agg(id) FROM subscribers WHERE onu_id > 200))), NULL)" >/dev/null
sleep 0.5
is "an incident on a device herald-b holds is not added from the database" \
	"$(body "$CS" GET "/api/v1/lookup?account=acct201" | jq -c '.accounts[0].in_outage')" false
curl -s "http://$api/metrics" >"$TEST_TMP/metrics"
like "/metrics: the incidents kept for the cluster, the NOTIFYs and reads" \
	"$(grep '^herald_api_cluster' "$TEST_TMP/metrics" | tr '\n' ' ')" \
	'^herald_api_cluster_incidents [01] herald_api_cluster_notifies_total [1-9][0-9]* herald_api_cluster_reads_total\{what="ids"\} [1-9][0-9]* herald_api_cluster_reads_total\{what="all"\} [1-9]'
if command -v promtool >/dev/null; then
	is "  promtool check metrics finds nothing wrong" \
		"$(promtool check metrics <"$TEST_TMP/metrics" 2>&1)" ""
else
	pass "# SKIP promtool (Debian prometheus) is not installed"
fi
ok "herald-b is still running" kill -0 "$HERALDD_PID"
