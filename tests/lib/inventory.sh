# inventory.sh: helpers for the inventory tests (tests/system/3x-*.sh),
# sourced after tap.sh.

GEN_INVENTORY="$top_srcdir/bench/gen-inventory"

# inv_db: a fresh, migrated database; prints its conninfo.
inv_db() {
	local db
	db=$(new_db) || return 1
	"$HERALDCTL" db migrate -d "$db" >/dev/null || return 1
	echo "$db"
}

# inv_gen DIR ARGS...: generate an inventory into DIR.
inv_gen() {
	local dir=$1; shift
	python3 "$GEN_INVENTORY" --out "$dir" "$@" >/dev/null
}

# inv_state CONNINFO: everything an import may change, in one line: row
# counts and a digest of every account with its place. Equal before and
# after means the inventory was left untouched.
inv_state() {
	q "$1" "SELECT (SELECT count(*) FROM devices) || ' devices, ' ||
	    (SELECT count(*) FROM subscribers) || ' subscribers, ' ||
	    (SELECT count(*) FROM onus) || ' onus, ' ||
	    (SELECT count(*) FROM dsl_lines) || ' lines, ' ||
	    (SELECT count(*) FROM splitters) || ' splitters, ' ||
	    (SELECT md5(coalesce(string_agg(l.account || '@' ||
	        coalesce(inventory_place(l.onu_ref, l.dsl_line_id), '') || '/' ||
	        s.phones::text || '/' || coalesce(s.name, ''), ',' ORDER BY
	        l.account), '')) FROM subscriber_locations l
	        JOIN subscribers s ON s.id = l.subscriber_id)"
}

# inv_import CONNINFO ARGS...: heraldctl inventory import; the output is
# left in $TEST_TMP/out and $TEST_TMP/err, the status in INV_RC.
inv_import() {
	local db=$1; shift
	"$HERALDCTL" -c /nonexistent -d "$db" inventory import -q "$@" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	INV_RC=$?
}
