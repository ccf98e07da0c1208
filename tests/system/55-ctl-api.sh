#!/bin/bash
# 55-ctl-api: heraldctl's commands for people at a terminal (issue 10).
# Part 1, PostgreSQL only: "token add" prints a token once and the database
# keeps only its SHA-256; "token list" never shows a token or a hash;
# "token revoke". Part 2, no server needed: the client's own errors (no
# token: 77; heraldd not reachable: 69; bad usage: 64) and where the URL
# comes from. Part 3, against a running heraldd: every API command, with
# the rows it made or changed checked in the database.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
command -v curl >/dev/null || skip_all "curl is not installed"
plan 61

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}"
listen=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$TEST_TMP/h.conf")
unset HERALD_URL HERALD_TOKEN

# run CMD...: heraldctl with OUT, ERR and RC set.
run() {
	"$HERALDCTL" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	RC=$?
	OUT=$(cat "$TEST_TMP/out")
	ERR=$(cat "$TEST_TMP/err")
}
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# flat TEXT: lines joined with '~', for a pattern across lines (grep -E
# matches line by line).
flat() { printf '%s' "$1" | tr '\n' '~'; }

# 1. Tokens, on PostgreSQL ------------------------------------------------

run -d "$db" token add zhang.wei --role noc
tok=$OUT
is "token add: exit 0" "$RC" 0
like "  prints hrd_ and 43 base64url characters, alone on stdout" "$tok" \
	'^hrd_[A-Za-z0-9_-]{43}$'
like "  and says on stderr that it cannot be shown again" "$ERR" \
	"cannot be shown again"
is "the database has its SHA-256 (lower-case hex)" \
	"$(q "$db" "SELECT token_sha256 FROM api_tokens WHERE name = 'zhang.wei'")" \
	"$(sha "$tok")"
is "  and not the token anywhere in the row" \
	"$(q "$db" "SELECT count(*) FROM api_tokens t WHERE t::text LIKE '%$tok%'")" 0
is "  role noc, made by the database user" \
	"$(q "$db" "SELECT role, created_by FROM api_tokens WHERE name = 'zhang.wei'")" \
	"noc|postgres"
run -d "$db" token add cs.li --role cs
cstok=$OUT
run -d "$db" token add ops --role admin
admtok=$OUT
is "two more tokens, all different" \
	"$(printf '%s\n' "$tok" "$cstok" "$admtok" | sort -u | grep -c '^hrd_')" 3
run -d "$db" token add x --role root
is "an unknown role: exit 64" "$RC" 64
like "  naming the roles" "$ERR" "not one of noc, cs, admin, gateway"
run -d "$db" token add zhang.wei --role cs
is "a second active token of the same name: exit 1" "$RC" 1
like "  saying to revoke the first" "$ERR" 'already active; revoke it first'

run -d "$db" token list
like "token list: id, name, role, created, by, revoked" "$OUT" \
	'^ID +NAME +ROLE +CREATED +BY +REVOKED'
like "  one line a token" "$OUT" '1 +zhang\.wei +noc +[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} +postgres'
is "  never the token or its hash" \
	"$(printf '%s' "$OUT" | grep -c -e "$tok" -e "$(sha "$tok")" -e "${cstok#hrd_}")" 0

old=$(q "$db" "INSERT INTO api_tokens (name, role, token_sha256) VALUES ('old', 'cs', 'x') RETURNING id" | head -1)
run -d "$db" token revoke old
is "token revoke NAME" "$OUT" "revoked token $old (old)"
is "  sets revoked_at" "$(q "$db" "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE name = 'old'")" t
run -d "$db" token revoke old
is "revoking it again: exit 1" "$RC" 1
like "  no active token" "$ERR" "no active token old"
ops=$(q "$db" "SELECT id FROM api_tokens WHERE name = 'ops'")
run -d "$db" token revoke "$ops"
is "token revoke ID" "$OUT" "revoked token $ops (ops)"
run -d "$db" token add ops --role admin
admtok=$OUT
is "a revoked name may be given a new token" "$RC" 0
like "token list shows when a token was revoked" \
	"$("$HERALDCTL" -d "$db" token list | grep "^$ops ")" \
	"^$ops +ops +admin +[0-9-]+ [0-9:]+ +postgres +[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}\$"

# 2. The client's own errors, no heraldd running ---------------------------

run -c "$TEST_TMP/h.conf" alarms
is "no token configured: exit 77" "$RC" 77
like "  and says how to give one" "$ERR" \
	'^heraldctl: no API token: set HERALD_TOKEN or ctl \{ token = \.\.\. \}'
HERALD_TOKEN=$tok run -c "$TEST_TMP/h.conf" alarms
is "heraldd not running: exit 69" "$RC" 69
like "  naming the URL made from http.listen" "$ERR" \
	"^heraldctl: cannot reach heraldd at http://$listen/api/v1/alarms"
nowhere=$(pg_free_port)
HERALD_URL=http://127.0.0.1:$nowhere HERALD_TOKEN=$tok run -c "$TEST_TMP/h.conf" tickets --overdue
like "HERALD_URL wins over the configuration, query and all" "$ERR" \
	"cannot reach heraldd at http://127.0.0.1:$nowhere/api/v1/tickets\\?overdue=true"
cp "$TEST_TMP/h.conf" "$TEST_TMP/ctl.conf"
printf 'ctl {\n\turl = "http://127.0.0.1:%s/"\n\ttoken = "%s"\n}\n' "$nowhere" "$tok" \
	>>"$TEST_TMP/ctl.conf"
run -c "$TEST_TMP/ctl.conf" incident 7
like "ctl.url and ctl.token from herald.conf" "$ERR" \
	"cannot reach heraldd at http://127.0.0.1:$nowhere/api/v1/incidents/7:"
is "  exit 69" "$RC" 69
HERALD_TOKEN=$tok run -c "$TEST_TMP/h.conf" ticket abc
is "ticket abc: usage, exit 64" "$RC" 64
HERALD_TOKEN=$tok run -c "$TEST_TMP/h.conf" ticket 1 frobnicate
is "ticket 1 frobnicate: exit 64" "$RC" 64
HERALD_TOKEN=$tok run -c "$TEST_TMP/h.conf" complain --phone 13800000001
is "complain without channel, category and text: exit 64" "$RC" 64
like "  saying what is needed" "$ERR" "--channel, --category and --text are needed"

# 3. Against heraldd -------------------------------------------------------
# Everything below needs the API (heraldd's /api/v1 and schema/060_api.sql).

# One OLT with PON 0/1/3: ONUs 1..4, subscribers acct1..acct4 (phones
# 1380000000N, serials HWTC0000000N); a confirmed incident on the port
# (its outage ticket is opened by the tickets trigger) with one alarm.
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr, region) VALUES
	(1, 'OLT-望京-1', 'olt', 'huawei', '127.0.0.11', '朝阳');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id, serial)
	SELECT 30 + n, 20, n, 'HWTC0000000' || n FROM generate_series(1, 4) n;
INSERT INTO subscribers (id, account, onu_id, phones, name)
	SELECT 100 + n, 'acct' || n, 30 + n, ARRAY['1380000000' || n],
	    '张三' || n FROM generate_series(1, 4) n;
INSERT INTO incidents (id, kind, scope, title, device_id, port_id, frame,
	slot, port, state, confirmed_at, cause, affected_accounts)
	VALUES (1, 'pon.los', 'port', '望京 PON 0/1/3 光缆中断', 1, 20, 0, 1, 3,
	'confirmed', now(), 'fibre_cut', 4);
INSERT INTO incident_accounts (incident_id, subscriber_id)
	SELECT 1, id FROM subscribers;
INSERT INTO alarms (device_id, kind, reduction_key, frame, slot, port,
	incident_id) VALUES (1, 'pon.los', '1:pon.los:0/1/3', 0, 1, 3, 1);
" >/dev/null
tk=$(q "$db" "SELECT id FROM tickets WHERE incident_id = 1 AND kind = 'outage'")

start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$listen/healthz")" = 200 ]; }
ok "heraldd is up" wait_for 15 healthy
T=""
export HERALD_TOKEN=$tok

run -c "$TEST_TMP/h.conf" alarms
like "alarms: the raised alarm, device name in Chinese$T" "$(flat "$OUT")" \
	'^ID +LAST +DEVICE +PLACE +KIND +STATE +COUNT +INCIDENT +CAUSE~[0-9]+ +[0-9]{2}-[0-9]{2} [0-9:]{5} +OLT-望京-1 +0/1/3 +pon\.los +raised +1 +1'
run -c "$TEST_TMP/h.conf" --json alarms --kind pon.los
is "alarms --json: the API's list, total 1$T" \
	"$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], d["items"][0]["device"]["name"])' 2>&1)" \
	"1 OLT-望京-1"
run -c "$TEST_TMP/h.conf" alarms --state cleared
is "alarms --state cleared: none$T" "$OUT" "no alarms"
run -c "$TEST_TMP/h.conf" incidents
like "incidents: the confirmed one with its ticket$T" "$OUT" \
	"^1 +[0-9-]+ [0-9:]+ +confirmed +fibre_cut +OLT-望京-1 +port 0/1/3 +4 +#$tk new"
run -c "$TEST_TMP/h.conf" incident 1
like "incident 1: title, ticket and alarms$T" "$(flat "$OUT")" \
	"title +望京 PON 0/1/3 光缆中断.*ticket +#$tk new outage.*alarms \\(1\\):"
run -c "$TEST_TMP/h.conf" incident 1 --accounts
is "incident 1 --accounts: the four accounts$T" \
	"$(printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" \
	"acct1 acct2 acct3 acct4 "
run -c "$TEST_TMP/h.conf" incident 999
# (The API's detail, not heraldd's "no such path" one, which names the path.)
is "incident 999: heraldctl: 404 not found: DETAIL, exit 1$T" \
	"$RC $(printf '%s' "$ERR" | grep -c '^heraldctl: 404 not found: [^/]')" "1 1"

looked_up() { "$HERALDCTL" -c "$TEST_TMP/h.conf" lookup "$1" >"$TEST_TMP/lk" 2>&1; }
ok "lookup by phone (once the inventory is loaded)$T" wait_for 10 looked_up 13800000002
like "  the block: account, phones, IN OUTAGE, cause, ticket$T" \
	"$(flat "$(cat "$TEST_TMP/lk")")" \
	"^account +acct2.*phones +13800000002.*status +IN OUTAGE.*incident +#1 fibre_cut.*ticket +#$tk new, ETA not set"
run -c "$TEST_TMP/h.conf" lookup HWTC00000003
like "lookup by ONU serial$T" "$OUT" "^account +acct3"
run -c "$TEST_TMP/h.conf" lookup --account 13800000004
is "lookup --account forces the parameter: no such account, exit 1$T" \
	"$RC $ERR" "1 heraldctl: 404 not found: no account matches"

run -c "$TEST_TMP/h.conf" tickets
like "tickets: the outage ticket$T" "$OUT" "^$tk +[0-9] +outage +new "
run -c "$TEST_TMP/h.conf" ticket "$tk" ack --note "看到了"
is "ticket ID ack: exit 0$T" "$RC" 0
is "  the ticket is acknowledged, by the token's name, with the note$T" \
	"$(q "$db" "SELECT t.state, h.actor, h.role, h.note FROM tickets t JOIN ticket_history h ON h.ticket_id = t.id WHERE t.id = $tk ORDER BY h.id DESC LIMIT 1")" \
	"acknowledged|zhang.wei|noc|看到了"
run -c "$TEST_TMP/h.conf" ticket "$tk" assign li.na --team field-3
is "ticket ID assign WHO --team T$T" \
	"$(q "$db" "SELECT assignee, team FROM tickets WHERE id = $tk")" "li.na|field-3"
run -c "$TEST_TMP/h.conf" ticket "$tk" eta +2h
is "ticket ID eta +2h: the incident's ETA too$T" \
	"$(q "$db" "SELECT estimated_restore_at BETWEEN now() + interval '110 minutes' AND now() + interval '130 minutes' FROM incidents WHERE id = 1")" t
run -c "$TEST_TMP/h.conf" ticket "$tk"
like "ticket ID: details with history$T" "$(flat "$OUT")" \
	"assignee +li\\.na.*history:.*new +acknowledged +看到了"
run -c "$TEST_TMP/h.conf" ticket "$tk" close
is "a step the workflow does not have: heraldctl: 409 conflict, exit 1$T" \
	"$RC $(printf '%s' "$ERR" | grep -c '^heraldctl: 409 conflict: ')" "1 1"
HERALD_TOKEN=$cstok run -c "$TEST_TMP/h.conf" ticket "$tk" resolve
is "customer service may not move an outage ticket: exit 77 (403)$T" "$RC" 77

HERALD_TOKEN=$cstok run -c "$TEST_TMP/h.conf" complain --account acct2 \
	--channel hotline --category network --sub no_pages --text "家里没网" \
	--name "张先生"
like "complain: a complaint ticket, linked to the incident$T" "$(flat "$OUT")" \
	"^complaint [0-9]+: ticket [0-9]+ opened.*linked to incident 1"
is "  the complaint is in the database$T" \
	"$(q "$db" "SELECT incident_id, channel, content FROM complaints WHERE subscriber_id = 102")" \
	"1|hotline|家里没网"

run -c "$TEST_TMP/h.conf" maintenance add --device OLT-望京-1 --frame 0 \
	--slot 1 --port 3 --from +1h --to +3h --reason "换板"
is "maintenance add$T" \
	"$(q "$db" "SELECT count(*) FROM maintenance_windows WHERE reason = '换板' AND starts_at > now()")" 1
run -c "$TEST_TMP/h.conf" maintenance list
like "maintenance list$T" "$OUT" "OLT-望京-1 +0/1/3 +.*换板"
mw=$(q "$db" "SELECT id FROM maintenance_windows WHERE reason = '换板'")
run -c "$TEST_TMP/h.conf" maintenance rm "${mw:-0}"
is "maintenance rm ID$T" \
	"$OUT $(q "$db" "SELECT count(*) FROM maintenance_windows WHERE reason = '换板'")" \
	"deleted maintenance window $mw 0"

HERALD_TOKEN=hrd_not_a_token run -c "$TEST_TMP/h.conf" tickets
is "a wrong token: exit 77 (401)$T" "$RC" 77
"$HERALDCTL" -d "$db" token revoke zhang.wei >/dev/null
revoked() {
	"$HERALDCTL" -c "$TEST_TMP/h.conf" tickets >/dev/null 2>&1
	[ $? = 77 ]
}
ok "a revoked token is refused once heraldd hears of it$T" wait_for 10 revoked
unset HERALD_TOKEN
cp "$TEST_TMP/h.conf" "$TEST_TMP/tok.conf"
printf 'ctl {\n\ttoken = "%s"\n}\n' "$admtok" >>"$TEST_TMP/tok.conf"
run -c "$TEST_TMP/tok.conf" tickets --all
is "ctl.token from herald.conf$T" "$RC" 0
ok "heraldd is still running" alive "$HERALDD_PID"
