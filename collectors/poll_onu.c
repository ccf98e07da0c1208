/*
 * poll_onu.c: read what the device says about its ONUs, PON ports and DSL
 * lines, and make herald agree with it.
 *
 * The device wins. An ONU the OLT reports offline, with a last-down cause
 * the profile maps to LOS or dying gasp, raises the alarm the lost trap
 * should have raised; an alarm herald holds as raised while the device
 * reports the ONU, port or line up is cleared (the clear trap that never
 * came). Only what the device states explicitly counts: rows missing from
 * a truncated table or a failed walk change nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "herald.h"
#include "kind.h"
#include "log.h"
#include "engine.h"
#include "poll.h"
#include "profile.h"
#include "rules.h"
#include "snmpsess.h"
#include "snmpval.h"
#include "xmalloc.h"

/* IF-MIB columns, for PON ports and DSL lines. */
static const oid poll_if_type[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1, 3 };
static const oid poll_if_admin[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1, 7 };
static const oid poll_if_oper[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1, 8 };
#define POLL_IF_LEN	10

enum poll_col {
	COL_ONU_STATE,
	COL_ONU_CAUSE,
	COL_ONU_ADMIN,
	COL_IF_OPER,
	COL_IF_ADMIN,
	COL_IF_TYPE,
	COL_N
};

/* ONU columns have ONU rows; the others have interface rows. */
static int
poll_col_onu(enum poll_col col)
{
	return col == COL_ONU_STATE || col == COL_ONU_CAUSE ||
	    col == COL_ONU_ADMIN;
}

struct poll_row {
	long long	 ifindex;
	long long	 onu;		/* -1 for interface rows */
	enum poll_col	 col;
	long		 value;
};

struct poll_read {
	struct pdev	*d;
	struct timeval	 started;
	int		 full;
	long long	*ports;
	size_t		 nports;
	int		 pending;	/* walks and gets outstanding */
	int		 failed;
	struct poll_row	*rows;
	size_t		 nrows;
	size_t		 cap;
};

struct poll_walk {
	struct poll_read *r;
	enum poll_col	 col;
	oid		 base[MAX_OID_LEN];	/* column OID */
	size_t		 baselen;
};

/* The kinds that say an ONU stopped working (rules/kind.h). */
static const enum alarm_kind poll_onu_kinds[] = {
	KIND_ONU_LOS, KIND_ONU_DYING_GASP, KIND_ONU_OFFLINE
};
#define POLL_ONU_NKINDS \
	(sizeof(poll_onu_kinds) / sizeof(poll_onu_kinds[0]))

/*
 * What herald holds: the rules engine's alarm state, the only one. A read
 * that started before an alarm last changed (or was raised again) saw the
 * device as it was: it must not undo a trap that came in meanwhile.
 */
int
poll_held_has(struct pdev *d, const char *kind,
    const struct herald_location *loc)
{
	const struct alarm *a = rules_alarm(d->poller->h, d->id, kind, loc);

	return a != NULL && a->raised;
}

/* Did this alarm change at or after the moment a read started? */
static int
poll_held_recent(struct pdev *d, const char *kind,
    const struct herald_location *loc, const struct timeval *since)
{
	const struct alarm *a = rules_alarm(d->poller->h, d->id, kind, loc);
	rtime_t t = (rtime_t)since->tv_sec * RTIME_SEC + since->tv_usec;

	return a != NULL && (a->changed_at >= t || a->last_raised_at >= t);
}

/* " at 0/1/3:12", " at line 1003", or nothing for the whole device. */
static const char *
poll_where(const struct herald_location *loc, char *buf, size_t len)
{
	if (loc->line != EVENT_LOC_UNSET)
		snprintf(buf, len, " at line %lld", loc->line);
	else if (loc->slot == EVENT_LOC_UNSET)
		buf[0] = '\0';
	else if (loc->onu != EVENT_LOC_UNSET)
		snprintf(buf, len, " at %lld/%lld/%lld:%lld", loc->frame,
		    loc->slot, loc->port, loc->onu);
	else
		snprintf(buf, len, " at %lld/%lld/%lld", loc->frame, loc->slot,
		    loc->port);
	return buf;
}

void
poll_correct(struct pdev *d, const char *kind, enum event_action action,
    const struct herald_location *loc, const char *cause)
{
	struct herald_event ev;
	char where[64];

	events_init(&ev);
	gettimeofday(&ev.time, NULL);
	ev.device_id = d->id;
	ev.kind = kind;
	ev.action = action;
	ev.loc = *loc;
	ev.cause = cause;
	ev.source = EVENT_SOURCE_POLL;
	ev.peer = d->addr;
	ev.pdu = "poll";
	ev.profile = d->profile ? profile_name(d->profile) : NULL;
	ev.rule = "reconcile";
	if (action == EVENT_RAISE)
		d->poller->st.raised++;
	else
		d->poller->st.cleared++;
	log_info("poll: %s: device says %s %s%s%s%s%s", d->name, kind,
	    action == EVENT_RAISE ? "raised" : "cleared",
	    poll_where(loc, where, sizeof(where)), cause ? " (" : "",
	    cause ? cause : "", cause ? ")" : "");
	events_submit(d->poller->h, &ev);
}

static void
poll_read_add(struct poll_read *r, long long ifindex, long long onu,
    enum poll_col col, long value)
{
	if (r->nrows == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->rows = xreallocarray(r->rows, r->cap, sizeof(*r->rows));
	}
	r->rows[r->nrows].ifindex = ifindex;
	r->rows[r->nrows].onu = onu;
	r->rows[r->nrows].col = col;
	r->rows[r->nrows].value = value;
	r->nrows++;
}

static int
poll_row_cmp(const void *a, const void *b)
{
	const struct poll_row *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->onu != y->onu)
		return x->onu < y->onu ? -1 : 1;
	return (int)x->col - (int)y->col;
}

/* ONU rows are <ponIfIndex>.<onuId>, or one ONU index the decoder reads. */
static size_t
poll_index_len(const struct pdev *d, enum poll_col col)
{
	const struct profile_poll *pp;

	if (!poll_col_onu(col))
		return 1;
	pp = profile_get_poll(d->profile);
	return pp->onu_index != NULL && strcmp(pp->onu_index, "onuindex") == 0 ?
	    1 : 2;
}

/* The index part of a row's OID after its column: ifIndex[.onu]. */
static int
poll_walk_row_cb(struct snmpsess *s, netsnmp_variable_list *v, void *arg)
{
	struct poll_walk *w = arg;
	struct poll_read *r = w->r;
	size_t n = v->name_length - w->baselen;
	const oid *idx = v->name + w->baselen;
	long value;

	r->d->poller->st.rows++;
	if (snmpval_int(v, &value) != 0 || n != poll_index_len(r->d, w->col)) {
		r->d->poller->st.bad_rows++;
		return 0;
	}
	/* A one-part ONU index ("onuindex") keeps its ONU inside: onu 0. */
	if (poll_col_onu(w->col))
		poll_read_add(r, (long long)idx[0], n == 2 ? (long long)idx[1] :
		    0, w->col, value);
	else
		poll_read_add(r, (long long)idx[0], -1, w->col, value);
	return 0;
}

static void	poll_read_finish(struct poll_read *);

static void
poll_walk_done_cb(struct snmpsess *s, enum snmpsess_status status,
    unsigned long rows, void *arg)
{
	struct poll_walk *w = arg;
	struct poll_read *r = w->r;

	if (status == SNMPSESS_CANCELLED)
		r->failed++;
	else if (status != SNMPSESS_OK) {
		r->failed++;
		r->d->poller->st.walk_failures++;
		log_warnx("poll: %s: read failed: %s", r->d->name,
		    snmpsess_status_str(status));
	}
	free(w);
	if (--r->pending == 0)
		poll_read_finish(r);
}

static void
poll_read_walk(struct poll_read *r, enum poll_col col, const oid *base,
    size_t baselen, long long sub)
{
	struct poll_walk *w = xcalloc(1, sizeof(*w));
	oid root[MAX_OID_LEN];
	size_t rootlen = baselen;

	w->r = r;
	w->col = col;
	memcpy(w->base, base, baselen * sizeof(oid));
	w->baselen = baselen;
	memcpy(root, base, baselen * sizeof(oid));
	if (sub >= 0)
		root[rootlen++] = (oid)sub;
	r->pending++;
	if (snmpsess_walk(r->d->sess, root, rootlen, poll_walk_row_cb,
	    poll_walk_done_cb, w) != 0) {
		r->pending--;
		r->failed++;
		free(w);
	}
}

static int
poll_put(unsigned long long *x, const struct profile_bits *b, long long v,
    long long offset)
{
	unsigned long long mask;

	if (b->hi < 0)
		return 0;
	if (v == EVENT_LOC_UNSET)
		return -1;
	mask = b->hi - b->lo >= 63 ? ~0ULL : (1ULL << (b->hi - b->lo + 1)) - 1;
	if (v - offset < 0 || (unsigned long long)(v - offset) > mask)
		return -1;
	*x |= (unsigned long long)(v - offset) << b->lo;
	return 0;
}

/* profile_decode_ifindex() backwards, for the port a trap named. */
int
poll_encode_ifindex(const struct profile_decoder *d,
    const struct herald_location *loc, long long *out)
{
	unsigned long long x = d->match_value;
	struct herald_location back;

	if (loc->if_index != EVENT_LOC_UNSET && loc->onu == EVENT_LOC_UNSET) {
		/* A port alarm that carried its own ifIndex. */
		events_location_clear(&back);
		if (profile_decode_ifindex(d, (unsigned long long)loc->if_index,
		    &back) == 0) {
			*out = loc->if_index;
			return 0;
		}
	}
	if (poll_put(&x, &d->frame, loc->frame, d->frame_offset) != 0 ||
	    poll_put(&x, &d->slot, loc->slot, d->slot_offset) != 0 ||
	    poll_put(&x, &d->port, loc->port, d->port_offset) != 0)
		return -1;
	/* Only port-level decoders: the ONU is the next index, not a field. */
	if (d->onu.hi >= 0)
		return -1;
	*out = (long long)x;
	return 0;
}

/* Whether the profile reads the down cause from the state column itself. */
static int
poll_cause_is_state(const struct pdev *d)
{
	const struct profile_poll *pp = profile_get_poll(d->profile);

	return pp->onu_down_cause.len > 0 &&
	    snmp_oid_compare(pp->onu_down_cause.o, pp->onu_down_cause.len,
	    pp->onu_state.o, pp->onu_state.len) == 0;
}

static int
poll_in(long value, const long long *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == value)
			return 1;
	return 0;
}

static int
poll_location(struct pdev *d, long long ifindex, long long onu,
    struct herald_location *loc)
{
	const struct profile_poll *pp;
	const char *field;
	long long value;

	events_location_clear(loc);
	pp = d->profile ? profile_get_poll(d->profile) : NULL;
	if (pp == NULL || pp->decoder == NULL ||
	    profile_decode_ifindex(pp->decoder, (unsigned long long)ifindex,
	    loc) != 0)
		return -1;
	loc->if_index = ifindex;
	if (onu >= 0 && loc->onu == EVENT_LOC_UNSET)
		loc->onu = onu;
	/* An ONU id from a row index that no port can hold (2147483648). */
	if (profile_location_check(loc, &field, &value) != 0) {
		d->poller->st.bad_rows++;
		log_debug("poll", "%s: row %lld.%lld: %s %lld is out of range",
		    d->name, ifindex, onu, field, value);
		return -1;
	}
	return 0;
}

/* One ONU's state and cause, as read; reconcile it. */
static void
poll_onu_reconcile(struct pdev *d, long long ifindex, long long onu,
    const long *state, const long *cause, const long *admin,
    const struct timeval *since)
{
	const struct profile_poll *pp = profile_get_poll(d->profile);
	const struct profile_map_entry *e = NULL;
	struct herald_location loc;
	const char *kind, *why, *quiet;
	char code[64];
	size_t i;

	if (state == NULL || poll_location(d, ifindex, onu, &loc) != 0)
		return;
	for (i = 0; i < POLL_ONU_NKINDS; i++)
		if (poll_held_recent(d, kind_name(poll_onu_kinds[i]), &loc,
		    since))
			return;		/* news since the read began */
	if (poll_in(*state, pp->up_values, pp->n_up)) {
		for (i = 0; i < POLL_ONU_NKINDS; i++)
			if (poll_held_has(d, kind_name(poll_onu_kinds[i]), &loc))
				poll_correct(d, kind_name(poll_onu_kinds[i]),
				    EVENT_CLEAR,
				    &loc, "poll: online");
		return;
	}
	if (pp->n_down > 0 && !poll_in(*state, pp->down_values, pp->n_down))
		return;		/* neither up nor down: not ours to judge */
	if (cause != NULL && pp->down_cause_map != NULL)
		e = profile_map_lookup(pp->down_cause_map, *cause);
	/* Deactivated or reset on purpose: no outage, and none held. */
	quiet = NULL;
	if (e != NULL && e->no_alarm)
		quiet = e->cause ? e->cause : "not an outage";
	else if (admin != NULL &&
	    poll_in(*admin, pp->admin_down_values, pp->n_admin_down))
		quiet = "disabled by the operator";
	if (quiet != NULL) {
		snprintf(code, sizeof(code), "poll: %s", quiet);
		for (i = 0; i < POLL_ONU_NKINDS; i++)
			if (poll_held_has(d, kind_name(poll_onu_kinds[i]), &loc))
				poll_correct(d, kind_name(poll_onu_kinds[i]),
				    EVENT_CLEAR,
				    &loc, code);
		return;
	}
	kind = e && e->kind ? e->kind : kind_name(KIND_ONU_OFFLINE);
	snprintf(code, sizeof(code), "code %ld", cause ? *cause : -1L);
	why = e && e->cause ? e->cause : code;
	for (i = 0; i < POLL_ONU_NKINDS; i++)
		if (poll_held_has(d, kind_name(poll_onu_kinds[i]), &loc))
			return;		/* already known to be down */
	poll_correct(d, kind, EVENT_RAISE, &loc, why);
}

/* A PON port: down with ONUs behind it is LOS; up clears a held LOS. */
static void
poll_port_reconcile(struct pdev *d, long long ifindex, long oper,
    int has_onus, const struct timeval *since)
{
	const char *los = kind_name(KIND_PON_LOS);
	struct herald_location loc;

	if (poll_location(d, ifindex, -1, &loc) != 0)
		return;		/* not a PON port of this profile */
	if (poll_held_recent(d, los, &loc, since))
		return;
	if (oper == 1 && poll_held_has(d, los, &loc))
		poll_correct(d, los, EVENT_CLEAR, &loc, "poll: port up");
	else if (oper == 2 && has_onus && !poll_held_has(d, los, &loc))
		poll_correct(d, los, EVENT_RAISE, &loc,
		    "poll: port down");
}

/* DSL types of IANAifType-MIB: adsl, radsl, sdsl, vdsl, vdsl2, ... */
static int
poll_is_dsl(long type)
{
	return type == 94 || type == 95 || type == 96 || type == 97 ||
	    type == 230 || type == 238 || type == 251;
}

/* A DSL line that is administratively up but down is a line fault. */
static void
poll_line_reconcile(struct pdev *d, long long ifindex, const long *type,
    const long *admin, const long *oper, const struct timeval *since)
{
	const char *down = kind_name(KIND_DSL_LINE_DOWN);
	struct herald_location loc;

	if (type == NULL || oper == NULL || !poll_is_dsl(*type))
		return;
	if (poll_location(d, ifindex, -1, &loc) != 0) {
		events_location_clear(&loc);
		loc.if_index = ifindex;
	}
	loc.line = ifindex;
	if (poll_held_recent(d, down, &loc, since))
		return;
	if (*oper == 1 && poll_held_has(d, down, &loc))
		poll_correct(d, down, EVENT_CLEAR, &loc,
		    "poll: line up");
	else if (*oper == 2 && admin != NULL && *admin == 1 &&
	    !poll_held_has(d, down, &loc))
		poll_correct(d, down, EVENT_RAISE, &loc,
		    "poll: line down");
}

static void
poll_read_reconcile(struct poll_read *r)
{
	struct pdev *d = r->d;
	size_t i = 0, j;

	if (r->nrows > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(r->rows, r->nrows, sizeof(*r->rows), poll_row_cmp);
	while (i < r->nrows) {
		const long *v[COL_N] = { NULL };
		struct poll_row *g = &r->rows[i];

		for (j = i; j < r->nrows && r->rows[j].ifindex == g->ifindex &&
		    r->rows[j].onu == g->onu; j++)
			v[r->rows[j].col] = &r->rows[j].value;
		if (g->onu >= 0)
			poll_onu_reconcile(d, g->ifindex, g->onu,
			    v[COL_ONU_STATE], poll_cause_is_state(d) ?
			    v[COL_ONU_STATE] : v[COL_ONU_CAUSE],
			    v[COL_ONU_ADMIN], &r->started);
		else if (v[COL_IF_TYPE] != NULL)
			poll_line_reconcile(d, g->ifindex, v[COL_IF_TYPE],
			    v[COL_IF_ADMIN], v[COL_IF_OPER], &r->started);
		else if (v[COL_IF_OPER] != NULL)
			/* ifIndex sorts before ifIndex.onu: its ONUs follow. */
			poll_port_reconcile(d, g->ifindex, *v[COL_IF_OPER],
			    j < r->nrows && r->rows[j].ifindex == g->ifindex,
			    &r->started);
		i = j;
	}
}

static void
poll_read_free(struct poll_read *r)
{
	free(r->ports);
	free(r->rows);
	free(r);
}

static void
poll_read_finish(struct poll_read *r)
{
	struct pdev *d = r->d;

	/* Partial data is still the device's word; a dying device has none. */
	if (!d->dying)
		poll_read_reconcile(r);
	if (r->full) {
		d->cycle = NULL;
		d->poller->st.cycles++;
		log_debug("poll", "%s: cycle done, %zu rows, %d failed walks",
		    d->name, r->nrows, r->failed);
		if (!d->dying && r->failed == 0)
			poll_cycle_done(d, r->nrows);
	} else {
		d->confirm = NULL;
		d->poller->st.confirms++;
		log_debug("poll", "%s: confirmation read done, %zu rows",
		    d->name, r->nrows);
	}
	poll_read_free(r);
	poll_device_done(d);
}

static void
poll_get_cb(struct snmpsess *s, enum snmpsess_status status,
    netsnmp_variable_list *vars, void *arg)
{
	struct poll_walk *w = arg;

	if (status == SNMPSESS_OK)
		for (; vars != NULL; vars = vars->next_variable)
			if (vars->name_length == w->baselen + 1)
				poll_walk_row_cb(s, vars, w);
	poll_walk_done_cb(s, status, 0, w);
}

/* ifOperStatus.<ifIndex>: a single instance wants a GET, not a walk. */
static void
poll_read_get_oper(struct poll_read *r, long long ifindex)
{
	struct poll_walk *w = xcalloc(1, sizeof(*w));
	oid o[POLL_IF_LEN + 1], *op = o;
	size_t len = POLL_IF_LEN + 1;

	w->r = r;
	w->col = COL_IF_OPER;
	memcpy(w->base, poll_if_oper, sizeof(poll_if_oper));
	w->baselen = POLL_IF_LEN;
	memcpy(o, poll_if_oper, sizeof(poll_if_oper));
	o[POLL_IF_LEN] = (oid)ifindex;
	r->pending++;
	if (snmpsess_get(r->d->sess, &op, &len, 1, poll_get_cb, w) != 0) {
		r->pending--;
		r->failed++;
		free(w);
	}
}

/* The ONU columns of one PON port (or all with -1). */
static void
poll_read_walk_onus(struct poll_read *r, const struct profile_poll *pp,
    long long port)
{
	poll_read_walk(r, COL_ONU_STATE, pp->onu_state.o, pp->onu_state.len,
	    port);
	if (pp->onu_down_cause.len > 0 && !poll_cause_is_state(r->d))
		poll_read_walk(r, COL_ONU_CAUSE, pp->onu_down_cause.o,
		    pp->onu_down_cause.len, port);
	if (pp->onu_admin.len > 0)
		poll_read_walk(r, COL_ONU_ADMIN, pp->onu_admin.o,
		    pp->onu_admin.len, port);
}

static void
poll_read_start_olt(struct poll_read *r, const struct profile_poll *pp)
{
	size_t i;

	if (r->full) {
		poll_read_walk_onus(r, pp, -1);
		if (pp->pon_oper_status.len > 0)
			poll_read_walk(r, COL_IF_OPER, pp->pon_oper_status.o,
			    pp->pon_oper_status.len, -1);
		return;
	}
	for (i = 0; i < r->nports; i++) {
		poll_read_walk_onus(r, pp, r->ports[i]);
		poll_read_get_oper(r, r->ports[i]);
	}
}

void
poll_onu_read(struct pdev *d, const long long *ports, size_t nports)
{
	const struct profile_poll *pp;
	struct poll_read *r;

	pp = d->profile ? profile_get_poll(d->profile) : NULL;
	r = xcalloc(1, sizeof(*r));
	r->d = d;
	gettimeofday(&r->started, NULL);
	r->full = ports == NULL;
	if (nports > 0) {
		r->ports = xcalloc(nports, sizeof(*ports));
		memcpy(r->ports, ports, nports * sizeof(*ports));
		r->nports = nports;
	}
	if (r->full)
		d->cycle = r;
	else
		d->confirm = r;
	r->pending++;		/* held until every request is queued */
	if (pp != NULL && pp->onu_state.len > 0)
		poll_read_start_olt(r, pp);
	else if (r->full && strcmp(d->kind, "dslam") == 0) {
		poll_read_walk(r, COL_IF_TYPE, poll_if_type, POLL_IF_LEN, -1);
		poll_read_walk(r, COL_IF_ADMIN, poll_if_admin, POLL_IF_LEN, -1);
		poll_read_walk(r, COL_IF_OPER, poll_if_oper, POLL_IF_LEN, -1);
	}
	if (--r->pending == 0)
		poll_read_finish(r);
}
