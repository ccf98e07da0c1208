#!/bin/bash
# 05-bad-credentials: heraldd started with wrong database credentials (a
# role the server does not know). It starts all the same, says why in a
# log line, shows the database down in /metrics (herald_database_up 0) and
# /healthz (503), keeps retrying and keeps the traps that come meanwhile
# (the devices from its cache, state_dir/devices.cache). A reload (SIGHUP)
# with the right conninfo connects it, and nothing was lost: the traps of
# the outage are rows in events, its incident has its accounts (the
# subscriber index, which could not be loaded at start, is loaded now) and
# its notices are queued.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_db
plan 11

# The gateway is not what this test is about: a closed port.
FLEET="--olts 1 --vendors huawei --pons 1 --onus 16 --rate 200"
faults_setup "$FLEET" "http://127.0.0.1:$(pg_free_port)/cgi-bin/sendsms" ||
	{ fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
stop_heraldd
new_listen
good=$DB
bad=$(echo "$DB" | sed 's/user=postgres/user=herald_nobody password=wrong/')
sed -i "s|conninfo = \".*\"|conninfo = \"$bad\"|" "$HCONF"
start_heraldd "$HCONF" "$HLOG.2"
ok "wrong credentials: a log line names the refusal (not the password)" \
	wait_log "$HLOG.2" 'database unreachable: .*herald_nobody.*; retrying' 20
is "  and the password is not in the log" "$(grep -c wrong "$HLOG.2")" 0
down() { [ "$(metric 'herald_database_up{connection="events"}')" = 0 ]; }
ok "  /metrics: herald_database_up 0" wait_for 10 down
is "  /healthz: 503" "$(curl -s -o /dev/null -w '%{http_code}' "http://$API/healthz")" 503
sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
sleep 5
ok "  heraldd stays up, still retrying" alive "$HERALDD_PID"
is "  and has written nothing" "$(events_from olt1)" 0

sed -i "s|conninfo = \".*\"|conninfo = \"$good\"|" "$HCONF"
kill -HUP "$HERALDD_PID"
up() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$API/healthz")" = 200 ]; }
ok "the conninfo fixed and reloaded: connected, /healthz 200" wait_for 30 up
is "  herald_database_up 1" "$(metric 'herald_database_up{connection="events"}')" 1
ok "  the fibre cut's traps, kept meanwhile, are rows in events (PON LOS + 16 ONU LOS)" \
	wait_for 30 eval '[ "$(q "$DB" "SELECT count(*) FROM events WHERE source = '"'trap'"'")" = 17 ]'
ok "  the subscriber index is loaded once the database answers" \
	wait_log "$HLOG.2" "inventory: index loaded.* 16 accounts" 30
ok_or_dump "  its incident is confirmed with 16 accounts, 16 outage notices queued" \
	wait_for 30 eval '[ "$(q "$DB" "SELECT sum(affected_accounts) FROM incidents WHERE state = '"'confirmed'"'") $(q "$DB" "SELECT count(*) FROM notifications WHERE kind = '"'outage'"'")" = "16 16" ]'
