/*
 * correlate.c: the rules engine (engine.h): alarms into incidents.
 *
 * Open incidents sit in a tree by scope key, so "is this place already in
 * an incident?" is one look-up per level above it (device, board, port,
 * splitter). Raised ONU and DSL line alarms also sit in a list per PON or
 * DSL port: that is where "many ONUs down together" is counted. Costs grow
 * with the alarms and accounts involved, not with the inventory's size:
 * the inventory index answers "accounts under a scope" as a slice.
 *
 * Incidents caused by an alarm of their own level (PON LOS, board fault,
 * device down) cover every account under their scope; incidents inferred
 * from ONU alarms cover the accounts behind the ONUs that are down.
 */
#include "config.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "engine.h"
#include "place.h"
#include "policy.h"
#include "xmalloc.h"

/* Raised ONU (or DSL line) alarms of one port. */
struct eport {
	char			 key[KIND_KEY_MAX];
	TAILQ_ENTRY(eport)	 entry;
	TAILQ_HEAD(, ealarm)	 alarms;
	size_t			 n;
};

struct eincident {
	struct incident		 i;
	struct place		 pl;
	TAILQ_ENTRY(eincident)	 entry;
	TAILQ_HEAD(, ealarm)	 evidence;
	struct ealarm		*root;
	size_t			 cap;
	int			 whole_scope;	/* accounts: all under scope */
	int			 dirty;
	/* A clear to look at in the next flush (a big incident, see
	 * engine_clear), and when it came. */
	int			 check;
	rtime_t			 check_at;
	/* Evidence counted as it comes and goes (a storm adds thousands). */
	size_t			 n_leaf;	/* ONU and line alarms */
	size_t			 n_onu, n_los, n_dg;	/* ONU kinds */
};

struct engine {
	struct policy		 p;
	struct engine_sink	 sink;
	void			*arg;
	struct alarm_table	*alarms;
	TAILQ_HEAD(, eincident)	 open;		/* opening order */
	void			*by_scope;	/* open incidents by scope key */
	void			*ports;		/* struct eport by key */
	TAILQ_HEAD(, eport)	 port_list;
	TAILQ_HEAD(, ealarm)	 dirty;		/* repeated since handed out */
	struct maint_window	*windows;
	size_t			 nwindows;
	rtime_t			 dirty_due;	/* flush evidence changes then */
	rtime_t			 due;		/* earliest deadline, 0 = none */
	rtime_t			 repeats_due;	/* hand out repeated alarms */
	struct engine_stats	 st;
};

static void	engine_raise(struct engine *, struct ealarm *, rtime_t);

/*
 * Remember a deadline, so that engine_tick() can return at once until the
 * earliest one comes (it is called after every event in a storm).
 */
static void
engine_due(struct engine *en, rtime_t t)
{
	if (t != 0 && (en->due == 0 || t < en->due))
		en->due = t;
}

static const char *const state_names[] = {
	[INCIDENT_SUSPECTED] = "suspected",
	[INCIDENT_CONFIRMED] = "confirmed",
	[INCIDENT_RESOLVED] = "resolved",
	[INCIDENT_TRANSIENT] = "transient",
	[INCIDENT_MERGED] = "merged",
};

static const char *const cause_names[CAUSE_N] = {
	[CAUSE_UNKNOWN] = "unknown",
	[CAUSE_FIBRE_CUT] = "fibre_cut",
	[CAUSE_POWER_CUT] = "power_cut",
	[CAUSE_DEVICE_DOWN] = "device_down",
	[CAUSE_BOARD_FAULT] = "board_fault",
	[CAUSE_PORT_DOWN] = "port_down",
	[CAUSE_ONU_LOS] = "onu_los",
	[CAUSE_ONU_POWER] = "onu_power",
	[CAUSE_ONU_OFFLINE] = "onu_offline",
	[CAUSE_LINE_DOWN] = "line_down",
};

/* What a subscriber or an engineer reads in a title. */
static const char *const cause_titles[CAUSE_N] = {
	[CAUSE_UNKNOWN] = "Outage",
	[CAUSE_FIBRE_CUT] = "Fibre cut",
	[CAUSE_POWER_CUT] = "Area power cut",
	[CAUSE_DEVICE_DOWN] = "Device down",
	[CAUSE_BOARD_FAULT] = "Board fault",
	[CAUSE_PORT_DOWN] = "Port down",
	[CAUSE_ONU_LOS] = "ONU signal lost",
	[CAUSE_ONU_POWER] = "ONU without power",
	[CAUSE_ONU_OFFLINE] = "ONU offline",
	[CAUSE_LINE_DOWN] = "DSL line down",
};

const char *
incident_state_name(enum incident_state s)
{
	return (unsigned)s <= INCIDENT_MERGED ? state_names[s] : "?";
}

const char *
incident_cause_name(enum incident_cause c)
{
	return (unsigned)c < CAUSE_N ? cause_names[c] : "?";
}

int
incident_cause_parse(const char *s, enum incident_cause *out)
{
	int i;

	for (i = 0; s != NULL && i < CAUSE_N; i++)
		if (strcmp(s, cause_names[i]) == 0) {
			*out = (enum incident_cause)i;
			return 0;
		}
	return -1;
}

int
incident_state_parse(const char *s, enum incident_state *out)
{
	int i;

	for (i = 0; s != NULL && i <= INCIDENT_MERGED; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum incident_state)i;
			return 0;
		}
	return -1;
}

static int
scope_cmp(const void *x, const void *y)
{
	return strcmp(((const struct incident *)x)->scope_key,
	    ((const struct incident *)y)->scope_key);
}

static int
port_cmp(const void *x, const void *y)
{
	return strcmp(((const struct eport *)x)->key,
	    ((const struct eport *)y)->key);
}

static const struct inventory_index *
engine_inventory(struct engine *en)
{
	return en->sink.inventory ? en->sink.inventory(en->arg) : NULL;
}

/* ------------------------------------------------------------------ */
/* Places of alarms                                                    */

static void
engine_place_of(struct engine *en, struct ealarm *e, struct place *pl)
{
	const struct herald_location *l = &e->a.loc;
	const struct inventory_index *x;
	const struct inventory_account *acc;
	struct inventory_scope s, sp;
	size_t n;

	memset(pl, 0, sizeof(*pl));
	pl->device_id = e->a.device_id;
	pl->frame = (int)l->frame;
	pl->slot = (int)l->slot;
	pl->port = (int)l->port;
	pl->onu = (int)l->onu;
	pl->line = l->line;
	switch (kind_level(e->a.kind)) {
	case LEVEL_DEVICE:
		place_at(pl, INVENTORY_DEVICE, pl);
		return;
	case LEVEL_BOARD:
		place_at(pl, INVENTORY_BOARD, pl);
		return;
	case LEVEL_PORT:
		place_at(pl, INVENTORY_PORT, pl);
		return;
	case LEVEL_LINE:
		pl->kind = INVENTORY_LINE;
		pl->onu = -1;
		/* A linkDown names the line by ifIndex only. */
		if (pl->port < 0 && l->line >= 0 &&
		    (x = engine_inventory(en)) != NULL &&
		    inventory_by_ifindex(x, pl->device_id, l->line, &s) == 0) {
			pl->frame = s.frame;
			pl->slot = s.slot;
			pl->port = s.port;
		}
		return;
	case LEVEL_ONU:
		pl->kind = INVENTORY_ONU;
		break;
	}
	/* An ONU's splitter comes from the inventory, once per alarm. */
	if (!e->splitter_known && (x = engine_inventory(en)) != NULL) {
		place_scope(pl, &s);
		if (inventory_find(x, &s) == 0 &&
		    (acc = inventory_accounts(x, &s, &n)) != NULL && n > 0 &&
		    inventory_scope_of(x, acc, INVENTORY_SPLITTER, &sp) == 0 &&
		    sp.splitter != NULL)
			snprintf(e->splitter, sizeof(e->splitter), "%s",
			    sp.splitter);
		e->splitter_known = 1;
	}
	snprintf(pl->splitter, sizeof(pl->splitter), "%s", e->splitter);
}

/* The port list an ONU or line alarm is counted on. */
static struct eport *
engine_port(struct engine *en, const struct place *pl, int create)
{
	struct place pp;
	struct eport k, *p, **f;

	place_at(pl, INVENTORY_PORT, &pp);
	place_key(&pp, k.key, sizeof(k.key));
	if ((f = tfind(&k, &en->ports, port_cmp)) != NULL)
		return *f;
	if (!create)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	memcpy(p->key, k.key, sizeof(p->key));
	TAILQ_INIT(&p->alarms);
	tsearch(p, &en->ports, port_cmp);
	TAILQ_INSERT_TAIL(&en->port_list, p, entry);
	return p;
}

static void
engine_port_add(struct engine *en, struct ealarm *e, const struct place *pl)
{
	struct eport *p;

	if (e->port != NULL)
		return;
	p = engine_port(en, pl, 1);
	TAILQ_INSERT_TAIL(&p->alarms, e, port_entry);
	p->n++;
	e->port = p;
}

static void
engine_port_remove(struct engine *en, struct ealarm *e)
{
	struct eport *p = e->port;

	if (p == NULL)
		return;
	TAILQ_REMOVE(&p->alarms, e, port_entry);
	e->port = NULL;
	if (--p->n == 0) {
		tdelete(p, &en->ports, port_cmp);
		TAILQ_REMOVE(&en->port_list, p, entry);
		free(p);
	}
}

/* ------------------------------------------------------------------ */
/* Accounts                                                            */

static int
id_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

static void
inc_accounts_add(struct eincident *in, const struct inventory_account *a,
    size_t n)
{
	size_t i;

	if (in->i.naccounts + n > in->cap) {
		in->cap = (in->i.naccounts + n) * 2;
		in->i.accounts = xreallocarray(in->i.accounts, in->cap,
		    sizeof(int64_t));
	}
	for (i = 0; i < n; i++)
		in->i.accounts[in->i.naccounts++] = a[i].id;
}

static void
inc_accounts_add_ids(struct eincident *in, const struct eincident *from)
{
	size_t n = from->i.naccounts;

	if (in->i.naccounts + n > in->cap) {
		in->cap = (in->i.naccounts + n) * 2;
		in->i.accounts = xreallocarray(in->i.accounts, in->cap,
		    sizeof(int64_t));
	}
	memcpy(in->i.accounts + in->i.naccounts, from->i.accounts,
	    n * sizeof(int64_t));
	in->i.naccounts += n;
}

/* Sorted, each once. */
static void
inc_accounts_tidy(struct eincident *in)
{
	size_t i, j;

	if (in->i.naccounts < 2)
		return;
	qsort(in->i.accounts, in->i.naccounts, sizeof(int64_t), id_cmp);
	for (i = j = 1; i < in->i.naccounts; i++)
		if (in->i.accounts[i] != in->i.accounts[j - 1])
			in->i.accounts[j++] = in->i.accounts[i];
	in->i.naccounts = j;
}

/* The accounts under a place (a slice of the index), or NULL. */
static const struct inventory_account *
engine_accounts(struct engine *en, const struct place *pl, size_t *n)
{
	const struct inventory_index *x = engine_inventory(en);
	struct inventory_scope s;

	*n = 0;
	if (x == NULL)
		return NULL;
	place_scope(pl, &s);
	if (inventory_find(x, &s) != 0)
		return NULL;
	return inventory_accounts(x, &s, n);
}

/* ONUs (or DSL lines) with accounts under a place. */
static size_t
engine_leaves(struct engine *en, const struct place *pl)
{
	const struct inventory_account *a;
	size_t n, i, leaves = 0;

	if ((a = engine_accounts(en, pl, &n)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (i == 0 || a[i].leaf != a[i - 1].leaf ||
		    a[i].is_line != a[i - 1].is_line)
			leaves++;
	return leaves;
}

/* Distinct child places of a given kind holding accounts under pl. */
static size_t
engine_children(struct engine *en, const struct place *pl,
    enum inventory_scope_kind kind)
{
	const struct inventory_index *x = engine_inventory(en);
	const struct inventory_account *a;
	struct inventory_scope s;
	int64_t last = -1;
	size_t n, i, c = 0;

	if ((a = engine_accounts(en, pl, &n)) == NULL)
		return 0;
	/* Accounts are sorted by place: children come in runs. */
	for (i = 0; i < n; i++) {
		if (inventory_scope_of(x, &a[i], kind, &s) != 0)
			continue;
		if (s.id != last)
			c++;
		last = s.id;
	}
	return c;
}

/* ------------------------------------------------------------------ */
/* Incidents                                                           */

static void
inc_title(struct engine *en, struct eincident *in)
{
	const struct inventory_index *x = engine_inventory(en);
	struct inventory_scope s;
	char where[96], dev[80];

	place_scope(&in->pl, &s);
	s.kind = INVENTORY_DEVICE;
	if (x != NULL && inventory_find(x, &s) == 0 && s.device != NULL)
		snprintf(dev, sizeof(dev), "%s", s.device);
	else
		snprintf(dev, sizeof(dev), "device %lld",
		    (long long)in->pl.device_id);
	place_where(&in->pl, where, sizeof(where));
	snprintf(in->i.title, sizeof(in->i.title), "%s%s: %s%s, %zu account%s",
	    cause_titles[in->i.cause], in->i.planned ? " (planned work)" : "",
	    dev, where, in->i.naccounts, in->i.naccounts == 1 ? "" : "s");
}

static void
inc_emit(struct engine *en, struct eincident *in)
{
	inc_accounts_tidy(in);
	inc_title(en, in);
	in->dirty = 0;
	if (en->sink.incident)
		en->sink.incident(en->arg, &in->i);
}

/* Evidence or accounts changed: written at the next flush, not now. */
static void
inc_touch(struct engine *en, struct eincident *in, rtime_t now)
{
	if (!in->dirty && en->dirty_due == 0) {
		en->dirty_due = now + RTIME_SEC / 2;
		engine_due(en, en->dirty_due);
	}
	in->dirty = 1;
}

static void
alarm_emit(struct engine *en, struct ealarm *e)
{
	if (e->dirty) {
		TAILQ_REMOVE(&en->dirty, e, dirty_entry);
		e->dirty = 0;
	}
	if (en->sink.alarm)
		en->sink.alarm(en->arg, &e->a);
}

/*
 * A repeat (the same trap again, from a second trap target or a device
 * that says it every few seconds) changes only a count and a time: it is
 * handed out every policy repeat_interval (30 s), once, however many came
 * meanwhile, so that a device repeating itself costs the database nothing
 * per trap.
 */
static void
alarm_touch(struct engine *en, struct ealarm *e, rtime_t now)
{
	if (e->dirty)
		return;
	e->dirty = 1;
	TAILQ_INSERT_TAIL(&en->dirty, e, dirty_entry);
	if (en->repeats_due == 0) {
		en->repeats_due = now +
		    (rtime_t)en->p.repeat_interval * RTIME_SEC;
		engine_due(en, en->repeats_due);
	}
}

static int
engine_planned(struct engine *en, const struct place *pl, rtime_t at)
{
	struct place wp;
	size_t i;

	for (i = 0; i < en->nwindows; i++) {
		const struct maint_window *w = &en->windows[i];

		if (at < w->starts_at || at >= w->ends_at)
			continue;
		place_from_scope(&wp, &w->scope, -1);
		snprintf(wp.splitter, sizeof(wp.splitter), "%s", w->splitter);
		if (place_contains(&wp, pl))
			return 1;
	}
	return 0;
}

static struct eincident *
inc_new(struct engine *en, const struct place *pl, enum incident_cause cause,
    int individual, rtime_t now)
{
	struct eincident *in = xcalloc(1, sizeof(*in));
	struct herald_location l;

	in->pl = *pl;
	place_key(pl, in->i.scope_key, sizeof(in->i.scope_key));
	snprintf(in->i.uid, sizeof(in->i.uid), "%s@%lld", in->i.scope_key,
	    (long long)now);
	place_scope(pl, &in->i.scope);
	snprintf(in->i.splitter, sizeof(in->i.splitter), "%s", pl->splitter);
	in->i.scope.splitter = in->i.splitter[0] ? in->i.splitter : NULL;
	in->i.line = pl->line;
	in->i.individual = individual;
	in->i.state = INCIDENT_SUSPECTED;
	in->i.cause = cause;
	in->i.opened_at = now;
	in->i.hold_until = now + (rtime_t)en->p.hold_down[cause] * RTIME_SEC;
	engine_due(en, in->i.hold_until);
	in->i.planned = engine_planned(en, pl, now);
	in->i.priv = in;
	TAILQ_INIT(&in->evidence);
	TAILQ_INSERT_TAIL(&en->open, in, entry);
	tsearch(&in->i, &en->by_scope, scope_cmp);
	en->st.incidents_opened++;
	en->st.incidents_open++;
	/* Let the poller look at the port before the hold-down ends. */
	if (en->sink.read_port && pl->kind != INVENTORY_DEVICE &&
	    pl->kind != INVENTORY_BOARD && pl->port >= 0) {
		events_location_clear(&l);
		l.frame = pl->frame;
		l.slot = pl->slot;
		l.port = pl->port;
		en->sink.read_port(en->arg, pl->device_id, &l);
	}
	return in;
}

static struct eincident *
inc_at(struct engine *en, const struct place *pl)
{
	struct incident k;
	void **f;

	place_key(pl, k.scope_key, sizeof(k.scope_key));
	f = tfind(&k, &en->by_scope, scope_cmp);
	return f ? ((struct incident *)*f)->priv : NULL;
}

/* The highest open incident at or above a place. */
static struct eincident *
inc_cover(struct engine *en, const struct place *pl)
{
	static const enum inventory_scope_kind up[] = {
		INVENTORY_DEVICE, INVENTORY_BOARD, INVENTORY_PORT,
		INVENTORY_SPLITTER,
	};
	struct eincident *in;
	struct place a;
	size_t i;

	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (up[i] == INVENTORY_SPLITTER && pl->splitter[0] == '\0')
			continue;
		place_at(pl, up[i], &a);
		if (!place_contains(&a, pl))
			continue;
		if ((in = inc_at(en, &a)) != NULL)
			return in;
	}
	return inc_at(en, pl);
}

/* Count (d = 1) or uncount (d = -1) an alarm of the evidence. */
static void
inc_count(struct eincident *in, const struct ealarm *e, int d)
{
	if (kind_level(e->a.kind) >= LEVEL_ONU)
		in->n_leaf += (size_t)d;
	if (!kind_is_onu(e->a.kind))
		return;
	in->n_onu += (size_t)d;
	if (e->a.kind == KIND_ONU_LOS)
		in->n_los += (size_t)d;
	else if (e->a.kind == KIND_ONU_DYING_GASP)
		in->n_dg += (size_t)d;
}

static void
inc_detach(struct eincident *in, struct ealarm *e)
{
	TAILQ_REMOVE(&in->evidence, e, ev_entry);
	inc_count(in, e, -1);
	in->i.nevidence--;
	if (in->root == e) {
		in->root = NULL;
		in->i.root[0] = '\0';
	}
	e->a.incident = NULL;
}

static void
inc_add_accounts_of(struct engine *en, struct eincident *in,
    struct ealarm *e)
{
	const struct inventory_account *a;
	struct place pl;
	size_t n;

	if (in->whole_scope)
		return;
	engine_place_of(en, e, &pl);
	if (pl.kind != INVENTORY_ONU && pl.kind != INVENTORY_LINE)
		return;
	if ((a = engine_accounts(en, &pl, &n)) != NULL)
		inc_accounts_add(in, a, n);
}

/* An alarm waits (a lone dying gasp, a straggler) or stops waiting. */
static void
engine_wait(struct engine *en, struct ealarm *e, rtime_t *field, rtime_t at)
{
	*field = at;
	engine_due(en, at);
	alarm_set_timed(en->alarms, e, e->dg_until != 0 ||
	    e->regrace_until != 0 || e->clear_pending != 0);
}

/* Make an alarm evidence of an incident (moving it from another). */
static void
inc_add(struct engine *en, struct eincident *in, struct ealarm *e, rtime_t now)
{
	if (e->a.incident == &in->i)
		return;
	if (e->a.incident != NULL)
		inc_detach(e->a.incident->priv, e);
	TAILQ_INSERT_TAIL(&in->evidence, e, ev_entry);
	inc_count(in, e, 1);
	in->i.nevidence++;
	e->a.incident = &in->i;
	engine_wait(en, e, &e->dg_until, 0);
	engine_wait(en, e, &e->regrace_until, 0);
	inc_add_accounts_of(en, in, e);
	inc_touch(en, in, now);
}

/* Every account under the incident's scope: its root took the scope. */
static void
inc_whole_scope(struct engine *en, struct eincident *in)
{
	const struct inventory_account *a;
	size_t n;

	in->i.naccounts = 0;
	in->whole_scope = 1;
	if ((a = engine_accounts(en, &in->pl, &n)) != NULL)
		inc_accounts_add(in, a, n);
	in->i.nonus = engine_leaves(en, &in->pl);
}

static void
inc_count_onus(struct eincident *in)
{
	if (!in->whole_scope)
		in->i.nonus = in->n_leaf;
}

/* The cause the evidence (and the root's counts) points at. */
static enum incident_cause
inc_infer_cause(struct engine *en, struct eincident *in)
{
	struct ealarm *r = in->root;
	size_t n = in->n_onu, los = in->n_los, dg = in->n_dg;

	if (r != NULL && r->a.kind == KIND_PON_LOS && r->a.affected_onus > 0 &&
	    r->a.dying_gasp_onus >= 0)
		return (double)r->a.dying_gasp_onus / r->a.affected_onus >=
		    en->p.cause_majority ? CAUSE_POWER_CUT : CAUSE_FIBRE_CUT;
	if (n > 0 && (double)dg / n >= en->p.cause_majority)
		return CAUSE_POWER_CUT;
	if (r != NULL && r->a.kind == KIND_PON_LOS)
		return CAUSE_FIBRE_CUT;
	if (n > 0 && (double)los / n >= en->p.cause_majority)
		return CAUSE_FIBRE_CUT;
	return CAUSE_UNKNOWN;
}

static enum incident_cause
cause_of_root(enum alarm_kind k)
{
	switch (k) {
	case KIND_DEVICE_UNREACHABLE:
	case KIND_DEVICE_POWER:
		return CAUSE_DEVICE_DOWN;
	case KIND_BOARD_FAULT:
		return CAUSE_BOARD_FAULT;
	case KIND_PON_LOS:
		return CAUSE_FIBRE_CUT;
	case KIND_PORT_DOWN:
		return CAUSE_PORT_DOWN;
	case KIND_ONU_LOS:
		return CAUSE_ONU_LOS;
	case KIND_ONU_DYING_GASP:
		return CAUSE_ONU_POWER;
	case KIND_ONU_OFFLINE:
		return CAUSE_ONU_OFFLINE;
	case KIND_DSL_LINE_DOWN:
		return CAUSE_LINE_DOWN;
	default:
		return CAUSE_UNKNOWN;
	}
}

/* Re-infer the cause of an outage while it may still change. */
static void
inc_recause(struct engine *en, struct eincident *in)
{
	enum incident_cause c;

	if (in->i.individual)
		return;
	if (in->root != NULL && in->root->a.kind != KIND_PON_LOS)
		return;
	if (in->i.state != INCIDENT_SUSPECTED && in->i.cause != CAUSE_UNKNOWN)
		return;		/* subscribers may have been told already */
	if ((c = inc_infer_cause(en, in)) != in->i.cause)
		in->i.cause = c;
}

/* Forget an incident that was handed out for the last time. */
static void
inc_free(struct engine *en, struct eincident *in)
{
	TAILQ_REMOVE(&en->open, in, entry);
	tdelete(&in->i, &en->by_scope, scope_cmp);
	en->st.incidents_open--;
	free(in->i.accounts);
	free(in);
}

/* Absorb an incident below: its evidence and accounts move up. */
static void
inc_merge(struct engine *en, struct eincident *into, struct eincident *from,
    rtime_t now)
{
	struct ealarm *e;

	while ((e = TAILQ_FIRST(&from->evidence)) != NULL) {
		inc_add(en, into, e, now);
		alarm_emit(en, e);
	}
	if (!into->whole_scope)
		inc_accounts_add_ids(into, from);
	/* The outage began with the first part of it that was seen. */
	if (into->i.state == INCIDENT_SUSPECTED && !from->i.individual) {
		if (from->i.state == INCIDENT_CONFIRMED) {
			into->i.state = INCIDENT_CONFIRMED;
			into->i.confirmed_at = now;
			en->st.confirmed++;
		} else if (from->i.hold_until < into->i.hold_until) {
			into->i.hold_until = from->i.hold_until;
			engine_due(en, into->i.hold_until);
		}
	}
	from->i.state = INCIDENT_MERGED;
	from->i.resolved_at = now;
	snprintf(from->i.merged_into, sizeof(from->i.merged_into), "%s",
	    into->i.uid);
	en->st.merged++;
	inc_emit(en, from);
	inc_free(en, from);
}

/* A board or device incident takes the unheld alarms of its ports. */
static void
inc_absorb_ports(struct engine *en, struct eincident *in, rtime_t now)
{
	struct eport *p;
	struct ealarm *e;
	struct place pl;

	TAILQ_FOREACH(p, &en->port_list, entry) {
		e = TAILQ_FIRST(&p->alarms);
		if (e == NULL)
			continue;
		engine_place_of(en, e, &pl);
		if (!place_contains(&in->pl, &pl))
			continue;
		TAILQ_FOREACH(e, &p->alarms, port_entry)
			if (e->a.incident == NULL) {
				inc_add(en, in, e, now);
				alarm_emit(en, e);
			}
	}
}

/*
 * An incident now covers a place: open incidents below it merge into it,
 * and raised alarms below it that no incident holds become its evidence.
 */
static void
inc_absorb(struct engine *en, struct eincident *in, rtime_t now)
{
	struct eincident *o, *next;
	struct ealarm *e;
	struct place pl;

	for (o = TAILQ_FIRST(&en->open); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o != in && place_contains(&in->pl, &o->pl))
			inc_merge(en, in, o, now);
	}
	if (in->pl.kind == INVENTORY_ONU || in->pl.kind == INVENTORY_LINE)
		return;
	place_at(&in->pl, INVENTORY_PORT, &pl);
	if (in->pl.kind == INVENTORY_PORT ||
	    in->pl.kind == INVENTORY_SPLITTER) {
		struct eport *p = engine_port(en, &pl, 0);

		if (p == NULL)
			return;
		TAILQ_FOREACH(e, &p->alarms, port_entry) {
			engine_place_of(en, e, &pl);
			if (e->a.incident == NULL &&
			    place_contains(&in->pl, &pl)) {
				inc_add(en, in, e, now);
				alarm_emit(en, e);
			}
		}
		return;
	}
	/* A board or a device: walk the port lists under it. */
	inc_absorb_ports(en, in, now);
}

/* An ONU-level alarm counts for inference if it went down recently. */
static int
engine_recent(struct engine *en, const struct ealarm *e, rtime_t now)
{
	return e->a.raised &&
	    e->a.first_raised_at >= now - (rtime_t)en->p.infer_window *
	    RTIME_SEC;
}

/* Does this many down out of that many make an incident there? */
static int
engine_enough(struct engine *en, size_t down, size_t total)
{
	return total > 0 && down >= (size_t)en->p.infer_min_onus &&
	    (double)down / (double)total >= en->p.infer_share;
}

/*
 * Roll up: enough ports (or boards) in outages under the place above
 * make one incident there, absorbing them.
 */
static void
engine_rollup(struct engine *en, const struct place *below, rtime_t now)
{
	enum inventory_scope_kind child;
	struct eincident *o, *in;
	struct place up, c;
	size_t n = 0, total;
	char last[KIND_KEY_MAX] = "", key[KIND_KEY_MAX];

	if (below->kind == INVENTORY_DEVICE)
		return;
	child = below->kind == INVENTORY_BOARD ? INVENTORY_BOARD :
	    INVENTORY_PORT;
	place_at(below, child == INVENTORY_BOARD ? INVENTORY_DEVICE :
	    INVENTORY_BOARD, &up);
	if (inc_at(en, &up) != NULL)
		return;
	TAILQ_FOREACH(o, &en->open, entry) {
		if (o->i.individual || !place_contains(&up, &o->pl) ||
		    o->i.opened_at < now - (rtime_t)en->p.infer_window *
		    RTIME_SEC)
			continue;
		place_at(&o->pl, child, &c);
		place_key(&c, key, sizeof(key));
		if (strcmp(key, last) != 0)
			n++;
		snprintf(last, sizeof(last), "%s", key);
	}
	total = engine_children(en, &up, child);
	if (n < (size_t)en->p.rollup_min || total == 0 ||
	    (double)n / (double)total < en->p.rollup_share)
		return;
	in = inc_new(en, &up, CAUSE_UNKNOWN, 0, now);
	inc_absorb(en, in, now);
	in->i.cause = inc_infer_cause(en, in);
	inc_count_onus(in);
	inc_emit(en, in);
	engine_rollup(en, &up, now);
}

/* Many ONUs down on one splitter or port: one incident there. */
static struct eincident *
engine_infer(struct engine *en, struct ealarm *e, const struct place *pl,
    rtime_t now)
{
	struct eport *p = e->port;
	struct ealarm *o;
	struct place port, op;
	size_t down = 0, down_sp = 0;
	struct eincident *in;
	struct place at;
	rtime_t own;

	if (p == NULL)
		return NULL;
	place_at(pl, INVENTORY_PORT, &port);
	TAILQ_FOREACH(o, &p->alarms, port_entry) {
		if (!engine_recent(en, o, now))
			continue;
		down++;
		engine_place_of(en, o, &op);
		if (pl->splitter[0] && strcmp(op.splitter, pl->splitter) == 0)
			down_sp++;
	}
	if (engine_enough(en, down, engine_leaves(en, &port)))
		at = port;
	else if (pl->splitter[0] != '\0') {
		place_at(pl, INVENTORY_SPLITTER, &at);
		if (!engine_enough(en, down_sp, engine_leaves(en, &at)))
			return NULL;
	} else
		return NULL;
	in = inc_new(en, &at, CAUSE_UNKNOWN, 0, now);
	own = in->i.hold_until;
	inc_absorb(en, in, now);
	in->i.cause = inc_infer_cause(en, in);
	/* Its own cause's hold-down, unless a part seen earlier ends sooner. */
	if (in->i.hold_until == own)
		in->i.hold_until = now +
		    (rtime_t)en->p.hold_down[in->i.cause] * RTIME_SEC;
	engine_due(en, in->i.hold_until);
	inc_count_onus(in);
	inc_emit(en, in);
	engine_rollup(en, &at, now);
	return in;
}

/* A lone ONU or line alarm: an individual fault (a dying gasp waits). */
static void
engine_lone(struct engine *en, struct ealarm *e, const struct place *pl,
    rtime_t now)
{
	struct eincident *in;
	size_t n;

	if (e->a.kind == KIND_ONU_DYING_GASP && e->dg_until == 0) {
		engine_wait(en, e, &e->dg_until, now +
		    (rtime_t)en->p.dying_gasp_persist * RTIME_SEC);
		return;
	}
	if (e->a.kind == KIND_ONU_DYING_GASP && e->dg_until > now)
		return;
	/* Nobody behind it (not in the inventory): an alarm, no incident. */
	if (engine_accounts(en, pl, &n) == NULL || n == 0)
		return;
	in = inc_new(en, pl, cause_of_root(e->a.kind), 1, now);
	inc_add(en, in, e, now);
	in->root = e;
	snprintf(in->i.root, sizeof(in->i.root), "%s", e->a.key);
	inc_count_onus(in);
	inc_emit(en, in);
}

/* An alarm of a device, board or port: an incident at its own scope. */
static void
engine_root(struct engine *en, struct ealarm *e, const struct place *pl,
    rtime_t now)
{
	struct eincident *in = inc_cover(en, pl);

	if (in != NULL &&
	    !(in->pl.kind == pl->kind && place_contains(&in->pl, pl))) {
		/* Something above already holds it. */
		inc_add(en, in, e, now);
		return;
	}
	if (in == NULL)
		in = inc_new(en, pl, cause_of_root(e->a.kind), 0, now);
	inc_add(en, in, e, now);
	if (in->root == NULL) {
		in->root = e;
		snprintf(in->i.root, sizeof(in->i.root), "%s", e->a.key);
		if (in->i.state == INCIDENT_SUSPECTED ||
		    in->i.cause == CAUSE_UNKNOWN)
			in->i.cause = cause_of_root(e->a.kind);
	}
	inc_whole_scope(en, in);
	inc_absorb(en, in, now);
	inc_recause(en, in);
	inc_emit(en, in);
	engine_rollup(en, pl, now);
}

static void
engine_raise(struct engine *en, struct ealarm *e, rtime_t now)
{
	struct eincident *in;
	struct place pl;

	engine_place_of(en, e, &pl);
	if (kind_level(e->a.kind) < LEVEL_ONU) {
		engine_root(en, e, &pl, now);
		return;
	}
	engine_port_add(en, e, &pl);
	if ((in = inc_cover(en, &pl)) != NULL && in->root != e) {
		if (e->a.incident != &in->i) {
			inc_add(en, in, e, now);
			inc_recause(en, in);
			inc_count_onus(in);
		}
		return;
	}
	if (engine_infer(en, e, &pl, now) != NULL)
		return;
	engine_lone(en, e, &pl, now);
}

/*
 * The incident is over: resolved, or transient when it never got past
 * its hold-down. Alarms still raised split off; those still down
 * straggler_grace later are looked at again on their own (an ONU still
 * dark after the fibre is mended is its own fault; most are just slow).
 */
static void
inc_finish(struct engine *en, struct eincident *in, rtime_t now)
{
	struct ealarm *e;

	in->i.state = in->i.state == INCIDENT_SUSPECTED ? INCIDENT_TRANSIENT :
	    INCIDENT_RESOLVED;
	in->i.resolved_at = now;
	in->i.subscriber_minutes = (double)in->i.naccounts *
	    (double)(now - in->i.opened_at) / (60.0 * RTIME_SEC);
	if (in->i.state == INCIDENT_TRANSIENT)
		en->st.transient++;
	else
		en->st.resolved++;
	inc_emit(en, in);
	while ((e = TAILQ_FIRST(&in->evidence)) != NULL) {
		inc_detach(in, e);
		if (e->a.raised && kind_level(e->a.kind) >= LEVEL_ONU)
			engine_wait(en, e, &e->regrace_until, now +
			    (rtime_t)en->p.straggler_grace * RTIME_SEC);
		alarm_emit(en, e);
	}
	inc_free(en, in);
}

/* Incidents with more ONU or line alarms than this are checked per flush. */
#define INC_CHECK_DEFER	512

/* After a clear: is the incident over? */
static void
inc_check(struct engine *en, struct eincident *in, rtime_t now)
{
	struct ealarm *e;
	size_t onus = 0, back = 0;

	if (in->root != NULL && in->root->a.raised)
		return;
	TAILQ_FOREACH(e, &in->evidence, ev_entry) {
		if (kind_level(e->a.kind) < LEVEL_ONU) {
			if (e->a.raised)
				return;	/* a port or board still down */
			continue;
		}
		onus++;
		back += !e->a.raised;
	}
	if (onus > 0 && (double)back / (double)onus < en->p.resolve_share)
		return;
	inc_finish(en, in, now);
}

static void
engine_clear(struct engine *en, struct ealarm *e, rtime_t now)
{
	struct eincident *in = e->a.incident ? e->a.incident->priv : NULL;

	engine_port_remove(en, e);
	engine_wait(en, e, &e->dg_until, 0);
	engine_wait(en, e, &e->regrace_until, 0);
	if (in == NULL)
		return;
	inc_touch(en, in, now);
	/*
	 * Whether the incident is over takes a walk over its evidence: for
	 * each of 10,000 clears that would be 10,000 steps. A big incident
	 * is looked at once per flush (within half a second), as of its
	 * latest clear; a small one at once.
	 */
	if (in->n_leaf > INC_CHECK_DEFER) {
		in->check = 1;
		in->check_at = now;
	} else
		inc_check(en, in, now);
}

/* ------------------------------------------------------------------ */
/* The interface                                                       */

struct engine *
engine_new(const struct policy *p, const struct engine_sink *sink, void *arg)
{
	struct engine *en = xcalloc(1, sizeof(*en));

	en->p = *p;
	en->sink = *sink;
	en->arg = arg;
	en->alarms = alarm_table_new();
	TAILQ_INIT(&en->open);
	TAILQ_INIT(&en->port_list);
	TAILQ_INIT(&en->dirty);
	return en;
}

void
engine_free(struct engine *en)
{
	struct eincident *in;
	struct eport *p;

	if (en == NULL)
		return;
	while ((in = TAILQ_FIRST(&en->open)) != NULL)
		inc_free(en, in);
	while ((p = TAILQ_FIRST(&en->port_list)) != NULL) {
		TAILQ_REMOVE(&en->port_list, p, entry);
		tdelete(p, &en->ports, port_cmp);
		free(p);
	}
	alarm_table_free(en->alarms);
	free(en->windows);
	free(en);
}

void
engine_set_policy(struct engine *en, const struct policy *p)
{
	en->p = *p;
}

void
engine_set_windows(struct engine *en, const struct maint_window *w, size_t n)
{
	size_t i;

	free(en->windows);
	en->windows = n ? xreallocarray(NULL, n, sizeof(*w)) : NULL;
	if (n)
		memcpy(en->windows, w, n * sizeof(*w));
	/* The copies own their splitter name; the caller's pointers go. */
	for (i = 0; i < n; i++)
		en->windows[i].scope.splitter = NULL;
	en->nwindows = n;
}

void
engine_event(struct engine *en, const struct herald_event *ev, rtime_t now)
{
	struct ealarm *e;

	en->st.events++;
	switch (alarm_apply(en->alarms, &en->p, ev, now, &e)) {
	case ALARM_RAISED:
		en->st.alarms_raised++;
		if (e->a.flapping)
			en->st.flapping++;
		engine_raise(en, e, now);
		alarm_emit(en, e);
		break;
	case ALARM_REPEATED:
		en->st.repeats++;
		alarm_touch(en, e, now);
		break;
	case ALARM_CLEARED:
		en->st.alarms_cleared++;
		engine_clear(en, e, now);
		alarm_emit(en, e);
		break;
	case ALARM_HELD:
		engine_due(en, e->clear_pending +
		    (rtime_t)en->p.flap_quiet * RTIME_SEC);
		alarm_emit(en, e);
		break;
	case ALARM_EARLY:
		en->st.early_clears++;
		break;
	case ALARM_IGNORED:
		break;
	}
}

static void
engine_flap_cleared(struct ealarm *e, void *arg)
{
	struct engine *en = arg;

	en->st.alarms_cleared++;
	engine_clear(en, e, e->a.cleared_at);
	alarm_emit(en, e);
}

static rtime_t
next_of(rtime_t a, rtime_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

rtime_t
engine_tick(struct engine *en, rtime_t now)
{
	struct eincident *in, *nin;
	struct ealarm *e, *ne;
	struct place pl;
	rtime_t next;

	if (en->due == 0 || now < en->due)
		return en->due;
	next = alarm_tick(en->alarms, &en->p, now, engine_flap_cleared, en);
	/* Lone dying gasps that lasted, stragglers still down. */
	for (e = alarm_timed_first(en->alarms); e != NULL; e = ne) {
		ne = alarm_timed_next(e);
		if (e->regrace_until != 0 && e->regrace_until <= now) {
			engine_wait(en, e, &e->regrace_until, 0);
			if (e->a.raised && e->a.incident == NULL) {
				engine_raise(en, e, now);
				alarm_emit(en, e);
			}
		} else if (e->regrace_until != 0)
			next = next_of(next, e->regrace_until);
		if (e->dg_until == 0)
			continue;
		if (e->dg_until > now) {
			next = next_of(next, e->dg_until);
			continue;
		}
		if (e->a.raised && e->a.incident == NULL) {
			engine_place_of(en, e, &pl);
			engine_lone(en, e, &pl, now);
			alarm_emit(en, e);
		}
	}
	for (in = TAILQ_FIRST(&en->open); in != NULL; in = nin) {
		nin = TAILQ_NEXT(in, entry);
		if (in->i.state == INCIDENT_SUSPECTED &&
		    in->i.hold_until <= now) {
			in->i.state = INCIDENT_CONFIRMED;
			in->i.confirmed_at = now;
			en->st.confirmed++;
			inc_emit(en, in);
		} else if (in->i.state == INCIDENT_SUSPECTED)
			next = next_of(next, in->i.hold_until);
	}
	if (en->dirty_due != 0 && en->dirty_due <= now) {
		en->dirty_due = 0;
		for (in = TAILQ_FIRST(&en->open); in != NULL; in = nin) {
			nin = TAILQ_NEXT(in, entry);
			if (in->dirty) {
				inc_count_onus(in);
				inc_emit(en, in);
			}
			if (in->check) {	/* may finish and free it */
				in->check = 0;
				inc_check(en, in, in->check_at);
			}
		}
	}
	if (en->repeats_due != 0 && en->repeats_due <= now) {
		en->repeats_due = 0;
		while ((e = TAILQ_FIRST(&en->dirty)) != NULL)
			alarm_emit(en, e);
	}
	en->due = next_of(next_of(next, en->dirty_due), en->repeats_due);
	return en->due;
}

const struct alarm *
engine_alarm(struct engine *en, int64_t device_id, enum alarm_kind k,
    const struct herald_location *l)
{
	char key[KIND_KEY_MAX];
	struct ealarm *e;

	kind_reduction_key(key, sizeof(key), device_id, k, l);
	e = alarm_lookup(en->alarms, key);
	return e != NULL ? &e->a : NULL;
}

void
engine_restore_incident(struct engine *en, const struct incident *tmpl)
{
	struct eincident *in = xcalloc(1, sizeof(*in));

	in->i = *tmpl;
	in->i.priv = in;
	in->i.accounts = NULL;
	in->i.naccounts = 0;
	in->i.nevidence = 0;
	in->i.root[0] = '\0';
	snprintf(in->i.splitter, sizeof(in->i.splitter), "%s",
	    tmpl->scope.splitter ? tmpl->scope.splitter : tmpl->splitter);
	in->i.scope.splitter = in->i.splitter[0] ? in->i.splitter : NULL;
	place_from_scope(&in->pl, &in->i.scope, tmpl->line);
	place_key(&in->pl, in->i.scope_key, sizeof(in->i.scope_key));
	if (tmpl->naccounts > 0) {
		in->cap = tmpl->naccounts;
		in->i.accounts = xreallocarray(NULL, in->cap, sizeof(int64_t));
		memcpy(in->i.accounts, tmpl->accounts,
		    tmpl->naccounts * sizeof(int64_t));
		in->i.naccounts = tmpl->naccounts;
	}
	/* Whole-scope incidents are re-filled when their root comes back. */
	in->whole_scope = tmpl->root[0] != '\0' && !tmpl->individual;
	TAILQ_INIT(&in->evidence);
	TAILQ_INSERT_TAIL(&en->open, in, entry);
	tsearch(&in->i, &en->by_scope, scope_cmp);
	en->st.incidents_open++;
	snprintf(in->i.root, sizeof(in->i.root), "%s", tmpl->root);
	if (in->i.state == INCIDENT_SUSPECTED)
		engine_due(en, in->i.hold_until);
}

void
engine_restore_alarm(struct engine *en, const struct alarm *a,
    const char *uid)
{
	struct ealarm *e = alarm_restore(en->alarms, a);
	struct eincident *in;
	struct place pl;

	engine_place_of(en, e, &pl);
	if (kind_level(e->a.kind) >= LEVEL_ONU)
		engine_port_add(en, e, &pl);
	if (uid == NULL)
		return;
	TAILQ_FOREACH(in, &en->open, entry)
		if (strcmp(in->i.uid, uid) == 0) {
			TAILQ_INSERT_TAIL(&in->evidence, e, ev_entry);
			inc_count(in, e, 1);
			in->i.nevidence++;
			e->a.incident = &in->i;
			if (strcmp(in->i.root, e->a.key) == 0)
				in->root = e;
			break;
		}
}

/*
 * Every open incident gets back the accounts of its evidence (and a
 * whole-scope one all under its scope), from the index now in force.
 * After the restore: the alarms and the incident are written separately,
 * so a heraldd killed between the two leaves alarms that name the
 * incident while its stored accounts miss theirs. And once the first
 * index is loaded: events decided before it (heraldd started while
 * PostgreSQL was away) found no accounts. Either way, as those alarms are
 * already open, no later event would add their subscribers, who would
 * never be told. An incident whose accounts changed is written again.
 */
void
engine_refill_accounts(struct engine *en, rtime_t now)
{
	struct eincident *in;
	struct ealarm *e;
	size_t n0;

	if (engine_inventory(en) == NULL)
		return;
	TAILQ_FOREACH(in, &en->open, entry) {
		n0 = in->i.naccounts;
		if (in->whole_scope)
			inc_whole_scope(en, in);
		else
			TAILQ_FOREACH(e, &in->evidence, ev_entry)
				inc_add_accounts_of(en, in, e);
		inc_accounts_tidy(in);
		if (in->i.naccounts != n0) {
			inc_count_onus(in);
			inc_touch(en, in, now);
		}
	}
}

/* An alarm about to be forgotten leaves every list the engine keeps. */
static void
engine_unlink_alarm(struct ealarm *e, void *arg)
{
	struct engine *en = arg;

	if (e->a.incident != NULL)
		inc_detach(e->a.incident->priv, e);
	engine_port_remove(en, e);
	if (e->dirty) {
		TAILQ_REMOVE(&en->dirty, e, dirty_entry);
		e->dirty = 0;
	}
}

/*
 * Another instance acts for the device now: its incidents and alarms go
 * without a word to the sink. An incident holds only alarms of its own
 * device (place_contains compares devices), so taking the incidents
 * first leaves the alarms free of them; the alarm table then takes each
 * alarm off the port lists, the repeats waiting to be handed out and its
 * own deadline and cleared lists. Deadlines already remembered in due
 * stay: a tick that finds nothing to do costs nothing.
 */
void
engine_drop_device(struct engine *en, int64_t device_id)
{
	struct eincident *in, *nin;
	struct ealarm *e;

	for (in = TAILQ_FIRST(&en->open); in != NULL; in = nin) {
		nin = TAILQ_NEXT(in, entry);
		if (in->i.scope.device_id != device_id)
			continue;
		while ((e = TAILQ_FIRST(&in->evidence)) != NULL)
			inc_detach(in, e);
		inc_free(en, in);
	}
	alarm_drop_device(en->alarms, device_id, engine_unlink_alarm, en);
}

void
engine_foreach_incident(struct engine *en,
    void (*cb)(const struct incident *, void *), void *arg)
{
	struct eincident *in;

	TAILQ_FOREACH(in, &en->open, entry)
		cb(&in->i, arg);
}

void
engine_get_stats(struct engine *en, struct engine_stats *s)
{
	*s = en->st;
	s->alarms_open = alarm_count_open(en->alarms);
}
