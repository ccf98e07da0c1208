#!/bin/bash
# 33-inventory-index: the in-memory topology index gives the same answers
# as SQL on a generated inventory that has been through a merge (accounts
# added, removed and moved): every device, board, port, splitter, ONU and
# DSL line; every account's scope; every phone and ONU serial. The checks
# are the cmocka program tests/unit/test_inventory_index; its TAP is ours.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
prog="$top_builddir/tests/unit/test_inventory_index"
[ -x "$prog" ] || skip_all "built without cmocka"

db=$(inv_db)
inv_gen "$TEST_TMP/a" --subscribers 4000 --olts 12 --dslams 3 --dsl-share 0.1
inv_gen "$TEST_TMP/b" --subscribers 4000 --olts 12 --dslams 3 --dsl-share 0.1 \
	--remove-every 31 --move-every 17 --add 40
inv_import "$db" -D "$TEST_TMP/a/devices.csv" || true
inv_import "$db" "$TEST_TMP/a/subscribers.csv"
[ "$INV_RC" = 0 ] || { echo "1..1"; fail "the base inventory imports"; exit 0; }
inv_import "$db" "$TEST_TMP/b/subscribers.csv"
[ "$INV_RC" = 0 ] || { echo "1..1"; fail "the changed inventory imports"; exit 0; }
HERALD_TEST_CONNINFO="$db" CMOCKA_MESSAGE_OUTPUT=TAP "$prog"
