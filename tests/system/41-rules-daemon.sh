#!/bin/bash
# 41-rules-daemon: heraldd's rules module end to end. A PON LOS trap on a
# port with 8 subscribers makes one suspected incident with 8 accounts in
# PostgreSQL, confirmed after the hold-down and resolved by the clear; a
# SIGKILL in the middle and a restart give the same incident, never two;
# a maintenance window reaches the engine by NOTIFY; the counters are
# published.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 20

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null || { fail "migrate"; exit 1; }
# OLT 1 (Huawei, 127.0.0.1): PON 0/1/3 with ONUs 1..8, PON 0/1/4 with 2,
# one subscriber on each ONU.
q "$db" "
INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES
	(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1');
INSERT INTO boards (id, device_id, frame, slot) VALUES (10, 1, 0, 1);
INSERT INTO ports (id, board_id, port, kind) VALUES
	(20, 10, 3, 'pon'), (21, 10, 4, 'pon');
INSERT INTO onus (id, port_id, onu_id)
	SELECT 100 + n, 20, n FROM generate_series(1, 8) n
	UNION ALL SELECT 200 + n, 21, n FROM generate_series(1, 2) n;
INSERT INTO subscribers (account, phones, onu_id)
	SELECT 'acct' || id, ARRAY['1380013' || lpad(id::text, 4, '0')], id
	FROM onus;
" >/dev/null

cat >"$TEST_TMP/policy.conf" <<'EOF'
hold_down = 3
repeat_interval = 1
EOF
write_conf "$TEST_TMP/h.conf" "$db" "
trap {
	stats_interval = 1
}
poll {
	enabled = false
}
rules {
	policy = \"$TEST_TMP/policy.conf\"
	stats_interval = 1
}"
TRAP_TO="127.0.0.1:$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")"
HW_PON_LOS=1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108
HW_PON_LOS_CLEAR=1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.109
pon() { strap 127.0.0.1 -v2c -c public "$TRAP_TO" '' "$1" $HW_FRAME i 0 $HW_SLOT i 1 $HW_PORT i 3 >/dev/null; }

# start N: heraldd, its log in h.N.log; wait until it decides.
start() {
	LOG="$TEST_TMP/h.$1.log"
	start_heraldd "$TEST_TMP/h.conf" "$LOG"
	wait_log "$LOG" "rules: [0-9]+ open incident" 20 &&
		wait_log "$LOG" "inventory: index loaded" 20 &&
		wait_log "$LOG" "trap: [0-9]+ devices? known" 20
}
killed() {
	kill -KILL "$HERALDD_PID"
	wait "$HERALDD_PID" 2>/dev/null
	TEST_PIDS=$(echo "$TEST_PIDS" | sed "s/ $HERALDD_PID\b//")
}
inc() { q "$db" "SELECT $1 FROM incidents WHERE scope = 'port' ORDER BY id"; }
inc_is() { [ "$(inc "$1")" = "$2" ]; }

ok "heraldd starts with the rules module and loads the open state" start 1
pon $HW_PON_LOS
ok "a PON LOS makes one suspected incident" wait_for 10 inc_is "count(*) OVER (), state" "1|suspected"
is "with the 8 accounts behind the port" \
	"$(inc "affected_accounts, (SELECT count(*) FROM incident_accounts a WHERE a.incident_id = incidents.id)")" "8|8"
is "its cause and root alarm" "$(inc "cause, root_alarm, planned")" "fibre_cut|1:pon.los:0/1/3|f"
alarm_linked() { [ "$(q "$db" "SELECT count(*) FROM alarms a JOIN incidents i ON i.id = a.incident_id WHERE a.reduction_key = '1:pon.los:0/1/3' AND a.state = 'raised'")" = 1 ]; }
ok "the PON LOS alarm is stored, open, linked to it" wait_for 5 alarm_linked
uid=$(inc uid)

# SIGKILL while suspected; the restart restores it instead of opening again.
killed
ok "after SIGKILL heraldd restarts" start 2
like "it restored the open incident and alarm" "$(cat "$LOG")" "rules: 1 open incident\(s\) and 1 open alarm\(s\) restored"
pon $HW_PON_LOS
ok "the repeated trap is counted on the one alarm" wait_for 10 \
	bash -c "[ \"\$(psql -X -At -d '$db' -c \"SELECT raise_count > 1 FROM alarms WHERE reduction_key = '1:pon.los:0/1/3' AND state = 'raised'\")\" = t ]"
ok "after the hold-down it is confirmed" wait_for 10 inc_is "state" "confirmed"
is "still one incident, with its first uid" "$(inc "count(*) OVER (), uid")" "1|$uid"

pon $HW_PON_LOS_CLEAR
ok "the clear resolves it" wait_for 10 inc_is "state, resolved_at IS NOT NULL" "resolved|t"
cleared() { [ "$(q "$db" "SELECT string_agg(state, ',') FROM alarms WHERE reduction_key = '1:pon.los:0/1/3'")" = cleared ]; }
ok "and clears its alarm (one row)" wait_for 5 cleared

# A second SIGKILL and restart: nothing open, nothing opened again.
killed
ok "after a second SIGKILL heraldd restarts" start 3
like "with nothing open to restore" "$(cat "$LOG")" "rules: 0 open incident\(s\) and 0 open alarm\(s\) restored"
is "the incident is there once, resolved" "$(inc "count(*) OVER (), state")" "1|resolved"

# A maintenance window reaches the engine at once (NOTIFY).
q "$db" "INSERT INTO maintenance_windows (device_id, frame, slot, port, starts_at, ends_at, reason) VALUES (1, 0, 1, 3, now(), now() + interval '1 hour', 'splice')" >/dev/null
ok "a new maintenance window is read on NOTIFY" wait_log "$LOG" "rules: 1 maintenance window" 10
pon $HW_PON_LOS
planned() { [ "$(q "$db" "SELECT count(*), bool_and(planned) FROM incidents WHERE scope = 'port' AND state = 'suspected'")" = "1|t" ]; }
ok "an outage inside the window is a new incident, planned" wait_for 10 planned
ok "the counters are published" wait_for 5 bash -c \
	"[ -n \"\$(psql -X -At -d '$db' -c \"SELECT value FROM collector_stats WHERE collector = 'rules' AND name = 'incidents_written'\")\" ]"
# A broken policy refuses the whole reload; the old one stays.
echo "hold_down = soon" >"$TEST_TMP/policy.conf"
kill -HUP "$HERALDD_PID"
ok "a broken policy.conf refuses the reload" wait_log "$LOG" "has errors, not reloading" 10
stop_heraldd
is "heraldd stops cleanly" "$STOP_RC" 0
