/*
 * ctl_replay.c: "heraldctl replay". Feeds recorded events through the
 * rules engine on a simulated clock, against the inventory in the
 * database, and prints the incidents it decides: each change of state,
 * cause or size as it happens, then a summary. The engine is the one
 * heraldd runs (rules/engine.h); only the clock and the sink differ, so a
 * scenario replayed here is what heraldd would have decided, and an
 * operator can replay a real night to tune policy.conf.
 *
 * Input: JSON lines (one event an object: "t" seconds or "at" ISO 8601,
 * "device" name or "device_id", "kind", "action", "frame", "slot",
 * "port", "onu", "line", "cause", "source", "affected_onus",
 * "dying_gasp_onus"), or the events table's COPY text (as "COPY (SELECT
 * * FROM events WHERE ...) TO STDOUT" writes it), or --from-db FROM TO.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "engine.h"
#include "events.h"
#include "inventory.h"
#include "log.h"
#include "policy.h"
#include "rules_json.h"
#include "xmalloc.h"

#define REPLAY_MAX_LINE		65536
#define REPLAY_DRAIN_SECONDS	86400	/* clock runs on at most a day */

/* One event read, with its own copies of the strings. */
struct replay_ev {
	struct herald_event	 ev;
	rtime_t			 at;
	size_t			 seq;
	char			*kind, *cause;
};

/* What was last printed for an incident, to print changes only. */
struct replay_seen {
	char			 uid[INCIDENT_UID_MAX];
	char			 scope_key[KIND_KEY_MAX];
	enum incident_state	 state;
	enum incident_cause	 cause;
	size_t			 naccounts;
	int			 planned;
	char			 title[256];
	rtime_t			 opened_at, confirmed_at, resolved_at;
};

struct replay {
	PGconn			*conn;
	struct inventory_index	*inv;
	struct replay_ev	*evs;
	size_t			 nevs, cap;
	rtime_t			 t0;
	rtime_t			 now;		/* the simulated clock */
	int			 quiet;
	void			*seen;		/* struct replay_seen by uid */
	struct replay_seen	**order;	/* in first-seen order */
	size_t			 nseen;
	void			*flapping;	/* alarm keys said flapping */
	size_t			 nflapping;
	const char		*err;
	size_t			 line;
};

static void
ctl_replay_usage(void)
{
	fprintf(stderr, "usage: heraldctl replay [-q] [-p policy.conf] "
	    "[-u SECONDS] FILE|-\n"
	    "       heraldctl replay [-q] [-p policy.conf] [-u SECONDS] "
	    "--from-db FROM TO\n");
	exit(CTL_USAGE);
}

static int
seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct replay_seen *)a)->uid,
	    ((const struct replay_seen *)b)->uid);
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct replay_ev *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
replay_time(const struct replay *r, rtime_t t, char *buf, size_t len)
{
	snprintf(buf, len, "+%.1fs", (double)(t - r->t0) / RTIME_SEC);
}

/* "2026-12-01T10:00:00.25Z", "2026-12-01 10:00:00+00": µs, or -1. */
static rtime_t
replay_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	double frac = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL &&
	    (p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		char *end;

		frac = strtod(p, &end);
		p = end;
	}
	if (*p != '\0' && strcmp(p, "Z") != 0 && strcmp(p, "+00") != 0 &&
	    strcmp(p, "+00:00") != 0)
		return -1;	/* only UTC, as the events table writes it */
	t = timegm(&tm);
	return (rtime_t)t * RTIME_SEC + (rtime_t)(frac * RTIME_SEC + 0.5);
}

static int64_t
replay_device_id(struct replay *r, const char *name)
{
	const char *p[1] = { name };
	PGresult *res;
	int64_t id = -1;

	res = PQexecParams(r->conn, "SELECT id FROM devices WHERE name = $1",
	    1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

static struct replay_ev *
replay_add(struct replay *r)
{
	struct replay_ev *e;

	if (r->nevs == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->evs = xreallocarray(r->evs, r->cap, sizeof(*r->evs));
	}
	e = &r->evs[r->nevs];
	memset(e, 0, sizeof(*e));
	events_init(&e->ev);
	e->seq = r->nevs++;
	return e;
}

static long long
json_num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : EVENT_LOC_UNSET;
}

static const char *
json_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One JSON line; -1 with r->err set when it is not an event. */
static int
replay_json(struct replay *r, const char *line)
{
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr), *t;
	const char *s;
	struct replay_ev *e;
	int rc = -1;

	if (!json_is_object(o)) {
		r->err = "not a JSON object";
		goto out;
	}
	e = replay_add(r);
	if (json_is_number(t = json_object_get(o, "t")))
		e->at = (rtime_t)(json_number_value(t) * RTIME_SEC);
	else if ((s = json_str(o, "at")) == NULL ||
	    (e->at = replay_parse_time(s)) < 0) {
		r->err = "no \"t\" (seconds) or \"at\" (UTC time)";
		goto bad;
	}
	if ((s = json_str(o, "device")) != NULL)
		e->ev.device_id = replay_device_id(r, s);
	else
		e->ev.device_id = json_num(o, "device_id");
	if (e->ev.device_id <= 0) {
		r->err = "unknown device";
		goto bad;
	}
	e->kind = (s = json_str(o, "kind")) ? xstrdup(s) : NULL;
	e->cause = (s = json_str(o, "cause")) ? xstrdup(s) : NULL;
	s = json_str(o, "action");
	e->ev.action = s && strcmp(s, "clear") == 0 ? EVENT_CLEAR :
	    s && strcmp(s, "raise") == 0 ? EVENT_RAISE : EVENT_RAW;
	s = json_str(o, "source");
	e->ev.source = s && strcmp(s, "poll") == 0 ? EVENT_SOURCE_POLL :
	    EVENT_SOURCE_TRAP;
	e->ev.loc.frame = json_num(o, "frame");
	e->ev.loc.slot = json_num(o, "slot");
	e->ev.loc.port = json_num(o, "port");
	e->ev.loc.onu = json_num(o, "onu");
	e->ev.loc.line = json_num(o, "line");
	e->ev.affected_onus = json_num(o, "affected_onus");
	e->ev.dying_gasp_onus = json_num(o, "dying_gasp_onus");
	rc = 0;
	goto out;
bad:
	free(e->kind);
	free(e->cause);
	r->nevs--;
out:
	json_decref(o);
	return rc;
}

/* COPY text: \N is NULL; \\ \t \n \r escapes. In place. */
static char *
replay_copy_field(char *f)
{
	char *s, *d;

	if (strcmp(f, "\\N") == 0)
		return NULL;
	for (s = d = f; *s != '\0'; s++, d++) {
		if (*s != '\\' || s[1] == '\0') {
			*d = *s;
			continue;
		}
		s++;
		*d = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' :
		    *s;
	}
	*d = '\0';
	return f;
}

static long long
copy_num(char *f)
{
	return f ? strtoll(f, NULL, 10) : EVENT_LOC_UNSET;
}

/*
 * One row of "COPY (SELECT * FROM events) TO STDOUT": head, at, uid, device_id, source,
 * kind, action, frame, slot, port, onu, line, if_index, cause, ...,
 * varbinds, affected_onus, dying_gasp_onus (schema 010 and 012).
 */
static int
replay_copy(struct replay *r, char *line)
{
	char *f[32], *p = line;
	struct replay_ev *e;
	int n = 0;

	while (n < 32) {
		f[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n < 20) {
		r->err = "not a row of the events table (too few columns)";
		return -1;
	}
	for (int i = 0; i < n; i++)
		f[i] = replay_copy_field(f[i]);
	if (f[6] == NULL || strcmp(f[6], "raw") == 0)
		return 0;
	e = replay_add(r);
	if (f[1] == NULL || (e->at = replay_parse_time(f[1])) < 0 ||
	    f[3] == NULL) {
		r->err = "no time or device";
		r->nevs--;
		return -1;
	}
	e->ev.device_id = strtoll(f[3], NULL, 10);
	e->ev.source = f[4] && strcmp(f[4], "poll") == 0 ? EVENT_SOURCE_POLL :
	    EVENT_SOURCE_TRAP;
	e->kind = f[5] ? xstrdup(f[5]) : NULL;
	e->ev.action = strcmp(f[6], "clear") == 0 ? EVENT_CLEAR : EVENT_RAISE;
	e->ev.loc.frame = copy_num(f[7]);
	e->ev.loc.slot = copy_num(f[8]);
	e->ev.loc.port = copy_num(f[9]);
	e->ev.loc.onu = copy_num(f[10]);
	e->ev.loc.line = copy_num(f[11]);
	e->ev.loc.if_index = copy_num(f[12]);
	e->cause = f[13] ? xstrdup(f[13]) : NULL;
	if (n >= 22) {
		e->ev.affected_onus = copy_num(f[20]);
		e->ev.dying_gasp_onus = copy_num(f[21]);
	}
	return 0;
}

static int
replay_read(struct replay *r, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = xmalloc(REPLAY_MAX_LINE);
	int errors = 0, rc;
	size_t len;

	if (fp == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
		free(line);
		return -1;
	}
	while (fgets(line, REPLAY_MAX_LINE, fp) != NULL) {
		r->line++;
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		rc = line[0] == '{' ? replay_json(r, line) :
		    replay_copy(r, line);
		if (rc != 0 && errors++ < 20)
			fprintf(stderr, "%s:%zu: %s\n", path, r->line, r->err);
	}
	if (fp != stdin)
		fclose(fp);
	free(line);
	if (errors > 0) {
		ctl_error("%s: %d line%s not read", path, errors,
		    errors == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static int
replay_from_db(struct replay *r, const char *from, const char *to)
{
	static const char sql[] =
	    "SELECT to_char(at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), device_id, source, kind, "
	    "action, frame, slot, port, onu, line, cause, affected_onus, "
	    "dying_gasp_onus FROM events WHERE at >= $1::timestamptz AND "
	    "at < $2::timestamptz AND action <> 'raw' AND device_id IS NOT "
	    "NULL ORDER BY at, uid";
	const char *p[2] = { from, to };
	PGresult *res = PQexecParams(r->conn, sql, 2, NULL, p, NULL, NULL, 0);
	int i, n;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ctl_error("reading events: %s", PQerrorMessage(r->conn));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		struct replay_ev *e = replay_add(r);
		char *v[13];
		int c;

		for (c = 0; c < 13; c++)
			v[c] = PQgetisnull(res, i, c) ? NULL :
			    PQgetvalue(res, i, c);
		e->at = replay_parse_time(v[0]);
		e->ev.device_id = strtoll(v[1], NULL, 10);
		e->ev.source = strcmp(v[2], "poll") == 0 ? EVENT_SOURCE_POLL :
		    EVENT_SOURCE_TRAP;
		e->kind = v[3] ? xstrdup(v[3]) : NULL;
		e->ev.action = strcmp(v[4], "clear") == 0 ? EVENT_CLEAR :
		    EVENT_RAISE;
		e->ev.loc.frame = copy_num(v[5]);
		e->ev.loc.slot = copy_num(v[6]);
		e->ev.loc.port = copy_num(v[7]);
		e->ev.loc.onu = copy_num(v[8]);
		e->ev.loc.line = copy_num(v[9]);
		e->cause = v[10] ? xstrdup(v[10]) : NULL;
		e->ev.affected_onus = copy_num(v[11]);
		e->ev.dying_gasp_onus = copy_num(v[12]);
	}
	PQclear(res);
	return 0;
}

/*
 * The maintenance windows of the database as heraldd reads them
 * (rules_load_windows), but all that end after the first event.
 */
static void
replay_windows(struct replay *r, struct engine *en)
{
	static const char sql[] =
	    "SELECT rules_load_windows(to_timestamp($1::double precision))";
	struct maint_window *w;
	json_error_t err;
	json_t *doc = NULL;
	PGresult *res;
	char t0[32];
	const char *params[1] = { t0 };
	size_t n;

	snprintf(t0, sizeof(t0), "%.6f", (double)r->t0 / RTIME_SEC);
	res = PQexecParams(r->conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK ||
	    (doc = json_loads(PQgetvalue(res, 0, 0), 0, &err)) == NULL ||
	    rules_json_to_windows(doc, &w, &n) != 0)
		ctl_error("maintenance windows not read: %s",
		    PQresultErrorMessage(res));
	else {
		engine_set_windows(en, w, n);
		free(w);
	}
	json_decref(doc);
	PQclear(res);
}

static void
replay_print_change(struct replay *r, const struct incident *in,
    const char *what)
{
	char t[32];

	if (r->quiet)
		return;
	replay_time(r, r->now, t, sizeof(t));
	printf("%-9s %-22s %-10s %-12s accounts=%-5zu %s%s\n", t,
	    in->scope_key, what, incident_cause_name(in->cause),
	    in->naccounts, in->title,
	    in->merged_into[0] ? " -> merged" : "");
}

/* The sink: print what changed, remember the last of each incident. */
static void
replay_incident(void *arg, const struct incident *in)
{
	struct replay *r = arg;
	struct replay_seen k, *s, **f;

	snprintf(k.uid, sizeof(k.uid), "%s", in->uid);
	if ((f = tfind(&k, &r->seen, seen_cmp)) == NULL) {
		s = xcalloc(1, sizeof(*s));
		snprintf(s->uid, sizeof(s->uid), "%s", in->uid);
		snprintf(s->scope_key, sizeof(s->scope_key), "%s",
		    in->scope_key);
		tsearch(s, &r->seen, seen_cmp);
		r->order = xreallocarray(r->order, r->nseen + 1,
		    sizeof(*r->order));
		r->order[r->nseen++] = s;
		s->state = (enum incident_state)-1;
	} else
		s = *f;
	if (s->state != in->state || s->cause != in->cause ||
	    s->naccounts != in->naccounts || s->planned != in->planned)
		replay_print_change(r, in, incident_state_name(in->state));
	s->state = in->state;
	s->cause = in->cause;
	s->naccounts = in->naccounts;
	s->planned = in->planned;
	s->opened_at = in->opened_at;
	s->confirmed_at = in->confirmed_at;
	s->resolved_at = in->resolved_at;
	snprintf(s->title, sizeof(s->title), "%s", in->title);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
replay_alarm(void *arg, const struct alarm *a)
{
	struct replay *r = arg;
	char t[32];

	if (!a->flapping || tfind(a->key, &r->flapping, str_cmp) != NULL)
		return;
	tsearch(xstrdup(a->key), &r->flapping, str_cmp);
	r->nflapping++;
	if (!r->quiet) {
		replay_time(r, r->now, t, sizeof(t));
		printf("%-9s %-22s flapping\n", t, a->key);
	}
}

static const struct inventory_index *
replay_inventory(void *arg)
{
	return ((struct replay *)arg)->inv;
}

static void
replay_summary(struct replay *r, const struct engine_stats *st)
{
	char o[32], c[32], e[32];
	size_t i;

	printf("incidents:\n");
	for (i = 0; i < r->nseen; i++) {
		struct replay_seen *s = r->order[i];

		replay_time(r, s->opened_at, o, sizeof(o));
		if (s->confirmed_at)
			replay_time(r, s->confirmed_at, c, sizeof(c));
		else
			snprintf(c, sizeof(c), "-");
		if (s->resolved_at)
			replay_time(r, s->resolved_at, e, sizeof(e));
		else
			snprintf(e, sizeof(e), "-");
		if (s->state == INCIDENT_MERGED)
			continue;
		printf("  %-22s %-12s %-10s accounts=%-5zu opened=%s "
		    "confirmed=%s ended=%s%s\n", s->scope_key,
		    incident_cause_name(s->cause),
		    incident_state_name(s->state), s->naccounts, o, c, e,
		    s->planned ? " planned" : "");
	}
	printf("events=%llu alarms_raised=%llu alarms_cleared=%llu "
	    "repeats=%llu early_clears=%llu flapping=%zu merged=%llu\n",
	    st->events, st->alarms_raised, st->alarms_cleared, st->repeats,
	    st->early_clears, r->nflapping, st->merged);
}

/* Run the clock from now to until, ticking what is due on the way. */
static rtime_t
replay_run_to(struct replay *r, struct engine *en, rtime_t now,
    rtime_t until)
{
	rtime_t next;

	r->now = now;
	while ((next = engine_tick(en, now)) != 0 && next <= until)
		r->now = now = next;
	return now;
}

static int
replay_policy(struct ctl *ctl, const char *path, struct policy *p)
{
	policy_defaults(p);
	if (path == NULL)
		return 0;
	if (policy_load(p, path) != 0) {
		ctl_error("%s: policy has errors", path);
		return -1;
	}
	return 0;
}

static int
ctl_replay(struct ctl *ctl, int argc, char **argv)
{
	struct replay r;
	struct policy pol;
	struct engine_sink sink = {
		.alarm = replay_alarm,
		.incident = replay_incident,
		.inventory = replay_inventory,
	};
	struct engine *en;
	struct engine_stats st;
	const char *policy = NULL, *from = NULL, *to = NULL;
	char err[256];
	double drain = REPLAY_DRAIN_SECONDS;
	rtime_t now;
	size_t i;
	int ch;

	memset(&r, 0, sizeof(r));
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--from-db") == 0 && i + 2 < (size_t)argc) {
			from = argv[i + 1];
			to = argv[i + 2];
			memmove(argv + i, argv + i + 3,
			    (size_t)(argc - (int)i - 3) * sizeof(*argv));
			argc -= 3;
			break;
		}
	while ((ch = getopt(argc, argv, "qp:u:")) != -1) {
		switch (ch) {
		case 'q': r.quiet = 1; break;
		case 'p': policy = optarg; break;
		case 'u': drain = strtod(optarg, NULL); break;
		default: ctl_replay_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((from == NULL) != (argc == 1) || replay_policy(ctl, policy,
	    &pol) != 0)
		ctl_replay_usage();
	r.conn = ctl_connect(ctl);
	if ((r.inv = inventory_index_load(r.conn, err, sizeof(err))) == NULL) {
		ctl_error("inventory: %s", err);
		return CTL_FAIL;
	}
	if ((from ? replay_from_db(&r, from, to) : replay_read(&r, argv[0])) !=
	    0)
		return CTL_FAIL;
	qsort(r.evs, r.nevs, sizeof(*r.evs), ev_cmp);
	r.t0 = r.nevs ? r.evs[0].at : 0;
	en = engine_new(&pol, &sink, &r);
	replay_windows(&r, en);
	now = r.t0;
	for (i = 0; i < r.nevs; i++) {
		struct replay_ev *e = &r.evs[i];

		now = replay_run_to(&r, en, now, e->at);
		r.now = now = e->at;
		e->ev.kind = e->kind;
		e->ev.cause = e->cause;
		e->ev.time.tv_sec = (time_t)(e->at / RTIME_SEC);
		e->ev.time.tv_usec = (suseconds_t)(e->at % RTIME_SEC);
		engine_event(en, &e->ev, now);
	}
	replay_run_to(&r, en, now, now + (rtime_t)(drain * RTIME_SEC));
	engine_get_stats(en, &st);
	replay_summary(&r, &st);
	engine_free(en);
	for (i = 0; i < r.nevs; i++) {
		free(r.evs[i].kind);
		free(r.evs[i].cause);
	}
	free(r.evs);
	inventory_index_free(r.inv);
	PQfinish(r.conn);
	return CTL_OK;
}

const struct ctl_command ctl_replay_cmd = {
	.name = "replay",
	.usage = "replay [-q] [-p policy.conf] [-u SECONDS] FILE|--from-db "
	    "FROM TO\n\t\t\t\t    replay recorded events through the rules "
	    "engine",
	.help =
	    "Runs recorded events (JSON lines or the events table's COPY\n"
	    "text; - for stdin; or the events table between FROM and TO)\n"
	    "through the rules engine on a simulated clock, and prints the\n"
	    "incidents it decides.\n"
	    "  -p file        the policy to try (default: rules.policy)\n"
	    "  -q             the summary only\n"
	    "  -u SECONDS     run the clock on after the last event\n"
	    "                 (86400)\n",
	.run = ctl_replay,
};
