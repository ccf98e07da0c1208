/*
 * inventory-lookup.c: time the index's lookups on a loaded inventory, per
 * scope kind and size (bench/inventory runs it). Prints one line per kind:
 * scopes tried, mean accounts per scope, ns per lookup, ns per account.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const kind_names[] = {
	"device", "board", "port", "splitter", "onu", "line",
};

/* Each account's scope of the kind, looked up again by its numbers. */
static void
bench_kind(const struct inventory_index *x, enum inventory_scope_kind kind,
    size_t step)
{
	const struct inventory_account *a, *v;
	struct inventory_scope s, q;
	size_t i, n, tried = 0, accounts = 0, found, sum = 0;
	struct inventory_stats st;
	double t0, t;

	inventory_index_stats(x, &st);
	t0 = now();
	for (i = 0; i < st.accounts; i += step) {
		a = inventory_account_at(x, (uint32_t)i);
		if (inventory_scope_of(x, a, kind, &s) != 0)
			continue;
		memset(&q, 0, sizeof(q));
		q.kind = kind;
		q.device_id = s.device_id;
		q.frame = s.frame, q.slot = s.slot, q.port = s.port;
		q.onu = s.onu, q.splitter = s.splitter;
		if (inventory_find(x, &q) != 0)
			continue;
		v = inventory_accounts(x, &q, &found);
		for (n = 0; n < found; n++)	/* touch each answer */
			sum += (size_t)v[n].phones[0];
		tried++;
		accounts += found;
	}
	t = now() - t0;
	if (tried == 0)
		return;
	printf("lookup %-8s scopes=%zu mean_accounts=%.1f ns_per_lookup=%.0f "
	    "ns_per_account=%.1f%s\n", kind_names[kind], tried,
	    (double)accounts / (double)tried, t * 1e9 / (double)tried,
	    t * 1e9 / (double)(accounts ? accounts : 1), sum == 1 ? " " : "");
}

static void
bench_points(const struct inventory_index *x)
{
	struct inventory_stats st;
	const struct inventory_account *a;
	struct inventory_scope s;
	size_t i, hits = 0;
	double t0, t;

	inventory_index_stats(x, &st);
	t0 = now();
	for (i = 0; i < st.accounts; i++) {
		a = inventory_account_at(x, (uint32_t)i);
		hits += inventory_by_account(x, a->account) != NULL;
		hits += inventory_scope_of(x, a, INVENTORY_PORT, &s) == 0;
	}
	t = now() - t0;
	printf("lookup account+scope_of n=%zu ns_per_op=%.0f (hits %zu)\n",
	    st.accounts, t * 1e9 / (double)st.accounts, hits);
}

int
main(int argc, char **argv)
{
	struct inventory_index *x;
	struct inventory_stats st;
	char err[256];
	PGconn *conn;
	int k;

	if (argc != 2) {
		fprintf(stderr, "usage: inventory-lookup CONNINFO\n");
		return 64;
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK ||
	    (x = inventory_index_load(conn, err, sizeof(err))) == NULL) {
		fprintf(stderr, "inventory-lookup: %s\n",
		    PQstatus(conn) != CONNECTION_OK ? PQerrorMessage(conn) : err);
		return 1;
	}
	inventory_index_stats(x, &st);
	printf("index accounts=%zu bytes=%zu bytes_per_account=%.0f "
	    "build_s=%.2f\n", st.accounts, st.bytes,
	    (double)st.bytes / (double)(st.accounts ? st.accounts : 1),
	    st.build_seconds);
	for (k = INVENTORY_DEVICE; k <= INVENTORY_LINE; k++)
		bench_kind(x, k, k <= INVENTORY_BOARD ? 997 : 13);
	bench_points(x);
	inventory_index_free(x);
	PQfinish(conn);
	return 0;
}
