#!/bin/bash
# 07-gateway-garbage: the SMS gateway answers 200 with random bytes (not
# "0: Accepted", not UTF-8). Nothing may be marked sent on such an answer:
# the notices are retried with the answer as their reason, counted
# (herald_notify_retried), heraldd stays up; once the gateway answers
# properly again, each subscriber gets exactly one message at the fake
# SMSC.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
. "$top_srcdir/tests/lib/kannel.sh"
. "$top_srcdir/tests/lib/faults.sh"
need_db
need_kannel
plan 9

start_kannel || { fail "Kannel starts"; exit 1; }
start_gw_proxy || { fail "the proxy starts"; exit 1; }
FLEET="--olts 1 --vendors huawei --pons 1 --onus 32 --rate 200"
faults_setup "$FLEET" "$GW_PROXY_URL" "grace = 5" ||
	{ fail "set-up"; diag "$(tail -5 "$HLOG")"; exit 1; }
is "32 subscribers under the OLT" "$NSUBS" 32

gw_proxy_mode garbage
sim cut olt1 0/1/0 >/dev/null && sim wait >/dev/null
answered() { [ "$(grep -c '^garbage' "$GW_PROXY_LOG")" -ge 32 ]; }
ok "the gateway answers garbage to the notices" wait_for 30 answered
retried() { [ "$(metric herald_notify_retried)" -gt 0 ]; }
ok "  herald_notify_retried counts them" wait_for 20 retried
sleep 3
is "  none is marked sent (or dead): all 32 still to send" \
	"$(q "$DB" "SELECT count(*) FILTER (WHERE state IN ('sent', 'delivered', 'dead', 'failed')) || ' ' || count(*) FILTER (WHERE state IN ('queued', 'sending')) FROM notifications WHERE kind = 'outage'")" "0 32"
is "  and they are retried as refused, with the reason recorded" \
	"$(q "$DB" "SELECT count(*) FROM notifications WHERE kind = 'outage' AND state = 'queued' AND attempts > 0 AND last_error LIKE 'kannel: HTTP 200%'")" 32
is "  nothing reached the fake SMSC" "$(smsc_count)" 0
ok "  a log line names the gateway's bad answer" grep -q "gateway kannel failed .* HTTP 200" "$HLOG"
gw_proxy_mode pass
ok_or_dump "the gateway fixed: every phone gets exactly one message" wait_settled 1 120
sleep 2
is "  32 in all, and heraldd is still running" "$(smsc_count) $(alive "$HERALDD_PID" && echo up)" "32 up"
