#!/bin/bash
# 03-daemon: heraldd starts against PostgreSQL, tells systemd it is ready,
# writes its heartbeat, reloads on SIGHUP (refusing a broken file), and stops
# cleanly on SIGTERM.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
plan 12

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null
write_conf "$TEST_TMP/h.conf" "$db"

python3 "$top_srcdir/tests/lib/notify-listen.py" "$TEST_TMP/notify" "$TEST_TMP/notify.log" &
TEST_PIDS="$TEST_PIDS $!"
wait_for 5 test -S "$TEST_TMP/notify"
# WATCHDOG_PID must be heraldd's own pid: exec keeps the shell's.
(export NOTIFY_SOCKET="$TEST_TMP/notify" WATCHDOG_USEC=400000
 exec bash -c 'export WATCHDOG_PID=$$; exec "$0" -d -c "$1"' "$HERALDD" "$TEST_TMP/h.conf") >"$TEST_TMP/h.log" 2>&1 &
HERALDD_PID=$!
TEST_PIDS="$TEST_PIDS $HERALDD_PID"

if grep -q HAVE_LIBSYSTEMD "$top_builddir/config.h"; then
	ok "READY=1 reaches the service manager" wait_log "$TEST_TMP/notify.log" "^READY=1$"
	ok "WATCHDOG=1 pings come from the loop" wait_log "$TEST_TMP/notify.log" "^WATCHDOG=1$"
else
	pass "# SKIP built without libsystemd"
	pass "# SKIP built without libsystemd"
fi
ok "it connects to the database" wait_log "$TEST_TMP/h.log" "database connected"
heartbeat_rows() { [ "$(q "$db" "SELECT count(*) FROM instances WHERE pid=$HERALDD_PID")" = 1 ]; }
ok "its heartbeat row appears" wait_for 10 heartbeat_rows
seen1=$(q "$db" "SELECT last_seen FROM instances WHERE pid=$HERALDD_PID")
sleep 2.2
seen2=$(q "$db" "SELECT last_seen FROM instances WHERE pid=$HERALDD_PID")
ok "the heartbeat advances" test "$seen2" \> "$seen1"

# Reload: a broken file is refused and the old one stays in force.
cp "$TEST_TMP/h.conf" "$TEST_TMP/h.good"
printf 'log {\n\tlevel = "loud"\n}\n' >>"$TEST_TMP/h.conf"
kill -HUP $HERALDD_PID
ok "a broken reload is refused with its error" wait_log "$TEST_TMP/h.log" "h.conf:[0-9]+: level: \"loud\""
ok "and the old configuration stays" wait_log "$TEST_TMP/h.log" "has errors, not reloading"
ok "heraldd is still running" alive $HERALDD_PID
cp "$TEST_TMP/h.good" "$TEST_TMP/h.conf"
sed -i 's/heartbeat = 1/heartbeat = 2/' "$TEST_TMP/h.conf"
kill -HUP $HERALDD_PID
ok "a good reload is taken" wait_log "$TEST_TMP/h.log" "configuration reloaded"

stop_heraldd
is "SIGTERM stops heraldd with status 0" "$STOP_RC" "0"
like "it says it stopped" "$(cat "$TEST_TMP/h.log")" "heraldd stopped"
if grep -q HAVE_LIBSYSTEMD "$top_builddir/config.h"; then
	like "STOPPING=1 was sent" "$(cat "$TEST_TMP/notify.log")" "STOPPING=1"
else
	pass "# SKIP built without libsystemd"
fi
