/*
 * sla.c: heraldd counts and logs missed ticket deadlines. The deadlines
 * themselves are computed in SQL (schema/050_tickets.sql, the working-day
 * calendar); every sla.check_interval seconds this module asks the
 * tickets_overdue view, on the decisions connection, how many are late by
 * kind of deadline and how many became late since the last look, logs the
 * new ones (a NOC should not learn from a customer that a repair is
 * overdue), and publishes the counts (stats sla:, collector_stats).
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

/* The kinds of deadline tickets_overdue names, in the stats line's order. */
static const char *const sla_deadlines[] = {
	"first_response", "acceptance", "reply", "investigation", "solution",
	"resolve",
};
#define SLA_N	(sizeof(sla_deadlines) / sizeof(sla_deadlines[0]))

/*
 * Late deadlines by kind, those that fell due since the last look ($1, the
 * database's clock then; -infinity at start: everything late is news), and
 * the database's clock now (also on the one row there always is).
 */
static const char sla_sql[] =
	"SELECT deadline, count(*), count(*) FILTER (WHERE due > "
	"$1::timestamptz), now()::text FROM tickets_overdue GROUP BY 1 "
	"UNION ALL SELECT NULL, 0, 0, now()::text";

struct sla {
	struct herald		*h;
	struct event		*timer;
	int			 interval;
	int			 inflight;
	char			 last[64];	/* the database's clock */
	unsigned long long	 overdue[SLA_N];
	unsigned long long	 total, breaches;
	struct log_ratelimit	 rl;
};

static cfg_opt_t sla_opts[] = {
	CFG_INT("check_interval", 60, CFGF_NONE),
	CFG_END()
};

static void
sla_publish(struct sla *s, int final)
{
	struct stats_counter c[SLA_N + 2];
	size_t i;

	for (i = 0; i < SLA_N; i++) {
		c[i].name = sla_deadlines[i];
		c[i].value = s->overdue[i];
	}
	c[SLA_N].name = "overdue";
	c[SLA_N].value = s->total;
	c[SLA_N + 1].name = "breaches";
	c[SLA_N + 1].value = s->breaches;
	stats_publish(s->h, "sla", c, SLA_N + 2, final);
}

static void
sla_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct sla *s = arg;
	unsigned long long fresh = 0;
	char what[256] = "";
	size_t k, len = 0;
	int r;

	s->inflight = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (log_ratelimit(&s->rl, 1))
			log_warnx("sla: %s", store_errmsg(res));
		return;
	}
	memset(s->overdue, 0, sizeof(s->overdue));
	s->total = 0;
	for (r = 0; r < PQntuples(res); r++) {
		unsigned long long n = strtoull(PQgetvalue(res, r, 1), NULL, 10);
		unsigned long long m = strtoull(PQgetvalue(res, r, 2), NULL, 10);

		snprintf(s->last, sizeof(s->last), "%s", PQgetvalue(res, r, 3));
		if (PQgetisnull(res, r, 0))
			continue;
		for (k = 0; k < SLA_N; k++)
			if (strcmp(PQgetvalue(res, r, 0), sla_deadlines[k]) == 0)
				s->overdue[k] = n;
		s->total += n;
		fresh += m;
		if (m > 0 && len < sizeof(what))
			len += (size_t)snprintf(what + len, sizeof(what) - len,
			    "%s%s %llu", len ? ", " : "", PQgetvalue(res, r, 0),
			    m);
	}
	if (fresh > 0)
		log_warnx("sla: %llu ticket deadline%s newly missed (%s); %llu "
		    "overdue in all", fresh, fresh == 1 ? "" : "s", what,
		    s->total);
	s->breaches += fresh;
	sla_publish(s, 0);
}

static void
sla_check(struct sla *s)
{
	const char *params[1] = { s->last };

	if (s->inflight || store_state(s->h->decide) != STORE_UP)
		return;
	if (store_query(s->h->decide, sla_sql, 1, params, sla_done_cb, s) == 0)
		s->inflight = 1;
}

static void
sla_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	sla_check(arg);
}

static void
sla_arm(struct sla *s)
{
	struct timeval tv;

	s->interval = (int)cfg_getint(cfg_getsec(s->h->conf->cfg, "sla"),
	    "check_interval");
	tv.tv_sec = s->interval;
	tv.tv_usec = 0;
	event_del(s->timer);
	event_add(s->timer, &tv);
}

static int
sla_start(struct herald *h)
{
	struct sla *s = xcalloc(1, sizeof(*s));

	s->h = h;
	snprintf(s->last, sizeof(s->last), "-infinity");
	s->timer = event_new(h->base, -1, EV_PERSIST, sla_timer_cb, s);
	sla_arm(s);
	h->sla = s;
	return 0;
}

static void
sla_reload(struct herald *h, struct herald_conf *old)
{
	sla_arm(h->sla);
}

static void
sla_stop(struct herald *h)
{
	struct sla *s = h->sla;

	if (s == NULL)
		return;
	sla_publish(s, 1);
	event_free(s->timer);
	free(s);
	h->sla = NULL;
}

static void
sla_validators(cfg_t *root)
{
	cfg_set_validate_func(root, "sla|check_interval", conf_check_positive);
}

const struct herald_module sla_module = {
	.name = "sla",
	.opts = sla_opts,
	.validators = sla_validators,
	.start = sla_start,
	.reload = sla_reload,
	.stop = sla_stop,
};
