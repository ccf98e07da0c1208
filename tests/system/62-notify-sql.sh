#!/bin/bash
# 62-notify-sql: the outbox in SQL (schema/070_notify.sql), driven as heraldd
# drives it: incidents through rules_write_incident(jsonb), senders through
# notify_claim / notify_result / notify_recover / notify_dlr. Outage notices
# on confirmation (suppressed with their reason), none for suspected,
# planned, individual or transient incidents, accounts added later, a port
# incident merged into its board's texting nobody twice, restoration only
# to those told, exactly once under re-sends and concurrent writers and
# senders (SKIP LOCKED), quiet hours, validity, the sender's outcomes,
# recovery after the grace, delivery reports that never move backwards,
# update and planned notices, pre_notified on complaints, the API's counts,
# the claim order, and a 20,000-account storm.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
command -v jq >/dev/null || skip_all "jq is not installed"
plan 93

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }

# One OLT: PON 0/1/3 (port 20), 0/1/4 (21), 0/2/1 (22), 0/2/2 (23), 0/3/1
# (24). Subscribers get an ONU of their own (ONU id = subscriber id).
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr, region, site) VALUES
	(1, 'olt1', 'olt', 'huawei', '127.0.0.11', 'east', 'HQ');
INSERT INTO boards (id, device_id, frame, slot) VALUES
	(10, 1, 0, 1), (11, 1, 0, 2), (12, 1, 0, 3);
INSERT INTO ports (id, board_id, port, kind) VALUES
	(20, 10, 3, 'pon'), (21, 10, 4, 'pon'), (22, 11, 1, 'pon'),
	(23, 11, 2, 'pon'), (24, 12, 1, 'pon');
" >/dev/null
# sub ID PORT PHONES [COLUMN=VALUE ...]
sub() {
	local id=$1 port=$2 phones=$3 set=""; shift 3
	[ $# -gt 0 ] && set="UPDATE subscribers SET $* WHERE id = $id;"
	q "$db" "INSERT INTO onus (id, port_id, onu_id) VALUES ($id, $port, $id);
		INSERT INTO subscribers (id, account, onu_id, phones)
		VALUES ($id, 'acct$id', $id, '$phones'); $set" >/dev/null
}
for i in 101 107 108; do sub $i 20 "{13800000$i}"; done
q "$db" "UPDATE subscribers SET language = 'en' WHERE id = 107" >/dev/null
sub 102 20 "{075500102,13900000102}"
sub 103 20 "{13800000103}" "sms_opt_out = true"
sub 104 20 "{13800000104}" "contact = 'voice'"
sub 105 20 "{13800000105}" "contact = 'none'"
sub 106 20 "{075500106}"
for i in 109 110; do sub $i 21 "{13800000$i}"; done
for i in 201 202 203 204 205 301 302 303 501 502 601 602 603 604 605 606 \
	701 702 703 704 705 706 707 708 709 710 801 802 803 901 902 903; do
	sub $i 24 "{13800000$i}"
done
for i in 401 402; do sub $i 22 "{13800000$i}"; done
sub 403 22 "{13800000403}" "sms_opt_out = true"
sub 404 23 "{13800000404}"

# inc UID STATE ACCOUNTS [EXTRA]: the JSON heraldd sends for an incident
# (SCOPE, MERGED, PLANNED, INDIV from the environment).
inc() {
	local conf=null res=null
	case $2 in confirmed|resolved|merged) conf='"2026-12-01T00:01:00Z"' ;; esac
	case $2 in resolved|merged|transient) res='"2026-12-01T01:00:00Z"' ;; esac
	echo "{\"uid\":\"$1\",\"scope_key\":\"1:${SCOPE:-port}:$1\",\"scope\":\"${SCOPE:-port}\",\"device_id\":1,\"frame\":0,\"slot\":1,\"port\":3,\"state\":\"$2\",\"cause\":\"fibre_cut\",\"title\":\"PON down $1\",\"opened_at\":\"2026-12-01T00:00:01Z\",\"confirmed_at\":$conf,\"resolved_at\":$res,\"merged_into\":${MERGED:-null},\"planned\":${PLANNED:-false},\"individual\":${INDIV:-false},\"accounts\":[$3]${4:-}}"
}
wi() { q "$db" "SELECT rules_write_incident('$1'::jsonb)"; }
# notes INCIDENT KIND: "subscriber:state[:reason]" of its notices, by subscriber
notes() {
	q "$db" "SELECT coalesce(string_agg(subscriber_id || ':' || state || coalesce(':' || reason, ''), ',' ORDER BY subscriber_id, seq, id), '-') FROM notifications WHERE incident_id = $1 AND kind = '$2'"
}
nid() { q "$db" "SELECT id FROM notifications WHERE subscriber_id = $1 AND kind = '${2:-outage}' ORDER BY id DESC LIMIT 1"; }
nst() { q "$db" "SELECT state FROM notifications WHERE id = $1"; }
claim() { q "$db" "SELECT notify_claim('$1', $2)"; }
ids() { printf '%s' "$1" | jq -r -c '[.[].id] | join(",")'; }
subs() { printf '%s' "$1" | jq -r -c '[.[].subscriber_id] | join(",")'; }
result() { q "$db" "SELECT notify_result($1, '$2', 'kannel', 'ref$1', ${3:-NULL}, ${4:-NULL}, 'body $1', 1)" >/dev/null; }
token() { q "$db" "SELECT dlr_token FROM notifications WHERE id = $1"; }
dlr() { q "$db" "SELECT notify_dlr('$1', $2, 'report $2')"; }
# Scenarios share the queue: park what an earlier one left queued.
park() {
	q "$db" "UPDATE notifications SET state = 'cancelled', reason = 'test: parked' WHERE state IN ('queued', 'held')" >/dev/null
}
err() { q "$db" "$1" 2>&1 >/dev/null | grep -o 'ERROR:.*'; }

# 0. Settings -----------------------------------------------------------------

is "notify_settings defaults: 4 h validity, quiet 22:00-08:00 Shanghai, no ETA updates, 2 min grace" \
	"$(q "$db" "SELECT validity, quiet_start, quiet_end, tz, update_on_eta, grace FROM notify_settings")" \
	"04:00:00|22:00:00|08:00:00|Asia/Shanghai|f|00:02:00"
# Quiet hours off until section 6: the test runs at any time of day.
q "$db" "SELECT notify_configure('{\"quiet_start\":null,\"quiet_end\":null,\"validity_seconds\":14400,\"grace_seconds\":120}')" >/dev/null
is "notify_configure: null quiet hours switch them off, other keys kept" \
	"$(q "$db" "SELECT validity, quiet_start IS NULL, quiet_end IS NULL, tz, grace FROM notify_settings")" \
	"04:00:00|t|t|Asia/Shanghai|00:02:00"
like "an unknown time zone is refused (22023)" \
	"$(err "SELECT notify_configure('{\"tz\":\"Mars/Olympus\"}')")" "notify_configure: .*Mars/Olympus"
like "a bad time is refused" "$(err "SELECT notify_configure('{\"quiet_start\":\"25:99\"}')")" "notify_configure:"

# 1. Confirmation, suppression, re-sends, added accounts ----------------------

p=$(wi "$(inc p@A suspected 101,102,103,104,105,106,107)")
is "a suspected incident sends nothing" "$(notes $p outage)" "-"
wi "$(inc p@A suspected 101,102,103,104,105,106,107)" >/dev/null
is "nor does its re-send" "$(notes $p outage)" "-"
wi "$(inc p@A confirmed 101,102,103,104,105,106,107)" >/dev/null
is "confirmed: one outage notice per account, suppressed with the reason" \
	"$(notes $p outage)" \
	"101:queued,102:queued,103:suppressed:opted out,104:suppressed:contact by voice,105:suppressed:no contact,106:suppressed:no mobile number,107:queued"
is "the phone is the first mobile (the landline before it skipped), '' without one" \
	"$(q "$db" "SELECT string_agg(subscriber_id || '=' || phone, ',' ORDER BY subscriber_id) FROM notifications WHERE incident_id = $p AND subscriber_id IN (101, 102, 106)")" \
	"101=13800000101,102=13900000102,106="
is "priority 1, the subscriber's language, valid for the configured 4 hours, no body yet" \
	"$(q "$db" "SELECT string_agg(DISTINCT priority || '/' || (abs(extract(epoch FROM valid_until - now() - interval '4 hours')) < 60) || '/' || (body IS NULL), ','), string_agg(language, '' ORDER BY subscriber_id) FROM notifications WHERE incident_id = $p")" \
	"1/true/true|zhzhzhzhzhzhen"
wi "$(inc p@A confirmed 101,102,103,104,105,106,107)" >/dev/null
is "the confirmation sent again adds nothing" \
	"$(q "$db" "SELECT count(*) FROM notifications WHERE incident_id = $p")" 7
wi "$(inc p@A confirmed 101,102,103,104,105,106,107,108)" >/dev/null
is "an account added to the confirmed incident gets its notice" \
	"$(q "$db" "SELECT count(*), string_agg(state, ',') FILTER (WHERE subscriber_id = 108) FROM notifications WHERE incident_id = $p")" "8|queued"

s1=$(PLANNED=true wi "$(PLANNED=true inc s@1 confirmed 801)")
s2=$(wi "$(INDIV=true inc s@2 confirmed 802)")
s3=$(wi "$(inc s@3 suspected 803)")
wi "$(inc s@3 transient 803)" >/dev/null
is "planned, individual and transient incidents send nothing" \
	"$(notes $s1 outage) $(notes $s2 outage) $(notes $s3 outage)" "- - -"

# 2. Claims, and a port incident merged into its board's -------------------

out=$(claim a 10)
is "the claim returns the queued ones, in priority then id order" \
	"$(subs "$out")" "101,102,107,108"
is "a claimed element has the spec's keys" \
	"$(printf '%s' "$out" | jq -r -c '.[0] | keys | join(",")')" \
	"account,attempts,dlr_token,id,incident,incident_id,kind,language,phone,subscriber_id,window"
is "its incident: cause, title, scope, times as epoch seconds, region, site, device, the outage ticket" \
	"$(printf '%s' "$out" | jq -r -c '.[0] | [.kind, .phone, .account, .attempts, (.dlr_token | test("^[0-9a-f]{32}$")), .incident.cause, .incident.title, .incident.scope, .incident.opened_at, .incident.eta, .incident.region, .incident.site, .incident.device, (.incident.ticket_id | type), .window] | join(",")')" \
	"outage,13800000101,acct101,1,true,fibre_cut,PON down p@A,port,1796083201,,east,HQ,olt1,number,"
is "claimed rows are sending, by the claimant" \
	"$(q "$db" "SELECT string_agg(DISTINCT state || '/' || claimed_by || '/' || attempts, ',') FROM notifications WHERE incident_id = $p AND state <> 'suppressed'")" \
	"sending/a/1"
is "nothing left to claim" "$(claim a 10)" "[]"
result "$(nid 101)" sent
dlr "$(token "$(nid 102)")" 1 >/dev/null
result "$(nid 107)" retry "'timeout'" 0

b=$(SCOPE=board wi "$(SCOPE=board inc b@A suspected 101,102,103,104,105,106,107,108,109,110)")
MERGED='"b@A"' wi "$(MERGED='"b@A"' inc p@A merged 101,102,103,104,105,106,107,108)" >/dev/null
SCOPE=board wi "$(SCOPE=board inc b@A confirmed 101,102,103,104,105,106,107,108,109,110)" >/dev/null
is "the board incident texts only those the merged port incident had not" \
	"$(notes $b outage | sed 's/:suppressed:[a-z ]*//g')" "103,104,105,106,109:queued,110:queued"
is "nobody holds two live outage notices" \
	"$(q "$db" "SELECT count(*) FROM (SELECT subscriber_id FROM notifications WHERE kind = 'outage' AND state NOT IN ('suppressed', 'cancelled') GROUP BY 1 HAVING count(*) > 1) x")" 0

SCOPE=board wi "$(SCOPE=board inc b@A resolved 101,102,103,104,105,106,107,108,109,110)" >/dev/null
is "resolved: restored to the sent and delivered ones (of the merged incident too), under the board incident" \
	"$(notes $b restored)" "101:queued,102:queued"
is "queued ones are cancelled, the sending one stays" \
	"$(notes $p outage | tr ',' '\n' | grep -v suppressed | tr '\n' ' ')$(notes $b outage | tr ',' '\n' | grep -v suppressed | tr '\n' ' ')" \
	"101:sent 102:delivered 107:cancelled:resolved before sending 108:sending 109:cancelled:resolved before sending 110:cancelled:resolved before sending "
result "$(nid 108)" sent
is "the sending one that became sent after resolution gets its restored notice" \
	"$(notes $b restored)" "101:queued,102:queued,108:queued"
SCOPE=board wi "$(SCOPE=board inc b@A resolved 101,102,103,104,105,106,107,108,109,110)" >/dev/null
result "$(nid 108)" sent
is "a re-sent resolution and a repeated result add nothing" \
	"$(q "$db" "SELECT count(*) FROM notifications WHERE kind = 'restored'")" 3
is "restored notices are priority 1, to the phone of the outage notice" \
	"$(q "$db" "SELECT string_agg(DISTINCT priority || '/' || phone, ',') FROM notifications WHERE subscriber_id = 102 AND kind = 'restored'")" \
	"1/13900000102"

# 3. Restoration of a plain incident --------------------------------------

park
r=$(wi "$(inc r@1 confirmed 201,202,203,204,205)")
out=$(claim a 10)
is "five claimed" "$(subs "$out")" "201,202,203,204,205"
result "$(nid 201)" sent
dlr "$(token "$(nid 202)")" 1 >/dev/null
result "$(nid 204)" retry "'busy'" 0
result "$(nid 205)" retry "'busy'" 0
# As quiet hours would (section 6): held until later.
q "$db" "UPDATE notifications SET state = 'held', next_attempt_at = now() + interval '1 hour' WHERE id = $(nid 205)" >/dev/null
wi "$(inc r@1 resolved 201,202,203,204,205)" >/dev/null
is "restored only to the sent and delivered" "$(notes $r restored)" "201:queued,202:queued"
is "queued and held outage notices cancelled, sending untouched" \
	"$(notes $r outage)" \
	"201:sent,202:delivered,203:sending,204:cancelled:resolved before sending,205:cancelled:resolved before sending"
dlr "$(token "$(nid 203)")" 8 >/dev/null
is "a submit report after resolution (sending -> sent) also brings the restored notice" \
	"$(notes $r restored)" "201:queued,202:queued,203:queued"

# 4. Two writers, two senders ---------------------------------------------

park
# Suspected with five accounts; both writers confirm it with ten.
k=$(wi "$(inc k@1 suspected 701,702,703,704,705)")
j=$(inc k@1 confirmed 701,702,703,704,705,706,707,708,709,710)
for w in 1 2; do
	printf '%s\n' "BEGIN;" "SELECT rules_write_incident(:'j'::jsonb);" "SELECT pg_sleep(1);" "COMMIT;" |
		psql -X -q -At -v j="$j" -d "$db" -f - >"$TEST_TMP/w$w.out" 2>&1 &
	eval "wpid$w=\$!"
done
wait "$wpid1" "$wpid2"
is "two sessions confirming the same incident at once: one notice per account" \
	"$(q "$db" "SELECT count(*), count(DISTINCT subscriber_id) FROM notifications WHERE incident_id = $k")" "10|10"
is "both writers succeeded" "$(cat "$TEST_TMP/w1.out" "$TEST_TMP/w2.out" | grep -c "^$k$")" 2

printf '%s\n' "BEGIN;" "SELECT notify_claim('a', 5);" "SELECT pg_sleep(5);" "COMMIT;" |
	PGAPPNAME=claimer_a psql -X -q -At -d "$db" -f - >"$TEST_TMP/a.out" 2>&1 &
apid=$!
a_sleeping() {
	test "$(q "$db" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'claimer_a' AND query LIKE 'SELECT pg_sleep%'")" = 1
}
wait_for 10 a_sleeping
t0=$(date +%s%N)
outb=$(claim b 5)
outc=$(claim c 5)
t1=$(date +%s%N)
a_sleeping && a_open=yes || a_open=no
wait "$apid"
outa=$(head -1 "$TEST_TMP/a.out")
diag "claims beside an open claiming transaction took $(( (t1 - t0) / 1000000 )) ms"
is "SKIP LOCKED: the other senders were answered while the first's transaction was still open" \
	"$a_open" yes
is "each sender got five, none the same, a third found nothing" \
	"$(printf '%s\n%s\n' "$outa" "$outb" | jq -r '.[].id' | sort -u | wc -l) $(printf '%s' "$outa" | jq length) $(printf '%s' "$outb" | jq length) $outc" \
	"10 5 5 []"
is "claimed_by says who" \
	"$(q "$db" "SELECT string_agg(claimed_by || '=' || n, ',' ORDER BY claimed_by) FROM (SELECT claimed_by, count(*) n FROM notifications WHERE incident_id = $k AND state = 'sending' GROUP BY 1) x")" "a=5,b=5"

# 5. Outcomes, recovery, delivery reports -------------------------------------

park
qi=$(wi "$(inc q@1 confirmed 601,602,603,604,605,606)")
n601=$(nid 601); n602=$(nid 602); n603=$(nid 603); n604=$(nid 604); n605=$(nid 605); n606=$(nid 606)
q "$db" "UPDATE notifications SET valid_until = now() - interval '1 second' WHERE id = $n606" >/dev/null
out=$(claim q 10)
is "past valid_until: expired, never claimed" \
	"$(subs "$out") $(nst $n606) $(q "$db" "SELECT reason FROM notifications WHERE id = $n606")" \
	"601,602,603,604,605 expired validity passed"
result $n601 sent
is "sent: state, sent_at, gateway, reference, body, segments" \
	"$(q "$db" "SELECT state, sent_at IS NOT NULL, gateway, gateway_ref, body, segments FROM notifications WHERE id = $n601")" \
	"sent|t|kannel|ref$n601|body $n601|1"
result $n602 retry "'HTTP 503'" 30
is "retry: queued again after the delay, with the error" \
	"$(q "$db" "SELECT state, next_attempt_at > now() + interval '25 seconds', last_error FROM notifications WHERE id = $n602")" \
	"queued|t|HTTP 503"
is "not claimed before its time" "$(claim q 10)" "[]"
result $n603 dead "'rejected: bad number'"
is "dead: given up, with reason and error" \
	"$(q "$db" "SELECT state, reason, last_error FROM notifications WHERE id = $n603")" \
	"dead|gave up after 1 attempt|rejected: bad number"
result $n604 unknown "'no answer'"
is "unknown: stays sending, the error noted" \
	"$(q "$db" "SELECT state, last_error FROM notifications WHERE id = $n604")" "sending|no answer"
result $n601 retry "'late'" 0
result $n603 sent
is "results for rows not in sending change nothing" "$(nst $n601) $(nst $n603)" "sent dead"
like "an unknown outcome is refused" "$(err "SELECT notify_result($n605, 'maybe', NULL, NULL, NULL, NULL, NULL, NULL)")" "unknown outcome maybe"

is "recover within the grace: nothing" "$(q "$db" "SELECT notify_recover(60)")" 0
q "$db" "UPDATE notifications SET claimed_at = now() - interval '5 minutes' WHERE id IN ($n604, $n605)" >/dev/null
is "recover after the grace: both back in the queue, with the reason" \
	"$(q "$db" "SELECT notify_recover(60)") $(q "$db" "SELECT string_agg(state || ':' || reason, ',' ORDER BY id) FROM notifications WHERE id IN ($n604, $n605)")" \
	"2 queued:no gateway acknowledgement,queued:no gateway acknowledgement"
is "NULL grace: the configured 2 minutes" "$(q "$db" "SELECT notify_recover(NULL)")" 0

tk601=$(token $n601)
is "DLR 1: delivered, with its time; the reply names the notice" \
	"$(dlr "$tk601" 1 | jq -r -c '[(keys | join("+")), .state, .kind, .subscriber_id, .incident_id] | join(",")') $(q "$db" "SELECT delivered_at IS NOT NULL FROM notifications WHERE id = $n601")" \
	"id+incident_id+kind+state+subscriber_id,delivered,outage,601,$qi t"
is "a late DLR 8, then a 2, never move it back" \
	"$(dlr "$tk601" 8 | jq -r .state) $(dlr "$tk601" 2 | jq -r .state) $(nst $n601)" "delivered delivered delivered"
is "an unknown token: NULL" "$(dlr nosuchtoken 1)" ""
tk604=$(token $n604)
is "a report for a recovered row: the gateway had it, so sent, and not claimed again" \
	"$(dlr "$tk604" 8 | jq -r .state) $(subs "$(claim q 10)")" "sent 605"
is "claimed again: second attempt, the same token" \
	"$(q "$db" "SELECT state, attempts, claimed_by FROM notifications WHERE id = $n605")" "sending|2|q"
tk605=$(token $n605)
is "DLR 4 (buffered) changes nothing" "$(dlr "$tk605" 4 | jq -r .state)" "sending"
is "DLR 16 (SMSC reject): failed, with the text" \
	"$(dlr "$tk605" 16 | jq -r .state) $(q "$db" "SELECT last_error FROM notifications WHERE id = $n605")" "failed report 16"
is "DLR 1 straight from sending: delivered" \
	"$(q "$db" "UPDATE notifications SET state = 'sending' WHERE id = $n602" >/dev/null; dlr "$(q "$db" "UPDATE notifications SET dlr_token = 'tok602' WHERE id = $n602 RETURNING dlr_token" | head -1)" 1 | jq -r .state)" \
	"delivered"
result $n602 sent
is "a 'sent' answer overtaken by its report keeps the state, records the rest" \
	"$(q "$db" "SELECT state, gateway_ref, body FROM notifications WHERE id = $n602")" "delivered|ref$n602|body $n602"
out=$(q "$db" "SELECT notify_subscriber(601)")
is "notify_subscriber: recent first, the lookup's keys" \
	"$(printf '%s' "$out" | jq -r -c '[length, (.[0] | keys | join("+")), .[0].kind, .[0].state, .[0].incident_id] | join(",")')" \
	"1,created_at+delivered_at+incident_id+kind+sent_at+state,outage,delivered,$qi"
is "notify_subscriber of nobody: []" "$(q "$db" "SELECT notify_subscriber(999999)")" "[]"

# Batches as heraldd sends them (093: notify_results and notify_dlrs take
# the batch as a set): the same as the per-row calls, in array order also
# for two elements about one message.
for i in 1101 1102 1103 1104 1105 1106; do sub $i 24 "{1380000$i}"; done
park
bi=$(wi "$(inc b@1 confirmed 1101,1102,1103,1104,1105,1106)")
b1=$(nid 1101); b2=$(nid 1102); b3=$(nid 1103); b4=$(nid 1104); b5=$(nid 1105); b6=$(nid 1106)
claim b 10 >/dev/null
batch=$(jq -n -c --argjson a $b1 --argjson b $b2 --argjson c $b3 --argjson d $b4 '[
	{id: $a, outcome: "unknown", gateway: null, error: "no answer", retry: 0},
	{id: $b, outcome: "retry", gateway: "kannel", error: "busy", retry: 30},
	{id: $a, outcome: "sent", gateway: "kannel", error: null, retry: 0, body: "body b1", segments: 2},
	{id: $c, outcome: "dead", gateway: "kannel", error: "rejected", retry: 0},
	{id: $d, outcome: "retry", gateway: "kannel", error: "first", retry: 0},
	{id: $d, outcome: "sent", gateway: "kannel", error: null, retry: 0, body: "body b4", segments: 1}]')
is "a batch of results: one count per element" "$(q "$db" "SELECT notify_results('$batch')")" 6
is "  unknown then sent for one message: sent, the error cleared, the answer's fields" \
	"$(q "$db" "SELECT state, sent_at IS NOT NULL, gateway, gateway_ref IS NULL, body, segments, last_error IS NULL FROM notifications WHERE id = $b1")" \
	"sent|t|kannel|t|body b1|2|t"
is "  retry, dead; retry then sent: queued (the sent found it no longer sending)" \
	"$(q "$db" "SELECT string_agg(state || ':' || coalesce(reason, '-') || ':' || last_error || ':' || (next_attempt_at > now() + interval '25 seconds'), ',' ORDER BY id) FROM notifications WHERE id IN ($b2, $b3, $b4)")" \
	"queued:-:busy:true,dead:gave up after 1 attempt:rejected:false,queued:-:first:false"
batch=$(jq -n -c --argjson b $b2 --argjson c $b3 '[
	{id: $c, outcome: "sent", gateway: "kannel", error: null, retry: 0, body: "late", segments: 1},
	{id: $b, outcome: "dead", gateway: "kannel", error: "late", retry: 0}]')
is "results for messages no longer sending change nothing" \
	"$(q "$db" "SELECT notify_results('$batch')") $(q "$db" "SELECT string_agg(state || ':' || last_error || ':' || coalesce(body, '-'), ',' ORDER BY id) FROM notifications WHERE id IN ($b2, $b3)")" \
	"2 queued:busy:-,dead:rejected:-"
like "an unknown outcome in a batch is refused, nothing of it applied" \
	"$(err "SELECT notify_results('[{\"id\":$b6,\"outcome\":\"sent\"},{\"id\":$b6,\"outcome\":\"maybe\"}]')") $(nst $b6)" \
	"unknown outcome maybe.* sending"
batch=$(jq -n -c --arg a "$(token $b1)" --arg e "$(token $b5)" '[
	{token: $a, type: 8, text: ""}, {token: "nosuchtoken", type: 1, text: ""},
	{token: $a, type: 1, text: ""}, {token: $e, type: 16, text: "rejected"},
	{token: $e, type: 1, text: "delivered"}, {token: $e, type: 4, text: ""}]')
is "a batch of reports: each answer the state after it, NULL for an unknown token" \
	"$(q "$db" "SELECT notify_dlrs('$batch')" | jq -c '[.[] | if . == null then null else .state end]')" \
	'["sent",null,"delivered","failed","failed","failed"]'
is "  delivered with its time; failed keeps the first report's text" \
	"$(q "$db" "SELECT string_agg(state || ':' || (delivered_at IS NOT NULL) || ':' || coalesce(last_error, '-'), ',' ORDER BY id) FROM notifications WHERE id IN ($b1, $b5)")" \
	"delivered:true:-,failed:false:rejected"
wi "$(inc b@1 resolved 1101,1102,1103,1104,1105,1106)" >/dev/null
batch=$(jq -n -c --arg f "$(token $b6)" '[{token: $f, type: 8, text: ""}, {token: $f, type: 2, text: "lost"}]')
is "submitted then failed in one batch after the resolution: the restored notice too, as one by one" \
	"$(q "$db" "SELECT notify_dlrs('$batch')" | jq -r -c '[.[].state] | join(",")') $(notes "$bi" restored)" \
	"sent,failed 1101:queued,1106:queued"

# 6. Quiet hours and validity -------------------------------------------------

park
local_hm() { q "$db" "SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai') + interval '$1', 'HH24:MI')"; }
q "$db" "SELECT notify_configure('{\"quiet_start\":\"$(local_hm '-1 hour')\",\"quiet_end\":\"$(local_hm '1 hour')\",\"tz\":\"Asia/Shanghai\",\"validity_seconds\":36000}')" >/dev/null
h=$(wi "$(inc h@1 confirmed 901,902)")
is "validity_seconds: new notices valid for 10 hours" \
	"$(q "$db" "SELECT bool_and(abs(extract(epoch FROM valid_until - now() - interval '10 hours')) < 60) FROM notifications WHERE incident_id = $h")" t
is "inside the quiet hours nothing is claimed" "$(claim a 10)" "[]"
is "due notices are held until the end of the quiet hours (local time)" \
	"$(notes $h outage) $(q "$db" "SELECT bool_and(to_char(next_attempt_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI:SS') = to_char((SELECT quiet_end FROM notify_settings), 'HH24:MI:SS') AND next_attempt_at BETWEEN now() + interval '58 minutes' AND now() + interval '61 minutes') FROM notifications WHERE incident_id = $h")" \
	"901:held:quiet hours,902:held:quiet hours t"
is "claimed again during quiet hours: still held, still nothing" "$(claim a 10) $(notes $h outage)" \
	"[] 901:held:quiet hours,902:held:quiet hours"
q "$db" "UPDATE notifications SET valid_until = now() WHERE incident_id = $h AND subscriber_id = 902" >/dev/null
q "$db" "SELECT notify_configure('{\"quiet_start\":\"$(local_hm '2 hours')\",\"quiet_end\":\"$(local_hm '3 hours')\"}')" >/dev/null
is "quiet hours moved away: the held one is queued and claimed, the one past validity expires" \
	"$(subs "$(claim a 10)") $(q "$db" "SELECT state FROM notifications WHERE incident_id = $h AND subscriber_id = 902")" "901 expired"
# Resolution cancels a held notice: the outage is over by morning.
q "$db" "SELECT notify_configure('{\"quiet_start\":\"$(local_hm '-1 hour')\",\"quiet_end\":\"$(local_hm '1 hour')\"}')" >/dev/null
h2=$(wi "$(inc h@2 confirmed 903)")
claim a 10 >/dev/null
wi "$(inc h@2 resolved 903)" >/dev/null
is "held overnight, resolved by morning: cancelled, never sent" "$(notes $h2 outage) $(notes $h2 restored)" \
	"903:cancelled:resolved before sending -"
q "$db" "SELECT notify_configure('{\"quiet_start\":null,\"quiet_end\":null,\"validity_seconds\":14400}')" >/dev/null

# 7. Update notices and the claim order -----------------------------------

park
u=$(wi "$(inc u@1 confirmed 301,302)")
v=$(wi "$(inc v@1 confirmed 303)")
for n in $(ids "$(claim a 10)" | tr ',' ' '); do result $n sent; done
q "$db" "UPDATE incidents SET estimated_restore_at = now() + interval '2 hours' WHERE id = $u" >/dev/null
is "ETA changed with update_on_eta off: no update notice" "$(notes $u update)" "-"
q "$db" "SELECT notify_configure('{\"update_on_eta\":true}')" >/dev/null
q "$db" "UPDATE incidents SET estimated_restore_at = now() + interval '3 hours' WHERE id = $u" >/dev/null
is "update_on_eta: one update notice (seq 1) per subscriber told" \
	"$(q "$db" "SELECT string_agg(subscriber_id || ':' || seq || ':' || priority || ':' || state, ',' ORDER BY subscriber_id) FROM notifications WHERE incident_id = $u AND kind = 'update'")" \
	"301:1:3:queued,302:1:3:queued"
q "$db" "UPDATE incidents SET estimated_restore_at = now() + interval '4 hours' WHERE id = $u" >/dev/null
q "$db" "UPDATE incidents SET title = title || ' ' WHERE id = $u" >/dev/null
is "a second change: seq 2, the unsent seq 1 superseded; other changes add nothing" \
	"$(q "$db" "SELECT string_agg(subscriber_id || ':' || seq || ':' || state, ',' ORDER BY subscriber_id, seq) FROM notifications WHERE incident_id = $u AND kind = 'update'")" \
	"301:1:cancelled,301:2:queued,302:1:cancelled,302:2:queued"
wi "$(inc v@1 resolved 303)" >/dev/null
out=$(claim a 1)
is "restored (priority 1) is claimed before the older updates (priority 3)" \
	"$(printf '%s' "$out" | jq -r '.[0].kind + ":" + (.[0].subscriber_id | tostring)')" "restored:303"
is "then the updates, whose incident shows the ETA" \
	"$(claim a 5 | jq -r -c '[.[] | .kind + ":" + (.subscriber_id | tostring) + ":" + ((.incident.eta > 0) | tostring)] | join(",")')" \
	"update:301:true,update:302:true"
q "$db" "SELECT notify_configure('{\"update_on_eta\":false}')" >/dev/null

# 8. Planned maintenance --------------------------------------------------

park
w=$(q "$db" "INSERT INTO maintenance_windows (device_id, frame, slot, port, starts_at, ends_at, reason) VALUES (1, 0, 2, 1, now() + interval '1 hour', now() + interval '3 hours', 'board swap') RETURNING id" | head -1)
w2=$(q "$db" "INSERT INTO maintenance_windows (device_id, frame, slot, starts_at, ends_at, reason) VALUES (1, 0, 2, now() + interval '5 hours', now() + interval '6 hours', 'later') RETURNING id" | head -1)
is "notify_plan: the window starting within the lead, its port only" \
	"$(q "$db" "SELECT notify_plan('2 hours')") $(q "$db" "SELECT string_agg(subscriber_id || ':' || state || coalesce(':' || reason, ''), ',' ORDER BY subscriber_id) FROM notifications WHERE window_id = $w")" \
	"3 401:queued,402:queued,403:suppressed:opted out"
is "planned notices: priority 2, valid until the window starts" \
	"$(q "$db" "SELECT string_agg(DISTINCT priority || '/' || (valid_until = (SELECT starts_at FROM maintenance_windows WHERE id = $w)), ',') FROM notifications WHERE window_id = $w")" "2/true"
is "called again: nothing more" "$(q "$db" "SELECT notify_plan('2 hours')")" 0
out=$(claim a 10)
is "the claim carries the window" \
	"$(printf '%s' "$out" | jq -r -c '[.[0].kind, .[0].subscriber_id, .[0].incident, .[0].window.reason, .[0].window.device, (.[0].window.ends_at - .[0].window.starts_at)] | join(",")')" \
	"planned,401,,board swap,olt1,7200"
is "a longer lead reaches the later window (the whole board: both ports)" \
	"$(q "$db" "SELECT notify_plan('6 hours')") $(q "$db" "SELECT string_agg(subscriber_id::text, ',' ORDER BY subscriber_id) FROM notifications WHERE window_id = $w2")" \
	"4 401,402,403,404"

# 9. Complaints and the API ---------------------------------------------------

park
c=$(wi "$(inc c@1 confirmed 501,502)")
out=$(claim a 10)
result "$(nid 501)" sent
result "$(nid 502)" retry "'busy'" 0
complain() {
	q "$db" "INSERT INTO complaints (account, channel, category, content) VALUES ('$1', 'hotline', 'network', 'no internet') RETURNING pre_notified, incident_id" | head -1
}
is "a complaint after the outage notice was sent: pre_notified" "$(complain acct501)" "t|$c"
is "only queued: not pre_notified" "$(complain acct502)" "f|$c"
is "the incident's notifications: counts by state" \
	"$(q "$db" "SELECT api_incident_json(i)->'notifications' FROM incidents i WHERE id = $c")" \
	'{"sent": 1, "queued": 1}'
is "so does its outage ticket; a complaint ticket has no counts" \
	"$(q "$db" "SELECT api_ticket_json(t)->'notifications' FROM tickets t WHERE incident_id = $c AND kind = 'outage'") $(q "$db" "SELECT count(*) FROM tickets t WHERE incident_id = $c AND kind = 'complaint' AND api_ticket_json(t) ? 'notifications'")" \
	'{"sent": 1, "queued": 1} 0'
is "the board incident counts its own notices" \
	"$(q "$db" "SELECT api_incident_json(i)->'notifications' FROM incidents i WHERE id = $b")" \
	'{"cancelled": 5, "suppressed": 4}'

# 10. A storm: 20,000 accounts confirmed at once ---------------------------

park
q "$db" "INSERT INTO subscribers (id, account, phones)
	SELECT n, 'storm' || n, ARRAY['13' || lpad(n::text, 9, '0')]
	FROM generate_series(100001, 140000) n" >/dev/null
q "$db" "CREATE TABLE storm AS SELECT k, jsonb_build_object('uid', 'storm@' || k,
	'scope_key', '1:device:storm' || k, 'scope', 'device', 'device_id', 1,
	'state', 'suspected', 'cause', 'power', 'title', 'OLT down',
	'opened_at', '2026-12-01T00:00:00Z',
	'accounts', (SELECT jsonb_agg(n) FROM generate_series(80001 + k * 20000, 100000 + k * 20000) n)) AS j
	FROM generate_series(1, 2) k" >/dev/null
s=$(q "$db" "SELECT rules_write_incident(j) FROM storm WHERE k = 1")
t0=$(date +%s%N)
q "$db" "SELECT rules_write_incident(j || '{\"state\":\"confirmed\",\"confirmed_at\":\"2026-12-01T00:05:00Z\"}') FROM storm WHERE k = 1" >/dev/null
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
diag "storm: confirming 20,000 accounts took $ms ms (psql start included)"
is "the confirming call queued 20,000 notices" \
	"$(q "$db" "SELECT count(*) FROM notifications WHERE incident_id = $s AND state = 'queued'")" 20000
ok "within 10 s" test "$ms" -lt 10000
t0=$(date +%s%N)
s2=$(q "$db" "SELECT rules_write_incident(j || '{\"state\":\"confirmed\",\"confirmed_at\":\"2026-12-01T00:05:00Z\"}') FROM storm WHERE k = 2")
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
diag "storm: a new incident stored confirmed with 20,000 accounts took $ms ms"
is "stored confirmed at once, accounts inserted after it: 20,000 notices" \
	"$(q "$db" "SELECT count(*) FROM notifications WHERE incident_id = $s2 AND state = 'queued'")" 20000
ok "within 10 s" test "$ms" -lt 10000
t0=$(date +%s%N)
out=$(claim storm 500)
t1=$(date +%s%N)
diag "claiming 500 of 40,000 took $(( (t1 - t0) / 1000000 )) ms"
is "a claim of 500 from 40,000" "$(printf '%s' "$out" | jq length)" 500
q "$db" "ANALYZE notifications" >/dev/null
plan_txt=$(q "$db" "EXPLAIN SELECT id FROM notifications WHERE state = 'queued' AND next_attempt_at <= now() ORDER BY priority, next_attempt_at, id LIMIT 500 FOR UPDATE SKIP LOCKED")
like "the claim reads the partial queue index" "$plan_txt" "notifications_claim"

# An outage still going on after notify.update_after: one update, once.
q "$db" "UPDATE notifications SET state = 'sent', sent_at = now() WHERE id IN
	(SELECT id FROM notifications WHERE incident_id = $s AND kind = 'outage' ORDER BY id LIMIT 3)" >/dev/null
q "$db" "SELECT notify_age_updates('4 hours')" >/dev/null
is "an outage older than the age: an update notice to the 3 told, none to the rest" \
	"$(q "$db" "SELECT count(*), min(seq), max(priority) FROM notifications WHERE incident_id = $s AND kind = 'update'")" "3|1|3"
q "$db" "SELECT notify_age_updates('4 hours')" >/dev/null
is "  only once" "$(q "$db" "SELECT count(*) FROM notifications WHERE incident_id = $s AND kind = 'update'")" 3
is "  a younger outage gets none" "$(q "$db" "SELECT notify_age_updates('1000 days')")" 0
