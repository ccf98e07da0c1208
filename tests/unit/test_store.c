/*
 * test_store.c: the asynchronous store against the suite's real PostgreSQL
 * (HERALD_TEST_PGHOST/PGPORT from tests/run; skipped without them):
 * parameters, COPY, SQL errors, LISTEN/NOTIFY and the queue limit; a COPY
 * that the server refuses while it is still being sent; a stalled
 * connection that is detected and reopened.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

static struct event_base *test_base;	/* for the stall test's timer */

struct fixture {
	struct event_base	*base;
	struct store		*st;
	int			 done;
	char			 got[256];
	ExecStatusType		 status;
};

static void
up_cb(struct store *st, enum store_state s, void *arg)
{
	struct fixture *f = arg;

	if (s == STORE_UP)
		event_base_loopbreak(f->base);
}

static int
setup(void **state)
{
	const char *host = getenv("HERALD_TEST_PGHOST");
	const char *port = getenv("HERALD_TEST_PGPORT");
	struct timeval tv = { 10, 0 };
	struct fixture *f;
	char ci[512];

	if (host == NULL || port == NULL)
		return 0;
	f = calloc(1, sizeof(*f));
	snprintf(ci, sizeof(ci), "host=%s port=%s user=postgres dbname=postgres",
	    host, port);
	f->base = event_base_new();
	f->st = store_new(f->base, ci, 5, 3);
	store_watch(f->st, up_cb, f);
	store_start(f->st);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f != NULL) {
		store_free(f->st);
		event_base_free(f->base);
		free(f);
	}
	return 0;
}

static struct fixture *
fixture_or_skip(void **state)
{
	struct fixture *f = *state;

	assert_non_null(f);
	assert_int_equal(store_state(f->st), STORE_UP);
	f->done = 0;
	f->got[0] = '\0';
	return f;
}

static void
result_cb(struct store *st, PGresult *res, void *arg)
{
	struct fixture *f = arg;

	f->status = PQresultStatus(res);
	if (f->status == PGRES_TUPLES_OK && PQntuples(res) > 0)
		snprintf(f->got, sizeof(f->got), "%s", PQgetvalue(res, 0, 0));
	else if (f->status == PGRES_FATAL_ERROR)
		snprintf(f->got, sizeof(f->got), "%s", store_errmsg(res));
	f->done++;
}

static void
run_until(struct fixture *f, int n)
{
	struct timeval tv = { 0, 20000 };
	int i;

	for (i = 0; i < 500 && f->done < n; i++) {
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	assert_int_equal(f->done, n);
}

static void
test_params(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	const char *p[2] = { "北京'; DROP TABLE x; --", NULL };

	assert_int_equal(store_query(f->st, "SELECT $1::text || coalesce($2, '|null')",
	    2, p, result_cb, f), 0);
	run_until(f, 1);
	assert_int_equal(f->status, PGRES_TUPLES_OK);
	assert_string_equal(f->got, "北京'; DROP TABLE x; --|null");
}

static void
test_copy(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	static const char rows[] = "1\tone\n2\ttwo\\tand tab\n3\t\\N\n";

	store_query(f->st, "CREATE TEMP TABLE c (a int, b text)", 0, NULL,
	    result_cb, f);
	store_copy(f->st, "COPY c (a, b) FROM STDIN", rows, strlen(rows),
	    result_cb, f);
	run_until(f, 2);
	assert_int_equal(f->status, PGRES_COMMAND_OK);
	store_query(f->st, "SELECT count(*) || ':' || max(b) || ':' || "
	    "count(b) FROM c", 0, NULL, result_cb, f);
	run_until(f, 3);
	assert_string_equal(f->got, "3:two\tand tab:2");
}

static void
test_sql_error(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	store_query(f->st, "SELECT * FROM no_such_table", 0, NULL, result_cb, f);
	store_query(f->st, "SELECT 'still fine'", 0, NULL, result_cb, f);
	run_until(f, 2);
	assert_int_equal(f->status, PGRES_TUPLES_OK);
	assert_string_equal(f->got, "still fine");
}

/*
 * The server refuses the first row of a big COPY: it answers (error and
 * ReadyForQuery) while heraldd is still sending, libpq reads that answer
 * while it writes, and the store must see it without waiting for the
 * socket, which will not become readable again.
 */
static void
test_copy_refused_in_flight(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	size_t i, len = 16 * 1024 * 1024;
	char *data = malloc(len);

	memcpy(data, "x\n", 2);
	for (i = 2; i + 2 <= len; i += 2)
		memcpy(data + i, "1\n", 2);
	store_query(f->st, "CREATE TEMP TABLE big (a int)", 0, NULL, result_cb,
	    f);
	assert_int_equal(store_copy(f->st, "COPY big (a) FROM STDIN", data,
	    len, result_cb, f), 0);
	free(data);
	run_until(f, 2);
	assert_int_equal(f->status, PGRES_FATAL_ERROR);
	store_query(f->st, "SELECT 'after ' || count(*) FROM big", 0, NULL,
	    result_cb, f);
	run_until(f, 3);
	assert_string_equal(f->got, "after 0");
}

struct stall_ctx {
	PGconn		*holder;
	struct store	*st;
};

static void
release_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stall_ctx *c = arg;

	/* Only once the store noticed the stall and reconnected. */
	if (store_stalls(c->st) == 0) {
		struct timeval tv = { 0, 200000 };

		event_base_once(test_base, -1, EV_TIMEOUT,
		    release_cb, c, &tv);
		return;
	}
	PQclear(PQexec(c->holder, "SELECT pg_advisory_unlock(4242)"));
}

static void
test_stall(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	char ci[512];
	struct stall_ctx c;
	struct timeval tv = { 0, 500000 };

	snprintf(ci, sizeof(ci), "host=%s port=%s user=postgres dbname=postgres",
	    getenv("HERALD_TEST_PGHOST"), getenv("HERALD_TEST_PGPORT"));
	c.holder = PQconnectdb(ci);
	c.st = f->st;
	assert_int_equal(PQstatus(c.holder), CONNECTION_OK);
	PQclear(PQexec(c.holder, "SELECT pg_advisory_lock(4242)"));
	store_set_stall_timeout(f->st, 1);
	test_base = f->base;
	store_query(f->st, "SELECT 'got ' || pg_advisory_xact_lock(4242)::text",
	    0, NULL, result_cb, f);
	event_base_once(f->base, -1, EV_TIMEOUT, release_cb, &c, &tv);
	run_until(f, 1);
	assert_true(store_stalls(f->st) >= 1);
	assert_true(store_connects(f->st) >= 2);
	assert_string_equal(f->got, "got ");
	assert_int_equal(store_stuck(f->st), 0);
	PQfinish(c.holder);
	store_set_stall_timeout(f->st, 30);
}

static void
notify_cb(struct store *st, const char *ch, const char *payload, void *arg)
{
	struct fixture *f = arg;

	snprintf(f->got, sizeof(f->got), "%s:%s", ch, payload);
	f->done++;
}

static void
test_listen(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	store_listen(f->st, "herald_test", notify_cb, f);
	store_query(f->st, "SELECT pg_notify('herald_test', 'hello')", 0, NULL,
	    NULL, NULL);
	run_until(f, 1);
	assert_string_equal(f->got, "herald_test:hello");
}

static void
test_queue_limit(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	int i, accepted = 0;

	/* queue_max is 3 in this fixture. */
	for (i = 0; i < 5; i++)
		accepted += store_query(f->st, "SELECT 1", 0, NULL, result_cb,
		    f) == 0;
	assert_int_equal(accepted, 3);
	assert_int_equal(store_queued(f->st), 3);
	run_until(f, 3);
	assert_int_equal(store_queued(f->st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_sql_error),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_copy_refused_in_flight),
		cmocka_unit_test(test_stall),
	};

	log_init(1, LOG_LEVEL_ERROR, 0);
	if (getenv("HERALD_TEST_PGHOST") == NULL) {
		/* cmocka reports a skip as "not ok # SKIP"; say it in TAP. */
		printf("1..0 # SKIP no PostgreSQL for tests (run tests/run)\n");
		return 0;
	}
	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
