#!/bin/bash
# 04-reconnect: heraldd on its own PostgreSQL, which is stopped and started
# again under it. heraldd must keep running, say so once per state change,
# reconnect, and write again (the heartbeat after the restart).
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_private_pg
plan 10

private_pg
"$HERALDCTL" db migrate -d "$db" >/dev/null
write_conf "$TEST_TMP/h.conf" "$db"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "heraldd connects" wait_log "$TEST_TMP/h.log" "database connected"

pg_stop "$pgdir"
ok "losing the server is logged" wait_log "$TEST_TMP/h.log" "database connection lost"
sleep 3
ok "heraldd keeps running while the database is down" alive $HERALDD_PID
# Once per connection: the events' and the decisions' (h->decide).
is "the loss is logged once, the retries are not" \
	"$(grep -v -E "(decisions|api|notify): " "$TEST_TMP/h.log" | grep -c -e "database connection lost" -e "database unreachable")" "1"
is "and once for each other connection (decisions, api, notify)" \
	"$(for c in decisions api notify; do grep "$c: " "$TEST_TMP/h.log" | grep -c -e "database connection lost" -e "database unreachable"; done | tr '\n' ' ')" "1 1 1 "

restart=$(date -u +%s)
pg_start "$pgdir" "$port"
ok "it reconnects on its own" wait_log "$TEST_TMP/h.log" "database connection restored" 40
beat_after_restart() {
	[ "$(q "$db" "SELECT extract(epoch FROM last_seen)::bigint >= $restart FROM instances WHERE pid=$HERALDD_PID")" = t ]
}
ok "and writes again: a heartbeat newer than the restart" wait_for 10 beat_after_restart

# Starting with the database down is no error either.
pg_stop "$pgdir"
stop_heraldd
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h2.log"
ok "heraldd starts with the database down" wait_log "$TEST_TMP/h2.log" "database unreachable"
pg_start "$pgdir" "$port"
ok "and connects when it comes up" wait_log "$TEST_TMP/h2.log" "database connected" 40
stop_heraldd
is "and still stops with status 0" "$STOP_RC" "0"
