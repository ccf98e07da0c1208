#!/bin/bash
# 58-api-stream: what the web pages stand on. heraldd serves the pages'
# files from http.web_root (and Debian's JavaScript libraries) with the
# security headers and nothing outside the folder; /api/v1/whoami names a
# token; /api/v1/stream pushes Server-Sent Events: hello at once, then an
# incident event and a change event within a second of a PON going dark,
# a tickets change when the NOC works the ticket; clients that go away
# (many, abruptly) cost nothing.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v curl >/dev/null || skip_all "curl is not installed"
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 19

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
q "$db" "
INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES
	(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id) SELECT 100 + n, 20, n FROM generate_series(1, 4) n;
INSERT INTO subscribers (account, phones, onu_id)
	SELECT 'acct' || id, ARRAY['1380013' || lpad(id::text, 4, '0')], id FROM onus;
" >/dev/null
TOK=$(api_token "$db" zhang.wei noc)
mkdir -p "$TEST_TMP/web/app" "$TEST_TMP/secret"
echo '<!doctype html><title>board</title>' >"$TEST_TMP/web/index.html"
echo 'export const x = 1;' >"$TEST_TMP/web/app/a.js"
echo 'top secret' >"$TEST_TMP/secret/key.html"
ln -s "$TEST_TMP/secret/key.html" "$TEST_TMP/web/link.html"
cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
rules {
	policy = \"$TEST_TMP/policy.conf\"
}"
sed -i "s|^\tlisten = \(.*\)$|\tlisten = \1\n\tweb_root = \"$TEST_TMP/web\"|" "$TEST_TMP/h.conf"
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$TEST_TMP/h.conf")
TRAP_TO="127.0.0.1:$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "heraldd starts" wait_log "$TEST_TMP/h.log" "api: 1 active tokens" 20
wait_log "$TEST_TMP/h.log" "inventory: index loaded" 20

hdr=$(curl -s -D - -o "$TEST_TMP/index" "http://$api/" | tr -d '\r')
is "GET / is the board page" "$(cat "$TEST_TMP/index")" '<!doctype html><title>board</title>'
like "  as HTML" "$hdr" 'Content-Type: text/html; charset=utf-8'
like "  with a CSP that allows no inline script" "$hdr" "Content-Security-Policy: default-src 'self'; script-src 'self';"
like "  and the other security headers" "$(echo "$hdr" | grep -E '^(X-Content-Type-Options|X-Frame-Options|Referrer-Policy):' | sort | tr '\n' ' ')" \
	'Referrer-Policy: no-referrer X-Content-Type-Options: nosniff X-Frame-Options: DENY'
like "a module is text/javascript" "$(curl -s -D - -o /dev/null "http://$api/app/a.js" | tr -d '\r')" 'Content-Type: text/javascript'
code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://$api$1"; }
is "nothing outside the folder: .., encoded .., a symlink out, an unknown type" \
	"$(code /../secret/key.html) $(code /%2e%2e/secret/key.html) $(code /link.html) $(code /app/../../secret/key.html) $(code /index.sh)" \
	"404 404 404 404 404"
like "API errors carry the headers too" "$(curl -s -D - -o /dev/null "http://$api/api/v1/alarms" | tr -d '\r')" 'X-Frame-Options: DENY'
if [ -d /usr/share/javascript/jquery ]; then
	is "Debian's JavaScript libraries under /javascript/" "$(code /javascript/jquery/jquery.min.js)" 200
else
	pass "# SKIP no /usr/share/javascript/jquery to fetch"
fi
is "whoami names the token" "$(curl -s -H "Authorization: Bearer $TOK" "http://$api/api/v1/whoami")" \
	'{"name":"zhang.wei","role":"noc"}'

# The stream, read by curl as a page would.
curl -s -N -H "Authorization: Bearer $TOK" "http://$api/api/v1/stream" >"$TEST_TMP/stream" &
SPID=$!
TEST_PIDS="$TEST_PIDS $SPID"
ok "the stream says hello at once" wait_for 5 grep -q '^event: hello' "$TEST_TMP/stream"
like "  as an event stream" "$(curl -s -m 1 -D - -o /dev/null -H "Authorization: Bearer $TOK" "http://$api/api/v1/stream" | tr -d '\r')" \
	'Content-Type: text/event-stream'
t0=$(date +%s.%N)
strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' 1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108 \
	$HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 >/dev/null
ok "a PON LOS: an incident event on the stream within a second" wait_for 1 grep -q '^event: incident' "$TEST_TMP/stream"
diag "first incident event after $(echo "$(date +%s.%N) - $t0" | bc) s"
like "  with its state and cause" "$(grep -A1 '^event: incident' "$TEST_TMP/stream" | grep '^data:' | head -1)" \
	'"state":"suspected","cause":"fibre_cut","scope":"port"'
ok "  and a change event for incidents" wait_for 2 grep -q '^data: {"incidents":true' "$TEST_TMP/stream"
ok "  confirmed after the hold-down" wait_for 10 grep -q '"state":"confirmed"' "$TEST_TMP/stream"
tkt=$(q "$db" "SELECT id FROM tickets WHERE kind = 'outage'")
: >"$TEST_TMP/stream.mark"; n0=$(wc -l <"$TEST_TMP/stream")
curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOK" -d '{"to":"acknowledged"}' "http://$api/api/v1/tickets/$tkt/transition"
ok "the NOC acknowledges: a tickets change is pushed" wait_for 2 bash -c \
	"tail -n +$n0 '$TEST_TMP/stream' | grep -q '\"tickets\":true'"

# Many clients that go away abruptly.
for i in $(seq 1 40); do
	curl -s -N -m 1 -H "Authorization: Bearer $TOK" "http://$api/api/v1/stream" >/dev/null &
done
wait_for 5 bash -c "! pgrep -f -- '-m 1 -H Authorization' >/dev/null"
strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' 1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.109 \
	$HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 >/dev/null
ok "40 clients gone: heraldd pushes on to the one left, the clear resolves" wait_for 10 grep -q '"state":"resolved"' "$TEST_TMP/stream"
ok "heraldd is still running" kill -0 "$HERALDD_PID"
