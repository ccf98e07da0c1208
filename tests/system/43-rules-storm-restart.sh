#!/bin/bash
# 43-rules-storm-restart: the whole path under a storm, with a SIGKILL in
# the middle. An area power cut reaches every ONU of one OLT (2 boards x 8
# PON ports x 128 ONUs, one account each) as real dying-gasp traps: the
# first board's 1,024, then heraldd is killed with SIGKILL, restarted, and
# the second board's 1,024 come. The result must be one incident for the
# OLT (ports roll up to boards, boards to the OLT), cause power_cut, with
# all 2,048 accounts, never two open incidents for one place; and it must
# be what "heraldctl replay --from-db" decides from the same events.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
BLAST=$top_builddir/bench/stormblast
[ -x "$BLAST" ] || skip_all "bench/stormblast is not built"
plan 11

db=$(new_db)
TRAP_DB=$db
"$HERALDCTL" db migrate -d "$db" >/dev/null
python3 - "$TEST_TMP" <<'EOP'
import sys
out = sys.argv[1]
with open(out + "/devices.csv", "w") as d, open(out + "/subs.csv", "w") as s:
    d.write("name,kind,vendor,model,mgmt_addr\nstorm-1,olt,huawei,MA5800-X7,127.0.2.1\n")
    s.write("account,name,phones,address,region,device,frame,slot,port,onu_id,splitter\n")
    n = 0
    for b in (1, 2):
        for p in range(8):
            for o in range(128):
                s.write("S%05d,,139%08d,,,storm-1,0,%d,%d,%d,SP-%d-%d-%d\n"
                        % (n, n, b, p, o, b, p, o // 32))
                n += 1
EOP
"$HERALDCTL" -c /nonexistent -d "$db" inventory import -q -D "$TEST_TMP/devices.csv" >/dev/null
"$HERALDCTL" -c /nonexistent -d "$db" inventory import -q "$TEST_TMP/subs.csv" >/dev/null
is "the OLT's 2,048 subscribers are imported" "$(q "$db" "SELECT count(*) FROM subscribers")" "2048"
dev=$(q "$db" "SELECT id FROM devices WHERE name = 'storm-1'")

# The poller off: the OLT is not really there to be read.
write_conf "$TEST_TMP/h.conf" "$db" "
poll {
	enabled = false
}
events {
	flush_interval = 20
}"
TRAP_PORT=$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")
start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h1.log"
wait_log "$TEST_TMP/h1.log" "inventory: index loaded" 20
wait_log "$TEST_TMP/h1.log" "trap: [0-9]+ devices? known" 20

open_incidents() {
	q "$db" "SELECT scope_key || ' ' || cause || ' ' || affected_accounts FROM incidents WHERE state IN ('suspected', 'confirmed') ORDER BY scope_key"
}
events_are() { [ "$(q "$db" "SELECT count(*) FROM events WHERE device_id = $dev")" = "$1" ]; }
accounts_are() { [ "$(q "$db" "SELECT coalesce(sum(affected_accounts), 0) FROM incidents WHERE state IN ('suspected', 'confirmed') AND device_id = $dev")" = "$1" ]; }

"$BLAST" 127.0.0.1 "$TRAP_PORT" 1 1 8 128 0.5 1 1 >/dev/null
ok "board 1's 1,024 dying gasps are in the events table" wait_for 30 events_are 1024
ok "  and its accounts in open incidents" wait_for 30 accounts_are 1024
is "  one incident: board 1, power cut" "$(open_incidents)" "$dev:b0/1 power_cut 1024"
kill -KILL $HERALDD_PID
wait $HERALDD_PID 2>/dev/null
TEST_PIDS=$(echo "$TEST_PIDS" | sed "s/ $HERALDD_PID\b//")

start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h2.log"
ok "after SIGKILL, the next heraldd restores the open incident" \
	wait_log "$TEST_TMP/h2.log" "rules: 1 open incident\\(s\\) and [0-9]+ open alarm" 30
wait_log "$TEST_TMP/h2.log" "inventory: index loaded" 20
wait_log "$TEST_TMP/h2.log" "trap: [0-9]+ devices? known" 20
"$BLAST" 127.0.0.1 "$TRAP_PORT" 1 1 8 128 0.5 1 2 >/dev/null
ok "board 2's 1,024 reach the events table" wait_for 30 events_are 2048
ok "every account of the OLT is in an open incident" wait_for 30 accounts_are 2048
is "  one incident for the OLT, power cut, 2,048 accounts" "$(open_incidents)" "$dev power_cut 2048"
is "  never two open incidents for one place" \
	"$(q "$db" "SELECT count(*) FROM (SELECT scope_key FROM incidents WHERE state IN ('suspected', 'confirmed') GROUP BY 1 HAVING count(*) > 1) x")" "0"

# The replay of the same events decides the same.
"$HERALDCTL" -c /nonexistent -d "$db" replay -q --from-db '-infinity' 'infinity' \
	>"$TEST_TMP/replay.out" 2>&1
have=$(sed -n '/^incidents:/,/^events=/p' "$TEST_TMP/replay.out" | grep '^  ' |
	awk '$3 == "suspected" || $3 == "confirmed" { print $1, $2, substr($4, 10) }')
is "heraldctl replay --from-db decides the same" "$have" "$dev power_cut 2048"

# And from the table's COPY text, as an operator would export a night.
psql -X -q -d "$db" -c "COPY (SELECT * FROM events ORDER BY at, uid) TO STDOUT" \
	>"$TEST_TMP/events.copy"
"$HERALDCTL" -c /nonexistent -d "$db" replay -q "$TEST_TMP/events.copy" \
	>"$TEST_TMP/replay2.out" 2>&1
have=$(sed -n '/^incidents:/,/^events=/p' "$TEST_TMP/replay2.out" | grep '^  ' |
	awk '$3 == "suspected" || $3 == "confirmed" { print $1, $2, substr($4, 10) }')
is "  and so does the replay of its COPY text" "$have" "$dev power_cut 2048"
