#!/bin/bash
# 51-tickets-daemon: an outage ticket opened and resolved by a real incident.
# heraldd receives a PON LOS trap for a port with 4 subscribers; once the
# incident is confirmed the database has opened its outage ticket; a
# complaint from one of its accounts links itself and becomes its child;
# the clear trap resolves the incident, and with it the ticket and the
# complaint, as role herald, with full history. No C is involved: it is
# all schema/050_tickets.sql reacting to what heraldd writes.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 9

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
q "$db" "
INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES
	(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES (20, 10, 3, 'pon');
INSERT INTO onus (id, port_id, onu_id)
	SELECT 100 + n, 20, n FROM generate_series(1, 4) n;
INSERT INTO subscribers (account, phones, onu_id)
	SELECT 'acct' || id, ARRAY['1380013' || lpad(id::text, 4, '0')], id
	FROM onus;
" >/dev/null

cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 3
repeat_interval = 1
EOP
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
rules {
	policy = \"$TEST_TMP/policy.conf\"
}"
TRAP_TO="127.0.0.1:$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")"
HW_PON_LOS=1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108
HW_PON_LOS_CLEAR=1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.109
pon() { strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' "$1" $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 >/dev/null; }
tk() { q "$db" "SELECT $1 FROM tickets WHERE kind = 'outage'"; }
tk_is() { [ "$(tk "$1")" = "$2" ]; }

LOG="$TEST_TMP/h.log"
start_heraldd "$TEST_TMP/h.conf" "$LOG"
started() {
	wait_log "$LOG" "rules: [0-9]+ open incident" 20 &&
		wait_log "$LOG" "inventory: index loaded" 20 &&
		wait_log "$LOG" "trap: [0-9]+ devices? known" 20
}
ok "heraldd starts" started
pon $HW_PON_LOS
ok "while the incident is suspected there is no ticket" wait_for 10 bash -c \
	"[ \"\$(psql -X -At -d '$db' -c \"SELECT count(*) FROM incidents WHERE state = 'suspected'\")\" = 1 ]"
is "no ticket yet" "$(q "$db" "SELECT count(*) FROM tickets")" 0
ok "confirmed after the hold-down: one outage ticket, new" wait_for 15 tk_is "count(*) OVER (), state" "1|new"
ok "with the incident's 4 affected accounts" wait_for 5 tk_is "affected_accounts" 4
inc=$(q "$db" "SELECT id FROM incidents WHERE state = 'confirmed'")
c=$(q "$db" "INSERT INTO complaints (account, channel, content) VALUES ('acct102', '12345', 'no internet') RETURNING id" | head -1)
is "a complaint from an affected account links to it, under the outage ticket" \
	"$(q "$db" "SELECT c.incident_id, c.priority, t.parent_id = $(tk id) FROM complaints c JOIN tickets t ON t.complaint_id = c.id WHERE c.id = $c")" \
	"$inc|1|t"
pon $HW_PON_LOS_CLEAR
ok "the clear resolves the ticket" wait_for 10 tk_is "state" "resolved"
is "its history: opened and resolved by herald" \
	"$(q "$db" "SELECT string_agg(coalesce(from_state, '-') || '>' || to_state || ':' || role, ',' ORDER BY h.id) FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id WHERE t.kind = 'outage'")" \
	"->new:herald,new>resolved:herald"
is "the complaint is resolved with it" \
	"$(q "$db" "SELECT state FROM tickets WHERE complaint_id = $c")" "resolved"
stop_heraldd
