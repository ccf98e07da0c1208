/*
 * lookupload.c: the lookup benchmark's load generator. Sends GET requests
 * (a base URL plus a query string from a file, with a bearer token) over C
 * keep-alive connections (libevent's evhttp client) and reports latency
 * percentiles.
 *
 * Open loop (--rate R > 0): request i is intended at t0 + i/R whatever
 * happened before. When no connection is free it waits in a queue, and its
 * latency is still counted from its intended time, so that a server that
 * stalls is charged for every request it delayed (a closed-loop client
 * would just send less and hide the queueing). The send timer is precise
 * (timerfd), so the generator adds no millisecond of its own.
 * Closed loop (--rate 0): every connection sends its next request as soon
 * as the last one is answered; latency is from the send.
 *
 * usage: lookupload -u URL -q FILE [-t TOKEN] [-r RATE] [-c CONNS]
 *        [-d SECONDS] [--round-robin] [--seed N] [--timeout S]
 * prints a summary and one line of key=value figures starting "load:";
 * achieved_rps counts the answers with 200 only.
 * Errors: answers other than 200, connection failures and timeouts, and
 * requests still unanswered --timeout seconds after the run's end.
 */
#include "config.h"

#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct load;

/* One keep-alive connection; at most one request in flight on it. */
struct conn {
	struct load			*l;
	struct evhttp_connection	*evcon;
	double				 intended;	/* of the request in flight */
	int				 busy;
};

struct load {
	struct event_base	*base;
	struct event		*tick;		/* the next intended send */
	struct event		*end;		/* end of the run, then of grace */
	char			 host[256];
	char			 hostport[300];
	int			 port;
	char			*auth;		/* "Bearer TOKEN" or NULL */
	char			**uris;		/* path?query, one per line */
	size_t			 nuris, next;
	int			 round_robin;
	uint64_t		 rng;
	double			 rate, duration, timeout, t0, last;
	uint64_t		 total;		/* requests intended in the run */
	uint64_t		 due, sent, ok, status_err, conn_err;
	int			 ending;
	struct conn		*conns;
	int			 nconns, nbusy;
	double			*lat;		/* ms, answers with 200 only */
	size_t			 nlat, caplat;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timeval
tv_of(double s)
{
	struct timeval tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

static void
usage(void)
{
	fprintf(stderr, "usage: lookupload -u URL -q FILE [-t TOKEN] "
	    "[-r RATE] [-c CONNS] [-d SECONDS]\n"
	    "       [--round-robin] [--seed N] [--timeout S]\n");
	exit(2);
}

/* xorshift64*: reproducible picks without libc's shared rand state. */
static size_t
pick(struct load *l)
{
	if (l->round_robin)
		return l->next++ % l->nuris;
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return (size_t)((l->rng * 2685821657736338717ULL) >> 11) % l->nuris;
}

static void
record(struct load *l, double ms)
{
	if (l->nlat == l->caplat) {
		l->caplat = l->caplat ? 2 * l->caplat : 65536;
		if ((l->lat = realloc(l->lat, l->caplat * sizeof(*l->lat))) ==
		    NULL) {
			perror("lookupload: realloc");
			exit(1);
		}
	}
	l->lat[l->nlat++] = ms;
}

static void	conn_send(struct conn *, double intended);
static void	dispatch(struct load *);

/* Every request ends here: an answer, or req NULL on a connection error. */
static void
conn_done(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;
	struct load *l = c->l;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	double t = now_s();

	c->busy = 0;
	l->nbusy--;
	l->last = t;
	if (code == 200) {
		l->ok++;
		record(l, (t - c->intended) * 1e3);
	} else if (code == 0)
		l->conn_err++;
	else
		l->status_err++;
	if (l->rate > 0)
		dispatch(l);
	else if (!l->ending)
		conn_send(c, t);
	if (l->ending && l->nbusy == 0 && (l->rate <= 0 ||
	    l->sent == l->total))
		event_base_loopbreak(l->base);
}

static void
conn_send(struct conn *c, double intended)
{
	struct load *l = c->l;
	struct evhttp_request *req;
	struct evkeyvalq *h;

	if ((req = evhttp_request_new(conn_done, c)) == NULL) {
		fprintf(stderr, "lookupload: evhttp_request_new failed\n");
		exit(1);
	}
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", l->hostport);
	if (l->auth)
		evhttp_add_header(h, "Authorization", l->auth);
	c->intended = intended;
	c->busy = 1;
	l->nbusy++;
	l->sent++;
	/* A failed connect comes back through conn_done (req NULL); a -1
	 * here means the request was never queued. */
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_GET,
	    l->uris[pick(l)]) != 0 && c->busy) {
		c->busy = 0;
		l->nbusy--;
		l->conn_err++;
	}
}

/* Open loop: hand the requests that are due to free connections. */
static void
dispatch(struct load *l)
{
	int i;

	for (i = 0; i < l->nconns && l->sent < l->due; i++)
		if (!l->conns[i].busy)
			conn_send(&l->conns[i], l->t0 + (double)l->sent /
			    l->rate);
}

/* Requests intended up to now become due; sleep until the next one. */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct load *l = arg;
	double t = now_s(), next;
	uint64_t n = (uint64_t)((t - l->t0) * l->rate) + 1;
	struct timeval tv;

	(void)fd;
	(void)what;
	l->due = n < l->total ? n : l->total;
	dispatch(l);
	if (l->due < l->total) {
		next = l->t0 + (double)l->due / l->rate;
		tv = tv_of(next - now_s());
		evtimer_add(l->tick, &tv);
	}
}

/* The run's end; a second call is the end of the grace period. */
static void
end(evutil_socket_t fd, short what, void *arg)
{
	struct load *l = arg;
	struct timeval tv = tv_of(l->timeout);

	(void)fd;
	(void)what;
	if (l->ending) {
		event_base_loopbreak(l->base);
		return;
	}
	l->ending = 1;
	if (l->nbusy == 0 && (l->rate <= 0 || l->sent == l->total)) {
		event_base_loopbreak(l->base);
		return;
	}
	evtimer_add(l->end, &tv);
}

static void
load_url(struct load *l, const char *url, const char **path)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *host, *scheme;

	if (u == NULL || (host = evhttp_uri_get_host(u)) == NULL ||
	    ((scheme = evhttp_uri_get_scheme(u)) != NULL &&
	    strcmp(scheme, "http") != 0)) {
		fprintf(stderr, "lookupload: not an http:// URL: %s\n", url);
		exit(2);
	}
	snprintf(l->host, sizeof(l->host), "%s", host);
	l->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	snprintf(l->hostport, sizeof(l->hostport), "%s:%d", l->host, l->port);
	*path = evhttp_uri_get_path(u);
	*path = strdup(*path && **path ? *path : "/");
}

/* One URI a non-empty line of FILE: PATH?LINE (or PATH alone for "-"). */
static void
load_queries(struct load *l, const char *file, const char *path)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	size_t cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "lookupload: %s: %s\n", file, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 0)
			continue;
		if (l->nuris == cap) {
			cap = cap ? 2 * cap : 1024;
			l->uris = realloc(l->uris, cap * sizeof(*l->uris));
		}
		n = strlen(path) + strlen(line) + 2;
		l->uris[l->nuris] = malloc(n);
		snprintf(l->uris[l->nuris++], n, "%s%s%s", path,
		    strcmp(line, "-") ? "?" : "", strcmp(line, "-") ? line : "");
	}
	fclose(f);
	if (l->nuris == 0) {
		fprintf(stderr, "lookupload: %s: no queries\n", file);
		exit(2);
	}
}

static void
parse_args(struct load *l, int argc, char **argv, const char **url,
    const char **file)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "queries", required_argument, NULL, 'q' },
		{ "rate", required_argument, NULL, 'r' },
		{ "connections", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "round-robin", no_argument, NULL, 'R' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char *token = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "u:t:q:r:c:d:", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'u': *url = optarg; break;
		case 't': token = optarg; break;
		case 'q': *file = optarg; break;
		case 'r': l->rate = atof(optarg); break;
		case 'c': l->nconns = atoi(optarg); break;
		case 'd': l->duration = atof(optarg); break;
		case 'R': l->round_robin = 1; break;
		case 's': l->rng = strtoull(optarg, NULL, 0); break;
		case 'T': l->timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (*url == NULL || *file == NULL || l->nconns < 1 ||
	    l->duration <= 0 || l->rate < 0 || l->timeout <= 0 || optind != argc)
		usage();
	if (l->rng == 0)
		l->rng = 0x9e3779b97f4a7c15ULL;
	if (token != NULL) {
		l->auth = malloc(strlen(token) + 8);
		sprintf(l->auth, "Bearer %s", token);
	}
}

static void
setup(struct load *l)
{
	struct event_config *cfg = event_config_new();
	struct timeval tv;
	int i;

	/* Without it epoll rounds every timer to milliseconds. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	if ((l->base = event_base_new_with_config(cfg)) == NULL) {
		fprintf(stderr, "lookupload: event_base_new failed\n");
		exit(1);
	}
	event_config_free(cfg);
	l->conns = calloc((size_t)l->nconns, sizeof(*l->conns));
	for (i = 0; i < l->nconns; i++) {
		l->conns[i].l = l;
		l->conns[i].evcon = evhttp_connection_base_new(l->base, NULL,
		    l->host, (unsigned short)l->port);
		if (l->conns[i].evcon == NULL) {
			fprintf(stderr, "lookupload: cannot connect to %s\n",
			    l->hostport);
			exit(1);
		}
		evhttp_connection_set_timeout(l->conns[i].evcon,
		    (int)ceil(l->timeout));
		evhttp_connection_set_retries(l->conns[i].evcon, 0);
	}
	l->tick = evtimer_new(l->base, tick, l);
	l->end = evtimer_new(l->base, end, l);
	tv = tv_of(l->duration);
	evtimer_add(l->end, &tv);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The value at or below which a share p of the answers lie. */
static double
pct(const struct load *l, double p)
{
	size_t k;

	if (l->nlat == 0)
		return 0;
	k = (size_t)ceil(p * (double)l->nlat);
	return l->lat[k > 0 ? k - 1 : 0];
}

static void
report(struct load *l)
{
	uint64_t unfinished = l->rate > 0 ? l->total - (l->ok +
	    l->status_err + l->conn_err) : (uint64_t)l->nbusy;
	uint64_t errors = l->status_err + l->conn_err + unfinished;
	double span = (l->last > l->t0 ? l->last : now_s()) - l->t0;
	double achieved = (double)l->ok / span;	/* the rate held */

	qsort(l->lat, l->nlat, sizeof(*l->lat), cmp_double);
	printf("lookupload: %s, %d connections, %.0f s: %" PRIu64
	    " answered with 200, %" PRIu64 " errors (%" PRIu64 " status, %"
	    PRIu64 " connection, %" PRIu64 " unfinished)\n",
	    l->rate > 0 ? "open loop" : "closed loop", l->nconns, l->duration,
	    l->ok, errors, l->status_err, l->conn_err, unfinished);
	printf("  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f%s\n",
	    pct(l, 0.5), pct(l, 0.9), pct(l, 0.99),
	    l->nlat ? l->lat[l->nlat - 1] : 0.0,
	    l->rate > 0 ? " (from each request's intended send time)" : "");
	printf("load: rate=%.0f connections=%d duration_s=%.0f requests=%"
	    PRIu64 " ok=%" PRIu64 " errors=%" PRIu64 " achieved_rps=%.0f "
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", l->rate,
	    l->nconns, l->duration, l->rate > 0 ? l->total : l->sent, l->ok,
	    errors, achieved, pct(l, 0.5), pct(l, 0.9), pct(l, 0.99),
	    l->nlat ? l->lat[l->nlat - 1] : 0.0);
}

int
main(int argc, char **argv)
{
	struct load l = { .rate = 5000, .nconns = 16, .duration = 30,
	    .timeout = 10 };
	const char *url = NULL, *file = NULL, *path;
	int i;

	parse_args(&l, argc, argv, &url, &file);
	load_url(&l, url, &path);
	load_queries(&l, file, path);
	setup(&l);
	l.t0 = now_s();
	if (l.rate > 0) {
		l.total = (uint64_t)llround(l.rate * l.duration);
		event_active(l.tick, EV_TIMEOUT, 0);
	} else
		for (i = 0; i < l.nconns; i++)
			conn_send(&l.conns[i], l.t0);
	event_base_dispatch(l.base);
	report(&l);
	return 0;
}
