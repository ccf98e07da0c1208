/*
 * cluster.c: several heraldd instances share the devices through lease
 * rows in PostgreSQL (schema/090_cluster.sql); see cluster.h.
 *
 * A lease round is one statement, cluster_lease(), on the decisions
 * connection: it registers this run of heraldd, renews the leases it
 * holds, claims free or expired ones up to its share and says how many it
 * holds beyond it. Rounds come every lease/3 seconds, at once when another
 * instance NOTIFYs "cluster" (it started, released or was drained), and
 * just after another instance's lease runs out, so a dead instance's
 * devices are taken over within the lease time and a fraction of a second.
 *
 * The decisions connection is also the one the rules engine writes on, and
 * libpq runs its statements in order: a release queued after the engine's
 * writes (rules_barrier) runs after them, so a device handed over cleanly
 * loses nothing to fencing.
 *
 * A lease is trusted locally only until the time the round that renewed it
 * was sent plus the lease, less a margin, on the monotonic clock: PostgreSQL
 * counts the lease from a later moment (its now() in that round), so an
 * instance cut off from the database stops acting before anyone else may
 * claim its devices. A process paused past that time (SIGSTOP, a stalled
 * VM) checks the clock on each event and acts on nothing when it wakes; the
 * writes it had decided before the pause carry the old epoch and
 * PostgreSQL refuses them (cluster_fence).
 *
 * Traps of the devices another instance holds are kept per device for
 * cluster.ring seconds. When this instance takes such a device over, it
 * first loads the device's open state (rules_devices_gained), then feeds
 * the ring in order, then asks the poller for a full read, which
 * reconciles whatever the ring could not hold.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "conf.h"
#include "events.h"
#include "herald.h"
#include "hmap.h"
#include "log.h"
#include "module.h"
#include "poll.h"
#include "rules.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

#define CLUSTER_LEAVE_USEC	3000000	/* SIGTERM: give leases back, or go */
#define CLUSTER_NOTIFY_USEC	50000	/* a round this soon after NOTIFY */
#define CLUSTER_EXPIRY_USEC	50000	/* and after another lease runs out */

static const char cluster_lease_sql[] =
	"SELECT cluster_lease($1, $2, $3::integer, $4, $5::double precision, "
	"nullif($6, ''), $7::boolean)";
/*
 * The last trap stored for each gained device in the ring's time: what the
 * previous owner had processed, read before the ring is replayed.
 */
static const char cluster_stored_sql[] =
	"SELECT l.device_id, (extract(epoch FROM greatest(l.processed_until, "
	"(SELECT max(e.at) FROM events e WHERE e.device_id = l.device_id AND "
	"e.source = 'trap' AND e.at > now() - make_interval(secs => "
	"$2::integer)))) * 1000000)::bigint FROM device_leases l "
	"WHERE l.device_id = ANY ($1::bigint[])";
#define CLUSTER_STORED_SLACK	1000000	/* receive times of two instances */
static const char cluster_release_sql[] =
	"SELECT cluster_release($1, $2, $3::bigint[], $4::bigint[], "
	"$5::boolean)";

static cfg_opt_t cluster_opts[] = {
	CFG_BOOL("enabled", cfg_false, CFGF_NONE),
	CFG_STR("name", "", CFGF_NONE),
	CFG_FLOAT("lease", 10, CFGF_NONE),
	CFG_INT("ring", 60, CFGF_NONE),
	CFG_INT("ring_max", 8192, CFGF_NONE),
	CFG_INT("ring_total_max", 1000000, CFGF_NONE),
	CFG_STR("api_url", "", CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_END()
};

/* Counters for the stats line, collector_stats and /metrics. */
struct cluster_stats {
	unsigned long long	rounds, round_errors;
	unsigned long long	gained, lost, released;
	unsigned long long	ring_kept, ring_dropped, ring_replayed;
	unsigned long long	ring_skipped;	/* stored by the previous owner */
	unsigned long long	poll_dropped;
	unsigned long long	fenced;		/* writes refused (rules) */
	size_t			share;		/* last computed share */
	size_t			live;		/* live instances seen */
};

/* A trap kept for a device another instance holds; strings owned. */
struct cring_ev {
	struct herald_event	 ev;
	int64_t			 at;		/* monotonic, microseconds */
};

struct cring {
	struct cring_ev		*v;
	size_t			 cap, head, n;
};

enum cdev_state {
	CDEV_NONE = 0,		/* another instance's, or nobody's */
	CDEV_GAINING,		/* claimed: its open state is loading */
	CDEV_HELD,		/* this instance acts for it */
	CDEV_RELEASING,		/* being given back */
};

struct cdev {
	int64_t			 id;
	int64_t			 epoch;
	int64_t			 valid_until;	/* monotonic microseconds */
	enum cdev_state		 state;
	int			 seen;		/* in the last round's leases */
	int64_t			 processed;	/* last trap handled: its time */
	struct cring		 ring;
};

struct cluster {
	struct herald		*h;
	int			 enabled;
	char			 name[128];
	char			 token[40];
	char			 pid[16];
	double			 lease;		/* seconds */
	int64_t			 margin;	/* microseconds */
	int			 ring_sec;
	size_t			 ring_max;
	size_t			 ring_total_max;
	size_t			 ring_total;	/* traps in all the rings */
	char			*api_url;
	struct hmap_u64		 map;		/* device id -> devs index */
	struct cdev		*devs;
	size_t			 ndevs, cap;
	struct event		*ev_round;
	struct event		*ev_expiry;
	struct event		*ev_sweep;
	struct event		*ev_stats;
	struct event		*ev_leave;
	int			 round_busy;
	int			 registered;	/* a round of ours went through */
	int			 round_again;
	int64_t			 round_sent;
	int			 releasing;	/* a release on its way */
	int			 leaving;
	int			 stats_interval;
	struct cluster_stats	 st;
	struct log_ratelimit	 rl;
	struct log_ratelimit	 rl_conflict;
};

/* A batch of devices gained or released together. */
struct cbatch {
	struct cluster		*c;
	int64_t			*ids;
	int64_t			*epochs;
	size_t			 n;
	int			 leave;		/* the release of SIGTERM */
	int64_t			*stored;	/* gain: last trap stored, usec */
	int			 waiting;	/* gain: answers still to come */
};

static char cluster_host[128];

static int64_t
cluster_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
cluster_arm(struct event *ev, int64_t usec)
{
	struct timeval tv;

	if (usec < 0)
		usec = 0;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	event_del(ev);
	event_add(ev, &tv);
}

/* Names --------------------------------------------------------------- */

static const char *
cluster_conf_name(cfg_t *root)
{
	const char *n = cfg_getstr(cfg_getsec(root, "cluster"), "name");

	if (n != NULL && n[0] != '\0')
		return n;
	if (cluster_host[0] == '\0') {
		if (gethostname(cluster_host, sizeof(cluster_host)) != 0)
			snprintf(cluster_host, sizeof(cluster_host),
			    "localhost");
		cluster_host[sizeof(cluster_host) - 1] = '\0';
	}
	return cluster_host;
}

const char *
cluster_name(struct herald *h)
{
	if (h->cluster != NULL)
		return h->cluster->name;
	return cluster_conf_name(h->conf->cfg);
}

const char *
cluster_instance(struct herald *h)
{
	return h->cluster != NULL && h->cluster->enabled ? h->cluster->name :
	    NULL;
}

int
cluster_enabled(struct herald *h)
{
	return h->cluster != NULL && h->cluster->enabled;
}

/* Devices ------------------------------------------------------------- */

static struct cdev *
cluster_dev(struct cluster *c, int64_t id, int create)
{
	uint32_t i;

	if (hmap_u64_get(&c->map, (uint64_t)id, &i))
		return &c->devs[i];
	if (!create)
		return NULL;
	if (c->ndevs == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->devs = xreallocarray(c->devs, c->cap, sizeof(*c->devs));
	}
	memset(&c->devs[c->ndevs], 0, sizeof(c->devs[0]));
	c->devs[c->ndevs].id = id;
	hmap_u64_put(&c->map, (uint64_t)id, (uint32_t)c->ndevs, NULL);
	return &c->devs[c->ndevs++];
}

/* Leases held now (or being loaded), for the gauge. */
static size_t
cluster_held(const struct cluster *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->ndevs; i++)
		if (c->devs[i].state == CDEV_HELD ||
		    c->devs[i].state == CDEV_GAINING)
			n++;
	return n;
}

static int
cluster_dev_acts(const struct cdev *d, int64_t now)
{
	return d->state == CDEV_HELD && d->valid_until > now;
}

int
cluster_owns(struct herald *h, int64_t device_id)
{
	struct cluster *c = h->cluster;
	struct cdev *d;

	if (c == NULL || !c->enabled)
		return 1;
	if ((d = cluster_dev(c, device_id, 0)) == NULL)
		return 0;
	return cluster_dev_acts(d, cluster_mono());
}

int64_t
cluster_epoch(struct herald *h, int64_t device_id)
{
	struct cluster *c = h->cluster;
	struct cdev *d;

	if (c == NULL || !c->enabled ||
	    (d = cluster_dev(c, device_id, 0)) == NULL ||
	    d->state == CDEV_NONE)
		return 0;
	return d->epoch;
}

void
cluster_count_fenced(struct herald *h, unsigned long long n)
{
	if (h->cluster != NULL)
		h->cluster->st.fenced += n;
}

/* The ring ------------------------------------------------------------ */

static char *
cluster_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
cluster_ring_ev_free(struct cring_ev *r)
{
	free((char *)r->ev.kind);
	free((char *)r->ev.cause);
	free((char *)r->ev.peer);
	free((char *)r->ev.pdu);
	free((char *)r->ev.trap_oid);
	free((char *)r->ev.profile);
	free((char *)r->ev.rule);
	free((char *)r->ev.varbinds);
}

static void
cluster_ring_pop(struct cluster *c, struct cring *g)
{
	cluster_ring_ev_free(&g->v[g->head]);
	g->head = (g->head + 1) % g->cap;
	g->n--;
	c->ring_total--;
}

/* Drop what is older than the ring's time; free an empty ring. */
static void
cluster_ring_trim(struct cluster *c, struct cring *g, int64_t now)
{
	int64_t oldest = now - (int64_t)c->ring_sec * 1000000;

	while (g->n > 0 && g->v[g->head].at < oldest)
		cluster_ring_pop(c, g);
	if (g->n == 0 && g->cap > 0) {
		free(g->v);
		memset(g, 0, sizeof(*g));
	}
}

static void
cluster_ring_push(struct cluster *c, struct cdev *d,
    const struct herald_event *ev)
{
	struct cring *g = &d->ring;
	struct cring_ev *r;
	int64_t now = cluster_mono();
	size_t ncap, i;
	struct cring_ev *nv;

	cluster_ring_trim(c, g, now);
	if (g->n == c->ring_max) {
		cluster_ring_pop(c, g);
		if (log_ratelimit(&c->rl, 1))
			log_warnx("cluster: device %lld: more than %zu traps "
			    "in %d s kept for a takeover; the oldest dropped",
			    (long long)d->id, c->ring_max, c->ring_sec);
		c->st.ring_dropped++;
	} else if (c->ring_total >= c->ring_total_max) {
		/* All the rings together: memory is bounded (~600 B a trap). */
		if (log_ratelimit(&c->rl, 1))
			log_warnx("cluster: %zu traps kept for takeovers in all "
			    "(ring_total_max): dropping", c->ring_total);
		c->st.ring_dropped++;
		if (g->n == 0)
			return;
		cluster_ring_pop(c, g);
	}
	if (g->n == g->cap) {
		ncap = g->cap ? g->cap * 2 : 16;
		if (ncap > c->ring_max)
			ncap = c->ring_max;
		nv = xreallocarray(NULL, ncap, sizeof(*nv));
		for (i = 0; i < g->n; i++)
			nv[i] = g->v[(g->head + i) % g->cap];
		free(g->v);
		g->v = nv;
		g->cap = ncap;
		g->head = 0;
	}
	r = &g->v[(g->head + g->n) % g->cap];
	r->ev = *ev;
	r->at = now;
	r->ev.kind = cluster_dup(ev->kind);
	r->ev.cause = cluster_dup(ev->cause);
	r->ev.peer = cluster_dup(ev->peer);
	r->ev.pdu = cluster_dup(ev->pdu);
	r->ev.trap_oid = cluster_dup(ev->trap_oid);
	r->ev.profile = cluster_dup(ev->profile);
	r->ev.rule = cluster_dup(ev->rule);
	r->ev.varbinds = cluster_dup(ev->varbinds);
	g->n++;
	c->ring_total++;
	c->st.ring_kept++;
}

/*
 * Feed a device's ring to the pipeline, oldest first. The ring is taken
 * out first: should the lease run out meanwhile, the gate puts the traps
 * back into a fresh ring instead of losing them.
 */
static void
cluster_ring_replay(struct cluster *c, struct cdev *d, int64_t stored)
{
	struct cring g = d->ring;
	const struct timeval *t;

	memset(&d->ring, 0, sizeof(d->ring));
	cluster_ring_trim(c, &g, cluster_mono());
	while (g.n > 0) {
		t = &g.v[g.head].ev.time;
		if ((int64_t)t->tv_sec * 1000000 + t->tv_usec <
		    stored - CLUSTER_STORED_SLACK)
			c->st.ring_skipped++;
		else {
			events_submit(c->h, &g.v[g.head].ev);
			c->st.ring_replayed++;
		}
		cluster_ring_pop(c, &g);
	}
	free(g.v);
}

int
cluster_accept(struct herald *h, const struct herald_event *ev)
{
	struct cluster *c = h->cluster;
	struct cdev *d;
	int64_t t;

	if (c == NULL || !c->enabled || ev->device_id <= 0)
		return 1;
	d = cluster_dev(c, ev->device_id, 1);
	if (cluster_dev_acts(d, cluster_mono())) {
		t = (int64_t)ev->time.tv_sec * 1000000 + ev->time.tv_usec;
		if (ev->source == EVENT_SOURCE_TRAP && t > d->processed)
			d->processed = t;
		return 1;
	}
	if (ev->source == EVENT_SOURCE_TRAP)
		cluster_ring_push(c, d, ev);
	else
		c->st.poll_dropped++;
	return 0;
}

/* Gains and losses ------------------------------------------------------ */

static struct cbatch *
cluster_batch_new(struct cluster *c, size_t cap)
{
	struct cbatch *b = xcalloc(1, sizeof(*b));

	b->c = c;
	b->ids = xreallocarray(NULL, cap ? cap : 1, sizeof(*b->ids));
	b->epochs = xreallocarray(NULL, cap ? cap : 1, sizeof(*b->epochs));
	return b;
}

static void
cluster_batch_add(struct cbatch *b, const struct cdev *d)
{
	b->ids[b->n] = d->id;
	b->epochs[b->n] = d->epoch;
	b->n++;
}

/* The batch's ids as a PostgreSQL array literal: "{1,2,3}". */
static char *
cluster_id_array(const struct cbatch *b)
{
	struct evbuffer *buf = evbuffer_new();
	size_t i, len;
	char *arr;

	evbuffer_add(buf, "{", 1);
	for (i = 0; i < b->n; i++)
		evbuffer_add_printf(buf, "%s%lld", i ? "," : "",
		    (long long)b->ids[i]);
	evbuffer_add(buf, "}", 2);
	len = evbuffer_get_length(buf);
	arr = xmalloc(len);
	evbuffer_remove(buf, arr, len);
	evbuffer_free(buf);
	return arr;
}

static void
cluster_batch_free(struct cbatch *b)
{
	free(b->ids);
	free(b->epochs);
	free(b->stored);
	free(b);
}

static void	cluster_arm_expiry(struct cluster *);

/* Stop acting for devices: the engine forgets them, the poller stops. */
static void
cluster_drop(struct cluster *c, const int64_t *ids, size_t n)
{
	if (n == 0)
		return;
	rules_devices_lost(c->h, ids, n);
	if (c->h->poller != NULL)
		poll_devices_lost(c->h->poller, ids, n);
}

/* Their open state is in the engine: act, replay the rings, poll. */
static void
cluster_gained_cb(void *arg)
{
	struct cbatch *b = arg;
	struct cluster *c = b->c;
	struct cdev *d;
	int64_t *now_held = xreallocarray(NULL, b->n ? b->n : 1,
	    sizeof(*now_held));
	size_t i, k = 0;

	if (--b->waiting > 0) {		/* the other answer is to come */
		free(now_held);
		return;
	}
	for (i = 0; i < b->n; i++) {
		d = cluster_dev(c, b->ids[i], 0);
		if (d == NULL || d->state != CDEV_GAINING ||
		    d->epoch != b->epochs[i])
			continue;
		d->state = CDEV_HELD;
		c->st.gained++;
		now_held[k++] = d->id;
		cluster_ring_replay(c, d, b->stored[i]);
	}
	if (k > 0) {
		log_info("cluster: acting for %zu more device(s)", k);
		if (c->h->poller != NULL)
			poll_devices_gained(c->h->poller, now_held, k);
	}
	free(now_held);
	cluster_batch_free(b);
	cluster_arm_expiry(c);
}

/*
 * What the previous owner stored. A trap in our ring received more than a
 * second before its last stored trap was received by it too, and handled:
 * replaying it would open again what it may have closed since (a raise and
 * its clear both in the ring). Newer ones are replayed: the raise of an
 * alarm still open folds into it. Without an answer all is replayed.
 */
static void
cluster_stored_cb(struct store *st, PGresult *res, void *arg)
{
	struct cbatch *b = arg;
	int64_t id;
	size_t i;
	int r;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		for (r = 0; r < PQntuples(res); r++) {
			id = atoll(PQgetvalue(res, r, 0));
			for (i = 0; i < b->n; i++)
				if (b->ids[i] == id)
					b->stored[i] = atoll(PQgetvalue(res,
					    r, 1));
		}
	else
		log_warnx("cluster: the last stored traps of %zu gained "
		    "device(s) not read (%s): their rings are replayed whole",
		    b->n, store_errmsg(res));
	cluster_gained_cb(b);
}

/* Devices claimed: read what was stored of them and load their state. */
static void
cluster_gain(struct cluster *c, struct cbatch *b)
{
	const char *params[2];
	char ring[16], *arr;

	b->stored = xcalloc(b->n, sizeof(*b->stored));
	b->waiting = 2;
	arr = cluster_id_array(b);
	snprintf(ring, sizeof(ring), "%d", c->ring_sec);
	params[0] = arr;
	params[1] = ring;
	if (store_query(c->h->decide, cluster_stored_sql, 2, params,
	    cluster_stored_cb, b) != 0)
		b->waiting--;
	free(arr);
	rules_devices_gained(c->h, b->ids, b->n, cluster_gained_cb, b);
}

/* Leases that ran out here before a round could renew them. */
static void
cluster_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;
	int64_t now = cluster_mono();
	int64_t *ids = NULL;
	size_t i, n = 0;

	for (i = 0; i < c->ndevs; i++) {
		struct cdev *d = &c->devs[i];

		if ((d->state != CDEV_HELD && d->state != CDEV_GAINING) ||
		    d->valid_until > now)
			continue;
		d->state = CDEV_NONE;
		c->st.lost++;
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = d->id;
	}
	if (n > 0) {
		log_warnx("cluster: the leases of %zu device(s) ran out before "
		    "they could be renewed (database unreachable?): not acting "
		    "for them", n);
		cluster_drop(c, ids, n);
	}
	free(ids);
	cluster_arm_expiry(c);
}

static void
cluster_arm_expiry(struct cluster *c)
{
	int64_t next = 0;
	size_t i;

	for (i = 0; i < c->ndevs; i++) {
		const struct cdev *d = &c->devs[i];

		if ((d->state == CDEV_HELD || d->state == CDEV_GAINING) &&
		    (next == 0 || d->valid_until < next))
			next = d->valid_until;
	}
	if (next == 0)
		event_del(c->ev_expiry);
	else
		cluster_arm(c->ev_expiry, next - cluster_mono() + 1000);
}

/* Releasing ------------------------------------------------------------- */

static void	cluster_left(struct cluster *);

static void
cluster_release_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct cbatch *b = arg;
	struct cluster *c = b->c;
	struct cdev *d;
	size_t i;

	c->releasing = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("cluster: leases not given back (they run out "
		    "instead): %s", store_errmsg(res));
	else {
		c->st.released += b->n;
		log_info("cluster: %zu device(s) given back", b->n);
	}
	for (i = 0; i < b->n; i++)
		if ((d = cluster_dev(c, b->ids[i], 0)) != NULL &&
		    d->state == CDEV_RELEASING)
			d->state = CDEV_NONE;
	if (b->leave)
		cluster_left(c);
	cluster_batch_free(b);
}

/* Every write decided for them is queued: now the release, after them. */
static void
cluster_release_send_cb(void *arg)
{
	struct cbatch *b = arg;
	struct cluster *c = b->c;
	const char *params[5];
	struct evbuffer *buf;
	struct cdev *d;
	char *arr, *upto;
	size_t i, len;
	int r;

	arr = cluster_id_array(b);
	/* What we handled of each: the next owner replays only newer traps. */
	buf = evbuffer_new();
	evbuffer_add(buf, "{", 1);
	for (i = 0; i < b->n; i++) {
		d = cluster_dev(c, b->ids[i], 0);
		if (d != NULL && d->processed > 0)
			evbuffer_add_printf(buf, "%s%lld", i ? "," : "",
			    (long long)d->processed);
		else
			evbuffer_add_printf(buf, "%sNULL", i ? "," : "");
	}
	evbuffer_add(buf, "}", 2);
	len = evbuffer_get_length(buf);
	upto = xmalloc(len);
	evbuffer_remove(buf, upto, len);
	evbuffer_free(buf);
	params[0] = c->name;
	params[1] = c->token;
	params[2] = arr;
	params[3] = upto;
	params[4] = b->leave ? "true" : "false";  /* leaving: no longer live */
	r = store_query(c->h->decide, cluster_release_sql, 5, params,
	    cluster_release_done_cb, b);
	free(arr);
	free(upto);
	if (r != 0) {
		log_warnx("cluster: database queue full: %zu lease(s) run out "
		    "instead of being given back", b->n);
		c->releasing = 0;
		if (b->leave)
			cluster_left(c);
		cluster_batch_free(b);
	}
}

/* Stop acting for these held devices, then give their leases back. */
static void
cluster_release(struct cluster *c, struct cbatch *b)
{
	struct cdev *d;
	size_t i;

	for (i = 0; i < b->n; i++)
		if ((d = cluster_dev(c, b->ids[i], 0)) != NULL)
			d->state = CDEV_RELEASING;
	c->releasing = 1;
	cluster_drop(c, b->ids, b->n);
	rules_barrier(c->h, cluster_release_send_cb, b);
}

/* Give back the devices beyond our share: the highest ids. */
static void
cluster_shed(struct cluster *c, long long excess)
{
	struct cbatch *b;
	size_t i;

	if (excess <= 0 || c->releasing || c->leaving)
		return;
	b = cluster_batch_new(c, (size_t)excess);
	for (i = c->ndevs; i-- > 0 && (long long)b->n < excess; )
		if (c->devs[i].state == CDEV_HELD)
			cluster_batch_add(b, &c->devs[i]);
	if (b->n == 0) {
		cluster_batch_free(b);
		return;
	}
	log_info("cluster: giving %zu device(s) back (beyond this instance's "
	    "share)", b->n);
	cluster_release(c, b);
}

/* Rounds --------------------------------------------------------------- */

static void	cluster_round(struct cluster *);

static void
cluster_schedule(struct cluster *c, int64_t usec)
{
	struct timeval tv;

	if (evtimer_pending(c->ev_round, &tv)) {
		/* Keep an earlier one. */
		struct timeval now, left;

		event_base_gettimeofday_cached(c->h->base, &now);
		evutil_timersub(&tv, &now, &left);
		if ((int64_t)left.tv_sec * 1000000 + left.tv_usec <= usec)
			return;
	}
	cluster_arm(c->ev_round, usec);
}

static int
cluster_cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
cluster_apply(struct cluster *c, const json_t *doc)
{
	const json_t *leases = json_object_get(doc, "leases"), *l;
	const json_t *next = json_object_get(doc, "next_expiry");
	int64_t valid = c->round_sent + (int64_t)(c->lease * 1e6) - c->margin;
	int64_t interval = (int64_t)(c->lease * 1e6 / 3), soon;
	struct cbatch *gain;
	int64_t *lost = NULL;
	struct cdev *d;
	size_t i, nlost = 0;

	gain = cluster_batch_new(c, json_array_size(leases));
	for (i = 0; i < c->ndevs; i++)
		c->devs[i].seen = 0;
	json_array_foreach(leases, i, l) {
		int64_t id = json_integer_value(json_array_get(l, 0));
		int64_t epoch = json_integer_value(json_array_get(l, 1));

		if (id <= 0)
			continue;
		d = cluster_dev(c, id, 1);
		d->seen = 1;
		if ((d->state == CDEV_HELD || d->state == CDEV_GAINING ||
		    d->state == CDEV_RELEASING) && d->epoch == epoch) {
			d->valid_until = valid;
			continue;
		}
		if (d->state == CDEV_HELD) {
			/* Taken and given back to us meanwhile: start over. */
			lost = xreallocarray(lost, nlost + 1, sizeof(*lost));
			lost[nlost++] = id;
		}
		d->state = CDEV_GAINING;
		d->epoch = epoch;
		d->valid_until = valid;
		cluster_batch_add(gain, d);
	}
	for (i = 0; i < c->ndevs; i++) {
		d = &c->devs[i];
		if (d->seen || (d->state != CDEV_HELD &&
		    d->state != CDEV_GAINING))
			continue;
		if (d->state == CDEV_HELD) {
			lost = xreallocarray(lost, nlost + 1, sizeof(*lost));
			lost[nlost++] = d->id;
		}
		d->state = CDEV_NONE;
		c->st.lost++;
	}
	if (nlost > 0) {
		log_warnx("cluster: %zu device(s) are no longer this instance's "
		    "(lease taken over or run out)", nlost);
		qsort(lost, nlost, sizeof(*lost), cluster_cmp_id);
		cluster_drop(c, lost, nlost);
	}
	free(lost);
	c->st.share = (size_t)json_integer_value(json_object_get(doc,
	    "share"));
	c->st.live = (size_t)json_integer_value(json_object_get(doc, "live"));
	if (gain->n > 0) {
		log_info("cluster: %zu device(s) claimed; loading their open "
		    "state", gain->n);
		cluster_gain(c, gain);
	} else
		cluster_batch_free(gain);
	cluster_shed(c, json_integer_value(json_object_get(doc, "excess")));
	cluster_arm_expiry(c);

	/* Next round: the renewal, or just after another lease runs out. */
	soon = interval;
	if (json_is_number(next)) {
		int64_t t = (int64_t)(json_number_value(next) * 1e6) +
		    CLUSTER_EXPIRY_USEC;

		if (t < soon)
			soon = t;
	}
	cluster_schedule(c, soon);
}

static void
cluster_round_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct cluster *c = arg;
	json_error_t err;
	json_t *doc;

	c->round_busy = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		c->st.round_errors++;
		if (log_ratelimit(&c->rl, 1))
			log_warnx("cluster: lease round failed: %s (has "
			    "\"heraldctl db migrate\" been run?)",
			    store_errmsg(res));
		cluster_schedule(c, (int64_t)(c->lease * 1e6 / 3));
		return;
	}
	c->st.rounds++;
	if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, &err)) == NULL) {
		c->st.round_errors++;
		log_warnx("cluster: lease round: %s", err.text);
		cluster_schedule(c, (int64_t)(c->lease * 1e6 / 3));
		return;
	}
	if (!json_is_integer(json_object_get(doc, "conflict")))
		c->registered = 1;
	else if (log_ratelimit(&c->rl_conflict, 1))
		log_error("cluster: another heraldd (pid %lld) started as "
		    "instance \"%s\" after this one: cluster.name must be "
		    "unique; acting for no device until it stops",
		    json_integer_value(json_object_get(doc, "conflict")),
		    c->name);
	if (!c->leaving)
		cluster_apply(c, doc);
	json_decref(doc);
	if (c->round_again) {
		c->round_again = 0;
		cluster_round(c);
	}
}

static void
cluster_round(struct cluster *c)
{
	char lease[32];
	const char *params[7];

	if (c->leaving)
		return;
	if (c->round_busy) {
		c->round_again = 1;
		return;
	}
	/*
	 * Not while the connection is down: a round queued now would run
	 * after the reconnection and its leases count from now, already run
	 * out by then. The state watch sends one when it is back.
	 */
	if (store_state(c->h->decide) != STORE_UP) {
		cluster_schedule(c, (int64_t)(c->lease * 1e6 / 3));
		return;
	}
	snprintf(lease, sizeof(lease), "%.3f", c->lease);
	params[0] = c->name;
	params[1] = c->token;
	params[2] = c->pid;
	params[3] = PACKAGE_VERSION;
	params[4] = lease;
	params[5] = c->api_url;
	params[6] = c->registered ? "true" : "false";
	c->round_sent = cluster_mono();
	if (store_query(c->h->decide, cluster_lease_sql, 7, params,
	    cluster_round_done_cb, c) == 0)
		c->round_busy = 1;
	else
		cluster_schedule(c, (int64_t)(c->lease * 1e6 / 3));
}

static void
cluster_round_cb(evutil_socket_t fd, short what, void *arg)
{
	cluster_round(arg);
}

static void
cluster_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct cluster *c = arg;

	if (s == STORE_UP)
		cluster_schedule(c, 0);
	else if (s == STORE_DOWN)
		c->round_busy = 0;	/* the store sends it again, or not */
}

static void
cluster_notify_cb(struct store *st, const char *channel, const char *payload,
    void *arg)
{
	struct cluster *c = arg;

	/* Our own NOTIFY comes back too; a round is cheap. */
	cluster_schedule(c, CLUSTER_NOTIFY_USEC + random() % 50000);
}

/* Stats --------------------------------------------------------------- */

static void
cluster_publish(struct cluster *c, int final)
{
	struct stats_counter v[] = {
		{ "rounds", c->st.rounds },
		{ "round_errors", c->st.round_errors },
		{ "held", cluster_held(c) },
		{ "share", c->st.share },
		{ "live", c->st.live },
		{ "gained", c->st.gained },
		{ "lost", c->st.lost },
		{ "released", c->st.released },
		{ "ring_kept", c->st.ring_kept },
		{ "ring_dropped", c->st.ring_dropped },
		{ "ring_replayed", c->st.ring_replayed },
		{ "ring_skipped", c->st.ring_skipped },
		{ "poll_dropped", c->st.poll_dropped },
		{ "fenced", c->st.fenced },
	};

	stats_publish(c->h, "cluster", v, sizeof(v) / sizeof(v[0]), final);
}

static void
cluster_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	cluster_publish(arg, 0);
}

/* Sweep: free the rings of devices that went quiet. */
static void
cluster_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;
	int64_t now = cluster_mono();
	size_t i;

	for (i = 0; i < c->ndevs; i++)
		cluster_ring_trim(c, &c->devs[i].ring, now);
}

/* Leaving ------------------------------------------------------------ */

static void
cluster_left(struct cluster *c)
{
	event_del(c->ev_leave);
	if (c->leaving == 1) {
		c->leaving = 2;
		event_base_loopexit(c->h->base, NULL);
	}
}

static void
cluster_leave_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;

	log_warnx("cluster: leases not given back in time; they run out");
	cluster_left(c);
}

void
cluster_leave(struct herald *h)
{
	struct cluster *c = h->cluster;
	struct cbatch *b;
	size_t i;

	if (c == NULL || !c->enabled || c->leaving) {
		event_base_loopexit(h->base, NULL);
		return;
	}
	c->leaving = 1;
	event_del(c->ev_round);
	b = cluster_batch_new(c, c->ndevs);
	b->leave = 1;
	for (i = 0; i < c->ndevs; i++)
		if (c->devs[i].state == CDEV_HELD ||
		    c->devs[i].state == CDEV_GAINING)
			cluster_batch_add(b, &c->devs[i]);
	if (store_state(h->decide) != STORE_UP) {
		cluster_batch_free(b);
		cluster_left(c);
		return;
	}
	log_info("cluster: giving %zu device(s) back before stopping", b->n);
	cluster_arm(c->ev_leave, CLUSTER_LEAVE_USEC);
	cluster_release(c, b);
}

/* Module ------------------------------------------------------------- */

static cfg_t *
cluster_section(cfg_t *root)
{
	return cfg_getsec(root, "cluster");
}

static void
cluster_check(cfg_t *root)
{
	cfg_t *sec = cluster_section(root);
	const char *n = cfg_getstr(sec, "name");

	if (cfg_getfloat(sec, "lease") < 1 || cfg_getfloat(sec, "lease") > 3600)
		conf_error(sec, "cluster: lease must be 1 to 3600 seconds");
	if (cfg_getint(sec, "ring") < 0 || cfg_getint(sec, "ring") > 3600)
		conf_error(sec, "cluster: ring must be 0 to 3600 seconds");
	if (cfg_getint(sec, "ring_max") < 1 ||
	    cfg_getint(sec, "ring_max") > 1000000)
		conf_error(sec, "cluster: ring_max must be 1 to 1000000");
	if (cfg_getint(sec, "ring_total_max") < 1 ||
	    cfg_getint(sec, "ring_total_max") > 100000000)
		conf_error(sec, "cluster: ring_total_max must be 1 to "
		    "100000000");
	if (cfg_getint(sec, "stats_interval") <= 0)
		conf_error(sec, "cluster: stats_interval must be positive");
	if (n != NULL && strlen(n) >= sizeof(((struct cluster *)0)->name))
		conf_error(sec, "cluster: name is too long");
}

static int
cluster_start(struct herald *h)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	cfg_t *sec = cluster_section(h->conf->cfg);
	struct timeval sweep, stats;
	unsigned char rnd[16];
	FILE *f;
	size_t i;

	c->h = h;
	snprintf(c->name, sizeof(c->name), "%s",
	    cluster_conf_name(h->conf->cfg));
	stats_set_instance(c->name);
	h->cluster = c;
	if (!(c->enabled = cfg_getbool(sec, "enabled")))
		return 0;
	c->lease = cfg_getfloat(sec, "lease");
	c->margin = (int64_t)(c->lease * 1e6 / 10);
	if (c->margin > 1000000)
		c->margin = 1000000;
	c->ring_sec = (int)cfg_getint(sec, "ring");
	c->ring_max = (size_t)cfg_getint(sec, "ring_max");
	c->ring_total_max = (size_t)cfg_getint(sec, "ring_total_max");
	c->api_url = xstrdup(cfg_getstr(sec, "api_url"));
	c->stats_interval = (int)cfg_getint(sec, "stats_interval");
	snprintf(c->pid, sizeof(c->pid), "%ld", (long)getpid());
	/* A token per run: a restarted instance is a new owner. */
	memset(rnd, 0, sizeof(rnd));
	if ((f = fopen("/dev/urandom", "r")) != NULL) {
		if (fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
			log_warnx("cluster: short read from /dev/urandom");
		fclose(f);
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(c->token + 2 * i, 3, "%02x", rnd[i] ^
		    (unsigned char)(random() & 0xff));
	hmap_u64_init(&c->map, 256);
	c->ev_round = evtimer_new(h->base, cluster_round_cb, c);
	c->ev_expiry = evtimer_new(h->base, cluster_expiry_cb, c);
	c->ev_leave = evtimer_new(h->base, cluster_leave_timeout_cb, c);
	c->ev_sweep = event_new(h->base, -1, EV_PERSIST, cluster_sweep_cb, c);
	c->ev_stats = event_new(h->base, -1, EV_PERSIST, cluster_stats_cb, c);
	sweep.tv_sec = c->ring_sec > 0 ? c->ring_sec : 60;
	sweep.tv_usec = 0;
	event_add(c->ev_sweep, &sweep);
	stats.tv_sec = c->stats_interval;
	stats.tv_usec = 0;
	event_add(c->ev_stats, &stats);
	store_listen(h->decide, "cluster", cluster_notify_cb, c);
	store_watch(h->decide, cluster_state_cb, c);
	log_info("cluster: instance %s, lease %.1f s, traps of other "
	    "instances' devices kept %d s", c->name, c->lease, c->ring_sec);
	cluster_round(c);
	return 0;
}

static void
cluster_reload(struct herald *h, struct herald_conf *old)
{
	cfg_t *o = cluster_section(old->cfg), *n = cluster_section(h->conf->cfg);

	if (cfg_getbool(o, "enabled") != cfg_getbool(n, "enabled") ||
	    strcmp(cfg_getstr(o, "name"), cfg_getstr(n, "name")) != 0 ||
	    cfg_getfloat(o, "lease") != cfg_getfloat(n, "lease"))
		log_warnx("cluster: enabled, name and lease take effect at the "
		    "next start");
}

static void
cluster_stop(struct herald *h)
{
	struct cluster *c = h->cluster;
	size_t i;

	if (c == NULL)
		return;
	h->cluster = NULL;
	if (c->enabled) {
		cluster_publish(c, 1);
		event_free(c->ev_round);
		event_free(c->ev_expiry);
		event_free(c->ev_leave);
		event_free(c->ev_sweep);
		event_free(c->ev_stats);
		for (i = 0; i < c->ndevs; i++) {
			while (c->devs[i].ring.n > 0)
				cluster_ring_pop(c, &c->devs[i].ring);
			free(c->devs[i].ring.v);
		}
		free(c->devs);
		hmap_u64_free(&c->map);
		free(c->api_url);
	}
	free(c);
}

const struct herald_module cluster_module = {
	.name = "cluster",
	.opts = cluster_opts,
	.check = cluster_check,
	.start = cluster_start,
	.reload = cluster_reload,
	.stop = cluster_stop,
};
