#!/bin/bash
# 30-inventory-import: heraldctl inventory import from a file: devices,
# subscribers (plain and gzip), the same file twice is a no-op, the diff of
# a changed file (added, removed, moved), rejected rows under the threshold,
# a dry run, and ids that outlive an import.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
plan 33

db=$(inv_db)
T=$TEST_TMP
inv_gen "$T/base" --subscribers 1000 --olts 10
inv_gen "$T/gz" --subscribers 1000 --olts 10 --gzip
inv_gen "$T/v2" --subscribers 1000 --olts 10 --remove-every 97 \
	--move-every 89 --add 5

inv_import "$db" -D "$T/base/devices.csv"
is "the device list imports" "$INV_RC" 0
is "11 devices" "$(q "$db" "SELECT count(*) FROM devices")" 11
is "kinds and addresses as in the file" \
	"$(q "$db" "SELECT kind || ' ' || host(mgmt_addr) || ' ' || site FROM devices WHERE name = 'OLT-0001'")" \
	"olt 10.1.0.1 越秀区第2机房"

inv_import "$db" "file://$T/base/subscribers.csv"
is "the subscriber file imports over file://" "$INV_RC" 0
like "it reports what it did" "$(cat "$T/out")" \
	"subscribers ok: 1000 rows, 1000 loaded, 0 rejected; 1000 added, 0 removed, 0 moved"
is "1000 subscribers, 950 ONUs, 50 DSL lines" \
	"$(q "$db" "SELECT (SELECT count(*) FROM subscribers) || ' ' || (SELECT count(*) FROM onus) || ' ' || (SELECT count(*) FROM dsl_lines)")" \
	"1000 950 50"
want_name=$(sed -n 3p "$T/base/subscribers.csv" | cut -d, -f2)
is "Chinese names arrive intact" \
	"$(q "$db" "SELECT name FROM subscribers WHERE account = 'A000000001'")" "$want_name"
is "phones are normalised (fixed line without the dash)" \
	"$(q "$db" "SELECT phones FROM subscribers WHERE account = 'A000000000'")" \
	"{13000000000,075580000000}"
is "language, contact and opt-out come from the file" \
	"$(q "$db" "SELECT language || contact || sms_opt_out FROM subscribers WHERE account = 'A000000000'")" \
	"envoicetrue"
is "the account hangs off its ONU under its splitter" \
	"$(q "$db" "SELECT device || ' ' || frame || '/' || slot || '/' || port || ':' || onu || ' ' || splitter || ' ' || serial FROM subscriber_locations WHERE account = 'A000000001'")" \
	"OLT-0000 0/1/0:2 SP-1-0-0 HWTC00000001"
sum=$(sha256sum "$T/base/subscribers.csv" | cut -d' ' -f1)
is "the import is recorded with source, checksum and counts" \
	"$(q "$db" "SELECT result || ' ' || source || ' ' || checksum || ' ' || rows_read || ' ' || added || ' ' || run_by FROM inventory_imports ORDER BY id DESC LIMIT 1")" \
	"ok file://$T/base/subscribers.csv $sum 1000 1000 heraldctl"

before=$(inv_state "$db")
stamp=$(q "$db" "SELECT max(updated_at) FROM subscribers")
inv_import "$db" "$T/base/subscribers.csv"
is "the same file twice succeeds" "$INV_RC" 0
like "and says it is unchanged" "$(cat "$T/out")" "subscribers unchanged"
is "nothing was written" "$(q "$db" "SELECT max(updated_at) FROM subscribers")" "$stamp"
is "it is recorded as unchanged" \
	"$(q "$db" "SELECT result FROM inventory_imports ORDER BY id DESC LIMIT 1")" unchanged

inv_import "$db" "$T/gz/subscribers.csv.gz"
is "the same content gzipped imports" "$INV_RC" 0
like "as a merge with no changes" "$(cat "$T/out")" \
	"1000 loaded, 0 rejected; 0 added, 0 removed, 0 moved, 0 updated"
is "and leaves the inventory as it was" "$(inv_state "$db")" "$before"

# Ids must outlive imports: incidents and their accounts point at them.
q "$db" "INSERT INTO incidents (kind, scope, title) VALUES ('pon.los', 'port', 't');
	INSERT INTO incident_accounts SELECT currval('incidents_id_seq'), id FROM subscribers WHERE account = 'A000000002'" >/dev/null
id2=$(q "$db" "SELECT id FROM subscribers WHERE account = 'A000000002'")

inv_import "$db" -n "$T/v2/subscribers.csv"
like "a dry run shows the diff" "$(cat "$T/out")" "dry run, nothing changed.*5 added, 11 removed, 11 moved"
is "and changes nothing" "$(inv_state "$db")" "$before"

inv_import "$db" "$T/v2/subscribers.csv"
is "a changed file imports" "$INV_RC" 0
like "the diff counts added, removed and moved accounts" "$(cat "$T/out")" \
	"994 rows, 994 loaded, 0 rejected; 5 added, 11 removed, 11 moved, 0 updated"
like "moved accounts are listed with both places" "$(cat "$T/out")" \
	"moved A000000001 from OLT-0000 0/1/0:2 to OLT-0000 0/18/0:2"
like "removed ones with their old place" "$(cat "$T/out")" "removed A000000097 at OLT-0001 0/1/0:3"
like "added ones with their new place" "$(cat "$T/out")" "added A000001000 at OLT-0000 0/17/0:1"
is "the database agrees" \
	"$(q "$db" "SELECT count(*) || ' ' || count(*) FILTER (WHERE account = 'A000000097') || ' ' || min(inventory_place(onu_id, dsl_line_id)) FILTER (WHERE account = 'A000000001') FROM subscribers")" \
	"994 0 OLT-0000 0/18/0:2"
is "an unchanged account keeps its id and its incident" \
	"$(q "$db" "SELECT s.id FROM subscribers s JOIN incident_accounts i ON i.subscriber_id = s.id WHERE s.account = 'A000000002'")" "$id2"
is "the ONUs nobody uses any more are gone" \
	"$(q "$db" "SELECT count(*) FROM onus o WHERE NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.onu_id = o.id)")" 0

# One bad row of 1000 is under the 1% threshold: the rest loads, and the
# account of the bad row keeps what it had.
sed '3s/,14000000001,/,12345,/' "$T/base/subscribers.csv" >"$T/onebad.csv"
inv_import "$db" "$T/onebad.csv"
is "one bad row in 1000 does not fail the import" "$INV_RC" 0
is "it is reported with its line number" "$(cat "$T/err")" 'line 3: malformed phone "12345"'
is "its account keeps its previous record" \
	"$(q "$db" "SELECT phones FROM subscribers WHERE account = 'A000000001'")" "{14000000001}"
is "the rejected line is recorded" \
	"$(q "$db" "SELECT rows_rejected || ' ' || e.line || ' ' || e.reason FROM inventory_imports i JOIN inventory_import_errors e ON e.import_id = i.id ORDER BY i.id DESC LIMIT 1")" \
	'1 3 malformed phone "12345"'
inv_import "$db" -t 0 -f "$T/onebad.csv"
is "with a threshold of 0 the same file fails" "$INV_RC" 1
