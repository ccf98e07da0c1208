#!/bin/bash
# 90-cluster-share: three heraldd instances, one database, ten simulated
# OLTs sending every trap to all three. The devices are shared: every one
# has exactly one live lease, the instances hold 10 between them (by their
# own count, not only the table's), balanced within one, and the shares
# stay put while nothing changes (a device moves only when needed). A trap
# is written once, by the owner, though three instances received it; a
# fault makes one incident and each subscriber gets one text. `heraldctl
# cluster` and GET /api/v1/cluster, on any instance, show the three with
# their devices and epochs.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
. "$top_srcdir/tests/lib/cluster.sh"
need_db
need_kannel
command -v jq >/dev/null || skip_all "jq is not installed"
plan 16

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 10 --vendors huawei --pons 1 --onus 4 --rate 200"
cluster_setup 3 "$FLEET" || { fail "set-up"; diag "$(tail -5 "$(cl_log 1)")"; exit 1; }
is "40 subscribers under 10 OLTs" "$NSUBS" 40

ok "every device gets a live lease" wait_for 30 eval '[ "$(cl_unowned)" = 0 ]'
ok_or_dump "  shared by the three, balanced within one (by count)" wait_for 30 cl_balanced
diag "leases: $(cl_counts)"
# The gauges are published every stats_interval (1 s here).
held_of() { local v; v=$(cl_metric "$1" herald_cluster_held); echo "${v:-0}"; }
held_sum() { echo $(( $(held_of 1) + $(held_of 2) + $(held_of 3) )); }
wait_for 3 eval '[ "$(held_sum)" = 10 ]'
is "  none twice: each device has one owner, and the three hold 10 in all by their own count" \
	"$(q "$DB" "SELECT count(*), count(DISTINCT device_id) FROM device_leases WHERE $cl_live") $(held_sum)" \
	"10|10 10"
moves=$(q "$DB" "SELECT count(*) FROM cluster_moves")
sleep $((CLUSTER_LEASE * 2 + 1))
is "the shares stay put over two lease periods: no move, every lease renewed" \
	"$(q "$DB" "SELECT count(*) FROM cluster_moves") $(cl_unowned) $(q "$DB" "SELECT count(*) FROM device_leases WHERE renewed_at > now() - interval '$CLUSTER_LEASE seconds'")" \
	"$moves 0 10"
ok "  and still balanced" cl_balanced

# A fault on one OLT: three instances receive every trap, one writes it.
owner=$(cl_owner olt4)
trap_rows() { q "$DB" "SELECT count(*) FROM events WHERE source = 'trap' AND device_id = $(dev_id olt4)"; }
sim cut olt4 0/1/0 >/dev/null && sim wait >/dev/null
sent=$(sim stats olt4 | head -1 | sed -n 's/.* traps_sent=\([0-9]*\) .*/\1/p')
ok "a fibre cut on olt4 (owner $owner): its traps are in the events table" \
	wait_for 20 eval '[ "$(trap_rows)" -ge "$sent" ]'
sleep 1
is "  once each, though three instances received them" "$(trap_rows)" "$sent"
ok_or_dump "one incident, every subscriber of olt4 one outage text" \
	wait_each_once outage olt4 40
is "  one open incident, one outage ticket" \
	"$(q "$DB" "SELECT count(*) FROM incidents WHERE state IN ('suspected', 'confirmed')") $(q "$DB" "SELECT count(*) FROM tickets WHERE kind = 'outage'")" "1 1"

# What the operator sees.
j=$(cl_http 2 /api/v1/cluster)
is "GET /api/v1/cluster (on n2): three live instances holding 10 devices" \
	"$(echo "$j" | jq -c '[([.instances[] | select(.alive) | .name] | sort), ([.instances[].devices] | add), (.devices | length)]' 2>&1)" \
	'[["n1","n2","n3"],10,10]'
is "  every device with its owner and epoch, as in device_leases" \
	"$(echo "$j" | jq -r '.devices[] | "\(.device_id) \(.owner) \(.epoch)"' 2>&1 | sort -n)" \
	"$(q "$DB" "SELECT device_id || ' ' || owner || ' ' || epoch FROM device_leases ORDER BY device_id")"
want=$(echo "$j" | jq -c '[.instances[] | {name, devices}] | sort_by(.name)' 2>/dev/null)
is "  the same view from n3" \
	"$(cl_http 3 /api/v1/cluster | jq -c '[.instances[] | {name, devices}] | sort_by(.name)' 2>/dev/null)" \
	"${want:-(no answer from n2)}"
out=$(HERALD_URL="http://$(cl_api 1)" HERALD_TOKEN=$CL_TOKEN "$HERALDCTL" -c /nonexistent cluster 2>&1)
diag "$(echo "$out" | head -6)"
want=$(cl_counts | sed 's/=/ /g')
like "heraldctl cluster lists the three instances" "$(echo "$out" | tr '\n' ' ')" "n1 .* n2 .* n3 "
is "  with the devices each holds" \
	"$(HERALD_URL="http://$(cl_api 1)" HERALD_TOKEN=$CL_TOKEN "$HERALDCTL" -c /nonexistent cluster --json | jq -r '[.instances[] | "\(.name) \(.devices)"] | sort | join(" ")')" \
	"$want"
ok "the three are still running" eval 'alive "$(cl_pid 1)" && alive "$(cl_pid 2)" && alive "$(cl_pid 3)"'
