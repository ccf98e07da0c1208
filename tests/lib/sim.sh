# sim.sh: run herald-sim and a real, independent trap receiver (Debian's
# snmptrapd) in a system test. Source after tap.sh.
#
#   start_sim [herald-sim options]   fleet on 127.A.B.1.. with a random port,
#                                    control socket $SIM_SOCK; sets SIM_PID
#   sim COMMAND...                   one command over the control socket
#   sim_addr N                       "ADDR:PORT" of the N-th device (from 1)
#   start_trapd                      snmptrapd -f -n -On on a free UDP port;
#                                    sets TRAPD_PORT, TRAPD_LOG (a new log
#                                    for each receiver started)
#   trap_count OID                   traps received whose snmpTrapOID is OID
#   traps_with OID                   those traps, one per line

HERALD_SIM="$top_builddir/herald-sim"
SIM_USER=herald
SIM_AUTH=authpass123
SIM_PRIV=privpass123
SIM_ENGINE=0x80001f8804686572616c642d73696d
SIM_V3="-v3 -l authPriv -u $SIM_USER -a SHA -A $SIM_AUTH -x AES -X $SIM_PRIV"

sim() {
	"$HERALD_SIM" -C "$SIM_SOCK" "$@"
}

start_sim() {
	SIM_SOCK="$TEST_TMP/sim.sock"
	SIM_IP="127.$((RANDOM % 200 + 20)).$((RANDOM % 250)).1"
	SIM_PORT=$(free_udp_port)
	"$HERALD_SIM" -n -S "$SIM_SOCK" -l "$SIM_IP:$SIM_PORT" \
	    --v3-user $SIM_USER --auth-pass $SIM_AUTH --priv-pass $SIM_PRIV \
	    "$@" >"$TEST_TMP/sim.out" 2>"$TEST_TMP/sim.err" &
	SIM_PID=$!
	TEST_PIDS="$TEST_PIDS $SIM_PID"
	wait_for 10 sim list || { diag "$(cat "$TEST_TMP/sim.err")"; return 1; }
}

sim_addr() {
	local a b c d
	IFS=. read -r a b c d <<<"$SIM_IP"
	echo "$a.$b.$c.$((d + $1 - 1)):$SIM_PORT"
}

start_trapd() {
	command -v snmptrapd >/dev/null || skip_all "snmptrapd is not installed"
	TRAPD_PORT=$(free_udp_port)
	TRAPD_N=$((${TRAPD_N:-0} + 1))
	TRAPD_LOG="$TEST_TMP/traps$TRAPD_N.log"
	cat >"$TEST_TMP/snmptrapd.conf" <<EOF
disableAuthorization yes
createUser -e $SIM_ENGINE $SIM_USER SHA $SIM_AUTH AES $SIM_PRIV
EOF
	# -n: no reverse DNS per trap (it makes snmptrapd lose bursts)
	snmptrapd -f -n -On -C -c "$TEST_TMP/snmptrapd.conf" -m '' \
	    -M /nonexistent -Lf "$TRAPD_LOG" "udp:127.0.0.1:$TRAPD_PORT" \
	    >/dev/null 2>&1 &
	TEST_PIDS="$TEST_PIDS $!"
	wait_for 10 sh -c "ss -lun | grep -q '127.0.0.1:$TRAPD_PORT '"
}

# snmptrapd -On writes each trap's varbinds on one line, tab separated:
# "... .1.3.6.1.6.3.1.1.4.1.0 = OID: .X<TAB>..."; the source on the line above.
traps_with() {
	local re=${1//./\\.}
	grep -E "1\.3\.6\.1\.6\.3\.1\.1\.4\.1\.0 = OID: \.$re(	|\$)" \
	    "$TRAPD_LOG" 2>/dev/null
}

trap_count() {
	traps_with "$1" | wc -l | tr -d ' '
}

traps_at_least() {
	[ "$(trap_count "$2")" -ge "$1" ]
}

# wait_traps N OID [SECONDS]: until N traps with OID have arrived.
wait_traps() {
	wait_for "${3:-10}" traps_at_least "$1" "$2"
}
