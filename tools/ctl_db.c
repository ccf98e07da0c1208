/*
 * ctl_db.c: "heraldctl db migrate" and "heraldctl db status". Each file
 * schema/NNN_name.sql is applied once, in order, in its own transaction,
 * and recorded with its checksum in schema_migrations.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "xmalloc.h"

struct migration {
	char	*name;		/* 001_core.sql */
	char	 version[4];	/* 001 */
};

static const char ctl_db_bootstrap[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version text PRIMARY KEY,"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static int
ctl_db_is_migration(const char *n)
{
	size_t len = strlen(n);

	return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' &&
	    n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3] == '_' &&
	    strcmp(n + len - 4, ".sql") == 0;
}

static int
ctl_db_cmp(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->name,
	    ((const struct migration *)b)->name);
}

/* The migrations in the schema folder, sorted; exits when it is unreadable. */
static struct migration *
ctl_db_list(const char *dir, size_t *count)
{
	struct migration *m = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		ctl_error("cannot read the schema folder %s: %m", dir);
		exit(CTL_FAIL);
	}
	while ((de = readdir(d)) != NULL) {
		if (!ctl_db_is_migration(de->d_name))
			continue;
		m = xreallocarray(m, n + 1, sizeof(*m));
		m[n].name = xstrdup(de->d_name);
		memcpy(m[n].version, de->d_name, 3);
		m[n].version[3] = '\0';
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(m, n, sizeof(*m), ctl_db_cmp);
	*count = n;
	return m;
}

static char *
ctl_db_read(const char *dir, const char *name)
{
	char *path, *buf;
	FILE *f;
	long len;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		ctl_error("%s: %m", path);
		exit(CTL_FAIL);
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		ctl_error("%s: short read", path);
		exit(CTL_FAIL);
	}
	buf[len] = '\0';
	fclose(f);
	free(path);
	return buf;
}

static int
ctl_db_ok(PGconn *conn, PGresult *res, const char *what)
{
	ExecStatusType s = PQresultStatus(res);

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 1;
	ctl_error("%s: %s", what, PQerrorMessage(conn));
	return 0;
}

/* Say where in the file a failed statement is: line and statement text. */
static void
ctl_db_report(const char *dir, const char *name, const char *sql,
    PGresult *res)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *start, *end;
	long off = pos ? strtol(pos, NULL, 10) - 1 : -1;
	int line = 1;

	if (off < 0 || off > (long)strlen(sql)) {
		ctl_error("%s/%s: %s", dir, name, msg ? msg : "failed");
		return;
	}
	for (start = sql; start < sql + off; start++)
		if (*start == '\n')
			line++;
	/* The statement around the error: from the previous ';' to the next. */
	for (start = sql + off; start > sql && start[-1] != ';'; start--)
		;
	while (*start == '\n' || *start == ' ' || *start == '\t')
		start++;
	if ((end = strchr(sql + off, ';')) == NULL)
		end = sql + strlen(sql);
	ctl_error("%s/%s:%d: %s", dir, name, line, msg ? msg : "failed");
	fprintf(stderr, "in statement:\n%.*s;\n", (int)(end - start), start);
	fprintf(stderr, "migration %s rolled back\n", name);
}

/* 1 applied, 0 already there, -1 failed. */
static int
ctl_db_apply(PGconn *conn, const char *dir, const struct migration *m)
{
	const char *params[3];
	PGresult *res;
	char *sql = ctl_db_read(dir, m->name);
	int rc = -1;

	PQclear(PQexec(conn, "BEGIN"));
	/* Two migrators at once wait for each other instead of colliding. */
	res = PQexec(conn, "SELECT pg_advisory_xact_lock(4242000001)");
	if (!ctl_db_ok(conn, res, "lock"))
		goto out;
	PQclear(res);
	params[0] = m->version;
	params[1] = sql;
	res = PQexecParams(conn, "SELECT checksum = md5($2) FROM "
	    "schema_migrations WHERE version = $1", 2, NULL, params, NULL, NULL, 0);
	if (!ctl_db_ok(conn, res, "schema_migrations"))
		goto out;
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			fprintf(stderr, "warning: %s changed after it was "
			    "applied; it is not applied again\n", m->name);
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		ctl_db_report(dir, m->name, sql, res);
		goto out;
	}
	PQclear(res);
	params[0] = m->version;
	params[1] = m->name;
	params[2] = sql;
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name, "
	    "checksum) VALUES ($1, $2, md5($3))", 3, NULL, params, NULL, NULL, 0);
	if (!ctl_db_ok(conn, res, "schema_migrations"))
		goto out;
	rc = 1;
out:
	PQclear(res);
	if (rc < 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
	} else {
		/* Deferred checks run at COMMIT: a failure there is a failure. */
		res = PQexec(conn, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			ctl_error("%s/%s: COMMIT failed: %s", dir, m->name,
			    PQerrorMessage(conn));
			rc = -1;
		}
		PQclear(res);
	}
	free(sql);
	return rc;
}

static int
ctl_db_args(struct ctl *ctl, int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "d:s:")) != -1) {
		switch (ch) {
		case 'd':
			ctl->conninfo = optarg;
			break;
		case 's':
			ctl->schema_dir = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static int
ctl_db_migrate_run(struct ctl *ctl, int argc, char **argv)
{
	struct migration *m;
	size_t n, i, applied = 0;
	PGresult *res;
	PGconn *conn;
	int r, rc = CTL_OK;

	if (ctl_db_args(ctl, argc, argv) != 0)
		return CTL_USAGE;
	m = ctl_db_list(ctl->schema_dir, &n);
	conn = ctl_connect(ctl);
	res = PQexec(conn, ctl_db_bootstrap);
	if (!ctl_db_ok(conn, res, "schema_migrations"))
		exit(CTL_FAIL);
	PQclear(res);
	for (i = 0; i < n && rc == CTL_OK; i++) {
		if ((r = ctl_db_apply(conn, ctl->schema_dir, &m[i])) < 0)
			rc = CTL_FAIL;
		else if (r > 0) {
			printf("applied %s\n", m[i].name);
			applied++;
		}
	}
	if (rc == CTL_OK && applied == 0)
		printf("database is up to date (%zu migrations)\n", n);
	for (i = 0; i < n; i++)
		free(m[i].name);
	free(m);
	PQfinish(conn);
	return rc;
}

static int
ctl_db_status_run(struct ctl *ctl, int argc, char **argv)
{
	struct migration *m;
	PGresult *res;
	PGconn *conn;
	size_t n, i;
	int pending = 0, j;

	if (ctl_db_args(ctl, argc, argv) != 0)
		return CTL_USAGE;
	m = ctl_db_list(ctl->schema_dir, &n);
	conn = ctl_connect(ctl);
	res = PQexec(conn, "SELECT version, applied_at FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		res = NULL;
	}
	for (i = 0; i < n; i++) {
		const char *at = NULL;

		for (j = 0; res != NULL && j < PQntuples(res); j++)
			if (strcmp(PQgetvalue(res, j, 0), m[i].version) == 0)
				at = PQgetvalue(res, j, 1);
		printf("%-40s %s\n", m[i].name, at ? at : "pending");
		pending += at == NULL;
		free(m[i].name);
	}
	free(m);
	PQclear(res);
	PQfinish(conn);
	return pending ? CTL_FAIL : CTL_OK;
}

const struct ctl_command ctl_db_migrate = {
	.name = "db", .sub = "migrate",
	.usage = "db migrate [-d conninfo]   apply pending schema migrations",
	.help =
	    "Applies each schema/NNN_name.sql not yet recorded in\n"
	    "schema_migrations, in order, each in one transaction under an\n"
	    "advisory lock. Exit 1 when one fails (it is rolled back).\n"
	    "  -d conninfo    libpq connection string\n"
	    "                 (default: database.conninfo)\n"
	    "  -s schema-dir  the migrations (default: HERALD_SCHEMA_DIR,\n"
	    "                 else " PKGDATADIR "/schema)\n",
	.run = ctl_db_migrate_run,
};

const struct ctl_command ctl_db_status = {
	.name = "db", .sub = "status",
	.usage = "db status [-d conninfo]    list migrations (exit 1 if pending)",
	.help =
	    "Lists every migration with when it was applied, or \"pending\".\n"
	    "Exit 1 when one is pending.\n"
	    "  -d conninfo    libpq connection string\n"
	    "                 (default: database.conninfo)\n"
	    "  -s schema-dir  the migrations (default: HERALD_SCHEMA_DIR,\n"
	    "                 else " PKGDATADIR "/schema)\n",
	.run = ctl_db_status_run,
};
