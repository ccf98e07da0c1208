# traps.sh: helpers for the trap collector's system tests (10-19): a
# database with known devices, a heraldd listening for traps on a free
# loopback port, and the counters it publishes in collector_stats.
#
# Devices (all on 127.0.0.0/8; senders pick their source with --clientaddr):
#   1 olt-hw    127.0.0.1  huawei MA5800-X7   default     (community public)
#   2 olt-zte3  127.0.0.2  zte    C320        zte-v3      (authPriv SHA/AES)
#   3 dslam1    127.0.0.3  acme   D5000       dsl         (community dslcomm)
#   4 olt-zte   127.0.0.4  zte    C300        default     (community public)
#   5 olt-auth  127.0.0.5  huawei MA5608T     hw-auth     (authNoPriv MD5)

V3_ENGINE=0x80001F8880C0FFEE0102030405
V3ZTE="-v3 -u zteuser -l authPriv -a SHA -A zte-auth-pass -x AES -X zte-priv-pass"
V3AUTH="-v3 -u hwuser -l authNoPriv -a MD5 -A hw-auth-pass"

# trap_start EXTRA_CONF: database, devices, heraldd; sets db, TRAP_PORT.
trap_start() {
	db=${TRAP_DB:-$(new_db)}
	"$HERALDCTL" db migrate -d "$db" >/dev/null
	q "$db" "INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr, snmp_profile) VALUES
		(1, 'olt-hw', 'olt', 'huawei', 'MA5800-X7', '127.0.0.1', 'default'),
		(2, 'olt-zte3', 'olt', 'zte', 'C320', '127.0.0.2', 'zte-v3'),
		(3, 'dslam1', 'dslam', 'acme', 'D5000', '127.0.0.3', 'dsl'),
		(4, 'olt-zte', 'olt', 'zte', 'C300', '127.0.0.4', 'default'),
		(5, 'olt-auth', 'olt', 'huawei', 'MA5608T', '127.0.0.5', 'hw-auth')" >/dev/null
	write_conf "$TEST_TMP/h.conf" "$db" "
trap {
	stats_interval = 1
	${TRAP_EXTRA:-}
}
events {
	stats_interval = 1
	flush_interval = 20
	${EVENTS_EXTRA:-}
}"
	# Credentials go into the snmp section write_conf made.
	sed -i "/^snmp {/a\\
	credentials \"zte-v3\" {\\
		version = \"3\"\\
		user = \"zteuser\"\\
		auth_protocol = \"SHA\"\\
		auth_password = \"zte-auth-pass\"\\
		priv_protocol = \"AES\"\\
		priv_password = \"zte-priv-pass\"\\
		engine_id = \"$V3_ENGINE\"\\
	}\\
	credentials \"hw-auth\" {\\
		version = \"3\"\\
		user = \"hwuser\"\\
		auth_protocol = \"MD5\"\\
		auth_password = \"hw-auth-pass\"\\
		engine_id = \"$V3_ENGINE\"\\
	}\\
	credentials \"dsl\" {\\
		version = \"2c\"\\
		community = \"dslcomm\"\\
	}" "$TEST_TMP/h.conf"
	TRAP_PORT=$(sed -n 's/.*trap_listen = {"udp:127.0.0.1:\([0-9]*\)"}.*/\1/p' "$TEST_TMP/h.conf")
	TRAP_TO="127.0.0.1:$TRAP_PORT"
	start_heraldd "$TEST_TMP/h.conf" "$TEST_TMP/h.log"
	wait_log "$TEST_TMP/h.log" "trap: [0-9]+ devices? known" 20
}

# stat NAME [COLLECTOR]: a counter from collector_stats (empty if none yet).
stat() {
	q "$db" "SELECT value FROM collector_stats WHERE collector = '${2:-trap}' AND name = '$1'"
}

# wait_stat NAME VALUE [COLLECTOR]: until the published counter equals VALUE.
stat_is() { [ "$(stat "$1" "${3:-trap}")" = "$2" ]; }
wait_stat() {
	wait_for 10 stat_is "$@" && return
	echo "# $1 is $(stat "$1" "${3:-trap}"), not $2" >&2
	return 1
}

# rows WHERE: number of events matching a condition.
rows() { q "$db" "SELECT count(*) FROM events WHERE $1"; }
rows_are() { [ "$(rows "$1")" = "$2" ]; }
wait_rows() { wait_for 10 rows_are "$1" "$2"; }

# snmptrap/snmpinform without the site's snmp.conf, from a chosen address.
strap() { local from=$1; shift; snmptrap --clientaddr="$from" "$@" 2>&1; }
sinform() { local from=$1; shift; snmpinform -t 5 -r 1 --clientaddr="$from" "$@" 2>&1; }

HW_DG=1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18
HW_DG_CLEAR=1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.19
HW_FRAME=1.3.6.1.4.1.2011.6.3.3.1.1.1.0
HW_SLOT=1.3.6.1.4.1.2011.6.3.3.2.1.1.0
HW_PORT=1.3.6.1.4.1.2011.6.3.3.4.1.1.0
HW_ONT=1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0
# hw_loc SLOT PORT ONT: the Huawei location varbinds.
hw_loc() { echo "$HW_FRAME i 0 $HW_SLOT i $1 $HW_PORT i $2 $HW_ONT i $3"; }
ZTE_NAME=1.3.6.1.4.1.3902.1012.3.28.1.1.2
