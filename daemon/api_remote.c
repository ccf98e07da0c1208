/*
 * api_remote.c: the open incidents of the devices another heraldd instance
 * holds, so that every instance's API shows the same active incidents
 * (issue 14). Each rules engine holds only its own devices' incidents;
 * the lookup and the stream add these, read from PostgreSQL.
 *
 * Only in a cluster (cluster_enabled): standalone, nothing here listens,
 * reads or answers, and the API is exactly the engine's.
 *
 * Kept current through LISTEN api_incidents (schema/091_cluster_api.sql):
 * each statement that writes incidents names their ids; the ids are
 * gathered for API_REMOTE_USEC and read back together, at most
 * API_REMOTE_BATCH a statement (api_open_incidents(ids)), so a storm of
 * writes costs a few queries, and a notification costs a few bytes of
 * work. More than API_REMOTE_PENDING_MAX waiting, a "*" payload, a
 * reconnect and every API_REMOTE_FULL_SECS seconds: all open incidents
 * are read whole instead (a missed notification is repaired so).
 *
 * The set holds every open incident, the local engine's too: which device
 * an instance holds changes at any time, so the filter (cluster_owns) is
 * applied when the set is read, not when it is filled. A change to an
 * incident of a device not held here is pushed to the stream.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_private.h"
#include "cluster.h"
#include "engine.h"
#include "herald.h"
#include "log.h"
#include "rules_json.h"
#include "store.h"
#include "xmalloc.h"

#define API_REMOTE_USEC		50000	/* gather notifications this long */
#define API_REMOTE_BATCH	256	/* ids read back per statement */
#define API_REMOTE_PENDING_MAX	4096	/* beyond: read all instead */
#define API_REMOTE_FULL_SECS	60	/* read all now and then */

struct api_remote_inc {
	int64_t			 id;		/* incidents.id */
	struct incident		 inc;
};

struct api_remote {
	struct api		*a;
	struct store		*db;
	int			 active;	/* cluster mode: listening */
	struct api_remote_inc	**v;		/* sorted by id */
	size_t			 n, cap;
	int64_t			*pending;	/* ids notified, not read */
	size_t			 npending, pending_cap;
	int			 full_due;	/* read all next */
	int			 inflight;	/* 0, or 1 (ids) or 2 (all) */
	struct event		*flush, *timer;
	unsigned long long	 notifies, reads, full_reads;
};

static const char api_remote_ids_sql[] =
	"SELECT api_open_incidents($1::bigint[])";
static const char api_remote_all_sql[] = "SELECT api_open_incidents()";

static void	api_remote_kick(struct api_remote *);

/* The set ------------------------------------------------------------------ */

static void
api_remote_inc_free(struct api_remote_inc *r)
{
	if (r == NULL)
		return;
	free(r->inc.accounts);
	free(r);
}

/* The index of id, or where it would go (*found 0). */
static size_t
api_remote_find(struct api_remote_inc *const *v, size_t n, int64_t id,
    int *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->id == id) {
			*found = 1;
			return mid;
		}
		if (v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static void
api_remote_clear(struct api_remote *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		api_remote_inc_free(k->v[i]);
	k->n = 0;
}

/* One incident of api_open_incidents(), or NULL when malformed. */
static struct api_remote_inc *
api_remote_parse(const json_t *o)
{
	static const int no_hold[CAUSE_N];
	struct api_remote_inc *r = xcalloc(1, sizeof(*r));
	json_t *end = json_object_get(o, "resolved_at");

	r->id = json_integer_value(json_object_get(o, "id"));
	if (r->id <= 0 || rules_json_to_incident(o, no_hold, &r->inc) != 0) {
		free(r);
		return NULL;
	}
	r->inc.resolved_at = json_is_integer(end) ? json_integer_value(end) :
	    0;
	return r;
}

static int
api_remote_open(const struct incident *inc)
{
	return inc->state == INCIDENT_SUSPECTED ||
	    inc->state == INCIDENT_CONFIRMED;
}

/* Did the incident change in a way the pages show? */
static int
api_remote_differs(const struct incident *a, const struct incident *b)
{
	return a->state != b->state || a->cause != b->cause ||
	    a->naccounts != b->naccounts || a->planned != b->planned ||
	    a->confirmed_at != b->confirmed_at ||
	    strcmp(a->title, b->title) != 0;
}

/* A change another instance made: to the stream, if not one of ours. */
static void
api_remote_push(struct api_remote *k, const struct api_remote_inc *r)
{
	struct herald *h = api_herald(k->a);

	if (!cluster_owns(h, r->inc.scope.device_id))
		api_stream_incident(k->a, &r->inc, r->id);
}

/*
 * Put r in the set (an open one) or take its id out (an ended one);
 * with push, what changed goes to the stream.
 */
static void
api_remote_put(struct api_remote *k, struct api_remote_inc *r, int push)
{
	int found;
	size_t i = api_remote_find(k->v, k->n, r->id, &found);

	if (!api_remote_open(&r->inc)) {
		if (found) {
			api_remote_inc_free(k->v[i]);
			memmove(&k->v[i], &k->v[i + 1], (k->n - i - 1) *
			    sizeof(*k->v));
			k->n--;
			if (push)
				api_remote_push(k, r);
		}
		api_remote_inc_free(r);
		return;
	}
	if (found) {
		if (push && api_remote_differs(&k->v[i]->inc, &r->inc))
			api_remote_push(k, r);
		api_remote_inc_free(k->v[i]);
		k->v[i] = r;
		return;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	memmove(&k->v[i + 1], &k->v[i], (k->n - i) * sizeof(*k->v));
	k->v[i] = r;
	k->n++;
	if (push)
		api_remote_push(k, r);
}

/* The ids asked for that came back no more (deleted rows): out. */
static void
api_remote_drop_missing(struct api_remote *k, const int64_t *ids, size_t n,
    const json_t *doc)
{
	const json_t *o;
	size_t i, j;
	int found, seen;

	for (i = 0; i < n; i++) {
		seen = 0;
		json_array_foreach(doc, j, o)
			if (json_integer_value(json_object_get(o, "id")) ==
			    ids[i])
				seen = 1;
		if (seen)
			continue;
		j = api_remote_find(k->v, k->n, ids[i], &found);
		if (found) {
			api_remote_inc_free(k->v[j]);
			memmove(&k->v[j], &k->v[j + 1], (k->n - j - 1) *
			    sizeof(*k->v));
			k->n--;
			api_push(api_herald(k->a), "incidents");
		}
	}
}

/*
 * A whole read replaces the set; what appeared, changed or ended since is
 * pushed, as for ids read back.
 */
static void
api_remote_replace(struct api_remote *k, const json_t *doc)
{
	struct api_remote_inc **old = k->v, *r;
	size_t nold = k->n, i, at;
	const json_t *o;
	int found;

	k->v = NULL;
	k->n = k->cap = 0;
	json_array_foreach(doc, i, o)
		if ((r = api_remote_parse(o)) != NULL)
			api_remote_put(k, r, 0);
	for (i = 0; i < k->n; i++) {
		at = api_remote_find(old, nold, k->v[i]->id, &found);
		if (!found || api_remote_differs(&old[at]->inc, &k->v[i]->inc))
			api_remote_push(k, k->v[i]);
	}
	for (i = 0; i < nold; i++) {
		api_remote_find(k->v, k->n, old[i]->id, &found);
		if (!found) {
			/* Ended (resolved, or merged: the change event
			 * that goes with it makes the pages read which). */
			old[i]->inc.state = INCIDENT_RESOLVED;
			api_remote_push(k, old[i]);
		}
		api_remote_inc_free(old[i]);
	}
	free(old);
}

/* Reads --------------------------------------------------------------------- */

struct api_remote_read {
	struct api_remote	*k;
	int64_t			*ids;		/* NULL: all */
	size_t			 n;
};

static void
api_remote_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_remote_read *rd = arg;
	struct api_remote *k = rd->k;
	struct api_remote_inc *r;
	json_t *doc = NULL, *o;
	size_t i;

	k->inflight = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    (doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL ||
	    !json_is_array(doc)) {
		log_warnx("api: cannot read the other instances' incidents: "
		    "%s", res ? store_errmsg(res) : "no answer");
		k->full_due = 1;	/* after the next reconnect or tick */
	} else if (rd->ids == NULL) {
		api_remote_replace(k, doc);
	} else {
		json_array_foreach(doc, i, o)
			if ((r = api_remote_parse(o)) != NULL)
				api_remote_put(k, r, 1);
		api_remote_drop_missing(k, rd->ids, rd->n, doc);
	}
	json_decref(doc);
	free(rd->ids);
	free(rd);
	if (k->npending > 0 || (k->full_due && res != NULL &&
	    PQresultStatus(res) == PGRES_TUPLES_OK))
		api_remote_kick(k);
}

static int
api_remote_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* The next read: all when due, else up to a batch of the ids waiting. */
static void
api_remote_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_remote *k = arg;
	struct api_remote_read *rd;
	const char *p[1];
	char *list, *w;
	size_t i, n, len;

	if (!k->active || k->inflight || store_state(k->db) != STORE_UP)
		return;
	rd = xcalloc(1, sizeof(*rd));
	rd->k = k;
	if (k->full_due) {
		k->full_due = 0;
		k->npending = 0;	/* the whole read covers them */
		k->full_reads++;
		if (store_query(k->db, api_remote_all_sql, 0, NULL,
		    api_remote_done_cb, rd) != 0) {
			k->full_due = 1;
			free(rd);
			return;
		}
		k->inflight = 2;
		return;
	}
	if (k->npending == 0) {
		free(rd);
		return;
	}
	qsort(k->pending, k->npending, sizeof(*k->pending), api_remote_cmp);
	n = k->npending < API_REMOTE_BATCH ? k->npending : API_REMOTE_BATCH;
	rd->ids = xcalloc(n, sizeof(*rd->ids));
	len = 2 + n * 21;
	w = list = xcalloc(1, len);
	*w++ = '{';
	for (i = 0; i < n; i++) {
		if (rd->n > 0 && rd->ids[rd->n - 1] == k->pending[i])
			continue;
		rd->ids[rd->n++] = k->pending[i];
		w += snprintf(w, len - (size_t)(w - list), "%s%lld",
		    rd->n > 1 ? "," : "", (long long)k->pending[i]);
	}
	snprintf(w, len - (size_t)(w - list), "}");
	memmove(k->pending, k->pending + n, (k->npending - n) *
	    sizeof(*k->pending));
	k->npending -= n;
	p[0] = list;
	k->reads++;
	if (store_query(k->db, api_remote_ids_sql, 1, p, api_remote_done_cb,
	    rd) != 0) {
		k->full_due = 1;
		free(rd->ids);
		free(rd);
	} else
		k->inflight = 1;
	free(list);
}

static void
api_remote_kick(struct api_remote *k)
{
	struct timeval tv = { 0, API_REMOTE_USEC };

	if (!evtimer_pending(k->flush, NULL))
		evtimer_add(k->flush, &tv);
}

/* Notifications, connection, timer ------------------------------------------ */

/* "12,15,16": ids to read back; "*": all. Bounded work: a parse. */
static void
api_remote_notify_cb(struct store *st, const char *channel,
    const char *payload, void *arg)
{
	struct api_remote *k = arg;
	const char *s = payload;
	char *end;
	long long id;

	if (!k->active)
		return;
	k->notifies++;
	while (*s != '\0' && !k->full_due) {
		id = strtoll(s, &end, 10);
		if (end == s || id <= 0) {
			k->full_due = 1;	/* "*", or not understood */
			break;
		}
		if (k->npending == API_REMOTE_PENDING_MAX) {
			k->full_due = 1;
			break;
		}
		if (k->npending == k->pending_cap) {
			k->pending_cap = k->pending_cap ? 2 * k->pending_cap :
			    64;
			k->pending = xreallocarray(k->pending, k->pending_cap,
			    sizeof(*k->pending));
		}
		k->pending[k->npending++] = id;
		s = *end == ',' ? end + 1 : end;
	}
	if (k->full_due)
		k->npending = 0;
	api_remote_kick(k);
}

/* Cluster mode seen (at start, or later): listen and read all. */
static void
api_remote_check(struct api_remote *k)
{
	struct herald *h = api_herald(k->a);

	if (k->active || !cluster_enabled(h))
		return;
	k->active = 1;
	k->full_due = 1;
	store_listen(k->db, "api_incidents", api_remote_notify_cb, k);
	log_info("api: cluster mode: the other instances' incidents are "
	    "read from the database");
	api_remote_kick(k);
}

static void
api_remote_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct api_remote *k = arg;

	if (s != STORE_UP)
		return;
	/* Connected means every module has started, the cluster's too. */
	api_remote_check(k);
	if (!k->active)
		return;
	k->full_due = 1;	/* whatever was missed meanwhile */
	api_remote_kick(k);
}

static void
api_remote_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_remote *k = arg;

	api_remote_check(k);
	if (!k->active)
		return;
	k->full_due = 1;
	api_remote_kick(k);
}

struct api_remote *
api_remote_new(struct api *a)
{
	struct api_remote *k = xcalloc(1, sizeof(*k));
	struct timeval tv = { API_REMOTE_FULL_SECS, 0 };

	k->a = a;
	k->db = api_db(a);
	k->flush = evtimer_new(api_herald(a)->base, api_remote_flush_cb, k);
	k->timer = event_new(api_herald(a)->base, -1, EV_PERSIST,
	    api_remote_timer_cb, k);
	event_add(k->timer, &tv);
	store_watch(k->db, api_remote_state_cb, k);
	api_remote_check(k);
	return k;
}

void
api_remote_free(struct api_remote *k)
{
	if (k == NULL)
		return;
	event_free(k->flush);
	event_free(k->timer);
	api_remote_clear(k);
	free(k->v);
	free(k->pending);
	free(k);
}

int
api_remote_active(const struct api_remote *k)
{
	return k != NULL && k->active;
}

void
api_remote_foreach(struct api_remote *k,
    void (*cb)(const struct incident *, int64_t id, void *), void *arg)
{
	struct herald *h;
	size_t i;

	if (!api_remote_active(k))
		return;
	h = api_herald(k->a);
	for (i = 0; i < k->n; i++)
		if (!cluster_owns(h, k->v[i]->inc.scope.device_id))
			cb(&k->v[i]->inc, k->v[i]->id, arg);
}

void
api_remote_metrics(const struct api_remote *k, struct evbuffer *b)
{
	if (!api_remote_active(k))
		return;
	evbuffer_add_printf(b,
	    "# HELP herald_api_cluster_incidents open incidents of every "
	    "instance the API keeps\n"
	    "# TYPE herald_api_cluster_incidents gauge\n"
	    "herald_api_cluster_incidents %zu\n"
	    "# HELP herald_api_cluster_notifies_total NOTIFY api_incidents "
	    "received\n"
	    "# TYPE herald_api_cluster_notifies_total counter\n"
	    "herald_api_cluster_notifies_total %llu\n"
	    "# HELP herald_api_cluster_reads_total reads of incidents by "
	    "id (ids) or whole (all)\n"
	    "# TYPE herald_api_cluster_reads_total counter\n"
	    "herald_api_cluster_reads_total{what=\"ids\"} %llu\n"
	    "herald_api_cluster_reads_total{what=\"all\"} %llu\n",
	    k->n, k->notifies, k->reads, k->full_reads);
}
