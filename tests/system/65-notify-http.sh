#!/bin/bash
# 65-notify-http: an operator's own HTTP/JSON SMS platform instead of
# Kannel (tests/tools/sms-platform.py stands in for it). heraldd posts the
# body template with the platform's template ID and the message's
# parameters as JSON (the cause in words, the area), its API key in a
# header; an answer whose "code" is not OK is not an acceptance; a
# platform that keeps failing is rested (circuit breaker) and the second
# gateway takes over; a delivery report posted back as JSON sets
# "delivered". Every phone gets exactly one message of each kind.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v curl >/dev/null || skip_all "curl is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 11

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
q "$db" "
INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr, region) VALUES
	(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1', '南山区');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id) SELECT 100 + n, 20, n FROM generate_series(1, 8) n;
INSERT INTO subscribers (account, phones, onu_id)
	SELECT 'acct' || id, ARRAY['1380013' || lpad(id::text, 4, '0')], id FROM onus;
" >/dev/null
for g in a b; do
	echo ok >"$TEST_TMP/$g.control"
	python3 "$top_srcdir/tests/tools/sms-platform.py" "$TEST_TMP/$g.port" \
		"$TEST_TMP/$g.log" "$TEST_TMP/$g.control" &
	TEST_PIDS="$TEST_PIDS $!"
done
wait_for 10 test -s "$TEST_TMP/a.port" && wait_for 10 test -s "$TEST_TMP/b.port"
cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 1
EOP
gateway() {
	cat <<EOG
	gateway "$1" {
		type = "http"
		url = "http://127.0.0.1:$(cat "$TEST_TMP/$2.port")/send"
		headers = {"Authorization: APPCODE secret-$2", "Content-Type: application/json"}
		body = "{\"to\": {phone}, \"sign\": \"星河宽带\", \"template\": {template_id}, \"params\": {params}, \"callback\": {dlr_url}}"
		template_ids = {"outage=SMS_OUT_1", "restored=SMS_BACK_2"}
		ok_field = "code"
		ok_value = "OK"
		rate = 100
		timeout = 3
	}
EOG
}
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
rules {
	policy = \"$TEST_TMP/policy.conf\"
}
notify {
	templates = \"$top_srcdir/rules/templates\"
	quiet_hours = \"\"
	stats_interval = 1
$(gateway platform a)
$(gateway backup b)
}"
TRAP_TO="127.0.0.1:$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "heraldd starts with two gateways" wait_log "$TEST_TMP/h.log" "notify: 2 gateways, first platform" 20
wait_log "$TEST_TMP/h.log" "inventory: index loaded" 20
pon() { strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' "$1" $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 >/dev/null; }
lines() { [ -f "$TEST_TMP/$1.log" ] && grep -c "$2" "$TEST_TMP/$1.log" || echo 0; }

pon 1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108
ok "an outage: the platform gets 8 requests" wait_for 20 eval '[ "$(lines a SMS_OUT_1)" = 8 ]'
req=$(grep SMS_OUT_1 "$TEST_TMP/a.log" | head -1)
is "  the body: the number, the platform's template ID, the parameters in words" \
	"$(echo "$req" | jq -r -c '.body | [(.to | test("^1380013")), .template, .params.cause, .params.area, (.params.ticket | test("^[0-9]+$"))]')" \
	'[true,"SMS_OUT_1","光纤中断","南山区",true]'
like "  the delivery-report URL with the message's token" "$(echo "$req" | jq -r .body.callback)" \
	'^http://127\.0\.0\.1:[0-9]+/api/v1/dlr/[0-9a-f]{32}\?type=%d&text=%A$'
is "  and the API key in its header" "$(echo "$req" | jq -r .auth)" "APPCODE secret-a"
sent() { [ "$(q "$db" "SELECT count(*) FROM notifications WHERE kind = '$1' AND state IN ('sent', 'delivered')")" = "$2" ]; }
ok "  all 8 recorded as sent" wait_for 10 sent outage 8
cb=$(echo "$req" | jq -r .body.callback | sed 's/?.*//')
is "a delivery report posted back as JSON: 200" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"type":1,"text":"DELIVRD"}' "$cb")" 200
is "  that message is delivered" "$(q "$db" "SELECT count(*) FROM notifications WHERE state = 'delivered'")" 1

# The platform starts failing: 503s, then the breaker, then the backup.
echo 503 >"$TEST_TMP/a.control"
pon 1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.109
ok "the platform answers 503: after 5 failures in a row it is rested" \
	wait_log "$TEST_TMP/h.log" "gateway platform failed 5 times in a row" 30
ok "  and the backup sends the 8 restorations" wait_for 40 sent restored 8
is "  each phone got exactly one outage (platform) and one restoration (backup)" \
	"$(jq -r 'select(.mode == "ok") | .body.to' "$TEST_TMP/a.log" "$TEST_TMP/b.log" | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')$(jq -r 'select(.mode == "ok") | .body.to' "$TEST_TMP/a.log" "$TEST_TMP/b.log" | wc -l)" \
	"2 16"
