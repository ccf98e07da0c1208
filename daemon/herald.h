/*
 * herald.h: the context every part of heraldd is handed. There is no global
 * god-struct: modules keep their own state behind the pointers below.
 */
#ifndef HERALD_HERALD_H
#define HERALD_HERALD_H

struct event_base;
struct event;
struct herald_conf;
struct store;

struct herald {
	struct event_base	*base;
	struct herald_conf	*conf;
	/*
	 * Two connections to the same database. store carries the firehose
	 * (event COPY batches, stats, heartbeats); decide carries the rules
	 * engine's decisions (alarms, incidents, their accounts, and later
	 * tickets and the outbox). libpq runs one statement at a time per
	 * connection, so on one connection even a prioritised incident write
	 * would wait for a 5,000-row COPY already in flight; on its own
	 * connection PostgreSQL runs both at once.
	 */
	struct store		*store;
	struct store		*decide;
	int			 foreground;

	/* Module state, owned by the module named. */
	struct cluster		*cluster;
	struct heartbeat	*heartbeat;
	struct events		*events;
	struct trap		*trap;
	struct poller		*poller;
	struct inventory	*inventory;
	struct rules		*rules;
	struct api		*api;
	struct notify		*notify;
	struct sla		*sla;
};

/* heraldd's main(); a library function so that tests can link it. */
int	herald_main(int, char **);

#endif
