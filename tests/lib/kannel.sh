# kannel.sh: a real Kannel 1.4.5 (Debian kannel + kannel-extras) on
# loopback for the notifier's tests and benchmarks: bearerbox, smsbox and
# the fake SMSC client fakesmsc, which prints every message it is handed.
# Source after tests/lib/tap.sh (or bench/kannel.sh, which stands in for it:
# this file needs TEST_TMP, TEST_PIDS, wait_for, diag and pg_free_port).
#
#   start_kannel            write the config in $KANNEL_DIR ($TEST_TMP/kannel)
#                           with free ports, start the three processes, wait
#                           until sendsms answers and the SMSC link is online.
#                           Sets KANNEL_SENDSMS_URL, KANNEL_USER, KANNEL_PASS,
#                           KANNEL_ADMIN_URL, KANNEL_ADMIN_PASS, SMSC_LOG.
#                           Options (variables, read at start):
#                             KANNEL_LOG_LEVEL  bearerbox/smsbox, 0 = debug
#                             KANNEL_THROUGHPUT fake SMSC msg/s (unset: none)
#   stop_kannel [-9]        stop all three (SIGTERM after the fake SMSC has
#                           logged all Kannel sent, or SIGKILL: a crash);
#                           sendsms then refuses connections
#   kannel_drain [SECONDS]  until the fake SMSC has logged all Kannel sent
#   start_kannel_again      the same config and ports; SMSC_LOG continues
#   smsc_disconnect         only fakesmsc goes away (killed: a line Kannel
#                           wrote but it had not read yet is lost, as with a
#                           real SMSC crash); the link reconnects and sendsms
#                           answers "3: Queued for later delivery"
#   smsc_reconnect          fakesmsc back; Kannel delivers what it queued
#   kannel_admin CMD [ARGS] GET an admin command (status.txt, suspend,
#                           resume, stop-smsc&smsc=fake1, ...); prints reply
#   sendsms TO TEXT [PARAMS] GET sendsms with TEXT percent-encoded; prints
#                           "CODE BODY"; PARAMS: more "&k=v", already encoded
#   smsc_messages [--parts] one line per message the fake SMSC received,
#                           "TO<TAB>TEXT" in UTF-8 (UCS-2 decoded, the parts
#                           of a concatenated message joined unless --parts)
#   smsc_count [TO]         how many (of them to TO)
#   wait_smsc N [SECONDS]   until at least N messages arrived (default 30 s)
#
# Kannel itself cannot be told to answer sendsms slowly or with 5xx: what it
# can do is refuse connections (stopped), "403 Not routable" (admin
# stop-smsc) and "202 3: Queued" (SMSC link down). For 5xx, hangs and slow
# answers put tests/tools/gw-proxy.py in front (start_gw_proxy below).
#
#   start_gw_proxy          proxy on a free port to smsbox; sets GW_PROXY_URL
#                           (…/cgi-bin/sendsms through it), GW_PROXY_LOG
#   gw_proxy_mode MODE      pass | 503 | hang | reset | delay MS | garbage
#
# Delivery reports: the fake SMSC makes them itself for every message whose
# dlr-mask has bit 1 or 2 (and Kannel adds type 8, the SMSC ack, for bit 8);
# the only config they need is dlr-storage and an smsc-id on the smsc group.

KANNEL_SBIN=${KANNEL_SBIN:-/usr/sbin}
FAKESMSC=${FAKESMSC:-/usr/lib/kannel/test/fakesmsc}
KANNEL_USER=herald
KANNEL_PASS=gwsecret
KANNEL_ADMIN_PASS=adminsecret
KANNEL_SMSC_ID=fake1
KANNEL_SENDER=10086
KANNEL_TOOLS="${top_srcdir:-.}/tests/tools"

need_kannel() {
	[ -x "$KANNEL_SBIN/bearerbox" ] && [ -x "$KANNEL_SBIN/smsbox" ] ||
		skip_all "Kannel is not installed (Debian kannel)"
	[ -x "$FAKESMSC" ] ||
		skip_all "fakesmsc is not installed (Debian kannel-extras)"
	command -v curl >/dev/null || skip_all "curl is not installed"
}

# The one config writer, for the tests and bench/kannel.sh alike. The
# sendsms user may send concatenated messages (a Chinese notice over 70
# characters goes out in parts); the catch-all service only exists because
# smsbox refuses to start without one.
kannel_write_conf() {
	cat >"$KANNEL_DIR/kannel.conf" <<EOF
group = core
admin-port = $KANNEL_ADMIN_PORT
admin-password = $KANNEL_ADMIN_PASS
admin-interface = 127.0.0.1
admin-allow-ip = 127.0.0.1
smsbox-port = $KANNEL_BOX_PORT
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
wdp-interface-name = ""
dlr-storage = internal
log-file = "$KANNEL_DIR/bearerbox.log"
log-level = ${KANNEL_LOG_LEVEL:-0}

group = smsc
smsc = fake
smsc-id = $KANNEL_SMSC_ID
port = $KANNEL_SMSC_PORT
connect-allow-ip = 127.0.0.1
${KANNEL_THROUGHPUT:+throughput = $KANNEL_THROUGHPUT}

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $KANNEL_BOX_PORT
sendsms-port = $KANNEL_SENDSMS_PORT
sendsms-interface = 127.0.0.1
global-sender = $KANNEL_SENDER
log-file = "$KANNEL_DIR/smsbox.log"
log-level = ${KANNEL_LOG_LEVEL:-0}
# A delivery report that cannot reach heraldd (restarting, its database
# away) is fetched again: herald needs every submit report to know a
# message was taken (see doc/notify.md).
http-request-retry = 30
http-queue-delay = 1

group = sendsms-user
username = $KANNEL_USER
password = $KANNEL_PASS
max-messages = 10
concatenation = true

group = sms-service
keyword = default
text = "No service"
catch-all = true
EOF
}

# Four distinct free ports; a port taken between the check and bearerbox's
# bind shows up as a failed start, and start_kannel then tries new ones.
kannel_pick_ports() {
	local used=" " p v
	for v in KANNEL_ADMIN_PORT KANNEL_BOX_PORT KANNEL_SMSC_PORT \
	    KANNEL_SENDSMS_PORT; do
		p=$(pg_free_port)
		while [ "${used#* "$p" }" != "$used" ]; do p=$(pg_free_port); done
		used="$used$p "
		printf -v "$v" %s "$p"
	done
	KANNEL_SENDSMS_URL="http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms"
	KANNEL_ADMIN_URL="http://127.0.0.1:$KANNEL_ADMIN_PORT"
}

kannel_forget_pid() {
	TEST_PIDS=$(echo "$TEST_PIDS" | sed "s/ $1\b//")
}

kannel_admin() {
	local cmd=$1; shift
	curl -s -m 10 "$KANNEL_ADMIN_URL/$cmd?password=$KANNEL_ADMIN_PASS${1:+&$*}"
}

# fakesmsc without messages to send is interactive and exits at EOF on its
# stdin; a FIFO opened read-write gives it a stdin that never ends without
# leaving another process around. Its log (stderr) is SMSC_LOG, appended.
kannel_start_smsc() {
	[ -p "$KANNEL_DIR/smsc.in" ] || mkfifo "$KANNEL_DIR/smsc.in"
	"$FAKESMSC" -H 127.0.0.1 -r "$KANNEL_SMSC_PORT" \
	    <>"$KANNEL_DIR/smsc.in" >>"$SMSC_LOG" 2>&1 &
	KANNEL_SMSC_PID=$!
	TEST_PIDS="$TEST_PIDS $KANNEL_SMSC_PID"
}

kannel_smsc_online() {
	kannel_admin status.txt | grep -q "^ *$KANNEL_SMSC_ID\[.*(online"
}

kannel_smsc_offline() {
	! kannel_smsc_online
}

kannel_sendsms_answers() {
	curl -s -o /dev/null -m 5 "$KANNEL_SENDSMS_URL"
}

# Bearerbox first (it owns the SMSC and box ports), then the fake SMSC,
# which dies if it cannot connect, then smsbox; as in Kannel's own
# checks/check_sendsms.sh.
kannel_launch() {
	"$KANNEL_SBIN/bearerbox" "$KANNEL_DIR/kannel.conf" \
	    >>"$KANNEL_DIR/bearerbox.out" 2>&1 &
	KANNEL_BB_PID=$!
	TEST_PIDS="$TEST_PIDS $KANNEL_BB_PID"
	KANNEL_SMSC_BASE=$(kannel_smsc_got)
	wait_for 30 kannel_admin status.txt || return 1
	kannel_start_smsc
	"$KANNEL_SBIN/smsbox" "$KANNEL_DIR/kannel.conf" \
	    >>"$KANNEL_DIR/smsbox.out" 2>&1 &
	KANNEL_SMSBOX_PID=$!
	TEST_PIDS="$TEST_PIDS $KANNEL_SMSBOX_PID"
	wait_for 30 kannel_sendsms_answers && wait_for 30 kannel_smsc_online
}

kannel_launch_failed() {
	diag "Kannel did not come up; bearerbox log:"
	diag "$(tail -5 "$KANNEL_DIR/bearerbox.log" 2>/dev/null)"
	diag "$(tail -5 "$SMSC_LOG" 2>/dev/null)"
	stop_kannel -9
}

start_kannel() {
	local _
	KANNEL_DIR=${KANNEL_DIR:-$TEST_TMP/kannel}
	mkdir -p "$KANNEL_DIR"
	SMSC_LOG="$KANNEL_DIR/fakesmsc.log"
	: >"$SMSC_LOG"
	for _ in 1 2 3; do
		kannel_pick_ports
		kannel_write_conf
		kannel_launch && return 0
		kannel_launch_failed
	done
	return 1
}

start_kannel_again() {
	kannel_launch || { kannel_launch_failed; return 1; }
}

kannel_stop_pid() {
	local sig=$1 pid=$2 i=0
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null
	# bearerbox shuts down gracefully and may take seconds; wait for it
	# so that the ports are free for start_kannel_again
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	kannel_forget_pid "$pid"
}

# Messages (not parts) the fake SMSC has logged: a part of a concatenated
# message counts when it is the last (its UDH ends "total, number": small,
# always %-encoded). Cheap enough to poll on 100,000 lines, unlike decoding.
kannel_smsc_got() {
	awk '/Got message/ {
		if (match($0, / udh [^ ]+ /)) {
			n = split(substr($0, RSTART + 5, RLENGTH - 6), b, "%")
			if (b[n] != b[n - 1]) next
		}
		c++
	} END { print c + 0 }' "$SMSC_LOG"
}

kannel_bb_sent() {
	kannel_admin status.txt |
		sed -n 's/^SMS: received .*, sent \([0-9]*\) .*/\1/p'
}

# kannel_drain [SECONDS]: until the fake SMSC has logged every message
# bearerbox counts as sent since it started, or nothing moved for SECONDS
# (default 15). Needed before a stop: fakesmsc drops the lines it has
# buffered when it sees EOF, and Kannel counts a message as sent (and makes
# its DLR) when it writes it to the socket, not when fakesmsc reads it.
kannel_drain() {
	local quiet=${1:-15} got last=-1 still=$SECONDS sent
	while :; do
		sent=$(kannel_bb_sent)
		[ -n "$sent" ] || return 1
		got=$(( $(kannel_smsc_got) - KANNEL_SMSC_BASE ))
		[ "$got" -ge "$sent" ] && return 0
		[ "$got" != "$last" ] && { last=$got; still=$SECONDS; }
		[ $((SECONDS - still)) -ge "$quiet" ] && return 1
		sleep 0.1
	done
}

# A graceful stop: smsbox first (nothing new comes in), then the drain, then
# bearerbox, which closes the SMSC link, and fakesmsc exits at EOF. -9 is a
# crash: all three at once, whatever was in flight.
stop_kannel() {
	if [ "${1:-}" = -9 ]; then
		kill -KILL ${KANNEL_SMSBOX_PID:-} ${KANNEL_SMSC_PID:-} \
		    ${KANNEL_BB_PID:-} 2>/dev/null
	fi
	kannel_stop_pid TERM "${KANNEL_SMSBOX_PID:-}"
	[ -n "${KANNEL_BB_PID:-}" ] && [ "${1:-}" != -9 ] && kannel_drain
	kannel_stop_pid TERM "${KANNEL_BB_PID:-}"
	kannel_stop_pid TERM "${KANNEL_SMSC_PID:-}"
	KANNEL_SMSBOX_PID="" KANNEL_SMSC_PID="" KANNEL_BB_PID=""
}

smsc_disconnect() {
	kannel_stop_pid TERM "$KANNEL_SMSC_PID"
	KANNEL_SMSC_PID=""
	wait_for 30 kannel_smsc_offline
}

smsc_reconnect() {
	kannel_start_smsc
	wait_for 30 kannel_smsc_online
}

# Percent-encoding in python: the shell has no UTF-8-safe way to do it.
kannel_urlencode() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

sendsms() {
	local url="${SENDSMS_URL:-$KANNEL_SENDSMS_URL}"
	curl -s -m 30 -w ' %{http_code}' \
	    "$url?username=$KANNEL_USER&password=$KANNEL_PASS&to=$(kannel_urlencode "$1")&text=$(kannel_urlencode "$2")${3:-}" |
		sed 's/^\(.*\) \([0-9]*\)$/\2 \1/'
}

smsc_messages() {
	python3 "$KANNEL_TOOLS/smsc-decode.py" "$@" <"$SMSC_LOG"
}

smsc_count() {
	if [ $# -gt 0 ]; then
		smsc_messages | awk -F '\t' -v to="$1" '$1 == to' | wc -l
	else
		smsc_messages | wc -l
	fi | tr -d ' '
}

# Polls against the clock: decoding the log takes a while on a slow machine
# and wait_for counts tries, not seconds.
wait_smsc() {
	local end=$((SECONDS + ${2:-30}))
	while [ "$(smsc_count)" -lt "$1" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

start_gw_proxy() {
	GW_PROXY_LOG="$TEST_TMP/gw-proxy.log"
	GW_PROXY_CTL="$TEST_TMP/gw-proxy.mode"
	echo pass >"$GW_PROXY_CTL"
	rm -f "$TEST_TMP/gw-proxy.port"
	python3 "$KANNEL_TOOLS/gw-proxy.py" --upstream \
	    "http://127.0.0.1:$KANNEL_SENDSMS_PORT" --control "$GW_PROXY_CTL" \
	    --log "$GW_PROXY_LOG" --port-file "$TEST_TMP/gw-proxy.port" \
	    2>"$TEST_TMP/gw-proxy.err" &
	GW_PROXY_PID=$!
	TEST_PIDS="$TEST_PIDS $GW_PROXY_PID"
	wait_for 15 test -s "$TEST_TMP/gw-proxy.port" || return 1
	GW_PROXY_URL="http://127.0.0.1:$(cat "$TEST_TMP/gw-proxy.port")/cgi-bin/sendsms"
}

# The proxy reads the file on every request: the mode changes at once.
gw_proxy_mode() {
	echo "$*" >"$GW_PROXY_CTL.new" && mv "$GW_PROXY_CTL.new" "$GW_PROXY_CTL"
}
