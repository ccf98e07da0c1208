/*
 * rules.c: the heraldd module around the rules engine (engine.h). The
 * engine decides; this file feeds it and stores what it decided.
 *
 * In: every normalised event (events_subscribe) goes to engine_event() at
 * the event's own time, and a timer calls engine_tick() when the engine
 * asked to be woken. Out: both on the decisions connection (h->decide), so
 * they never wait behind an events COPY, one statement of ours at a time:
 * incidents first, all that changed in one rules_write_incidents call;
 * then changed alarms in bounded batches (rules_write_alarms, every 100 ms
 * or 250 alarms), so an incident waits behind one small alarm statement
 * at most. While a statement is on its way, further changes of the same
 * incident fold into one: a storm that opens, grows and merges hundreds of
 * incidents in a second makes a handful of statements, and an incident
 * opened and merged away before it was ever sent is never written.
 *
 * Promise: nothing decided is forgotten by a restart. At start the open
 * incidents and alarms are loaded from PostgreSQL and restored into the
 * engine before it sees an event; the SQL functions are idempotent, so the
 * store may send a write again after a lost answer, and the one-open-per-
 * scope index folds a second opening (another instance, or state this one
 * could not load) into the open row. Writes the store refuses (queue full
 * while the database is away) are counted and logged.
 *
 * In a cluster (cluster.h) each write carries its device's lease epoch
 * and PostgreSQL refuses a stale one (counted as fenced, not retried);
 * the engine starts empty and takes a device's state in and out as its
 * lease comes and goes (rules_devices_gained, rules_devices_lost).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "api.h"
#include "cluster.h"
#include "conf.h"
#include "engine.h"
#include "herald.h"
#include "inventory.h"
#include "log.h"
#include "module.h"
#include "policy.h"
#include "rules.h"
#include "poll.h"
#include "rules_json.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

#define RULES_POLICY_DEFAULT	PKGDATADIR "/policy.conf"
#define RULES_BATCH_MAX		250	/* alarms per statement */
#define RULES_BATCH_USEC	100000	/* or this long, whichever first */
#define RULES_TICK_USEC		100000	/* a tick at most this after an event */
#define RULES_WINDOWS_SEC	60	/* maintenance windows read again */
#define RULES_EARLY_MAX		200000	/* events held while loading */
#define RULES_LOAD_TIMEOUT	30	/* seconds to wait for the load */

/* $2: this instance's name in a cluster, NULL standalone (cluster.h). */
static const char rules_alarms_sql[] =
	"SELECT stored, fenced, jsonb_array_length($1::jsonb) "
	"FROM rules_write_alarms($1::jsonb, $2)";
static const char rules_incident_sql[] =
	"SELECT stored, fenced FROM rules_write_incidents($1::jsonb, $2)";
static const char rules_load_sql[] = "SELECT rules_load_open()";
static const char rules_load_devices_sql[] =
	"SELECT rules_load_open_devices($1::bigint[])";
static const char rules_windows_sql[] = "SELECT rules_load_windows()";

static cfg_opt_t rules_opts[] = {
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_STR("policy", RULES_POLICY_DEFAULT, CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_END()
};

/* An event that came before the open state was loaded; strings owned. */
struct rules_early {
	struct herald_event	 ev;
	char			*kind;
	char			*cause;
};


struct rules_stats {
	unsigned long long	 alarms_queued, alarms_written, alarms_skipped,
				 alarm_batches, incidents_written,
				 incidents_skipped, refused, fenced,
				 write_errors, restored_incidents,
				 restored_alarms, early_events, early_dropped,
				 read_ports, read_ports_failed, windows;
};

/* A rules_barrier waiting for the writes decided before it. */
struct rules_barrier {
	TAILQ_ENTRY(rules_barrier) entry;
	unsigned long long	 alarms;	/* alarms decided before it */
	unsigned long long	 incidents;	/* incident changes before it */
	void			(*done)(void *);
	void			*arg;
};

/* A rules_devices_gained on its way: barrier, load, restore. */
struct rules_gain {
	TAILQ_ENTRY(rules_gain)	 entry;
	struct rules		*r;
	int64_t			*ids;		/* 0: lost again meanwhile */
	size_t			 n;
	void			(*ready)(void *);
	void			*arg;
	struct event		*ev_timeout;
	int			 given_up;	/* ready was called: drop it */
};

struct rules {
	struct herald		*h;
	struct engine		*engine;
	struct policy		 policy;
	int			 stats_interval;
	enum { RULES_LOADING, RULES_LOADED } phase;
	struct event		*ev_tick;	/* engine_tick */
	rtime_t			 tick_at;	/* when it fires, 0: idle */
	struct event		*ev_flush;	/* alarm batch */
	struct event		*ev_windows;	/* every minute */
	struct event		*ev_stats;
	struct event		*ev_load;	/* load timeout */
	struct event		*ev_index;	/* until the first index */
	json_t			*batch;		/* alarms not yet sent ... */
	size_t			 batch_off;	/* ... from this one on */
	int			 alarms_due;	/* the batch may go */
	json_t			*pending;	/* uid -> incident not yet sent */
	json_t			*known;		/* uid -> true: sent once */
	json_t			*sent;		/* the incidents on their way */
	json_t			*pending_seq;	/* uid -> first change, numbered */
	unsigned long long	 incident_seq;	/* incident changes so far */
	unsigned long long	 alarms_handed;	/* alarms given to the store */
	TAILQ_HEAD(, rules_barrier) barriers;	/* oldest first */
	struct event		*ev_barrier;	/* looks at them */
	TAILQ_HEAD(, rules_gain) gains;
	int			 gain_timeout;	/* seconds; tests shorten it */
	int			 busy;		/* a statement on its way */
	int			 singly;	/* after a failed batch */
	struct rules_early	*early;
	size_t			 nearly, early_cap;
	int			 windows_busy;
	struct rules_stats	 st;
	struct log_ratelimit	 rl;
};

static rtime_t
rules_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (rtime_t)tv.tv_sec * RTIME_SEC + tv.tv_usec;
}

static void
rules_arm_usec(struct event *ev, rtime_t usec)
{
	struct timeval tv;

	if (usec < 0)
		usec = 0;
	tv.tv_sec = (time_t)(usec / RTIME_SEC);
	tv.tv_usec = (suseconds_t)(usec % RTIME_SEC);
	event_del(ev);
	event_add(ev, &tv);
}

/* Wake the engine when it asked to be (next 0: it asked for nothing). */
static void
rules_arm_tick(struct rules *r, rtime_t next)
{
	r->tick_at = next;
	if (next == 0)
		event_del(r->ev_tick);
	else
		rules_arm_usec(r->ev_tick, next - rules_now());
}

static void
rules_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rules *r = arg;

	rules_arm_tick(r, engine_tick(r->engine, rules_now()));
}

/* Writing ----------------------------------------------------------- */

static void
rules_refused(struct rules *r, const char *what, size_t n)
{
	r->st.refused += n;
	if (log_ratelimit(&r->rl, 1))
		log_warnx("rules: database queue full, %zu %s not stored "
		    "(%llu so far)", n, what, r->st.refused);
}

static void	rules_pump(struct rules *);

/*
 * Writes PostgreSQL refused because their epoch is stale: another
 * instance took the device over while they waited (a pause, a cut). They
 * are the other instance's to make now; counted, not retried.
 */
static void
rules_fenced(struct rules *r, const char *what, long long n)
{
	if (n <= 0)
		return;
	r->st.fenced += (unsigned long long)n;
	cluster_count_fenced(r->h, (unsigned long long)n);
	log_info("rules: %lld %s refused: another instance acts for their "
	    "devices now (%llu so far)", n, what, r->st.fenced);
}

static void
rules_alarms_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct rules *r = arg;
	long long stored, fenced, sent;

	r->busy = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r->st.write_errors++;
		log_warnx("rules: alarms not stored: %s", store_errmsg(res));
		rules_pump(r);
		return;
	}
	stored = atoll(PQgetvalue(res, 0, 0));
	fenced = atoll(PQgetvalue(res, 0, 1));
	sent = atoll(PQgetvalue(res, 0, 2));
	r->st.alarm_batches++;
	r->st.alarms_written += (unsigned long long)stored;
	rules_fenced(r, "alarm(s)", fenced);
	if (sent > stored + fenced) {
		r->st.alarms_skipped += (unsigned long long)(sent - stored -
		    fenced);
		log_info("rules: %lld alarm(s) of deleted devices skipped",
		    sent - stored - fenced);
	}
	rules_pump(r);
}

/* Up to RULES_BATCH_MAX alarms, oldest first, in one statement. */
static void
rules_send_alarms(struct rules *r)
{
	const char *params[2];
	size_t n = json_array_size(r->batch) - r->batch_off, i;
	json_t *chunk;
	char *doc;

	if (n > RULES_BATCH_MAX)
		n = RULES_BATCH_MAX;
	chunk = json_array();
	for (i = 0; i < n; i++)
		json_array_append(chunk, json_array_get(r->batch,
		    r->batch_off + i));
	/* The sent ones stay until the whole backlog is out (no memmove). */
	r->batch_off += n;
	if (r->batch_off == json_array_size(r->batch)) {
		json_array_clear(r->batch);
		r->batch_off = 0;
		r->alarms_due = 0;
	}
	doc = json_dumps(chunk, JSON_COMPACT);
	json_decref(chunk);
	params[0] = doc;
	params[1] = cluster_instance(r->h);
	/* Handed over, or lost for good: a barrier waits no longer. */
	r->alarms_handed += n;
	if (doc == NULL || store_query(r->h->decide, rules_alarms_sql, 2,
	    params, rules_alarms_done_cb, r) != 0)
		rules_refused(r, "alarms", n);
	else
		r->busy = 1;
	free(doc);
}

static void
rules_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rules *r = arg;

	r->alarms_due = 1;
	rules_pump(r);
}

static int
rules_final(const json_t *doc)
{
	const char *s = json_string_value(json_object_get(doc, "state"));

	return s != NULL && strcmp(s, "suspected") != 0 &&
	    strcmp(s, "confirmed") != 0;
}

static void
rules_incidents_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct rules *r = arg;
	const char *uid;
	json_t *doc;
	void *tmp;
	long long fenced;

	r->busy = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r->st.write_errors++;
		log_warnx("rules: %zu incident(s) not stored%s: %s",
		    json_object_size(r->sent), json_object_size(r->sent) > 1 ?
		    ", sending them one by one" : "", store_errmsg(res));
		/* One bad incident must not cost the others: again, singly. */
		if (json_object_size(r->sent) > 1) {
			json_object_foreach_safe(r->sent, tmp, uid, doc)
				if (json_object_get(r->pending, uid) == NULL) {
					json_object_set(r->pending, uid, doc);
					/* Older than any barrier: they wait. */
					json_object_set_new(r->pending_seq, uid,
					    json_integer(0));
				}
			r->singly = 1;
		}
	} else {
		fenced = atoll(PQgetvalue(res, 0, 1));
		r->st.incidents_written += (unsigned long long)atoll(
		    PQgetvalue(res, 0, 0));
		rules_fenced(r, "incident write(s)", fenced);
	}
	/* Finished incidents are done with: forget them. */
	json_object_foreach_safe(r->sent, tmp, uid, doc)
		if (rules_final(doc) && json_object_get(r->pending, uid) == NULL)
			json_object_del(r->known, uid);
	json_object_clear(r->sent);
	if (json_object_size(r->pending) == 0)
		r->singly = 0;
	rules_pump(r);
}

/*
 * Every incident that changed since the last statement, each with its
 * latest state, in one statement (or one at a time after a failure).
 */
static void
rules_send_incidents(struct rules *r)
{
	const char *uid, *params[2], *state;
	json_t *arr = json_array(), *doc;
	void *tmp;
	char *s;

	json_object_foreach_safe(r->pending, tmp, uid, doc) {
		state = json_string_value(json_object_get(doc, "state"));
		if (state != NULL && strcmp(state, "merged") == 0 &&
		    json_object_get(r->known, uid) == NULL) {
			/* Opened and absorbed before it was ever stored. */
			r->st.incidents_skipped++;
			/* uid is pending's own key: the seq goes first. */
			json_object_del(r->pending_seq, uid);
			json_object_del(r->pending, uid);
			continue;
		}
		json_array_append(arr, doc);
		json_object_set(r->sent, uid, doc);
		json_object_set_new(r->known, uid, json_true());
		json_object_del(r->pending_seq, uid);
		json_object_del(r->pending, uid);
		if (r->singly)
			break;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return;
	}
	s = json_dumps(arr, JSON_COMPACT);
	params[0] = s;
	params[1] = cluster_instance(r->h);
	if (s == NULL || store_query(r->h->decide, rules_incident_sql, 2,
	    params, rules_incidents_done_cb, r) != 0) {
		rules_refused(r, "incident writes", json_array_size(arr));
		json_object_clear(r->sent);
	} else
		r->busy = 1;
	free(s);
	json_decref(arr);
}

/*
 * The one place that sends: incidents before alarms, one at a time.
 * Barriers waiting are looked at on the next turn of the loop, not here:
 * this runs inside the engine's sink, where their callbacks must not.
 */
static void
rules_pump(struct rules *r)
{
	if (!r->busy && json_object_size(r->pending) > 0)
		rules_send_incidents(r);
	if (!r->busy && r->alarms_due &&
	    json_array_size(r->batch) > r->batch_off)
		rules_send_alarms(r);
	if (!TAILQ_EMPTY(&r->barriers))
		event_active(r->ev_barrier, EV_TIMEOUT, 1);
}

/* The first change of an incident not sent yet gets the next number. */
static void
rules_pending_note(struct rules *r, const char *uid)
{
	if (json_object_get(r->pending_seq, uid) == NULL)
		json_object_set_new(r->pending_seq, uid,
		    json_integer((json_int_t)++r->incident_seq));
}

/* Every write carries the epoch its device's lease had when decided. */
static void
rules_stamp(struct rules *r, json_t *o, int64_t device_id)
{
	json_object_set_new(o, "epoch",
	    json_integer((json_int_t)cluster_epoch(r->h, device_id)));
}

static void
rules_sink_alarm(void *arg, const struct alarm *a)
{
	struct rules *r = arg;
	json_t *o = rules_json_alarm(a);

	if (o == NULL)
		return;
	rules_stamp(r, o, a->device_id);
	r->st.alarms_queued++;
	json_array_append_new(r->batch, o);
	api_push(r->h, "alarms");
	if (json_array_size(r->batch) - r->batch_off >= RULES_BATCH_MAX) {
		r->alarms_due = 1;
		rules_pump(r);
	} else if (!evtimer_pending(r->ev_flush, NULL))
		rules_arm_usec(r->ev_flush, RULES_BATCH_USEC);
}

static void
rules_sink_incident(void *arg, const struct incident *inc)
{
	struct rules *r = arg;
	json_t *o = rules_json_incident(inc);

	if (o == NULL)
		return;
	rules_stamp(r, o, inc->scope.device_id);
	json_object_set_new(r->pending, inc->uid, o);
	rules_pending_note(r, inc->uid);
	api_push_incident(r->h, inc);
	rules_pump(r);
}

static void
rules_sink_read_port(void *arg, int64_t device_id,
    const struct herald_location *loc)
{
	struct rules *r = arg;

	if (poll_read_port(r->h->poller, device_id, loc) == 0)
		r->st.read_ports++;
	else
		r->st.read_ports_failed++;
}

static const struct inventory_index *
rules_sink_inventory(void *arg)
{
	struct rules *r = arg;

	return r->h->inventory != NULL ? inventory_current(r->h->inventory) :
	    NULL;
}

static const struct engine_sink rules_sink = {
	.alarm = rules_sink_alarm,
	.incident = rules_sink_incident,
	.read_port = rules_sink_read_port,
	.inventory = rules_sink_inventory,
};

/* Events -------------------------------------------------------------- */

static rtime_t
rules_event_time(const struct herald_event *ev)
{
	return (rtime_t)ev->time.tv_sec * RTIME_SEC + ev->time.tv_usec;
}

/*
 * engine_tick() walks what the engine holds, so calling it after every
 * event makes a storm quadratic (20,000 traps: most of the loop's time).
 * After an event the tick comes within RULES_TICK_USEC instead, once for
 * however many events arrive meanwhile; the engine's deadlines (hold-down,
 * early clears, flap windows) are seconds, so 100 ms later is on time.
 */
static void
rules_feed(struct rules *r, const struct herald_event *ev)
{
	rtime_t soon = rules_now() + RULES_TICK_USEC;

	engine_event(r->engine, ev, rules_event_time(ev));
	if (r->tick_at == 0 || r->tick_at > soon)
		rules_arm_tick(r, soon);
}

/*
 * Before the open state is restored the engine must not see an event (it
 * would open again what is open): hold events in memory, in order, with
 * the fields the engine reads; the rest (varbinds, peer) stays in the
 * events table. Beyond RULES_EARLY_MAX they are counted and dropped.
 */
static void
rules_hold(struct rules *r, const struct herald_event *ev)
{
	struct rules_early *e;

	if (r->nearly >= RULES_EARLY_MAX) {
		r->st.early_dropped++;
		return;
	}
	if (r->nearly == r->early_cap) {
		r->early_cap = r->early_cap ? r->early_cap * 2 : 256;
		r->early = xreallocarray(r->early, r->early_cap,
		    sizeof(*r->early));
	}
	e = &r->early[r->nearly++];
	e->ev = *ev;
	e->kind = ev->kind ? xstrdup(ev->kind) : NULL;
	e->cause = ev->cause ? xstrdup(ev->cause) : NULL;
	e->ev.kind = e->kind;
	e->ev.cause = e->cause;
	e->ev.peer = e->ev.pdu = e->ev.trap_oid = NULL;
	e->ev.profile = e->ev.rule = e->ev.varbinds = NULL;
	r->st.early_events++;
}

static void
rules_event_cb(const struct herald_event *ev, void *arg)
{
	struct rules *r = arg;

	if (ev->action == EVENT_RAW || ev->kind == NULL)
		return;
	if (r->phase == RULES_LOADING)
		rules_hold(r, ev);
	else
		rules_feed(r, ev);
}

static void
rules_early_free(struct rules *r)
{
	size_t i;

	for (i = 0; i < r->nearly; i++) {
		free(r->early[i].kind);
		free(r->early[i].cause);
	}
	free(r->early);
	r->early = NULL;
	r->nearly = r->early_cap = 0;
}

/* The open state is in (or given up on): feed what waited, in order. */
static void
rules_loaded(struct rules *r)
{
	size_t i;

	r->phase = RULES_LOADED;
	event_del(r->ev_load);
	if (r->nearly > 0)
		log_info("rules: %zu event(s) that came during the load fed",
		    r->nearly);
	for (i = 0; i < r->nearly; i++)
		rules_feed(r, &r->early[i].ev);
	rules_early_free(r);
	/* A restored incident's hold-down may end before any event comes. */
	rules_arm_tick(r, engine_tick(r->engine, rules_now()));
}

/* Loading ----------------------------------------------------------- */

/* Is the device one of these (ids NULL: all are)? */
static int
rules_device_in(int64_t id, const int64_t *ids, size_t n)
{
	size_t i;

	if (ids == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/*
 * The open state of all devices (at start) or of some (gained from
 * another instance; ids NULL: all) into the engine. The incidents come
 * first: the alarms name theirs by uid.
 */
static void
rules_restore(struct rules *r, const json_t *doc, const int64_t *ids,
    size_t nids, const char *what)
{
	const json_t *o;
	struct incident inc;
	struct alarm a;
	const char *uid;
	size_t i, ni = 0, na = 0;

	json_array_foreach(json_object_get(doc, "incidents"), i, o) {
		if (rules_json_to_incident(o, r->policy.hold_down, &inc) != 0) {
			log_warnx("rules: a malformed open incident skipped");
			continue;
		}
		if (rules_device_in(inc.scope.device_id, ids, nids)) {
			engine_restore_incident(r->engine, &inc);
			/* Stored: its end (a merge too) must be written. */
			json_object_set_new(r->known, inc.uid, json_true());
			ni++;
		}
		free(inc.accounts);
	}
	json_array_foreach(json_object_get(doc, "alarms"), i, o) {
		if (rules_json_to_alarm(o, &a, &uid) != 0) {
			log_warnx("rules: a malformed open alarm skipped");
			continue;
		}
		if (rules_device_in(a.device_id, ids, nids)) {
			engine_restore_alarm(r->engine, &a, uid);
			na++;
		}
	}
	engine_refill_accounts(r->engine, rules_now());
	r->st.restored_incidents += ni;
	r->st.restored_alarms += na;
	log_info("rules: %zu open incident(s) and %zu open alarm(s) "
	    "restored%s", ni, na, what);
}

static void
rules_load_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct rules *r = arg;
	json_error_t err;
	json_t *doc;

	if (r->phase != RULES_LOADING)
		return;		/* given up on already */
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_warnx("rules: open incidents not loaded: %s (has "
		    "\"heraldctl db migrate\" been run?)", store_errmsg(res));
	} else if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, &err)) == NULL) {
		log_warnx("rules: open incidents not loaded: %s", err.text);
	} else {
		rules_restore(r, doc, NULL, 0, "");
		json_decref(doc);
	}
	rules_loaded(r);
}

/*
 * A database that does not answer at start must not stop the decisions
 * for ever: go on without the saved state. What is already open in
 * PostgreSQL is not opened twice even so: the open-per-scope index folds
 * the engine's new incident into the open row.
 */
static void
rules_load_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rules *r = arg;

	log_warnx("rules: open incidents not loaded within %d s; deciding "
	    "without them", RULES_LOAD_TIMEOUT);
	rules_loaded(r);
}

static void
rules_windows_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct rules *r = arg;
	struct maint_window *w;
	json_error_t err;
	json_t *doc;
	size_t n;

	r->windows_busy = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_warnx("rules: maintenance windows not read: %s",
		    store_errmsg(res));
		return;
	}
	if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, &err)) == NULL ||
	    rules_json_to_windows(doc, &w, &n) != 0) {
		log_warnx("rules: maintenance windows malformed");
		json_decref(doc);
		return;
	}
	engine_set_windows(r->engine, w, n);
	if (n != r->st.windows)
		log_info("rules: %zu maintenance window(s) in force or coming",
		    n);
	r->st.windows = n;
	free(w);
	json_decref(doc);
}

static void
rules_read_windows(struct rules *r)
{
	if (r->windows_busy)
		return;
	if (store_query(r->h->decide, rules_windows_sql, 0, NULL,
	    rules_windows_done_cb, r) == 0)
		r->windows_busy = 1;
}

static void
rules_windows_cb(evutil_socket_t fd, short what, void *arg)
{
	rules_read_windows(arg);
}

/*
 * Events decided before the first subscriber index was loaded (heraldd
 * started while PostgreSQL was away) found no accounts: once it is there,
 * the open incidents get theirs. Checked every second until then.
 */
static void
rules_index_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rules *r = arg;

	if (r->phase != RULES_LOADED || rules_sink_inventory(r) == NULL)
		return;
	event_del(r->ev_index);
	engine_refill_accounts(r->engine, rules_now());
	rules_arm_tick(r, engine_tick(r->engine, rules_now()));
}

static void
rules_notify_cb(struct store *st, const char *channel, const char *payload,
    void *arg)
{
	rules_read_windows(arg);
}

/*
 * NOTIFYs are lost while the connection is down: read again after it (a
 * read still queued is sent again anyway, and does for this one).
 */
static void
rules_state_cb(struct store *st, enum store_state s, void *arg)
{
	if (s == STORE_UP)
		rules_read_windows(arg);
}

/* Cluster: devices lost, gained, and the barrier before a release ----- */

/* The oldest incident change not yet handed to the store (its number). */
static unsigned long long
rules_pending_oldest(struct rules *r)
{
	unsigned long long oldest = ~0ULL, v;
	const char *uid;
	json_t *seq;

	json_object_foreach(r->pending_seq, uid, seq) {
		v = (unsigned long long)json_integer_value(seq);
		if (v < oldest)
			oldest = v;
	}
	return oldest;
}

static int
rules_barrier_passed(struct rules *r, const struct rules_barrier *b)
{
	return r->alarms_handed >= b->alarms &&
	    rules_pending_oldest(r) > b->incidents;
}

/*
 * Barriers pass in the order they were set (each counts no less than
 * the one before). A callback may set another barrier, or lose devices:
 * the head is taken off before it is called.
 */
static void
rules_barrier_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rules *r = arg;
	struct rules_barrier *b;

	while ((b = TAILQ_FIRST(&r->barriers)) != NULL &&
	    rules_barrier_passed(r, b)) {
		TAILQ_REMOVE(&r->barriers, b, entry);
		b->done(b->arg);
		free(b);
	}
}

void
rules_barrier(struct herald *h, void (*done)(void *), void *arg)
{
	struct rules *r = h->rules;
	struct rules_barrier *b;

	if (r == NULL) {
		done(arg);
		return;
	}
	b = xcalloc(1, sizeof(*b));
	b->alarms = r->st.alarms_queued;
	b->incidents = r->incident_seq;
	b->done = done;
	b->arg = arg;
	TAILQ_INSERT_TAIL(&r->barriers, b, entry);
	/* Its alarms go now, not at the next batch timer. */
	if (r->alarms_handed < b->alarms)
		r->alarms_due = 1;
	rules_pump(r);
}

struct rules_lost {
	const int64_t	*ids;
	size_t		 n;
	json_t		*uids;
};

static void
rules_lost_uid(const struct incident *inc, void *arg)
{
	struct rules_lost *l = arg;

	if (rules_device_in(inc->scope.device_id, l->ids, l->n))
		json_array_append_new(l->uids, json_string(inc->uid));
}

/*
 * The devices' incidents and alarms leave the engine; writes already
 * decided for them stay queued, with the epoch they carry, and
 * PostgreSQL refuses them if the new owner's epoch is in force already.
 * A load on its way for one of them (lost again before it came) leaves
 * it out.
 */
void
rules_devices_lost(struct herald *h, const int64_t *ids, size_t n)
{
	struct rules *r = h->rules;
	struct rules_lost l = { ids, n, NULL };
	struct rules_gain *g;
	const char *uid;
	json_t *v;
	size_t i;

	if (r == NULL || n == 0)
		return;
	l.uids = json_array();
	engine_foreach_incident(r->engine, rules_lost_uid, &l);
	for (i = 0; i < n; i++)
		engine_drop_device(r->engine, ids[i]);
	/* "Stored once" matters only to a write still to go. */
	json_array_foreach(l.uids, i, v) {
		uid = json_string_value(v);
		if (json_object_get(r->pending, uid) == NULL &&
		    json_object_get(r->sent, uid) == NULL)
			json_object_del(r->known, uid);
	}
	TAILQ_FOREACH(g, &r->gains, entry)
		for (i = 0; i < g->n; i++)
			if (rules_device_in(g->ids[i], ids, n))
				g->ids[i] = 0;
	log_info("rules: %zu device(s) lost, %zu incident(s) of them "
	    "forgotten", n, json_array_size(l.uids));
	json_decref(l.uids);
}

static void
rules_gain_free(struct rules_gain *g)
{
	TAILQ_REMOVE(&g->r->gains, g, entry);
	event_free(g->ev_timeout);
	free(g->ids);
	free(g);
}

/* Done with (loaded or failed): ready, unless the timeout said it. */
static void
rules_gain_end(struct rules_gain *g)
{
	void (*ready)(void *) = g->ready;
	void *arg = g->arg;
	int given_up = g->given_up;
	struct rules *r = g->r;

	rules_gain_free(g);
	if (!given_up) {
		/* A restored incident's hold-down may end before an event. */
		rules_arm_tick(r, engine_tick(r->engine, rules_now()));
		ready(arg);
	}
}

static void
rules_gain_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct rules_gain *g = arg;
	struct rules *r = g->r;
	json_error_t err;
	json_t *doc;
	size_t i;

	if (g->given_up) {
		log_warnx("rules: the open state of %zu gained device(s) came "
		    "after the timeout: not used", g->n);
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		log_warnx("rules: open state of %zu gained device(s) not "
		    "loaded: %s", g->n, store_errmsg(res));
	} else if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, &err)) == NULL) {
		log_warnx("rules: open state of %zu gained device(s) not "
		    "loaded: %s", g->n, err.text);
	} else {
		/* Nothing of them should be here; if it is, it is stale. */
		for (i = 0; i < g->n; i++)
			if (g->ids[i] != 0)
				engine_drop_device(r->engine, g->ids[i]);
		rules_restore(r, doc, g->ids, g->n, " for gained devices");
		json_decref(doc);
	}
	rules_gain_end(g);
}

/* The writes decided before the gain are out: the load follows them. */
static void
rules_gain_load(void *arg)
{
	struct rules_gain *g = arg;
	const char *params[1];
	char *list, *p;
	size_t i, len;

	if (g->given_up) {
		rules_gain_end(g);
		return;
	}
	len = 3 + g->n * 21;
	p = list = xmalloc(len);
	*p++ = '{';
	for (i = 0; i < g->n; i++)
		p += snprintf(p, len - (size_t)(p - list), "%s%lld",
		    i ? "," : "", (long long)g->ids[i]);
	snprintf(p, len - (size_t)(p - list), "}");
	params[0] = list;
	if (store_query(g->r->h->decide, rules_load_devices_sql, 1, params,
	    rules_gain_done_cb, g) != 0) {
		log_warnx("rules: database queue full: open state of %zu "
		    "gained device(s) not loaded", g->n);
		rules_gain_end(g);
	}
	free(list);
}

/*
 * Gained devices' events wait in cluster.c's ring until ready: a load
 * that does not come must not hold them for ever. Go on without their
 * state; the one-open-per-scope index folds an incident opened again
 * into the stored one.
 */
static void
rules_gain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rules_gain *g = arg;

	log_warnx("rules: open state of %zu gained device(s) not loaded "
	    "within %d s; deciding without it", g->n, g->r->gain_timeout);
	g->given_up = 1;
	g->ready(g->arg);
}

/*
 * A barrier first: writes this instance decided for the devices before
 * (it held them once, lost them, took them back) reach PostgreSQL before
 * the load reads it, on the same connection.
 */
void
rules_devices_gained(struct herald *h, const int64_t *ids, size_t n,
    void (*ready)(void *), void *arg)
{
	struct rules *r = h->rules;
	struct timeval tv = { 0, 0 };
	struct rules_gain *g;

	if (r == NULL || n == 0) {
		ready(arg);
		return;
	}
	tv.tv_sec = r->gain_timeout;
	g = xcalloc(1, sizeof(*g));
	g->r = r;
	g->ids = xreallocarray(NULL, n, sizeof(*ids));
	memcpy(g->ids, ids, n * sizeof(*ids));
	g->n = n;
	g->ready = ready;
	g->arg = arg;
	g->ev_timeout = evtimer_new(h->base, rules_gain_timeout_cb, g);
	evtimer_add(g->ev_timeout, &tv);
	TAILQ_INSERT_TAIL(&r->gains, g, entry);
	rules_barrier(h, rules_gain_load, g);
}

/* Stats and configuration --------------------------------------------- */

static void
rules_publish(struct rules *r, int final)
{
	struct engine_stats e;
	struct stats_counter c[32];
	size_t n = 0;

	engine_get_stats(r->engine, &e);
#define RULES_C(label, v)	c[n].name = (label), c[n++].value = (v)
	RULES_C("events", e.events);
	RULES_C("alarms_open", e.alarms_open);
	RULES_C("alarms_raised", e.alarms_raised);
	RULES_C("alarms_cleared", e.alarms_cleared);
	RULES_C("repeats", e.repeats);
	RULES_C("early_clears", e.early_clears);
	RULES_C("flapping", e.flapping);
	RULES_C("incidents_open", e.incidents_open);
	RULES_C("incidents_opened", e.incidents_opened);
	RULES_C("confirmed", e.confirmed);
	RULES_C("resolved", e.resolved);
	RULES_C("transient", e.transient);
	RULES_C("merged", e.merged);
	RULES_C("alarms_written", r->st.alarms_written);
	RULES_C("alarms_skipped", r->st.alarms_skipped);
	RULES_C("alarm_batches", r->st.alarm_batches);
	RULES_C("incidents_written", r->st.incidents_written);
	RULES_C("incidents_skipped", r->st.incidents_skipped);
	RULES_C("refused", r->st.refused);
	RULES_C("fenced", r->st.fenced);
	RULES_C("write_errors", r->st.write_errors);
	RULES_C("read_ports", r->st.read_ports);
	RULES_C("windows", r->st.windows);
#undef RULES_C
	stats_publish(r->h, "rules", c, n, final);
}

static void
rules_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	rules_publish(arg, 0);
}

static cfg_t *
rules_section(cfg_t *root)
{
	return cfg_getsec(root, "rules");
}

/*
 * The policy file: the configured one, or the shipped default. A missing
 * default is no error (the built-in values are the shipped file's); a
 * missing or broken configured file is.
 */
static int
rules_policy_read(cfg_t *root, struct policy *p)
{
	const char *path = cfg_getstr(rules_section(root), "policy");
	struct stat sb;

	policy_defaults(p);
	if (strcmp(path, RULES_POLICY_DEFAULT) == 0 && stat(path, &sb) != 0)
		return 0;
	return policy_load(p, path);
}

static void
rules_check(cfg_t *root)
{
	struct policy p;
	cfg_t *sec = rules_section(root);

	if (cfg_getint(sec, "stats_interval") <= 0)
		conf_error(sec, "rules: stats_interval must be positive");
	if (rules_policy_read(root, &p) != 0)
		conf_error(sec, "rules: policy %s has errors",
		    cfg_getstr(sec, "policy"));
}

static void
rules_arm_stats(struct rules *r)
{
	struct timeval tv = { r->stats_interval, 0 };

	event_del(r->ev_stats);
	event_add(r->ev_stats, &tv);
}

static int
rules_start(struct herald *h)
{
	struct rules *r = xcalloc(1, sizeof(*r));
	struct timeval windows = { RULES_WINDOWS_SEC, 0 };
	struct timeval index_check = { 1, 0 };
	struct timeval load = { RULES_LOAD_TIMEOUT, 0 };

	if (!cfg_getbool(rules_section(h->conf->cfg), "enabled")) {
		/* Collect only (benchmarks, a collector-only instance). */
		log_info("rules: disabled: events are collected, not decided");
		free(r);
		return 0;
	}
	r->h = h;
	if (rules_policy_read(h->conf->cfg, &r->policy) != 0) {
		free(r);
		return -1;
	}
	r->stats_interval = (int)cfg_getint(rules_section(h->conf->cfg),
	    "stats_interval");
	r->engine = engine_new(&r->policy, &rules_sink, r);
	r->batch = json_array();
	r->pending = json_object();
	r->known = json_object();
	r->sent = json_object();
	r->pending_seq = json_object();
	TAILQ_INIT(&r->barriers);
	TAILQ_INIT(&r->gains);
	r->gain_timeout = RULES_LOAD_TIMEOUT;
	r->ev_barrier = event_new(h->base, -1, 0, rules_barrier_cb, r);
	r->ev_tick = evtimer_new(h->base, rules_tick_cb, r);
	r->ev_flush = evtimer_new(h->base, rules_flush_cb, r);
	r->ev_load = evtimer_new(h->base, rules_load_timeout_cb, r);
	r->ev_windows = event_new(h->base, -1, EV_PERSIST, rules_windows_cb, r);
	r->ev_index = event_new(h->base, -1, EV_PERSIST, rules_index_cb, r);
	r->ev_stats = event_new(h->base, -1, EV_PERSIST, rules_stats_cb, r);
	event_add(r->ev_windows, &windows);
	event_add(r->ev_index, &index_check);
	rules_arm_stats(r);
	h->rules = r;

	/*
	 * Queued now, sent as soon as the decisions connection is up. In a
	 * cluster the engine starts empty: each device's state comes when
	 * its lease does (rules_devices_gained), and no event of a device
	 * comes before that.
	 */
	r->phase = RULES_LOADING;
	if (cluster_enabled(h)) {
		log_info("rules: in a cluster: open incidents are loaded per "
		    "device, as its lease is gained");
		rules_loaded(r);
	} else if (store_query(h->decide, rules_load_sql, 0, NULL,
	    rules_load_done_cb, r) != 0)
		rules_loaded(r);
	else
		event_add(r->ev_load, &load);
	rules_read_windows(r);
	store_listen(h->decide, "maintenance_changed", rules_notify_cb, r);
	store_watch(h->decide, rules_state_cb, r);
	events_subscribe(h, rules_event_cb, r);
	return 0;
}

/* A broken policy was refused by rules_check: the reload never gets here. */
static void
rules_reload(struct herald *h, struct herald_conf *old)
{
	struct rules *r = h->rules;
	struct policy p;
	int interval;

	if (r == NULL)
		return;
	if (rules_policy_read(h->conf->cfg, &p) != 0) {
		log_warnx("rules: policy has errors, keeping the old one");
		return;
	}
	r->policy = p;
	engine_set_policy(r->engine, &r->policy);
	interval = (int)cfg_getint(rules_section(h->conf->cfg),
	    "stats_interval");
	if (interval != r->stats_interval) {
		r->stats_interval = interval;
		rules_arm_stats(r);
	}
}

/* Everything the module holds; the store frees its queue without calling back. */
static void
rules_free(struct rules *r)
{
	struct rules_barrier *b;

	while ((b = TAILQ_FIRST(&r->barriers)) != NULL) {
		TAILQ_REMOVE(&r->barriers, b, entry);
		free(b);
	}
	while (!TAILQ_EMPTY(&r->gains))
		rules_gain_free(TAILQ_FIRST(&r->gains));
	event_free(r->ev_barrier);
	engine_free(r->engine);
	event_free(r->ev_tick);
	event_free(r->ev_flush);
	event_free(r->ev_load);
	event_free(r->ev_windows);
	event_free(r->ev_index);
	event_free(r->ev_stats);
	json_decref(r->batch);
	json_decref(r->pending);
	json_decref(r->known);
	json_decref(r->sent);
	json_decref(r->pending_seq);
	rules_early_free(r);
	free(r);
}

static void
rules_stop(struct herald *h)
{
	struct rules *r = h->rules;

	if (r == NULL)
		return;
	/*
	 * The loop has ended, so nothing more reaches the database: alarms
	 * still in the batch are lost with this process. That is no more
	 * than a SIGKILL loses; the poller's first full read after the
	 * restart reconciles what herald holds with what the devices say.
	 */
	rules_publish(r, 1);
	rules_free(r);
	h->rules = NULL;
}

const struct alarm *
rules_alarm(struct herald *h, int64_t device_id, const char *kind,
    const struct herald_location *loc)
{
	enum alarm_kind k;

	if (h->rules == NULL || h->rules->engine == NULL ||
	    kind_parse(kind, &k) != 0)
		return NULL;
	return engine_alarm(h->rules->engine, device_id, k, loc);
}

void
rules_foreach_incident(struct herald *h,
    void (*cb)(const struct incident *, void *), void *arg)
{
	if (h->rules != NULL && h->rules->engine != NULL)
		engine_foreach_incident(h->rules->engine, cb, arg);
}

const struct herald_module rules_module = {
	.name = "rules",
	.opts = rules_opts,
	.check = rules_check,
	.start = rules_start,
	.reload = rules_reload,
	.stop = rules_stop,
};
