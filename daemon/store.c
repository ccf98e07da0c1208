/*
 * store.c: one asynchronous libpq connection on the libevent loop.
 *
 * Shape follows libusual's pgsocket.c and the PostgreSQL manual's
 * "Asynchronous Command Processing": PQconnectStart/PQconnectPoll to
 * connect, PQsendQueryParams + PQflush to send, PQconsumeInput + PQisBusy +
 * PQgetResult to read. The socket event is one-shot and re-armed for what
 * libpq wants next, because PQsocket() may change while connecting.
 */
#include "config.h"

#include <sys/queue.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Reconnection back-off, seconds. The ceiling is short on purpose: while
 * the database is away nothing is decided (in a cluster no instance acts
 * for any device), so a database that is back must be used within
 * seconds, not half a minute; an attempt every 5 s costs a dead server
 * nothing.
 */
#define STORE_BACKOFF_MIN	0.5
#define STORE_BACKOFF_MAX	5.0
#define STORE_COPY_CHUNK	65536
#define STORE_STALL_DEFAULT	30	/* seconds */

enum item_phase {
	ITEM_QUEUED = 0,
	ITEM_SENT,		/* waiting for results */
	ITEM_COPY_DATA,		/* server is in COPY IN: sending data */
	ITEM_COPY_END,		/* data sent, PQputCopyEnd pending */
};

struct store_item {
	TAILQ_ENTRY(store_item)	 entry;
	char			*sql;
	int			 nparams;
	char			**params;
	char			*copy;		/* COPY data, or NULL */
	size_t			 copy_len;
	size_t			 copy_off;
	enum item_phase		 phase;
	int			 internal;	/* LISTEN etc.: not counted */
	store_result_cb		 cb;
	void			*arg;
};

struct store_hook {
	TAILQ_ENTRY(store_hook)	 entry;
	char			*channel;	/* NULL for state watchers */
	store_notify_cb		 notify_cb;
	store_state_cb		 state_cb;
	void			*arg;
};

TAILQ_HEAD(store_items, store_item);
TAILQ_HEAD(store_hooks, store_hook);

struct store {
	struct event_base	*base;
	char			*conninfo;
	int			 connect_timeout;
	size_t			 queue_max;
	PGconn			*conn;
	enum store_state	 state;
	struct event		*ev_sock;
	struct event		*ev_timer;
	struct event		*ev_stall;	/* once a second */
	double			 backoff;
	unsigned		 connects;
	unsigned		 rotate;	/* attempts that timed out */
	int			 down_logged;	/* "unreachable" said once */
	struct store_items	 queue;
	size_t			 nqueued;
	PGresult		*last;		/* last result of item in flight */
	struct store_hooks	 listeners;
	struct store_hooks	 watchers;
	int			 stall_timeout;
	time_t			 progress;	/* monotonic: last progress */
	time_t			 stuck_since;	/* first stall, 0 = none */
	unsigned		 stalls;
	char			 label[32];	/* "decisions: " or "" */
};

static void	store_connect(struct store *);
static void	store_lost(struct store *, const char *);
static void	store_kick(struct store *);
static void	store_io_cb(evutil_socket_t, short, void *);
static void	store_connect_cb(evutil_socket_t, short, void *);

static time_t
store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Something moved: a statement finished, data went out, a connect. */
static void
store_progress(struct store *st)
{
	st->progress = store_now();
}

static void
store_set_state(struct store *st, enum store_state s)
{
	struct store_hook *h;

	if (st->state == s)
		return;
	st->state = s;
	TAILQ_FOREACH(h, &st->watchers, entry)
		h->state_cb(st, s, h->arg);
}

/* Arm the one-shot socket event for what libpq waits on. */
static void
store_wait(struct store *st, short what, event_callback_fn cb)
{
	event_del(st->ev_sock);
	event_assign(st->ev_sock, st->base, PQsocket(st->conn), what, cb, st);
	event_add(st->ev_sock, NULL);
}

static void
store_notice_cb(void *arg, const char *msg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s", msg);
	line[strcspn(line, "\n")] = '\0';
	log_debug("db", "server: %s", line);
}

const char *
store_errmsg(const PGresult *res)
{
	static char buf[512];
	const char *m = res ? PQresultErrorMessage(res) : NULL;

	snprintf(buf, sizeof(buf), "%s", m && *m ? m : "no result");
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
store_item_free(struct store_item *it)
{
	int i;

	for (i = 0; i < it->nparams; i++)
		free(it->params[i]);
	free(it->params);
	free(it->sql);
	free(it->copy);
	free(it);
}

static void
store_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;

	if (st->state == STORE_CONNECTING) {
		st->rotate++;	/* the next attempt starts one host later */
		store_lost(st, "connection attempt timed out");
	}
	else if (st->state == STORE_DOWN)
		store_connect(st);
}

static void
store_schedule_reconnect(struct store *st)
{
	struct timeval tv;
	double d = st->backoff * (0.75 + 0.5 * ((double)random() / RAND_MAX));

	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	evtimer_add(st->ev_timer, &tv);
	st->backoff *= 2;
	if (st->backoff > STORE_BACKOFF_MAX)
		st->backoff = STORE_BACKOFF_MAX;
}

/*
 * Close the connection and try again later. The statement in flight goes
 * back to the queue; a COMMIT whose answer never came may be applied twice.
 */
static void
store_lost(struct store *st, const char *why)
{
	struct store_item *it;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", why && *why ? why : "unknown error");
	msg[strcspn(msg, "\n")] = '\0';
	if (st->state == STORE_UP)
		log_warnx("%sdatabase connection lost: %s; reconnecting",
		    st->label, msg);
	else if (!st->down_logged)
		log_warnx("%sdatabase unreachable: %s; retrying", st->label,
		    msg);
	st->down_logged = 1;
	/* A server that cannot be reached is an outage, not a stuck writer. */
	if (st->state != STORE_UP)
		st->stuck_since = 0;

	event_del(st->ev_sock);
	evtimer_del(st->ev_timer);
	if (st->conn != NULL)
		PQfinish(st->conn);
	st->conn = NULL;
	PQclear(st->last);
	st->last = NULL;
	TAILQ_FOREACH(it, &st->queue, entry) {
		it->phase = ITEM_QUEUED;
		it->copy_off = 0;
	}
	store_set_state(st, STORE_DOWN);
	store_schedule_reconnect(st);
}

static void
store_push_listens(struct store *st)
{
	struct store_hook *h;
	struct store_item *it;
	char *ident;

	TAILQ_FOREACH_REVERSE(h, &st->listeners, store_hooks, entry) {
		it = xcalloc(1, sizeof(*it));
		ident = PQescapeIdentifier(st->conn, h->channel,
		    strlen(h->channel));
		xasprintf(&it->sql, "LISTEN %s", ident);
		PQfreemem(ident);
		it->internal = 1;
		TAILQ_INSERT_HEAD(&st->queue, it, entry);
	}
}

static void
store_connected(struct store *st)
{
	evtimer_del(st->ev_timer);
	PQsetnonblocking(st->conn, 1);
	PQsetNoticeProcessor(st->conn, store_notice_cb, st);
	st->connects++;
	st->backoff = STORE_BACKOFF_MIN;
	store_progress(st);
	if (st->connects == 1)
		log_info("%sdatabase connected", st->label);
	else
		log_info("%sdatabase connection restored (connection %u)",
		    st->label, st->connects);
	st->down_logged = 0;
	store_push_listens(st);
	store_wait(st, EV_READ, store_io_cb);
	store_set_state(st, STORE_UP);	/* watchers may queue statements */
	store_kick(st);
}

static void
store_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;

	switch (PQconnectPoll(st->conn)) {
	case PGRES_POLLING_READING:
		store_wait(st, EV_READ, store_connect_cb);
		break;
	case PGRES_POLLING_WRITING:
		store_wait(st, EV_WRITE, store_connect_cb);
		break;
	case PGRES_POLLING_OK:
		store_connected(st);
		break;
	default:
		store_lost(st, PQerrorMessage(st->conn));
		break;
	}
}

/* A comma-separated list rotated left by k ("a,b,c" by 1: "b,c,a"). */
static char *
store_rotate_list(const char *list, unsigned k)
{
	size_t n = 1, len = strlen(list), i, off = 0;
	const char *p;
	char *out = xcalloc(1, len + 2);

	for (p = list; *p != '\0'; p++)
		if (*p == ',')
			n++;
	for (i = 0; i < n; i++) {
		size_t want = (k + i) % n, j = 0, l;

		for (p = list; j < want; p++)
			if (*p == ',')
				j++;
		l = strcspn(p, ",");
		memcpy(out + off, p, l);
		off += l;
		if (i + 1 < n)
			out[off++] = ',';
	}
	out[off] = '\0';
	return out;
}

/*
 * libpq's asynchronous connect ignores connect_timeout, and our deadline
 * abandons the whole attempt. With several hosts ("host=a,b port=p,q
 * target_session_attrs=read-write"), a first host that hangs (a machine
 * gone, its packets dropped) would end every attempt before the second is
 * tried. So after each attempt that timed out the host lists start one
 * host later; a host that refuses at once is skipped by libpq itself, and
 * the conninfo is otherwise passed to libpq as written.
 */
static PGconn *
store_connect_start(struct store *st)
{
	PQconninfoOption *opts, *o;
	const char **kw, **val;
	char *err = NULL, *rot[8];
	size_t n = 0, i = 0, nrot = 0;
	PGconn *conn;

	if (st->rotate == 0 ||
	    (opts = PQconninfoParse(st->conninfo, &err)) == NULL) {
		PQfreemem(err);
		return PQconnectStart(st->conninfo);
	}
	for (o = opts; o->keyword != NULL; o++)
		n++;
	kw = xcalloc(n + 1, sizeof(*kw));
	val = xcalloc(n + 1, sizeof(*val));
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		kw[i] = o->keyword;
		val[i] = o->val;
		if ((strcmp(o->keyword, "host") == 0 ||
		    strcmp(o->keyword, "hostaddr") == 0 ||
		    strcmp(o->keyword, "port") == 0) &&
		    strchr(o->val, ',') != NULL && nrot < 8)
			val[i] = rot[nrot++] = store_rotate_list(o->val,
			    st->rotate);
		i++;
	}
	conn = PQconnectStartParams(kw, val, 0);
	while (nrot > 0)
		free(rot[--nrot]);
	free(kw);
	free(val);
	PQconninfoFree(opts);
	return conn;
}

static void
store_connect(struct store *st)
{
	struct timeval tv = { st->connect_timeout, 0 };

	st->conn = store_connect_start(st);
	if (st->conn == NULL) {
		store_lost(st, "out of memory");
		return;
	}
	if (PQstatus(st->conn) == CONNECTION_BAD) {
		store_lost(st, PQerrorMessage(st->conn));
		return;
	}
	store_set_state(st, STORE_CONNECTING);
	/* connect_timeout is ignored by PQconnectPoll: keep our own deadline. */
	evtimer_add(st->ev_timer, &tv);
	store_wait(st, EV_WRITE, store_connect_cb);
}

/*
 * Push what libpq has buffered; wait for writability while it can't. Once
 * all is sent, the answer may already be in libpq's input buffer (it reads
 * while it writes): then read it now instead of waiting for the socket.
 */
static int
store_flush(struct store *st)
{
	struct store_item *it;

	switch (PQflush(st->conn)) {
	case 0:
		it = TAILQ_FIRST(&st->queue);
		if (it != NULL && it->phase == ITEM_SENT && !PQisBusy(st->conn)) {
			event_del(st->ev_sock);
			event_assign(st->ev_sock, st->base, PQsocket(st->conn),
			    EV_READ, store_io_cb, st);
			event_active(st->ev_sock, EV_READ, 0);
		} else
			store_wait(st, EV_READ, store_io_cb);
		return 0;
	case 1:
		store_wait(st, EV_READ | EV_WRITE, store_io_cb);
		return 0;
	default:
		store_lost(st, PQerrorMessage(st->conn));
		return -1;
	}
}

static int
store_send_copy(struct store *st, struct store_item *it)
{
	size_t n;
	int r;

	while (it->phase == ITEM_COPY_DATA && it->copy_off < it->copy_len) {
		n = it->copy_len - it->copy_off;
		if (n > STORE_COPY_CHUNK)
			n = STORE_COPY_CHUNK;
		r = PQputCopyData(st->conn, it->copy + it->copy_off, (int)n);
		if (r == 0) {
			store_wait(st, EV_READ | EV_WRITE, store_io_cb);
			return 0;
		}
		if (r < 0) {
			store_lost(st, PQerrorMessage(st->conn));
			return -1;
		}
		it->copy_off += n;
		store_progress(st);
	}
	it->phase = ITEM_COPY_END;
	r = PQputCopyEnd(st->conn, NULL);
	if (r == 0) {
		store_wait(st, EV_READ | EV_WRITE, store_io_cb);
		return 0;
	}
	if (r < 0) {
		store_lost(st, PQerrorMessage(st->conn));
		return -1;
	}
	it->phase = ITEM_SENT;
	return store_flush(st);
}

static void
store_kick(struct store *st)
{
	struct store_item *it = TAILQ_FIRST(&st->queue);
	int ok;

	if (st->state != STORE_UP || it == NULL || it->phase != ITEM_QUEUED)
		return;
	if (it->nparams > 0 || it->copy == NULL)
		ok = PQsendQueryParams(st->conn, it->sql, it->nparams, NULL,
		    (const char *const *)it->params, NULL, NULL, 0);
	else
		ok = PQsendQuery(st->conn, it->sql);
	if (!ok) {
		store_lost(st, PQerrorMessage(st->conn));
		return;
	}
	it->phase = ITEM_SENT;
	store_flush(st);
}

static void
store_finish_item(struct store *st, struct store_item *it)
{
	PGresult *res = st->last;

	st->last = NULL;
	TAILQ_REMOVE(&st->queue, it, entry);
	if (!it->internal)
		st->nqueued--;
	store_progress(st);
	if (!it->internal)	/* LISTENs after a reconnect move nothing */
		st->stuck_since = 0;
	if (it->cb != NULL)
		it->cb(st, res, it->arg);
	else if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		log_warnx("%sdatabase: %s", st->label, store_errmsg(res));
	PQclear(res);
	store_item_free(it);
}

static void
store_drain_notifies(struct store *st)
{
	struct store_hook *h;
	PGnotify *n;

	while ((n = PQnotifies(st->conn)) != NULL) {
		TAILQ_FOREACH(h, &st->listeners, entry)
			if (strcmp(h->channel, n->relname) == 0)
				h->notify_cb(st, n->relname, n->extra, h->arg);
		PQfreemem(n);
	}
}

/* Read results; returns -1 when the connection was lost. */
static int
store_read(struct store *st)
{
	struct store_item *it;
	PGresult *res;

	if (!PQconsumeInput(st->conn)) {
		store_lost(st, PQerrorMessage(st->conn));
		return -1;
	}
	store_drain_notifies(st);
	while ((it = TAILQ_FIRST(&st->queue)) != NULL &&
	    it->phase == ITEM_SENT && !PQisBusy(st->conn)) {
		res = PQgetResult(st->conn);
		if (res == NULL) {
			store_finish_item(st, it);
			if (st->state != STORE_UP)
				return -1;
			store_kick(st);
			continue;
		}
		if (PQresultStatus(res) == PGRES_COPY_IN) {
			PQclear(res);
			it->phase = ITEM_COPY_DATA;
			return store_send_copy(st, it);
		}
		PQclear(st->last);
		st->last = res;
	}
	if (PQstatus(st->conn) == CONNECTION_BAD) {
		store_lost(st, PQerrorMessage(st->conn));
		return -1;
	}
	return 0;
}

static void
store_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	struct store_item *it = TAILQ_FIRST(&st->queue);

	if (what & EV_READ) {
		if (store_read(st) < 0)
			return;
		it = TAILQ_FIRST(&st->queue);
	}
	if (it != NULL && (it->phase == ITEM_COPY_DATA ||
	    it->phase == ITEM_COPY_END)) {
		if (it->phase == ITEM_COPY_END)
			it->phase = ITEM_COPY_DATA, it->copy_off = it->copy_len;
		store_send_copy(st, it);
		return;
	}
	if (it == NULL || it->phase == ITEM_QUEUED) {
		store_wait(st, EV_READ, store_io_cb);
		store_kick(st);
		return;
	}
	store_flush(st);
}

/* What the statement at the head of the queue is, for the stall message. */
static void
store_head_name(struct store *st, char *buf, size_t len)
{
	struct store_item *it = TAILQ_FIRST(&st->queue);

	snprintf(buf, len, "%s", it != NULL ? it->sql : "nothing");
	if (strlen(buf) > 40)
		snprintf(buf + 37, len - 37, "...");
}

static void
store_stall_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	time_t now = store_now();
	char head[64], why[128];

	if (st->state != STORE_UP || TAILQ_EMPTY(&st->queue) ||
	    now - st->progress < st->stall_timeout)
		return;
	st->stalls++;
	if (st->stuck_since == 0)
		st->stuck_since = st->progress;
	store_head_name(st, head, sizeof(head));
	snprintf(why, sizeof(why), "no progress for %lld s on \"%s\" (stall %u)",
	    (long long)(now - st->progress), head, st->stalls);
	store_lost(st, why);
}

struct store *
store_new(struct event_base *base, const char *conninfo, int connect_timeout,
    size_t queue_max)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->base = base;
	st->conninfo = xstrdup(conninfo);
	st->connect_timeout = connect_timeout > 0 ? connect_timeout : 10;
	st->queue_max = queue_max;
	st->backoff = STORE_BACKOFF_MIN;
	TAILQ_INIT(&st->queue);
	TAILQ_INIT(&st->listeners);
	TAILQ_INIT(&st->watchers);
	st->ev_sock = event_new(base, -1, 0, store_io_cb, st);
	st->ev_timer = evtimer_new(base, store_timer_cb, st);
	st->stall_timeout = STORE_STALL_DEFAULT;
	st->ev_stall = event_new(base, -1, EV_PERSIST, store_stall_cb, st);
	return st;
}

void
store_start(struct store *st)
{
	struct timeval tv = { 1, 0 };

	event_add(st->ev_stall, &tv);
	store_connect(st);
}

void
store_free(struct store *st)
{
	struct store_item *it;
	struct store_hook *h;

	if (st == NULL)
		return;
	if (st->conn != NULL)
		PQfinish(st->conn);
	PQclear(st->last);
	event_free(st->ev_sock);
	event_free(st->ev_timer);
	event_free(st->ev_stall);
	while ((it = TAILQ_FIRST(&st->queue)) != NULL) {
		TAILQ_REMOVE(&st->queue, it, entry);
		store_item_free(it);
	}
	while ((h = TAILQ_FIRST(&st->listeners)) != NULL) {
		TAILQ_REMOVE(&st->listeners, h, entry);
		free(h->channel);
		free(h);
	}
	while ((h = TAILQ_FIRST(&st->watchers)) != NULL) {
		TAILQ_REMOVE(&st->watchers, h, entry);
		free(h);
	}
	free(st->conninfo);
	free(st);
}

void
store_set_label(struct store *st, const char *label)
{
	snprintf(st->label, sizeof(st->label), "%s: ", label);
}

void
store_set_conninfo(struct store *st, const char *conninfo)
{
	if (strcmp(st->conninfo, conninfo) == 0)
		return;
	free(st->conninfo);
	st->conninfo = xstrdup(conninfo);
	log_info("%sdatabase connection settings changed; reconnecting",
	    st->label);
	if (st->state != STORE_DOWN) {
		st->down_logged = 1;
		store_lost(st, "settings changed");
	}
}

enum store_state
store_state(const struct store *st)
{
	return st->state;
}

size_t
store_queued(const struct store *st)
{
	return st->nqueued;
}

unsigned
store_connects(const struct store *st)
{
	return st->connects;
}

void
store_set_stall_timeout(struct store *st, int seconds)
{
	st->stall_timeout = seconds > 0 ? seconds : STORE_STALL_DEFAULT;
}

unsigned
store_stalls(const struct store *st)
{
	return st->stalls;
}

int
store_stuck(const struct store *st)
{
	if (st->stuck_since == 0)
		return 0;
	return (int)(store_now() - st->stuck_since);
}

static int
store_enqueue(struct store *st, struct store_item *it)
{
	if (st->nqueued >= st->queue_max) {
		store_item_free(it);
		return -1;
	}
	st->nqueued++;
	if (TAILQ_EMPTY(&st->queue))
		store_progress(st);	/* idle time is no stall */
	TAILQ_INSERT_TAIL(&st->queue, it, entry);
	if (TAILQ_FIRST(&st->queue) == it)
		store_kick(st);
	return 0;
}

int
store_query(struct store *st, const char *sql, int nparams,
    const char *const *params, store_result_cb cb, void *arg)
{
	struct store_item *it = xcalloc(1, sizeof(*it));
	int i;

	it->sql = xstrdup(sql);
	it->nparams = nparams;
	if (nparams > 0) {
		it->params = xcalloc((size_t)nparams, sizeof(char *));
		for (i = 0; i < nparams; i++)
			it->params[i] = params[i] ? xstrdup(params[i]) : NULL;
	}
	it->cb = cb;
	it->arg = arg;
	return store_enqueue(st, it);
}

int
store_copy(struct store *st, const char *copy_sql, const char *data,
    size_t len, store_result_cb cb, void *arg)
{
	struct store_item *it = xcalloc(1, sizeof(*it));

	it->sql = xstrdup(copy_sql);
	it->copy = xmalloc(len + 1);
	memcpy(it->copy, data, len);
	it->copy_len = len;
	it->cb = cb;
	it->arg = arg;
	return store_enqueue(st, it);
}

void
store_listen(struct store *st, const char *channel, store_notify_cb cb,
    void *arg)
{
	struct store_hook *h = xcalloc(1, sizeof(*h));
	struct store_item *it;
	char *ident;

	h->channel = xstrdup(channel);
	h->notify_cb = cb;
	h->arg = arg;
	TAILQ_INSERT_TAIL(&st->listeners, h, entry);
	if (st->state != STORE_UP)
		return;		/* sent on connect */
	it = xcalloc(1, sizeof(*it));
	ident = PQescapeIdentifier(st->conn, channel, strlen(channel));
	xasprintf(&it->sql, "LISTEN %s", ident);
	PQfreemem(ident);
	it->internal = 1;
	TAILQ_INSERT_TAIL(&st->queue, it, entry);
	store_kick(st);
}

void
store_watch(struct store *st, store_state_cb cb, void *arg)
{
	struct store_hook *h = xcalloc(1, sizeof(*h));

	h->state_cb = cb;
	h->arg = arg;
	TAILQ_INSERT_TAIL(&st->watchers, h, entry);
}
