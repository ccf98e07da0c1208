/*
 * alarm.c: the alarm table (see alarm.h). Entries live in a search tree
 * by reduction key. A cleared alarm stays in the table for flap.window
 * seconds, so that a raise soon after continues its history (and can make
 * it flapping); then it is forgotten unless an incident still holds it.
 */
#include "config.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "policy.h"
#include "xmalloc.h"

/* A clear that came before its raise. */
struct early {
	char		 key[KIND_KEY_MAX];
	rtime_t		 at;		/* the clear's time */
	rtime_t		 until;		/* forgotten then */
	TAILQ_ENTRY(early) entry;	/* oldest first */
};

struct alarm_table {
	void			*tree;		/* struct ealarm *, by key */
	void			*early;		/* struct early *, by key */
	TAILQ_HEAD(, early)	 early_list;	/* the same, oldest first */
	size_t			 nearly;
	size_t			 nopen;
	TAILQ_HEAD(, ealarm)	 timed;
	TAILQ_HEAD(, ealarm)	 cleared;	/* oldest first */
};

static int
alarm_cmp(const void *x, const void *y)
{
	return strcmp(((const struct alarm *)x)->key,
	    ((const struct alarm *)y)->key);
}

static int
early_cmp(const void *x, const void *y)
{
	return strcmp(((const struct early *)x)->key,
	    ((const struct early *)y)->key);
}

struct alarm_table *
alarm_table_new(void)
{
	struct alarm_table *t = xcalloc(1, sizeof(*t));

	TAILQ_INIT(&t->timed);
	TAILQ_INIT(&t->cleared);
	TAILQ_INIT(&t->early_list);
	return t;
}

static void
alarm_free(void *p)
{
	struct ealarm *e = p;

	free(e->a.cause);
	free(e);
}

void
alarm_table_free(struct alarm_table *t)
{
	if (t == NULL)
		return;
	tdestroy(t->tree, alarm_free);
	tdestroy(t->early, free);	/* the list holds the same */
	free(t);
}

struct ealarm *
alarm_lookup(struct alarm_table *t, const char *key)
{
	struct alarm k;
	void **f;

	snprintf(k.key, sizeof(k.key), "%s", key);
	f = tfind(&k, &t->tree, alarm_cmp);
	return f ? *f : NULL;
}

static struct ealarm *
alarm_insert(struct alarm_table *t, const char *key)
{
	struct ealarm *e = xcalloc(1, sizeof(*e));

	snprintf(e->a.key, sizeof(e->a.key), "%s", key);
	e->a.affected_onus = e->a.dying_gasp_onus = -1;
	tsearch(e, &t->tree, alarm_cmp);
	return e;
}

static void
alarm_forget(struct alarm_table *t, struct ealarm *e)
{
	if (e->timed)
		alarm_set_timed(t, e, 0);
	tdelete(e, &t->tree, alarm_cmp);
	alarm_free(e);
}

void
alarm_set_timed(struct alarm_table *t, struct ealarm *e, int on)
{
	if (on && !e->timed)
		TAILQ_INSERT_TAIL(&t->timed, e, timed_entry);
	else if (!on && e->timed)
		TAILQ_REMOVE(&t->timed, e, timed_entry);
	e->timed = on;
}

struct ealarm *
alarm_timed_first(struct alarm_table *t)
{
	return TAILQ_FIRST(&t->timed);
}

struct ealarm *
alarm_timed_next(struct ealarm *e)
{
	return TAILQ_NEXT(e, timed_entry);
}

size_t
alarm_count_open(struct alarm_table *t)
{
	return t->nopen;
}

/* Remember a transition; 1 when the alarm now changes too often. */
static int
alarm_flap_note(struct ealarm *e, const struct policy *p, rtime_t now)
{
	rtime_t since = now - (rtime_t)p->flap_window * RTIME_SEC;
	int i, n = 0;

	if (e->nflap == ALARM_FLAP_MAX) {
		memmove(e->flap, e->flap + 1, sizeof(e->flap[0]) *
		    (ALARM_FLAP_MAX - 1));
		e->nflap--;
	}
	e->flap[e->nflap++] = now;
	for (i = 0; i < e->nflap; i++)
		if (e->flap[i] >= since)
			n++;
	return p->flap_count > 0 && n > p->flap_count;
}

static void
alarm_fill(struct ealarm *e, const struct herald_event *ev, enum alarm_kind k)
{
	e->a.device_id = ev->device_id;
	e->a.kind = k;
	e->a.loc = ev->loc;
	e->a.source = ev->source;
	if (ev->cause != NULL) {
		free(e->a.cause);
		e->a.cause = xstrdup(ev->cause);
	}
	if (ev->affected_onus >= 0)
		e->a.affected_onus = ev->affected_onus;
	if (ev->dying_gasp_onus >= 0)
		e->a.dying_gasp_onus = ev->dying_gasp_onus;
}

static void
alarm_uncleared(struct alarm_table *t, struct ealarm *e)
{
	if (!e->a.raised && e->a.cleared_at != 0)
		TAILQ_REMOVE(&t->cleared, e, cl_entry);
}

/* A raise: new, again after a clear, a repeat, or a flapping alarm back. */
static enum alarm_change
alarm_raise(struct alarm_table *t, const struct policy *p,
    struct ealarm *e, const struct herald_event *ev, enum alarm_kind k,
    rtime_t now)
{
	alarm_fill(e, ev, k);
	if (e->a.raised) {
		e->a.raise_count++;
		e->a.last_raised_at = now;
		if (e->clear_pending != 0) {
			/* Flapping and back before its quiet period. */
			e->clear_pending = 0;
			alarm_flap_note(e, p, now);
		}
		return ALARM_REPEATED;
	}
	alarm_uncleared(t, e);
	e->a.raised = 1;
	e->a.raise_count = 1;
	e->a.first_raised_at = e->a.last_raised_at = e->a.changed_at = now;
	e->a.cleared_at = 0;
	if (alarm_flap_note(e, p, now))
		e->a.flapping = 1;
	t->nopen++;
	return ALARM_RAISED;
}

static enum alarm_change
alarm_clear(struct alarm_table *t, const struct policy *p, struct ealarm *e,
    const struct herald_event *ev, rtime_t now)
{
	if (!e->a.raised)
		return ALARM_IGNORED;
	e->a.source = ev->source;
	if (alarm_flap_note(e, p, now))
		e->a.flapping = 1;
	if (e->a.flapping) {
		if (e->clear_pending == 0)
			e->clear_pending = now;
		alarm_set_timed(t, e, 1);
		return ALARM_HELD;
	}
	e->a.raised = 0;
	e->a.cleared_at = e->a.changed_at = now;
	t->nopen--;
	TAILQ_INSERT_TAIL(&t->cleared, e, cl_entry);
	return ALARM_CLEARED;
}

/* A clear with nothing raised: keep it a while for a late raise. */
static void
alarm_early_add(struct alarm_table *t, const struct policy *p,
    const char *key, rtime_t now)
{
	struct early *x = xcalloc(1, sizeof(*x)), **f;

	snprintf(x->key, sizeof(x->key), "%s", key);
	f = tsearch(x, &t->early, early_cmp);
	if (*f != x) {
		free(x);
		x = *f;
		TAILQ_REMOVE(&t->early_list, x, entry);
	} else
		t->nearly++;
	TAILQ_INSERT_TAIL(&t->early_list, x, entry);
	x->at = now;
	x->until = now + (rtime_t)p->early_clear_window * RTIME_SEC;
}

static void
alarm_early_drop(struct alarm_table *t, struct early *x)
{
	TAILQ_REMOVE(&t->early_list, x, entry);
	tdelete(x, &t->early, early_cmp);
	free(x);
	t->nearly--;
}

/* Does an early clear cancel a raise at this time? Used up either way. */
static int
alarm_early_take(struct alarm_table *t, const char *key, rtime_t now)
{
	struct early k, **f, *x;
	int cancels;

	if (t->nearly == 0)
		return 0;
	snprintf(k.key, sizeof(k.key), "%s", key);
	if ((f = tfind(&k, &t->early, early_cmp)) == NULL)
		return 0;
	x = *f;
	cancels = now <= x->until;
	alarm_early_drop(t, x);
	return cancels;
}

enum alarm_change
alarm_apply(struct alarm_table *t, const struct policy *p,
    const struct herald_event *ev, rtime_t now, struct ealarm **out)
{
	char key[KIND_KEY_MAX];
	enum alarm_kind k;
	struct ealarm *e;

	*out = NULL;
	if (ev->kind == NULL || ev->action == EVENT_RAW ||
	    kind_parse(ev->kind, &k) != 0 || ev->device_id <= 0)
		return ALARM_IGNORED;
	kind_reduction_key(key, sizeof(key), ev->device_id, k, &ev->loc);
	e = alarm_lookup(t, key);
	if (ev->action == EVENT_CLEAR) {
		if (e == NULL || (!e->a.raised && e->a.cleared_at +
		    (rtime_t)p->early_clear_window * RTIME_SEC < now)) {
			alarm_early_add(t, p, key, now);
			return ALARM_IGNORED;
		}
		if (!e->a.raised)
			return ALARM_IGNORED;	/* the same clear again */
		*out = e;
		return alarm_clear(t, p, e, ev, now);
	}
	if ((e == NULL || !e->a.raised) && alarm_early_take(t, key, now))
		return ALARM_EARLY;
	if (e == NULL)
		e = alarm_insert(t, key);
	*out = e;
	return alarm_raise(t, p, e, ev, k, now);
}

struct ealarm *
alarm_restore(struct alarm_table *t, const struct alarm *a)
{
	struct ealarm *e = alarm_lookup(t, a->key);

	if (e == NULL)
		e = alarm_insert(t, a->key);
	else if (e->a.raised)
		return e;
	alarm_uncleared(t, e);
	free(e->a.cause);
	e->a = *a;
	e->a.cause = a->cause ? xstrdup(a->cause) : NULL;
	e->a.incident = NULL;
	e->a.priv = NULL;
	e->a.raised = 1;
	e->a.cleared_at = 0;
	t->nopen++;
	return e;
}

/* Does a reduction key ("DEVICE:kind...") name this device? */
static int
alarm_key_of(const char *key, int64_t device_id)
{
	char *end;

	return strtoll(key, &end, 10) == device_id && *end == ':';
}

struct alarm_collect {
	int64_t		  device_id;
	struct ealarm	**v;
	size_t		  n, cap;
};

static void
alarm_collect_cb(const void *node, VISIT which, void *arg)
{
	struct ealarm *e = *(struct ealarm *const *)node;
	struct alarm_collect *c = arg;

	if ((which != postorder && which != leaf) ||
	    e->a.device_id != c->device_id)
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = e;
}

/*
 * The walk collects first and deletes after: tdelete rebalances the tree
 * under twalk's feet. The early clears of the device go too, so that a
 * raise after the device comes back is not cancelled by a clear another
 * instance saw meanwhile.
 */
size_t
alarm_drop_device(struct alarm_table *t, int64_t device_id,
    void (*unlink)(struct ealarm *, void *), void *arg)
{
	struct alarm_collect c = { .device_id = device_id };
	struct early *x, *nx;
	struct ealarm *e;
	size_t i;

	twalk_r(t->tree, alarm_collect_cb, &c);
	for (i = 0; i < c.n; i++) {
		e = c.v[i];
		unlink(e, arg);
		if (e->a.raised)
			t->nopen--;
		else if (e->a.cleared_at != 0)
			TAILQ_REMOVE(&t->cleared, e, cl_entry);
		alarm_forget(t, e);
	}
	free(c.v);
	for (x = TAILQ_FIRST(&t->early_list); x != NULL; x = nx) {
		nx = TAILQ_NEXT(x, entry);
		if (alarm_key_of(x->key, device_id))
			alarm_early_drop(t, x);
	}
	return c.n;
}

rtime_t
alarm_tick(struct alarm_table *t, const struct policy *p, rtime_t now,
    void (*cb)(struct ealarm *, void *), void *arg)
{
	struct ealarm *e, *next;
	struct early *x;
	rtime_t quiet = (rtime_t)p->flap_quiet * RTIME_SEC, due, next_at = 0;
	rtime_t keep = (rtime_t)p->flap_window * RTIME_SEC;

	for (e = TAILQ_FIRST(&t->timed); e != NULL; e = next) {
		next = TAILQ_NEXT(e, timed_entry);
		if (e->clear_pending == 0)
			continue;
		due = e->clear_pending + quiet;
		if (due > now) {
			if (next_at == 0 || due < next_at)
				next_at = due;
			continue;
		}
		e->clear_pending = 0;
		e->a.flapping = 0;
		e->a.raised = 0;
		e->a.cleared_at = e->a.changed_at = due;
		t->nopen--;
		TAILQ_INSERT_TAIL(&t->cleared, e, cl_entry);
		if (e->dg_until == 0 && e->regrace_until == 0)
			alarm_set_timed(t, e, 0);
		cb(e, arg);
	}
	/* Clears no raise came for: a clear of nothing, forgotten. */
	while ((x = TAILQ_FIRST(&t->early_list)) != NULL && x->until < now)
		alarm_early_drop(t, x);
	for (e = TAILQ_FIRST(&t->cleared); e != NULL &&
	    e->a.cleared_at + keep <= now; e = next) {
		next = TAILQ_NEXT(e, cl_entry);
		if (e->a.incident != NULL)
			continue;	/* forgotten once its incident lets go */
		TAILQ_REMOVE(&t->cleared, e, cl_entry);
		alarm_forget(t, e);
	}
	return next_at;
}
