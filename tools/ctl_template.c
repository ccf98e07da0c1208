/*
 * ctl_template.c: "heraldctl template preview", for the operator editing
 * the subscriber messages: loads the whole template folder exactly as
 * heraldd does (a broken one exits 78 with FILE:LINE: reason), renders one
 * kind and language with sample values or with a real incident's, and
 * prints the text and the size the SMS gateway will count.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "template.h"

#define CTL_TEMPLATE_SAMPLE_SIGNATURE	"【星河宽带】"

static const char ctl_template_usage[] =
    "usage: heraldctl template preview KIND [--lang zh|en] [--incident ID]\n"
    "    [--dir DIR] [--signature S]\n";

struct ctl_template {
	const char	*kind;
	const char	*lang;
	const char	*dir;
	const char	*incident;
	const char	*signature;
	/* An incident's values, owned here. */
	char		 area[512];
	char		 cause[64];
	char		 ticket[32];
};

static int
ctl_template_args(struct ctl_template *ct, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lang", required_argument, NULL, 'l' },
		{ "incident", required_argument, NULL, 'i' },
		{ "dir", required_argument, NULL, 'D' },
		{ "signature", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char *env = getenv("HERALD_TEMPLATE_DIR");
	int ch;

	ct->lang = "zh";
	ct->dir = env != NULL ? env : PKGDATADIR "/templates";
	ct->signature = CTL_TEMPLATE_SAMPLE_SIGNATURE;
	/*
	 * optind 0, not 1: glibc then re-reads the option string, so options
	 * may follow KIND (heraldctl's own getopt stopped at the command).
	 */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': ct->lang = optarg; break;
		case 'i': ct->incident = optarg; break;
		case 'D': ct->dir = optarg; break;
		case 'S': ct->signature = optarg; break;
		default:
			return -1;
		}
	}
	if (argc - optind != 1)
		return -1;
	ct->kind = argv[optind];
	if (strcmp(ct->lang, "zh") != 0 && strcmp(ct->lang, "en") != 0)
		return -1;
	return 0;
}

/* A fixed sample: a fibre cut in the afternoon of 2 December 2026. */
static void
ctl_template_sample(struct ctl_template *ct, struct template_vars *v)
{
	int zh = strcmp(ct->lang, "zh") == 0;

	v->area = zh ? "南山区 科技园" : "Nanshan Science Park";
	v->cause = "fibre_cut";
	v->since = 1796191500;		/* 2026-12-02 14:05 +08 */
	v->eta = 1796205600;		/* 18:00 */
	v->starts = 1796234400;		/* 2026-12-03 02:00 */
	v->ends = 1796248800;		/* 06:00 */
	v->ticket = "42";
	v->account = "0755-86001234";
}

/* The area an incident's subscribers know: region and site, or a name. */
static void
ctl_template_area(struct ctl_template *ct, PGresult *res)
{
	const char *region = PQgetvalue(res, 0, 4), *site = PQgetvalue(res, 0, 5);

	if (*region != '\0' && *site != '\0')
		snprintf(ct->area, sizeof(ct->area), "%s %s", region, site);
	else if (*region != '\0' || *site != '\0')
		snprintf(ct->area, sizeof(ct->area), "%s", *region ? region : site);
	else if (!PQgetisnull(res, 0, 6))
		snprintf(ct->area, sizeof(ct->area), "%s", PQgetvalue(res, 0, 6));
	else
		snprintf(ct->area, sizeof(ct->area), "%s", PQgetvalue(res, 0, 0));
}

static const char ctl_template_sql[] =
    "SELECT i.title, coalesce(i.cause, 'unknown'),"
    " coalesce(extract(epoch FROM i.opened_at)::bigint, 0),"
    " coalesce(extract(epoch FROM i.estimated_restore_at)::bigint, 0),"
    " coalesce(d.region, ''), coalesce(d.site, ''), d.name,"
    " (SELECT t.id FROM tickets t WHERE t.incident_id = i.id"
    "   AND t.kind IN ('outage', 'repair') ORDER BY t.id LIMIT 1),"
    " coalesce((SELECT extract(epoch FROM w.starts_at)::bigint || ' ' ||"
    "   extract(epoch FROM w.ends_at)::bigint FROM maintenance_windows w"
    "   WHERE w.device_id = i.device_id AND w.ends_at >= i.opened_at"
    "   ORDER BY w.starts_at LIMIT 1), '0 0')"
    " FROM incidents i LEFT JOIN devices d ON d.id = i.device_id"
    " WHERE i.id = $1::bigint";

/* An incident's values from the database; -1 when there is no such one. */
static int
ctl_template_incident(struct ctl *ctl, struct ctl_template *ct,
    struct template_vars *v)
{
	PGconn *conn = ctl_connect(ctl);
	const char *p[1] = { ct->incident };
	PGresult *res;
	int rc = -1;

	res = PQexecParams(conn, ctl_template_sql, 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		ctl_error("%s", PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		ctl_error("no incident %s", ct->incident);
	else {
		ctl_template_area(ct, res);
		snprintf(ct->cause, sizeof(ct->cause), "%s", PQgetvalue(res, 0, 1));
		v->since = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		v->eta = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		snprintf(ct->ticket, sizeof(ct->ticket), "%s",
		    PQgetvalue(res, 0, 7));
		sscanf(PQgetvalue(res, 0, 8), "%lld %lld", &v->starts, &v->ends);
		v->area = ct->area;
		v->cause = ct->cause;
		v->ticket = PQgetisnull(res, 0, 7) ? NULL : ct->ticket;
		rc = 0;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

/* The zone of herald.conf when there is one, else herald's default. */
static const char *
ctl_template_tz(struct ctl *ctl)
{
	if (ctl->conf == NULL && access(ctl->conf_path, F_OK) != 0)
		return "Asia/Shanghai";
	return ctl_conf(ctl)->timezone;
}

static void
ctl_template_print(const char *text)
{
	struct sms_size sz;

	sms_size(text, &sz);
	printf("%s\n%zu characters, %s, %zu segment%s\n", text, sz.units,
	    sz.ucs2 ? "UCS-2" : "GSM 7-bit", sz.segments,
	    sz.segments == 1 ? "" : "s");
}

static int
ctl_template_preview(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_template ct;
	struct template_vars v;
	struct template_set *set;
	char err[512], out[4096];
	int rc;

	memset(&ct, 0, sizeof(ct));
	memset(&v, 0, sizeof(v));
	if (ctl_template_args(&ct, argc, argv) == -1) {
		fputs(ctl_template_usage, stderr);
		return CTL_USAGE;
	}
	if ((set = template_load(ct.dir, err, sizeof(err))) == NULL) {
		ctl_error("%s", err);
		return HERALD_EX_CONFIG;
	}
	if (ct.incident != NULL) {
		if (ctl_template_incident(ctl, &ct, &v) == -1) {
			template_free(set);
			return CTL_FAIL;
		}
	} else
		ctl_template_sample(&ct, &v);
	v.signature = ct.signature;
	v.tz = ctl_template_tz(ctl);
	rc = template_render(set, ct.kind, ct.lang, &v, out, sizeof(out));
	template_free(set);
	if (rc == -1) {
		ctl_error("no %s template in %s for language %s (kinds: outage, "
		    "restored, update, planned)", ct.kind, ct.dir, ct.lang);
		return CTL_FAIL;
	}
	ctl_template_print(out);
	return CTL_OK;
}

const struct ctl_command ctl_template_preview_cmd = {
	.name = "template",
	.sub = "preview",
	.usage = "template preview KIND [--lang zh|en] [--incident ID] "
	    "[--dir DIR] [--signature S]",
	.help =
	    "Renders a subscriber message (KIND: outage, restored, update\n"
	    "or planned) with sample values or a real incident's, and its\n"
	    "SMS size.\n"
	    "  --lang zh|en   the language (zh)\n"
	    "  --incident ID  a real incident's values\n"
	    "  --dir DIR      the templates (default: HERALD_TEMPLATE_DIR,\n"
	    "                 else the installed ones)\n"
	    "  --signature S  the operator's signature\n",
	.run = ctl_template_preview,
};
