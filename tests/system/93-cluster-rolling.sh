#!/bin/bash
# 93-cluster-rolling: the three instances restarted one by one (SIGTERM,
# start again), as for an upgrade, while a fault is on. Fibre cuts on every
# PON port of six OLTs (96 subscribers) come just before the first
# instance stops, so incidents are confirmed and texts sent while the
# devices move (each instance sends at 10/s, so the texts take a few
# seconds); the repair comes just before the last one stops. Each
# instance stops cleanly (exit 0) and gives its devices back; each comes
# back with a share; every subscriber gets exactly one outage text and one
# restored text at the fake SMSC: none lost, none doubled.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
. "$top_srcdir/tests/lib/cluster.sh"
need_db
need_kannel
plan 12

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 6 --vendors huawei --pons 2 --onus 8 --rate 300"
CL_GW_RATE=10	# each instance: the 96 texts take ~3 s, across the restarts
cluster_setup 3 "$FLEET" || { fail "set-up"; diag "$(tail -5 "$(cl_log 1)")"; exit 1; }
ALL=olt1,olt2,olt3,olt4,olt5,olt6
ok_or_dump "six OLTs shared by three instances" wait_for 30 cl_balanced

# restart I: SIGTERM, start again, until it holds a share again.
restart() {
	local i=$1 t0=$SECONDS
	cl_term "$i"
	is "n$i stops cleanly on SIGTERM (exit 0)" "$CL_STOP_RC" 0
	cl_start "$i"
	ok_or_dump "  and is back with a share" \
		wait_for 40 eval 'cl_balanced && [ -n "$(cl_devices_of n'"$i"')" ]'
	diag "n$i back with a share $((SECONDS - t0)) s after its SIGTERM; leases: $(cl_counts); texts so far: $(outage_sms) outage, $(restored_sms) restored"
}

for d in ${ALL//,/ }; do sim cut "$d" 0/1/0 0/1/1 >/dev/null; done
restart 1	# during the hold-down
sleep 1.5
restart 2	# while the texts go out
sim wait >/dev/null
ok_or_dump "the outage: every subscriber one outage text" wait_each_once outage "$ALL" 60
for d in ${ALL//,/ }; do sim restore "$d" >/dev/null; done
restart 3	# while the incidents resolve and the restored texts go out
sim wait >/dev/null
ok_or_dump "the repair: every subscriber one restored text" wait_each_once restored "$ALL" 60
sleep 3
is "in all, exactly one outage and one restored text per subscriber, 96 each" \
	"$(each_once outage "$ALL") $(each_once restored "$ALL") $(outage_sms) $(restored_sms)" \
	"missing=0 twice=0 stray=0 missing=0 twice=0 stray=0 96 96"
is "the rows agree: no incident, ticket or notice twice" "$(dup_rows)" "0 0 0"
is "  and every incident is over" \
	"$(q "$DB" "SELECT count(*) FROM incidents WHERE state IN ('suspected', 'confirmed')")" 0
diag "moves: $(q "$DB" "SELECT reason || ':' || count(*) FROM cluster_moves GROUP BY reason ORDER BY reason" | tr '\n' ' ')"
