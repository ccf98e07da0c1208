/*
 * heraldd.c: start-up, the event loop, signals, reload and shutdown.
 */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "conf.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "sdnotify.h"
#include "store.h"

#define HERALD_DEFAULT_CONF	SYSCONFDIR "/herald/herald.conf"

struct heraldd_opts {
	const char	*conf_path;
	int		 foreground;
	int		 check_only;
	int		 verbose;
};

/* heraldd -h (stdout, exit 0) or a usage error (stderr, exit 64). */
static void __attribute__((noreturn))
heraldd_usage(FILE *f, int rc)
{
	fprintf(f, "usage: heraldd [-dhnvV] [-c file]\n"
	    "  -c file  configuration (default %s)\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -h       print this help and exit\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more verbose (repeat for debug)\n"
	    "  -V       print the version and exit\n"
	    "Signals: SIGHUP reloads the configuration, SIGTERM stops.\n"
	    "See heraldd(8) and herald.conf(5).\n", HERALD_DEFAULT_CONF);
	exit(rc);
}

static void
heraldd_parse_args(int argc, char **argv, struct heraldd_opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf_path = HERALD_DEFAULT_CONF;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:dnvVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf_path = optarg;
			break;
		case 'd':
			o->foreground = 1;
			break;
		case 'n':
			o->check_only = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("heraldd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			heraldd_usage(stdout, 0);
		default:
			heraldd_usage(stderr, 64);
		}
	}
	if (optind != argc)
		heraldd_usage(stderr, 64);
}

static void
heraldd_apply_log(const struct herald_conf *c, const struct heraldd_opts *o)
{
	int level = c->log_level + o->verbose;

	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_init(o->foreground, level, c->log_syslog);
	log_setsubsystems(c->log_debug);
}

static void
heraldd_apply_timezone(const struct herald_conf *c)
{
	setenv("TZ", c->timezone, 1);
	tzset();
}

/* Parse into a fresh structure and swap it in only if it is valid. */
static void
heraldd_reload(struct herald *h, const struct heraldd_opts *o)
{
	struct herald_conf *old = h->conf, *c;
	size_t i;

	sdnotify("RELOADING=1");
	log_info("reloading %s", old->path);
	if ((c = conf_load(old->path)) == NULL) {
		log_warnx("%s has errors, not reloading", old->path);
		sdnotify("READY=1");
		return;
	}
	h->conf = c;
	heraldd_apply_log(c, o);
	heraldd_apply_timezone(c);
	store_set_conninfo(h->store, c->db_conninfo);
	store_set_stall_timeout(h->store, c->db_stall_timeout);
	store_set_conninfo(h->decide, c->db_conninfo);
	store_set_stall_timeout(h->decide, c->db_stall_timeout);
	for (i = 0; herald_modules[i] != NULL; i++)
		if (herald_modules[i]->reload != NULL)
			herald_modules[i]->reload(h, old);
	conf_free(old);
	log_info("configuration reloaded");
	sdnotify("READY=1");
}

struct heraldd_signal_ctx {
	struct herald		*h;
	struct heraldd_opts	*o;
};

static void
heraldd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct heraldd_signal_ctx *ctx = arg;

	switch (sig) {
	case SIGHUP:
		heraldd_reload(ctx->h, ctx->o);
		break;
	default:
		log_info("received %s, stopping", strsignal((int)sig));
		/* In a cluster, hand the devices over first. */
		cluster_leave(ctx->h);
		break;
	}
}

/*
 * The loop runs, but is heraldd still doing its job? A store (events or
 * decisions) that has been stuck through reconnects for
 * database.stall_restart seconds cannot write anything: stop the pings so
 * that systemd restarts us.
 */
static void
heraldd_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct herald *h = arg;
	static int said;
	int stuck = store_stuck(h->store);

	if (store_stuck(h->decide) > stuck)
		stuck = store_stuck(h->decide);
	if (stuck >= h->conf->db_stall_restart) {
		if (!said)
			log_warnx("database writer stuck for %d s: no more "
			    "watchdog pings, systemd will restart heraldd",
			    stuck);
		said = 1;
		return;
	}
	said = 0;
	sdnotify("WATCHDOG=1");
}

static void
heraldd_store_state_cb(struct store *st, enum store_state s, void *arg)
{
	static const char *const names[] = {
		[STORE_DOWN] = "database down",
		[STORE_CONNECTING] = "connecting to database",
		[STORE_UP] = "database connected",
	};

	sdnotify_status("%s", names[s]);
}

/* libevent's own warnings go through our log like everything else. */
static void
heraldd_event_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_error("libevent: %s", msg);
	else if (severity == EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("event", "%s", msg);
}

static int
heraldd_start_modules(struct herald *h)
{
	size_t i;

	for (i = 0; herald_modules[i] != NULL; i++) {
		if (herald_modules[i]->start == NULL)
			continue;
		if (herald_modules[i]->start(h) != 0) {
			log_error("%s: failed to start", herald_modules[i]->name);
			while (i-- > 0)
				if (herald_modules[i]->stop != NULL)
					herald_modules[i]->stop(h);
			return -1;
		}
	}
	return 0;
}

static void
heraldd_stop_modules(struct herald *h)
{
	size_t n;

	for (n = 0; herald_modules[n] != NULL; n++)
		;
	while (n-- > 0)
		if (herald_modules[n]->stop != NULL)
			herald_modules[n]->stop(h);
}

static int
heraldd_run(struct herald *h, struct heraldd_opts *o)
{
	struct heraldd_signal_ctx ctx = { h, o };
	struct event *sig[3], *watchdog = NULL;
	const int signals[3] = { SIGTERM, SIGINT, SIGHUP };
	uint64_t wd_usec;
	size_t i;

	h->store = store_new(h->base, h->conf->db_conninfo,
	    h->conf->db_connect_timeout, (size_t)h->conf->db_queue_max);
	store_set_stall_timeout(h->store, h->conf->db_stall_timeout);
	store_watch(h->store, heraldd_store_state_cb, h);
	store_start(h->store);
	h->decide = store_new(h->base, h->conf->db_conninfo,
	    h->conf->db_connect_timeout, (size_t)h->conf->db_queue_max);
	store_set_label(h->decide, "decisions");
	store_set_stall_timeout(h->decide, h->conf->db_stall_timeout);
	store_start(h->decide);
	if (heraldd_start_modules(h) != 0) {
		store_free(h->decide);
		store_free(h->store);
		return 1;
	}
	for (i = 0; i < 3; i++) {
		sig[i] = evsignal_new(h->base, signals[i], heraldd_signal_cb, &ctx);
		evsignal_add(sig[i], NULL);
	}
	if ((wd_usec = sdnotify_watchdog_usec()) > 0) {
		struct timeval tv = { (time_t)(wd_usec / 2000000),
		    (suseconds_t)((wd_usec / 2) % 1000000) };

		/* From the loop, so that a stuck loop stops the pings. */
		watchdog = event_new(h->base, -1, EV_PERSIST,
		    heraldd_watchdog_cb, h);
		event_add(watchdog, &tv);
	}
	if (geteuid() == 0 && !o->foreground)
		log_warnx("running as root: use the heraldd.service unit, "
		    "which runs heraldd as user herald");
	log_info("heraldd %s started", PACKAGE_VERSION);
	sdnotify("READY=1");

	event_base_dispatch(h->base);

	sdnotify("STOPPING=1");
	heraldd_stop_modules(h);
	store_free(h->decide);
	store_free(h->store);
	for (i = 0; i < 3; i++)
		event_free(sig[i]);
	if (watchdog != NULL)
		event_free(watchdog);
	log_info("heraldd stopped");
	return 0;
}

int
herald_main(int argc, char **argv)
{
	struct heraldd_opts o;
	struct herald h;
	int rc;

	heraldd_parse_args(argc, argv, &o);
	log_init(1, LOG_LEVEL_INFO + o.verbose, 0);
	memset(&h, 0, sizeof(h));
	if ((h.conf = conf_load(o.conf_path)) == NULL)
		return HERALD_EX_CONFIG;
	if (o.check_only) {
		printf("configuration OK\n");
		conf_free(h.conf);
		return 0;
	}
	h.foreground = o.foreground;
	heraldd_apply_log(h.conf, &o);
	heraldd_apply_timezone(h.conf);
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(heraldd_event_log_cb);
	if ((h.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	rc = heraldd_run(&h, &o);
	event_base_free(h.base);
	conf_free(h.conf);
	return rc;
}
