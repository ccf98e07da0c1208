#!/bin/bash
# 95-cluster-pgfailover: PostgreSQL's own failover under heraldd. A primary
# and a streaming standby (pg_basebackup -R), each on its own socket folder
# and port; heraldd's database.conninfo names both, libpq's multi-host form
# with target_session_attrs=read-write, passed to libpq unchanged. A fault
# lands on the primary; the primary stops and the standby is promoted (what
# an operator's failover tool does); heraldd finds the new primary by
# itself, and a trap sent after the failover becomes an alarm and an
# incident there, with the rows from before the failover still in place.
# Then a first host that hangs (accepts the connection, never answers, as
# a machine gone behind a firewall that drops): heraldd gets past it to the
# next host after its connect_timeout instead of retrying it forever.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_private_pg
[ -x "$PGBIN/pg_basebackup" ] || skip_all "no pg_basebackup"
plan 13

# The primary: this test's own server.
private_pg
dir1=$pgdir port1=$port
# The standby: a base backup of the primary that follows it (-R writes
# primary_conninfo and standby.signal).
dir2="$TEST_TMP/pg2"
mkdir -p "$dir2"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir2"
pg_as_owner "$PGBIN/pg_basebackup" -h "$dir1" -p "$port1" -U postgres \
	-D "$dir2/data" -R -X stream >"$TEST_TMP/basebackup.log" 2>&1
ok "pg_basebackup -R makes a standby of the primary" test -f "$dir2/data/standby.signal"
port2=$(pg_free_port)
pg_start "$dir2" "$port2" >/dev/null 2>&1
TEST_CLEANUP="$TEST_CLEANUP pg_stop '$dir2';"
db1="host=$dir1 port=$port1 user=postgres dbname=postgres"
db2="host=$dir2 port=$port2 user=postgres dbname=postgres"
is "  streaming: the standby is in recovery, the primary has a walsender" \
	"$(q "$db2" "SELECT pg_is_in_recovery()") $(wait_for 20 eval '[ "$(q "$db1" "SELECT count(*) FROM pg_stat_replication WHERE state = '"'streaming'"'")" = 1 ]'; echo $?)" "t 0"

# heraldd with both servers in its conninfo (the primary first).
POLL_DB="host=$dir1,$dir2 port=$port1,$port2 user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=2"
cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 1
EOP
POLL_TOP="rules {
	policy = \"$TEST_TMP/policy.conf\"
}"
poll_setup "--olts 1 --vendors huawei --pons 2 --onus 4 --rate 200" ||
	{ fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
ok "heraldd connects through the multi-host conninfo" wait_log "$HLOG" "database connected" 10
open_on() { q "$1" "SELECT count(*) FROM incidents WHERE state IN ('suspected', 'confirmed')"; }
sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
ok "a fibre cut before the failover: an incident on the primary" \
	wait_for 20 eval '[ "$(open_on "$db1")" = 1 ]'
ok "  replicated to the standby" wait_for 10 eval '[ "$(open_on "$db2")" = 1 ]'

# The failover: the primary goes away, the standby is promoted.
pg_stop "$dir1"
pg_as_owner "$PGBIN/pg_ctl" -D "$dir2/data" -w -t 30 promote >/dev/null
is "the standby is promoted: read-write" "$(q "$db2" "SELECT pg_is_in_recovery()")" f
ok "heraldd reconnects, to the new primary" \
	wait_log "$HLOG" "database connection restored" 30
ok "  its heartbeat goes on there" wait_for 15 eval \
	'[ "$(q "$db2" "SELECT count(*) FROM instances WHERE last_seen > now() - interval '"'3 seconds'"'")" -ge 1 ]'
t=$(q "$db2" "SELECT extract(epoch FROM clock_timestamp())")
sim cut olt1 0/1/1 >/dev/null && sim wait >/dev/null
trap_after() { q "$db2" "SELECT count(*) FROM events WHERE source = 'trap' AND at > to_timestamp($t)"; }
ok "a trap after the failover is in the new primary's events" \
	wait_for 30 eval '[ "$(trap_after)" -ge 1 ]'
ok "  its alarm raised there (both ports' PON LOS raised) and an incident opened for it" \
	wait_for 30 eval '[ "$(q "$db2" "SELECT count(*) FROM alarms WHERE kind = '"'pon.los'"' AND state = '"'raised'"'") $(q "$db2" "SELECT count(*) FROM incidents WHERE opened_at > to_timestamp($t) AND state IN ('"'suspected', 'confirmed'"')")" = "2 1" ]'
diag "incidents: $(q "$db2" "SELECT id || ' ' || scope_key || ' ' || state || ' ' || affected_accounts FROM incidents ORDER BY id" | tr '\n' ';')"
ok "heraldd is still running" alive "$HERALDD_PID"

# A first host that hangs: a listener that accepts and never answers.
HANG_PORT=$(pg_free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); kept = []
while True:
    kept.append(s.accept()[0])
' "$HANG_PORT" &
TEST_PIDS="$TEST_PIDS $!"
wait_for 10 eval "(exec 3<>/dev/tcp/127.0.0.1/$HANG_PORT) 2>/dev/null"
mkdir -p "$TEST_TMP/state2"
sed -e "s|^state_dir = .*|state_dir = \"$TEST_TMP/state2\"|" \
    -e "s|^\tconninfo = .*|\tconninfo = \"host=127.0.0.1,$dir2 port=$HANG_PORT,$port2 user=postgres dbname=postgres target_session_attrs=read-write\"\n\tconnect_timeout = 2|" \
    -e "s|udp:127.0.0.1:$TRAP_PORT|udp:127.0.0.1:$(free_udp_port)|" \
    -e "s|^\tlisten = .*|\tlisten = \"127.0.0.1:$(pg_free_port)\"|" "$HCONF" >"$TEST_TMP/h2.conf"
printf 'cluster {\n\tname = "second"\n}\n' >>"$TEST_TMP/h2.conf"
t0=$SECONDS
start_heraldd "$TEST_TMP/h2.conf" "$TEST_TMP/h2.log"
ok "a first host that hangs: heraldd moves on to the next one (connect_timeout 2 s)" \
	wait_log "$TEST_TMP/h2.log" "^[^ ]* info: database connected" 15
diag "connected after $((SECONDS - t0)) s; $(grep -c 'timed out' "$TEST_TMP/h2.log") attempt(s) timed out"
ok "  and writes there: its heartbeat" wait_for 10 eval \
	'[ "$(q "$db2" "SELECT count(*) FROM instances WHERE name = '"'second'"' AND pid = $HERALDD_PID")" = 1 ]'
