#!/bin/bash
# 34-inventory-daemon: heraldd's inventory module. It loads the index at
# start, fetches the file itself over HTTP (libcurl multi on its loop),
# reloads the index when heraldctl imports elsewhere (LISTEN/NOTIFY), does
# not reload for a refused file, retries a failed download and gives up,
# and records every attempt.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
plan 14

db=$(inv_db)
T=$TEST_TMP
mkdir -p "$T/www"
inv_gen "$T/www" --subscribers 1000 --olts 10
inv_gen "$T/v2" --subscribers 1000 --olts 10 --remove-every 97 --move-every 89 --add 5
inv_import "$db" -D "$T/www/devices.csv"

http_port=$(pg_free_port)
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1 &
TEST_PIDS="$TEST_PIDS $!"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$http_port"

write_conf "$T/h.conf" "$db" "inventory {
	url = \"http://127.0.0.1:$http_port/subscribers.csv\"
	schedule = \"04:30\"
	fetch_on_start = true
}"
start_heraldd "$T/h.conf" "$T/h.log"
ok "heraldd fetches the file over HTTP at start" \
	wait_log "$T/h.log" "inventory: fetched http://127.0.0.1:$http_port/subscribers.csv"
ok "imports it in its worker" wait_log "$T/h.log" \
	"inventory: import [0-9]+ of subscribers from http://127.0.0.1:$http_port/subscribers.csv: ok; 1000 rows, 1000 loaded, 0 rejected; 1000 added"
ok "and loads the index it made" wait_log "$T/h.log" \
	"inventory: index loaded: 1000 accounts, 11 devices, .* 950 ONUs, 50 DSL lines"
like "the next scheduled fetch is armed" "$(cat "$T/h.log")" "next fetch in [0-9]+ s"
is "the import is recorded as heraldd's" \
	"$(q "$db" "SELECT run_by LIKE 'heraldd@%' FROM inventory_imports WHERE kind = 'subscribers' ORDER BY id DESC LIMIT 1")" t

# An import made by heraldctl (from any machine) reaches heraldd.
inv_import "$db" "$T/v2/subscribers.csv"
id=$(q "$db" "SELECT max(id) FROM inventory_imports")
ok "heraldd hears of heraldctl's import" wait_log "$T/h.log" \
	"inventory: import $id committed; reloading the index"
ok "and reloads its index with the new counts" wait_log "$T/h.log" \
	"inventory: index loaded: 994 accounts, .*; import $id;"

loads=$(grep -c "index loaded" "$T/h.log")
sed '2s/,OLT-0000,/,OLT-9999,/' "$T/v2/subscribers.csv" | head -20 >"$T/bad.csv"
inv_import "$db" "$T/bad.csv"
is "a refused file" "$INV_RC" 1
sleep 1
is "does not make heraldd reload" "$(grep -c "index loaded" "$T/h.log")" "$loads"
ok "heraldd is still running" alive "$HERALDD_PID"
stop_heraldd
is "and stops cleanly" "$STOP_RC" 0

# A download that fails is retried, then given up until the next schedule.
write_conf "$T/h2.conf" "$db" "inventory {
	url = \"http://127.0.0.1:$http_port/missing.csv\"
	fetch_on_start = true
	retries = 1
	retry_interval = 1
}"
start_heraldd "$T/h2.conf" "$T/h2.log"
ok "a failed download is retried" wait_log "$T/h2.log" \
	"cannot fetch http://127.0.0.1:$http_port/missing.csv: the server answered 404; retry 1 of 1 in 1 s"
ok "then given up until the next schedule" wait_log "$T/h2.log" \
	"the server answered 404; giving up until the next scheduled fetch"
stop_heraldd
is "both attempts are recorded" \
	"$(q "$db" "SELECT count(*) FROM inventory_imports WHERE result = 'failed' AND source LIKE '%missing.csv' AND run_by LIKE 'heraldd@%'")" 2
