#!/bin/bash
# 36-inventory-dsl-traps: a simulated DSLAM's linkDown reaches the account
# on that line. herald-sim writes the subscriber file of its fleet with
# each DSL line's ifIndex (as the demo does), heraldctl imports it, and
# the ifIndex of the dsl.line_down event heraldd stores leads through
# ports.if_index to the line and its account.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/poll.sh"
need_db
plan 5

FLEET="--olts 1 --pons 1 --onus 4 --dslams 1 --dsl-slots 1 --dsl-ports 4 --rate 0"
poll_setup "$FLEET" || { fail "set-up"; exit 1; }
mkdir "$TEST_TMP/inv"
# shellcheck disable=SC2086
"$HERALD_SIM" $FLEET --write-inventory "$TEST_TMP/inv" 2>/dev/null
"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q \
	"$TEST_TMP/inv/subscribers.csv" >"$TEST_TMP/out" 2>&1
is "the simulator's subscriber file imports" "$?" 0
is "the DSLAM's ports have its agent's ifIndexes" \
	"$(q "$DB" "SELECT string_agg(p.if_index::text, ' ' ORDER BY p.if_index)
	    FROM ports p JOIN boards b ON b.id = p.board_id
	    WHERE b.device_id = $(dev_id dslam1)")" "1001 1002 1003 1004"

sim line-down dslam1 1/2 power >/dev/null && sim wait >/dev/null
ok "linkDown of dslam1 1/2 becomes a dsl.line_down event" \
	wait_for 15 eval '[ "$(alarm_count dslam1 dsl.line_down)" -ge 1 ]'
want=$(awk -F, '$6 == "dslam1" && $8 == 1 && $9 == 2 {print $1}' \
	"$TEST_TMP/inv/subscribers.csv")
[ -n "$want" ] || want="(the file has no account on dslam1 1/2)"
is "its ifIndex leads to the account on that line" \
	"$(q "$DB" "SELECT DISTINCT s.account FROM events e
	    JOIN boards b ON b.device_id = e.device_id
	    JOIN ports p ON p.board_id = b.id AND p.if_index = e.if_index
	    JOIN dsl_lines l ON l.port_id = p.id
	    JOIN subscribers s ON s.dsl_line_id = l.id
	    WHERE e.kind = 'dsl.line_down' AND e.action = 'raise'
	    AND e.device_id = $(dev_id dslam1)")" "$want"
ok "heraldd is still running" kill -0 "$HERALDD_PID"
