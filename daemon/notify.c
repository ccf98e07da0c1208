/*
 * notify.c: the notifier. The database fills the outbox in the same
 * transaction that confirms or resolves an incident (schema/070_notify.sql),
 * so a message is queued exactly once whoever writes the incident; this
 * module drains it:
 *
 *   claim    notify_claim() takes due messages, most urgent first, FOR
 *            UPDATE SKIP LOCKED (several heraldd share the work), never
 *            more than the gateways may take now (rate, in flight); the
 *            database holds them in quiet hours and expires stale ones;
 *   render   the template of its kind and language (rules/template.c)
 *            with the incident's values, in the configured time zone;
 *   send     through the first gateway with room (notify_gw.c), with
 *            failover and a circuit breaker;
 *   record   notify_result(): sent, retry later (back-off with jitter),
 *            dead, or unknown. Unknown (the request went out, no answer)
 *            stays "sending": the gateway's submit report settles it, and
 *            notify_recover() re-queues it only after notify.grace seconds
 *            without one, when the gateway cannot have taken it.
 *
 * Its own database connection, so neither the event firehose nor the rules
 * engine's decisions wait behind it, and it behind them. With no gateway
 * configured it does nothing (messages wait, then expire).
 */
#include "config.h"

#include <event2/event.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cluster.h"
#include "conf.h"
#include "curl_io.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "notify.h"
#include "notify_private.h"
#include "stats.h"
#include "store.h"
#include "template.h"
#include "xmalloc.h"

#define NOTIFY_PUMP_USEC	100000	/* look for work this often */
#define NOTIFY_SLOW_SECS	10	/* recover, plan */
#define NOTIFY_BACKOFF_MAX	300.0
#define NOTIFY_RESULTS_USEC	50000	/* results wait at most this */
#define NOTIFY_RESULTS_MAX	500	/* or until this many */

static cfg_opt_t notify_opts[] = {
	CFG_STR("signature", "", CFGF_NONE),
	CFG_STR("templates", PKGDATADIR "/templates", CFGF_NONE),
	CFG_INT("validity", 43200, CFGF_NONE),
	CFG_STR("quiet_hours", "22:00-08:00", CFGF_NONE),
	CFG_BOOL("update_on_eta", cfg_false, CFGF_NONE),
	CFG_INT("update_after", 0, CFGF_NONE),
	CFG_INT("grace", 120, CFGF_NONE),
	CFG_INT("planned_lead", 86400, CFGF_NONE),
	CFG_STR("dlr_url", "", CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_SEC("gateway", notify_gw_opts, CFGF_MULTI | CFGF_TITLE |
	    CFGF_NO_TITLE_DUPES),
	CFG_END()
};

struct notify {
	struct herald		*h;
	struct store		*db;
	struct curl_io		*cio;
	struct template_set	*templates;
	struct gateway		*gws;
	size_t			 ngws;
	/* Replaced by a reload while sends were in flight: freed after. */
	struct gateway		*retired[8];
	size_t			 nretired[8];
	char			*signature;
	char			*dlr_base;
	int			 grace, planned_lead, update_after;
	int			 claiming;	/* a claim is in flight */
	int			 sending;	/* messages at the gateways */
	struct event		*pump, *slow, *stats, *flush;
	json_t			*results;	/* not yet written */
	struct notify_seen	*seen;
	json_t			*seen_out;	/* to tell the other instances */
	struct event		*seen_flush;
	unsigned long long	 claimed, sent, retried, dead, unknown,
				 recovered, planned, updates, dlrs,
				 render_errors;
};

static void	notify_reap(struct notify *);
static void	notify_kick(struct notify *);
static void	notify_seen_share(struct notify *, const json_t *);

static const char notify_claim_sql[] = "SELECT notify_claim($1, $2)";
static const char notify_results_sql[] =
	"SELECT notify_results($1::jsonb)";

double
notify_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static cfg_t *
notify_section(cfg_t *root)
{
	return cfg_getsec(root, "notify");
}

/* "22:00-08:00" into its two ends; "" is no quiet hours (00:00-00:00). */
static int
notify_quiet(const char *s, char *from, char *to)
{
	int h1, m1, h2, m2, n = 0;

	if (*s == '\0') {
		strcpy(from, "00:00");
		strcpy(to, "00:00");
		return 0;
	}
	if (sscanf(s, "%d:%d-%d:%d%n", &h1, &m1, &h2, &m2, &n) != 4 ||
	    s[n] != '\0' || h1 < 0 || h1 > 23 || h2 < 0 || h2 > 23 ||
	    m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59)
		return -1;
	snprintf(from, 6, "%02d:%02d", h1, m1);
	snprintf(to, 6, "%02d:%02d", h2, m2);
	return 0;
}

static void
notify_check(cfg_t *root)
{
	cfg_t *sec = notify_section(root);
	struct template_set *t;
	char err[512], a[8], b[8];

	if (notify_quiet(cfg_getstr(sec, "quiet_hours"), a, b) != 0)
		conf_error(root, "notify.quiet_hours must be HH:MM-HH:MM or "
		    "empty");
	if (cfg_getint(sec, "validity") < 60 || cfg_getint(sec, "grace") < 1 ||
	    cfg_getint(sec, "stats_interval") < 1 ||
	    cfg_getint(sec, "planned_lead") < 0 ||
	    cfg_getint(sec, "update_after") < 0)
		conf_error(root, "notify: validity (at least 60), grace and "
		    "stats_interval must be positive");
	gw_check(root, sec);
	if (cfg_size(sec, "gateway") == 0)
		return;		/* not sending: templates are not needed */
	if ((t = template_load(cfg_getstr(sec, "templates"), err,
	    sizeof(err))) == NULL)
		conf_error(root, "notify.templates: %s", err);
	template_free(t);
}

/* The settings the database applies when it queues and claims. */
static void
notify_configure(struct notify *n)
{
	cfg_t *sec = notify_section(n->h->conf->cfg);
	char from[8], to[8], *s;
	json_t *j;
	const char *p[1];

	notify_quiet(cfg_getstr(sec, "quiet_hours"), from, to);
	j = json_pack("{s:I, s:s, s:s, s:s, s:b, s:I}", "validity_seconds",
	    (json_int_t)cfg_getint(sec, "validity"), "quiet_start", from,
	    "quiet_end", to, "tz", n->h->conf->timezone, "update_on_eta",
	    cfg_getbool(sec, "update_on_eta"), "grace_seconds",
	    (json_int_t)cfg_getint(sec, "grace"));
	s = json_dumps(j, JSON_COMPACT);
	p[0] = s;
	store_query(n->db, "SELECT notify_configure($1::jsonb)", 1, p, NULL,
	    NULL);
	free(s);
	json_decref(j);
}

/* Seconds before the next attempt: 5, 10, 20 ... 300, give or take 20%. */
static double
notify_backoff(int attempts)
{
	double d = 5.0 * pow(2.0, attempts > 1 ? attempts - 1 : 0);

	if (d > NOTIFY_BACKOFF_MAX)
		d = NOTIFY_BACKOFF_MAX;
	return d * (0.8 + 0.4 * ((double)random() / RAND_MAX));
}

static void
notify_flush_results(struct notify *n)
{
	char *batch;
	const char *p[1];

	if (json_array_size(n->results) == 0)
		return;
	batch = json_dumps(n->results, JSON_COMPACT);
	p[0] = batch;
	if (store_query(n->db, notify_results_sql, 1, p, NULL, NULL) != 0)
		log_warnx("notify: %zu results could not be queued; those "
		    "messages will be sent again after %d s",
		    json_array_size(n->results), n->grace);
	free(batch);
	json_array_clear(n->results);
}

static void
notify_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_flush_results(arg);
}

/*
 * What became of a message, for notify_result(): gathered for up to
 * NOTIFY_RESULTS_USEC or NOTIFY_RESULTS_MAX, then written in one round
 * trip, so a drain at the gateway's full speed is not a statement per SMS.
 */
static void
notify_result(struct notify *n, struct gw_send *s, enum gw_outcome o,
    const char *error, double retry)
{
	struct timeval tv = { 0, NOTIFY_RESULTS_USEC };

	json_array_append_new(n->results, json_pack("{s:I, s:s, s:s?, s:s?, "
	    "s:f, s:s?, s:i}", "id", (json_int_t)s->id, "outcome",
	    gw_outcome_name(o), "gateway", s->gw != NULL ? s->gw->name : NULL,
	    "error", error, "retry", retry, "body", o == GW_SENT ? s->body :
	    NULL, "segments", s->segments));
	if (json_array_size(n->results) >= NOTIFY_RESULTS_MAX)
		notify_flush_results(n);
	else if (!evtimer_pending(n->flush, NULL))
		evtimer_add(n->flush, &tv);
}

static void
notify_send_free(struct gw_send *s)
{
	json_decref((json_t *)s->arg);
	free(s->body);
	free(s->request);
	free(s);
}

/* For the lookup: this subscriber was sent this message just now. */
static void
notify_seen_sent(struct notify *n, const json_t *row)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	json_t *e;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	e = json_pack("{s:O, s:O, s:O, s:s, s:s}", "subscriber_id",
	    json_object_get(row, "subscriber_id"), "incident_id",
	    json_object_get(row, "incident_id"), "kind",
	    json_object_get(row, "kind"), "state", "sent", "sent_at", now);
	seen_put(n->seen, e);
	notify_seen_share(n, e);
	json_decref(e);
}

static void
notify_done(struct gw_send *s, enum gw_outcome o, const char *error)
{
	struct notify *n = s->owner;
	json_t *row = s->arg;
	int attempts = (int)json_integer_value(json_object_get(row,
	    "attempts"));

	n->sending--;
	n->sent += o == GW_SENT;
	n->retried += o == GW_RETRY;
	n->dead += o == GW_DEAD;
	n->unknown += o == GW_UNKNOWN;
	if (o != GW_SENT)
		log_debug("notify", "message %lld: %s: %s", (long long)s->id,
		    gw_outcome_name(o), error);
	notify_result(n, s, o, error, o == GW_RETRY ?
	    notify_backoff(attempts) : 0);
	if (o == GW_SENT)
		notify_seen_sent(n, row);
	api_push(n->h, "notifications");
	notify_send_free(s);
	notify_reap(n);
	notify_kick(n);
}

static long long
notify_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : 0;
}

static const char *
notify_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * The template's values from a claimed row; also as JSON, the parameters
 * an HTTP platform's own templates take. tbuf holds the ticket number.
 */
static json_t *
notify_vars(struct notify *n, const json_t *row, struct template_vars *v,
    char *tbuf, size_t tlen)
{
	const json_t *inc = json_object_get(row, "incident");
	const json_t *win = json_object_get(row, "window");

	memset(v, 0, sizeof(*v));
	/* Where: the device's region (or site), of the incident or window. */
	v->area = notify_str(inc, "region");
	if (v->area == NULL)
		v->area = notify_str(inc, "site");
	if (v->area == NULL)
		v->area = notify_str(win, "region");
	if (v->area == NULL)
		v->area = notify_str(win, "site");
	v->cause = notify_str(inc, "cause");
	v->since = notify_num(inc, "opened_at");
	v->eta = notify_num(inc, "eta");
	v->starts = notify_num(win, "starts_at");
	v->ends = notify_num(win, "ends_at");
	if (notify_num(inc, "ticket_id") > 0) {
		snprintf(tbuf, tlen, "%lld", notify_num(inc, "ticket_id"));
		v->ticket = tbuf;
	}
	v->account = notify_str(row, "account");
	v->signature = n->signature;
	v->tz = n->h->conf->timezone;
	return json_pack("{s:s?, s:s?, s:I, s:I, s:s?, s:s?}", "area",
	    v->area, "cause", v->cause ? template_cause_words(v->cause,
	    notify_str(row, "language")) : NULL, "since", (json_int_t)v->since,
	    "eta", (json_int_t)v->eta, "ticket", v->ticket, "account",
	    v->account);
}

/* Render and hand one claimed row to a gateway; the row is kept. */
static void
notify_send(struct notify *n, json_t *row)
{
	struct gw_send *s = xcalloc(1, sizeof(*s));
	struct template_vars v;
	struct sms_size size;
	char text[2048], ticket[32], dlr[512];
	const char *kind = notify_str(row, "kind");
	const char *lang = notify_str(row, "language");
	json_t *params;

	s->id = notify_num(row, "id");
	s->owner = n;
	s->arg = json_incref(row);
	n->sending++;
	params = notify_vars(n, row, &v, ticket, sizeof(ticket));
	if (kind == NULL || template_render(n->templates, kind, lang ? lang :
	    "zh", &v, text, sizeof(text)) != 0) {
		n->render_errors++;
		n->sending--;
		notify_result(n, s, GW_DEAD, "no template for this kind and "
		    "language", 0);
		json_decref(params);
		notify_send_free(s);
		return;
	}
	s->body = xstrdup(text);
	sms_size(text, &size);
	s->ucs2 = size.ucs2;
	s->segments = (int)size.segments;
	snprintf(dlr, sizeof(dlr), "%s/api/v1/dlr/%s?type=%%d&text=%%A",
	    n->dlr_base, notify_str(row, "dlr_token"));
	s->gw = gw_pick(n->gws, n->ngws, notify_clock());
	if (s->gw == NULL || gw_send(n->cio, s, kind, notify_str(row,
	    "phone"), dlr, params, notify_done) != 0) {
		n->sending--;
		n->retried++;
		notify_result(n, s, GW_RETRY, "no gateway could take it", 1.0);
		notify_send_free(s);
	}
	json_decref(params);
}

static void	notify_pump_cb(evutil_socket_t, short, void *);

/*
 * Claim again now, not at the next tick, when the gateways have room for
 * a good share of what they may hold: a drain then runs at the gateway's
 * pace instead of one claim per 100 ms.
 */
static void
notify_kick(struct notify *n)
{
	int room, most = 0;
	size_t i;

	if (n->claiming)
		return;
	for (i = 0; i < n->ngws; i++)
		most += n->gws[i].max_inflight;
	room = gw_capacity(n->gws, n->ngws, notify_clock());
	if (room > 0 && room * 4 >= most)
		notify_pump_cb(-1, 0, n);
}

static void
notify_claim_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct notify *n = arg;
	json_t *rows, *row;
	size_t i;

	n->claiming = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("notify: claim: %s", res ? store_errmsg(res) :
		    "no answer");
		return;
	}
	if ((rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL)
		return;
	n->claimed += json_array_size(rows);
	json_array_foreach(rows, i, row)
		notify_send(n, row);
	if (json_array_size(rows) > 0)
		notify_kick(n);
	json_decref(rows);
}

/* Claim as many as the gateways may take now, if any. */
static void
notify_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	char limit[16];
	const char *p[2];
	int room;

	if (n->claiming || n->ngws == 0 || store_state(n->db) != STORE_UP)
		return;
	if ((room = gw_capacity(n->gws, n->ngws, notify_clock())) <= 0)
		return;
	snprintf(limit, sizeof(limit), "%d", room);
	p[0] = stats_instance();
	p[1] = limit;
	if (store_query(n->db, notify_claim_sql, 2, p, notify_claim_done_cb,
	    n) == 0)
		n->claiming = 1;
}

static void
notify_count_cb(struct store *st, PGresult *res, void *arg)
{
	unsigned long long *counter = arg;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    !PQgetisnull(res, 0, 0))
		*counter += strtoull(PQgetvalue(res, 0, 0), NULL, 10);
}

/*
 * Every few seconds: messages left "sending" longer than the grace (a
 * crash, an unanswered request with no submit report) go back to the
 * queue; outages older than notify.update_after get their one update
 * notice; maintenance windows starting soon get their planned notices.
 */
static void
notify_slow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	char grace[16], lead[32];
	const char *p[1];

	if (store_state(n->db) != STORE_UP || n->ngws == 0)
		return;
	snprintf(grace, sizeof(grace), "%d", n->grace);
	p[0] = grace;
	store_query(n->db, "SELECT notify_recover($1)", 1, p,
	    notify_count_cb, &n->recovered);
	if (n->update_after > 0) {
		snprintf(lead, sizeof(lead), "%d seconds", n->update_after);
		p[0] = lead;
		store_query(n->db, "SELECT notify_age_updates($1::interval)", 1,
		    p, notify_count_cb, &n->updates);
	}
	if (n->planned_lead > 0) {
		snprintf(lead, sizeof(lead), "%d seconds", n->planned_lead);
		p[0] = lead;
		store_query(n->db, "SELECT notify_plan($1::interval)", 1, p,
		    notify_count_cb, &n->planned);
	}
}

static void
notify_publish(struct notify *n, int final)
{
	struct stats_counter c[] = {
		{ "claimed", n->claimed }, { "sent", n->sent },
		{ "retried", n->retried }, { "dead", n->dead },
		{ "unknown", n->unknown }, { "recovered", n->recovered },
		{ "planned", n->planned }, { "updates", n->updates },
		{ "dlrs", n->dlrs },
		{ "render_errors", n->render_errors },
		{ "in_flight", (unsigned long long)n->sending },
	};

	stats_publish(n->h, "notify", c, sizeof(c) / sizeof(c[0]), final);
}

static void
notify_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_publish(arg, 0);
}

/*
 * In a cluster each instance sends a share of the messages and takes a
 * share of the delivery reports, but the customer-service lookup on any
 * instance must show them all. What this instance learns (a send, a
 * report) is told to the others every 200 ms by NOTIFY notify_seen, a
 * payload of {"from": name, "rows": [...]} under PostgreSQL's 8000 bytes;
 * each puts the rows in its own memory. Standalone, nothing is sent.
 */
#define NOTIFY_SEEN_USEC	200000
#define NOTIFY_SEEN_PAYLOAD	7000

static void
notify_seen_send(struct notify *n, json_t *rows)
{
	json_t *doc = json_pack("{s:s, s:O}", "from", cluster_name(n->h),
	    "rows", rows);
	const char *params[1];
	char *s = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	params[0] = s;
	if (s != NULL)
		store_query(n->db, "SELECT pg_notify('notify_seen', $1)", 1,
		    params, NULL, NULL);
	free(s);
}

static void
notify_seen_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	json_t *chunk = json_array(), *row;
	size_t i, bytes = 0, len;
	char *s;

	json_array_foreach(n->seen_out, i, row) {
		if ((s = json_dumps(row, JSON_COMPACT)) == NULL)
			continue;
		len = strlen(s) + 1;
		free(s);
		if (bytes + len > NOTIFY_SEEN_PAYLOAD &&
		    json_array_size(chunk) > 0) {
			notify_seen_send(n, chunk);
			json_array_clear(chunk);
			bytes = 0;
		}
		json_array_append(chunk, row);
		bytes += len;
	}
	if (json_array_size(chunk) > 0)
		notify_seen_send(n, chunk);
	json_decref(chunk);
	json_array_clear(n->seen_out);
}

static void
notify_seen_share(struct notify *n, const json_t *row)
{
	struct timeval tv = { 0, NOTIFY_SEEN_USEC };

	if (!cluster_enabled(n->h))
		return;
	json_array_append(n->seen_out, (json_t *)row);
	if (!evtimer_pending(n->seen_flush, NULL))
		evtimer_add(n->seen_flush, &tv);
}

static void
notify_seen_notify_cb(struct store *st, const char *channel,
    const char *payload, void *arg)
{
	struct notify *n = arg;
	json_t *doc, *row;
	const char *from;
	size_t i;

	if ((doc = json_loads(payload, 0, NULL)) == NULL)
		return;
	from = json_string_value(json_object_get(doc, "from"));
	if (from != NULL && strcmp(from, cluster_name(n->h)) != 0) {
		json_array_foreach(json_object_get(doc, "rows"), i, row)
			seen_put(n->seen, row);
		api_push(n->h, "notifications");
	}
	json_decref(doc);
}

/* What was sent in the last day, for the lookup, read once at start. */
static void
notify_seen_load_cb(struct store *st, PGresult *res, void *arg)
{
	struct notify *n = arg;
	json_t *rows, *row;
	size_t i;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    (rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL)
		return;
	json_array_foreach(rows, i, row)
		seen_put(n->seen, row);
	json_decref(rows);
}

static void
notify_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct notify *n = arg;

	if (s != STORE_UP)
		return;
	notify_configure(n);
}

/* Free the gateways replaced by reloads once nothing uses them. */
static void
notify_reap(struct notify *n)
{
	size_t i;

	if (n->sending > 0)
		return;
	for (i = 0; i < 8; i++) {
		gw_free(n->retired[i], n->nretired[i]);
		n->retired[i] = NULL;
		n->nretired[i] = 0;
	}
}

static int
notify_retire(struct notify *n)
{
	size_t i;

	notify_reap(n);
	for (i = 0; i < 8 && n->retired[i] != NULL; i++)
		;
	if (i == 8) {		/* eight reloads under load: wait for one */
		log_warnx("notify: gateways not reloaded: sends in flight");
		return -1;
	}
	n->retired[i] = n->gws;
	n->nretired[i] = n->ngws;
	n->gws = NULL;
	n->ngws = 0;
	return 0;
}

/* Everything that follows the configuration (start and reload). */
static void
notify_apply(struct notify *n)
{
	cfg_t *sec = notify_section(n->h->conf->cfg);
	const char *dlr = cfg_getstr(sec, "dlr_url");
	struct template_set *t = NULL;
	char err[512];

	if (cfg_size(sec, "gateway") > 0 && (t = template_load(cfg_getstr(sec,
	    "templates"), err, sizeof(err))) == NULL) {
		log_warnx("notify: %s; keeping the templates in use", err);
		return;
	}
	if (t != NULL) {
		template_free(n->templates);
		n->templates = t;
	}
	if (notify_retire(n) == 0)
		n->gws = gw_load(sec, &n->ngws);
	free(n->signature);
	n->signature = xstrdup(cfg_getstr(sec, "signature"));
	free(n->dlr_base);
	if (*dlr != '\0')
		n->dlr_base = xstrdup(dlr);
	else
		xasprintf(&n->dlr_base, "http://%s", n->h->conf->http_listen);
	n->dlr_base[strcspn(n->dlr_base, "\n")] = '\0';
	if (n->dlr_base[0] && n->dlr_base[strlen(n->dlr_base) - 1] == '/')
		n->dlr_base[strlen(n->dlr_base) - 1] = '\0';
	n->grace = (int)cfg_getint(sec, "grace");
	n->planned_lead = (int)cfg_getint(sec, "planned_lead");
	n->update_after = (int)cfg_getint(sec, "update_after");
	if (store_state(n->db) == STORE_UP)
		notify_configure(n);
	if (n->ngws == 0)
		log_info("notify: no gateway configured: messages stay queued");
	else
		log_info("notify: %zu gateway%s, first %s", n->ngws,
		    n->ngws == 1 ? "" : "s", n->gws[0].name);
}

static int
notify_start(struct herald *h)
{
	struct notify *n = xcalloc(1, sizeof(*n));
	struct timeval pump = { 0, NOTIFY_PUMP_USEC };
	struct timeval slow = { NOTIFY_SLOW_SECS, 0 };
	struct timeval st = { cfg_getint(notify_section(h->conf->cfg),
	    "stats_interval"), 0 };

	n->h = h;
	h->notify = n;
	n->seen = seen_new();
	n->results = json_array();
	n->seen_out = json_array();
	n->flush = evtimer_new(h->base, notify_flush_cb, n);
	n->seen_flush = evtimer_new(h->base, notify_seen_flush_cb, n);
	n->cio = curl_io_new(h->base);
	n->db = store_new(h->base, h->conf->db_conninfo,
	    h->conf->db_connect_timeout, 100000);
	store_set_label(n->db, "notify");
	store_set_stall_timeout(n->db, h->conf->db_stall_timeout);
	store_watch(n->db, notify_state_cb, n);
	if (cluster_enabled(h))
		store_listen(n->db, "notify_seen", notify_seen_notify_cb, n);
	notify_apply(n);
	store_start(n->db);
	store_query(n->db, "SELECT coalesce(json_agg(json_build_object("
	    "'subscriber_id', subscriber_id, 'incident_id', incident_id, "
	    "'kind', kind, 'state', state, 'sent_at', sent_at, "
	    "'delivered_at', delivered_at) ORDER BY id), '[]') "
	    "FROM notifications WHERE created_at > now() - interval '1 day' "
	    "AND state NOT IN ('queued', 'held', 'sending')", 0, NULL,
	    notify_seen_load_cb, n);
	n->pump = event_new(h->base, -1, EV_PERSIST, notify_pump_cb, n);
	event_add(n->pump, &pump);
	n->slow = event_new(h->base, -1, EV_PERSIST, notify_slow_cb, n);
	event_add(n->slow, &slow);
	n->stats = event_new(h->base, -1, EV_PERSIST, notify_stats_cb, n);
	event_add(n->stats, &st);
	return 0;
}

static void
notify_reload(struct herald *h, struct herald_conf *old)
{
	struct notify *n = h->notify;

	store_set_conninfo(n->db, h->conf->db_conninfo);
	notify_apply(n);
}

/*
 * Sends in flight are abandoned without their callbacks: those messages
 * stay "sending" and notify_recover() decides after the grace.
 */
static void
notify_stop(struct herald *h)
{
	struct notify *n = h->notify;
	size_t i;

	if (n == NULL)
		return;
	notify_publish(n, 1);
	curl_io_free(n->cio);
	notify_flush_results(n);	/* queued: written if the store can */
	event_free(n->flush);
	event_free(n->seen_flush);
	json_decref(n->results);
	json_decref(n->seen_out);
	event_free(n->pump);
	event_free(n->slow);
	event_free(n->stats);
	store_free(n->db);
	template_free(n->templates);
	gw_free(n->gws, n->ngws);
	for (i = 0; i < 8; i++)
		gw_free(n->retired[i], n->nretired[i]);
	seen_free(n->seen);
	free(n->signature);
	free(n->dlr_base);
	free(n);
	h->notify = NULL;
}

json_t *
notify_lookup(struct herald *h, int64_t subscriber)
{
	if (h->notify == NULL)
		return json_array();
	return seen_get(h->notify->seen, subscriber);
}

void
notify_dlr_seen(struct herald *h, const json_t *row)
{
	if (h->notify == NULL)
		return;
	h->notify->dlrs++;
	seen_put(h->notify->seen, row);
	notify_seen_share(h->notify, row);
	api_push(h, "notifications");
}

const struct herald_module notify_module = {
	.name = "notify",
	.opts = notify_opts,
	.check = notify_check,
	.start = notify_start,
	.reload = notify_reload,
	.stop = notify_stop,
};
