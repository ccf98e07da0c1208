#!/bin/bash
# 03-kannel-down: Kannel stopped for 60 s. A feeder fibre cut on two PON
# ports (128 subscribers) is confirmed while the gateway refuses
# connections: the notices wait in the outbox with the reason, are retried
# (back-off, circuit breaker) and none is lost or marked sent; once Kannel
# is back, each subscriber gets exactly one outage message at the fake
# SMSC, and after the repair exactly one restoration.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_db
need_kannel
plan 11

start_kannel || { fail "Kannel starts"; exit 1; }
FLEET="--olts 1 --vendors huawei --pons 2 --onus 64 --rate 200"
faults_setup "$FLEET" || { fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
is "128 subscribers under the OLT" "$NSUBS" 128

stop_kannel
down_at=$SECONDS
sim cut olt1 0/1/0 0/1/1 >/dev/null && sim wait >/dev/null
confirmed() { [ "$(q "$DB" "SELECT coalesce(sum(affected_accounts), 0) FROM incidents WHERE state = 'confirmed'")" = 128 ]; }
ok "gateway down: the fibre cut is confirmed with its 128 accounts" wait_for 30 confirmed
waiting() { [ "$(q "$DB" "SELECT count(*) FROM notifications WHERE kind = 'outage' AND state = 'queued' AND attempts > 0 AND last_error IS NOT NULL")" -gt 0 ]; }
ok "  the notices wait, retried, with the reason" wait_for 30 waiting
diag "while down: $(q "$DB" "SELECT DISTINCT last_error FROM notifications WHERE last_error IS NOT NULL LIMIT 1")"
retried() { [ "$(metric herald_notify_retried)" -gt 0 ]; }
ok "  counted as retried in /metrics" wait_for 20 retried
sleep $((60 - (SECONDS - down_at)))
is "after 60 s down: none marked sent, none dead, all 128 still to send" \
	"$(q "$DB" "SELECT count(*) FILTER (WHERE state IN ('sent', 'delivered', 'dead', 'failed')) || ' ' || count(*) FILTER (WHERE state IN ('queued', 'sending')) FROM notifications WHERE kind = 'outage'")" "0 128"
diag "attempts so far: $(q "$DB" "SELECT min(attempts) || '..' || max(attempts) FROM notifications")"
start_kannel_again || { fail "Kannel starts again"; exit 1; }
back_at=$SECONDS
ok_or_dump "Kannel back: every phone gets exactly one outage message" wait_settled 1 150
diag "all told $((SECONDS - back_at)) s after Kannel came back"
sleep 2
is "  still exactly one each, 128 in all" "$(phones_each 1 && smsc_count)" 128
is "no duplicate notice per account" "$(dup_rows | cut -d' ' -f3)" 0

sim restore olt1 >/dev/null && sim wait >/dev/null
ok "the repair: every phone ends with exactly 2 messages" wait_settled 2 90
sleep 2
is "  the rows agree" "$(notice_rows)" "outage:told:128 restored:told:128 "
ok "heraldd is still running" alive "$HERALDD_PID"
