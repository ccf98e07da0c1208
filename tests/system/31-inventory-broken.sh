#!/bin/bash
# 31-inventory-broken: every kind of broken file is refused with its
# documented error (and line number), and the inventory in force stays
# exactly as it was: same rows, same places, same phones.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
plan 43

db=$(inv_db)
T=$TEST_TMP
inv_gen "$T/base" --subscribers 40 --olts 2
good=$T/base/subscribers.csv
inv_import "$db" -D "$T/base/devices.csv"
inv_import "$db" "$good"
is "the good file imports" "$INV_RC" 0
before=$(inv_state "$db")
like "the inventory in force" "$before" "^3 devices, 40 subscribers, 38 onus, 2 lines"

# refused NAME FILE REGEX: the import fails with the message, nothing changes.
refused() {
	inv_import "$db" "$2"
	is "$1: refused" "$INV_RC" 1
	like "$1: says why" "$(cat "$T/err")" "$3"
	is "$1: the previous inventory is untouched" "$(inv_state "$db")" "$before"
}

sed '1s/phones/phone/' "$good" >"$T/header.csv"
refused "wrong header" "$T/header.csv" \
	'failed: line 1: wrong header: unknown column "phone"'

sed '1s/,circuit_id//; 1s/onu_serial,/onu_serial,circuit_id,/; 1s/phones,//' "$good" >"$T/missing.csv"
refused "a missing column" "$T/missing.csv" \
	'failed: line 1: wrong header: missing column "phones"'

iconv -f UTF-8 -t GB18030 "$good" >"$T/gbk.csv"
refused "GBK instead of UTF-8" "$T/gbk.csv" \
	'line 2: not valid UTF-8 in column "name" \(the file must be UTF-8, not GBK\)'
like "GBK: and the whole file fails on the threshold" "$(cat "$T/err")" \
	"40 of 40 rows rejected \(100.00%\), more than the error threshold of 1%"

gzip -c "$good" >"$T/full.csv.gz"
head -c $(( $(stat -c %s "$T/full.csv.gz") / 2 )) "$T/full.csv.gz" >"$T/cut.csv.gz"
refused "truncated gzip" "$T/cut.csv.gz" \
	'failed: damaged gzip file: it ends too early \(truncated download\?\)'

awk -F, 'NR == 5 { OFS = ","; NF = 12 } { print }' "$good" >"$T/twelve.csv"
refused "a row with 12 columns" "$T/twelve.csv" 'line 5: 12 fields, expected 16'
like "12 columns: one bad row of 40 is over 1%" "$(cat "$T/err")" \
	"1 of 40 rows rejected \(2.50%\)"

sed '7s/,OLT-0000,/,OLT-9999,/' "$good" >"$T/olt.csv"
refused "an unknown OLT" "$T/olt.csv" 'line 7: unknown device "OLT-9999"'

# Each row-level check, all in one file, reported with line numbers.
awk -F, 'BEGIN { OFS = "," }
	NR == 3 { $3 = "" }                      # missing phone
	NR == 4 { $3 = "138-abc" }               # malformed phone
	NR == 5 { $1 = "A000000001" }            # duplicate of line 3
	NR == 12 { $13 = 9 }                     # ONU 0/1/0:9 again, other serial
	NR == 13 { $14 = "HWTC00000009" }        # serial of line 11 elsewhere
	NR == 8 { $12 = "port9" }                # bad port number
	NR == 9 { $6 = "fr" }                    # bad language
	{ print }' "$good" >"$T/rows.csv"
refused "bad rows" "$T/rows.csv" 'line 3: missing phone'
err=$(cat "$T/err")
like "malformed phone" "$err" 'line 4: malformed phone "138-abc"'
like "duplicate account" "$err" 'line 5: duplicate account "A000000001" \(first on line 3\)'
like "conflicting attachment: two serials for one ONU" "$err" \
	'line 12: conflicting attachment: OLT-0000 0/1/0:9 has serial "HWTC00000008" on line 10, "HWTC0000000A" here'
like "conflicting attachment: one serial at two places" "$err" \
	'line 13: conflicting attachment: ONU serial "HWTC00000009" is also at another place \(line 11\)'
like "bad port number" "$err" 'line 8: bad port number "port9"'
like "bad language" "$err" 'line 9: bad language "fr" \(zh or en\)'
is "the rejected lines are recorded with the failed import" \
	"$(q "$db" "SELECT string_agg(line::text, ',' ORDER BY line) FROM inventory_import_errors WHERE import_id = (SELECT max(id) FROM inventory_imports)")" \
	"3,4,5,8,9,12,13"

: >"$T/empty.csv"
refused "an empty file" "$T/empty.csv" 'failed: the file is empty'
head -1 "$good" >"$T/header-only.csv"
refused "a header without rows" "$T/header-only.csv" \
	'failed: no rows after the header: refusing to empty the inventory'
refused "a file that is not there" "file://$T/nonexistent.csv" \
	"cannot fetch file://$T/nonexistent.csv"
is "a failed download is recorded too" \
	"$(q "$db" "SELECT result || ' ' || error FROM inventory_imports ORDER BY id DESC LIMIT 1")" \
	"failed cannot fetch: Couldn't open file $T/nonexistent.csv"

is "failed imports are recorded as failed" \
	"$(q "$db" "SELECT count(*) FROM inventory_imports WHERE result = 'failed'")" 10
