#!/bin/bash
# 08-api-health: heraldd's HTTP server answers monitoring. /healthz is JSON
# that says whether heraldd can do its job (200) or not (503, e.g. with its
# database gone); /metrics is Prometheus text that promtool accepts, with
# every module's counters; anything else is a JSON error with its status.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_private_pg
command -v curl >/dev/null || skip_all "curl is not installed"
plan 11

private_pg
"$HERALDCTL" db migrate -d "$db" >/dev/null
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
events {
	stats_interval = 1
}"
api=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$TEST_TMP/h.conf")
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "heraldd listens on http.listen" wait_log "$TEST_TMP/h.log" "api: listening on $api"
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$api/healthz")" = 200 ]; }
ok "/healthz: 200 once the database is up" wait_for 10 healthy
body=$(curl -s "http://$api/healthz")
like "  JSON naming both connections" "$body" '"status":"ok","database":\{"events":\{"state":"up".*"decisions":\{"state":"up"'

wait_log "$TEST_TMP/h.log" "stats events:" 10
like "  and the collectors' counters" "$(curl -s "http://$api/healthz")" '"collectors":\{.*"events":\{[^}]*"written":[0-9]+'
curl -s "http://$api/metrics" >"$TEST_TMP/metrics"
like "/metrics has the modules' counters" "$(cat "$TEST_TMP/metrics")" "herald_events_written [0-9]+"
like "  and the connections" "$(cat "$TEST_TMP/metrics")" 'herald_database_up\{connection="decisions"\} 1'
if command -v promtool >/dev/null; then
	is "  promtool check metrics finds nothing wrong" \
		"$(promtool check metrics <"$TEST_TMP/metrics" 2>&1)" ""
else
	pass "# SKIP promtool (Debian prometheus) is not installed"
fi
is "an unknown path: 404 with a JSON reason" \
	"$(curl -s -w ' %{http_code}' "http://$api/nope?x=1" | tr -d '\n')" \
	'{"error":"not found","detail":"/nope"} 404'
is "a POST to /healthz: 405" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://$api/healthz")" "405"

pg_stop "$pgdir"
unhealthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$api/healthz")" = 503 ]; }
ok "the database gone: /healthz says 503" wait_for 15 unhealthy
like "  and why" "$(curl -s "http://$api/healthz")" '"status":"degraded".*"state":"(down|connecting)"'
