/*
 * store.h: herald's PostgreSQL connection, driven by the event loop.
 *
 * Statements are queued and sent one at a time over libpq's asynchronous
 * interface; nothing here blocks. When the server goes away the statement in
 * flight stays at the head of the queue and is sent again after the
 * reconnect, so delivery is at-least-once: writers make their statements
 * idempotent (ON CONFLICT, natural keys). Large writes go as one COPY.
 */
#ifndef HERALD_STORE_H
#define HERALD_STORE_H

#include <libpq-fe.h>
#include <stddef.h>

struct event_base;
struct store;

enum store_state {
	STORE_DOWN = 0,
	STORE_CONNECTING,
	STORE_UP,
};

/* res is the last result of the statement (an error result on SQL errors). */
typedef void	(*store_result_cb)(struct store *, PGresult *res, void *arg);
typedef void	(*store_notify_cb)(struct store *, const char *channel,
		    const char *payload, void *arg);
typedef void	(*store_state_cb)(struct store *, enum store_state, void *arg);

struct store	*store_new(struct event_base *, const char *conninfo,
		    int connect_timeout, size_t queue_max);
void		 store_start(struct store *);
void		 store_free(struct store *);
/*
 * Name the connection in its log lines ("decisions: database connection
 * lost ..."), when a process has more than one; the first has none.
 */
void		 store_set_label(struct store *, const char *);
/* Switch to another server: takes effect on the next (re)connect. */
void		 store_set_conninfo(struct store *, const char *);
enum store_state store_state(const struct store *);
size_t		 store_queued(const struct store *);
/* Connections made so far (the first is 1); tests and metrics read it. */
unsigned	 store_connects(const struct store *);
/*
 * A connection that is up with work queued and nothing finished for this
 * many seconds is dropped and reopened (default 30).
 */
void		 store_set_stall_timeout(struct store *, int seconds);
/* Stalls detected so far. */
unsigned	 store_stalls(const struct store *);
/*
 * Seconds since the store stopped making progress, counted from before the
 * first stall and across the reconnects it caused; 0 when it is not stuck
 * (progressing, idle, or simply unable to reach the server).
 */
int		 store_stuck(const struct store *);

/*
 * Queue a statement with text parameters (NULL pointer = SQL NULL); the
 * strings are copied. -1 when the queue is full: nothing was queued.
 */
int		 store_query(struct store *, const char *sql, int nparams,
		    const char *const *params, store_result_cb, void *arg);
/* Queue "COPY ... FROM STDIN" with its text-format data (copied). */
int		 store_copy(struct store *, const char *copy_sql,
		    const char *data, size_t len, store_result_cb, void *arg);
/* LISTEN on a channel, again after every reconnect. */
void		 store_listen(struct store *, const char *channel,
		    store_notify_cb, void *arg);
/* Be told of every state change (connected, lost, reconnecting). */
void		 store_watch(struct store *, store_state_cb, void *arg);

/* First line of a result's error message, for logs. */
const char	*store_errmsg(const PGresult *);

#endif
