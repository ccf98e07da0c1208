#!/bin/bash
# 06-inventory-unreachable: inventory.url points at a closed port and
# fetch_on_start is set. The fetch fails, is retried, and gives up until
# the next scheduled fetch: a log line names the URL and the error, a row
# in inventory_imports records each failure, herald_inventory_fetch_failures
# counts them, and the inventory in force (imported before) is kept:
# heraldd stays up and an outage still finds its accounts.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_db
plan 8

closed=$(pg_free_port)
URL="http://127.0.0.1:$closed/subscribers.csv"
FLEET="--olts 1 --vendors huawei --pons 1 --onus 16 --rate 200"
faults_setup "$FLEET" "http://127.0.0.1:$(pg_free_port)/cgi-bin/sendsms" ||
	{ fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
# The same heraldd, now with the unreachable URL (the index it has stays
# in PostgreSQL: the import above).
stop_heraldd
new_listen
cat >>"$HCONF" <<EOC
inventory {
	url = "$URL"
	fetch_on_start = true
	retries = 1
	retry_interval = 2
	timeout = 5
}
EOC
start_heraldd "$HCONF" "$HLOG.2"
ok "the fetch fails: a log line with the URL and the error" \
	wait_log "$HLOG.2" "inventory: cannot fetch $URL: .*retry 1 of 1" 20
ok "  retried once, then given up until the next scheduled fetch" \
	wait_log "$HLOG.2" "inventory: cannot fetch $URL: .*giving up until the next scheduled fetch" 30
failures() { [ "$(metric herald_inventory_fetch_failures)" = 2 ]; }
ok "  herald_inventory_fetch_failures 2" wait_for 10 failures
is "  each failure is a row in inventory_imports" \
	"$(q "$DB" "SELECT count(*) FROM inventory_imports WHERE result = 'failed' AND source = '$URL'")" 2
is "  the inventory in force is kept: 16 accounts, one import" \
	"$(grep -c "inventory: index loaded.* 16 accounts" "$HLOG.2") $(q "$DB" "SELECT count(*) FROM inventory_imports WHERE result = 'ok'")" "1 1"
ok "  heraldd stays up" alive "$HERALDD_PID"
sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
ok_or_dump "  and works: a fibre cut is confirmed with its 16 accounts, 16 notices queued" \
	wait_for 30 eval '[ "$(q "$DB" "SELECT sum(affected_accounts) FROM incidents WHERE state = '"'confirmed'"'") $(q "$DB" "SELECT count(*) FROM notifications WHERE kind = '"'outage'"'")" = "16 16" ]'
is "  /healthz 200" "$(curl -s -o /dev/null -w '%{http_code}' "http://$API/healthz")" 200
