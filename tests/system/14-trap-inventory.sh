#!/bin/bash
# 14-trap-inventory: the known devices come from the devices table. A
# device added later is known as soon as the inventory importer sends
# NOTIFY inventory_changed, and one removed stops being accepted.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
command -v snmptrap >/dev/null || skip_all "snmptrap (Debian snmp) is not installed"
plan 5

trap_start
strap 127.0.0.7 -v2c -c public "$TRAP_TO" '' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.7 i 7 >/dev/null
ok "a trap from 127.0.0.7 is from an unknown source" wait_stat unknown_source 1
q "$db" "INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES (7, 'dslam7', 'dslam', 'acme', 'D1', '127.0.0.7'); NOTIFY inventory_changed" >/dev/null
ok "NOTIFY inventory_changed reloads the devices" wait_log "$TEST_TMP/h.log" "trap: 6 devices known"
strap 127.0.0.7 -v2c -c public "$TRAP_TO" '' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.7 i 7 >/dev/null
ok "now its trap is accepted as dsl.line_down on line 7" wait_rows "device_id = 7 AND kind = 'dsl.line_down' AND line = 7" 1
q "$db" "DELETE FROM devices WHERE id = 7; NOTIFY inventory_changed, 'devices'" >/dev/null
ok "a removed device is forgotten" wait_log "$TEST_TMP/h.log" "trap: 5 devices known"
strap 127.0.0.7 -v2c -c public "$TRAP_TO" '' 1.3.6.1.6.3.1.1.5.3 >/dev/null
ok "and its traps are unknown_source again" wait_stat unknown_source 2
