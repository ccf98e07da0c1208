/*
 * events.c: the event pipeline (see events.h for what it promises).
 *
 * Rows are formatted as COPY text once, at submit time, into batches of
 * at most events.batch_max rows. One batch at a time is handed to the
 * store as one COPY; the next goes when the database acknowledged the last,
 * so batches reach the table in order. The first row of every batch is
 * flagged (head = true) and a unique index on the flagged rows makes a
 * batch that the store sent twice (connection lost before the answer) fail
 * as a whole with unique_violation, which here means "already written":
 * each event lands exactly once.
 *
 * A batch that PostgreSQL refuses because of one of its rows (a value out
 * of range, bytes that are not UTF-8, a failed CHECK: SQLSTATE classes 22,
 * 23 and 54) is split in two, and each half is written on its own, halving
 * again until the bad row is alone; that row goes to events_quarantine with
 * the server's error, counted and logged, and every neighbour is written
 * exactly once. Before the first split every row of the batch is flagged
 * as a head, so that any piece sent twice is recognised as written, and a
 * batch from the spool is rewritten so in the file: after a crash it is
 * read back one row at a time, each recognised on its own.
 *
 * When memory holds more than events.memory_max bytes, the oldest batches
 * move to the spool file (state_dir/events.spool), whole, head flag and
 * all. The spool is always older than what is in memory, so writing the
 * spool first and memory second keeps the order. Spool I/O is plain local
 * file I/O on the loop: appends and reads of one batch at a time.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "conf.h"
#include "events.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

#define EVENTS_RETRY_SECONDS	5
#define EVENTS_MAINT_SECONDS	3600

static const char events_copy_sql[] =
	"COPY events (head, at, uid, device_id, source, kind, action, frame, "
	"slot, port, onu, line, if_index, cause, peer, pdu, trap_oid, profile, "
	"rule, affected_onus, dying_gasp_onus, varbinds) FROM STDIN";

static const char events_maint_sql[] = "SELECT events_maintain($1::integer)";

static const char events_quarantine_sql[] =
	"INSERT INTO events_quarantine (uid, instance, sqlstate, error, "
	"context, line) VALUES ($1, $2, $3, $4, $5, $6::bytea) "
	"ON CONFLICT (uid) DO NOTHING";

/* A growable byte buffer: rows are appended in many small pieces. */
struct events_buf {
	char			*p;
	size_t			 len, cap;
};

struct events_batch {
	TAILQ_ENTRY(events_batch) entry;
	struct events_buf	 buf;
	size_t			 rows;
	int			 piece;		/* of a refused batch */
};
TAILQ_HEAD(events_batches, events_batch);

struct events_sub {
	TAILQ_ENTRY(events_sub)	 entry;
	events_cb		 cb;
	void			*arg;
};

struct events {
	struct herald		*h;
	size_t			 batch_max;
	size_t			 memory_max;
	off_t			 spool_max;
	int			 flush_ms;
	int			 retention_days;

	struct events_batch	*cur;
	struct events_batches	 sealed;
	size_t			 mem_bytes;
	size_t			 mem_rows;

	struct events_batch	*inflight;
	int			 inflight_spool;	/* read from the spool */
	off_t			 inflight_start;	/* its spool offset */
	off_t			 inflight_end;		/* spool offset after it */
	int			 waiting;		/* retry timer armed */

	/* Pieces of a refused batch, written before anything else. */
	struct events_batches	 split;
	size_t			 split_rows;
	int			 split_spool;	/* the batch is still in the spool */
	off_t			 split_end;	/* spool offset after it */
	size_t			 split_spool_rows;

	int			 spool_fd;
	char			*spool_path;
	off_t			 spool_rd, spool_size;
	size_t			 spool_rows;	/* unwritten rows in it */

	struct event		*flush_timer, *retry_timer, *maint_timer;
	struct event		*stats_timer;
	int			 flush_armed;
	uint64_t		 uid_base, seq;
	TAILQ_HEAD(, events_sub) subs;
	struct events_stats	 st;
	struct log_ratelimit	 rl_drop, rl_err, rl_quar;
};

static cfg_opt_t events_opts[] = {
	CFG_INT("batch_max", 5000, CFGF_NONE),
	CFG_INT("flush_interval", 100, CFGF_NONE),
	CFG_INT("memory_max", 64 * 1024 * 1024, CFGF_NONE),
	CFG_INT("spool_max", 1024LL * 1024 * 1024, CFGF_NONE),
	CFG_INT("retention_days", 30, CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_END()
};

static void	events_kick(struct events *);
static struct events_batch *events_spool_slurp(struct events *);

static void
events_buf_add(struct events_buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap : 65536;
		while (b->len + n > b->cap)
			b->cap *= 2;
		b->p = xreallocarray(b->p, 1, b->cap);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void
events_location_clear(struct herald_location *l)
{
	l->frame = l->slot = l->port = l->onu = l->line = l->if_index =
	    EVENT_LOC_UNSET;
}

const char *
events_action_name(enum event_action a)
{
	switch (a) {
	case EVENT_RAISE:
		return "raise";
	case EVENT_CLEAR:
		return "clear";
	default:
		return "raw";
	}
}

/* COPY text format: backslash escapes for the characters it gives meaning. */
static void
events_field(struct events_buf *b, const char *s, int last)
{
	const char *p, *run;

	if (s == NULL) {
		events_buf_add(b, "\\N", 2);
	} else {
		for (run = p = s; *p != '\0'; p++) {
			const char *esc = NULL;

			switch (*p) {
			case '\\': esc = "\\\\"; break;
			case '\t': esc = "\\t"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			default: continue;
			}
			events_buf_add(b, run, (size_t)(p - run));
			events_buf_add(b, esc, 2);
			run = p + 1;
		}
		events_buf_add(b, run, (size_t)(p - run));
	}
	events_buf_add(b, last ? "\n" : "\t", 1);
}

/* Formatting without printf: this runs for every event of a storm. */
static void
events_int_field(struct events_buf *b, long long v, int unset_is_null)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u;

	if (unset_is_null && v == EVENT_LOC_UNSET) {
		events_buf_add(b, "\\N\t", 3);
		return;
	}
	*--p = '\t';
	u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	events_buf_add(b, p, (size_t)(buf + sizeof(buf) - p));
}

/*
 * "YYYY-MM-DD HH:MM:SS" is computed once per second, not per event (the
 * cache is only touched from the loop thread).
 */
static void
events_time_field(struct events_buf *b, const struct timeval *tv)
{
	static time_t last = -1;
	static char day[32];
	char us[6];
	struct tm tm;
	int i;
	long u = (long)tv->tv_usec;

	if (tv->tv_sec != last) {
		gmtime_r(&tv->tv_sec, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S.", &tm);
		last = tv->tv_sec;
	}
	events_buf_add(b, day, strlen(day));
	for (i = 5; i >= 0; i--, u /= 10)
		us[i] = (char)('0' + u % 10);
	events_buf_add(b, us, 6);
	events_buf_add(b, "+00\t", 4);
}

static void
events_row(struct events_buf *b, const struct herald_event *ev)
{
	events_buf_add(b, "f\t", 2);
	events_time_field(b, &ev->time);
	events_int_field(b, (long long)ev->uid, 0);
	events_int_field(b, ev->device_id > 0 ? ev->device_id :
	    EVENT_LOC_UNSET, 1);
	events_field(b, ev->source == EVENT_SOURCE_POLL ? "poll" : "trap", 0);
	events_field(b, ev->kind, 0);
	events_field(b, ev->kind ? events_action_name(ev->action) : "raw", 0);
	events_int_field(b, ev->loc.frame, 1);
	events_int_field(b, ev->loc.slot, 1);
	events_int_field(b, ev->loc.port, 1);
	events_int_field(b, ev->loc.onu, 1);
	events_int_field(b, ev->loc.line, 1);
	events_int_field(b, ev->loc.if_index, 1);
	events_field(b, ev->cause, 0);
	events_field(b, ev->peer, 0);
	events_field(b, ev->pdu, 0);
	events_field(b, ev->trap_oid, 0);
	events_field(b, ev->profile, 0);
	events_field(b, ev->rule, 0);
	events_int_field(b, ev->affected_onus, 1);
	events_int_field(b, ev->dying_gasp_onus, 1);
	events_field(b, ev->varbinds, 1);
}

void
events_format_row(struct evbuffer *out, const struct herald_event *ev)
{
	struct events_buf b = { NULL, 0, 0 };

	events_row(&b, ev);
	evbuffer_add(out, b.p, b.len);
	free(b.p);
}

static struct events_batch *
events_batch_new(void)
{
	return xcalloc(1, sizeof(struct events_batch));
}

static void
events_batch_free(struct events_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf.p);
	free(b);
}

/* Flag the first row as the batch head: its first byte is 'f' -> 't'. */
static void
events_batch_mark(struct events_batch *b)
{
	if (b->buf.len > 0)
		b->buf.p[0] = 't';
}

static void
events_seal(struct events *e)
{
	if (e->cur == NULL || e->cur->rows == 0)
		return;
	events_batch_mark(e->cur);
	TAILQ_INSERT_TAIL(&e->sealed, e->cur, entry);
	e->cur = NULL;
}

static void
events_drop(struct events *e, size_t rows, const char *why)
{
	e->st.dropped += rows;
	if (log_ratelimit(&e->rl_drop, 1))
		log_warnx("events: %zu event%s dropped: %s (%llu in all)", rows,
		    rows == 1 ? "" : "s", why, e->st.dropped);
}

static int
events_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append a whole batch to the spool; counted as dropped when it can't. */
static void
events_spool_batch(struct events *e, struct events_batch *b)
{
	size_t len = b->buf.len;
	const char *p = b->buf.p;

	if (e->spool_fd < 0) {
		events_drop(e, b->rows, "no spool file");
		return;
	}
	if (e->spool_size + (off_t)len > e->spool_max) {
		events_drop(e, b->rows, "memory buffer and spool are full");
		return;
	}
	if (lseek(e->spool_fd, e->spool_size, SEEK_SET) < 0 ||
	    events_write_all(e->spool_fd, p, len) != 0) {
		events_drop(e, b->rows, strerror(errno));
		if (ftruncate(e->spool_fd, e->spool_size) != 0)
			log_warn("events: %s", e->spool_path);
		return;
	}
	e->spool_size += (off_t)len;
	e->spool_rows += b->rows;
	e->st.spooled += b->rows;
}

/* Memory over its limit: move the oldest batches to the spool. */
static void
events_spill(struct events *e)
{
	struct events_batch *b;

	if (TAILQ_EMPTY(&e->sealed))
		events_seal(e);
	while (e->mem_bytes > e->memory_max / 2 &&
	    (b = TAILQ_FIRST(&e->sealed)) != NULL) {
		TAILQ_REMOVE(&e->sealed, b, entry);
		e->mem_bytes -= b->buf.len;
		e->mem_rows -= b->rows;
		events_spool_batch(e, b);
		events_batch_free(b);
	}
}

/*
 * Read the batch at spool_rd: its head row and the rows up to the next
 * head. NULL when the spool has nothing unread (or is damaged).
 */
static struct events_batch *
events_spool_read(struct events *e, off_t *end)
{
	struct events_batch *b;
	char chunk[65536];
	off_t off = e->spool_rd, left;
	ssize_t n, i;
	int bol = 1;

	if (e->spool_fd < 0 || e->spool_rd >= e->spool_size)
		return NULL;
	b = events_batch_new();
	while ((left = e->spool_size - off) > 0) {
		n = pread(e->spool_fd, chunk, left < (off_t)sizeof(chunk) ?
		    (size_t)left : sizeof(chunk), off);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (bol && chunk[i] == 't' && off + i > e->spool_rd) {
				events_buf_add(&b->buf, chunk, (size_t)i);
				goto done;
			}
			if ((bol = chunk[i] == '\n'))
				b->rows++;
		}
		events_buf_add(&b->buf, chunk, (size_t)n);
		off += n;
	}
done:
	*end = e->spool_rd + (off_t)b->buf.len;
	if (b->rows == 0) {
		events_batch_free(b);
		return NULL;
	}
	return b;
}

static void
events_spool_consumed(struct events *e, off_t end)
{
	e->spool_rd = end;
	if (e->spool_rd < e->spool_size)
		return;
	e->spool_rd = e->spool_size = 0;
	e->spool_rows = 0;
	if (ftruncate(e->spool_fd, 0) != 0)
		log_warn("events: truncate %s", e->spool_path);
	log_info("events: spool written back to the database");
}

/* SQLSTATE classes that a retry may cure (no table yet, server trouble). */
static int
events_retryable(const PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (s == NULL)
		return 1;
	return strncmp(s, "42", 2) == 0 || strncmp(s, "53", 2) == 0 ||
	    strncmp(s, "57", 2) == 0 || strncmp(s, "08", 2) == 0 ||
	    strncmp(s, "40", 2) == 0 || strncmp(s, "55", 2) == 0 ||
	    strncmp(s, "XX", 2) == 0;
}

/* A row of the batch, not the batch or the server, is what was refused. */
static int
events_row_refused(const PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (s == NULL)
		return 0;
	return strncmp(s, "22", 2) == 0 || strncmp(s, "54", 2) == 0 ||
	    (strncmp(s, "23", 2) == 0 && strcmp(s, "23505") != 0);
}

static void
events_batch_done(struct events *e, struct events_batch *b)
{
	if (e->inflight_spool) {
		e->spool_rows -= b->rows < e->spool_rows ? b->rows :
		    e->spool_rows;
		e->st.unspooled += b->rows;
		events_spool_consumed(e, e->inflight_end);
	}
	if (b->piece) {
		e->split_rows -= b->rows;
		if (TAILQ_EMPTY(&e->split) && e->split_spool) {
			e->split_spool = 0;
			e->spool_rows -= e->split_spool_rows < e->spool_rows ?
			    e->split_spool_rows : e->spool_rows;
			e->st.unspooled += e->split_spool_rows;
			events_spool_consumed(e, e->split_end);
		}
	}
	events_batch_free(b);
	e->inflight = NULL;
}

/*
 * Flag every row as a head (first byte 't'), so that each piece cut from
 * this batch is recognised if it is sent twice. A batch from the spool is
 * rewritten in place (same length), so that a crash before all pieces are
 * written leaves rows that are read back and recognised one by one.
 */
static void
events_mark_all_heads(struct events *e, struct events_batch *b)
{
	size_t i;
	int bol = 1;

	for (i = 0; i < b->buf.len; i++) {
		if (bol)
			b->buf.p[i] = 't';
		bol = b->buf.p[i] == '\n';
	}
	if (!e->inflight_spool)
		return;
	if (pwrite(e->spool_fd, b->buf.p, b->buf.len, e->inflight_start) !=
	    (ssize_t)b->buf.len)
		log_warn("events: rewriting %s", e->spool_path);
	e->inflight_spool = 0;
	e->split_spool = 1;
	e->split_end = e->inflight_end;
	e->split_spool_rows = b->rows;
}

/* Cut a batch after ROWS rows: the tail becomes a new batch. */
static struct events_batch *
events_batch_cut(struct events_batch *b, size_t rows)
{
	struct events_batch *tail = events_batch_new();
	size_t i, n = 0;

	for (i = 0; i < b->buf.len && n < rows; i++)
		if (b->buf.p[i] == '\n')
			n++;
	events_buf_add(&tail->buf, b->buf.p + i, b->buf.len - i);
	tail->rows = b->rows - rows;
	tail->piece = 1;
	b->buf.len = i;
	b->rows = rows;
	return tail;
}

/* The batch in flight was refused for one of its rows: halve it. */
static void
events_split(struct events *e, struct events_batch *b)
{
	struct events_batch *tail;

	if (!b->piece) {
		events_mark_all_heads(e, b);
		b->piece = 1;
		e->split_rows += b->rows;
	}
	tail = events_batch_cut(b, b->rows / 2);
	TAILQ_INSERT_HEAD(&e->split, tail, entry);
	TAILQ_INSERT_HEAD(&e->split, b, entry);
	e->st.splits++;
	e->inflight = NULL;
}

/* The database is not ready for the batch in flight: send it again later. */
static void
events_retry_later(struct events *e, const char *what, PGresult *res)
{
	struct timeval tv = { EVENTS_RETRY_SECONDS, 0 };

	if (log_ratelimit(&e->rl_err, 1))
		log_warnx("events: %s failed, retrying in %ds: %s", what,
		    EVENTS_RETRY_SECONDS, store_errmsg(res));
	e->waiting = 1;
	evtimer_add(e->retry_timer, &tv);
}

static void
events_quarantine_cb(struct store *st, PGresult *res, void *arg)
{
	struct events *e = arg;
	struct events_batch *b = e->inflight;

	if (b == NULL)
		return;
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		e->st.quarantined++;
	} else if (!events_row_refused(res) && events_retryable(res)) {
		/* Sent again as a COPY: refused again, quarantined again. */
		events_retry_later(e, "quarantining a row", res);
		return;
	} else {
		events_drop(e, b->rows, store_errmsg(res));
	}
	events_batch_done(e, b);
	events_kick(e);
}

/* The row's uid is its third field: "t\tAT\tUID\t...". */
static void
events_row_uid(const struct events_batch *b, char *out, size_t len)
{
	const char *p = b->buf.p, *end = b->buf.p + b->buf.len, *f;
	int field = 0;

	snprintf(out, len, "0");
	for (f = p; p < end && *p != '\n'; p++) {
		if (*p != '\t')
			continue;
		if (++field == 3) {
			snprintf(out, len, "%.*s", (int)(p - f), f);
			return;
		}
		f = p + 1;
	}
}

/*
 * A single row was refused: keep it in events_quarantine, with the
 * server's error, as bytes (it may not be text the server accepts).
 */
static void
events_quarantine(struct events *e, struct events_batch *b, PGresult *res)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *params[6];
	char uid[32], *hex;
	size_t i, len = b->buf.len;
	struct timeval tv = { 0, 200000 };

	if (len > 0 && b->buf.p[len - 1] == '\n')
		len--;
	hex = xmalloc(2 * len + 3);
	hex[0] = '\\';
	hex[1] = 'x';
	for (i = 0; i < len; i++)
		snprintf(hex + 2 + 2 * i, 3, "%02x", (unsigned char)b->buf.p[i]);
	hex[2 + 2 * len] = '\0';
	events_row_uid(b, uid, sizeof(uid));
	params[0] = uid;
	params[1] = stats_instance();
	params[2] = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	params[3] = msg != NULL ? msg : store_errmsg(res);
	params[4] = ctx;
	params[5] = hex;
	if (log_ratelimit(&e->rl_quar, 1))
		log_warnx("events: event %s refused by the database and "
		    "quarantined: %s (%s)", uid, params[3], ctx ? ctx : "");
	if (store_query(e->h->store, events_quarantine_sql, 6, params,
	    events_quarantine_cb, e) != 0) {
		e->waiting = 1;
		evtimer_add(e->retry_timer, &tv);
	}
	free(hex);
}

static void
events_copy_cb(struct store *st, PGresult *res, void *arg)
{
	struct events *e = arg;
	struct events_batch *b = e->inflight;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (b == NULL)
		return;
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		e->st.written += b->rows;
		e->st.batches++;
	} else if (state != NULL && strcmp(state, "23505") == 0) {
		/*
		 * The head row is there: this batch (or piece: pieces are
		 * sent whole or not at all) was written before.
		 */
		e->st.duplicates++;
	} else if (events_row_refused(res) && b->rows > 1) {
		events_split(e, b);
		events_kick(e);
		return;
	} else if (events_row_refused(res)) {
		events_quarantine(e, b, res);
		return;
	} else if (events_retryable(res)) {
		events_retry_later(e, "writing a batch", res);
		return;
	} else {
		events_drop(e, b->rows, store_errmsg(res));
	}
	events_batch_done(e, b);
	events_kick(e);
}

static void
events_send(struct events *e, struct events_batch *b)
{
	size_t len = b->buf.len;
	const char *p = b->buf.p;

	e->inflight = b;
	if (store_copy(e->h->store, events_copy_sql, p, len, events_copy_cb,
	    e) != 0) {
		/* The store's queue is full: try again shortly. */
		struct timeval tv = { 0, 200000 };

		e->waiting = 1;
		evtimer_add(e->retry_timer, &tv);
	}
}

/* Start the next COPY if none is in flight and the database is up. */
static void
events_kick(struct events *e)
{
	struct events_batch *b;
	off_t end = 0;

	if (e->waiting || store_state(e->h->store) != STORE_UP)
		return;
	if (e->inflight != NULL)
		return;
	if ((b = TAILQ_FIRST(&e->split)) != NULL) {
		TAILQ_REMOVE(&e->split, b, entry);
		e->inflight_spool = 0;
		events_send(e, b);
		return;
	}
	if ((b = events_spool_read(e, &end)) != NULL) {
		e->inflight_spool = 1;
		e->inflight_start = e->spool_rd;
		e->inflight_end = end;
		events_send(e, b);
		return;
	}
	if ((b = TAILQ_FIRST(&e->sealed)) == NULL)
		return;
	TAILQ_REMOVE(&e->sealed, b, entry);
	e->mem_bytes -= b->buf.len;
	e->mem_rows -= b->rows;
	e->inflight_spool = 0;
	events_send(e, b);
}

static void
events_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *e = arg;
	struct events_batch *b = e->inflight;

	e->waiting = 0;
	if (b != NULL && store_state(e->h->store) == STORE_UP)
		events_send(e, b);
	else
		events_kick(e);
}

static void
events_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *e = arg;

	e->flush_armed = 0;
	events_seal(e);
	events_kick(e);
}

void
events_submit(struct herald *h, struct herald_event *ev)
{
	struct events *e = h->events;
	struct events_sub *s;
	size_t before;
	struct timeval tv;

	if (e == NULL || !cluster_accept(h, ev))
		return;
	ev->uid = e->uid_base | (e->seq++ & ((1ULL << 43) - 1));
	e->st.submitted++;
	TAILQ_FOREACH(s, &e->subs, entry)
		s->cb(ev, s->arg);
	if (e->cur == NULL)
		e->cur = events_batch_new();
	before = e->cur->buf.len;
	events_row(&e->cur->buf, ev);
	e->cur->rows++;
	e->mem_rows++;
	e->mem_bytes += e->cur->buf.len - before;
	if (e->cur->rows >= e->batch_max) {
		events_seal(e);
		events_kick(e);
	} else if (!e->flush_armed) {
		tv.tv_sec = e->flush_ms / 1000;
		tv.tv_usec = (e->flush_ms % 1000) * 1000;
		evtimer_add(e->flush_timer, &tv);
		e->flush_armed = 1;
	}
	if (e->mem_bytes > e->memory_max)
		events_spill(e);
}

void
events_subscribe(struct herald *h, events_cb cb, void *arg)
{
	struct events_sub *s = xcalloc(1, sizeof(*s));

	s->cb = cb;
	s->arg = arg;
	TAILQ_INSERT_TAIL(&h->events->subs, s, entry);
}

void
events_get_stats(struct herald *h, struct events_stats *out)
{
	struct events *e = h->events;

	memset(out, 0, sizeof(*out));
	if (e == NULL)
		return;
	*out = e->st;
	out->pending = e->mem_rows + e->split_rows +
	    (e->inflight && !e->inflight->piece ? e->inflight->rows : 0);
	out->stalls = store_stalls(e->h->store);
	out->spool_bytes = (unsigned long long)e->spool_size;
}

static void
events_publish(struct events *e, int final)
{
	struct events_stats s;
	const struct stats_counter c[] = {
		{ "submitted", 0 }, { "written", 0 }, { "batches", 0 },
		{ "spooled", 0 }, { "unspooled", 0 }, { "dropped", 0 },
		{ "duplicates", 0 }, { "pending", 0 }, { "spool_bytes", 0 },
		{ "splits", 0 }, { "quarantined", 0 }, { "stalls", 0 },
	};
	struct stats_counter v[sizeof(c) / sizeof(*c)];

	events_get_stats(e->h, &s);
	memcpy(v, c, sizeof(c));
	v[0].value = s.submitted;
	v[1].value = s.written;
	v[2].value = s.batches;
	v[3].value = s.spooled;
	v[4].value = s.unspooled;
	v[5].value = s.dropped;
	v[6].value = s.duplicates;
	v[7].value = s.pending;
	v[8].value = s.spool_bytes;
	v[9].value = s.splits;
	v[10].value = s.quarantined;
	v[11].value = s.stalls;
	stats_publish(e->h, "events", v, sizeof(v) / sizeof(*v), final);
}

static void
events_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	events_publish(arg, 0);
}

static void
events_maint_done_cb(struct store *st, PGresult *res, void *arg)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("events: partition maintenance: %s", store_errmsg(res));
	else if (atoi(PQgetvalue(res, 0, 0)) > 0)
		log_info("events: %s old partition(s) dropped",
		    PQgetvalue(res, 0, 0));
}

static void
events_maintain(struct events *e)
{
	char days[16];
	const char *params[1] = { days };

	if (store_state(e->h->store) != STORE_UP)
		return;
	snprintf(days, sizeof(days), "%d", e->retention_days);
	store_query(e->h->store, events_maint_sql, 1, params,
	    events_maint_done_cb, e);
}

static void
events_maint_cb(evutil_socket_t fd, short what, void *arg)
{
	events_maintain(arg);
}

static void
events_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct events *e = arg;

	if (s != STORE_UP)
		return;
	/* The store re-sends a COPY it lost the answer to; we wait for it. */
	events_maintain(e);
	events_kick(e);
}

static void
events_spool_open(struct events *e)
{
	struct stat sb;

	xasprintf(&e->spool_path, "%s/events.spool", e->h->conf->state_dir);
	e->spool_fd = open(e->spool_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (e->spool_fd < 0 || fstat(e->spool_fd, &sb) != 0) {
		log_warn("events: spool %s", e->spool_path);
		if (e->spool_fd >= 0)
			close(e->spool_fd);
		e->spool_fd = -1;
		return;
	}
	e->spool_size = sb.st_size;
	if (sb.st_size > 0) {
		struct events_batch *rest = events_spool_slurp(e);

		e->spool_rd = 0;
		e->spool_rows = rest->rows;
		events_batch_free(rest);
		log_info("events: %zu spooled events from an earlier run will be "
		    "written first", e->spool_rows);
	}
}

static void
events_apply_conf(struct events *e)
{
	cfg_t *sec = cfg_getsec(e->h->conf->cfg, "events");
	struct timeval tv;

	e->batch_max = (size_t)cfg_getint(sec, "batch_max");
	e->flush_ms = (int)cfg_getint(sec, "flush_interval");
	e->memory_max = (size_t)cfg_getint(sec, "memory_max");
	e->spool_max = (off_t)cfg_getint(sec, "spool_max");
	e->retention_days = (int)cfg_getint(sec, "retention_days");
	tv.tv_sec = cfg_getint(sec, "stats_interval");
	tv.tv_usec = 0;
	event_del(e->stats_timer);
	event_add(e->stats_timer, &tv);
}

static int
events_start(struct herald *h)
{
	struct events *e = xcalloc(1, sizeof(*e));
	struct timeval tv = { EVENTS_MAINT_SECONDS, 0 };
	uint32_t r = 0;

	e->h = h;
	TAILQ_INIT(&e->sealed);
	TAILQ_INIT(&e->split);
	TAILQ_INIT(&e->subs);
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	/* 20 random bits per run, 43 bits of sequence. */
	e->uid_base = (uint64_t)(r & 0xfffff) << 43;
	e->flush_timer = evtimer_new(h->base, events_flush_cb, e);
	e->retry_timer = evtimer_new(h->base, events_retry_cb, e);
	e->maint_timer = event_new(h->base, -1, EV_PERSIST, events_maint_cb, e);
	e->stats_timer = event_new(h->base, -1, EV_PERSIST, events_stats_cb, e);
	event_add(e->maint_timer, &tv);
	h->events = e;
	events_apply_conf(e);
	events_spool_open(e);
	store_watch(h->store, events_state_cb, e);
	return 0;
}

static void
events_reload(struct herald *h, struct herald_conf *old)
{
	events_apply_conf(h->events);
}

/*
 * Keep what was not acknowledged for the next start: the batch in flight
 * (unless it is still in the spool) goes in front of the unread spool,
 * then what is in memory.
 */
static void
events_spool_reset(struct events *e)
{
	e->spool_rd = e->spool_size = 0;
	e->spool_rows = 0;
	if (e->spool_fd >= 0 && ftruncate(e->spool_fd, 0) != 0)
		log_warn("events: truncate %s", e->spool_path);
}

/* The unread part of the spool, as one buffer (to rewrite the file). */
static struct events_batch *
events_spool_slurp(struct events *e)
{
	struct events_batch *rest = events_batch_new(), *b;
	off_t end;

	while ((b = events_spool_read(e, &end)) != NULL) {
		events_buf_add(&rest->buf, b->buf.p, b->buf.len);
		rest->rows += b->rows;
		e->spool_rd = end;
		events_batch_free(b);
	}
	return rest;
}

/*
 * Keep what was not acknowledged for the next start: the batch in flight
 * (unless it is still in the spool) goes in front of the unread spool,
 * then what is in memory. The file is rewritten without the part already
 * written.
 */
static void
events_save(struct events *e)
{
	struct events_batch *b, *rest;

	events_seal(e);
	rest = events_spool_slurp(e);
	events_spool_reset(e);
	if (e->inflight != NULL && !e->inflight_spool &&
	    !(e->inflight->piece && e->split_spool))
		events_spool_batch(e, e->inflight);
	/* A batch being split from the spool is still in it, rewritten. */
	while ((b = TAILQ_FIRST(&e->split)) != NULL) {
		TAILQ_REMOVE(&e->split, b, entry);
		if (!e->split_spool)
			events_spool_batch(e, b);
		events_batch_free(b);
	}
	if (rest->rows > 0)
		events_spool_batch(e, rest);
	events_batch_free(rest);
	events_batch_free(e->inflight);
	e->inflight = NULL;
	while ((b = TAILQ_FIRST(&e->sealed)) != NULL) {
		TAILQ_REMOVE(&e->sealed, b, entry);
		events_spool_batch(e, b);
		events_batch_free(b);
	}
	if (e->spool_rows > 0)
		log_info("events: %zu unwritten event%s kept in %s for the next "
		    "start", e->spool_rows, e->spool_rows == 1 ? "" : "s",
		    e->spool_path);
}

static void
events_stop(struct herald *h)
{
	struct events *e = h->events;
	struct events_sub *s;

	if (e == NULL)
		return;
	events_save(e);
	events_publish(e, 1);
	while ((s = TAILQ_FIRST(&e->subs)) != NULL) {
		TAILQ_REMOVE(&e->subs, s, entry);
		free(s);
	}
	event_free(e->flush_timer);
	event_free(e->retry_timer);
	event_free(e->maint_timer);
	event_free(e->stats_timer);
	if (e->spool_fd >= 0)
		close(e->spool_fd);
	events_batch_free(e->cur);
	free(e->spool_path);
	free(e);
	h->events = NULL;
}

static void
events_validators(cfg_t *root)
{
	cfg_set_validate_func(root, "events|batch_max", conf_check_positive);
	cfg_set_validate_func(root, "events|flush_interval", conf_check_positive);
	cfg_set_validate_func(root, "events|memory_max", conf_check_positive);
	cfg_set_validate_func(root, "events|spool_max", conf_check_positive);
	cfg_set_validate_func(root, "events|retention_days",
	    conf_check_positive);
	cfg_set_validate_func(root, "events|stats_interval",
	    conf_check_positive);
}

const struct herald_module events_module = {
	.name = "events",
	.opts = events_opts,
	.validators = events_validators,
	.start = events_start,
	.reload = events_reload,
	.stop = events_stop,
};
