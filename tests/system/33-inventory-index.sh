#!/bin/bash
# 33-inventory-index: the in-memory topology index gives the same answers
# as SQL on a generated inventory that has been through a bulk first load
# (120,000 accounts: the foreign keys are suspended and revalidated) and a
# merge (accounts added, removed and moved): every device, board, port, splitter, ONU and
# DSL line; every account's scope; every phone and ONU serial; every
# DSL line by the ifIndex its file gave it. The checks
# are the cmocka program tests/unit/test_inventory_index; its TAP is ours.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
prog="$top_builddir/tests/unit/test_inventory_index"
[ -x "$prog" ] || skip_all "built without cmocka"

db=$(inv_db)
inv_gen "$TEST_TMP/a" --subscribers 120000 --olts 60 --dslams 6 --dsl-share 0.1 \
	--if-index
inv_gen "$TEST_TMP/b" --subscribers 120000 --olts 60 --dslams 6 --dsl-share 0.1 \
	--remove-every 31 --move-every 17 --add 400 --if-index
# One more account at the place of the first one, its mobile written with
# the long-distance 0 (013800138000): test_phone_trunk_zero looks it up.
sed -n 2p "$TEST_TMP/b/subscribers.csv" |
	sed 's/^[^,]*,\([^,]*\),[^,]*,/Z013800138000,\1,013800138000,/' \
	>>"$TEST_TMP/b/subscribers.csv"
inv_import "$db" -D "$TEST_TMP/a/devices.csv" || true
inv_import "$db" "$TEST_TMP/a/subscribers.csv"
[ "$INV_RC" = 0 ] || { echo "1..1"; fail "the base inventory imports"; exit 0; }
inv_import "$db" "$TEST_TMP/b/subscribers.csv"
[ "$INV_RC" = 0 ] || { echo "1..1"; fail "the changed inventory imports"; exit 0; }
fks=$(q "$db" "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('onus'::regclass, 'subscribers'::regclass)")
[ "$fks" = 4 ] || { echo "1..1"; fail "the foreign keys are back after the bulk load ($fks)"; exit 0; }
# One PON port with an ifIndex (Huawei's GPON 0/1/0 layout): test_ifindex
# finds it as a port, since no DSL line hangs off it.
q "$db" "UPDATE ports SET if_index = 4194312192 WHERE id = (SELECT p.id FROM ports p JOIN onus o ON o.port_id = p.id JOIN subscribers s ON s.onu_id = o.id ORDER BY p.id LIMIT 1)" >/dev/null
HERALD_TEST_CONNINFO="$db" CMOCKA_MESSAGE_OUTPUT=TAP "$prog"
