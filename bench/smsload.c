/*
 * smsload.c: the load tool that drives Kannel's sendsms directly, as the
 * yardstick for herald's notifier (bench/kannel-direct, later bench/notify).
 * COUNT GET requests, each to a distinct phone (PHONE0 + i) with a Chinese
 * notice in UCS-2 (coding=2, charset=UTF-8) that carries its own number,
 * over CONNS keep-alive connections with one request in flight on each:
 * as fast as the gateway answers, no faster. A request is never retried, so
 * the tool itself cannot make a duplicate; one Kannel did not accept is
 * written to the -f file ("PHONE CODE") so the caller can tell "lost" from
 * "refused".
 *
 * usage: smsload [-c CONNS] [-f FILE] [-p PHONE0] URL USER PASS COUNT
 *   URL  http://127.0.0.1:PORT/cgi-bin/sendsms
 * prints: sent=N accepted=N queued=N failed=N seconds=S mps=R slow=N
 *   max_wait=S cpu=S   (slow: answers that took over 1 s; max_wait: the
 *   longest; cpu: this tool's own CPU seconds)
 *   accepted: "0: Accepted for delivery"; queued: "3: Queued for later
 *   delivery" (no SMSC link: Kannel keeps it); failed: anything else.
 */
#include "config.h"

#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 【星河宽带】尊敬的用户：您所在的南山区光纤中断，预计18:00前恢复。编号 */
static const char text_utf8[] =
	"\xe3\x80\x90\xe6\x98\x9f\xe6\xb2\xb3\xe5\xae\xbd\xe5\xb8\xa6\xe3\x80"
	"\x91\xe5\xb0\x8a\xe6\x95\xac\xe7\x9a\x84\xe7\x94\xa8\xe6\x88\xb7\xef"
	"\xbc\x9a\xe6\x82\xa8\xe6\x89\x80\xe5\x9c\xa8\xe7\x9a\x84\xe5\x8d\x97"
	"\xe5\xb1\xb1\xe5\x8c\xba\xe5\x85\x89\xe7\xba\xa4\xe4\xb8\xad\xe6\x96"
	"\xad\xef\xbc\x8c\xe9\xa2\x84\xe8\xae\xa1" "18:00"
	"\xe5\x89\x8d\xe6\x81\xa2\xe5\xa4\x8d\xe3\x80\x82\xe7\xbc\x96\xe5\x8f"
	"\xb7";

struct load {
	struct event_base	*base;
	const char		*host, *path, *user, *pass;
	int			 port;
	char			*text;		/* percent-encoded once */
	long long		 phone0;
	long			 count, next, done;
	long			 accepted, queued, failed;
	long			 slow;		/* answers after > 1 s */
	double			 max_wait;
	FILE			*failf;
	char			*dlr;		/* "&dlr-mask=...", or "" */
	long			 dlrs;		/* reports received */
};

struct conn {
	struct load			*ld;
	struct evhttp_connection	*evcon;
	long				 cur;
	double				 sent_at;
};

static void conn_send(struct conn *);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sorts the answer by Kannel's status prefix, not only the HTTP code:
 * "3: Queued" is a 202 as well. */
static void
conn_done_cb(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;
	struct load *ld = c->ld;
	char body[8] = "";
	int code = req ? evhttp_request_get_response_code(req) : 0;
	double wait = now() - c->sent_at;

	if (wait > ld->max_wait)
		ld->max_wait = wait;
	if (wait > 1.0)
		ld->slow++;

	if (req != NULL)
		evbuffer_copyout(evhttp_request_get_input_buffer(req), body,
		    sizeof(body) - 1);
	if (code == 202 && strncmp(body, "0:", 2) == 0)
		ld->accepted++;
	else if (code == 202 && strncmp(body, "3:", 2) == 0)
		ld->queued++;
	else {
		ld->failed++;
		if (ld->failf != NULL)
			fprintf(ld->failf, "%lld %d\n", ld->phone0 + c->cur, code);
	}
	if (++ld->done == ld->count)
		event_base_loopbreak(ld->base);
	else
		conn_send(c);
}

static void
conn_send(struct conn *c)
{
	struct load *ld = c->ld;
	struct evhttp_request *req;
	char uri[2048];

	if (ld->next >= ld->count)
		return;
	c->cur = ld->next++;
	snprintf(uri, sizeof(uri), "%s?username=%s&password=%s&coding=2"
	    "&charset=UTF-8&to=%lld&text=%s%ld%s", ld->path, ld->user, ld->pass,
	    ld->phone0 + c->cur, ld->text, c->cur, ld->dlr);
	c->sent_at = now();
	req = evhttp_request_new(conn_done_cb, c);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    ld->host);
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_GET, uri) == -1) {
		fprintf(stderr, "smsload: cannot make a request\n");
		exit(1);
	}
}

static char *
urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	for (; *s != '\0'; s++) {
		unsigned char ch = *s;
		if ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '.' ||
		    ch == '_') {
			*o++ = ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

/* -d: Kannel's delivery reports come here, as they go to herald. */
static void
dlr_cb(struct evhttp_request *req, void *arg)
{
	struct load *ld = arg;

	ld->dlrs++;
	evhttp_send_reply(req, 200, "OK", NULL);
}

/*
 * Ask for the same reports herald asks for (dlr-mask 31, a URL per
 * message), answered by a listener in this process: the gateway then
 * does the same work for the direct run as for herald's.
 */
static void
dlr_listen(struct load *ld)
{
	struct evhttp *http = evhttp_new(ld->base);
	struct evhttp_bound_socket *bs;
	evutil_socket_t fd;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char url[128], *enc;

	evhttp_set_gencb(http, dlr_cb, ld);
	if ((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) ==
	    NULL) {
		fprintf(stderr, "smsload: cannot listen for reports\n");
		exit(1);
	}
	fd = evhttp_bound_socket_get_fd(bs);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dlr?type=%%d",
	    ntohs(sin.sin_port));
	enc = urlencode(url);
	if (asprintf(&ld->dlr, "&dlr-mask=31&dlr-url=%s", enc) == -1)
		exit(1);
	free(enc);
}

static void
usage(void)
{
	fprintf(stderr, "usage: smsload [-d] [-c CONNS] [-f FILE] [-p PHONE0] "
	    "URL USER PASS COUNT\n");
	exit(2);
}

static void
load_parse_url(struct load *ld, const char *url)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);

	if (u == NULL || evhttp_uri_get_host(u) == NULL) {
		fprintf(stderr, "smsload: bad URL %s\n", url);
		exit(2);
	}
	ld->host = strdup(evhttp_uri_get_host(u));
	ld->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	ld->path = strdup(evhttp_uri_get_path(u));
	evhttp_uri_free(u);
}

int
main(int argc, char **argv)
{
	struct load ld = { .phone0 = 13900000000LL, .dlr = "" };
	struct conn *conns;
	int nconn = 16, ch, i, dlr = 0;
	struct rusage ru;
	double t0, secs;

	while ((ch = getopt(argc, argv, "c:df:p:")) != -1) {
		switch (ch) {
		case 'd': dlr = 1; break;
		case 'c': nconn = atoi(optarg); break;
		case 'f':
			if ((ld.failf = fopen(optarg, "w")) == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		case 'p': ld.phone0 = atoll(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 4 || nconn < 1)
		usage();
	load_parse_url(&ld, argv[optind]);
	ld.user = argv[optind + 1];
	ld.pass = argv[optind + 2];
	ld.count = atol(argv[optind + 3]);
	ld.text = urlencode(text_utf8);
	ld.base = event_base_new();
	if (dlr)
		dlr_listen(&ld);
	conns = calloc(nconn, sizeof(*conns));
	t0 = now();
	for (i = 0; i < nconn; i++) {
		conns[i].ld = &ld;
		conns[i].evcon = evhttp_connection_base_new(ld.base, NULL,
		    ld.host, ld.port);
		evhttp_connection_set_timeout(conns[i].evcon, 120);
		conn_send(&conns[i]);
	}
	if (ld.count > 0)
		event_base_dispatch(ld.base);
	secs = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("sent=%ld accepted=%ld queued=%ld failed=%ld seconds=%.3f "
	    "mps=%.0f slow=%ld max_wait=%.3f dlrs=%ld cpu=%.1f\n", ld.done,
	    ld.accepted,
	    ld.queued, ld.failed, secs, (ld.accepted + ld.queued) / secs,
	    ld.slow, ld.max_wait, ld.dlrs,
	    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (ld.failf != NULL)
		fclose(ld.failf);
	return 0;
}
