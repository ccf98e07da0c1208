/*
 * stats.c: publish counters to the log and to collector_stats. The rows
 * go in one statement per collector with the names and values as two
 * array parameters, so the SQL text never changes.
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "herald.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

static const char stats_sql[] =
	"INSERT INTO collector_stats (instance, collector, name, value, "
	"updated_at) SELECT $1, $2, u.name, u.value, now() "
	"FROM unnest($3::text[], $4::bigint[]) AS u(name, value) "
	"ON CONFLICT (instance, collector, name) DO UPDATE "
	"SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at";

/*
 * The last values of each collector, kept for /metrics (the loop thread
 * only). Collectors are few and fixed: a list is enough.
 */
struct stats_last {
	struct stats_last	*next;
	char			*collector;
	size_t			 n;
	struct stats_counter	*c;
};
static struct stats_last *stats_list;

static void
stats_remember(const char *collector, const struct stats_counter *c,
    size_t n)
{
	struct stats_last *l, **tail = &stats_list;
	size_t i;

	for (l = stats_list; l != NULL; tail = &l->next, l = l->next)
		if (strcmp(l->collector, collector) == 0)
			break;
	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		l->collector = xstrdup(collector);
		*tail = l;
	}
	if (l->n != n) {
		for (i = 0; i < l->n; i++)
			free((char *)l->c[i].name);
		free(l->c);
		l->c = xcalloc(n, sizeof(*l->c));
		for (i = 0; i < n; i++)
			l->c[i].name = xstrdup(c[i].name);
		l->n = n;
	}
	for (i = 0; i < n; i++)
		l->c[i].value = c[i].value;
}

void
stats_foreach(void (*cb)(const char *, const char *, unsigned long long,
    void *), void *arg)
{
	struct stats_last *l;
	size_t i;

	for (l = stats_list; l != NULL; l = l->next)
		for (i = 0; i < l->n; i++)
			cb(l->collector, l->c[i].name, l->c[i].value, arg);
}

static char host[256];

void
stats_set_instance(const char *name)
{
	snprintf(host, sizeof(host), "%s", name);
}

const char *
stats_instance(void)
{
	if (host[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
	}
	return host;
}

static void
stats_done_cb(struct store *st, PGresult *res, void *arg)
{
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_debug("db", "collector_stats: %s", store_errmsg(res));
}

void
stats_publish(struct herald *h, const char *collector,
    const struct stats_counter *c, size_t n, int final)
{
	struct evbuffer *line = evbuffer_new(), *names = evbuffer_new(),
	    *values = evbuffer_new();
	const char *params[4];
	char *l;
	size_t i;

	stats_remember(collector, c, n);
	evbuffer_add_printf(line, "stats %s:", collector);
	for (i = 0; i < n; i++) {
		evbuffer_add_printf(line, " %s=%llu", c[i].name, c[i].value);
		/* Names are fixed identifiers: no quoting needed in the array. */
		evbuffer_add_printf(names, "%s%s", i ? "," : "{", c[i].name);
		evbuffer_add_printf(values, "%s%llu", i ? "," : "{", c[i].value);
	}
	evbuffer_add(line, "", 1);
	evbuffer_add(names, "}", 2);
	evbuffer_add(values, "}", 2);
	l = (char *)evbuffer_pullup(line, -1);
	log_info("%s", l);
	if (!final && h->store != NULL && store_state(h->store) == STORE_UP) {
		params[0] = stats_instance();
		params[1] = collector;
		params[2] = (const char *)evbuffer_pullup(names, -1);
		params[3] = (const char *)evbuffer_pullup(values, -1);
		store_query(h->store, stats_sql, 4, params, stats_done_cb, NULL);
	}
	evbuffer_free(line);
	evbuffer_free(names);
	evbuffer_free(values);
}
