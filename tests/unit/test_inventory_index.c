/*
 * test_inventory_index.c: the topology index answers what SQL answers.
 *
 * Run by tests/system/33-inventory-index.sh against a database holding a
 * generated inventory (HERALD_TEST_CONNINFO); every scope of every level
 * is compared with the subscriber_locations view, and every account,
 * phone number and ONU serial is looked up. Without a database it skips.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inventory.h"

struct ctx {
	PGconn			*conn;
	struct inventory_index	*x;
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static PGresult *
sql(PGconn *conn, const char *q)
{
	PGresult *res = PQexec(conn, q);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", q, PQresultErrorMessage(res));
	return res;
}

static int
setup(void **state)
{
	const char *ci = getenv("HERALD_TEST_CONNINFO");
	struct ctx *c;
	char err[256];

	if (ci == NULL)
		return 0;
	c = calloc(1, sizeof(*c));
	c->conn = PQconnectdb(ci);
	if (PQstatus(c->conn) != CONNECTION_OK)
		return -1;
	if ((c->x = inventory_index_load(c->conn, err, sizeof(err))) == NULL) {
		fprintf(stderr, "# load: %s\n", err);
		return -1;
	}
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	if (c == NULL)
		return 0;
	inventory_index_free(c->x);
	PQfinish(c->conn);
	free(c);
	return 0;
}

#define NEED_DB(c) do {							\
	if ((c) == NULL)						\
		skip();							\
} while (0)

/* The accounts of one scope, from the index, as sorted subscriber ids. */
static size_t
index_ids(const struct inventory_index *x, struct inventory_scope *s,
    int64_t **ids)
{
	const struct inventory_account *a;
	size_t n, i;

	if (inventory_find(x, s) != 0) {
		*ids = NULL;
		return 0;
	}
	a = inventory_accounts(x, s, &n);
	*ids = calloc(n + 1, sizeof(**ids));
	for (i = 0; i < n; i++)
		(*ids)[i] = a[i].id;
	qsort(*ids, n, sizeof(**ids), cmp_i64);
	return n;
}

/*
 * Rows of (scope key columns..., array of subscriber ids) from SQL; each
 * is looked up in the index and the account sets must be equal.
 */
static void
compare_level(struct ctx *c, enum inventory_scope_kind kind, const char *q)
{
	PGresult *res = sql(c->conn, q);
	struct inventory_scope s;
	int64_t *ids, *want;
	size_t n, m, i;
	int r, total = PQntuples(res);
	char *p, *ids_s;

	assert_true(total > 0);
	for (r = 0; r < total; r++) {
		memset(&s, 0, sizeof(s));
		s.kind = kind;
		s.device_id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
		s.frame = atoi(PQgetvalue(res, r, 1));
		s.slot = atoi(PQgetvalue(res, r, 2));
		s.port = atoi(PQgetvalue(res, r, 3));
		s.onu = atoi(PQgetvalue(res, r, 4));
		s.splitter = PQgetvalue(res, r, 5);
		m = strtoul(PQgetvalue(res, r, 6), NULL, 10);
		want = calloc(m + 1, sizeof(*want));
		ids_s = PQgetvalue(res, r, 7);
		for (i = 0, p = ids_s + 1; i < m; i++)
			want[i] = strtoll(p, &p, 10), p++;
		n = index_ids(c->x, &s, &ids);
		assert_int_equal(n, m);
		for (i = 0; i < n; i++)
			assert_int_equal(ids[i], want[i]);
		free(ids);
		free(want);
	}
	PQclear(res);
}

#define LEVEL_SQL(keys, where)						\
	"SELECT device_id, " keys ", count(*), "			\
	"array_agg(subscriber_id ORDER BY subscriber_id) "		\
	"FROM subscriber_locations WHERE device_id IS NOT NULL " where	\
	" GROUP BY 1, 2, 3, 4, 5, 6"

static void
test_devices(void **state)
{
	NEED_DB(*state);
	compare_level(*state, INVENTORY_DEVICE,
	    LEVEL_SQL("0, 0, 0, 0, ''", ""));
}

static void
test_boards(void **state)
{
	NEED_DB(*state);
	compare_level(*state, INVENTORY_BOARD,
	    LEVEL_SQL("frame, slot, 0, 0, ''", ""));
}

static void
test_ports(void **state)
{
	NEED_DB(*state);
	compare_level(*state, INVENTORY_PORT,
	    LEVEL_SQL("frame, slot, port, 0, ''", ""));
}

static void
test_splitters(void **state)
{
	NEED_DB(*state);
	compare_level(*state, INVENTORY_SPLITTER,
	    LEVEL_SQL("frame, slot, port, 0, splitter",
	    "AND splitter IS NOT NULL"));
}

static void
test_onus(void **state)
{
	NEED_DB(*state);
	compare_level(*state, INVENTORY_ONU,
	    LEVEL_SQL("frame, slot, port, onu, ''", "AND onu IS NOT NULL"));
}

static void
test_lines(void **state)
{
	NEED_DB(*state);
	compare_level(*state, INVENTORY_LINE,
	    LEVEL_SQL("frame, slot, port, 0, ''",
	    "AND dsl_line_id IS NOT NULL"));
}

/* Every account: found, and its scope at each level is what SQL says. */
static void
test_accounts(void **state)
{
	struct ctx *c = *state;
	const struct inventory_account *a;
	struct inventory_scope s;
	PGresult *res;
	int r;

	NEED_DB(c);
	res = sql(c->conn, "SELECT account, subscriber_id, device_id, frame, "
	    "slot, port, coalesce(onu, -1), coalesce(splitter, ''), "
	    "coalesce(serial, ''), onu_ref, dsl_line_id FROM "
	    "subscriber_locations WHERE device_id IS NOT NULL");
	for (r = 0; r < PQntuples(res); r++) {
		a = inventory_by_account(c->x, PQgetvalue(res, r, 0));
		assert_non_null(a);
		assert_int_equal(a->id, strtoll(PQgetvalue(res, r, 1), NULL, 10));
		assert_int_equal(inventory_scope_of(c->x, a, INVENTORY_PORT,
		    &s), 0);
		assert_int_equal(s.device_id,
		    strtoll(PQgetvalue(res, r, 2), NULL, 10));
		assert_int_equal(s.frame, atoi(PQgetvalue(res, r, 3)));
		assert_int_equal(s.slot, atoi(PQgetvalue(res, r, 4)));
		assert_int_equal(s.port, atoi(PQgetvalue(res, r, 5)));
		if (!PQgetisnull(res, r, 9)) {
			assert_int_equal(inventory_scope_of(c->x, a,
			    INVENTORY_ONU, &s), 0);
			assert_int_equal(s.id,
			    strtoll(PQgetvalue(res, r, 9), NULL, 10));
			assert_int_equal(s.onu, atoi(PQgetvalue(res, r, 6)));
			assert_string_equal(s.serial ? s.serial : "",
			    PQgetvalue(res, r, 8));
			assert_string_equal(s.splitter ? s.splitter : "",
			    PQgetvalue(res, r, 7));
			assert_int_equal(inventory_scope_of(c->x, a,
			    INVENTORY_LINE, &s), -1);
		} else {
			assert_int_equal(inventory_scope_of(c->x, a,
			    INVENTORY_LINE, &s), 0);
			assert_int_equal(s.id,
			    strtoll(PQgetvalue(res, r, 10), NULL, 10));
		}
	}
	PQclear(res);
}

static int
has_account(const struct inventory_account **v, size_t n, const char *acct)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i]->account, acct) == 0)
			return 1;
	return 0;
}

static void
test_phones(void **state)
{
	struct ctx *c = *state;
	const struct inventory_account *v[16];
	char pretty[64];
	PGresult *res;
	const char *ph;
	size_t n;
	int r;

	NEED_DB(c);
	res = sql(c->conn, "SELECT p, account FROM subscribers, "
	    "unnest(phones) WITH ORDINALITY AS u(p, k) WHERE k <= 4");
	for (r = 0; r < PQntuples(res); r++) {
		ph = PQgetvalue(res, r, 0);
		n = inventory_by_phone(c->x, ph, v, 16);
		assert_true(has_account(v, n, PQgetvalue(res, r, 1)));
		if (ph[0] == '1') {	/* as a caller would type it */
			snprintf(pretty, sizeof(pretty), "+86 %.3s-%.4s-%s", ph,
			    ph + 3, ph + 7);
			n = inventory_by_phone(c->x, pretty, v, 16);
			assert_true(has_account(v, n, PQgetvalue(res, r, 1)));
		}
	}
	PQclear(res);
	assert_int_equal(inventory_by_phone(c->x, "19999999999", v, 16), 0);
}

/*
 * 33-inventory-index adds account Z013800138000, whose file gives its phone
 * as 013800138000 (a long-distance 0 before a mobile): the caller ID and
 * an SMS use 13800138000, and that must find it.
 */
static void
test_phone_trunk_zero(void **state)
{
	struct ctx *c = *state;
	const struct inventory_account *v[16];
	const char *forms[] = { "13800138000", "+86 138 0013 8000",
	    "013800138000" };
	size_t i, n;

	NEED_DB(c);
	for (i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		n = inventory_by_phone(c->x, forms[i], v, 16);
		if (!has_account(v, n, "Z013800138000"))
			fail_msg("%s does not find Z013800138000", forms[i]);
	}
}

static void
test_serials(void **state)
{
	struct ctx *c = *state;
	struct inventory_scope s;
	PGresult *res;
	int r;

	NEED_DB(c);
	res = sql(c->conn, "SELECT DISTINCT serial, onu_ref, count(*) OVER "
	    "(PARTITION BY onu_ref) FROM subscriber_locations WHERE serial "
	    "IS NOT NULL");
	assert_true(PQntuples(res) > 0);
	for (r = 0; r < PQntuples(res); r++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(inventory_by_serial(c->x, PQgetvalue(res, r, 0),
		    &s), 0);
		assert_int_equal(s.kind, INVENTORY_ONU);
		assert_int_equal(s.id, strtoll(PQgetvalue(res, r, 1), NULL, 10));
		assert_int_equal(s.count, atoi(PQgetvalue(res, r, 2)));
	}
	PQclear(res);
}

/*
 * Every port with an ifIndex and accounts: inventory_by_ifindex() gives
 * its DSL line (or the port when no line hangs off it) with the accounts
 * SQL counts. 33-inventory-index.sh imports DSL lines with if_index and
 * gives one PON port an ifIndex by hand, for the port case.
 */
static void
test_ifindex(void **state)
{
	struct ctx *c = *state;
	struct inventory_scope s, f;
	PGresult *res;
	int r, lines = 0, ports = 0;

	NEED_DB(c);
	/* Accounts per port counted once, not per port (the view is wide). */
	res = sql(c->conn, "WITH n AS (SELECT port_id, count(*) AS n"
	    " FROM subscriber_locations GROUP BY port_id)"
	    " SELECT b.device_id, p.if_index, p.id,"
	    " coalesce(l.id, 0), b.frame, b.slot, p.port, n.n"
	    " FROM ports p JOIN boards b ON b.id = p.board_id"
	    " JOIN n ON n.port_id = p.id"
	    " LEFT JOIN dsl_lines l ON l.port_id = p.id"
	    " WHERE p.if_index IS NOT NULL");
	for (r = 0; r < PQntuples(res); r++) {
		int64_t line = strtoll(PQgetvalue(res, r, 3), NULL, 10);

		assert_int_equal(inventory_by_ifindex(c->x,
		    strtoll(PQgetvalue(res, r, 0), NULL, 10),
		    strtoll(PQgetvalue(res, r, 1), NULL, 10), &s), 0);
		assert_int_equal(s.kind, line ? INVENTORY_LINE :
		    INVENTORY_PORT);
		assert_int_equal(s.id, line ? line :
		    strtoll(PQgetvalue(res, r, 2), NULL, 10));
		assert_int_equal(s.frame, atoi(PQgetvalue(res, r, 4)));
		assert_int_equal(s.slot, atoi(PQgetvalue(res, r, 5)));
		assert_int_equal(s.port, atoi(PQgetvalue(res, r, 6)));
		assert_int_equal(s.count, atoi(PQgetvalue(res, r, 7)));
		/* The same scope as a lookup by place. */
		f = s;
		f.id = 0;
		f.first = f.count = 0;
		assert_int_equal(inventory_find(c->x, &f), 0);
		assert_int_equal(f.first, s.first);
		assert_int_equal(f.count, s.count);
		line ? lines++ : ports++;
	}
	PQclear(res);
	assert_true(lines > 100);
	assert_int_equal(ports, 1);
	/* Unknown: another device, an ifIndex nobody has, out of range. */
	res = sql(c->conn, "SELECT b.device_id, p.if_index FROM ports p"
	    " JOIN boards b ON b.id = p.board_id JOIN dsl_lines l"
	    " ON l.port_id = p.id WHERE p.if_index IS NOT NULL LIMIT 1");
	assert_int_equal(PQntuples(res), 1);
	assert_int_equal(inventory_by_ifindex(c->x, 999999999,
	    strtoll(PQgetvalue(res, 0, 1), NULL, 10), &s), -1);
	assert_int_equal(inventory_by_ifindex(c->x,
	    strtoll(PQgetvalue(res, 0, 0), NULL, 10), 7, &s), -1);
	assert_int_equal(inventory_by_ifindex(c->x,
	    strtoll(PQgetvalue(res, 0, 0), NULL, 10), 1LL << 40, &s), -1);
	assert_int_equal(inventory_by_ifindex(c->x,
	    strtoll(PQgetvalue(res, 0, 0), NULL, 10), -1, &s), -1);
	assert_int_equal(inventory_by_ifindex(NULL, 1, 1, &s), -1);
	PQclear(res);
}

static void
test_unknown(void **state)
{
	struct ctx *c = *state;
	struct inventory_scope s;

	NEED_DB(c);
	memset(&s, 0, sizeof(s));
	s.kind = INVENTORY_DEVICE;
	s.device = "no-such-device";
	assert_int_equal(inventory_find(c->x, &s), -1);
	s.device = NULL;
	s.device_id = 999999999;
	assert_int_equal(inventory_find(c->x, &s), -1);
	assert_null(inventory_by_account(c->x, "no-such-account"));
	assert_int_equal(inventory_by_serial(c->x, "NOSUCHSERIAL", &s), -1);
	/* A known device by name, a board it does not have. */
	s.device_id = 0;
	s.device = "OLT-0000";
	assert_int_equal(inventory_find(c->x, &s), 0);
	s.kind = INVENTORY_BOARD;
	s.frame = 7;
	s.slot = 99;
	assert_int_equal(inventory_find(c->x, &s), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_boards),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_splitters),
		cmocka_unit_test(test_onus),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_ifindex),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_phones),
		cmocka_unit_test(test_phone_trunk_zero),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests_name("inventory_index", tests, setup,
	    teardown);
}
