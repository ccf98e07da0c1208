#!/bin/bash
# 16-trap-socket: under systemd, heraldd.socket binds UDP 162 and heraldd
# takes the socket over (no capability needed). systemd-socket-activate
# plays systemd here: it binds, waits for the first trap, then starts
# heraldd, which must use that socket and process that very first trap.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
command -v systemd-socket-activate >/dev/null || skip_all "systemd-socket-activate is not installed"
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
grep -q HAVE_LIBSYSTEMD "$top_builddir/config.h" || skip_all "built without libsystemd"
need_db
plan 5

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null
q "$db" "INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES
	(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1')" >/dev/null
write_conf "$TEST_TMP/h.conf" "$db"
port=$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")
sed -i "s|trap_listen = {\"udp:127.0.0.1:$port\"}|trap_listen = {\"udp:$port\"}|" "$TEST_TMP/h.conf"

systemd-socket-activate -d -l "127.0.0.1:$port" "$HERALDD" -d -c "$TEST_TMP/h.conf" \
	>"$TEST_TMP/h.log" 2>&1 &
HERALDD_PID=$!
TEST_PIDS="$TEST_PIDS $HERALDD_PID"
wait_for 5 sh -c "ss -lun | grep -q '127.0.0.1:$port '"
ok "nothing runs before the first trap" sh -c "! grep -q 'heraldd' '$TEST_TMP/h.log'"

# The first trap starts heraldd; it waits in the socket until heraldd
# knows its devices (a first start: no cache yet). Two more follow.
strap 127.0.0.1 -v2c -c public "127.0.0.1:$port" '' $HW_DG $(hw_loc 1 1 1) >/dev/null
ok "heraldd started and took systemd's socket" \
	wait_log "$TEST_TMP/h.log" "trap: listening on udp:$port \(socket from systemd\)"
wait_log "$TEST_TMP/h.log" "trap: 1 device known"
for i in 2 3; do
	strap 127.0.0.1 -v2c -c public "127.0.0.1:$port" '' $HW_DG $(hw_loc 1 1 "$i") >/dev/null
done
ok "the trap that woke it and the next two are written" wait_rows true 3
is "in order" "$(q "$db" "SELECT string_agg(onu::text, ',' ORDER BY at, uid) FROM events")" "1,2,3"
stop_heraldd
is "heraldd stops with status 0" "$STOP_RC" "0"
