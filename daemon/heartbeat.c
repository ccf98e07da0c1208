/*
 * heartbeat.c: record this instance in the instances table at start, after
 * every reconnect and then every database.heartbeat seconds. It is the
 * liveness row the scale-out plan's leases build on, and it proves to an
 * operator (and to the tests) that heraldd is really writing again after
 * the database came back.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

struct heartbeat {
	struct herald	*h;
	struct event	*timer;
	int		 inflight;
	char		 name[256];
	char		 pid[16];
	struct log_ratelimit rl;
};

static const char heartbeat_sql[] =
	"INSERT INTO instances (name, pid, version, started_at, last_seen) "
	"VALUES ($1, $2, $3, now(), now()) "
	"ON CONFLICT (name) DO UPDATE SET pid = EXCLUDED.pid, "
	"version = EXCLUDED.version, last_seen = now(), "
	"started_at = CASE WHEN instances.pid = EXCLUDED.pid "
	"THEN instances.started_at ELSE now() END";

static void
heartbeat_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct heartbeat *hb = arg;

	hb->inflight = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (log_ratelimit(&hb->rl, 1))
			log_warnx("heartbeat: %s (has \"heraldctl db migrate\" "
			    "been run?)", store_errmsg(res));
		return;
	}
	log_debug("db", "heartbeat written");
}

static void
heartbeat_send(struct heartbeat *hb)
{
	const char *params[3] = { hb->name, hb->pid, PACKAGE_VERSION };

	if (hb->inflight || store_state(hb->h->store) != STORE_UP)
		return;
	if (store_query(hb->h->store, heartbeat_sql, 3, params,
	    heartbeat_done_cb, hb) == 0)
		hb->inflight = 1;
}

static void
heartbeat_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	heartbeat_send(arg);
}

static void
heartbeat_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct heartbeat *hb = arg;

	if (s != STORE_UP)
		hb->inflight = 0;	/* the queued one is resent anyway */
	else
		heartbeat_send(hb);
}

static void
heartbeat_arm(struct heartbeat *hb)
{
	struct timeval tv = { hb->h->conf->db_heartbeat, 0 };

	event_del(hb->timer);
	event_add(hb->timer, &tv);
}

static int
heartbeat_start(struct herald *h)
{
	struct heartbeat *hb = xcalloc(1, sizeof(*hb));

	hb->h = h;
	snprintf(hb->name, sizeof(hb->name), "%s", stats_instance());
	snprintf(hb->pid, sizeof(hb->pid), "%ld", (long)getpid());
	hb->timer = event_new(h->base, -1, EV_PERSIST, heartbeat_timer_cb, hb);
	heartbeat_arm(hb);
	store_watch(h->store, heartbeat_state_cb, hb);
	h->heartbeat = hb;
	return 0;
}

static void
heartbeat_reload(struct herald *h, struct herald_conf *old)
{
	if (h->conf->db_heartbeat != old->db_heartbeat)
		heartbeat_arm(h->heartbeat);
}

static void
heartbeat_stop(struct herald *h)
{
	struct heartbeat *hb = h->heartbeat;

	if (hb == NULL)
		return;
	event_free(hb->timer);
	free(hb);
	h->heartbeat = NULL;
}

const struct herald_module heartbeat_module = {
	.name = "heartbeat",
	.start = heartbeat_start,
	.reload = heartbeat_reload,
	.stop = heartbeat_stop,
};
