/*
 * test_engine.c: engine_drop_device (issue 14). When another instance
 * takes a device over, the engine forgets the device's alarms and
 * incidents without a word to the sink, and what it keeps of the other
 * devices goes on as before: their incidents still resolve, the dropped
 * device can be restored or start afresh. Run under ASAN or valgrind,
 * this is also the check that nothing dangles (evidence lists, port
 * lists, repeats, deadlines, early clears).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "policy.h"

#define SEC(n)	((rtime_t)(n) * RTIME_SEC)
#define T0	SEC(1767225600)		/* 2026-01-01 */

struct seen {
	int	alarms, incidents;
	char	last_uid[INCIDENT_UID_MAX];
	enum incident_state last_state;
};

static void
sink_alarm(void *arg, const struct alarm *a)
{
	((struct seen *)arg)->alarms++;
}

static void
sink_incident(void *arg, const struct incident *inc)
{
	struct seen *s = arg;

	s->incidents++;
	snprintf(s->last_uid, sizeof(s->last_uid), "%s", inc->uid);
	s->last_state = inc->state;
}

static const struct engine_sink sink = {
	.alarm = sink_alarm,
	.incident = sink_incident,
};

static struct policy pol;

static void
ev(struct engine *en, int64_t dev, const char *kind, int raise, int slot,
    int port, int onu, rtime_t at)
{
	struct herald_event e;

	events_init(&e);
	e.device_id = dev;
	e.kind = kind;
	e.action = raise ? EVENT_RAISE : EVENT_CLEAR;
	e.source = EVENT_SOURCE_TRAP;
	if (slot >= 0) {
		e.loc.frame = 0;
		e.loc.slot = slot;
	}
	if (port >= 0)
		e.loc.port = port;
	if (onu >= 0)
		e.loc.onu = onu;
	e.time.tv_sec = (time_t)(at / RTIME_SEC);
	engine_event(en, &e, at);
}

struct count {
	int64_t	dev;
	int	n;
	enum incident_state state;
};

static void
count_cb(const struct incident *inc, void *arg)
{
	struct count *c = arg;

	if (inc->scope.device_id == c->dev) {
		c->n++;
		c->state = inc->state;
	}
}

static int
incidents_of(struct engine *en, int64_t dev)
{
	struct count c = { .dev = dev };

	engine_foreach_incident(en, count_cb, &c);
	return c.n;
}

/* Device 1 and 2 down, with ONU alarms, repeats, early clears, flapping. */
static void
storm(struct engine *en, int64_t dev, rtime_t at)
{
	int i;

	ev(en, dev, "device.unreachable", 1, -1, -1, -1, at);
	ev(en, dev, "pon.los", 1, 1, 3, -1, at);
	for (i = 1; i <= 5; i++)
		ev(en, dev, "onu.los", 1, 1, 3, i, at + SEC(1));
	/* A repeat waiting to be handed out, an early clear. */
	ev(en, dev, "onu.los", 1, 1, 3, 1, at + SEC(2));
	ev(en, dev, "onu.los", 0, 1, 4, 9, at + SEC(2));
	/* A flapping ONU on another port: on the deadline list. */
	for (i = 0; i < 12; i++)
		ev(en, dev, "onu.dying_gasp", i % 2 == 0, 2, 1, 7,
		    at + SEC(3) + i);
}

static void
test_drop_keeps_others(void **state)
{
	struct seen s = { 0 };
	struct engine *en = engine_new(&pol, &sink, &s);
	struct engine_stats st;
	rtime_t now;
	int before;

	storm(en, 1, T0);
	storm(en, 2, T0);
	engine_tick(en, T0 + SEC(20));
	assert_int_equal(incidents_of(en, 1), 1);
	assert_int_equal(incidents_of(en, 2), 1);
	engine_get_stats(en, &st);
	assert_true(st.alarms_open > 0);

	before = s.alarms + s.incidents;
	engine_drop_device(en, 1);
	assert_int_equal(s.alarms + s.incidents, before);	/* no writes */
	assert_int_equal(incidents_of(en, 1), 0);
	assert_int_equal(incidents_of(en, 2), 1);
	assert_null(engine_alarm(en, 1, KIND_PON_LOS,
	    &(struct herald_location){ .frame = 0, .slot = 1, .port = 3,
	    .onu = EVENT_LOC_UNSET, .line = EVENT_LOC_UNSET }));
	engine_get_stats(en, &st);
	assert_int_equal(st.incidents_open, 1);

	/* Device 2 still resolves: everything of it clears. */
	now = T0 + SEC(200);
	engine_tick(en, now);
	ev(en, 2, "device.unreachable", 0, -1, -1, -1, now);
	ev(en, 2, "pon.los", 0, 1, 3, -1, now);
	for (int i = 1; i <= 5; i++)
		ev(en, 2, "onu.los", 0, 1, 3, i, now);
	engine_tick(en, now + SEC(120));
	engine_tick(en, now + SEC(400));
	assert_int_equal(incidents_of(en, 2), 0);
	assert_int_equal(s.last_state, INCIDENT_RESOLVED);

	/* Device 1's events again (another instance gave it back): anew. */
	now += SEC(500);
	storm(en, 1, now);
	engine_tick(en, now + SEC(20));
	assert_int_equal(incidents_of(en, 1), 1);
	engine_drop_device(en, 1);
	engine_drop_device(en, 1);	/* nothing left: no harm */
	engine_drop_device(en, 99);
	engine_tick(en, now + SEC(1000));
	engine_get_stats(en, &st);
	assert_int_equal(st.incidents_open, 0);
	assert_int_equal(st.alarms_open, 0);
	engine_free(en);
}

/* Dropped, then restored as a gaining instance does, then cleared. */
static void
test_restore_after_drop(void **state)
{
	struct seen s = { 0 };
	struct engine *en = engine_new(&pol, &sink, &s);
	struct incident inc;
	struct alarm a;
	rtime_t now = T0;

	ev(en, 1, "device.unreachable", 1, -1, -1, -1, now);
	ev(en, 2, "device.unreachable", 1, -1, -1, -1, now);
	engine_tick(en, now + SEC(300));
	assert_int_equal(incidents_of(en, 1), 1);
	engine_drop_device(en, 1);
	assert_int_equal(incidents_of(en, 1), 0);

	/* What rules_load_open_devices would give back for device 1. */
	memset(&inc, 0, sizeof(inc));
	snprintf(inc.uid, sizeof(inc.uid), "1@%lld", (long long)now);
	snprintf(inc.scope_key, sizeof(inc.scope_key), "1");
	inc.scope.kind = INVENTORY_DEVICE;
	inc.scope.device_id = 1;
	inc.line = EVENT_LOC_UNSET;
	inc.state = INCIDENT_CONFIRMED;
	inc.cause = CAUSE_DEVICE_DOWN;
	inc.opened_at = now;
	inc.confirmed_at = now + SEC(60);
	snprintf(inc.root, sizeof(inc.root), "1:device.unreachable");
	engine_restore_incident(en, &inc);
	memset(&a, 0, sizeof(a));
	snprintf(a.key, sizeof(a.key), "1:device.unreachable");
	a.device_id = 1;
	a.kind = KIND_DEVICE_UNREACHABLE;
	events_location_clear(&a.loc);
	a.raised = 1;
	a.raise_count = 1;
	a.first_raised_at = a.last_raised_at = a.changed_at = now;
	a.affected_onus = a.dying_gasp_onus = EVENT_LOC_UNSET;
	engine_restore_alarm(en, &a, inc.uid);
	engine_refill_accounts(en, now + SEC(400));
	assert_int_equal(incidents_of(en, 1), 1);

	/* Its clear resolves the restored incident, by its stored uid. */
	ev(en, 1, "device.unreachable", 0, -1, -1, -1, now + SEC(500));
	assert_string_equal(s.last_uid, inc.uid);
	assert_int_equal(s.last_state, INCIDENT_RESOLVED);
	assert_int_equal(incidents_of(en, 1), 0);
	assert_int_equal(incidents_of(en, 2), 1);
	engine_free(en);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_keeps_others),
		cmocka_unit_test(test_restore_after_drop),
	};

	policy_defaults(&pol);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
