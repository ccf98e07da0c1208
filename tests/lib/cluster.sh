# cluster.sh: several heraldd instances on one machine sharing one
# PostgreSQL database through leases (issue 14), for tests/system/9x-*.
# Source after tap.sh, sim.sh, poll.sh, kannel.sh and faults.sh.
#
#   cluster_setup N "SIM OPTIONS" [CONF EXTRA]
#                       Kannel must be running (start_kannel). A new
#                       database (or $CLUSTER_DB), herald-sim's fleet
#                       sending every trap to all N instances, its devices
#                       and subscribers imported, and N heraldd named
#                       n1..nN (own trap port, http port, state_dir and
#                       log; cluster.lease $CLUSTER_LEASE, default 4 s;
#                       poller at 1 s; a 2 s hold-down; notices through
#                       Kannel, whose delivery reports reach a live
#                       instance through tests/tools/vip-proxy.py at
#                       $CL_VIP). Sets DB, NSUBS, CL_N, CL_TOKEN (role
#                       admin). CONF EXTRA goes at the end of every config;
#                       $CL_GW_RATE: each instance's gateway rate (500/s).
#   cl_start I          (re)start instance I (log $TEST_TMP/nI.log.K)
#   cl_kill I           SIGKILL, reaped          cl_term I   SIGTERM, waited
#   cl_stop I / cl_cont I  SIGSTOP / SIGCONT
#   cl_pid I / cl_log I / cl_api I (its http.listen) / cl_conf I
#   cl_owner DEVICE     owner of a live lease on the device ("" if none)
#   cl_devices_of NAME  device names with a live lease held by NAME
#   cl_counts           "n1=K n2=K ..." live leases per instance
#   cl_unowned          devices without a live lease
#   cl_balanced         none unowned, and the live instances that are not
#                       draining hold within one of each other
#   cl_alarms KIND DEVS raised alarms of KIND on those devices (alarms table)
#   cl_dump             leases, instances, moves, fenced and faults_dump
#   cl_moves [SQL COND] "at device from to epoch reason" of cluster_moves
#   cl_fenced [NAME]    sum of entries refused (cluster_fenced)
#   cl_metric I NAME    a value from instance I's /metrics
#   cl_http I PATH      GET with the admin token; prints the body
#   outage_sms [PHONE]  outage texts at the fake SMSC (of PHONE)
#   restored_sms        restored texts at the fake SMSC
#   sms_by_kind KIND    "PHONE COUNT" lines for KIND (outage|restored)
#   phones_of DEVICES   the subscribers' phones under those devices (names,
#                       comma separated), one a line, sorted
#   each_once KIND DEVS every phone under DEVS got exactly one KIND text and
#                       no other phone got any (prints the mismatches);
#                       wait_each_once KIND DEVS SECONDS until it holds;
#                       once_in / wait_once_in: the same for the phones
#                       listed in a file
#
# The instances are SIGCONTed before the test's clean-up, which would
# otherwise wait forever for a stopped process to take its SIGTERM.

CLUSTER_LEASE=${CLUSTER_LEASE:-4}
CL_N=0

cluster_setup() {
	local n=$1 fleet=$2 extra=${3:-} i targets="" name kind style model addr rest
	if [ -n "${CLUSTER_DB:-}" ]; then
		DB=$CLUSTER_DB
	else
		DB=$(new_db) || return 1
	fi
	"$HERALDCTL" db migrate -d "$DB" >/dev/null || return 1
	CL_N=$n
	for i in $(seq "$n"); do
		eval "CL_TRAP_$i=$(free_udp_port)"
		eval "CL_HTTP_$i=127.0.0.1:$(pg_free_port)"
		targets="$targets${targets:+,}udp:127.0.0.1:$(eval echo "\$CL_TRAP_$i")"
	done
	CL_TARGETS=$targets
	cl_start_vip || return 1
	# shellcheck disable=SC2086
	start_sim $fleet -t "$targets" || return 1
	sim list | while read -r name kind style rest; do
		addr=$(echo "$rest" | grep -oE '[0-9.]+:[0-9]+' | head -1)
		model=${rest%% $addr*}
		q "$DB" "INSERT INTO devices (name, kind, vendor, model, mgmt_addr, snmp_port, snmp_profile)
			VALUES ('$name', '$kind', '$(poll_vendor "$style")', '$model',
			'${addr%:*}', ${addr##*:}, 'default')" >/dev/null
	done
	mkdir -p "$TEST_TMP/inv"
	# shellcheck disable=SC2086
	"$HERALD_SIM" $fleet --write-inventory "$TEST_TMP/inv" 2>/dev/null
	"$HERALDCTL" -c /nonexistent -d "$DB" inventory import -q \
		"$TEST_TMP/inv/subscribers.csv" >/dev/null 2>&1 || return 1
	NSUBS=$(q "$DB" "SELECT count(*) FROM subscribers")
	CL_TOKEN=$(api_token "$DB" cluster-test admin)
	cat >"$TEST_TMP/policy.conf" <<'EOP'
hold_down = 2
EOP
	for i in $(seq "$n"); do
		cl_write_conf "$i" "$extra"
	done
	for i in $(seq "$n"); do
		cl_start "$i"
	done
	for i in $(seq "$n"); do
		wait_log "$(cl_log "$i")" "notify: 1 gateway" 30 || return 1
	done
}

# The front every instance names as notify.dlr_url (a VIP or a load
# balancer in production, tests/tools/vip-proxy.py here): the gateway's
# delivery reports for a message sent by an instance that died reach a live
# one (doc/cluster.md).
cl_start_vip() {
	local i backends=""
	CL_VIP=127.0.0.1:$(pg_free_port)
	for i in $(seq "$CL_N"); do
		backends="$backends --backend $(eval echo "\$CL_HTTP_$i")"
	done
	# shellcheck disable=SC2086
	python3 "$top_srcdir/tests/tools/vip-proxy.py" --listen "$CL_VIP" \
	    $backends 2>"$TEST_TMP/vip.log" &
	TEST_PIDS="$TEST_PIDS $!"
	wait_for 10 eval "(exec 3<>/dev/tcp/${CL_VIP%:*}/${CL_VIP#*:}) 2>/dev/null"
}

cl_write_conf() {
	local i=$1 extra=${2:-} dir="$TEST_TMP/n$1"
	mkdir -p "$dir/state"
	cat >"$dir/h.conf" <<EOC
state_dir = "$dir/state"
database {
	conninfo = "${CLUSTER_CONNINFO:-$DB}"
	heartbeat = 1
	connect_timeout = 2
}
snmp {
	trap_listen = {"udp:127.0.0.1:$(eval echo "\$CL_TRAP_$i")"}
	profile_dir = "$top_srcdir/collectors/profiles"
}
http {
	listen = "$(eval echo "\$CL_HTTP_$i")"
}
poll {
	interval = 1
	onu_interval = 4
	unreachable_after = 2
	timeout = 300
	retries = 0
	confirm_delay = 1
	stats_interval = 1
	max_inflight = 2
	max_rate = 50
}
rules {
	policy = "$TEST_TMP/policy.conf"
	stats_interval = 1
}
notify {
	signature = "【星河宽带】"
	templates = "$top_srcdir/rules/templates"
	quiet_hours = ""
	stats_interval = 1
	dlr_url = "http://$CL_VIP"
	gateway "kannel" {
		url = "$KANNEL_SENDSMS_URL"
		username = "$KANNEL_USER"
		password = "$KANNEL_PASS"
		rate = ${CL_GW_RATE:-500}
		timeout = 5
		max_inflight = 32
	}
}
events {
	stats_interval = 1
}
api {
	gauge_interval = 1
}
cluster {
	enabled = true
	name = "n$i"
	lease = $CLUSTER_LEASE
	api_url = "http://$(eval echo "\$CL_HTTP_$i")"
	stats_interval = 1
}
log {
	level = "debug"
	debug = "cluster,rules,poll"
}
$extra
EOC
}

cl_conf() { echo "$TEST_TMP/n$1/h.conf"; }
cl_pid() { eval echo "\${CL_PID_$1:-}"; }
cl_api() { eval echo "\$CL_HTTP_$1"; }
cl_log() { eval echo "\${CL_LOG_$1:-$TEST_TMP/n$1.log.1}"; }

cl_start() {
	local i=$1 k
	k=$(( $(eval echo "\${CL_RUNS_$i:-0}") + 1 ))
	eval "CL_RUNS_$i=$k CL_LOG_$i=$TEST_TMP/n$i.log.$k"
	start_heraldd "$(cl_conf "$i")" "$(cl_log "$i")"
	eval "CL_PID_$i=$HERALDD_PID"
}

cl_forget() {
	TEST_PIDS=$(echo "$TEST_PIDS" | sed "s/ $1\b//")
}

cl_kill() {
	local pid
	pid=$(cl_pid "$1")
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cl_forget "$pid"
}

cl_term() {
	local pid
	pid=$(cl_pid "$1")
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	CL_STOP_RC=$?
	cl_forget "$pid"
}

cl_stop() { kill -STOP "$(cl_pid "$1")"; }
cl_cont() { kill -CONT "$(cl_pid "$1")"; }

cluster_cont_all() {
	local i
	for i in $(seq "${CL_N:-0}"); do
		[ -n "$(cl_pid "$i")" ] && kill -CONT "$(cl_pid "$i")" 2>/dev/null
	done
}
trap 'cluster_cont_all; tap_cleanup' EXIT

# Leases held now (not expired), by the clock of PostgreSQL.
cl_live="expires_at > now() AND owner IS NOT NULL"

cl_owner() {
	q "$DB" "SELECT coalesce((SELECT l.owner FROM device_leases l JOIN devices d
		ON d.id = l.device_id WHERE d.name = '$1' AND l.$cl_live), '')"
}

cl_devices_of() {
	q "$DB" "SELECT d.name FROM device_leases l JOIN devices d ON d.id = l.device_id
		WHERE l.owner = '$1' AND l.$cl_live ORDER BY d.id"
}

cl_counts() {
	q "$DB" "SELECT i.name || '=' || count(l.device_id) FROM instances i
		LEFT JOIN device_leases l ON l.owner = i.name AND l.$cl_live
		WHERE i.cluster GROUP BY i.name ORDER BY i.name" | tr '\n' ' ' | sed 's/ $//'
}

cl_unowned() {
	q "$DB" "SELECT count(*) FROM devices d LEFT JOIN device_leases l
		ON l.device_id = d.id AND l.$cl_live WHERE l.device_id IS NULL"
}

# Live leases per instance differ by at most one, and none is unowned.
cl_balanced() {
	[ "$(cl_unowned)" = 0 ] || return 1
	q "$DB" "SELECT max(c) - min(c) <= 1 FROM (SELECT i.name, count(l.device_id) c
		FROM instances i LEFT JOIN device_leases l ON l.owner = i.name AND l.$cl_live
		WHERE i.cluster AND NOT i.draining AND
		    i.cluster_seen + make_interval(secs => i.lease_seconds) > now()
		GROUP BY i.name) s" | grep -qx t
}

cl_moves() {
	q "$DB" "SELECT to_char(m.at, 'HH24:MI:SS.MS') || ' ' || d.name || ' ' ||
		coalesce(m.from_owner, '-') || ' ' || coalesce(m.to_owner, '-') || ' ' ||
		m.epoch || ' ' || m.reason FROM cluster_moves m JOIN devices d ON d.id = m.device_id
		${1:+WHERE $1} ORDER BY m.id"
}

cl_fenced() {
	q "$DB" "SELECT coalesce(sum(entries), 0) FROM cluster_fenced
		${1:+WHERE instance = '$1'}"
}

cl_metric() {
	local v t
	for t in 1 2 3 4 5; do
		v=$(curl -s -m 5 "http://$(cl_api "$1")/metrics" |
			awk -v m="$2" '$1 == m { print $2; exit }')
		[ -n "$v" ] && break
		sleep 0.3
	done
	echo "$v"
}

cl_http() {
	curl -s -m 10 -H "Authorization: Bearer $CL_TOKEN" "http://$(cl_api "$1")$2"
}

# The texts at the fake SMSC by their wording (rules/templates/*.zh.txt).
sms_by_kind() {
	local re
	case $1 in
	outage) re='断网' ;;
	restored) re='已恢复' ;;
	esac
	smsc_messages | awk -F '\t' -v re="$re" '$2 ~ re { print $1 }' |
		sort | uniq -c | awk '{ print $2, $1 }'
}

outage_sms() {
	sms_by_kind outage | awk -v p="${1:-}" 'p == "" || $1 == p { n += $2 } END { print n + 0 }'
}

restored_sms() {
	sms_by_kind restored | awk '{ n += $2 } END { print n + 0 }'
}

phones_of() {
	local list
	list=$(echo "$1" | sed "s/[^,][^,]*/'&'/g")
	q "$DB" "SELECT s.phones[1] FROM subscribers s JOIN onus o ON o.id = s.onu_id
		JOIN ports p ON p.id = o.port_id JOIN boards b ON b.id = p.board_id
		JOIN devices d ON d.id = b.device_id WHERE d.name IN ($list) ORDER BY 1"
}

# once_in KIND FILE: every phone listed in FILE got exactly one KIND text
# and no other phone got any: prints "missing=N twice=N stray=N"; true
# when all 0.
once_in() {
	sms_by_kind "$1" >"$TEST_TMP/got.phones"
	awk 'FNR == NR { want[$1] = 1; next }
		{ got[$1] = $2 }
		END {
			for (p in want) { if (!(p in got)) miss++; else if (got[p] > 1) twice++ }
			for (p in got) if (!(p in want)) stray++
			printf "missing=%d twice=%d stray=%d\n", miss, twice, stray
			exit (miss + twice + stray) > 0
		}' "$2" "$TEST_TMP/got.phones"
}

# each_once KIND DEVICES: once_in for the phones under those devices.
each_once() {
	phones_of "$2" >"$TEST_TMP/want.phones"
	once_in "$1" "$TEST_TMP/want.phones"
}

# wait_once_in KIND FILE SECONDS, wait_each_once KIND DEVICES SECONDS:
# until it holds (by the clock).
wait_once_in() {
	local end=$((SECONDS + $3))
	until once_in "$1" "$2" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.5
	done
}
wait_each_once() {
	phones_of "$2" >"$TEST_TMP/want.phones"
	wait_once_in "$1" "$TEST_TMP/want.phones" "$3"
}

# The alarms of one kind raised (open) on these devices, from the alarms
# table (what the rules engine wrote), and duplicates per place.
cl_alarms() {
	local list
	list=$(echo "$2" | sed "s/[^,][^,]*/'&'/g")
	q "$DB" "SELECT count(*) FROM alarms a JOIN devices d ON d.id = a.device_id
		WHERE a.kind = '$1' AND a.state = 'raised' AND d.name IN ($list)"
}

cl_dump() {
	diag "leases: $(q "$DB" "SELECT d.name || ':' || coalesce(l.owner, '-') || ':' || l.epoch || ':' || CASE WHEN l.expires_at > now() THEN 'live' ELSE 'expired' END FROM device_leases l JOIN devices d ON d.id = l.device_id ORDER BY d.id" | tr '\n' ' ')"
	diag "instances: $(q "$DB" "SELECT name || ':' || coalesce(to_char(cluster_seen, 'HH24:MI:SS'), '-') || ':' || draining FROM instances ORDER BY name" | tr '\n' ' ')"
	diag "moves: $(cl_moves | tail -30 | tr '\n' ';')"
	diag "fenced: $(cl_fenced)"
	faults_dump
}

# ok_or_dump DESC COMMAND...: faults.sh's, with the cluster's rows as well
ok_or_dump() {
	local desc=$1; shift
	if "$@" >"$TEST_TMP/ok.out" 2>&1; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $*"
		cl_dump
	fi
}
