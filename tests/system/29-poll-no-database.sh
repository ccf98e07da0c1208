#!/bin/bash
# 29-poll-no-database: heraldd restarted while PostgreSQL is away still
# knows its devices (state_dir/devices.cache) and still polls them: an OLT
# that dies meanwhile is detected, and the alarm reaches the events table
# when the database is back.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
need_private_pg
plan 5

private_pg
"$HERALDCTL" db migrate -d "$db" >/dev/null
start_sim --olts 1 --vendors huawei --pons 1 --onus 8
addr=$(sim_addr 1)
q "$db" "INSERT INTO devices (name, kind, vendor, model, mgmt_addr, snmp_port)
	VALUES ('olt1', 'olt', 'huawei', 'MA5800', '${addr%:*}', ${addr##*:})" >/dev/null
write_conf "$TEST_TMP/h.conf" "$db" "poll {
	interval = 1
	unreachable_after = 2
	timeout = 300
	retries = 0
}"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
ok "the device list is cached" wait_for 10 test -s "$TEST_TMP/state/devices.cache"
stop_heraldd

pg_stop "$pgdir"
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h2.log"
ok "with the database away, the poller takes its devices from the cache" \
	wait_log "$TEST_TMP/h2.log" "poll: 1 devices \(1 new or changed"
sim silence olt1 >/dev/null
ok "a dead OLT is still detected" wait_log "$TEST_TMP/h2.log" "olt1 is unreachable" 10
pg_start "$pgdir" "$port"
row() { [ "$(q "$db" "SELECT count(*) FROM events WHERE kind='device.unreachable' AND action='raise'")" = 1 ]; }
ok "and its alarm is written once the database is back" wait_for 40 row
stop_heraldd
is "heraldd stops with status 0" "$STOP_RC" "0"
