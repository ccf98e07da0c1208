/*
 * api.c: heraldd's HTTP server (libevent's evhttp, on the loop), on
 * http.listen. So far it answers what an operator's monitoring asks:
 *
 *   GET /healthz   the database connections, the loop's lag: JSON, 200 when
 *                  heraldd can do its job, 503 when it cannot
 *   GET /metrics   Prometheus text: every module's counters as last
 *                  published (stats_publish), the connections' queues, the
 *                  loop's lag and the API's own requests
 *
 * Everything else is a JSON error with its status. The API proper
 * (tokens, roles, the NOC's and customer service's routes) comes next
 * (issue 10). A port that cannot be bound is logged and heraldd runs on
 * without its API.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

#define API_MAX_HEADERS		8192
#define API_MAX_BODY		65536
#define API_TIMEOUT		10		/* seconds per request */
#define API_LAG_USEC		250000		/* the lag probe's period */
#define API_LAG_UNHEALTHY	2.0		/* seconds of lag: not healthy */

enum api_route { ROUTE_HEALTHZ = 0, ROUTE_METRICS, ROUTE_OTHER, ROUTE_N };
static const char *const api_route_names[ROUTE_N] = {
	"/healthz", "/metrics", "other"
};
static const int api_statuses[] = { 200, 404, 405, 503 };
#define API_NSTATUS	(sizeof(api_statuses) / sizeof(api_statuses[0]))

struct api {
	struct herald		*h;
	struct evhttp		*http;
	char			*listen;
	struct event		*lag_timer;
	struct timespec		 lag_due;
	double			 lag;		/* seconds, last probe */
	double			 lag_max;	/* since the last scrape */
	unsigned long long	 requests[ROUTE_N][API_NSTATUS];
};

static double
api_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	return (double)ts->tv_sec + ts->tv_nsec / 1e9;
}

/* A timer that should fire every 250 ms: how late it is, is the lag. */
static void
api_lag_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	struct timespec now;
	double late = api_now(&now) - ((double)a->lag_due.tv_sec +
	    a->lag_due.tv_nsec / 1e9);

	a->lag = late > 0 ? late : 0;
	if (a->lag > a->lag_max)
		a->lag_max = a->lag;
	a->lag_due = now;
	a->lag_due.tv_nsec += API_LAG_USEC * 1000;
	if (a->lag_due.tv_nsec >= 1000000000) {
		a->lag_due.tv_sec++;
		a->lag_due.tv_nsec -= 1000000000;
	}
}

static void
api_count(struct api *a, enum api_route r, int status)
{
	size_t i;

	for (i = 0; i < API_NSTATUS; i++)
		if (api_statuses[i] == status)
			a->requests[r][i]++;
}

static void
api_reply(struct api *a, struct evhttp_request *req, enum api_route r,
    int status, const char *type, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	api_count(a, r, status);
	evhttp_send_reply(req, status, status == 200 ? "OK" :
	    status == 404 ? "Not Found" : status == 405 ?
	    "Method Not Allowed" : "Service Unavailable", body);
}

static void
api_reply_json(struct api *a, struct evhttp_request *req, enum api_route r,
    int status, json_t *doc)
{
	struct evbuffer *body = evbuffer_new();
	char *s = json_dumps(doc, JSON_COMPACT);

	evbuffer_add_printf(body, "%s\n", s ? s : "{}");
	free(s);
	json_decref(doc);
	api_reply(a, req, r, status, "application/json", body);
	evbuffer_free(body);
}

static void
api_error(struct api *a, struct evhttp_request *req, int status,
    const char *error, const char *detail)
{
	api_reply_json(a, req, ROUTE_OTHER, status, json_pack("{s:s, s:s}",
	    "error", error, "detail", detail));
}

static const char *
api_state_name(enum store_state s)
{
	return s == STORE_UP ? "up" : s == STORE_CONNECTING ? "connecting" :
	    "down";
}

static json_t *
api_store_json(struct store *st)
{
	return json_pack("{s:s, s:I, s:I, s:i}", "state",
	    api_state_name(store_state(st)), "queued",
	    (json_int_t)store_queued(st), "stalls",
	    (json_int_t)store_stalls(st), "stuck_seconds", store_stuck(st));
}

static void
api_healthz(struct api *a, struct evhttp_request *req)
{
	struct herald *h = a->h;
	int ok = store_state(h->store) == STORE_UP &&
	    store_state(h->decide) == STORE_UP && a->lag < API_LAG_UNHEALTHY;

	api_reply_json(a, req, ROUTE_HEALTHZ, ok ? 200 : 503,
	    json_pack("{s:s, s:{s:o, s:o}, s:f}", "status",
	    ok ? "ok" : "degraded", "database", "events",
	    api_store_json(h->store), "decisions", api_store_json(h->decide),
	    "loop_lag_seconds", a->lag));
}

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
api_metrics(struct api *a, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	size_t r, i;

	stats_foreach(api_metric_cb, b);
	evbuffer_add_printf(b, "# HELP herald_database_up 1 when the "
	    "connection is up\n# TYPE herald_database_up gauge\n"
	    "# HELP herald_database_queue statements waiting\n"
	    "# TYPE herald_database_queue gauge\n"
	    "# HELP herald_database_stalls stalls detected (reconnects)\n"
	    "# TYPE herald_database_stalls gauge\n");
	api_metrics_store(b, "events", a->h->store);
	api_metrics_store(b, "decisions", a->h->decide);
	evbuffer_add_printf(b, "# HELP herald_loop_lag_seconds the longest "
	    "event loop delay since the last scrape\n"
	    "# TYPE herald_loop_lag_seconds gauge\n"
	    "herald_loop_lag_seconds %.6f\n", a->lag_max);
	a->lag_max = a->lag;
	evbuffer_add_printf(b, "# HELP herald_api_requests_total HTTP "
	    "requests by route and status\n"
	    "# TYPE herald_api_requests_total counter\n");
	for (r = 0; r < ROUTE_N; r++)
		for (i = 0; i < API_NSTATUS; i++)
			if (a->requests[r][i] > 0)
				evbuffer_add_printf(b,
				    "herald_api_requests_total{route=\"%s\","
				    "status=\"%d\"} %llu\n", api_route_names[r],
				    api_statuses[i], a->requests[r][i]);
	api_reply(a, req, ROUTE_METRICS, 200,
	    "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

static void
api_request_cb(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));

	if (path == NULL)
		path = "";
	if (strcmp(path, "/healthz") != 0 && strcmp(path, "/metrics") != 0) {
		api_error(a, req, 404, "not found", path);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		api_error(a, req, 405, "method not allowed", "use GET");
		return;
	}
	if (strcmp(path, "/healthz") == 0)
		api_healthz(a, req);
	else
		api_metrics(a, req);
}

/* "127.0.0.1:8080", "[::1]:8080": the address and the port. */
static int
api_split(const char *listen, char *addr, size_t len, unsigned short *port)
{
	const char *colon = strrchr(listen, ':');
	size_t n;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - listen);
	if (n > 1 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(addr, listen, n);
	addr[n] = '\0';
	*port = (unsigned short)atoi(colon + 1);
	return *port ? 0 : -1;
}

static void
api_close(struct api *a)
{
	if (a->http != NULL)
		evhttp_free(a->http);
	a->http = NULL;
	free(a->listen);
	a->listen = NULL;
}

static void
api_open(struct api *a)
{
	char addr[256];
	unsigned short port;

	a->listen = xstrdup(a->h->conf->http_listen);
	if (api_split(a->listen, addr, sizeof(addr), &port) != 0) {
		log_warnx("api: http.listen \"%s\" is not ADDRESS:PORT",
		    a->listen);
		return;
	}
	a->http = evhttp_new(a->h->base);
	evhttp_set_max_headers_size(a->http, API_MAX_HEADERS);
	evhttp_set_max_body_size(a->http, API_MAX_BODY);
	evhttp_set_timeout(a->http, API_TIMEOUT);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT);
	evhttp_set_gencb(a->http, api_request_cb, a);
	if (evhttp_bind_socket(a->http, addr, port) != 0) {
		log_warnx("api: cannot listen on %s: the API is off", a->listen);
		evhttp_free(a->http);
		a->http = NULL;
		return;
	}
	log_info("api: listening on %s", a->listen);
}

static int
api_start(struct herald *h)
{
	struct api *a = xcalloc(1, sizeof(*a));
	struct timeval tv = { 0, API_LAG_USEC };

	a->h = h;
	h->api = a;
	api_open(a);
	api_now(&a->lag_due);
	a->lag_due.tv_nsec += API_LAG_USEC * 1000;
	if (a->lag_due.tv_nsec >= 1000000000) {
		a->lag_due.tv_sec++;
		a->lag_due.tv_nsec -= 1000000000;
	}
	a->lag_timer = event_new(h->base, -1, EV_PERSIST, api_lag_cb, a);
	event_add(a->lag_timer, &tv);
	return 0;
}

static void
api_reload(struct herald *h, struct herald_conf *old)
{
	struct api *a = h->api;

	if (a->listen != NULL && strcmp(a->listen, h->conf->http_listen) == 0)
		return;
	api_close(a);
	api_open(a);
}

static void
api_stop(struct herald *h)
{
	struct api *a = h->api;

	if (a == NULL)
		return;
	api_close(a);
	event_free(a->lag_timer);
	free(a);
	h->api = NULL;
}

const struct herald_module api_module = {
	.name = "api",
	.start = api_start,
	.reload = api_reload,
	.stop = api_stop,
};
