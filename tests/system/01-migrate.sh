#!/bin/bash
# 01-migrate: heraldctl db migrate on an empty database, again (a no-op),
# and a broken migration that must roll back and name file, line, statement.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
plan 12

db=$(new_db)
out=$("$HERALDCTL" db migrate -d "$db" 2>&1)
like "first run applies 001_core.sql" "$out" "applied 001_core.sql"
tables="devices boards ports splitters onus dsl_lines subscribers alarms incidents incident_accounts tickets ticket_history complaints notifications instances"
missing=""
for t in $tables; do
	[ "$(q "$db" "SELECT to_regclass('public.$t') IS NOT NULL")" = t ] ||
		missing="$missing $t"
done
is "every core table exists" "$missing" ""
n=$(q "$db" "SELECT count(*) FROM schema_migrations")
is "each migration is recorded once" "$n" "$(ls "$top_srcdir"/schema/[0-9]*.sql | wc -l)"

out=$("$HERALDCTL" db migrate -d "$db" 2>&1)
like "second run does nothing" "$out" "up to date"
is "second run records nothing more" "$(q "$db" "SELECT count(*) FROM schema_migrations")" "$n"
ok "db status reports nothing pending" "$HERALDCTL" db status -d "$db"

# The workflow in SQL: a ticket cannot jump from new to closed.
q "$db" "INSERT INTO devices (name, kind, vendor, mgmt_addr) VALUES ('olt1','olt','huawei','127.0.0.2')" >/dev/null
inc=$(q "$db" "INSERT INTO incidents (kind, scope, title) VALUES ('pon.los','port','t') RETURNING id" | head -1)
tk=$(q "$db" "INSERT INTO tickets (kind, incident_id, title) VALUES ('outage', $inc, 't') RETURNING id" | head -1)
out=$(q "$db" "UPDATE tickets SET state='closed' WHERE id=$tk" 2>&1)
like "a ticket cannot go from new to closed" "$out" "no transition from new to closed"
q "$db" "SET herald.role = 'noc'; UPDATE tickets SET state='acknowledged' WHERE id=$tk" >/dev/null
is "allowed transitions are kept in ticket_history" \
	"$(q "$db" "SELECT string_agg(coalesce(from_state,'-') || '>' || to_state, ',' ORDER BY id) FROM ticket_history WHERE ticket_id=$tk")" \
	"->new,new>acknowledged"

# A broken migration: rolled back as a whole, with file, line and statement.
schema2="$TEST_TMP/schema"
mkdir -p "$schema2"
cp "$top_srcdir"/schema/[0-9]*.sql "$schema2/"
cat >"$schema2/998_good.sql" <<'SQL'
CREATE TABLE t998 (a int);
SQL
cat >"$schema2/999_broken.sql" <<'SQL'
CREATE TABLE t999 (a int);

INSERT INTO t999 VALUES (1);
INSERT INTO no_such_table VALUES (2);
SQL
out=$("$HERALDCTL" db migrate -d "$db" -s "$schema2" 2>&1)
rc=$?
is "a failed migration exits 1" "$rc" "1"
like "it names the file and line" "$out" "999_broken.sql:4: relation \"no_such_table\" does not exist"
like "it shows the statement" "$out" "INSERT INTO no_such_table VALUES \(2\)"
is "the earlier good migration stays applied, the broken one leaves nothing" \
	"$(q "$db" "SELECT to_regclass('t998') IS NOT NULL, to_regclass('t999') IS NULL, (SELECT count(*) FROM schema_migrations WHERE version='999')")" \
	"t|t|0"
