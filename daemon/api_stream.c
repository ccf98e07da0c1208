/*
 * api_stream.c: GET /api/v1/stream — what changed, pushed to the open
 * pages (the NOC board, an incident's page) as Server-Sent Events, so
 * that a wall screen shows a new outage within a second without polling:
 *
 *   event: hello      at once, the token's role
 *   event: incident   the rules engine changed an incident (its summary)
 *   event: change     which kinds of things changed (incidents, tickets,
 *                     notifications, maintenance, alarms): refetch them
 *   : ping            every 15 s, so proxies and the page see it alive
 *
 * Changes are gathered and sent at most every 250 ms, an incident's last
 * state only, so a storm of thousands of alarms costs the pages a few
 * events. A client that does not read (its output over 1 MB) is dropped.
 */
#include "config.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_private.h"
#include "engine.h"
#include "herald.h"
#include "rules_json.h"
#include "xmalloc.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define STREAM_FLUSH_USEC	250000
#define STREAM_PING_SECS	15
#define STREAM_MAX_BACKLOG	(1024 * 1024)

struct api_stream {
	TAILQ_ENTRY(api_stream)	 entry;
	struct api_call		*call;
};

struct api_streams {
	TAILQ_HEAD(, api_stream) clients;
	size_t			 n;
	json_t			*incidents;	/* uid -> summary, pending */
	unsigned		 changed;	/* STREAM_* bits, pending */
	struct event		*flush, *ping;
};

static const char *const stream_kinds[] = {
	"incidents", "tickets", "notifications", "maintenance", "alarms"
};
#define STREAM_NKINDS	(sizeof(stream_kinds) / sizeof(stream_kinds[0]))

static void
stream_write(struct api_stream *s, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(s->call->req, b);
	evbuffer_free(b);
}

static void
stream_event(struct api_stream *s, const char *event, const json_t *data)
{
	char *d = json_dumps(data, JSON_COMPACT), *text;

	xasprintf(&text, "event: %s\ndata: %s\n\n", event, d ? d : "{}");
	stream_write(s, text, strlen(text));
	free(text);
	free(d);
}

/* The client is gone (or dropped): end its reply, which frees it. */
static void
stream_drop(struct api *a, struct api_stream *s)
{
	struct api_streams *k = a->streams;

	TAILQ_REMOVE(&k->clients, s, entry);
	k->n--;
	if (s->call->conn != NULL)
		s->call->conn->stream = NULL;
	evhttp_send_reply_end(s->call->req);
	s->call->req = NULL;
	api_call_free(s->call);
	free(s);
}

void
api_stream_closed(struct api *a, struct api_stream *s)
{
	s->call->conn = NULL;
	stream_drop(a, s);
}

/* A client whose unread output passed the limit is not keeping up. */
static int
stream_stuck(struct api_stream *s)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(
	    s->call->req);
	struct bufferevent *bev;

	if (evcon == NULL)
		return 1;
	bev = evhttp_connection_get_bufferevent(evcon);
	return bev != NULL && evbuffer_get_length(bufferevent_get_output(bev))
	    > STREAM_MAX_BACKLOG;
}

static void
stream_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	struct api_streams *k = a->streams;
	struct api_stream *s, *next;
	json_t *change = json_object(), *v;
	const char *uid;
	size_t i;

	for (i = 0; i < STREAM_NKINDS; i++)
		json_object_set_new(change, stream_kinds[i],
		    json_boolean(k->changed & (1u << i)));
	TAILQ_FOREACH_SAFE(s, &k->clients, entry, next) {
		if (stream_stuck(s)) {
			stream_drop(a, s);
			continue;
		}
		json_object_foreach(k->incidents, uid, v)
			stream_event(s, "incident", v);
		if (k->changed)
			stream_event(s, "change", change);
	}
	json_decref(change);
	json_object_clear(k->incidents);
	k->changed = 0;
}

static void
stream_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	struct api_stream *s, *next;

	TAILQ_FOREACH_SAFE(s, &a->streams->clients, entry, next) {
		if (stream_stuck(s))
			stream_drop(a, s);
		else
			stream_write(s, ": ping\n\n", 8);
	}
}

static void
stream_arm(struct api *a)
{
	struct timeval tv = { 0, STREAM_FLUSH_USEC };

	if (a->streams->n > 0 && !evtimer_pending(a->streams->flush, NULL))
		evtimer_add(a->streams->flush, &tv);
}

void
api_stream(struct api_call *c)
{
	struct api *a = c->a;
	struct api_stream *s = xcalloc(1, sizeof(*s));
	struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
	json_t *hello;

	api_security_headers(c->req);
	evhttp_add_header(out, "Content-Type", "text/event-stream; "
	    "charset=utf-8");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Accel-Buffering", "no");
	api_count(a, c->route, 200);
	evhttp_send_reply_start(c->req, 200, "OK");
	s->call = c;
	if (c->conn != NULL)
		c->conn->stream = s;
	TAILQ_INSERT_TAIL(&a->streams->clients, s, entry);
	a->streams->n++;
	hello = json_pack("{s:s, s:s}", "role", api_role_name(c->role),
	    "name", c->actor);
	stream_event(s, "hello", hello);
	json_decref(hello);
}

void
api_push(struct herald *h, const char *what)
{
	struct api *a = h->api;
	size_t i;

	if (a == NULL || a->streams == NULL || a->streams->n == 0)
		return;
	for (i = 0; i < STREAM_NKINDS; i++)
		if (strcmp(stream_kinds[i], what) == 0)
			a->streams->changed |= 1u << i;
	stream_arm(a);
}

void
api_push_incident(struct herald *h, const struct incident *inc)
{
	if (h->api != NULL)
		api_stream_incident(h->api, inc, 0);
}

void
api_stream_incident(struct api *a, const struct incident *inc, int64_t id)
{
	const struct api_incident_ref *ref;

	if (a->streams == NULL || a->streams->n == 0)
		return;
	if (id == 0 && (ref = api_cache_incident(a->cache, inc->uid)) != NULL)
		id = ref->incident_id;
	json_object_set_new(a->streams->incidents, inc->uid, json_pack(
	    "{s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:o, s:o, s:o}",
	    "uid", inc->uid, "id", id ? json_integer(id) : json_null(),
	    "state", incident_state_name(inc->state), "cause",
	    incident_cause_name(inc->cause), "scope",
	    rules_scope_name(inc->scope.kind), "title", inc->title,
	    "affected_accounts", (json_int_t)inc->naccounts, "planned",
	    inc->planned, "individual", inc->individual, "opened_at",
	    rules_time_json(inc->opened_at), "confirmed_at",
	    rules_time_json(inc->confirmed_at), "resolved_at",
	    rules_time_json(inc->resolved_at)));
	a->streams->changed |= 1u;	/* incidents */
	stream_arm(a);
}

void
api_streams_init(struct api *a)
{
	struct api_streams *k = xcalloc(1, sizeof(*k));
	struct timeval ping = { STREAM_PING_SECS, 0 };

	TAILQ_INIT(&k->clients);
	k->incidents = json_object();
	k->flush = evtimer_new(a->h->base, stream_flush_cb, a);
	k->ping = event_new(a->h->base, -1, EV_PERSIST, stream_ping_cb, a);
	event_add(k->ping, &ping);
	a->streams = k;
}

void
api_streams_free(struct api *a)
{
	struct api_streams *k = a->streams;
	struct api_stream *s;

	if (k == NULL)
		return;
	while ((s = TAILQ_FIRST(&k->clients)) != NULL)
		stream_drop(a, s);
	event_free(k->flush);
	event_free(k->ping);
	json_decref(k->incidents);
	free(k);
	a->streams = NULL;
}
