/*
 * stats.h: counters that modules publish for operators and tests: a log
 * line ("stats trap: received=10 ...") and one row per counter in the
 * collector_stats table (instance, collector, name, value).
 */
#ifndef HERALD_STATS_H
#define HERALD_STATS_H

#include <stddef.h>

struct herald;

struct stats_counter {
	const char		*name;	/* [a-z0-9_]+ */
	unsigned long long	 value;
};

/*
 * Publish a module's counters: logged at info level when they changed since
 * the last call for this collector (always when final), and upserted into
 * collector_stats when the database is up (not when final: heraldd is
 * stopping).
 */
void	stats_publish(struct herald *, const char *collector,
	    const struct stats_counter *, size_t n, int final);

/*
 * The values last published, for /metrics: cb is called once per counter,
 * collectors in the order they first published.
 */
void	stats_foreach(void (*cb)(const char *collector, const char *name,
	    unsigned long long value, void *arg), void *arg);

/*
 * The instance name used in collector_stats, notification claims and the
 * instances table: cluster.name, else the host name.
 */
const char *stats_instance(void);
void	stats_set_instance(const char *);

#endif
