#!/bin/bash
# 40-rules-sql: the functions heraldd's rules glue calls (schema/040_rules.sql),
# driven with psql: every write sent twice must leave what one left; two
# opens of one scope make one incident; a raise and its clear in one batch
# make one cleared row; an alarm of a deleted device is skipped, not fatal;
# accounts are counted and evidence linked; the CHECKs hold.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
plan 33

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }

# One OLT (id 1) with PON 0/1/3: ONUs 1..4, each with one subscriber
# (ids 101..104); a second device (id 2) that will be deleted.
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr) VALUES
	(1, 'olt1', 'olt', 'huawei', '127.0.0.11'),
	(2, 'olt2', 'olt', 'huawei', '127.0.0.12');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO splitters (id, port_id, name) VALUES (25, 20, 'S1');
INSERT INTO onus (id, port_id, onu_id, splitter_id)
	SELECT 30 + n, 20, n, 25 FROM generate_series(1, 4) n;
INSERT INTO subscribers (id, account, onu_id)
	SELECT 100 + n, 'acct' || n, 30 + n FROM generate_series(1, 4) n;
" >/dev/null

# alarm KEY STATE [EXTRA-JSON]: one alarm object of device 1.
alarm() {
	local key=$1 st=$2 extra=${3:-}
	local kind=$(echo "$key" | cut -d: -f2)
	local onu=$(echo "$key" | cut -d: -f3 | cut -d/ -f4)
	echo "{\"key\":\"$key\",\"device_id\":1,\"kind\":\"$kind\",\"frame\":0,\"slot\":1,\"port\":3,\"onu\":${onu:-null},\"line\":null,\"state\":\"$st\",\"source\":\"trap\",\"cause\":null,\"raise_count\":1,\"first_raised_at\":\"2026-01-01T00:00:00.000001Z\",\"last_raised_at\":\"2026-01-01T00:00:00.000001Z\",\"cleared_at\":null,\"changed_at\":\"2026-01-01T00:00:00.000001Z\",\"flapping\":false,\"affected_onus\":null,\"dying_gasp_onus\":null,\"incident\":null$extra}"
}
wa() { q "$db" "SELECT rules_write_alarms('$1'::jsonb)"; }
wi() { q "$db" "SELECT rules_write_incident('$1'::jsonb)"; }
rows() { q "$db" "SELECT count(*) FROM alarms WHERE $1"; }

# 1. Raised alarms, sent twice (the answer was lost): one open row each.
b="[$(alarm 1:onu.los:0/1/3/1 raised),$(alarm 1:onu.los:0/1/3/2 raised),$(alarm 1:pon.los:0/1/3 raised)]"
is "a batch of three raised alarms stores three" "$(wa "$b")" 3
is "sent again, it stores the same three" "$(wa "$b")" 3
is "one open row per key" "$(rows "state = 'raised'")" 3

# A repeat updates the open row; an older copy sent late does not undo it.
rep=$(alarm 1:onu.los:0/1/3/1 raised ',"x":0' | sed 's/"raise_count":1/"raise_count":3/; s/"last_raised_at":"[^"]*"/"last_raised_at":"2026-01-01T00:00:05Z"/; s/"changed_at":"[^"]*"/"changed_at":"2026-01-01T00:00:05Z"/')
wa "[$rep]" >/dev/null
wa "[$(alarm 1:onu.los:0/1/3/1 raised)]" >/dev/null
is "a repeat counts on the open row; a stale re-send does not undo it" \
	"$(q "$db" "SELECT raise_count, last_raised_at = '2026-01-01T00:00:05Z' FROM alarms WHERE reduction_key = '1:onu.los:0/1/3/1'")" "3|t"

# 2. Raised and cleared in one batch: one cleared row, also when re-sent.
clr='"cleared_at":"2026-01-01T00:00:02Z"'
c=$(alarm 1:onu.los:0/1/3/4 cleared | sed "s/\"cleared_at\":null/$clr/; s/\"changed_at\":\"[^\"]*\"/\"changed_at\":\"2026-01-01T00:00:02Z\"/")
b2="[$(alarm 1:onu.los:0/1/3/4 raised),$c]"
wa "$b2" >/dev/null
wa "$b2" >/dev/null
is "raise + clear in one batch, sent twice: one cleared row, none open" \
	"$(q "$db" "SELECT count(*) FILTER (WHERE state = 'cleared'), count(*) FILTER (WHERE state = 'raised') FROM alarms WHERE reduction_key = '1:onu.los:0/1/3/4'")" "1|0"
# A clear that arrives alone (the raise is long stored) closes the open row.
c3=$(alarm 1:onu.los:0/1/3/2 cleared | sed "s/\"cleared_at\":null/$clr/; s/\"changed_at\":\"[^\"]*\"/\"changed_at\":\"2026-01-01T00:00:02Z\"/")
wa "[$c3]" >/dev/null
wa "[$c3]" >/dev/null
is "a clear closes the open row, and sent twice makes no second row" \
	"$(q "$db" "SELECT string_agg(state, ',') FROM alarms WHERE reduction_key = '1:onu.los:0/1/3/2'")" "cleared"
# The raise of that life sent again after its clear: nothing reopens.
wa "[$(alarm 1:onu.los:0/1/3/2 raised)]" >/dev/null
is "a raise re-sent after its clear does not reopen the alarm" \
	"$(rows "reduction_key = '1:onu.los:0/1/3/2' AND state = 'raised'")" 0
# A new life of the same key (raised again later) opens a new row.
new=$(alarm 1:onu.los:0/1/3/2 raised | sed 's/2026-01-01T00:00:00.000001Z/2026-01-01T00:10:00Z/g')
wa "[$new]" >/dev/null
is "the same key raised again later opens a second life" \
	"$(q "$db" "SELECT string_agg(state, ',' ORDER BY first_raised_at) FROM alarms WHERE reduction_key = '1:onu.los:0/1/3/2'")" "cleared,raised"

# 3. A device deleted meanwhile: its alarm is skipped, the batch lands.
dead=$(alarm 1:onu.los:0/1/3/3 raised | sed 's/"device_id":1/"device_id":2/; s/"key":"1:/"key":"2:/')
q "$db" "DELETE FROM devices WHERE id = 2" >/dev/null
is "a batch with an alarm of a deleted device stores the others" \
	"$(wa "[$dead,$(alarm 1:onu.los:0/1/3/3 raised)]")" 1
is "the deleted device's alarm is not stored" "$(rows "device_id = 2")" 0
is "its neighbour in the batch is" "$(rows "reduction_key = '1:onu.los:0/1/3/3'")" 1

# 4. An incident: accounts counted, evidence linked, idempotent.
inc() {
	local uid=$1 st=$2 accts=$3 extra=${4:-}
	echo "{\"uid\":\"$uid\",\"scope_key\":\"1:port:0/1/3\",\"scope\":\"port\",\"device_id\":1,\"frame\":0,\"slot\":1,\"port\":3,\"onu\":null,\"splitter\":null,\"line\":null,\"individual\":false,\"state\":\"$st\",\"cause\":\"fibre_cut\",\"planned\":false,\"title\":\"PON 0/1/3 down\",\"root_alarm\":\"1:pon.los:0/1/3\",\"opened_at\":\"2026-01-01T00:00:01Z\",\"confirmed_at\":null,\"resolved_at\":null,\"affected_accounts\":99,\"affected_onus\":4,\"subscriber_minutes\":0,\"merged_into\":null,\"accounts\":[$accts],\"evidence\":[\"1:pon.los:0/1/3\",\"1:onu.los:0/1/3/1\",\"1:onu.los:0/1/3/3\"]$extra}"
}
id1=$(wi "$(inc '1:port:0/1/3@1' suspected 101,102)")
id1b=$(wi "$(inc '1:port:0/1/3@1' suspected 101,102)")
is "the same incident written twice is one row" "$id1b" "$id1"
is "its accounts are counted from incident_accounts (not the 99 sent)" \
	"$(q "$db" "SELECT affected_accounts, (SELECT count(*) FROM incident_accounts WHERE incident_id = $id1) FROM incidents WHERE id = $id1")" "2|2"
is "the open evidence alarms point at it" \
	"$(rows "incident_id = $id1 AND state = 'raised'")" 3
is "its board, port and kind are filled in" \
	"$(q "$db" "SELECT board_id, port_id, kind, scope FROM incidents WHERE id = $id1")" "10|20|pon.los|port"

# More accounts later, one of them deleted meanwhile: skipped, counted right.
q "$db" "DELETE FROM subscribers WHERE id = 104" >/dev/null
wi "$(inc '1:port:0/1/3@1' suspected 101,102,103,104)" >/dev/null
is "accounts are added, a deleted subscriber skipped, the count kept" \
	"$(q "$db" "SELECT affected_accounts, (SELECT count(*) FROM incident_accounts WHERE incident_id = $id1) FROM incidents WHERE id = $id1")" "3|3"

# An alarm written after its incident names it by uid.
wa "[$(alarm 1:onu.los:0/1/3/9 raised ',"x":0' | sed 's/"incident":null/"incident":"1:port:0\/1\/3@1"/')]" >/dev/null
is "an alarm naming the incident's uid is linked" \
	"$(q "$db" "SELECT incident_id FROM alarms WHERE reduction_key = '1:onu.los:0/1/3/9'")" "$id1"

# 5. Another instance (or a restart that lost the answer) opens the same
# scope under another uid: the open row is adopted, not doubled.
id2=$(wi "$(inc '1:port:0/1/3@2' suspected 101)")
is "a second open of the same scope returns the open incident" "$id2" "$id1"
is "there is one open incident for the scope" \
	"$(q "$db" "SELECT count(*) FROM incidents WHERE scope_key = '1:port:0/1/3'")" 1
is "it keeps its uid" "$(q "$db" "SELECT uid FROM incidents WHERE id = $id1")" "1:port:0/1/3@1"

# Confirmed, then resolved under the adopted uid: still the one row.
conf=',"x":0'
wi "$(inc '1:port:0/1/3@2' confirmed 101 | sed 's/"confirmed_at":null/"confirmed_at":"2026-01-01T00:01:30Z"/')" >/dev/null
wi "$(inc '1:port:0/1/3@2' resolved 101 | sed 's/"confirmed_at":null/"confirmed_at":"2026-01-01T00:01:30Z"/; s/"resolved_at":null/"resolved_at":"2026-01-01T00:05:00Z"/')" >/dev/null
is "confirmed and resolved under the adopted uid: one row, resolved" \
	"$(q "$db" "SELECT count(*), min(state), min(resolved_at) = '2026-01-01T00:05:00Z' FROM incidents WHERE scope_key = '1:port:0/1/3'")" "1|resolved|t"
# A late re-send of the suspected state does not reopen it.
wi "$(inc '1:port:0/1/3@1' suspected 101)" >/dev/null
is "a stale suspected write does not reopen a resolved incident" \
	"$(q "$db" "SELECT state FROM incidents WHERE id = $id1")" "resolved"

# The scope may open again once the first is over: a new row.
id3=$(wi "$(inc '1:port:0/1/3@3' suspected 101 | sed 's/2026-01-01T00:00:01Z/2026-01-01T01:00:00Z/')")
is "after resolution the scope can open again" \
	"$(q "$db" "SELECT $id3 <> $id1, count(*) FROM incidents WHERE scope_key = '1:port:0/1/3'")" "t|2"

# 6. rules_load_open: the open incidents with accounts, alarms with uid.
is "rules_load_open gives the open incident with its accounts" \
	"$(q "$db" "SELECT string_agg((x->>'uid') || ' ' || (x->'accounts')::text, ';') FROM jsonb_array_elements(rules_load_open()->'incidents') x")" \
	"1:port:0/1/3@3 [101]"
is "and the open alarms" \
	"$(q "$db" "SELECT jsonb_array_length(rules_load_open()->'alarms')")" \
	"$(rows "state = 'raised'")"

# 7. The CHECKs: states, ended times, maintenance windows.
out=$(q "$db" "INSERT INTO incidents (uid, scope_key, kind, scope, title, state) VALUES ('x@1', 'x', 'k', 'port', 't', 'transient')" 2>&1)
like "a transient incident needs its resolved_at" "$out" "incidents_ended_check"
out=$(q "$db" "INSERT INTO incidents (uid, scope_key, kind, scope, title, state) VALUES ('x@2', 'x', 'k', 'port', 't', 'closing')" 2>&1)
like "an unknown state is refused" "$out" "incidents_state_check"
out=$(q "$db" "INSERT INTO maintenance_windows (device_id, starts_at, ends_at, reason) VALUES (1, now(), now() - interval '1 hour', 'x')" 2>&1)
like "a window must end after it starts" "$out" "maintenance_windows_check"
q "$db" "INSERT INTO maintenance_windows (device_id, frame, slot, starts_at, ends_at, reason) VALUES (1, 0, 1, now(), now() + interval '1 hour', 'board swap')" >/dev/null
is "rules_load_windows gives the running window" \
	"$(q "$db" "SELECT jsonb_array_length(rules_load_windows()), rules_load_windows()->0->>'slot'")" "1|1"

# NOTIFY maintenance_changed on every change, for heraldd's LISTEN.
out=$(psql -X -q -d "$db" -c "LISTEN maintenance_changed" \
	-c "UPDATE maintenance_windows SET reason = 'board swap 2'" 2>&1)
like "a change to maintenance_windows sends NOTIFY maintenance_changed" \
	"$out" 'notification "maintenance_changed"'

# 8. Two instances opening one scope at the same moment: the second waits
# on the first's uncommitted row, then adopts it.
s='1:board:0/1'
bi() { inc "$1" suspected 101 | sed "s|1:port:0/1/3\"|$s\"|; s/\"scope\":\"port\"/\"scope\":\"board\"/"; }
psql -X -q -At -d "$db" -c "BEGIN" -c "SELECT rules_write_incident('$(bi "$s@1")')" \
	-c "SELECT pg_sleep(1)" -c "COMMIT" >"$TEST_TMP/a.out" 2>&1 &
pa=$!
sleep 0.3
b_id=$(wi "$(bi "$s@2")")
wait $pa
a_id=$(grep -E '^[0-9]+$' "$TEST_TMP/a.out" | head -1)
is "two concurrent opens of one scope get the same incident" "$b_id" "$a_id"
is "and make one row" "$(q "$db" "SELECT count(*) FROM incidents WHERE scope_key = '$s'")" 1

# 9. An alarm that reaches the database before its incident is linked when
# the incident arrives.
early=$(alarm 1:onu.los:0/1/3/7 raised | sed 's/"incident":null/"incident":"1:onu:0\/1\/3\/7@5"/')
wa "[$early]" >/dev/null
i7=$(wi "$(inc '1:onu:0/1/3/7@5' suspected 101 | sed 's|"scope_key":"1:port:0/1/3"|"scope_key":"1:onu:0/1/3/7"|; s/"scope":"port"/"scope":"onu"/; s/"evidence":\[[^]]*\]/"evidence":[]/')")
is "an alarm written before its incident is linked to it" \
	"$(q "$db" "SELECT incident_id FROM alarms WHERE reduction_key = '1:onu.los:0/1/3/7'")" "$i7"
