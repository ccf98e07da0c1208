#!/bin/bash
# 63-notify-kannel: from a fault on a simulated OLT to the text on the
# subscriber's phone, through a real Kannel. herald-sim's fleet and its
# subscriber file are heraldd's inventory; a feeder fibre cut confirms one
# incident, the database queues one outage notice per account in the same
# transaction, heraldd renders each in its language and sends it through
# Kannel's sendsms; the fake SMSC receives exactly the texts that
# "heraldctl template preview" shows for that incident, one per phone,
# none for the account that opted out or wants calls; the delivery reports
# come back and set "delivered"; customer service sees it all. The
# restoration texts exactly those who were told, once.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
need_db
need_kannel
command -v curl >/dev/null || skip_all "curl is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
plan 26

start_kannel || { fail "Kannel starts"; exit 1; }
cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
SIG="【星河宽带】"
POLL_TOP="rules {
	policy = \"$TEST_TMP/policy.conf\"
}
notify {
	signature = \"$SIG\"
	templates = \"$top_srcdir/rules/templates\"
	quiet_hours = \"\"
	stats_interval = 1
	gateway \"kannel\" {
		url = \"$KANNEL_SENDSMS_URL\"
		username = \"$KANNEL_USER\"
		password = \"$KANNEL_PASS\"
		rate = 50
	}
}"
FLEET="--olts 1 --vendors huawei --pons 1 --onus 6 --rate 0"
poll_setup "$FLEET" || { fail "set-up"; exit 1; }
mkdir "$TEST_TMP/inv"
# shellcheck disable=SC2086
"$HERALD_SIM" $FLEET --write-inventory "$TEST_TMP/inv" 2>/dev/null
"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q \
	"$TEST_TMP/inv/subscribers.csv" >"$TEST_TMP/out" 2>&1
is "the simulator's subscriber file imports" "$?" 0
ok "heraldd loads it" wait_log "$HLOG" "inventory: index loaded.* 6 accounts" 20
ok "the notifier has its gateway" wait_log "$HLOG" "notify: 1 gateway, first kannel" 5
# Six accounts: one opted out, one wants a call, one reads English.
acct() { q "$DB" "SELECT account FROM subscribers ORDER BY account OFFSET $1 LIMIT 1"; }
phone() { q "$DB" "SELECT phones[1] FROM subscribers WHERE account = '$1'"; }
OPTOUT=$(acct 1) VOICE=$(acct 2) EN=$(acct 3) ZH=$(acct 0)
q "$DB" "UPDATE devices SET region = '南山区'" >/dev/null
q "$DB" "UPDATE subscribers SET sms_opt_out = true WHERE account = '$OPTOUT';
	UPDATE subscribers SET contact = 'voice' WHERE account = '$VOICE';
	UPDATE subscribers SET language = 'en' WHERE account = '$EN'" >/dev/null
NOC=$(api_token "$DB" li.na cs)
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$HCONF")
call() { curl -s -H "Authorization: Bearer $NOC" "$@"; }

sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
ok "the fibre cut confirms an incident" wait_for 20 eval \
	'[ "$(q "$DB" "SELECT count(*) FROM incidents WHERE state = '"'confirmed'"'")" = 1 ]'
inc=$(q "$DB" "SELECT id FROM incidents WHERE state = 'confirmed'")
is "its outage notices: 4 to send, 2 suppressed with their reason" \
	"$(q "$DB" "SELECT string_agg(CASE WHEN state = 'suppressed' THEN state || ':' || reason ELSE 'to send' END, ',' ORDER BY state = 'suppressed', reason) FROM notifications WHERE incident_id = $inc AND kind = 'outage'")" \
	"to send,to send,to send,to send,suppressed:contact by voice,suppressed:opted out"
ok "the fake SMSC receives 4 messages" wait_smsc 4 30
sleep 1
is "  exactly 4, one per phone, none to the opted-out or voice accounts" \
	"$(smsc_messages | cut -f1 | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')$(smsc_count) $(smsc_count "$(phone "$OPTOUT")") $(smsc_count "$(phone "$VOICE")")" \
	"1 4 0 0"
want_zh=$("$HERALDCTL" -c /nonexistent -d "$DB" template preview outage --incident "$inc" \
	--dir "$top_srcdir/rules/templates" --signature "$SIG" | sed '$d')
want_en=$("$HERALDCTL" -c /nonexistent -d "$DB" template preview outage --lang en --incident "$inc" \
	--dir "$top_srcdir/rules/templates" --signature "$SIG" | sed '$d')
is "the Chinese text is the template's, with the incident's values" \
	"$(smsc_messages | awk -F'\t' -v p="$(phone "$ZH")" '$1 == p {print $2}')" "$want_zh"
like "  it starts with the signature and names the cause" "$want_zh" "^$SIG.*光纤中断"
is "the English account gets the English text" \
	"$(smsc_messages | awk -F'\t' -v p="$(phone "$EN")" '$1 == p {print $2}')" "$want_en"
delivered() { [ "$(q "$DB" "SELECT count(*) FROM notifications WHERE incident_id = $inc AND kind = 'outage' AND state = 'delivered'")" = 4 ]; }
ok "the delivery reports come back: 4 delivered" wait_for 20 delivered
is "  with the text as sent and its segment count" \
	"$(q "$DB" "SELECT body = '$want_zh', segments FROM notifications n JOIN subscribers s ON s.id = n.subscriber_id WHERE s.account = '$ZH' AND kind = 'outage'")" "t|1"
r=$(call "http://$api/api/v1/lookup?account=$ZH")
is "customer service sees the notice delivered" \
	"$(echo "$r" | jq -r -c '.accounts[0] | [.in_outage, (.notifications | map(.kind + ":" + .state))]')" \
	'[true,["outage:delivered"]]'
is "  and the incident how many were delivered" \
	"$(call "http://$api/api/v1/incidents/$inc" | jq -r -c '.notifications.delivered')" 4
r=$(call -X POST -d "{\"account\":\"$ZH\",\"channel\":\"hotline\",\"category\":\"network\",\"content\":\"还是上不了网\"}" "http://$api/api/v1/complaints")
is "a complaint from a told subscriber is marked pre-notified" \
	"$(echo "$r" | jq -r -c '[.complaint.incident_id, .complaint.pre_notified]')" "[$inc,true]"

sim restore olt1 >/dev/null && sim wait >/dev/null
ok "the restoration resolves the incident" wait_for 20 eval \
	'[ "$(q "$DB" "SELECT state FROM incidents WHERE id = $inc")" = resolved ]'
ok "  and texts the 4 who were told" wait_smsc 8 30
want_back=$("$HERALDCTL" -c /nonexistent -d "$DB" template preview restored --incident "$inc" \
	--dir "$top_srcdir/rules/templates" --signature "$SIG" | sed '$d')
is "  with the restored text" \
	"$(smsc_messages | awk -F'\t' -v p="$(phone "$ZH")" '$1 == p {print $2}' | tail -1)" "$want_back"
sleep 3
is "in all, each of the 4 phones got exactly 2 messages, nobody else any" \
	"$(smsc_messages | cut -f1 | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')$(smsc_count)" "2 2 2 2 8"
is "  and the database agrees: 4 outage, 4 restored, all delivered or sent" \
	"$(q "$DB" "SELECT kind || ':' || count(*) FROM notifications WHERE state IN ('sent', 'delivered') GROUP BY kind ORDER BY kind" | tr '\n' ' ')" \
	"outage:4 restored:4 "

# A maintenance window tomorrow morning: a planned notice, the day before.
q "$DB" "INSERT INTO maintenance_windows (device_id, frame, slot, starts_at, ends_at, reason)
	SELECT id, 0, 1, now() + interval '2 hours', now() + interval '4 hours', 'board upgrade'
	FROM devices WHERE name = 'olt1'" >/dev/null
ok "a maintenance window starting within planned_lead: planned notices go out" wait_smsc 12 40
want_plan=$("$HERALDCTL" -c /nonexistent -d "$DB" template preview planned \
	--dir "$top_srcdir/rules/templates" --signature "$SIG" --incident "$inc" | sed '$d')
is "  saying where and when (the template with the window's times)" "$(smsc_messages | awk -F'\t' -v p="$(phone "$ZH")" '$1 == p {print $2}' | tail -1)" "$want_plan"
is "  to the same 4 (not the opted-out, not the voice contact)" \
	"$(smsc_messages | cut -f1 | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')$(smsc_count)" "3 3 3 3 12"
is "the gateway's password is in no log line and no row" \
	"$(grep -c -- "$KANNEL_PASS" "$HLOG"; pg_dump -a "$(echo "$DB" | sed 's/.*dbname=//')" -h "$HERALD_TEST_PGHOST" -p "$HERALD_TEST_PGPORT" -U postgres 2>/dev/null | grep -c -- "$KANNEL_PASS")" "0
0"
mkdir "$TEST_TMP/badtpl"
cp "$top_srcdir"/rules/templates/*.txt "$TEST_TMP/badtpl/"
printf '# a typo\n{signature}{area}故障，预计{eat}恢复。\n' >"$TEST_TMP/badtpl/outage.zh.txt"
sed "s|templates = \".*\"|templates = \"$TEST_TMP/badtpl\"|" "$HCONF" >"$TEST_TMP/bad.conf"
like "heraldd -n refuses a template with an unknown placeholder, naming file and line" \
	"$("$HERALDD" -n -c "$TEST_TMP/bad.conf" 2>&1)" "badtpl/outage.zh.txt:2: unknown placeholder"
ok "heraldd is still running" kill -0 "$HERALDD_PID"
