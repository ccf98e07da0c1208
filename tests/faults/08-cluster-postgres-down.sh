#!/bin/bash
# 08-cluster-postgres-down: the database goes away for every instance at
# once. Three heraldd share six OLTs over a private PostgreSQL (lease 4 s).
# A first fault (an area power cut on six ONUs of one OLT) is opened and
# texted; then PostgreSQL stops for about 20 s: longer than the lease,
# shorter than cluster.ring (60 s). Every instance stops acting for its
# devices before the leases could have expired (its log says so), and
# nobody crashes. Meanwhile a fibre cut hits a port of an OLT held by
# another instance, and the power of the first fault comes back: these
# traps reach all three, which keep them in their rings. When PostgreSQL
# is back the devices are held again (balanced, none twice, new epochs in
# cluster_moves), the rings are replayed (ring_replayed), the fibre cut
# becomes one incident and one outage text per subscriber under the port,
# the first fault resolves with one restored text per subscriber, nobody
# gets a second outage text, and nothing is fenced.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
. "$top_srcdir/tests/lib/cluster.sh"
need_private_pg
need_kannel
plan 23

DOWN=20		# seconds without PostgreSQL: > lease, < cluster.ring (60)
private_pg
CLUSTER_DB=$db
start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 6 --vendors huawei --pons 2 --onus 8 --rate 200"
cluster_setup 3 "$FLEET" || { fail "set-up"; diag "$(tail -5 "$(cl_log 1)")"; exit 1; }
ok_or_dump "six OLTs shared by three instances, two each" wait_for 30 cl_balanced
diag "leases: $(cl_counts)"

# The phones of the subscribers under ONUs of one PON port (F/S/P) of a
# device, ONU ids LO to HI.
phones_under() {
	q "$DB" "SELECT s.phones[1] FROM subscribers s JOIN onus o ON o.id = s.onu_id
		JOIN ports p ON p.id = o.port_id JOIN boards b ON b.id = p.board_id
		JOIN devices d ON d.id = b.device_id WHERE d.name = '$1'
		AND b.frame = $2 AND b.slot = $3 AND p.port = $4
		AND o.onu_id BETWEEN ${5:-0} AND ${6:-100000} ORDER BY 1"
}
# Log lines of instance I written since the mark (log_mark I).
log_mark() { eval "CL_MARK_$1=$(stat -c %s "$(cl_log "$1")")"; }
log_since() { tail -c +$(( $(eval echo "\$CL_MARK_$1") + 1 )) "$(cl_log "$1")"; }
all_logs_since() {
	local i
	for i in 1 2 3; do log_since "$i" | grep -Eq -- "$1" || return 1; done
}

# cm I NAME: instance I's metric, -1000 when it cannot be read (a number
# for $(( )): a bad operand there ends the script)
cm() { local v; v=$(cl_metric "$1" "$2"); echo "${v:--1000}"; }
held_sum() { echo $(( $(cm 1 herald_cluster_held) + $(cm 2 herald_cluster_held) + $(cm 3 herald_cluster_held) )); }

# 1. The first fault: six ONUs of one OLT lose their power.
A=$(cl_owner olt1)
A_dev=olt1
B_dev=$(q "$DB" "SELECT d.name FROM device_leases l JOIN devices d ON d.id = l.device_id
	WHERE l.owner IS DISTINCT FROM '$A' AND l.$cl_live ORDER BY d.id LIMIT 1")
B=$(cl_owner "$B_dev")
a_id=$(dev_id "$A_dev") b_id=$(dev_id "$B_dev")
phones_under "$A_dev" 0 1 0 0 5 >"$TEST_TMP/phones.a"
phones_under "$B_dev" 0 1 1 >"$TEST_TMP/phones.b"
cat "$TEST_TMP/phones.a" "$TEST_TMP/phones.b" | sort >"$TEST_TMP/phones.ab"
diag "first fault on $A_dev (held by $A), the second on $B_dev (held by $B)"
is "herald-sim cuts the power of six ONUs of $A_dev" \
	"$(sim power-off "$A_dev" 0/1/0:0-5 | sed -n 's/^changed //p')" 6
sim wait >/dev/null
ok_or_dump "  its incident opens" wait_for 30 eval \
	'[ "$(q "$DB" "SELECT count(*) FROM incidents WHERE device_id = $a_id AND state IN ('"'suspected', 'confirmed'"')")" -ge 1 ]'
ok_or_dump "  one outage text to each of its 6 subscribers" \
	wait_once_in outage "$TEST_TMP/phones.a" 40
wait_for 20 outbox_idle
epochs_before=$(q "$DB" "SELECT string_agg(device_id || ':' || epoch, ' ' ORDER BY device_id) FROM device_leases")
incidents_a=$(q "$DB" "SELECT count(*) FROM incidents WHERE device_id = $a_id")
diag "epochs before: $epochs_before; incidents on $A_dev: $incidents_a"

# 2. PostgreSQL stops.
for i in 1 2 3; do log_mark "$i"; done
stop_at=$(date +%s.%N)
pg_stop "$pgdir"
down_at=$SECONDS
ok "every instance says its leases ran out before they could be renewed" \
	wait_for $((CLUSTER_LEASE + 6)) all_logs_since \
	"cluster: the leases of [0-9]+ device\\(s\\) ran out before they could be renewed"
ran_out=$(for i in 1 2 3; do log_since "$i" | grep -m1 "ran out before" | awk '{print $1, $2}'; done | tr '\n' ';')
diag "ran out at: $ran_out (PostgreSQL stopped at $(date -d "@${stop_at%.*}" +%T).${stop_at#*.})"
# The gauge is published every stats_interval (1 s here).
held_zero() { [ "$(held_sum)" = 0 ]; }
ok "  and none of them acts for a device any more (herald_cluster_held)" \
	wait_for 3 held_zero
# The new fault, on a port of a device another instance held, and the
# first fault's clear: every instance keeps them in its rings.
sim cut "$B_dev" 0/1/1 >/dev/null
sim restore "$A_dev" >/dev/null
sim wait >/dev/null
kept() {
	local i n=0
	for i in 1 2 3; do n=$((n + $(cm "$i" herald_cluster_ring_kept))); done
	[ "$n" -gt 0 ]
}
ok "  the traps meanwhile go to the rings (herald_cluster_ring_kept)" wait_for 10 kept
left=$((DOWN - (SECONDS - down_at))); [ "$left" -gt 0 ] && sleep "$left"
diag "herald_cluster_held after $((SECONDS - down_at)) s without the database: n1=$(cl_metric 1 herald_cluster_held) n2=$(cl_metric 2 herald_cluster_held) n3=$(cl_metric 3 herald_cluster_held)"
ok "  nobody crashed in $((SECONDS - down_at)) s without the database" \
	eval 'alive "$(cl_pid 1)" && alive "$(cl_pid 2)" && alive "$(cl_pid 3)"'

# 3. PostgreSQL is back.
for i in 1 2 3; do log_mark "$i"; done
pg_start "$pgdir" "$port" || { fail "PostgreSQL starts again"; exit 1; }
up_at=$SECONDS
diag "PostgreSQL back after $((up_at - down_at)) s"
# within SECONDS COMMAND...: until it holds, by the clock (a query takes
# a while on a busy machine: wait_for counts tries)
within() {
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
# all three renewing their leases again, every device held by one of them
all_live() {
	[ "$(q "$DB" "SELECT count(*) FROM instances WHERE cluster AND NOT draining AND
		cluster_seen + make_interval(secs => lease_seconds) > now()")" = 3 ]
}
held_again() { all_live && [ "$(cl_unowned)" = 0 ]; }
two_each() { held_again && [ "$(cl_counts)" = "n1=2 n2=2 n3=2" ]; }
ok_or_dump "within lease + 4 s the three renew again and every device is held" \
	within $((CLUSTER_LEASE + 4)) held_again
diag "after $((SECONDS - up_at)) s: $(cl_counts)"
for i in 1 2 3; do
	diag "n$i since PostgreSQL is back: $(log_since "$i" | grep -E "database connection (lost|restored)|unreachable|cluster:" | grep -v "stats cluster" | cut -c12-23,32- | tr '\n' ';' | cut -c1-1500)"
done
ok_or_dump "  balanced: two each (within lease + 4 s)" \
	within $((CLUSTER_LEASE + 4 - (SECONDS - up_at))) two_each
within 30 two_each
diag "two each after $((SECONDS - up_at)) s: $(cl_counts)"
# A lease round sent while the database was away runs when it is back;
# what it claims or renews is good for a lease from then, not from when it
# was queued.
again=$(for i in 1 2 3; do log_since "$i" | grep "ran out before" | sed "s/^/n$i /"; done)
is "  no lease claimed after the reconnection runs out at once (logs since PostgreSQL is back)" \
	"$again" ""
none_twice() { [ "$(q "$DB" "SELECT count(*) || ' ' || count(DISTINCT device_id) FROM device_leases WHERE $cl_live") $(held_sum)" = "6 6 6" ]; }
ok_or_dump "  none twice (live leases, and what the instances say they hold: $(q "$DB" "SELECT count(*) || ' ' || count(DISTINCT device_id) FROM device_leases WHERE $cl_live") $(held_sum))" \
	within 5 none_twice
is "  every epoch grew (a new claim each, in cluster_moves)" \
	"$(q "$DB" "SELECT count(*) FROM device_leases l WHERE l.epoch > (SELECT split_part(x, ':', 2)::bigint FROM unnest(string_to_array('$epochs_before', ' ')) x WHERE split_part(x, ':', 1)::bigint = l.device_id) AND EXISTS (SELECT 1 FROM cluster_moves m WHERE m.device_id = l.device_id AND m.epoch = l.epoch AND m.at > to_timestamp($stop_at))")" 6
diag "moves since the stop: $(cl_moves "m.at > to_timestamp($stop_at)" | tr '\n' ';')"

ok_or_dump "the fibre cut during the outage is an incident on $B_dev" wait_for 30 eval \
	'[ "$(q "$DB" "SELECT count(*) FROM incidents WHERE device_id = $b_id AND state IN ('"'suspected', 'confirmed'"')")" -ge 1 ]'
ok_or_dump "  each of its 8 subscribers gets one outage text (and nobody else a second)" \
	wait_once_in outage "$TEST_TMP/phones.ab" 40
ok_or_dump "the first fault resolves" wait_for 30 eval \
	'[ "$(q "$DB" "SELECT count(*) FROM incidents WHERE device_id = $a_id AND state IN ('"'suspected', 'confirmed'"')")" = 0 ]'
ok_or_dump "  one restored text to each of its 6 subscribers, and to no one else" \
	wait_once_in restored "$TEST_TMP/phones.a" 40
sleep 3
is "  the power cut's alarms: 6 rows on $A_dev, all cleared (a replayed old raise is no new alarm)" \
	"$(q "$DB" "SELECT count(*) || ' ' || count(*) FILTER (WHERE state = 'cleared') FROM alarms WHERE device_id = $a_id AND kind = 'onu.dying_gasp'")" "6 6"
diag "alarms on $B_dev: $(q "$DB" "SELECT kind || ':' || state || ':' || count(*) FROM alarms WHERE device_id = $b_id GROUP BY kind, state ORDER BY 1" | tr '\n' ' ')"
is "settled: still one outage text each, none elsewhere (6 + 8)" \
	"$(once_in outage "$TEST_TMP/phones.ab") $(outage_sms)" "missing=0 twice=0 stray=0 14"
diag "incidents: $(q "$DB" "SELECT id || ' ' || d.name || ' ' || scope_key || ' ' || state || ' ' || coalesce(cause, '-') || ' ' || affected_accounts FROM incidents i JOIN devices d ON d.id = i.device_id ORDER BY i.id" | tr '\n' ';')"
is "  incidents opened once: $A_dev as before (no new one, not even transient), one on $B_dev; no duplicates" \
	"$(q "$DB" "SELECT count(*) FROM incidents WHERE device_id = $a_id") $(q "$DB" "SELECT count(*) FROM incidents WHERE device_id = $b_id") $(dup_rows)" \
	"$incidents_a 1 0 0 0"
fenced=$(cl_fenced)
diag "fenced: $fenced $(q "$DB" "SELECT what || ' device ' || device_id || ' by ' || instance || ' held ' || epoch_held || ' now ' || epoch_now || ' x' || entries FROM cluster_fenced ORDER BY id" | tr '\n' ';')"
is "nothing fenced: no write was decided on a lease that ran out (cluster_fenced)" "$fenced" 0
replayed=0
for i in 1 2 3; do
	r=$(cl_metric "$i" herald_cluster_ring_replayed)
	diag "n$i: ring_kept=$(cl_metric "$i" herald_cluster_ring_kept) ring_replayed=$r gained=$(cl_metric "$i" herald_cluster_gained) lost=$(cl_metric "$i" herald_cluster_lost)"
	[ -n "$r" ] && replayed=$((replayed + r))
done
ok "the rings were replayed (ring_replayed > 0: $replayed)" test "$replayed" -gt 0
ok "the three heraldd are running" \
	eval 'alive "$(cl_pid 1)" && alive "$(cl_pid 2)" && alive "$(cl_pid 3)"'
