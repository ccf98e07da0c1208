#!/bin/bash
# 91-cluster-kill: one of three instances killed with SIGKILL in the middle
# of a storm on the devices it owns. An area power cut reaches every ONU of
# its two OLTs (2 PON ports x 16 ONUs each, one account a ONU) as dying
# gasps sent to all three instances; the owner is killed once part of them
# are written. Its devices are taken over (cluster_moves 'taken over')
# within the lease plus one poll interval of the kill; the traps it never
# wrote come from the others' rings and the new owners' first reads: every
# dying gasp the simulator injected is a raised alarm, one incident per
# OLT, and every affected subscriber gets exactly one outage text at the
# fake SMSC. Restarted, the instance gets its share back; nobody is
# texted twice, and when the power returns each gets one restored text.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
. "$top_srcdir/tests/lib/cluster.sh"
need_db
need_kannel
plan 18

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 6 --vendors huawei --pons 2 --onus 16 --rate 40"
cluster_setup 3 "$FLEET" || { fail "set-up"; diag "$(tail -5 "$(cl_log 1)")"; exit 1; }
ok_or_dump "six OLTs shared by three instances, two each" wait_for 30 cl_balanced
diag "leases: $(cl_counts)"

victim=$(cl_owner olt1)
v=${victim#n}
devs=$(cl_devices_of "$victim" | paste -sd, -)
is "the victim $victim owns two OLTs ($devs)" "$(echo "$devs" | tr ',' '\n' | wc -l | tr -d ' ')" 2
changed=0
for d in ${devs//,/ }; do
	c=$(sim power-off "$d" 0/1/0 0/1/1 | sed -n 's/^changed //p')
	changed=$((changed + ${c:-0}))
done
is "herald-sim powers off their 64 ONUs (64 dying gasps at 40/s)" "$changed" 64
dev_ids=$(q "$DB" "SELECT string_agg(id::text, ',') FROM devices WHERE name IN ('${devs//,/\',\'}')")
trap_rows() { q "$DB" "SELECT count(*) FROM events WHERE source = 'trap' AND device_id IN ($dev_ids)"; }
wait_for 30 eval '[ "$(trap_rows)" -ge 16 ]'
sim stats reset all >/dev/null
killed_at=$(q "$DB" "SELECT extract(epoch FROM clock_timestamp())")
cl_kill "$v"
diag "$victim killed after $(trap_rows) of 64 trap rows"

taken() { [ "$(q "$DB" "SELECT count(DISTINCT device_id) FROM cluster_moves WHERE reason = 'taken over' AND from_owner = '$victim' AND device_id IN ($dev_ids) AND at > to_timestamp($killed_at)")" = 2 ]; }
ok_or_dump "its two OLTs are taken over by the others" wait_for 30 taken
took=$(q "$DB" "SELECT round(extract(epoch FROM max(at)) - $killed_at, 2) FROM cluster_moves WHERE reason = 'taken over' AND device_id IN ($dev_ids) AND at > to_timestamp($killed_at)")
ok "  within lease + one poll interval of the kill ($took s, lease $CLUSTER_LEASE s)" \
	awk -v t="$took" -v l="$CLUSTER_LEASE" 'BEGIN { exit !(t <= l + 1) }'
is "  by live instances only" \
	"$(q "$DB" "SELECT string_agg(DISTINCT to_owner, ',') IS NOT NULL AND bool_and(to_owner <> '$victim') FROM cluster_moves WHERE reason = 'taken over' AND device_id IN ($dev_ids) AND at > to_timestamp($killed_at)")" t
polled() {
	local d
	for d in ${devs//,/ }; do
		sim stats "$d" | head -1 | grep -qE ' idle_ms=[0-9]{1,4}$' || return 1
	done
}
ok "  and polled by their new owners" wait_for 10 polled
gaps=$(for d in ${devs//,/ }; do sim stats "$d" | head -1 | sed -n 's/.* max_gap_ms=\([0-9]*\) .*/\1/p'; done | sort -n | tail -1)
ok "  the longest time without a read of them: $gaps ms (lease + 2 s at most)" \
	test "${gaps:-99999}" -le $(( (CLUSTER_LEASE + 2) * 1000 ))

sim wait >/dev/null
ok_or_dump "no alarm lost: all 64 dying gasps are raised alarms" \
	wait_for 30 eval '[ "$(cl_alarms onu.dying_gasp "$devs")" = 64 ]'
ok_or_dump "every affected subscriber gets exactly one outage text" \
	wait_each_once outage "$devs" 60
is "  incidents opened once: one per OLT, power cut, 32 accounts each" \
	"$(q "$DB" "SELECT count(*) || ' ' || string_agg(DISTINCT cause, ',') || ' ' || sum(affected_accounts) FROM incidents WHERE state IN ('suspected', 'confirmed') AND device_id IN ($dev_ids)")" \
	"2 power_cut 64"
is "no duplicates: incident per place, outage ticket per incident, notice per account" \
	"$(dup_rows)" "0 0 0"
diag "events per trap (replays included): $(q "$DB" "SELECT count(*) FROM events WHERE source = 'trap' AND device_id IN ($dev_ids)") rows for 64 traps"

cl_start "$v"
ok_or_dump "$victim restarted: the devices rebalance" \
	wait_for 40 eval 'cl_balanced && [ "$(cl_devices_of "$victim" | wc -l)" = 2 ]'
diag "leases: $(cl_counts); moves since the kill: $(cl_moves "m.at > to_timestamp($killed_at)" | wc -l)"
sleep 4
is "  nobody texted twice: still one outage text each, none elsewhere" \
	"$(each_once outage "$devs") $(outage_sms)" "missing=0 twice=0 stray=0 64"
is "  the incidents stay open, none twice" \
	"$(q "$DB" "SELECT count(*) FROM incidents WHERE state IN ('suspected', 'confirmed')") $(dup_rows)" "2 0 0 0"

for d in ${devs//,/ }; do sim restore "$d" >/dev/null; done
sim wait >/dev/null
ok_or_dump "the power back: every subscriber gets exactly one restored text" \
	wait_each_once restored "$devs" 60
is "  and the incidents resolve" \
	"$(wait_for 20 eval '[ "$(q "$DB" "SELECT count(*) FROM incidents WHERE state IN ('"'suspected', 'confirmed'"')")" = 0 ]'; echo $?) $(outage_sms) $(restored_sms)" "0 64 64"
ok "the three are running" eval 'alive "$(cl_pid 1)" && alive "$(cl_pid 2)" && alive "$(cl_pid 3)"'
