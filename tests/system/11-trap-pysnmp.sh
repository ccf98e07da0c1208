#!/bin/bash
# 11-trap-pysnmp: a second SNMP implementation (pysnmp) sends v1, v2c and
# v3 traps and informs in each vendor's format; heraldd must read them the
# same way as net-snmp's (rows in events, answered informs, counters).
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
PY=/usr/bin/python3
$PY -c 'import pysnmp.hlapi' 2>/dev/null || skip_all "python3-pysnmp4 is not installed"
plan 9

send() { $PY "$top_srcdir/tests/lib/pysnmp-send.py" "$@"; }
trap_start
HW="1.3.6.1.4.1.2011.6.3.3.1.1.1.0=i:0 1.3.6.1.4.1.2011.6.3.3.2.1.1.0=i:4 1.3.6.1.4.1.2011.6.3.3.4.1.1.0=i:7 1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0=i:33"

send 127.0.0.1 "$TRAP_TO" v2c trap 1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.12 $HW
ok "v2c Huawei ONT LOS: onu.los raise on 0/4/7 ONT 33" \
	wait_rows "device_id = 1 AND kind = 'onu.los' AND action = 'raise' AND slot = 4 AND port = 7 AND onu = 33 AND pdu = 'v2c-trap'" 1
ok "v2c inform (LOS recover) is acknowledged" \
	send 127.0.0.1 "$TRAP_TO" v2c inform 1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.13 $HW
ok "  and stored as the clear" wait_rows "device_id = 1 AND kind = 'onu.los' AND action = 'clear' AND pdu = 'v2c-inform'" 1

send 127.0.0.4 "$TRAP_TO" v1 trap - --enterprise 1.3.6.1.4.1.3902.1012.3.45 --specific 123 \
	1.3.6.1.4.1.3902.1012.3.28.1.1.2.268501248.3=s:onu-3
ok "v1 ZTE DGi (enterprise-specific): onu.dying_gasp on 1/1/1 ONU 3" \
	wait_rows "device_id = 4 AND pdu = 'v1-trap' AND kind = 'onu.dying_gasp' AND slot = 1 AND port = 1 AND onu = 3" 1
send 127.0.0.3 "$TRAP_TO" v1 trap - --enterprise 1.3.6.1.4.1.9 --generic 3 --community dslcomm \
	1.3.6.1.2.1.2.2.1.1.1001=i:1001
ok "v1 generic linkUp from the DSLAM clears line 1001" \
	wait_rows "device_id = 3 AND kind = 'dsl.line_down' AND action = 'clear' AND line = 1001" 1

send 127.0.0.2 "$TRAP_TO" v3 trap 1.3.6.1.4.1.3902.1012.3.45.161 \
	1.3.6.1.2.1.2.2.1.1.268567296=i:268567296 \
	--user zteuser --auth zte-auth-pass --priv zte-priv-pass --engine $V3_ENGINE
ok "v3 authPriv trap: ZTE PON LOS on 1/2/3" \
	wait_rows "device_id = 2 AND pdu = 'v3-trap' AND kind = 'pon.los' AND slot = 2 AND port = 3" 1
ok "v3 authPriv inform is acknowledged" \
	send 127.0.0.2 "$TRAP_TO" v3 inform 1.3.6.1.4.1.3902.1012.3.45.162 \
	1.3.6.1.2.1.2.2.1.1.268567296=i:268567296 --user zteuser --auth zte-auth-pass --priv zte-priv-pass
ok "  and stored as the PON LOS clear" \
	wait_rows "device_id = 2 AND pdu = 'v3-inform' AND kind = 'pon.los' AND action = 'clear'" 1
ok "counters: 6 accepted, 2 informs answered, no rejects" \
	wait_for 10 sh -c "[ \"\$(psql -X -qAt -d '$db' -c \"SELECT string_agg(name || '=' || value, ' ' ORDER BY name) FROM collector_stats WHERE collector = 'trap' AND name IN ('accepted', 'informs_answered', 'usm_failure', 'parse_error')\")\" = 'accepted=6 informs_answered=2 parse_error=0 usm_failure=0' ]"
