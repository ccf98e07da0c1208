/*
 * poll.c: the poller module. Traps are UDP and get lost, a clear that
 * never arrives leaves an outage open forever, and an OLT that loses power
 * sends nothing at all; the poller closes those holes.
 *
 * Per device, on one libevent loop: a reachability read (sysUpTime,
 * sysObjectID) every poll.interval seconds, device.unreachable after
 * poll.unreachable_after failures in a row and its clear on the first
 * answer; a full read of the ONU state tables (or DSL lines) every
 * poll.onu_interval; and, when a trap names a PON port, a targeted
 * confirmation read of that port alone. All reads of a device share its
 * snmpsess, so its request budget holds however many confirmations a storm
 * asks for: they wait in the session's queue, and reads for the same port
 * merge while they wait.
 *
 * The device list is the trap module's (collectors/devindex.c): the devices
 * table, read again on NOTIFY inventory_changed and after a reconnect, or
 * its cache in state_dir while the database has not answered, so that a
 * heraldd started during a database outage still watches its OLTs.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"
#include "conf.h"
#include "devindex.h"
#include "herald.h"
#include "kind.h"
#include "log.h"
#include "module.h"
#include "poll.h"
#include "profile.h"
#include "snmpcred.h"
#include "snmplib.h"
#include "snmpsess.h"
#include "snmpval.h"
#include "stats.h"
#include "store.h"
#include "trap.h"
#include "xmalloc.h"

static cfg_opt_t poll_budget_opts[] = {
	CFG_INT("max_inflight", 2, CFGF_NONE),
	CFG_FLOAT("max_rate", 10.0, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t poll_opts[] = {
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_INT("interval", 60, CFGF_NONE),
	CFG_INT("onu_interval", 300, CFGF_NONE),
	CFG_INT("unreachable_after", 3, CFGF_NONE),
	CFG_INT("timeout", 2000, CFGF_NONE),
	CFG_INT("retries", 1, CFGF_NONE),
	CFG_INT("max_inflight", 2, CFGF_NONE),
	CFG_FLOAT("max_rate", 10.0, CFGF_NONE),
	CFG_INT("max_repetitions", 20, CFGF_NONE),
	CFG_INT("confirm_delay", 2, CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_BOOL("spread", cfg_true, CFGF_NONE),
	CFG_SEC("budget", poll_budget_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_END()
};

static const oid poll_sysuptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid poll_sysobjectid[] = { 1, 3, 6, 1, 2, 1, 1, 2, 0 };

static void	poll_device_free(struct pdev *);
static void	poll_device_start(struct pdev *);

/* Profiles are the trap module's: one set, loaded and reloaded there. */
static const struct profile_set *
poll_profiles(struct poller *p)
{
	return trap_profiles(p->h);
}

static const struct snmpcred *
poll_cred(struct poller *p, const char *name)
{
	return p->creds ? snmpcred_find(p->creds, name) : NULL;
}

static const char *
poll_default_community(struct poller *p)
{
	if (p->creds != NULL && p->creds->ncommunities > 0)
		return p->creds->communities[0];
	return "public";
}

static cfg_t *
poll_cfg(struct poller *p)
{
	return cfg_getsec(p->h->conf->cfg, "poll");
}

static void
poll_validators(cfg_t *root)
{
	static const char *const positive[] = {
		"poll|interval", "poll|onu_interval", "poll|unreachable_after",
		"poll|timeout", "poll|max_inflight", "poll|max_repetitions",
		"poll|stats_interval", "poll|budget|max_inflight", NULL
	};
	size_t i;

	for (i = 0; positive[i] != NULL; i++)
		cfg_set_validate_func(root, positive[i], conf_check_positive);
}

static void
poll_check(cfg_t *root)
{
	cfg_t *c = cfg_getsec(root, "poll"), *b;
	unsigned i;

	if (cfg_getfloat(c, "max_rate") <= 0)
		conf_error(c, "poll: max_rate must be above 0");
	if (cfg_getint(c, "retries") < 0 || cfg_getint(c, "confirm_delay") < 0)
		conf_error(c, "poll: retries and confirm_delay must not be "
		    "negative");
	for (i = 0; i < cfg_size(c, "budget"); i++) {
		b = cfg_getnsec(c, "budget", i);
		if (cfg_getfloat(b, "max_rate") <= 0)
			conf_error(c, "poll: budget \"%s\": max_rate must be "
			    "above 0", cfg_title(b));
	}
}

/* The budget for a device: a section named after it, or its vendor. */
static void
poll_budget(struct poller *p, const struct pdev *d, int *inflight,
    double *rate)
{
	cfg_t *c = poll_cfg(p), *b;

	*inflight = (int)cfg_getint(c, "max_inflight");
	*rate = cfg_getfloat(c, "max_rate");
	if ((b = cfg_gettsec(c, "budget", d->name)) == NULL)
		b = cfg_gettsec(c, "budget", d->vendor);
	if (b != NULL) {
		*inflight = (int)cfg_getint(b, "max_inflight");
		*rate = cfg_getfloat(b, "max_rate");
	}
}

static struct pdev *
poll_find(struct poller *p, long long id)
{
	size_t lo = 0, hi = p->ndevs, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (p->devs[mid]->id == id)
			return p->devs[mid];
		if (p->devs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
poll_arm(struct event *ev, int seconds, int spread)
{
	struct timeval tv;
	long ms = (long)seconds * 1000;

	if (spread && ms > 0)
		ms = random() % ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(ev, &tv);
}

/* Reachability: the only signal from an OLT that lost its power. */
static void
poll_reach_cb(struct snmpsess *s, enum snmpsess_status status,
    netsnmp_variable_list *vars, void *arg)
{
	struct pdev *d = arg;
	struct poller *p = d->poller;
	struct herald_location loc;

	d->reach_busy = 0;
	p->st.reach_checks++;
	events_location_clear(&loc);
	if (status == SNMPSESS_OK) {
		if (d->unreachable) {
			d->unreachable = 0;
			log_info("poll: %s answers again", d->name);
			poll_correct(d, kind_name(KIND_DEVICE_UNREACHABLE),
			    EVENT_CLEAR, &loc, "poll: answers");
		}
		d->failures = 0;
		return;
	}
	if (status == SNMPSESS_CANCELLED)
		return;
	p->st.reach_failures++;
	if (++d->failures >= p->unreachable_after && !d->unreachable) {
		d->unreachable = 1;
		log_warnx("poll: %s is unreachable (%d reads failed: %s)",
		    d->name, d->failures, snmpsess_status_str(status));
		poll_correct(d, kind_name(KIND_DEVICE_UNREACHABLE),
		    EVENT_RAISE, &loc, snmpsess_status_str(status));
	}
}

static void
poll_reach_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pdev *d = arg;
	oid *o[2] = { (oid *)poll_sysuptime, (oid *)poll_sysobjectid };
	size_t lens[2] = { 9, 9 };

	poll_arm(d->ev_reach, d->poller->interval, 0);
	if (d->reach_busy || d->sess == NULL ||
	    !cluster_owns(d->poller->h, d->id))
		return;
	if (snmpsess_get(d->sess, o, lens, 2, poll_reach_cb, d) == 0)
		d->reach_busy = 1;
}

static void
poll_cycle_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pdev *d = arg;

	poll_arm(d->ev_cycle, d->poller->onu_interval, 0);
	/* A dead device would only time out: its answer will come first. */
	if (d->cycle != NULL || d->sess == NULL || d->unreachable ||
	    !cluster_owns(d->poller->h, d->id))
		return;
	log_debug("poll", "%s: cycle started", d->name);
	poll_onu_read(d, NULL, 0);
}

static void
poll_confirm_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pdev *d = arg;
	long long *ports = d->confirm_ports;
	size_t n = d->nconfirm;

	if (d->confirm != NULL || n == 0 || d->sess == NULL)
		return;
	if (!cluster_owns(d->poller->h, d->id)) {
		free(d->confirm_ports);
		d->confirm_ports = NULL;
		d->nconfirm = 0;
		return;
	}
	d->confirm_ports = NULL;
	d->nconfirm = 0;
	poll_onu_read(d, ports, n);
	free(ports);
}

/* A device's full read succeeded; the first of each counts to the round. */
void
poll_cycle_done(struct pdev *d, size_t rows)
{
	struct poller *p = d->poller;
	struct timeval now;

	if (d->first_done++ || p->round_left == 0)
		return;
	p->round_rows += rows;
	if (--p->round_left > 0)
		return;
	gettimeofday(&now, NULL);
	log_info("poll: first full read of %zu devices done in %.2f s "
	    "(%lu rows)", p->ndevs, (double)(now.tv_sec - p->round_start.tv_sec) +
	    (double)(now.tv_usec - p->round_start.tv_usec) / 1e6, p->round_rows);
}

/* A read ended: start the confirmations that queued up meanwhile. */
void
poll_device_done(struct pdev *d)
{
	if (!d->dying && d->confirm == NULL && d->nconfirm > 0 &&
	    !evtimer_pending(d->ev_confirm, NULL))
		poll_arm(d->ev_confirm, 0, 0);
}

/* A trap named a PON port: read that port, once, after the burst. */
static void
poll_confirm(struct pdev *d, long long ifindex)
{
	size_t i;

	for (i = 0; i < d->nconfirm; i++)
		if (d->confirm_ports[i] == ifindex) {
			d->poller->st.confirms_merged++;
			return;
		}
	d->confirm_ports = xreallocarray(d->confirm_ports, d->nconfirm + 1,
	    sizeof(*d->confirm_ports));
	d->confirm_ports[d->nconfirm++] = ifindex;
	if (d->confirm == NULL && !evtimer_pending(d->ev_confirm, NULL))
		poll_arm(d->ev_confirm, d->poller->confirm_delay, 0);
}

static int
poll_is_port_kind(const char *kind)
{
	enum alarm_kind k;

	return kind_parse(kind, &k) == 0 &&
	    (k == KIND_PON_LOS || kind_is_onu(k));
}

/* Queue a targeted read of the PON port at loc; -1 if it cannot be made. */
static int
poll_confirm_port(struct pdev *d, const struct herald_location *loc)
{
	const struct profile_poll *pp;
	long long ifindex;

	if (d->profile == NULL)
		return -1;
	pp = profile_get_poll(d->profile);
	if (pp == NULL || pp->onu_state.len == 0 || pp->decoder == NULL)
		return -1;
	if (strcmp(pp->onu_index ? pp->onu_index : "ifindex.onu",
	    "ifindex.onu") != 0 ||
	    poll_encode_ifindex(pp->decoder, loc, &ifindex) != 0)
		return -1;
	poll_confirm(d, ifindex);
	return 0;
}

static void
poll_event_cb(const struct herald_event *ev, void *arg)
{
	struct poller *p = arg;
	struct pdev *d;

	if (ev->device_id == 0 || (d = poll_find(p, ev->device_id)) == NULL)
		return;
	if (ev->source != EVENT_SOURCE_TRAP || ev->kind == NULL ||
	    !poll_is_port_kind(ev->kind))
		return;
	poll_confirm_port(d, &ev->loc);
}

int
poll_read_port(struct poller *p, long long device_id,
    const struct herald_location *loc)
{
	struct pdev *d;

	if (p == NULL || (d = poll_find(p, device_id)) == NULL)
		return -1;
	return poll_confirm_port(d, loc);
}

/*
 * Cluster: a device this instance now acts for is read at once, its
 * reachability and a full read, which reconciles whatever happened while
 * another instance held it; its reachability is known again from what the
 * rules engine holds (loaded with the device). The rest is as usual.
 */
void
poll_devices_gained(struct poller *p, const int64_t *ids, size_t n)
{
	struct herald_location loc;
	struct pdev *d;
	size_t i;

	events_location_clear(&loc);
	for (i = 0; i < n; i++) {
		if ((d = poll_find(p, ids[i])) == NULL || d->sess == NULL)
			continue;
		d->failures = 0;
		d->unreachable = poll_held_has(d,
		    kind_name(KIND_DEVICE_UNREACHABLE), &loc);
		poll_arm(d->ev_reach, 0, 0);
		if (d->profile != NULL || strcmp(d->kind, "dslam") == 0)
			poll_arm(d->ev_cycle, 0, 0);
	}
}

/* A device another instance acts for now: its pending port reads go. */
void
poll_devices_lost(struct poller *p, const int64_t *ids, size_t n)
{
	struct pdev *d;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((d = poll_find(p, ids[i])) == NULL)
			continue;
		free(d->confirm_ports);
		d->confirm_ports = NULL;
		d->nconfirm = 0;
		d->failures = 0;
	}
}

static void
poll_device_strings_free(struct pdev *d)
{
	free(d->name);
	free(d->kind);
	free(d->vendor);
	free(d->model);
	free(d->addr);
	free(d->cred);
	free(d->sys_object_id);
}

/* The net-snmp peer of a device: "udp:A:PORT" or "udp6:[A]:PORT". */
static char *
poll_peer(const struct device *dv)
{
	char *peer;

	if (strchr(dv->addr, ':') != NULL)
		xasprintf(&peer, "udp6:[%s]:%d", dv->addr, dv->snmp_port);
	else
		xasprintf(&peer, "udp:%s:%d", dv->addr, dv->snmp_port);
	return peer;
}

static void
poll_device_set(struct pdev *d, const struct device *dv)
{
	poll_device_strings_free(d);
	d->name = xstrdup(dv->name);
	d->kind = xstrdup(dv->kind);
	d->vendor = xstrdup(dv->vendor);
	d->model = xstrdup(dv->model);
	d->addr = poll_peer(dv);
	d->cred = xstrdup(dv->snmp_profile);
	d->sys_object_id = xstrdup(dv->sys_object_id);
}

/* The parameters a device is polled with; 0 when they changed. */
static int
poll_device_same(struct pdev *d, const struct device *dv)
{
	char *addr = poll_peer(dv);
	int same;

	same = strcmp(addr, d->addr) == 0 &&
	    strcmp(d->cred, dv->snmp_profile) == 0 &&
	    strcmp(d->vendor, dv->vendor) == 0 &&
	    strcmp(d->model, dv->model) == 0 &&
	    strcmp(d->sys_object_id, dv->sys_object_id) == 0;
	free(addr);
	return same;
}

static int
poll_dev_cmp(const void *a, const void *b)
{
	const struct pdev *x = *(struct pdev *const *)a;
	const struct pdev *y = *(struct pdev *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The device list changed (or was read again): follow it. */
static void
poll_devices_changed(const struct devindex *di, void *arg)
{
	struct poller *p = arg;
	const struct device *dv;
	struct pdev *d, **keep;
	size_t i, n = 0, added = 0, removed = 0, total = devindex_count(di);

	for (i = 0; i < p->ndevs; i++)
		p->devs[i]->seen = 0;
	keep = xcalloc(total + 1, sizeof(*keep));
	for (i = 0; (dv = devindex_get(di, i)) != NULL; i++) {
		if ((d = poll_find(p, dv->id)) != NULL &&
		    poll_device_same(d, dv)) {
			d->seen = 1;
			keep[n++] = d;
			continue;
		}
		if (d != NULL)
			d->seen = 0;	/* changed: replaced by a new one */
		d = xcalloc(1, sizeof(*d));
		d->poller = p;
		d->id = dv->id;
		poll_device_set(d, dv);
		d->seen = 2;
		keep[n++] = d;
		added++;
	}
	for (i = 0; i < p->ndevs; i++)
		if (!p->devs[i]->seen) {
			poll_device_free(p->devs[i]);
			removed++;
		}
	free(p->devs);
	p->devs = keep;
	p->ndevs = n;
	qsort(p->devs, p->ndevs, sizeof(*p->devs), poll_dev_cmp);
	if (p->round_left == 0)
		gettimeofday(&p->round_start, NULL);
	for (i = 0; i < p->ndevs; i++)
		if (p->devs[i]->seen == 2)
			poll_device_start(p->devs[i]);
	log_info("poll: %zu devices (%zu new or changed, %zu removed)",
	    p->ndevs, added, removed);
}

static void
poll_publish(struct poller *p, int final)
{
	struct snmpsess_stats ss;
	struct stats_counter c[14];
	unsigned long long requests = 0, waits = 0;
	size_t i, n = 0;

	for (i = 0; i < p->ndevs; i++)
		if (p->devs[i]->sess != NULL) {
			snmpsess_stats(p->devs[i]->sess, &ss);
			requests += ss.requests;
			waits += ss.queued_waits;
		}
	c[n].name = "devices", c[n++].value = p->ndevs;
	c[n].name = "requests", c[n++].value = requests;
	c[n].name = "budget_waits", c[n++].value = waits;
	c[n].name = "reach_checks", c[n++].value = p->st.reach_checks;
	c[n].name = "reach_failures", c[n++].value = p->st.reach_failures;
	c[n].name = "cycles", c[n++].value = p->st.cycles;
	c[n].name = "confirms", c[n++].value = p->st.confirms;
	c[n].name = "confirms_merged", c[n++].value = p->st.confirms_merged;
	c[n].name = "rows", c[n++].value = p->st.rows;
	c[n].name = "bad_rows", c[n++].value = p->st.bad_rows;
	c[n].name = "walk_failures", c[n++].value = p->st.walk_failures;
	c[n].name = "raised", c[n++].value = p->st.raised;
	c[n].name = "cleared", c[n++].value = p->st.cleared;
	stats_publish(p->h, "poll", c, n, final);
}

static void
poll_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	poll_publish(arg, 0);
}

/* The profile with a poll section that fits the device, if any. */
static const struct profile *
poll_pick_profile(struct poller *p, const struct pdev *d)
{
	const struct profile *cands[16];
	struct profile_device pd;
	const struct profile_set *set = poll_profiles(p);
	size_t n, i;

	if (set == NULL)
		return NULL;
	pd.kind = d->kind;
	pd.vendor = d->vendor;
	pd.model = d->model;
	pd.sys_object_id = *d->sys_object_id ? d->sys_object_id : NULL;
	n = profile_candidates(set, &pd, cands, 16);
	for (i = 0; i < n; i++)
		if (profile_get_poll(cands[i]) != NULL &&
		    (profile_get_poll(cands[i])->onu_state.len > 0 ||
		    profile_get_poll(cands[i])->pon_oper_status.len > 0))
			return cands[i];
	return NULL;
}

static void
poll_session_params(struct poller *p, const struct pdev *d,
    const struct snmpcred *c, struct snmpsess_params *sp)
{
	cfg_t *cfg = poll_cfg(p);

	memset(sp, 0, sizeof(*sp));
	sp->peer = d->addr;
	sp->timeout_ms = (int)cfg_getint(cfg, "timeout");
	sp->retries = (int)cfg_getint(cfg, "retries");
	sp->max_repetitions = (int)cfg_getint(cfg, "max_repetitions");
	poll_budget(p, d, &sp->max_inflight, &sp->max_rate);
	if (c == NULL) {
		sp->version = SNMP_VERSION_2c;
		sp->community = poll_default_community(p);
		return;
	}
	sp->version = c->version;
	sp->community = c->community ? c->community :
	    poll_default_community(p);
	sp->user = c->user;
	sp->auth_proto = c->auth_protocol;
	sp->auth_pass = c->auth_password;
	sp->priv_proto = c->priv_protocol;
	sp->priv_pass = c->priv_password;
}

static void
poll_device_start(struct pdev *d)
{
	struct poller *p = d->poller;
	struct snmpsess_params sp;
	const struct snmpcred *c = poll_cred(p, d->cred);

	d->seen = 1;
	if (c == NULL && strcmp(d->cred, "default") != 0)
		log_warnx("poll: %s: no credentials \"%s\" in snmp { }; "
		    "polling with the default community", d->name, d->cred);
	d->profile = poll_pick_profile(p, d);
	poll_session_params(p, d, c, &sp);
	if ((d->sess = snmpsess_new(p->h->base, &sp, d->name)) == NULL)
		log_warnx("poll: %s: not polled", d->name);
	d->ev_reach = evtimer_new(p->h->base, poll_reach_timer_cb, d);
	d->ev_cycle = evtimer_new(p->h->base, poll_cycle_timer_cb, d);
	d->ev_confirm = evtimer_new(p->h->base, poll_confirm_timer_cb, d);
	if (d->sess == NULL)
		return;
	poll_arm(d->ev_reach, p->spread ? p->interval : 0, p->spread);
	if (d->profile != NULL || strcmp(d->kind, "dslam") == 0) {
		/* Spread first reads so a thousand devices do not start at once. */
		poll_arm(d->ev_cycle, p->spread ? p->onu_interval : 0, p->spread);
		if (!d->first_done && !d->in_round) {
			d->in_round = 1;
			p->round_left++;
		}
	}
	log_debug("poll", "%s: %s, profile %s, budget %d in flight, %.1f/s",
	    d->name, d->addr, d->profile ? profile_name(d->profile) : "none",
	    sp.max_inflight, sp.max_rate);
}

/* The single teardown of a device: events, session, reads, state. */
static void
poll_device_free(struct pdev *d)
{
	d->dying = 1;
	if (d->in_round && !d->first_done && d->poller->round_left > 0)
		d->poller->round_left--;
	if (d->ev_reach != NULL)
		event_free(d->ev_reach);
	if (d->ev_cycle != NULL)
		event_free(d->ev_cycle);
	if (d->ev_confirm != NULL)
		event_free(d->ev_confirm);
	d->ev_reach = d->ev_cycle = d->ev_confirm = NULL;
	/* Cancels the reads: their callbacks see a dying device. */
	snmpsess_free(d->sess);
	d->sess = NULL;
	free(d->confirm_ports);
	poll_device_strings_free(d);
	free(d);
}

static void
poll_apply_conf(struct poller *p)
{
	cfg_t *c = poll_cfg(p);
	struct timeval tv;

	p->interval = (int)cfg_getint(c, "interval");
	p->onu_interval = (int)cfg_getint(c, "onu_interval");
	p->unreachable_after = (int)cfg_getint(c, "unreachable_after");
	p->confirm_delay = (int)cfg_getint(c, "confirm_delay");
	p->spread = cfg_getbool(c, "spread");
	snmpcred_free(p->creds);
	p->creds = snmpcred_load(cfg_getsec(p->h->conf->cfg, "snmp"));
	tv.tv_sec = cfg_getint(c, "stats_interval");
	tv.tv_usec = 0;
	event_del(p->ev_stats);
	event_add(p->ev_stats, &tv);
}

static int
poll_start(struct herald *h)
{
	struct poller *p;

	if (!cfg_getbool(cfg_getsec(h->conf->cfg, "poll"), "enabled"))
		return 0;
	snmplib_init();
	p = xcalloc(1, sizeof(*p));
	p->h = h;
	p->ev_stats = event_new(h->base, -1, EV_PERSIST, poll_stats_cb, p);
	poll_apply_conf(p);
	h->poller = p;
	events_subscribe(h, poll_event_cb, p);
	/* The trap module owns the device list (database, NOTIFY, cache). */
	trap_watch_devices(h, poll_devices_changed, p);
	return 0;
}

/*
 * A reload keeps every device and its held alarms; devices whose
 * credentials, budget or profile may have changed get a new session.
 */
static void
poll_reload(struct herald *h, struct herald_conf *old)
{
	struct poller *p = h->poller;
	size_t i;

	if (p == NULL)
		return;
	poll_apply_conf(p);
	for (i = 0; i < p->ndevs; i++) {
		struct pdev *d = p->devs[i];

		d->dying = 1;
		snmpsess_free(d->sess);
		d->sess = NULL;
		d->dying = 0;
		event_free(d->ev_reach);
		event_free(d->ev_cycle);
		event_free(d->ev_confirm);
		d->reach_busy = 0;
		poll_device_start(d);
	}
}

static void
poll_stop(struct herald *h)
{
	struct poller *p = h->poller;
	size_t i;

	if (p == NULL)
		return;
	poll_publish(p, 1);
	for (i = 0; i < p->ndevs; i++)
		poll_device_free(p->devs[i]);
	free(p->devs);
	event_free(p->ev_stats);
	snmpcred_free(p->creds);
	free(p);
	h->poller = NULL;
}

const struct herald_module poll_module = {
	.name = "poll",
	.opts = poll_opts,
	.validators = poll_validators,
	.check = poll_check,
	.start = poll_start,
	.reload = poll_reload,
	.stop = poll_stop,
};
