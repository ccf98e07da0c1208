/*
 * inventory_merge.c: merge a staged inventory into the live tables.
 *
 * This is a merge, not a truncate-and-reload: rows keep their ids when
 * nothing about them changed, because incidents, incident_accounts,
 * complaints and notifications point at them. Only rows that differ are
 * written, so the same content twice costs reads, not writes.
 *
 * Subscribers whose line was rejected keep their previous record (their
 * accounts are in inv_keep): a typo in today's file must not unsubscribe
 * someone. Boards and ports are never deleted here: the poller and the
 * trap collector name them too. ONUs, DSL lines and splitters that nothing
 * refers to any more are.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_merge.h"

static const char *const merge_stage_subscribers[] = {
	"CREATE TEMP TABLE inv_stage (line integer, account text, name text,"
	" phones text[], address text, region text, language text,"
	" contact text, sms_opt_out boolean, device_id bigint, frame integer,"
	" slot integer, port integer, onu integer, serial text,"
	" splitter text, circuit text, if_index bigint) ON COMMIT DROP",
	"CREATE TEMP TABLE inv_keep (account text) ON COMMIT DROP",
	"CREATE TEMP TABLE inv_fks (stmt text) ON COMMIT DROP",
	NULL
};


static const char *const merge_stage_devices[] = {
	"CREATE TEMP TABLE inv_dev (line integer, name text, kind text,"
	" vendor text, model text, mgmt_addr inet, snmp_profile text,"
	" region text, site text, snmp_port integer) ON COMMIT DROP",
	"CREATE TEMP TABLE inv_diff (what text, change text, was text,"
	" now text) ON COMMIT DROP",
	NULL
};

/* Up to the diff: the live accounts are not touched yet. */
static const char *const merge_subscribers_diff[] = {
	"ANALYZE inv_stage",
	/* See inventory_fk_suspend() in schema/030_inventory.sql. */
	"SELECT inventory_fk_suspend((SELECT count(*) FROM inv_stage))",
	"INSERT INTO boards (device_id, frame, slot)"
	" SELECT DISTINCT device_id, frame, slot FROM inv_stage"
	" ON CONFLICT (device_id, frame, slot) DO NOTHING",
	"INSERT INTO ports (board_id, port, kind)"
	" SELECT DISTINCT b.id, s.port,"
	"  CASE WHEN s.onu IS NULL THEN 'dsl' ELSE 'pon' END"
	" FROM inv_stage s JOIN boards b ON b.device_id = s.device_id"
	"  AND b.frame = s.frame AND b.slot = s.slot"
	" ON CONFLICT (board_id, port) DO NOTHING",
	"CREATE TEMP TABLE inv_rows ON COMMIT DROP AS"
	" SELECT s.*, p.id AS port_id FROM inv_stage s"
	" JOIN boards b ON b.device_id = s.device_id AND b.frame = s.frame"
	"  AND b.slot = s.slot"
	" JOIN ports p ON p.board_id = b.id AND p.port = s.port",
	"ANALYZE inv_rows",
	/*
	 * A DSL port's ifIndex, when the file gives one: what its linkDown
	 * names. An ifIndex that moved to another port leaves the old one
	 * first, so one ifIndex names one port of a device. A file without
	 * the column leaves what is there.
	 */
	"CREATE TEMP TABLE inv_ifx ON COMMIT DROP AS"
	" SELECT DISTINCT r.device_id, r.port_id, r.if_index FROM inv_rows r"
	" WHERE r.if_index IS NOT NULL",
	"UPDATE ports p SET if_index = NULL FROM boards b, inv_ifx n"
	" WHERE b.id = p.board_id AND b.device_id = n.device_id"
	"  AND p.if_index = n.if_index AND p.id <> n.port_id",
	"UPDATE ports p SET if_index = n.if_index FROM inv_ifx n"
	" WHERE p.id = n.port_id AND p.if_index IS DISTINCT FROM n.if_index",
	/* Plain inserts of what is missing: ON CONFLICT costs a speculative
	 * insertion per row, which a million rows notice. */
	"INSERT INTO splitters (port_id, name)"
	" SELECT DISTINCT r.port_id, r.splitter FROM inv_rows r"
	" WHERE r.splitter IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
	"  splitters sp WHERE sp.port_id = r.port_id AND sp.name = r.splitter)",
	"CREATE TEMP TABLE inv_onus ON COMMIT DROP AS"
	" SELECT r.port_id, r.onu, r.serial, sp.id AS splitter_id"
	" FROM inv_rows r LEFT JOIN splitters sp ON sp.port_id = r.port_id"
	"  AND sp.name = r.splitter"
	" WHERE r.onu IS NOT NULL GROUP BY 1, 2, 3, 4",
	"ANALYZE inv_onus",
	/* A serial that moves must leave its old place first (UNIQUE). */
	"UPDATE onus o SET serial = NULL FROM inv_onus n"
	" WHERE o.serial = n.serial"
	"  AND (o.port_id <> n.port_id OR o.onu_id <> n.onu)",
	"UPDATE onus o SET serial = n.serial, splitter_id = n.splitter_id"
	" FROM inv_onus n WHERE o.port_id = n.port_id AND o.onu_id = n.onu"
	" AND (o.serial, o.splitter_id) IS DISTINCT FROM"
	"  (n.serial, n.splitter_id)",
	"INSERT INTO onus (port_id, onu_id, serial, splitter_id)"
	" SELECT n.port_id, n.onu, n.serial, n.splitter_id FROM inv_onus n"
	" WHERE NOT EXISTS (SELECT 1 FROM onus o WHERE o.port_id = n.port_id"
	"  AND o.onu_id = n.onu) ORDER BY n.port_id, n.onu",
	"INSERT INTO dsl_lines (port_id, circuit_id)"
	" SELECT port_id, max(circuit) FROM inv_rows WHERE onu IS NULL"
	" GROUP BY port_id"
	" ON CONFLICT (port_id) DO UPDATE SET circuit_id = EXCLUDED.circuit_id"
	" WHERE dsl_lines.circuit_id IS DISTINCT FROM EXCLUDED.circuit_id",
	"CREATE TEMP TABLE inv_new ON COMMIT DROP AS"
	" SELECT r.line, r.account, r.name, r.phones, r.address, r.region,"
	"  r.language, r.contact, r.sms_opt_out, o.id AS onu_ref,"
	"  l.id AS line_ref"
	" FROM inv_rows r"
	" LEFT JOIN onus o ON o.port_id = r.port_id AND o.onu_id = r.onu"
	" LEFT JOIN dsl_lines l ON r.onu IS NULL AND l.port_id = r.port_id",
	"ANALYZE inv_new",
	"CREATE TEMP TABLE inv_diff ON COMMIT DROP AS"
	" SELECT coalesce(n.account, o.account) AS account,"
	"  CASE WHEN o.id IS NULL THEN 'added'"
	"   WHEN n.account IS NULL THEN 'removed'"
	"   WHEN o.onu_id IS DISTINCT FROM n.onu_ref"
	"    OR o.dsl_line_id IS DISTINCT FROM n.line_ref THEN 'moved'"
	"   ELSE 'updated' END AS change,"
	"  o.onu_id AS old_onu, o.dsl_line_id AS old_line,"
	"  n.onu_ref AS new_onu, n.line_ref AS new_line"
	" FROM subscribers o FULL JOIN inv_new n ON n.account = o.account"
	" WHERE (o.id IS NULL OR n.account IS NULL"
	"  OR (o.onu_id, o.dsl_line_id, o.name, o.phones, o.address,"
	"   o.region, o.language, o.contact, o.sms_opt_out)"
	"  IS DISTINCT FROM (n.onu_ref, n.line_ref, n.name, n.phones,"
	"   n.address, n.region, n.language, n.contact, n.sms_opt_out))"
	" AND NOT (n.account IS NULL"
	"  AND EXISTS (SELECT 1 FROM inv_keep k WHERE k.account = o.account))",
	NULL
};

static const char *const merge_subscribers_apply[] = {
	"DELETE FROM subscribers s USING inv_diff d"
	" WHERE d.change = 'removed' AND s.account = d.account",
	"UPDATE subscribers s SET name = n.name, phones = n.phones,"
	" address = n.address, region = n.region, language = n.language,"
	" contact = n.contact, sms_opt_out = n.sms_opt_out,"
	" onu_id = n.onu_ref, dsl_line_id = n.line_ref, updated_at = now()"
	" FROM inv_new n JOIN inv_diff d ON d.account = n.account"
	"  AND d.change IN ('moved', 'updated')"
	" WHERE s.account = n.account",
	"INSERT INTO subscribers (account, name, phones, address, region,"
	" language, contact, sms_opt_out, onu_id, dsl_line_id)"
	" SELECT n.account, n.name, n.phones, n.address, n.region,"
	"  n.language, n.contact, n.sms_opt_out, n.onu_ref, n.line_ref"
	" FROM inv_new n JOIN inv_diff d ON d.account = n.account"
	"  AND d.change = 'added' ORDER BY n.line",
	"DELETE FROM onus o WHERE NOT EXISTS"
	"  (SELECT 1 FROM subscribers s WHERE s.onu_id = o.id)"
	" AND NOT EXISTS (SELECT 1 FROM inv_onus n"
	"  WHERE n.port_id = o.port_id AND n.onu = o.onu_id)",
	"DELETE FROM dsl_lines l WHERE NOT EXISTS"
	"  (SELECT 1 FROM subscribers s WHERE s.dsl_line_id = l.id)"
	" AND NOT EXISTS (SELECT 1 FROM inv_rows r"
	"  WHERE r.onu IS NULL AND r.port_id = l.port_id)",
	"DELETE FROM splitters sp WHERE NOT EXISTS"
	"  (SELECT 1 FROM onus o WHERE o.splitter_id = sp.id)",
	"SELECT inventory_fk_resume()",
	NULL
};

/*
 * Devices are upserted by name and never deleted by an import: alarms and
 * the whole tree below a device hang off its row. Devices missing from the
 * file are reported as "absent".
 */
static const char *const merge_devices[] = {
	"WITH up AS (INSERT INTO devices (name, kind, vendor, model,"
	"  mgmt_addr, snmp_profile, region, site, snmp_port)"
	" SELECT name, kind, vendor, model, mgmt_addr, snmp_profile, region,"
	"  site, snmp_port FROM inv_dev ORDER BY line"
	" ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,"
	"  vendor = EXCLUDED.vendor, model = EXCLUDED.model,"
	"  mgmt_addr = EXCLUDED.mgmt_addr,"
	"  snmp_profile = EXCLUDED.snmp_profile, region = EXCLUDED.region,"
	"  site = EXCLUDED.site, snmp_port = EXCLUDED.snmp_port,"
	"  updated_at = now()"
	" WHERE (devices.kind, devices.vendor, devices.model,"
	"  devices.mgmt_addr, devices.snmp_profile, devices.region,"
	"  devices.site, devices.snmp_port) IS DISTINCT FROM (EXCLUDED.kind,"
	"  EXCLUDED.vendor, EXCLUDED.model, EXCLUDED.mgmt_addr,"
	"  EXCLUDED.snmp_profile, EXCLUDED.region, EXCLUDED.site,"
	"  EXCLUDED.snmp_port)"
	" RETURNING name, xmax = 0 AS inserted, host(mgmt_addr) AS addr)"
	" INSERT INTO inv_diff SELECT name,"
	"  CASE WHEN inserted THEN 'added' ELSE 'updated' END, NULL, addr"
	" FROM up",
	"INSERT INTO inv_diff SELECT d.name, 'absent', host(d.mgmt_addr), NULL"
	" FROM devices d WHERE NOT EXISTS"
	"  (SELECT 1 FROM inv_dev n WHERE n.name = d.name)",
	NULL
};

/* The counts and up to $1 examples of each change, with their places. */
static const char merge_count_sql[] =
	"SELECT change, count(*) FROM inv_diff GROUP BY change";
static const char merge_examples_subscribers[] =
	"SELECT change, account, inventory_place(old_onu, old_line),"
	" inventory_place(new_onu, new_line) FROM (SELECT *, row_number()"
	" OVER (PARTITION BY change ORDER BY account) AS n FROM inv_diff) x"
	" WHERE n <= $1 ORDER BY change, account";
static const char merge_examples_devices[] =
	"SELECT change, what, was, now FROM (SELECT *, row_number()"
	" OVER (PARTITION BY change ORDER BY what) AS n FROM inv_diff) x"
	" WHERE n <= $1 ORDER BY change, what";

const char *
inventory_merge_copy_sql(enum inv_kind kind)
{
	if (kind == INV_KIND_DEVICES)
		return "COPY inv_dev FROM STDIN";
	return "COPY inv_stage FROM STDIN";
}

static int
merge_fail(PGconn *conn, PGresult *res, struct inv_import_result *r)
{
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);

	snprintf(r->error, sizeof(r->error), "database: %s", m);
	r->error[strcspn(r->error, "\n")] = '\0';
	/* A constraint broken by the file's content is not worth a retry. */
	r->retryable = PQstatus(conn) != CONNECTION_OK;
	PQclear(res);
	return -1;
}

static int
merge_run(PGconn *conn, const char *const *sql, struct inv_import_result *r)
{
	PGresult *res;

	for (; *sql != NULL; sql++) {
		res = PQexec(conn, *sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			return merge_fail(conn, res, r);
		PQclear(res);
	}
	return 0;
}

int
inventory_merge_stage(PGconn *conn, enum inv_kind kind,
    struct inv_import_result *r)
{
	return merge_run(conn, kind == INV_KIND_DEVICES ?
	    merge_stage_devices : merge_stage_subscribers, r);
}

static void
merge_count(PGresult *res, struct inv_import_result *r)
{
	const char *change;
	unsigned long n;
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		change = PQgetvalue(res, i, 0);
		n = strtoul(PQgetvalue(res, i, 1), NULL, 10);
		if (strcmp(change, "added") == 0)
			r->added = n;
		else if (strcmp(change, "removed") == 0)
			r->removed = n;
		else if (strcmp(change, "moved") == 0)
			r->moved = n;
		else if (strcmp(change, "updated") == 0)
			r->updated = n;
	}
}

/* Examples are read before the deletes, while the old places still exist. */
static int
merge_examples(PGconn *conn, const struct inv_import_opts *o,
    struct inv_import_result *r)
{
	char n[16];
	const char *p[1] = { n };
	PGresult *res;

	res = PQexec(conn, merge_count_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return merge_fail(conn, res, r);
	merge_count(res, r);
	PQclear(res);
	if (o->change == NULL || o->max_changes <= 0)
		return 0;
	snprintf(n, sizeof(n), "%d", o->max_changes);
	res = PQexecParams(conn, o->kind == INV_KIND_DEVICES ?
	    merge_examples_devices : merge_examples_subscribers, 1, NULL, p,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return merge_fail(conn, res, r);
	r->changes = res;
	return 0;
}

int
inventory_merge(PGconn *conn, const struct inv_import_opts *o,
    struct inv_import_result *r)
{
	if (o->kind == INV_KIND_DEVICES) {
		if (merge_run(conn, merge_devices, r) != 0)
			return -1;
		return merge_examples(conn, o, r);
	}
	if (merge_run(conn, merge_subscribers_diff, r) != 0 ||
	    merge_examples(conn, o, r) != 0)
		return -1;
	return merge_run(conn, merge_subscribers_apply, r);
}

int
inventory_merge_notify(PGconn *conn, struct inv_import_result *r)
{
	char id[24];
	const char *p[2] = { INVENTORY_CHANNEL, id };
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)r->import_id);
	res = PQexecParams(conn, "SELECT pg_notify($1, $2)", 2, NULL, p, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return merge_fail(conn, res, r);
	PQclear(res);
	return 0;
}

void
inventory_merge_report(const struct inv_import_opts *o,
    struct inv_import_result *r)
{
	PGresult *res = r->changes;
	int i;

	r->changes = NULL;
	if (res == NULL)
		return;
	for (i = 0; r->result == INV_RESULT_OK && o->change != NULL &&
	    i < PQntuples(res); i++)
		o->change(o->arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
		    PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3));
	PQclear(res);
}
