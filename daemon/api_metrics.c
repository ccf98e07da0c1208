/*
 * api_metrics.c: GET /metrics, in Prometheus' text format (checked with
 * promtool in test 08): every module's counters as last published
 * (stats_publish), the database connections, the loop's lag, the API's
 * requests by route and status, and the gauges of what is open (alarms by
 * kind, incidents by state and cause, tickets by kind and state, overdue
 * tickets, queued messages), read every few seconds by api_cache.c.
 */
#include "config.h"

#include <event2/buffer.h>
#include <jansson.h>
#include <string.h>

#include "api.h"
#include "api_private.h"
#include "herald.h"
#include "stats.h"
#include "store.h"

/* One module counter: herald_COLLECTOR_NAME, a gauge (last published). */
static void
api_metric_cb(const char *collector, const char *name,
    unsigned long long value, void *arg)
{
	struct evbuffer *b = arg;

	evbuffer_add_printf(b, "# HELP herald_%s_%s %s: %s, as last "
	    "published\n# TYPE herald_%s_%s gauge\nherald_%s_%s %llu\n",
	    collector, name, collector, name, collector, name, collector,
	    name, value);
}

static void
api_metrics_store(struct evbuffer *b, const char *conn, struct store *st)
{
	evbuffer_add_printf(b,
	    "herald_database_up{connection=\"%s\"} %d\n"
	    "herald_database_queue{connection=\"%s\"} %zu\n"
	    "herald_database_stalls{connection=\"%s\"} %u\n",
	    conn, store_state(st) == STORE_UP, conn, store_queued(st), conn,
	    store_stalls(st));
}

static void
api_metrics_requests(struct api *a, struct evbuffer *b)
{
	size_t r, i;

	evbuffer_add_printf(b, "# HELP herald_api_requests_total HTTP "
	    "requests by route and status\n"
	    "# TYPE herald_api_requests_total counter\n");
	for (r = 0; r <= api_nroutes; r++)
		for (i = 0; i < API_NSTATUS; i++)
			if (a->requests[r][i] > 0)
				evbuffer_add_printf(b,
				    "herald_api_requests_total{route=\"%s\","
				    "status=\"%d\"} %llu\n", r < api_nroutes ?
				    api_routes[r].name : "other",
				    api_statuses[i], a->requests[r][i]);
}

/* A JSON object {label value: n} as one labelled gauge. */
static void
api_metrics_object(struct evbuffer *b, const json_t *g, const char *key,
    const char *metric, const char *help, const char *label)
{
	const char *k;
	json_t *v;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", metric,
	    help, metric);
	json_object_foreach((json_t *)json_object_get(g, key), k, v)
		evbuffer_add_printf(b, "%s{%s=\"%s\"} %lld\n", metric, label,
		    k, (long long)json_integer_value(v));
}

/* A JSON array [{l1, l2, n}] as one gauge with two labels. */
static void
api_metrics_array(struct evbuffer *b, const json_t *g, const char *key,
    const char *metric, const char *help, const char *l1, const char *l2)
{
	json_t *v;
	size_t i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", metric,
	    help, metric);
	json_array_foreach(json_object_get(g, key), i, v)
		evbuffer_add_printf(b, "%s{%s=\"%s\",%s=\"%s\"} %lld\n",
		    metric, l1, json_string_value(json_object_get(v, l1)), l2,
		    json_string_value(json_object_get(v, l2)),
		    (long long)json_integer_value(json_object_get(v, "n")));
}

static void
api_metrics_gauges(struct api *a, struct evbuffer *b)
{
	const json_t *g = api_cache_gauges(a->cache);

	if (g == NULL)
		return;
	api_metrics_object(b, g, "alarms", "herald_alarms_active",
	    "raised alarms by kind", "kind");
	api_metrics_array(b, g, "incidents", "herald_incidents_open",
	    "open incidents by state and cause", "state", "cause");
	api_metrics_array(b, g, "tickets", "herald_tickets_open",
	    "open tickets by kind and state", "kind", "state");
	api_metrics_object(b, g, "overdue", "herald_tickets_overdue",
	    "open tickets with a missed deadline, by kind", "kind");
	api_metrics_object(b, g, "notifications", "herald_notifications_pending",
	    "messages waiting in the outbox, by state", "state");
}

void
api_metrics_write(struct api *a, struct evbuffer *b)
{
	stats_foreach(api_metric_cb, b);
	evbuffer_add_printf(b, "# HELP herald_database_up 1 when the "
	    "connection is up\n# TYPE herald_database_up gauge\n"
	    "# HELP herald_database_queue statements waiting\n"
	    "# TYPE herald_database_queue gauge\n"
	    "# HELP herald_database_stalls stalls detected (reconnects)\n"
	    "# TYPE herald_database_stalls gauge\n");
	api_metrics_store(b, "events", a->h->store);
	api_metrics_store(b, "decisions", a->h->decide);
	api_metrics_store(b, "api", a->db);
	evbuffer_add_printf(b, "# HELP herald_loop_lag_seconds the longest "
	    "event loop delay since the last scrape\n"
	    "# TYPE herald_loop_lag_seconds gauge\n"
	    "herald_loop_lag_seconds %.6f\n", a->lag_max);
	a->lag_max = a->lag;
	evbuffer_add_printf(b, "# HELP herald_api_tokens active API tokens\n"
	    "# TYPE herald_api_tokens gauge\nherald_api_tokens %zu\n",
	    api_cache_tokens(a->cache));
	api_metrics_requests(a, b);
	api_metrics_gauges(a, b);
	api_remote_metrics(a->remote, b);
}
