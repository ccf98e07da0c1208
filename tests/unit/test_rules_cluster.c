/*
 * test_rules_cluster.c: the rules module's cluster hooks (rules.c, issue
 * 14) against a real PostgreSQL: rules_devices_gained loads and restores
 * only the devices asked for and then says ready; rules_barrier passes
 * once the writes decided before it were handed to the decisions
 * connection, so a statement queued after it sees them; the writes carry
 * the epoch and pass the fence; rules_devices_lost forgets without
 * writing; without a rules module both answer at once.
 *
 * rules.c is included, to reach its statics: the fixture builds the
 * module's state as rules_start does, without the events pipeline. The
 * cluster functions rules.c calls are this file's (an instance "t" that
 * holds every device with epoch 1), renamed before the include so that
 * they never meet daemon/cluster.c's in the link. Skipped without
 * HERALD_TEST_PGHOST, but for the cases that need no database.
 */
#define cluster_name		test_cluster_name
#define cluster_instance	test_cluster_instance
#define cluster_enabled		test_cluster_enabled
#define cluster_epoch		test_cluster_epoch
#define cluster_count_fenced	test_cluster_count_fenced
#include "../../rules/rules.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

const char *
cluster_name(struct herald *h)
{
	return "t";
}

const char *
cluster_instance(struct herald *h)
{
	return "t";
}

int
cluster_enabled(struct herald *h)
{
	return 1;
}

int64_t
cluster_epoch(struct herald *h, int64_t device_id)
{
	return 1;
}

static unsigned long long test_fenced;

void
cluster_count_fenced(struct herald *h, unsigned long long n)
{
	test_fenced += n;
}

static char conninfo[512];
static PGconn *db;

static void
sql(const char *s)
{
	PGresult *res = PQexec(db, s);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", s, PQerrorMessage(db));
	PQclear(res);
}

static char *
sql_value(const char *s)
{
	static char buf[256];
	PGresult *res = PQexec(db, s);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", s, PQerrorMessage(db));
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf;
}

/* A fresh, migrated database on the test server. */
static int
setup_db(void **state)
{
	const char *host = getenv("HERALD_TEST_PGHOST");
	const char *port = getenv("HERALD_TEST_PGPORT");
	const char *top = getenv("top_builddir");
	const char *src = getenv("top_srcdir");
	char ci[512], cmd[2048], name[64];
	PGconn *c;

	if (host == NULL || port == NULL)
		return 0;
	snprintf(name, sizeof(name), "t_rules_cluster_%d", (int)getpid());
	snprintf(ci, sizeof(ci), "host=%s port=%s user=postgres "
	    "dbname=postgres", host, port);
	c = PQconnectdb(ci);
	snprintf(cmd, sizeof(cmd), "CREATE DATABASE %s", name);
	PQclear(PQexec(c, cmd));
	PQfinish(c);
	snprintf(conninfo, sizeof(conninfo),
	    "host=%s port=%s user=postgres dbname=%s", host, port, name);
	snprintf(cmd, sizeof(cmd), "HERALD_SCHEMA_DIR='%s/schema' "
	    "%s/heraldctl db migrate -d '%s' >/dev/null", src ? src : ".",
	    top ? top : ".", conninfo);
	if (system(cmd) != 0)
		return -1;
	db = PQconnectdb(conninfo);
	return PQstatus(db) == CONNECTION_OK ? 0 : -1;
}

static int
teardown_db(void **state)
{
	char ci[512], cmd[256];
	PGconn *c;

	if (db == NULL)
		return 0;
	PQfinish(db);
	snprintf(ci, sizeof(ci), "host=%s port=%s user=postgres "
	    "dbname=postgres", getenv("HERALD_TEST_PGHOST"),
	    getenv("HERALD_TEST_PGPORT"));
	c = PQconnectdb(ci);
	snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS t_rules_cluster_%d "
	    "WITH (FORCE)", (int)getpid());
	PQclear(PQexec(c, cmd));
	PQfinish(c);
	return 0;
}

struct fixture {
	struct herald		 h;
	struct herald_conf	 conf;
	struct rules		*r;
};

/* rules_start's state, without the events pipeline and the global load. */
static struct fixture *
fixture_new(const char *ci)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct rules *r = xcalloc(1, sizeof(*r));

	f->h.base = event_base_new();
	f->h.conf = &f->conf;
	f->h.decide = store_new(f->h.base, ci, 5, 1000);
	store_start(f->h.decide);
	r->h = &f->h;
	policy_defaults(&r->policy);
	r->stats_interval = 60;
	r->engine = engine_new(&r->policy, &rules_sink, r);
	r->batch = json_array();
	r->pending = json_object();
	r->known = json_object();
	r->sent = json_object();
	r->pending_seq = json_object();
	TAILQ_INIT(&r->barriers);
	TAILQ_INIT(&r->gains);
	r->gain_timeout = 1;
	r->ev_barrier = event_new(f->h.base, -1, 0, rules_barrier_cb, r);
	r->ev_tick = evtimer_new(f->h.base, rules_tick_cb, r);
	r->ev_flush = evtimer_new(f->h.base, rules_flush_cb, r);
	r->ev_load = evtimer_new(f->h.base, rules_load_timeout_cb, r);
	r->ev_windows = event_new(f->h.base, -1, EV_PERSIST, rules_windows_cb,
	    r);
	r->ev_index = event_new(f->h.base, -1, EV_PERSIST, rules_index_cb, r);
	r->ev_stats = event_new(f->h.base, -1, EV_PERSIST, rules_stats_cb, r);
	r->phase = RULES_LOADED;
	f->h.rules = r;
	f->r = r;
	return f;
}

static void
fixture_free(struct fixture *f)
{
	rules_free(f->r);
	store_free(f->h.decide);
	event_base_free(f->h.base);
	free(f);
}

static void
flag_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Run the loop until *flag is set (or 10 s). */
static void
run_until(struct fixture *f, int *flag)
{
	struct timeval tv = { 0, 20000 };
	int i;

	for (i = 0; i < 500 && *flag == 0; i++) {
		event_base_loopexit(f->h.base, &tv);
		event_base_dispatch(f->h.base);
	}
}

/* The store idle: every statement queued has come back. */
static void
run_idle(struct fixture *f)
{
	struct timeval tv = { 0, 20000 };
	int i;

	for (i = 0; i < 500 && (store_queued(f->h.decide) > 0 ||
	    f->r->busy); i++) {
		event_base_loopexit(f->h.base, &tv);
		event_base_dispatch(f->h.base);
	}
}

struct held {
	int64_t		device_id;
	int		n;
	char		uid[INCIDENT_UID_MAX];
};

static void
held_cb(const struct incident *inc, void *arg)
{
	struct held *h = arg;

	if (inc->scope.device_id == h->device_id) {
		h->n++;
		snprintf(h->uid, sizeof(h->uid), "%s", inc->uid);
	}
}

static int
held(struct fixture *f, int64_t dev)
{
	struct held h = { .device_id = dev };

	engine_foreach_incident(f->r->engine, held_cb, &h);
	return h.n;
}

static void
feed(struct fixture *f, int64_t dev, const char *kind, int raise)
{
	struct herald_event ev;

	events_init(&ev);
	gettimeofday(&ev.time, NULL);
	ev.device_id = dev;
	ev.kind = kind;
	ev.action = raise ? EVENT_RAISE : EVENT_CLEAR;
	ev.source = EVENT_SOURCE_TRAP;
	rules_feed(f->r, &ev);
}

/* Device 1 and 2 each with an open device-down incident and its alarm. */
static void
seed(void)
{
	sql("DELETE FROM alarms; DELETE FROM incidents; DELETE FROM devices;"
	    "INSERT INTO devices (id, name, kind, vendor, mgmt_addr) VALUES "
	    "(1, 'olt1', 'olt', 'huawei', '127.0.0.21'),"
	    "(2, 'olt2', 'olt', 'huawei', '127.0.0.22');"
	    "SELECT cluster_lease('t', 'tt', 1, 'test', 600)");
	sql("SELECT rules_write_incidents(jsonb_build_array("
	    "jsonb_build_object('uid', d || ':device@1', 'scope_key', d::text,"
	    " 'scope', 'device', 'device_id', d, 'individual', false,"
	    " 'state', 'confirmed', 'cause', 'device_down', 'planned', false,"
	    " 'title', 'down', 'root_alarm', d || ':device.unreachable',"
	    " 'opened_at', '2026-01-01T00:00:00Z',"
	    " 'confirmed_at', '2026-01-01T00:01:00Z', 'resolved_at', null,"
	    " 'affected_accounts', 0, 'affected_onus', 0,"
	    " 'subscriber_minutes', 0, 'merged_into', null,"
	    " 'accounts', '[]'::jsonb,"
	    " 'evidence', '[]'::jsonb, 'epoch', 1)))"
	    " FROM generate_series(1, 2) d");
	sql("SELECT rules_write_alarms(jsonb_agg(jsonb_build_object("
	    "'key', d || ':device.unreachable', 'device_id', d,"
	    " 'kind', 'device.unreachable', 'state', 'raised',"
	    " 'source', 'trap',"
	    " 'raise_count', 1, 'first_raised_at', '2026-01-01T00:00:00Z',"
	    " 'last_raised_at', '2026-01-01T00:00:00Z',"
	    " 'changed_at', '2026-01-01T00:00:00Z', 'flapping', false,"
	    " 'incident', d || ':device@1', 'epoch', 1)))"
	    " FROM generate_series(1, 2) d");
}

static void
test_gain_barrier_lost(void **state)
{
	struct fixture *f;
	int64_t one = 1, two = 2;
	int ready = 0, passed = 0, passed2 = 0;

	if (db == NULL)
		skip();
	seed();
	f = fixture_new(conninfo);

	/* Gained: device 1's state only, then ready. */
	rules_devices_gained(&f->h, &one, 1, flag_cb, &ready);
	assert_int_equal(ready, 0);	/* not before the load */
	run_until(f, &ready);
	assert_int_equal(ready, 1);
	assert_int_equal(held(f, 1), 1);
	assert_int_equal(held(f, 2), 0);
	assert_non_null(json_object_get(f->r->known, "1:device@1"));
	assert_true(TAILQ_EMPTY(&f->r->gains));

	/* Its clear resolves the restored incident; the barrier waits. */
	feed(f, 1, "device.unreachable", 0);
	assert_int_equal(held(f, 1), 0);
	rules_barrier(&f->h, flag_cb, &passed);
	rules_barrier(&f->h, flag_cb, &passed2);
	assert_int_equal(passed, 0);
	run_until(f, &passed2);
	assert_int_equal(passed, 1);
	assert_int_equal(passed2, 1);
	assert_int_equal(f->r->alarms_handed, f->r->st.alarms_queued);
	assert_int_equal(json_object_size(f->r->pending), 0);
	run_idle(f);
	assert_string_equal(sql_value("SELECT state || ',' || (SELECT state "
	    "FROM alarms WHERE reduction_key = '1:device.unreachable') "
	    "FROM incidents WHERE uid = '1:device@1'"), "resolved,cleared");
	assert_int_equal(f->r->st.fenced, 0);

	/* Device 2 gained, then lost: forgotten, nothing written. */
	ready = 0;
	rules_devices_gained(&f->h, &two, 1, flag_cb, &ready);
	run_until(f, &ready);
	assert_int_equal(ready, 1);
	assert_int_equal(held(f, 2), 1);
	rules_devices_lost(&f->h, &two, 1);
	assert_int_equal(held(f, 2), 0);
	assert_int_equal(json_object_size(f->r->pending), 0);
	assert_int_equal(json_array_size(f->r->batch) - f->r->batch_off, 0);
	assert_null(json_object_get(f->r->known, "2:device@1"));
	/* Its events again: a new incident at once (no stale state). */
	feed(f, 2, "device.unreachable", 1);
	assert_int_equal(held(f, 2), 1);

	/* A gain whose device is lost before the load comes restores none. */
	rules_devices_lost(&f->h, &two, 1);
	ready = 0;
	rules_devices_gained(&f->h, &two, 1, flag_cb, &ready);
	rules_devices_lost(&f->h, &two, 1);
	run_until(f, &ready);
	assert_int_equal(ready, 1);
	assert_int_equal(held(f, 2), 0);

	/* Another owner now: the writes are fenced and counted. */
	sql("UPDATE device_leases SET owner = 'u', epoch = 5 "
	    "WHERE device_id = 2");
	feed(f, 2, "device.unreachable", 1);
	passed = 0;
	rules_barrier(&f->h, flag_cb, &passed);
	run_until(f, &passed);
	run_idle(f);
	assert_true(f->r->st.fenced >= 2);	/* the incident, the alarm */
	assert_int_equal(test_fenced, f->r->st.fenced);
	fixture_free(f);
}

/*
 * A database that does not answer: ready comes after the timeout, the
 * engine decides without the state, and the gain still on its way in the
 * store is freed with the module.
 */
static void
test_gain_timeout(void **state)
{
	struct fixture *f = fixture_new("host=/nonexistent port=1 "
	    "connect_timeout=1");
	int64_t ids[2] = { 1, 2 };
	int ready = 0;

	rules_devices_gained(&f->h, ids, 2, flag_cb, &ready);
	run_until(f, &ready);
	assert_int_equal(ready, 1);
	assert_false(TAILQ_EMPTY(&f->r->gains));	/* given up, kept */
	feed(f, 1, "device.unreachable", 1);
	assert_int_equal(held(f, 1), 1);
	fixture_free(f);
}

/* No rules module (rules.enabled = false): both answer at once. */
static void
test_no_rules(void **state)
{
	struct herald h;
	int64_t one = 1;
	int ready = 0, passed = 0;

	memset(&h, 0, sizeof(h));
	rules_devices_gained(&h, &one, 1, flag_cb, &ready);
	rules_barrier(&h, flag_cb, &passed);
	rules_devices_lost(&h, &one, 1);
	assert_int_equal(ready, 1);
	assert_int_equal(passed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_gain_timeout),
		cmocka_unit_test(test_gain_barrier_lost),
	};

	return cmocka_run_group_tests(tests, setup_db, teardown_db);
}
