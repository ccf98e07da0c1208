#!/bin/bash
# 52-tickets-sla: heraldd counts and logs missed ticket deadlines. A repair
# ticket opened an hour ago has missed its 30-minute first response; a
# complaint opened now has missed nothing. heraldd says so once in its log
# and publishes the counts (collector "sla"); a ticket that is answered
# (acknowledged) is no longer counted.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
plan 7

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null
q "$db" "INSERT INTO tickets (kind, title, opened_at) VALUES
	('repair', 'ONU 0/1/3:12 dark', now() - interval '1 hour')" >/dev/null
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
sla {
	check_interval = 1
}"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "a missed first response is logged" wait_log "$TEST_TMP/h.log" \
	"sla: 1 ticket deadline newly missed \\(first_response 1\\); 1 overdue in all" 15
sla() { q "$db" "SELECT value FROM collector_stats WHERE collector = 'sla' AND name = '$1'"; }
sla_is() { [ "$(sla "$1")" = "$2" ]; }
ok "  and counted: overdue 1, first_response 1" wait_for 10 sla_is first_response 1
is "  overdue in all" "$(sla overdue)" "1"
q "$db" "SET herald.role = 'noc'; UPDATE tickets SET state = 'acknowledged'" >/dev/null
ok "an acknowledged ticket is no longer overdue" wait_for 10 sla_is overdue 0
# One more that falls due in 2 s: logged once, when it does.
q "$db" "INSERT INTO tickets (kind, title, opened_at) VALUES
	('repair', 'ONU 0/1/4:7 dark', now() - interval '30 minutes' + interval '2 seconds')" >/dev/null
ok "a deadline that falls due while heraldd runs is logged when it does" \
	wait_for 15 sla_is breaches 2
is "  once" "$(grep -c 'sla: .* newly missed' "$TEST_TMP/h.log")" "2"
stop_heraldd
is "heraldd stops with status 0" "$STOP_RC" "0"
