#!/bin/bash
# 61-template-preview: "heraldctl template preview" renders the shipped
# templates with sample values and shows the gateway's count; a broken
# template folder is a configuration error (exit 78) with FILE:LINE.
. "${top_srcdir:-.}/tests/lib/tap.sh"
plan 12

T="$top_srcdir/rules/templates"
out=$("$HERALDCTL" -c /nonexistent template preview outage --lang zh --dir "$T" 2>&1)
is "preview outage --lang zh exits 0" "$?" "0"
is "  the Chinese outage text, signature first" "$(echo "$out" | head -1)" \
	"【星河宽带】南山区 科技园因光纤中断于12月2日 14:05断网，正抢修，预计12月2日 18:00恢复，工单42，无需报修，敬请谅解。"
is "  and its size at the gateway" "$(echo "$out" | tail -1)" \
	"68 characters, UCS-2, 1 segment"

out=$("$HERALDCTL" -c /nonexistent template preview outage --dir "$T" --lang en --signature '[Xinghe]' 2>&1)
like "the English one is GSM 7-bit, one message" "$(echo "$out" | tail -1)" \
	"^1[0-9]{2} characters, GSM 7-bit, 1 segment$"

for k in restored update planned; do
	for l in zh en; do
		"$HERALDCTL" -c /nonexistent template preview $k --lang $l --dir "$T" \
			>"$TEST_TMP/$k.$l" 2>&1 || echo "$k.$l" >>"$TEST_TMP/failed"
	done
done
is "every other shipped kind and language renders" "$(cat "$TEST_TMP/failed" 2>/dev/null)" ""

mkdir "$TEST_TMP/bad"
cp "$T"/*.txt "$TEST_TMP/bad/"
printf '# the update notice\n{signature}{area}宽带仍在抢修，\n预计{eat}恢复。\n' \
	>"$TEST_TMP/bad/update.zh.txt"
out=$("$HERALDCTL" -c /nonexistent template preview outage --dir "$TEST_TMP/bad" 2>&1)
is "a broken template folder exits 78" "$?" "78"
is "  naming the file, the line and the placeholder" "$out" \
	"heraldctl: $TEST_TMP/bad/update.zh.txt:3: unknown placeholder \"{eat}\" (known: area, cause, since, eta, starts, ends, ticket, account, signature)"

rm "$TEST_TMP/bad/update.zh.txt" "$TEST_TMP/bad/restored.en.txt"
out=$("$HERALDCTL" -c /nonexistent template preview outage --dir "$TEST_TMP/bad" 2>&1)
is "a missing required template exits 78" "$?:$out" \
	"78:heraldctl: $TEST_TMP/bad/restored.en.txt:0: missing: the restored template is required in every language"

out=$("$HERALDCTL" -c /nonexistent template preview outages --dir "$T" 2>&1)
like "an unknown kind is an error" "$?:$out" "^1:heraldctl: no outages template"

# --incident: the values of a real incident, read from PostgreSQL.
if [ -z "${HERALD_TEST_PGHOST:-}" ]; then
	for i in 1 2 3; do pass "# SKIP no PostgreSQL for tests (run tests/run)"; done
	exit 0
fi
db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
q "$db" "
INSERT INTO devices (id, name, kind, vendor, mgmt_addr, region, site) VALUES
	(1, 'olt-ns-1', 'olt', 'huawei', '127.0.0.11', '南山区', '蛇口');
INSERT INTO incidents (id, kind, scope, device_id, state, cause, title,
	opened_at, confirmed_at, estimated_restore_at) VALUES
	(7, 'pon.los', 'device', 1, 'confirmed', 'power_cut', 'olt-ns-1 down',
	'2026-12-02 09:30+08', '2026-12-02 09:32+08', '2026-12-02 13:00+08');
" >/dev/null
ticket=$(q "$db" "SELECT id FROM tickets WHERE incident_id = 7")
out=$("$HERALDCTL" -c /nonexistent -d "$db" template preview outage --incident 7 --dir "$T" 2>&1)
is "--incident 7 renders the incident's place, cause, times and ticket" "$(echo "$out" | head -1)" \
	"【星河宽带】南山区 蛇口因区域停电于12月2日 09:30断网，正抢修，预计12月2日 13:00恢复，工单$ticket，无需报修，敬请谅解。"
q "$db" "INSERT INTO incidents (id, kind, scope, state, title) VALUES (8, 'onu.los', 'onu', 'suspected', 'ONU 3')" >/dev/null
out=$("$HERALDCTL" -c /nonexistent -d "$db" template preview outage --lang en --incident 8 --dir "$T" 2>&1)
like "  one without device, cause, ETA or ticket says so in words" "$(echo "$out" | head -1)" \
	"^Broadband outage in ONU 3 since [0-9]+ [A-Z][a-z]{2} [0-9:]{5} due to a network fault\. .*expected back: as soon as possible\. Ticket to follow\."
out=$("$HERALDCTL" -c /nonexistent -d "$db" template preview outage --incident 999 --dir "$T" 2>&1)
is "  an unknown incident is an error" "$?:$out" "1:heraldctl: no incident 999"
