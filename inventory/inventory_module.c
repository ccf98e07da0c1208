/*
 * inventory_module.c: heraldd's "inventory" module. It keeps the topology
 * index current and fetches the daily inventory file on a schedule.
 *
 * Threads: the module runs ONE worker thread. Building an index (a million
 * rows) and importing a file are long and use blocking libpq, so they run
 * there, each on the worker's own database connection. The loop and the
 * worker share only two job queues under a mutex; the worker tells the
 * loop that a job is done by writing a byte to a pipe the loop watches.
 * The index itself is never shared while it changes: the worker builds a
 * new one, the loop swaps it in and sends the old one back to be freed.
 *
 * On the loop: the download (libcurl multi through curl_io), the schedule
 * and retry timers, and LISTEN inventory_changed through the store, so an
 * import made by heraldctl anywhere reloads the index here.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "curl_io.h"
#include "herald.h"
#include "inventory.h"
#include "inventory_fetch.h"
#include "inventory_import.h"
#include "log.h"
#include "module.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

#define INV_LOG_ERRORS	20	/* rejected lines logged per import */
#define INV_LOG_CHANGES	10	/* examples of each change logged */

enum inv_job_kind {
	JOB_LOAD,
	JOB_IMPORT,
	JOB_FREE,
};

/* What a download fetched: the devices file (optional), then subscribers. */
enum { FETCH_DEVICES = 0, FETCH_SUBSCRIBERS, FETCH_N };

struct inv_job {
	TAILQ_ENTRY(inv_job)	 entry;
	enum inv_job_kind	 kind;
	char			*conninfo;
	char			*path[FETCH_N];
	char			*source[FETCH_N];
	double			 threshold;
	char			 run_by[300];
	struct inventory_index	*index;		/* built, or to free */
	struct inv_import_result res[FETCH_N];
	int			 ran[FETCH_N];
	char			 err[512];
	unsigned		 nerrors;	/* rejected lines logged */
	int			 progress;	/* last percentage logged */
};
TAILQ_HEAD(inv_jobs, inv_job);

struct inv_settings {
	char		*url[FETCH_N];
	char		*username, *password;
	int		 schedule;	/* minutes after local midnight */
	int		 retries, retry_interval, timeout;
	int		 fetch_on_start;
	double		 threshold;
};

struct inventory {
	struct herald		*h;
	struct inventory_index	*cur;
	struct inv_settings	 set;

	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct inv_jobs		 queued, done;	/* to the worker, back from it */
	int			 stopping;
	PGcancel		*cancel;	/* of the job running, under mu */
	int			 pipe[2];
	struct event		*ev_done;

	int			 loading, load_again, importing;
	struct curl_io		*cio;
	CURL			*xfer;
	FILE			*xfer_file;
	int			 xfer_which;
	char			*path[FETCH_N];
	char			 xfer_err[CURL_ERROR_SIZE];
	struct event		*ev_schedule, *ev_retry, *ev_load;
	int			 attempt;
	int			 load_wait;	/* s before the next load try */
	/* published (log, collector_stats, /metrics) when they change */
	unsigned long long	 fetched, fetch_failures, imported,
				 import_failures;
};

static cfg_opt_t inventory_opts[] = {
	CFG_STR("url", "", CFGF_NONE),
	CFG_STR("devices_url", "", CFGF_NONE),
	CFG_STR("username", "", CFGF_NONE),
	CFG_STR("password", "", CFGF_NONE),
	CFG_STR("schedule", "03:00", CFGF_NONE),
	CFG_INT("retries", 3, CFGF_NONE),
	CFG_INT("retry_interval", 300, CFGF_NONE),
	CFG_INT("timeout", 1800, CFGF_NONE),
	CFG_STR("error_threshold", "1%", CFGF_NONE),
	CFG_BOOL("fetch_on_start", cfg_false, CFGF_NONE),
	CFG_END()
};

static void	inventory_request_load(struct inventory *);
static void	inventory_fetch_next(struct inventory *);

/* "HH:MM" -> minutes after midnight, or -1. */
static int
inventory_parse_schedule(const char *s)
{
	int hh, mm;
	char end;

	if (sscanf(s, "%2d:%2d%c", &hh, &mm, &end) != 2 || hh < 0 || hh > 23 ||
	    mm < 0 || mm > 59)
		return -1;
	return hh * 60 + mm;
}

static int
inventory_check_schedule(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, 0);

	if (inventory_parse_schedule(s) < 0)
		conf_error(cfg, "%s: \"%s\" is not a time of day like 03:00",
		    opt->name, s);
	return 0;
}

static int
inventory_check_threshold(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, 0);
	double v;

	if (inventory_parse_threshold(s, &v) != 0)
		conf_error(cfg, "%s: \"%s\" is not a share of rows like 1%% "
		    "or 0.5%%", opt->name, s);
	return 0;
}

static int
inventory_check_url(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const schemes[] = { "file://", "ftp://", "ftps://",
	    "http://", "https://", "sftp://", "scp://", NULL };
	const char *s = cfg_opt_getnstr(opt, 0);
	size_t i;

	if (*s == '\0')
		return 0;
	for (i = 0; schemes[i] != NULL; i++)
		if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0)
			return 0;
	conf_error(cfg, "%s: \"%.60s\" is not a file, ftp, ftps, http, https, "
	    "sftp or scp URL", opt->name, s);
	return 0;
}

static int
inventory_check_nonneg(cfg_t *cfg, cfg_opt_t *opt)
{
	if (cfg_opt_getnint(opt, 0) < 0)
		conf_error(cfg, "%s: must not be negative", opt->name);
	return 0;
}

static void
inventory_validators(cfg_t *root)
{
	cfg_set_validate_func(root, "inventory|url", inventory_check_url);
	cfg_set_validate_func(root, "inventory|devices_url",
	    inventory_check_url);
	cfg_set_validate_func(root, "inventory|schedule",
	    inventory_check_schedule);
	cfg_set_validate_func(root, "inventory|error_threshold",
	    inventory_check_threshold);
	cfg_set_validate_func(root, "inventory|retries", inventory_check_nonneg);
	cfg_set_validate_func(root, "inventory|retry_interval",
	    conf_check_positive);
	cfg_set_validate_func(root, "inventory|timeout", conf_check_positive);
}

static void
inventory_check(cfg_t *root)
{
	cfg_t *sec = cfg_getsec(root, "inventory");

	if (*cfg_getstr(sec, "devices_url") != '\0' &&
	    *cfg_getstr(sec, "url") == '\0')
		conf_error(sec, "inventory: devices_url needs url (the "
		    "subscriber file) too");
}

static void
inventory_settings_free(struct inv_settings *s)
{
	free(s->url[0]);
	free(s->url[1]);
	free(s->username);
	free(s->password);
	memset(s, 0, sizeof(*s));
}

static void
inventory_settings_read(struct inv_settings *s, const struct herald_conf *c)
{
	cfg_t *sec = cfg_getsec(c->cfg, "inventory");

	inventory_settings_free(s);
	s->url[FETCH_DEVICES] = xstrdup(cfg_getstr(sec, "devices_url"));
	s->url[FETCH_SUBSCRIBERS] = xstrdup(cfg_getstr(sec, "url"));
	s->username = xstrdup(cfg_getstr(sec, "username"));
	s->password = xstrdup(cfg_getstr(sec, "password"));
	s->schedule = inventory_parse_schedule(cfg_getstr(sec, "schedule"));
	s->retries = (int)cfg_getint(sec, "retries");
	s->retry_interval = (int)cfg_getint(sec, "retry_interval");
	s->timeout = (int)cfg_getint(sec, "timeout");
	s->fetch_on_start = cfg_getbool(sec, "fetch_on_start");
	inventory_parse_threshold(cfg_getstr(sec, "error_threshold"),
	    &s->threshold);
}

const struct inventory_index *
inventory_current(const struct inventory *inv)
{
	return inv != NULL ? inv->cur : NULL;
}

/* ---- the worker thread ---- */

static void
inventory_job_free(struct inv_job *j)
{
	int i;

	inventory_index_free(j->index);
	for (i = 0; i < FETCH_N; i++) {
		if (j->path[i] != NULL)
			unlink(j->path[i]);
		free(j->path[i]);
		free(j->source[i]);
	}
	free(j->conninfo);
	free(j);
}

static void
inventory_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct inv_job *j = arg;
	int pct = total > 0 ? (int)(done * 100 / total) : 100;

	if (pct / 10 > j->progress / 10 && pct < 100) {
		log_info("inventory: reading %d%% (%.1f of %.1f MB)", pct,
		    (double)done / 1e6, (double)total / 1e6);
		j->progress = pct;
	}
}

static void
inventory_line_error_cb(void *arg, unsigned long line, const char *reason)
{
	struct inv_job *j = arg;

	if (j->nerrors++ < INV_LOG_ERRORS)
		log_warnx("inventory: line %lu: %s", line, reason);
}

static void
inventory_change_cb(void *arg, const char *change, const char *what,
    const char *from, const char *to)
{
	log_info("inventory: %s %s%s%s%s%s", change, what, from ? " from " : "",
	    from ? from : "", to ? " to " : "", to ? to : "");
}

static PGconn *
inventory_worker_connect(struct inventory *inv, struct inv_job *j)
{
	PGconn *conn = PQconnectdb(j->conninfo);

	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(j->err, sizeof(j->err), "cannot connect: %s",
		    PQerrorMessage(conn));
		j->err[strcspn(j->err, "\n")] = '\0';
		PQfinish(conn);
		return NULL;
	}
	PQclear(PQexec(conn, "SET client_min_messages = warning"));
	pthread_mutex_lock(&inv->mu);
	inv->cancel = PQgetCancel(conn);
	pthread_mutex_unlock(&inv->mu);
	return conn;
}

static void
inventory_worker_import(struct inv_job *j, PGconn *conn)
{
	struct inv_import_opts o;
	int i;

	for (i = 0; i < FETCH_N; i++) {
		if (j->path[i] == NULL)
			continue;
		memset(&o, 0, sizeof(o));
		o.kind = i == FETCH_DEVICES ? INV_KIND_DEVICES :
		    INV_KIND_SUBSCRIBERS;
		o.source = j->source[i];
		o.run_by = j->run_by;
		o.error_threshold = j->threshold;
		o.max_changes = INV_LOG_CHANGES;
		o.arg = j;
		o.line_error = inventory_line_error_cb;
		o.change = inventory_change_cb;
		o.progress = inventory_progress_cb;
		j->progress = 0;
		j->ran[i] = 1;
		if (inventory_import_file(conn, j->path[i], &o, &j->res[i]) != 0)
			break;
	}
}

static void
inventory_worker_run(struct inventory *inv, struct inv_job *j)
{
	PGconn *conn;

	if (j->kind == JOB_FREE) {
		inventory_index_free(j->index);
		j->index = NULL;
		malloc_trim(0);		/* give the old index back to the system */
		return;
	}
	if ((conn = inventory_worker_connect(inv, j)) == NULL)
		return;
	if (j->kind == JOB_LOAD)
		j->index = inventory_index_load(conn, j->err, sizeof(j->err));
	else
		inventory_worker_import(j, conn);
	pthread_mutex_lock(&inv->mu);
	PQfreeCancel(inv->cancel);
	inv->cancel = NULL;
	pthread_mutex_unlock(&inv->mu);
	PQfinish(conn);
	malloc_trim(0);		/* and libpq's buffers of the load or import */
}

static void *
inventory_worker(void *arg)
{
	struct inventory *inv = arg;
	struct inv_job *j;
	char byte = 1;

	pthread_mutex_lock(&inv->mu);
	for (;;) {
		while (!inv->stopping && TAILQ_EMPTY(&inv->queued))
			pthread_cond_wait(&inv->cv, &inv->mu);
		if (inv->stopping)
			break;
		j = TAILQ_FIRST(&inv->queued);
		TAILQ_REMOVE(&inv->queued, j, entry);
		pthread_mutex_unlock(&inv->mu);
		inventory_worker_run(inv, j);
		pthread_mutex_lock(&inv->mu);
		TAILQ_INSERT_TAIL(&inv->done, j, entry);
		if (write(inv->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
			log_warn("inventory: worker pipe");
	}
	pthread_mutex_unlock(&inv->mu);
	return NULL;
}

static void
inventory_submit(struct inventory *inv, struct inv_job *j)
{
	pthread_mutex_lock(&inv->mu);
	TAILQ_INSERT_TAIL(&inv->queued, j, entry);
	pthread_cond_signal(&inv->cv);
	pthread_mutex_unlock(&inv->mu);
}

/* Who ran an import, for inventory_imports.run_by. */
static void
inventory_run_by(char *buf, size_t len)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "heraldd@%s", host);
}

static struct inv_job *
inventory_job_new(struct inventory *inv, enum inv_job_kind kind)
{
	struct inv_job *j = xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->conninfo = xstrdup(inv->h->conf->db_conninfo);
	j->threshold = inv->set.threshold;
	inventory_run_by(j->run_by, sizeof(j->run_by));
	return j;
}

/* ---- the loop side ---- */

static void
inventory_log_index(struct inventory *inv)
{
	struct inventory_stats st;

	inventory_index_stats(inv->cur, &st);
	log_info("inventory: index loaded: %zu accounts, %zu devices, "
	    "%zu boards, %zu ports, %zu splitters, %zu ONUs, %zu DSL lines, "
	    "%zu phones; %.1f MB; import %lld; built in %.2f s", st.accounts,
	    st.devices, st.boards, st.ports, st.splitters, st.onus, st.lines,
	    st.phones, (double)st.bytes / 1e6, (long long)st.import_id,
	    st.build_seconds);
}

static void
inventory_loaded(struct inventory *inv, struct inv_job *j)
{
	struct inv_job *old;

	inv->loading = 0;
	if (j->index == NULL) {
		/*
		 * Tried again: a heraldd started while PostgreSQL is away (or
		 * with wrong credentials, fixed by a reload) would otherwise
		 * hold no index until the next import, and every incident
		 * would have no accounts and notify nobody.
		 */
		struct timeval tv;

		inv->load_wait = inv->load_wait ? inv->load_wait * 2 : 5;
		if (inv->load_wait > 300)
			inv->load_wait = 300;
		tv.tv_sec = inv->load_wait;
		tv.tv_usec = 0;
		log_warnx("inventory: cannot load the index: %s%s; trying "
		    "again in %d s", j->err, strstr(j->err, "does not exist") ?
		    " (has \"heraldctl db migrate\" been run?)" : "",
		    inv->load_wait);
		evtimer_add(inv->ev_load, &tv);
	} else {
		inv->load_wait = 0;
		/* Swap; the old index is freed off the loop. */
		old = inventory_job_new(inv, JOB_FREE);
		old->index = inv->cur;
		inv->cur = j->index;
		j->index = NULL;
		inventory_log_index(inv);
		if (old->index != NULL)
			inventory_submit(inv, old);
		else
			inventory_job_free(old);
	}
	if (inv->load_again) {
		inv->load_again = 0;
		inventory_request_load(inv);
	}
}

/* The scheduled fetches and imports, counted for /metrics. */
static void
inventory_publish(struct inventory *inv)
{
	const struct stats_counter c[] = {
		{ "fetched", inv->fetched },
		{ "fetch_failures", inv->fetch_failures },
		{ "imported", inv->imported },
		{ "import_failures", inv->import_failures },
	};

	stats_publish(inv->h, "inventory", c, sizeof(c) / sizeof(*c), 0);
}

static void
inventory_retry_later(struct inventory *inv, const char *why)
{
	struct timeval tv = { inv->set.retry_interval, 0 };

	if (inv->attempt > inv->set.retries) {
		log_warnx("inventory: %s; giving up until the next scheduled "
		    "fetch", why);
		return;
	}
	log_warnx("inventory: %s; retry %d of %d in %d s", why, inv->attempt,
	    inv->set.retries, inv->set.retry_interval);
	evtimer_add(inv->ev_retry, &tv);
}

static void
inventory_imported(struct inventory *inv, struct inv_job *j)
{
	struct inv_import_result *r;
	int i, retry = 0;

	inv->importing = 0;
	if (j->err[0] != '\0') {
		inv->import_failures++;
		inventory_publish(inv);
		inventory_retry_later(inv, j->err);
		return;
	}
	for (i = 0; i < FETCH_N; i++) {
		if (!j->ran[i])
			continue;
		r = &j->res[i];
		log_info("inventory: import %lld of %s from %s: %s; %lu rows, "
		    "%lu loaded, %lu rejected; %lu added, %lu removed, "
		    "%lu moved, %lu updated; %.2f s%s%s",
		    (long long)r->import_id, inventory_kind_name(i ==
		    FETCH_DEVICES ? INV_KIND_DEVICES : INV_KIND_SUBSCRIBERS),
		    j->source[i], inventory_result_name(r->result), r->rows,
		    r->loaded, r->rejected, r->added, r->removed, r->moved,
		    r->updated, r->seconds, r->error[0] ? ": " : "", r->error);
		if (r->result == INV_RESULT_FAILED && r->retryable)
			retry = 1;
		if (r->result == INV_RESULT_FAILED)
			inv->import_failures++;
		else
			inv->imported++;
	}
	inventory_publish(inv);
	if (retry)
		inventory_retry_later(inv, "the import failed");
}

static void
inventory_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inventory *inv = arg;
	struct inv_job *j;
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	for (;;) {
		pthread_mutex_lock(&inv->mu);
		if ((j = TAILQ_FIRST(&inv->done)) != NULL)
			TAILQ_REMOVE(&inv->done, j, entry);
		pthread_mutex_unlock(&inv->mu);
		if (j == NULL)
			break;
		if (j->kind == JOB_LOAD)
			inventory_loaded(inv, j);
		else if (j->kind == JOB_IMPORT)
			inventory_imported(inv, j);
		inventory_job_free(j);
	}
}

/* One load at a time; a change during a load asks for another after it. */
static void
inventory_request_load(struct inventory *inv)
{
	if (inv->loading) {
		inv->load_again = 1;
		return;
	}
	inv->loading = 1;
	inventory_submit(inv, inventory_job_new(inv, JOB_LOAD));
}

static void
inventory_load_cb(evutil_socket_t fd, short what, void *arg)
{
	inventory_request_load(arg);
}

static void
inventory_notify_cb(struct store *st, const char *channel, const char *payload,
    void *arg)
{
	struct inventory *inv = arg;

	log_info("inventory: import %s committed; reloading the index",
	    payload && *payload ? payload : "?");
	inventory_request_load(inv);
}

/* Notifications are lost while disconnected: compare after a reconnect. */
static void
inventory_sync_cb(struct store *st, PGresult *res, void *arg)
{
	struct inventory *inv = arg;
	struct inventory_stats s;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		return;
	if (inv->cur != NULL) {
		inventory_index_stats(inv->cur, &s);
		if (s.import_id == strtoll(PQgetvalue(res, 0, 0), NULL, 10))
			return;
	}
	inventory_request_load(inv);
}

static void
inventory_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct inventory *inv = arg;

	if (s != STORE_UP || store_connects(st) <= 1)
		return;
	store_query(st, "SELECT coalesce(max(id), 0) FROM inventory_imports "
	    "WHERE result = 'ok'", 0, NULL, inventory_sync_cb, inv);
}

/* ---- the scheduled fetch ---- */

static void
inventory_fetch_cleanup(struct inventory *inv)
{
	int i;

	if (inv->xfer_file != NULL)
		fclose(inv->xfer_file);
	inv->xfer_file = NULL;
	inv->xfer = NULL;
	for (i = 0; i < FETCH_N; i++) {
		if (inv->path[i] != NULL)
			unlink(inv->path[i]);
		free(inv->path[i]);
		inv->path[i] = NULL;
	}
}

/* Both files are here: the worker imports them (devices first). */
static void
inventory_fetched(struct inventory *inv)
{
	struct inv_job *j = inventory_job_new(inv, JOB_IMPORT);
	int i;

	for (i = 0; i < FETCH_N; i++) {
		j->path[i] = inv->path[i];
		inv->path[i] = NULL;
		if (j->path[i] != NULL)
			j->source[i] = inventory_url_redact(inv->set.url[i]);
	}
	inventory_submit(inv, j);
}

static void
inventory_record_fetch_failure(struct inventory *inv, const char *src,
    const char *err)
{
	char run_by[300];
	const char *p[4] = { inventory_kind_name(inv->xfer_which ==
	    FETCH_DEVICES ? INV_KIND_DEVICES : INV_KIND_SUBSCRIBERS), src, err,
	    run_by };

	inventory_run_by(run_by, sizeof(run_by));
	store_query(inv->h->store, inventory_fetch_failed_sql, 4, p, NULL, NULL);
}

static void
inventory_xfer_done_cb(CURL *e, CURLcode rc, void *arg)
{
	struct inventory *inv = arg;
	char err[512], *src;
	int failed;

	failed = inventory_fetch_check(e, rc, inv->xfer_err, err,
	    sizeof(err)) != 0 || fflush(inv->xfer_file) != 0;
	fclose(inv->xfer_file);
	inv->xfer_file = NULL;
	inv->xfer = NULL;
	src = inventory_url_redact(inv->set.url[inv->xfer_which]);
	if (failed) {
		char why[1024];

		snprintf(why, sizeof(why), "cannot fetch %s: %s", src, err);
		inventory_record_fetch_failure(inv, src, err);
		inv->fetch_failures++;
		inventory_publish(inv);
		free(src);
		inv->importing = 0;
		inventory_fetch_cleanup(inv);
		inventory_retry_later(inv, why);
		return;
	}
	log_info("inventory: fetched %s", src);
	inv->fetched++;
	free(src);
	inv->xfer_which++;
	inventory_fetch_next(inv);
}

static void
inventory_fetch_next(struct inventory *inv)
{
	struct inventory_fetch_opts o;
	int w;

	while ((w = inv->xfer_which) < FETCH_N && *inv->set.url[w] == '\0')
		inv->xfer_which++;
	if ((w = inv->xfer_which) >= FETCH_N) {
		inventory_fetched(inv);
		return;
	}
	inv->xfer_file = inventory_fetch_tmpfile(inv->h->conf->state_dir,
	    &inv->path[w]);
	if (inv->xfer_file == NULL) {
		log_warn("inventory: cannot create a file in %s",
		    inv->h->conf->state_dir);
		inv->importing = 0;
		inventory_fetch_cleanup(inv);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.url = inv->set.url[w];
	o.username = inv->set.username;
	o.password = inv->set.password;
	o.timeout = inv->set.timeout;
	inv->xfer = inventory_fetch_easy(&o, inv->xfer_file, inv->xfer_err);
	if (inv->xfer == NULL ||
	    curl_io_add(inv->cio, inv->xfer, inventory_xfer_done_cb, inv) != 0) {
		inv->importing = 0;
		inventory_fetch_cleanup(inv);
		inventory_retry_later(inv, "cannot start the download");
	}
}

static void
inventory_fetch_start(struct inventory *inv)
{
	if (*inv->set.url[FETCH_SUBSCRIBERS] == '\0')
		return;
	if (inv->importing) {
		log_warnx("inventory: the previous fetch is still running");
		return;
	}
	inv->importing = 1;
	inv->attempt++;
	inv->xfer_which = 0;
	inventory_fetch_next(inv);
}

static void
inventory_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	inventory_fetch_start(arg);
}

static void
inventory_arm_schedule(struct inventory *inv)
{
	struct timeval tv = { 0, 0 };
	time_t now = time(NULL), at;
	struct tm tm;

	evtimer_del(inv->ev_schedule);
	if (*inv->set.url[FETCH_SUBSCRIBERS] == '\0')
		return;
	localtime_r(&now, &tm);
	tm.tm_hour = inv->set.schedule / 60;
	tm.tm_min = inv->set.schedule % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((at = mktime(&tm)) <= now) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		at = mktime(&tm);
	}
	tv.tv_sec = at - now;
	evtimer_add(inv->ev_schedule, &tv);
	log_debug("inventory", "next fetch in %ld s", (long)tv.tv_sec);
}

static void
inventory_schedule_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inventory *inv = arg;

	evtimer_del(inv->ev_retry);
	inv->attempt = 0;
	inventory_fetch_start(inv);
	inventory_arm_schedule(inv);
}

/* ---- module ---- */

static int
inventory_start(struct herald *h)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));

	inv->h = h;
	inventory_settings_read(&inv->set, h->conf);
	TAILQ_INIT(&inv->queued);
	TAILQ_INIT(&inv->done);
	pthread_mutex_init(&inv->mu, NULL);
	pthread_cond_init(&inv->cv, NULL);
	if (pipe2(inv->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		log_warn("inventory: pipe");
		free(inv);
		return -1;
	}
	inv->ev_done = event_new(h->base, inv->pipe[0], EV_READ | EV_PERSIST,
	    inventory_done_cb, inv);
	event_add(inv->ev_done, NULL);
	inv->ev_schedule = evtimer_new(h->base, inventory_schedule_cb, inv);
	inv->ev_retry = evtimer_new(h->base, inventory_retry_cb, inv);
	inv->ev_load = evtimer_new(h->base, inventory_load_cb, inv);
	curl_global_init(CURL_GLOBAL_DEFAULT);	/* counted: once per user */
	inv->cio = curl_io_new(h->base);
	if (pthread_create(&inv->thread, NULL, inventory_worker, inv) != 0)
		fatalx("inventory: cannot start the worker thread");
	h->inventory = inv;
	store_listen(h->store, INVENTORY_CHANNEL, inventory_notify_cb, inv);
	store_watch(h->store, inventory_state_cb, inv);
	inventory_request_load(inv);
	inventory_arm_schedule(inv);
	if (inv->set.fetch_on_start)
		inventory_fetch_start(inv);
	return 0;
}

static void
inventory_reload(struct herald *h, struct herald_conf *old)
{
	struct inventory *inv = h->inventory;

	inventory_settings_read(&inv->set, h->conf);
	inventory_arm_schedule(inv);
}

static void
inventory_stop(struct herald *h)
{
	struct inventory *inv = h->inventory;
	struct inv_job *j;
	char err[256];

	if (inv == NULL)
		return;
	pthread_mutex_lock(&inv->mu);
	inv->stopping = 1;
	/* An import may be running: ask the server to cancel it (rollback). */
	if (inv->cancel != NULL)
		PQcancel(inv->cancel, err, sizeof(err));
	pthread_cond_signal(&inv->cv);
	pthread_mutex_unlock(&inv->mu);
	pthread_join(inv->thread, NULL);
	while ((j = TAILQ_FIRST(&inv->queued)) != NULL) {
		TAILQ_REMOVE(&inv->queued, j, entry);
		inventory_job_free(j);
	}
	while ((j = TAILQ_FIRST(&inv->done)) != NULL) {
		TAILQ_REMOVE(&inv->done, j, entry);
		inventory_job_free(j);
	}
	curl_io_free(inv->cio);
	curl_global_cleanup();
	inventory_fetch_cleanup(inv);
	event_free(inv->ev_done);
	event_free(inv->ev_schedule);
	event_free(inv->ev_retry);
	event_free(inv->ev_load);
	close(inv->pipe[0]);
	close(inv->pipe[1]);
	pthread_mutex_destroy(&inv->mu);
	pthread_cond_destroy(&inv->cv);
	inventory_index_free(inv->cur);
	inventory_settings_free(&inv->set);
	free(inv);
	h->inventory = NULL;
}

const struct herald_module inventory_module = {
	.name = "inventory",
	.opts = inventory_opts,
	.validators = inventory_validators,
	.check = inventory_check,
	.start = inventory_start,
	.reload = inventory_reload,
	.stop = inventory_stop,
};
