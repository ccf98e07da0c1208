/*
 * ctl_inventory.c: "heraldctl inventory import|status|errors". The import
 * downloads with libcurl (blocking: this is a command-line tool), then runs
 * the same import code as heraldd's scheduled fetch (inventory_import.c).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "inventory_fetch.h"
#include "inventory_import.h"
#include "xmalloc.h"

#define CTL_INV_ERRORS_SHOWN	50
#define CTL_INV_CHANGES_SHOWN	20
#define CTL_INV_BAR_BYTES	(1024 * 1024)	/* smaller files: no bar */

struct ctl_inv {
	const char	*phase;
	int		 tty;
	int		 quiet;
	int		 bar_shown;
	unsigned long	 errors;
};

static void
ctl_inv_bar(struct ctl_inv *ci, uint64_t done, uint64_t total)
{
	char bar[31];
	int pct, n;

	if (ci->quiet || !ci->tty || total < CTL_INV_BAR_BYTES)
		return;
	pct = (int)(done * 100 / total);
	n = pct * 30 / 100;
	memset(bar, '#', (size_t)n);
	memset(bar + n, '.', (size_t)(30 - n));
	bar[30] = '\0';
	fprintf(stderr, "\r%-11s [%s] %3d%% %8.1f MB", ci->phase, bar, pct,
	    (double)done / 1e6);
	ci->bar_shown = 1;
}

static void
ctl_inv_bar_end(struct ctl_inv *ci)
{
	if (ci->bar_shown)
		fprintf(stderr, "\n");
	ci->bar_shown = 0;
}

static int
ctl_inv_xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	if (dltotal > 0)
		ctl_inv_bar(arg, (uint64_t)dlnow, (uint64_t)dltotal);
	return 0;
}

static void
ctl_inv_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	ctl_inv_bar(arg, done, total);
}

static void
ctl_inv_line_error_cb(void *arg, unsigned long line, const char *reason)
{
	struct ctl_inv *ci = arg;

	if (ci->errors++ < CTL_INV_ERRORS_SHOWN) {
		ctl_inv_bar_end(ci);
		fprintf(stderr, "line %lu: %s\n", line, reason);
	}
}

static void
ctl_inv_change_cb(void *arg, const char *change, const char *what,
    const char *from, const char *to)
{
	printf("%s %s", change, what);
	if (from != NULL && to != NULL && strcmp(from, to) == 0)
		printf(" at %s", to);
	else if (from != NULL && to != NULL)
		printf(" from %s to %s", from, to);
	else if (from != NULL || to != NULL)
		printf(" at %s", from != NULL ? from : to);
	printf("\n");
}

/* Credentials and the threshold come from herald.conf when there is one. */
static void
ctl_inv_conf(struct ctl *ctl, struct inventory_fetch_opts *fo, double *thr)
{
	cfg_t *sec;

	if (access(ctl->conf_path, R_OK) != 0)
		return;
	sec = cfg_getsec(ctl_conf(ctl)->cfg, "inventory");
	fo->username = cfg_getstr(sec, "username");
	fo->password = cfg_getstr(sec, "password");
	fo->timeout = cfg_getint(sec, "timeout");
	inventory_parse_threshold(cfg_getstr(sec, "error_threshold"), thr);
}

/* Download to a temporary file; a plain path is used as it is. */
static void
ctl_inv_fetch_failed(PGconn *conn, enum inv_kind kind, const char *src,
    const char *err)
{
	const char *p[4] = { inventory_kind_name(kind), src, err, "heraldctl" };

	PQclear(PQexecParams(conn, inventory_fetch_failed_sql, 4, NULL, p, NULL,
	    NULL, 0));
}

static char *
ctl_inv_fetch(struct ctl_inv *ci, const struct inventory_fetch_opts *fo,
    PGconn *conn, enum inv_kind kind, int *is_tmp)
{
	char errbuf[CURL_ERROR_SIZE], err[512], *path;
	CURLcode rc;
	FILE *f;
	CURL *e;

	*is_tmp = 0;
	if (strstr(fo->url, "://") == NULL)
		return xstrdup(fo->url);
	if ((f = inventory_fetch_tmpfile(getenv("TMPDIR"), &path)) == NULL) {
		ctl_error("cannot create a temporary file: %m");
		return NULL;
	}
	*is_tmp = 1;
	e = inventory_fetch_easy(fo, f, errbuf);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, ctl_inv_xferinfo_cb);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, ci);
	ci->phase = "downloading";
	rc = curl_easy_perform(e);
	ctl_inv_bar_end(ci);
	if (inventory_fetch_check(e, rc, errbuf, err, sizeof(err)) != 0 ||
	    fflush(f) != 0) {
		char *src = inventory_url_redact(fo->url);

		ctl_error("cannot fetch %s: %s", src, err);
		ctl_inv_fetch_failed(conn, kind, src, err);
		free(src);
		unlink(path);
		free(path);
		path = NULL;
	}
	curl_easy_cleanup(e);
	fclose(f);
	return path;
}

static char *
ctl_inv_source(const char *url)
{
	char abs[PATH_MAX], *s;

	if (strstr(url, "://") != NULL)
		return inventory_url_redact(url);
	if (realpath(url, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", url);
	xasprintf(&s, "file://%s", abs);
	return s;
}

static void
ctl_inv_report(const struct inv_import_opts *o,
    const struct inv_import_result *r, const struct ctl_inv *ci)
{
	if (ci->errors > CTL_INV_ERRORS_SHOWN)
		fprintf(stderr, "... %lu more rejected lines: heraldctl inventory "
		    "errors %lld\n", ci->errors - CTL_INV_ERRORS_SHOWN,
		    (long long)r->import_id);
	if (r->result == INV_RESULT_FAILED) {
		ctl_error("import of %s from %s failed: %s",
		    inventory_kind_name(o->kind), o->source, r->error);
		return;
	}
	printf("import %lld: %s %s%s: %lu rows, %lu loaded, %lu rejected; "
	    "%lu added, %lu removed, %lu moved, %lu updated; %.2f s\n",
	    (long long)r->import_id, inventory_kind_name(o->kind),
	    inventory_result_name(r->result), o->dry_run ? " (dry run, "
	    "nothing changed)" : "", r->rows, r->loaded, r->rejected, r->added,
	    r->removed, r->moved, r->updated, r->seconds);
}

static int
ctl_inv_usage(void)
{
	fprintf(stderr, "usage: heraldctl inventory import [-Dfnq] "
	    "[-t threshold] URL|FILE\n");
	return CTL_USAGE;
}

static int
ctl_inv_import(struct ctl *ctl, int argc, char **argv)
{
	struct inventory_fetch_opts fo = { 0 };
	struct inv_import_opts o = { 0 };
	struct inv_import_result r;
	struct ctl_inv ci = { 0 };
	const char *thr = NULL;
	char *path, *source;
	int ch, is_tmp, rc;
	PGconn *conn;

	o.kind = INV_KIND_SUBSCRIBERS;
	o.error_threshold = INVENTORY_DEFAULT_THRESHOLD;
	while ((ch = getopt(argc, argv, "Dfnqt:")) != -1) {
		switch (ch) {
		case 'D': o.kind = INV_KIND_DEVICES; break;
		case 'f': o.force = 1; break;
		case 'n': o.dry_run = 1; break;
		case 'q': ci.quiet = 1; break;
		case 't': thr = optarg; break;
		default: return ctl_inv_usage();
		}
	}
	if (optind != argc - 1)
		return ctl_inv_usage();
	fo.url = argv[optind];
	ctl_inv_conf(ctl, &fo, &o.error_threshold);
	if (thr != NULL && inventory_parse_threshold(thr, &o.error_threshold)) {
		ctl_error("-t %s: not a share of rows like 1%% or 0.5%%", thr);
		return CTL_USAGE;
	}
	ci.tty = isatty(STDERR_FILENO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	conn = ctl_connect(ctl);
	if ((path = ctl_inv_fetch(&ci, &fo, conn, o.kind, &is_tmp)) == NULL) {
		PQfinish(conn);
		return CTL_FAIL;
	}
	source = ctl_inv_source(fo.url);
	o.source = source;
	o.run_by = "heraldctl";
	o.max_changes = CTL_INV_CHANGES_SHOWN;
	o.arg = &ci;
	o.progress = ctl_inv_progress_cb;
	o.line_error = ctl_inv_line_error_cb;
	o.change = ctl_inv_change_cb;
	ci.phase = "importing";
	rc = inventory_import_file(conn, path, &o, &r);
	ctl_inv_bar_end(&ci);
	ctl_inv_report(&o, &r, &ci);
	if (is_tmp)
		unlink(path);
	free(path);
	free(source);
	PQfinish(conn);
	curl_global_cleanup();
	return rc == 0 ? CTL_OK : CTL_FAIL;
}

static int
ctl_inv_print(PGconn *conn, const char *sql, int n, const char *const *p)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);
	PQprintOpt po = { 0 };

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ctl_error("%s", PQresultErrorMessage(res));
		PQclear(res);
		return CTL_FAIL;
	}
	po.header = 1;
	po.align = 1;
	po.fieldSep = "|";
	PQprint(stdout, res, &po);
	PQclear(res);
	return CTL_OK;
}

static int
ctl_inv_status(struct ctl *ctl, int argc, char **argv)
{
	PGconn *conn = ctl_connect(ctl);
	int rc;

	rc = ctl_inv_print(conn, "SELECT id, kind, result, "
	    "to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started, "
	    "rows_read AS rows, rows_rejected AS rejected, added, removed, "
	    "moved, updated, duration_ms AS ms, source, "
	    "left(coalesce(error, ''), 60) AS error "
	    "FROM inventory_imports ORDER BY id DESC LIMIT 10", 0, NULL);
	PQfinish(conn);
	return rc;
}

static int
ctl_inv_errors(struct ctl *ctl, int argc, char **argv)
{
	const char *p[1];
	PGconn *conn;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: heraldctl inventory errors [ID]\n");
		return CTL_USAGE;
	}
	p[0] = argc == 2 ? argv[1] : NULL;
	conn = ctl_connect(ctl);
	rc = ctl_inv_print(conn, "SELECT line, reason FROM "
	    "inventory_import_errors WHERE import_id = coalesce($1::bigint, "
	    "(SELECT max(id) FROM inventory_imports)) ORDER BY line", 1, p);
	PQfinish(conn);
	return rc;
}

const struct ctl_command ctl_inventory_import = {
	.name = "inventory",
	.sub = "import",
	.usage = "inventory import [-D] [-f] [-n] [-q] [-t threshold] URL|FILE",
	.help =
	    "Imports the subscriber file (with -D, the device list) from a\n"
	    "path or a file, ftp, ftps, http, https, sftp or scp URL, plain\n"
	    "or gzip, in one transaction: all of it or nothing. Exit 1 when\n"
	    "it is refused.\n"
	    "  -D             the device list, not the subscriber file\n"
	    "  -f             import even a file that is unchanged\n"
	    "  -n             dry run: check and show the changes only\n"
	    "  -q             quiet: no progress, no rejected lines\n"
	    "  -t threshold   share of bad rows that refuses the file\n"
	    "                 (default: inventory.error_threshold, 1%)\n",
	.run = ctl_inv_import,
};

const struct ctl_command ctl_inventory_status = {
	.name = "inventory",
	.sub = "status",
	.usage = "inventory status",
	.help =
	    "The last imports (source, result, counts, duration) and what\n"
	    "is loaded.\n",
	.run = ctl_inv_status,
};

const struct ctl_command ctl_inventory_errors = {
	.name = "inventory",
	.sub = "errors",
	.usage = "inventory errors [IMPORT-ID]",
	.help =
	    "The rejected lines of an import (default: the last one).\n",
	.run = ctl_inv_errors,
};
