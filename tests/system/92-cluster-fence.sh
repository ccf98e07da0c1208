#!/bin/bash
# 92-cluster-fence: an instance frozen with SIGSTOP past its lease, with
# writes it decided still waiting to go out. To have such writes, the test
# holds a lock on the incidents table while a fibre cut on the victim's
# first OLT is decided (its incident write waits in PostgreSQL, the
# decisions connection behind it), then cuts the victim's second OLT (its
# alarm writes queue in the victim), then freezes it and lets the lock go.
# Another instance takes both OLTs over (cluster_moves 'taken over'); more
# faults come while the victim is frozen; then SIGCONT. The victim's late
# writes carry the old epoch: PostgreSQL refuses them (cluster_fenced rows)
# and the victim counts them (/metrics); nothing is duplicated: one alarm
# per ONU, one incident per place, one outage text per subscriber.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
. "$top_srcdir/tests/lib/cluster.sh"
need_db
need_kannel
plan 15

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 6 --vendors huawei --pons 2 --onus 8 --rate 200"
cluster_setup 3 "$FLEET" || { fail "set-up"; diag "$(tail -5 "$(cl_log 1)")"; exit 1; }
ok_or_dump "six OLTs shared by three instances" wait_for 30 cl_balanced
victim=$(cl_owner olt1)
v=${victim#n}
devs=$(cl_devices_of "$victim" | paste -sd, -)
d1=${devs%%,*} d2=${devs##*,}
dev_ids=$(q "$DB" "SELECT string_agg(id::text, ',') FROM devices WHERE name IN ('$d1', '$d2')")
diag "victim $victim holds $devs; epochs $(q "$DB" "SELECT string_agg(epoch::text, ',' ORDER BY device_id) FROM device_leases WHERE device_id IN ($dev_ids)")"

# The lock: a psql session the test drives through a FIFO.
mkfifo "$TEST_TMP/lock.in"
psql -X -q -d "$DB" <"$TEST_TMP/lock.in" >"$TEST_TMP/lock.out" 2>&1 &
LOCK_PID=$!
TEST_PIDS="$TEST_PIDS $LOCK_PID"
exec 7>"$TEST_TMP/lock.in"
echo "BEGIN; LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE; SELECT 'locked';" >&7
wait_for 10 grep -q locked "$TEST_TMP/lock.out"
sim cut "$d1" 0/1/0 >/dev/null && sim wait >/dev/null
blocked() { [ "$(q "$DB" "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%rules_write_incidents%'")" -ge 1 ]; }
ok "the victim's incident write for $d1 waits on the lock" wait_for 15 blocked
sim cut "$d2" 0/1/0 0/1/1 >/dev/null && sim wait >/dev/null
sleep 1.5	# the victim decides the alarms of $d2; they queue behind
cl_stop "$v"
stopped_at=$(q "$DB" "SELECT extract(epoch FROM clock_timestamp())")
echo "COMMIT;" >&7
exec 7>&-
wait "$LOCK_PID" 2>/dev/null

taken() { [ "$(q "$DB" "SELECT count(DISTINCT device_id) FROM cluster_moves WHERE reason = 'taken over' AND from_owner = '$victim' AND device_id IN ($dev_ids) AND at > to_timestamp($stopped_at)")" = 2 ]; }
ok_or_dump "frozen past its lease: both OLTs taken over" wait_for 30 taken
diag "moves: $(cl_moves "m.at > to_timestamp($stopped_at)" | tr '\n' ';')"
sim cut "$d1" 0/1/1 >/dev/null && sim wait >/dev/null
sleep 2
is "  nothing refused yet" "$(cl_fenced "$victim")" 0
cl_cont "$v"
woke_at=$(q "$DB" "SELECT extract(epoch FROM clock_timestamp())")
ok_or_dump "SIGCONT: the victim's late writes are refused (cluster_fenced)" \
	wait_for 20 eval '[ "$(cl_fenced "$victim")" -gt 0 ]'
diag "fenced: $(q "$DB" "SELECT what || ' device ' || device_id || ' held ' || epoch_held || ' now ' || epoch_now || ' (' || owner_now || ') x' || entries FROM cluster_fenced ORDER BY id" | tr '\n' ';')"
is "  all for its old devices, with the old epoch" \
	"$(q "$DB" "SELECT bool_and(device_id IN ($dev_ids) AND epoch_held < epoch_now AND owner_now <> '$victim') FROM cluster_fenced")" t
fm() { [ "${F:=$(cl_metric "$v" herald_cluster_fenced)}" -gt 0 ] 2>/dev/null || { F=""; false; }; }
ok "  and counted by the victim (herald_cluster_fenced in its /metrics)" wait_for 10 fm
ok "  and in its stats line (stats rules: fenced=N)" \
	wait_log "$(cl_log "$v")" "stats rules:.* fenced=[1-9]" 10
ok "  it knows it lost them (its log)" \
	wait_log "$(cl_log "$v")" "cluster: (the leases of [0-9]+ device\\(s\\) ran out|[0-9]+ device\\(s\\) are no longer this instance's)" 10

ok_or_dump "every ONU of both OLTs has one raised alarm" \
	wait_for 30 eval '[ "$(q "$DB" "SELECT count(DISTINCT reduction_key) || '"' '"' || count(*) FROM alarms WHERE state = '"'raised'"' AND kind IN ('"'onu.los', 'pon.los'"') AND device_id IN ($dev_ids)")" = "36 36" ]'
ok_or_dump "every subscriber of both OLTs gets exactly one outage text" \
	wait_each_once outage "$devs" 60
sleep 2
is "  still one each, and nobody else texted" "$(each_once outage "$devs") $(outage_sms)" "missing=0 twice=0 stray=0 32"
is "no duplicates: incident per place, outage ticket per incident, notice per account" \
	"$(dup_rows)" "0 0 0"
ok_or_dump "the victim stays up and gets a share again" \
	wait_for 30 eval 'alive "$(cl_pid $v)" && cl_balanced && [ -n "$(cl_devices_of "$victim")" ]'
sim restore "$d1" >/dev/null; sim restore "$d2" >/dev/null; sim wait >/dev/null
ok_or_dump "the repair: one restored text each" wait_each_once restored "$devs" 60
