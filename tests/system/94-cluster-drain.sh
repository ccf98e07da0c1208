#!/bin/bash
# 94-cluster-drain: "heraldctl cluster drain NAME" before maintenance. Nine
# OLTs, three instances, three each; n2 is drained through n1's API. Its
# devices move to n1 and n3, and polling has no gap: herald-sim's agents
# see no silence longer than the poll interval + 2 s on any device while
# they move (max_gap_ms). A fibre cut on one of n2's OLTs at the moment of
# the drain is still one incident and one text per subscriber. `heraldctl
# cluster` and the API show n2 draining with nothing; undrained, it gets
# its share back, again without a gap.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
. "$top_srcdir/tests/lib/cluster.sh"
need_db
need_kannel
command -v jq >/dev/null || skip_all "jq is not installed"
plan 12

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 9 --vendors huawei --pons 1 --onus 4 --rate 200"
cluster_setup 3 "$FLEET" || { fail "set-up"; diag "$(tail -5 "$(cl_log 1)")"; exit 1; }
ok_or_dump "nine OLTs shared by three instances" wait_for 30 cl_balanced
mine=$(cl_devices_of n2 | paste -sd, -)
diag "leases: $(cl_counts); n2 holds $mine"
ctl() { HERALD_URL="http://$(cl_api 1)" HERALD_TOKEN=$CL_TOKEN "$HERALDCTL" -c /nonexistent "$@"; }
# the longest silence any device's agent saw since the last reset, in ms
max_gap() {
	sim stats | sed -n 's/^\([^ ]*\) .* max_gap_ms=\([0-9]*\) .*/\2/p' | sort -n | tail -1
}
budget=3000	# poll.interval (1 s) + 2 s

sleep 2
sim stats reset all >/dev/null
t_drain=$(q "$DB" "SELECT extract(epoch FROM clock_timestamp())")
ok "heraldctl cluster drain n2" ctl cluster drain n2
cut=${mine%%,*}
sim cut "$cut" 0/1/0 >/dev/null
drained() { [ -z "$(cl_devices_of n2)" ] && [ "$(cl_unowned)" = 0 ] && cl_balanced; }
ok_or_dump "  n2's devices move to n1 and n3, none unowned" wait_for 20 drained
diag "leases: $(cl_counts); moves: $(cl_moves "m.at > to_timestamp($t_drain)" | tr '\n' ';')"
is "  recorded: each released by n2, then claimed by another" \
	"$(q "$DB" "SELECT count(DISTINCT m.device_id) FILTER (WHERE reason = 'released' AND from_owner = 'n2') || ' ' || count(DISTINCT m.device_id) FILTER (WHERE reason = 'claimed' AND to_owner <> 'n2') FROM cluster_moves m JOIN devices d ON d.id = m.device_id WHERE m.at > to_timestamp($t_drain) AND d.name IN ('${mine//,/\',\'}')")" \
	"3 3"
diag "devices of n1 and n3 that moved too (not needed): $(q "$DB" "SELECT coalesce(string_agg(DISTINCT d.name, ','), 'none') FROM cluster_moves m JOIN devices d ON d.id = m.device_id WHERE m.at > to_timestamp($t_drain) AND d.name NOT IN ('${mine//,/\',\'}')")"
sleep 3
g=$(max_gap)
ok "  no gap in polling: the longest silence on any device was $g ms (at most $budget)" \
	test "${g:-99999}" -le $budget
j=$(ctl cluster --json 2>&1)
is "heraldctl cluster --json: n2 draining with no device" \
	"$(echo "$j" | jq -c '.instances[] | select(.name == "n2") | [.draining, .devices]' 2>&1)" "[true,0]"
ok_or_dump "the fibre cut during the drain: one outage text per subscriber" \
	wait_each_once outage "$cut" 40
is "  one incident" \
	"$(q "$DB" "SELECT count(*) FROM incidents WHERE state IN ('suspected', 'confirmed')") $(dup_rows)" "1 0 0 0"

sim stats reset all >/dev/null
ok "heraldctl cluster undrain n2" ctl cluster undrain n2
back() { [ "$(cl_devices_of n2 | wc -l)" = 3 ] && cl_balanced; }
ok_or_dump "  n2 gets its share back" wait_for 30 back
sleep 3
g=$(max_gap)
ok "  again without a gap ($g ms)" test "${g:-99999}" -le $budget
sim restore "$cut" >/dev/null && sim wait >/dev/null
ok_or_dump "the repair: one restored text each" wait_each_once restored "$cut" 40
