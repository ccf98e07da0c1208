/*
 * api.c: heraldd's HTTP API (libevent's evhttp, on the loop), on
 * http.listen: the routes, bearer tokens and roles, limits, JSON replies.
 *
 *   GET /healthz, GET /metrics        no token: loopback monitoring
 *   /api/v1/...                       a token whose role the route admits
 *
 * Most routes are one call of an api_* function of the schema (api_sql.c,
 * on the API's own database connection, so that neither the event firehose
 * nor the rules engine's decisions wait behind a NOC's list). The lookup a
 * customer-service agent makes while a subscriber is on the line is
 * answered from memory (api_lookup.c). Every error is JSON:
 * {"error": "...", "detail": "..."}. A port that cannot be bound is logged
 * and heraldd runs on without its API.
 *
 * Limits: header bytes (evhttp answers 400 itself), body bytes (413 here),
 * concurrent connections (api.max_connections: 503 beyond), seconds per
 * connection read or write (api.timeout), JSON nesting depth.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "conf.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"
#include "api_private.h"

#define API_MAX_HEADERS		8192
#define API_BODY_HARD		(1024 * 1024)	/* evhttp's cut-off */
#define API_JSON_DEPTH		16
#define API_LAG_USEC		250000		/* the lag probe's period */
#define API_LAG_UNHEALTHY	2.0		/* seconds of lag: not healthy */

static void	api_healthz(struct api_call *);
static void	api_whoami(struct api_call *);
static void	api_metrics_route(struct api_call *);

/* One call of a function of schema/060_api.sql (see api_sql.c). */
#define API_SQL(f)	"SELECT " f "($1::jsonb, $2, $3)"
#define GET	EVHTTP_REQ_GET
#define POST	EVHTTP_REQ_POST
#define DEL	EVHTTP_REQ_DELETE
#define PEOPLE	ROLE_PEOPLE
#define NOCADM	(ROLE_NOC | ROLE_ADMIN)
const struct api_route api_routes[] = {
	{ GET, "/healthz", "healthz", 0, NULL, 0, api_healthz },
	{ GET, "/metrics", "metrics", 0, NULL, 0, api_metrics_route },
	{ GET, "/api/v1/alarms", "alarms", PEOPLE,
	    API_SQL("api_alarms"), 0, NULL },
	{ GET, "/api/v1/incidents", "incidents", PEOPLE,
	    API_SQL("api_incidents"), 0, NULL },
	{ GET, "/api/v1/incidents/{id}", "incident", PEOPLE,
	    API_SQL("api_incident"), 0, NULL },
	{ GET, "/api/v1/incidents/{id}/accounts", "incident_accounts", PEOPLE,
	    API_SQL("api_incident_accounts"), 0, NULL },
	{ GET, "/api/v1/lookup", "lookup", PEOPLE, NULL, 0, api_lookup },
	{ GET, "/api/v1/whoami", "whoami", PEOPLE | ROLE_GATEWAY, NULL, 0,
	    api_whoami },
	{ GET, "/api/v1/stream", "stream", PEOPLE, NULL, 0, api_stream },
	{ GET, "/api/v1/summary", "summary", PEOPLE,
	    API_SQL("api_summary"), 0, NULL },
	{ GET, "/api/v1/alarm_rate", "alarm_rate", PEOPLE,
	    API_SQL("api_alarm_rate"), 0, NULL },
	{ GET, "/api/v1/incidents/{id}/topology", "incident_topology", PEOPLE,
	    API_SQL("api_incident_topology"), 0, NULL },
	{ GET, "/api/v1/incidents/{id}/messages", "incident_messages", PEOPLE,
	    API_SQL("api_incident_messages"), 0, NULL },
	/* The SMS gateway's delivery reports: the per-message token in
	 * the URL is the credential (Kannel cannot send a header). */
	{ GET, "/api/v1/dlr/{token}", "dlr", 0, NULL, 0, api_dlr },
	{ POST, "/api/v1/dlr/{token}", "dlr_post", 0, NULL, 0, api_dlr },
	{ GET, "/api/v1/tickets", "tickets", PEOPLE,
	    API_SQL("api_tickets"), 0, NULL },
	{ POST, "/api/v1/tickets", "ticket_create", NOCADM,
	    API_SQL("api_ticket_create"), 1, NULL },
	{ GET, "/api/v1/tickets/{id}", "ticket", PEOPLE,
	    API_SQL("api_ticket"), 0, NULL },
	{ POST, "/api/v1/tickets/{id}/transition", "ticket_transition", PEOPLE,
	    API_SQL("api_ticket_transition"), 0, NULL },
	{ POST, "/api/v1/tickets/{id}/assign", "ticket_assign", PEOPLE,
	    API_SQL("api_ticket_assign"), 0, NULL },
	{ POST, "/api/v1/tickets/{id}/eta", "ticket_eta", NOCADM,
	    API_SQL("api_ticket_eta"), 0, NULL },
	{ POST, "/api/v1/complaints", "complaint", PEOPLE,
	    API_SQL("api_complaint"), 1, NULL },
	{ GET, "/api/v1/maintenance", "maintenance", PEOPLE,
	    API_SQL("api_maintenance"), 0, NULL },
	{ POST, "/api/v1/maintenance", "maintenance_add", NOCADM,
	    API_SQL("api_maintenance_add"), 1, NULL },
	{ DEL, "/api/v1/maintenance/{id}", "maintenance_delete", NOCADM,
	    API_SQL("api_maintenance_delete"), 0, NULL },
	/* Several instances (schema/091_cluster_api.sql). */
	{ GET, "/api/v1/cluster", "cluster", NOCADM,
	    API_SQL("api_cluster"), 0, NULL },
	{ POST, "/api/v1/cluster/drain", "cluster_drain", ROLE_ADMIN,
	    API_SQL("api_cluster_drain"), 0, NULL },
	{ POST, "/api/v1/cluster/undrain", "cluster_undrain", ROLE_ADMIN,
	    API_SQL("api_cluster_undrain"), 0, NULL },
};
const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
#undef GET
#undef POST
#undef DEL

const int api_statuses[API_NSTATUS] = {
	200, 201, 400, 401, 403, 404, 405, 409, 413, 422, 500, 503
};

static cfg_opt_t api_opts[] = {
	CFG_INT("max_connections", 1024, CFGF_NONE),
	CFG_INT("timeout", 10, CFGF_NONE),
	CFG_INT("max_body", 65536, CFGF_NONE),
	CFG_INT("gauge_interval", 10, CFGF_NONE),
	CFG_END()
};

static const char *
api_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

const char *
api_role_name(unsigned role)
{
	return role == ROLE_NOC ? "noc" : role == ROLE_CS ? "cs" :
	    role == ROLE_ADMIN ? "admin" : role == ROLE_GATEWAY ? "gateway" :
	    "none";
}

unsigned
api_role_parse(const char *s)
{
	return strcmp(s, "noc") == 0 ? ROLE_NOC : strcmp(s, "cs") == 0 ?
	    ROLE_CS : strcmp(s, "admin") == 0 ? ROLE_ADMIN :
	    strcmp(s, "gateway") == 0 ? ROLE_GATEWAY : 0;
}

struct herald *
api_herald(const struct api *a)
{
	return a->h;
}

struct store *
api_db(const struct api *a)
{
	return a->db;
}

static double
api_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	return (double)ts->tv_sec + ts->tv_nsec / 1e9;
}

static void
api_lag_arm(struct api *a)
{
	api_now(&a->lag_due);
	a->lag_due.tv_nsec += API_LAG_USEC * 1000;
	if (a->lag_due.tv_nsec >= 1000000000) {
		a->lag_due.tv_sec++;
		a->lag_due.tv_nsec -= 1000000000;
	}
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
	api_lag_arm(a);
}

void
api_count(struct api *a, const struct api_route *r, int status)
{
	size_t ri = r != NULL ? (size_t)(r - api_routes) : api_nroutes;
	size_t i;

	for (i = 0; i < API_NSTATUS; i++)
		if (api_statuses[i] == status)
			a->requests[ri][i]++;
}

/* Replies ---------------------------------------------------------------- */

void
api_call_free(struct api_call *c)
{
	if (c->conn != NULL && c->conn->call == c)
		c->conn->call = NULL;
	json_decref(c->args);
	free(c->actor_buf);
	free(c);
}

int
api_call_gone(const struct api_call *c)
{
	return c->req == NULL;
}

void
api_call_raw(struct api_call *c, int status, const char *json, size_t len)
{
	struct evkeyvalq *out;
	struct evbuffer *body;

	api_count(c->a, c->route, status);
	if (c->req != NULL) {
		out = evhttp_request_get_output_headers(c->req);
		api_security_headers(c->req);
		evhttp_add_header(out, "Content-Type",
		    "application/json; charset=utf-8");
		evhttp_add_header(out, "Cache-Control", "no-store");
		if (status == 401)
			evhttp_add_header(out, "WWW-Authenticate",
			    "Bearer realm=\"herald\"");
		body = evbuffer_new();
		evbuffer_add(body, json, len);
		evbuffer_add(body, "\n", 1);
		evhttp_send_reply(c->req, status, api_reason(status), body);
		evbuffer_free(body);
	}
	api_call_free(c);
}

void
api_call_json(struct api_call *c, int status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	if (s == NULL) {
		api_call_raw(c, 500, "{\"error\":\"internal\",\"detail\":"
		    "\"out of memory\"}", 43);
		return;
	}
	api_call_raw(c, status, s, strlen(s));
	free(s);
}

void
api_call_error(struct api_call *c, int status, const char *error,
    const char *detail)
{
	api_call_json(c, status, json_pack("{s:s, s:s}", "error", error,
	    "detail", detail != NULL ? detail : ""));
}

/* /healthz ---------------------------------------------------------------- */

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

/* The collectors' and the pipeline's counters, as last published. */
static void
api_health_stat_cb(const char *collector, const char *name,
    unsigned long long value, void *arg)
{
	json_t *o = arg, *c;

	if (strcmp(collector, "trap") != 0 && strcmp(collector, "poll") != 0 &&
	    strcmp(collector, "events") != 0 && strcmp(collector, "notify") != 0)
		return;
	if ((c = json_object_get(o, collector)) == NULL) {
		c = json_object();
		json_object_set_new(o, collector, c);
	}
	json_object_set_new(c, name, json_integer((json_int_t)value));
}

/*
 * Healthy: both of heraldd's working connections up and the loop on time.
 * The API's own connection is shown but does not make heraldd unhealthy:
 * without it traps still become alarms, incidents and messages.
 */
static void
api_healthz(struct api_call *c)
{
	struct api *a = c->a;
	struct herald *h = a->h;
	int ok = store_state(h->store) == STORE_UP &&
	    store_state(h->decide) == STORE_UP && a->lag < API_LAG_UNHEALTHY;

	json_t *collectors = json_object();

	stats_foreach(api_health_stat_cb, collectors);
	api_call_json(c, ok ? 200 : 503, json_pack("{s:s, s:{s:o, s:o, s:o}, "
	    "s:f, s:I, s:o}", "status", ok ? "ok" : "degraded", "database",
	    "events", api_store_json(h->store), "decisions",
	    api_store_json(h->decide), "api", api_store_json(a->db),
	    "loop_lag_seconds", a->lag, "connections",
	    (json_int_t)a->nconns_used, "collectors", collectors));
}

/* Who the token is: the pages check a token with it at login. */
static void
api_whoami(struct api_call *c)
{
	api_call_json(c, 200, json_pack("{s:s, s:s}", "name", c->actor,
	    "role", api_role_name(c->role)));
}

static void
api_metrics_route(struct api_call *c)
{
	struct evbuffer *b = evbuffer_new();

	api_count(c->a, c->route, 200);
	api_metrics_write(c->a, b);
	api_security_headers(c->req);
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(c->req, 200, "OK", b);
	evbuffer_free(b);
	api_call_free(c);
}

/* Connections -------------------------------------------------------------- */

static void
api_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct api_conn *k = arg;

	/*
	 * A request still being answered stays valid: evhttp detaches it
	 * from the connection and frees it when it is answered.
	 */
	if (k->stream != NULL)
		api_stream_closed(k->a, k->stream);
	k->stream = NULL;
	k->evcon = NULL;
	k->call = NULL;
	k->a->nconns_used--;
}

/* The slot of a connection, a new one for its first request; NULL: full. */
static struct api_conn *
api_conn_get(struct api *a, struct evhttp_connection *evcon)
{
	struct api_conn *free_slot = NULL;
	size_t i;

	for (i = 0; i < a->nconns; i++) {
		if (a->conns[i].evcon == evcon)
			return &a->conns[i];
		if (a->conns[i].evcon == NULL && free_slot == NULL &&
		    a->nconns_used < a->nconns_max)
			free_slot = &a->conns[i];
	}
	if (free_slot == NULL)
		return NULL;
	free_slot->evcon = evcon;
	free_slot->a = a;
	free_slot->call = NULL;
	free_slot->stream = NULL;
	a->nconns_used++;
	evhttp_connection_set_closecb(evcon, api_conn_closed, free_slot);
	return free_slot;
}

/* Routes ------------------------------------------------------------------- */

/*
 * Does path match pattern? {id} matches 1 to 18 digits, put in *id;
 * {token} a delivery-report token, 32 lower-case hex digits.
 */
static int
api_match(const char *pattern, const char *path, long long *id)
{
	size_t n;

	*id = -1;
	while (*pattern != '\0') {
		if (strncmp(pattern, "{token}", 7) == 0) {
			n = strspn(path, "0123456789abcdef");
			if (n != 32)
				return 0;
			pattern += 7;
			path += n;
			continue;
		}
		if (strncmp(pattern, "{id}", 4) == 0) {
			for (n = 0; isdigit((unsigned char)path[n]); n++)
				;
			if (n == 0 || n > 18)
				return 0;
			*id = strtoll(path, NULL, 10);
			pattern += 4;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *path == '\0' || (path[0] == '/' && path[1] == '\0');
}

/* The route for method and path; NULL with *status 404 or 405. */
static const struct api_route *
api_route_find(int method, const char *path, long long *id, int *status)
{
	size_t i;

	*status = 404;
	if (method == EVHTTP_REQ_HEAD)
		method = EVHTTP_REQ_GET;
	for (i = 0; i < api_nroutes; i++) {
		if (!api_match(api_routes[i].pattern, path, id))
			continue;
		if (api_routes[i].method == method)
			return &api_routes[i];
		*status = 405;
	}
	return NULL;
}

/* The routes' methods by name, for Allow and error details. */
static const char *
api_method_name(int method)
{
	return method == EVHTTP_REQ_GET ? "GET" : method == EVHTTP_REQ_POST ?
	    "POST" : "DELETE";
}

/* 404, or 405 with the methods the path has (Allow). */
static void
api_not_routed(struct api_call *c, const char *path, int status)
{
	char allow[64] = "";
	long long id;
	size_t i, n;

	if (status == 404) {
		api_call_error(c, 404, "not found", path);
		return;
	}
	for (i = 0; i < api_nroutes; i++) {
		if (!api_match(api_routes[i].pattern, path, &id))
			continue;
		n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "",
		    api_method_name(api_routes[i].method));
	}
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Allow",
	    allow);
	api_call_error(c, 405, "method not allowed", allow);
}

/* Tokens ------------------------------------------------------------------- */

/* The role of the request's bearer token; 0 and a reply when refused. */
static int
api_authorize(struct api_call *c)
{
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(
	    c->req), "Authorization");
	const char *name;
	char detail[128];
	unsigned role;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		api_call_error(c, 401, "unauthorized", "send Authorization: "
		    "Bearer TOKEN (heraldctl token add)");
		return -1;
	}
	if (!api_cache_ready(c->a->cache)) {
		api_call_error(c, 503, "unavailable", "the tokens have not "
		    "been read from the database yet");
		return -1;
	}
	if ((role = api_cache_token(c->a->cache, auth + 7, &name)) == 0) {
		api_call_error(c, 401, "unauthorized", "unknown or revoked "
		    "token");
		return -1;
	}
	if ((role & c->route->roles) == 0) {
		snprintf(detail, sizeof(detail), "role %s may not use %s %s",
		    api_role_name(role), api_method_name(c->route->method),
		    c->route->pattern);
		api_call_error(c, 403, "forbidden", detail);
		return -1;
	}
	c->role = role;
	c->actor = c->actor_buf = xstrdup(name);
	return 0;
}

/* Arguments ---------------------------------------------------------------- */

static int
api_depth_ok(const json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > API_JSON_DEPTH)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (!api_depth_ok(v, depth + 1))
				return 0;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (!api_depth_ok(v, depth + 1))
				return 0;
	}
	return 1;
}

/* The query string as a JSON object of strings; -1 and a reply if bad. */
static int
api_args_query(struct api_call *c)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(
	    c->req));
	struct evkeyvalq kv;
	struct evkeyval *p;

	c->args = json_object();
	if (q == NULL || *q == '\0')
		return 0;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) != 0) {
		api_call_error(c, 400, "bad request", "the query string is "
		    "not well formed");
		return -1;
	}
	TAILQ_FOREACH(p, &kv, next) {
		json_t *v = json_stringn(p->value, strlen(p->value));

		if (v == NULL || json_object_get(c->args, p->key) != NULL) {
			json_decref(v);
			evhttp_clear_headers(&kv);
			api_call_error(c, 400, "bad request", v == NULL ?
			    "a query parameter is not UTF-8" :
			    "a query parameter is given twice");
			return -1;
		}
		json_object_set_new(c->args, p->key, v);
	}
	evhttp_clear_headers(&kv);
	return 0;
}

/* The body, a JSON object; -1 and a reply if it is not one. */
static int
api_args_body(struct api_call *c)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);
	json_error_t err;
	char detail[256];

	if ((long long)len > c->a->max_body) {
		snprintf(detail, sizeof(detail), "the body is %zu bytes; at "
		    "most %lld are accepted", len, c->a->max_body);
		api_call_error(c, 413, "payload too large", detail);
		return -1;
	}
	c->args = json_loadb((const char *)evbuffer_pullup(in, -1), len,
	    JSON_REJECT_DUPLICATES, &err);
	if (c->args == NULL) {
		snprintf(detail, sizeof(detail), "the body is not JSON: %s "
		    "(line %d, column %d)", err.text, err.line, err.column);
		api_call_error(c, 400, "bad request", detail);
		return -1;
	}
	if (!json_is_object(c->args) || !api_depth_ok(c->args, 0)) {
		api_call_error(c, 400, "bad request", json_is_object(c->args) ?
		    "the body is nested too deeply" :
		    "the body must be a JSON object");
		return -1;
	}
	return 0;
}

/* The request ------------------------------------------------------------- */

static void
api_request_cb(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	struct api_call *c = xcalloc(1, sizeof(*c));
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));
	int method = evhttp_request_get_command(req), status;

	c->a = a;
	c->req = req;
	c->id = -1;
	if ((c->conn = api_conn_get(a, evhttp_request_get_connection(req))) ==
	    NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		api_call_error(c, 503, "unavailable", "too many connections");
		return;
	}
	c->conn->call = c;
	c->route = api_route_find(method, path ? path : "", &c->id, &status);
	if (c->route == NULL && status == 404 && (method == EVHTTP_REQ_GET ||
	    method == EVHTTP_REQ_HEAD) && path != NULL &&
	    api_static(a, req, path)) {
		api_call_free(c);
		return;
	}
	if (c->route == NULL) {
		api_not_routed(c, path ? path : "", status);
		return;
	}
	if (c->route->handler == api_dlr && a->nconns_used * 4 >
	    a->nconns_max * 3) {
		/*
		 * A gateway's reports may not take the last quarter of the
		 * connections: customer service must still get in. The
		 * gateway sends the report again (Kannel: http-request-retry).
		 */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		api_call_error(c, 503, "unavailable", "busy: send the report "
		    "again shortly");
		return;
	}
	if (c->route->roles != 0 && api_authorize(c) != 0)
		return;
	if ((method == EVHTTP_REQ_POST ? api_args_body(c) :
	    api_args_query(c)) != 0)
		return;
	if (c->id >= 0)
		json_object_set_new(c->args, "id", json_integer(c->id));
	if (c->route->handler != NULL)
		c->route->handler(c);
	else
		api_sql_call(c);
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
api_limits(struct api *a)
{
	cfg_t *sec = cfg_getsec(a->h->conf->cfg, "api");
	size_t n = (size_t)cfg_getint(sec, "max_connections");

	a->max_body = cfg_getint(sec, "max_body");
	a->timeout = (int)cfg_getint(sec, "timeout");
	a->gauge_interval = (int)cfg_getint(sec, "gauge_interval");
	if (a->http != NULL)
		evhttp_set_timeout(a->http, a->timeout);
	/*
	 * The slots are the closing connections' callback arguments: they
	 * are allocated once, so a reload may lower the limit, not raise it.
	 */
	if (a->conns == NULL) {
		a->conns = xcalloc(n, sizeof(*a->conns));
		a->nconns = n;
	} else if (n > a->nconns)
		log_warnx("api: max_connections above %zu needs a restart",
		    a->nconns);
	a->nconns_max = n < a->nconns ? n : a->nconns;
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
	evhttp_set_max_body_size(a->http, API_BODY_HARD);
	evhttp_set_timeout(a->http, a->timeout);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(a->http, api_request_cb, a);
	if (evhttp_bind_socket(a->http, addr, port) != 0) {
		log_warnx("api: cannot listen on %s: the API is off", a->listen);
		evhttp_free(a->http);
		a->http = NULL;
		return;
	}
	log_info("api: listening on %s", a->listen);
}

static void
api_check(cfg_t *root)
{
	cfg_t *sec = cfg_getsec(root, "api");

	if (cfg_getint(sec, "max_connections") < 1 ||
	    cfg_getint(sec, "max_connections") > 65536)
		conf_error(root, "api.max_connections must be 1..65536");
	if (cfg_getint(sec, "timeout") < 1)
		conf_error(root, "api.timeout must be positive");
	if (cfg_getint(sec, "gauge_interval") < 1)
		conf_error(root, "api.gauge_interval must be positive");
	if (cfg_getint(sec, "max_body") < 1024 ||
	    cfg_getint(sec, "max_body") > API_BODY_HARD)
		conf_error(root, "api.max_body must be 1024..1048576");
}

static void
api_dlr_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	api_dlr_flush(arg);
}

static int
api_start(struct herald *h)
{
	struct api *a = xcalloc(1, sizeof(*a));
	struct timeval tv = { 0, API_LAG_USEC };

	a->h = h;
	h->api = a;
	api_limits(a);
	a->db = store_new(h->base, h->conf->db_conninfo,
	    h->conf->db_connect_timeout, 4096);
	store_set_label(a->db, "api");
	store_set_stall_timeout(a->db, h->conf->db_stall_timeout);
	a->cache = api_cache_new(a);
	a->remote = api_remote_new(a);
	api_streams_init(a);
	a->dlr_timer = evtimer_new(h->base, api_dlr_timer_cb, a);
	store_start(a->db);
	api_open(a);
	api_lag_arm(a);
	a->lag_timer = event_new(h->base, -1, EV_PERSIST, api_lag_cb, a);
	event_add(a->lag_timer, &tv);
	return 0;
}

static void
api_reload(struct herald *h, struct herald_conf *old)
{
	struct api *a = h->api;

	store_set_conninfo(a->db, h->conf->db_conninfo);
	store_set_stall_timeout(a->db, h->conf->db_stall_timeout);
	api_limits(a);
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
	api_streams_free(a);
	api_dlr_flush(a);
	event_free(a->dlr_timer);
	api_close(a);
	api_remote_free(a->remote);
	api_cache_free(a->cache);
	store_free(a->db);
	event_free(a->lag_timer);
	free(a->conns);
	free(a);
	h->api = NULL;
}

const struct herald_module api_module = {
	.name = "api",
	.opts = api_opts,
	.check = api_check,
	.start = api_start,
	.reload = api_reload,
	.stop = api_stop,
};
