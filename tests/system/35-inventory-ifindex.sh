#!/bin/bash
# 35-inventory-ifindex: the subscriber file's if_index column gives each
# DSL port the ifIndex its linkDown names (ports.if_index): imported,
# checked row by row (range, OLT rows, one value per port, one port per
# value), moved with the file, and kept by a file without the column.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
plan 16

db=$(inv_db)
T=$TEST_TMP
inv_gen "$T/base" --subscribers 60 --olts 2 --dslams 2 --dsl-share 0.2 --if-index
good=$T/base/subscribers.csv
inv_import "$db" -D "$T/base/devices.csv"
inv_import "$db" "$good"
is "a file with if_index imports" "$INV_RC" 0
# "ifIndex=DEVICE slot/port" of every port that has one, as the database
# holds them, sorted, on one line.
ports() {
	q "$db" "SELECT p.if_index || '=' || d.name || ' ' || b.slot || '/' ||
	    p.port FROM ports p JOIN boards b ON b.id = p.board_id
	    JOIN devices d ON d.id = b.device_id WHERE p.if_index IS NOT NULL" |
		sort | paste -sd,
}
is "every DSL port has the ifIndex of its rows" "$(ports)" \
	"$(awk -F, 'NR > 1 && $17 != "" {print $17 "=" $9 " " $11 "/" $12}' "$good" | sort | paste -sd,)"
is "12 DSL ports, no PON port has one" \
	"$(q "$db" "SELECT count(*) FILTER (WHERE kind = 'dsl'), count(*) FILTER (WHERE kind = 'pon') FROM ports WHERE if_index IS NOT NULL")" \
	"12|0"
like "ifIndexes above 2^31 are kept whole" "$(ports)" "^33554[0-9]{5}=DSLAM"
before=$(inv_state "$db")
before_ports=$(ports)

# Each if_index check, all in one file, reported with line numbers. The
# DSL rows come last, one port each, alternating DSLAM-0000 and -0001:
# lines c and e are two ports of one DSLAM.
first_dsl=$(awk -F, 'NR > 1 && $17 != "" {print NR; exit}' "$good")
a=$first_dsl; b=$((a + 1)); c=$((a + 2)); d=$((a + 3)); e=$((a + 4))
ifx_e=$(awk -F, -v e=$e 'NR == e {print $17}' "$good")
awk -F, -v a=$a -v b=$b -v c=$c -v d=$d -v v="$ifx_e" 'BEGIN { OFS = "," }
	NR == a { $17 = "eth0" }                  # not a number
	NR == b { $17 = "4294967296" }            # 2^32
	NR == d { $17 = "0" }                     # ifIndex starts at 1
	NR == 3 { $17 = "7" }                     # an OLT row
	NR == c { $17 = v }                       # line e'"'"'s ifIndex
	{ print }' "$good" >"$T/rows.csv"
inv_import "$db" "$T/rows.csv"
is "bad if_index rows: refused" "$INV_RC" 1
err=$(cat "$T/err")
like "not a number" "$err" "line $a: bad if_index \"eth0\" \\(1-4294967295\\)"
like "above 32 bits" "$err" "line $b: bad if_index \"4294967296\""
like "zero" "$err" "line $d: bad if_index \"0\""
like "on an OLT row" "$err" \
	'line 3: if_index is for DSL lines: "OLT-0000" is an OLT'
like "one ifIndex at two ports of a DSLAM" "$err" \
	"line $e: conflicting attachment: DSLAM-0000 if_index $ifx_e is also another port's \\(line $c\\)"
is "the previous inventory and its ifIndexes are untouched" \
	"$(inv_state "$db") $(ports)" "$before $before_ports"

# Two rows for one DSL port must agree on its ifIndex.
awk -F, -v a=$a 'BEGIN { OFS = "," }
	NR == a { print; $1 = $1 "X"; $17 = "12345"; print; next }
	{ print }' "$good" >"$T/two.csv"
inv_import "$db" "$T/two.csv"
like "two ifIndexes for one DSL port" "$(cat "$T/err")" \
	"line $((a + 1)): conflicting attachment: DSLAM-000[01] 0/[0-9]+/[0-9]+ has if_index \"[0-9]+\" on line $a, \"[0-9]+\" here"

# The next day two ports of DSLAM-0000 swap their ifIndexes (a line card
# renumbered).
awk -F, -v a=$a -v b=$c 'BEGIN { OFS = "," }
	NR == FNR { if (FNR == a) x = $17; if (FNR == b) y = $17; next }
	FNR == a { $17 = y } FNR == b { $17 = x } { print }' "$good" "$good" >"$T/swap.csv"
inv_import "$db" "$T/swap.csv"
is "a file with two ifIndexes swapped imports" "$INV_RC" 0
xa=$(awk -F, -v a=$a 'NR == a {print $17 "=" $9 " " $11 "/" $12}' "$T/swap.csv")
xb=$(awk -F, -v b=$c 'NR == b {print $17 "=" $9 " " $11 "/" $12}' "$T/swap.csv")
like "the first port has the second's ifIndex" "$(ports)" "(^|,)$xa(,|$)"
like "and the second the first's" "$(ports)" "(^|,)$xb(,|$)"
after_swap=$(ports)

# A file without the column leaves the ifIndexes as they are.
cut -d, -f1-16 "$T/swap.csv" >"$T/none.csv"
inv_import "$db" "$T/none.csv"
is "a file without if_index keeps them" "$INV_RC $(ports)" "0 $after_swap"
