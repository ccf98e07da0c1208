#!/bin/bash
# 70-web: the web pages in a real browser. heraldd serves web/ with
# herald-sim's fleet as its inventory (and, when Kannel is installed, a
# real Kannel as its SMS gateway); headless Chromium, driven by
# tests/tools/web-test.py through chromedriver, signs in (a gateway token
# is refused), watches the NOC board while a fibre is cut in herald-sim
# and the incident appears without a reload (the time is printed), sees a
# ticket change made through the API within 1 s, acknowledges the ticket
# from the incident page (checked in PostgreSQL), looks the subscriber up
# on the customer-service page by phone and registers a complaint
# (linked, as PostgreSQL says). Inventory text with <script> in it must
# show as text. Screenshots: tests/system/70-web.out/ (and doc/ with
# WEB_DOC_SHOTS=1).
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
need_db
[ -x /usr/bin/chromium ] || skip_all "chromium is not installed"
[ -x /usr/bin/chromedriver ] || skip_all "chromium-driver is not installed"
# Debian's python3 (the one python3-selenium is for), not one earlier in PATH.
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c "import selenium" 2>/dev/null || skip_all "python3-selenium is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"
SMS=
if [ -x "$KANNEL_SBIN/bearerbox" ] && [ -x "$FAKESMSC" ]; then
	SMS=1
	plan 33
else
	plan 32
fi

if [ -n "$SMS" ]; then
	start_kannel || { fail "Kannel starts"; exit 1; }
	NOTIFY="notify {
	signature = \"【星河宽带】\"
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
fi
cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
POLL_TOP="rules {
	policy = \"$TEST_TMP/policy.conf\"
}
${NOTIFY:-}"
POLL_HTTP="web_root = \"$top_srcdir/web\""
FLEET="--olts 2 --vendors huawei --pons 2 --onus 8 --rate 0"
poll_setup "$FLEET" || { fail "set-up"; exit 1; }
mkdir "$TEST_TMP/inv"
# shellcheck disable=SC2086
"$HERALD_SIM" $FLEET --write-inventory "$TEST_TMP/inv" 2>/dev/null
"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q \
	"$TEST_TMP/inv/subscribers.csv" >"$TEST_TMP/out" 2>&1
is "the simulator's subscriber file imports" "$?" 0
ok "heraldd loads it" wait_log "$HLOG" "inventory: index loaded.* 32 accounts" 20
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$HCONF")
NOC="hrd_test_noc_$RANDOM$RANDOM" CS="hrd_test_cs_$RANDOM$RANDOM"
GW="hrd_test_gw_$RANDOM$RANDOM"
row() { echo "('$1', '$2', encode(sha256(convert_to('$3', 'UTF8')), 'hex'))"; }
q "$DB" "INSERT INTO api_tokens (name, role, token_sha256) VALUES
	$(row li.na noc "$NOC"), $(row wang.fang cs "$CS"),
	$(row kannel-dlr gateway "$GW")" >/dev/null
knows() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "http://$api/api/v1/whoami")" = 200 ]; }
ok "heraldd knows the three tokens" wait_for 10 eval 'knows "$NOC" && knows "$CS" && knows "$GW"'
# Hostile text in the inventory: an address and a name on the port that
# will be cut, a region on the OLT.
HOSTILE='<script>alert(1)</script>'
q "$DB" "UPDATE subscribers SET address = '$HOSTILE', name = '<img src=x onerror=alert(2)>'
	WHERE account = (SELECT min(s.account) FROM subscribers s
	    JOIN onus o ON o.id = s.onu_id JOIN ports p ON p.id = o.port_id
	    JOIN boards b ON b.id = p.board_id JOIN devices d ON d.id = b.device_id
	    WHERE d.name = 'olt1' AND p.port = 0);
	UPDATE devices SET region = '南山<b>区</b>'" >/dev/null
PHONE=$(q "$DB" "SELECT s.phones[1] FROM subscribers s JOIN onus o ON o.id = s.onu_id
	JOIN ports p ON p.id = o.port_id JOIN boards b ON b.id = p.board_id
	JOIN devices d ON d.id = b.device_id
	WHERE d.name = 'olt1' AND p.port = 0 AND NOT s.sms_opt_out
	ORDER BY s.account DESC LIMIT 1")

hdr=$(curl -s -D - -o /dev/null "http://$api/" | tr -d '\r')
like "heraldd serves the board with its CSP" "$hdr" "Content-Security-Policy: default-src 'self'; script-src 'self'"
is "the pages and modules are there" \
	"$(for f in / /incident.html /cs.html /app/board.js /app/style.css /javascript/chart.js/chart.esm.js; do
		curl -s -o /dev/null -w '%{http_code} ' "http://$api$f"; done)" \
	"200 200 200 200 200 200 "
is "no inline script or style attribute in the pages" \
	"$(grep -l -E '<script>|<script [^>]*>[^<]|style=|onclick=' "$top_srcdir"/web/*.html | wc -l)" 0

OUT="$top_builddir/tests/system/70-web.out"
rm -rf "$OUT" && mkdir -p "$OUT"
doc=()
[ -n "${WEB_DOC_SHOTS:-}" ] && doc=(--doc "$top_srcdir/doc")
"$PY" "$top_srcdir/tests/tools/web-test.py" --first "$TAP_N" \
	--base "http://$api" --noc "$NOC" --cs "$CS" --gateway "$GW" \
	--db "$DB" --sim "$HERALD_SIM -C $SIM_SOCK" --out "$OUT" \
	--phone "$PHONE" --hostile "$HOSTILE" ${SMS:+--sms} "${doc[@]}" \
	2>"$TEST_TMP/web.err" | tee "$TEST_TMP/web.tap"
TAP_N=$((TAP_N + $(grep -c -E '^(not )?ok ' "$TEST_TMP/web.tap")))
[ -s "$TEST_TMP/web.err" ] && diag "$(grep -v '^#[0-9]* 0x' "$TEST_TMP/web.err" | tail -30)"
ok "heraldd is still running" kill -0 "$HERALDD_PID"
cp "$HLOG" "$OUT/heraldd.log"
