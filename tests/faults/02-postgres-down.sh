#!/bin/bash
# 02-postgres-down: PostgreSQL stopped for 30 s in the middle of a storm and
# started again. An area power cut on one OLT (4 PON ports x 64 ONUs) sends
# 256 dying gasps at 50/s; once some are written, the server stops, and
# the rest of the storm (and the poller's reads) go to the spool
# (events.memory_max is small, so to the spool file); the rules engine
# decides in memory meanwhile. When the server is back: every trap is a row
# in events, exactly once; one incident with all 256 accounts, one outage
# ticket, and at the fake SMSC exactly one outage message per subscriber,
# then exactly one restoration.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_private_pg
need_kannel
plan 14

private_pg
POLL_DB=$db
start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 1 --vendors huawei --pons 4 --onus 64 --rate 50"
FAULTS_EVENTS="memory_max = 4096"
faults_setup "$FLEET" ||
	{ fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
is "256 subscribers under the OLT" "$NSUBS" 256

trap_rows() { q "$DB" "SELECT count(*) FROM events WHERE source = 'trap' AND kind = 'onu.dying_gasp'"; }
sim power-off olt1 0/1/0 0/1/1 0/1/2 0/1/3 >/dev/null
wait_for 30 eval '[ "$(trap_rows)" -ge 40 ]'
diag "PostgreSQL stops after $(trap_rows) trap rows"
pg_stop "$pgdir"
down_at=$SECONDS
sim wait >/dev/null
sent=$(sim stats | sed -n 's/^traps .* sent=\([0-9]*\) .*/\1/p')
is "herald-sim sent the 256 dying gasps meanwhile" "$sent" 256
spooled() { [ "$(metric herald_events_spooled)" -gt 0 ]; }
ok "  heraldd spools them (herald_events_spooled > 0)" wait_for 20 spooled
diag "spool: $(metric herald_events_spool_bytes) bytes, $(metric herald_events_spooled) events"
is "  the spool file exists" "$(test -s "$TEST_TMP/state/events.spool" && echo yes)" yes
is "  /metrics shows the database down" \
	"$(metric 'herald_database_up{connection="events"}')" 0
sleep $((30 - (SECONDS - down_at)))
ok "  heraldd is up after 30 s without its database" alive "$HERALDD_PID"
pg_start "$pgdir" "$port"
diag "PostgreSQL back after $((SECONDS - down_at)) s"

ok "every trap is a row in events" wait_for 60 eval '[ "$(trap_rows)" = 256 ]'
is "  each once (one row per ONU)" \
	"$(q "$DB" "SELECT count(DISTINCT (port, onu)) FROM events WHERE source = 'trap' AND kind = 'onu.dying_gasp'")" 256
ok "  and the spool is written back and emptied" wait_for 30 eval \
	'[ "$(metric herald_events_spool_bytes)" = 0 ] && [ "$(metric herald_events_unspooled)" -gt 0 ]'
open_accounts() { q "$DB" "SELECT count(*) || ' ' || coalesce(sum(affected_accounts), 0) || ' ' || coalesce(string_agg(DISTINCT cause, ','), '-') FROM incidents WHERE state IN ('suspected', 'confirmed')"; }
ok_or_dump "one open incident, a power cut, with all 256 accounts" \
	wait_for 60 eval '[ "$(open_accounts)" = "1 256 power_cut" ]'
ok_or_dump "every phone gets exactly one outage message" wait_settled 1 90
sleep 2
is "no duplicates: incident per place, outage ticket per incident, notice per account" \
	"$(dup_rows) $(q "$DB" "SELECT count(*) FROM tickets WHERE kind = 'outage'") $(smsc_count)" "0 0 0 1 256"

sim restore olt1 >/dev/null && sim wait >/dev/null
ok "the power back: every phone ends with exactly 2 messages" wait_settled 2 90
sleep 2
is "  the rows agree" "$(notice_rows)" "outage:told:256 restored:told:256 "
