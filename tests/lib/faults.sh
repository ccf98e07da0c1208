# faults.sh: the set-up the fault tests (tests/faults/) share: a herald-sim
# fleet whose subscribers are heraldd's inventory, a real Kannel with its
# fake SMSC as the gateway, a short hold-down, and the counts the tests
# assert with. Source after tap.sh, sim.sh, poll.sh and kannel.sh.
#
#   faults_setup FLEET [GW_URL] [NOTIFY_EXTRA] [POLL_EXTRA]
#                         Kannel must be running (start_kannel); GW_URL
#                         defaults to its sendsms. Sets DB, HCONF, HLOG,
#                         API (http.listen), NSUBS (accounts imported);
#                         $FAULTS_EVENTS goes into events {}, $FAULTS_TOP
#                         after the sections.
#   metric NAME           a value from GET /metrics ("" when absent)
#   phones_each N         every subscriber's phone got exactly N messages at
#                         the fake SMSC, and no other phone got any
#   phone_dist            "COUNT xN" lines: how many phones got how many
#   dup_rows              duplicate rows: incidents per open scope, outage
#                         tickets per incident, notices per account and kind
#   notice_rows           "kind:state:count ..." of all notifications, sent
#                         and delivered counted together as "told"
#   outbox_idle           nothing queued, held or sending
#   events_from DEVICE    rows in events for the device

faults_setup() {
	local fleet=$1 url=${2:-$KANNEL_SENDSMS_URL} nextra=${3:-} pextra=${4:-}
	cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
	POLL_TOP="rules {
	policy = \"$TEST_TMP/policy.conf\"
}
notify {
	signature = \"【星河宽带】\"
	templates = \"$top_srcdir/rules/templates\"
	quiet_hours = \"\"
	stats_interval = 1
	$nextra
	gateway \"kannel\" {
		url = \"$url\"
		username = \"$KANNEL_USER\"
		password = \"$KANNEL_PASS\"
		rate = 500
		timeout = 5
		max_inflight = 32
	}
}
events {
	stats_interval = 1
	${FAULTS_EVENTS:-}
}
api {
	gauge_interval = 1
}
${FAULTS_TOP:-}"
	poll_setup "$fleet" "$pextra" || return 1
	mkdir -p "$TEST_TMP/inv"
	# shellcheck disable=SC2086
	"$HERALD_SIM" $fleet --write-inventory "$TEST_TMP/inv" 2>/dev/null
	"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q \
		"$TEST_TMP/inv/subscribers.csv" >/dev/null 2>&1 || return 1
	NSUBS=$(q "$DB" "SELECT count(*) FROM subscribers")
	API=$(sed -n 's/^\tlisten = "\(.*\)"$/\1/p' "$HCONF")
	wait_log "$HLOG" "inventory: index loaded.* $NSUBS accounts" 30 &&
		wait_log "$HLOG" "notify: 1 gateway" 10
}

metric() {
	local v i
	for i in 1 2 3 4 5; do	# a busy machine: a scrape may fail
		curl -s -m 10 -o "$TEST_TMP/metrics.txt" -w '%{http_code}' \
			"http://$API/metrics" >"$TEST_TMP/metrics.code" 2>&1
		v=$(awk -v m="$1" '$1 == m { print $2; exit }' "$TEST_TMP/metrics.txt")
		[ -n "$v" ] && break
		sleep 0.5
	done
	echo "$v"
}

phone_dist() {
	smsc_messages | cut -f1 | sort | uniq -c | awk '{ print $1 }' |
		sort -n | uniq -c | awk '{ printf "%s x%s\n", $2, $1 }'
}

phones_each() {
	local want=$1 got
	got=$(smsc_messages | cut -f1 | sort | uniq -c | awk '{ print $2, $1 }')
	# every subscriber phone, with the count the SMSC has for it
	q "$DB" "SELECT phones[1] FROM subscribers ORDER BY 1" |
	    awk -v want="$want" -v got="$got" '
		BEGIN { n = split(got, l, "\n")
			for (i = 1; i <= n; i++) { split(l[i], f, " "); c[f[1]] = f[2] } }
		{ seen[$1] = 1; if ((c[$1] + 0) != want) bad++ }
		END { for (p in c) if (!(p in seen)) bad++; exit bad > 0 }'
}

dup_rows() {
	q "$DB" "SELECT
	  (SELECT count(*) FROM (SELECT scope_key FROM incidents
	    WHERE state IN ('suspected', 'confirmed') GROUP BY 1 HAVING count(*) > 1) a) + 0 ||
	  ' ' || (SELECT count(*) FROM (SELECT incident_id FROM tickets
	    WHERE kind = 'outage' GROUP BY 1 HAVING count(*) > 1) b) ||
	  ' ' || (SELECT count(*) FROM (SELECT subscriber_id, kind FROM notifications
	    WHERE state IN ('queued', 'held', 'sending', 'sent', 'delivered')
	    GROUP BY 1, 2 HAVING count(*) > 1) c)"
}

notice_rows() {
	q "$DB" "SELECT kind || ':' || st || ':' || count(*) FROM (SELECT kind,
		CASE WHEN state IN ('sent', 'delivered') THEN 'told' ELSE state END st
		FROM notifications) n GROUP BY kind, st ORDER BY 1" | tr '\n' ' '
}

outbox_idle() {
	[ -z "$(q "$DB" "SELECT 1 FROM notifications WHERE state IN
		('queued', 'held', 'sending') LIMIT 1")" ]
}

events_from() {
	q "$DB" "SELECT count(*) FROM events WHERE device_id = $(dev_id "$1")"
}

# settled N: every phone has N messages and the outbox is idle
settled() {
	phones_each "$1" && outbox_idle
}

# wait_settled N SECONDS: wait_for with a clock (decoding the SMSC log of a
# few hundred messages takes a while on a busy machine)
wait_settled() {
	local end=$((SECONDS + $2))
	until settled "$1" 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.5
	done
}

# faults_dump: what the database holds, for a failed check's diagnosis
faults_dump() {
	diag "incidents: $(q "$DB" "SELECT id || ' ' || scope_key || ' ' || state || ' ' || coalesce(cause, '-') || ' ' || affected_accounts FROM incidents ORDER BY id" | tr '\n' ';')"
	diag "tickets: $(q "$DB" "SELECT kind || ':' || coalesce(incident_id::text, '-') || ':' || state FROM tickets ORDER BY id" | tr '\n' ' ')"
	diag "notices: $(notice_rows)"
	diag "events: $(q "$DB" "SELECT source || ':' || coalesce(kind, 'raw') || ':' || action || ':' || count(*) FROM events GROUP BY source, kind, action ORDER BY 1" | tr '\n' ' ')"
}

# FAULTS_KEEP=1 (by hand): keep the test's database for a post-mortem
if [ -n "${FAULTS_KEEP:-}" ]; then
	new_db() {
		local name="t_keep_$(basename "$0" .sh | tr -c 'a-z0-9\n' '_')_$$"
		psql -X -q -h "$HERALD_TEST_PGHOST" -p "$HERALD_TEST_PGPORT" -U postgres \
			-d postgres -c "CREATE DATABASE $name" >/dev/null || return 1
		echo "# kept database: $name" >&2
		echo "host=$HERALD_TEST_PGHOST port=$HERALD_TEST_PGPORT user=postgres dbname=$name"
	}
fi
[ -n "${FAULTS_KEEP:-}" ] &&
	TEST_CLEANUP="$TEST_CLEANUP mkdir -p /tmp/faults-keep; cp -r \"\$TEST_TMP\"/*.log* \"\$TEST_TMP\"/kannel /tmp/faults-keep/ 2>/dev/null;"

# ok_or_dump DESC COMMAND...: ok, and on failure faults_dump
ok_or_dump() {
	local desc=$1; shift
	if "$@" >"$TEST_TMP/ok.out" 2>&1; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $*"
		faults_dump
	fi
}

# new_listen: a fresh http.listen port in $HCONF before a restart (the old
# one, from the ephemeral range, may be taken by then); updates API
new_listen() {
	API="127.0.0.1:$(pg_free_port)"
	sed -i "s|^\tlisten = \".*\"$|\tlisten = \"$API\"|" "$HCONF"
}

# Each fault test says how long it took (the suite's budget is ~4 minutes).
TEST_CLEANUP="$TEST_CLEANUP echo \"# run time: \$SECONDS s\";"
