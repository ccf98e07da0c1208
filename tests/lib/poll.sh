# poll.sh: heraldd with its poller against a herald-sim fleet, for the
# poller's system tests. Source after tap.sh and sim.sh.
#
#   poll_setup "SIM OPTIONS" [EXTRA CONF]  database, fleet, devices rows,
#                                          heraldd; sets DB, HLOG, TRAP_PORT
#                                          (EXTRA CONF goes in poll {};
#                                          $POLL_TOP after the sections,
#                                          $POLL_HTTP in http {})
#   poll_stat NAME                         the poller's counter NAME, as
#                                          published in collector_stats
#   alarm_set DEVICE                       raised alarms from events, one
#                                          "kind f/s/p:onu" per line, sorted
#   dev_id NAME                            devices.id of a device

poll_vendor() {
	case $1 in
	huawei) echo "huawei" ;;
	zte-*) echo "zte" ;;
	fiberhome) echo "fiberhome" ;;
	*) echo "generic" ;;
	esac
}

poll_setup() {
	local simopts=$1 extra=${2:-} name kind style model addr rest
	if [ -n "${POLL_DB:-}" ]; then	# a private server the test may restart
		DB=$POLL_DB
	else
		need_db
		DB=$(new_db)
	fi
	"$HERALDCTL" db migrate -d "$DB" >/dev/null || return 1
	TRAP_PORT=$(free_udp_port)
	# shellcheck disable=SC2086
	start_sim $simopts -t "udp:127.0.0.1:$TRAP_PORT" || return 1
	sim list | while read -r name kind style rest; do
		# "olt1 olt huawei MA5800 127.1.0.1:161 ..." (models may have blanks)
		addr=$(echo "$rest" | grep -oE '[0-9.]+:[0-9]+' | head -1)
		model=${rest%% $addr*}
		q "$DB" "INSERT INTO devices (name, kind, vendor, model, mgmt_addr, snmp_port, snmp_profile)
			VALUES ('$name', '$kind', '$(poll_vendor "$style")', '$model',
			'${addr%:*}', ${addr##*:}, '${POLL_CRED:-default}')" >/dev/null
	done
	HCONF="$TEST_TMP/h.conf"
	HLOG="$TEST_TMP/h.log"
	mkdir -p "$TEST_TMP/state"
	cat >"$HCONF" <<EOC
state_dir = "$TEST_TMP/state"
database {
	conninfo = "$DB"
}
snmp {
	trap_listen = {"udp:127.0.0.1:$TRAP_PORT"}
	profile_dir = "$top_srcdir/collectors/profiles"
	${POLL_SNMP:-}
}
http {
	listen = "127.0.0.1:$(free_udp_port)"
	${POLL_HTTP:-}
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
	$extra
}
log {
	level = "debug"
	debug = "poll"
}
${POLL_TOP:-}
EOC
	start_heraldd "$HCONF" "$HLOG"
	wait_log "$HLOG" "poll: [0-9]+ devices" 15
}

poll_stat() {
	q "$DB" "SELECT coalesce(max(value), 0) FROM collector_stats
		WHERE collector = 'poll' AND name = '$1'"
}

dev_id() {
	q "$DB" "SELECT id FROM devices WHERE name = '$1'"
}

# What the events say is raised now: the last action per alarm.
alarm_set() {
	q "$DB" "SELECT kind || ' ' || coalesce(frame::text, '-') || '/' ||
		coalesce(slot::text, '-') || '/' || coalesce(port::text, '-') ||
		coalesce(':' || onu, '') || coalesce(' line ' || line, '')
		FROM (SELECT DISTINCT ON (kind, frame, slot, port, onu, line)
			kind, frame, slot, port, onu, line, action
			FROM events WHERE device_id = $(dev_id "$1") AND kind IS NOT NULL
			ORDER BY kind, frame, slot, port, onu, line, at DESC, uid DESC) s
		WHERE action = 'raise' ORDER BY 1"
}

alarm_count() {
	alarm_set "$1" | grep -c "^$2" || true
}
