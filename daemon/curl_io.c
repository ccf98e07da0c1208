/*
 * curl_io.c: the libevent <-> libcurl multi_socket adapter (hiperfifo.c).
 *
 * libcurl says which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back (CURLMOPT_TIMERFUNCTION); we keep one persistent event per
 * socket and one timer, and after every curl_multi_socket_action() read the
 * finished transfers with curl_multi_info_read(). The timer callback only
 * arms a libevent timer: libcurl must not be re-entered from it.
 */
#include "config.h"

#include <sys/queue.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "curl_io.h"
#include "log.h"
#include "xmalloc.h"

struct curl_io_xfer {
	TAILQ_ENTRY(curl_io_xfer) entry;
	CURL			*easy;
	curl_io_done_cb		 cb;
	void			*arg;
};

struct curl_io_sock {
	struct curl_io	*cio;
	struct event	*ev;
};

struct curl_io {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	int			 running;
	unsigned		 nxfers;
	TAILQ_HEAD(, curl_io_xfer) xfers;
};

static void
curl_io_check(struct curl_io *cio)
{
	struct curl_io_xfer *x;
	CURLMsg *msg;
	CURLcode result;
	int left;

	while ((msg = curl_multi_info_read(cio->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		result = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
		curl_multi_remove_handle(cio->multi, x->easy);
		TAILQ_REMOVE(&cio->xfers, x, entry);
		cio->nxfers--;
		if (x->cb != NULL)
			x->cb(x->easy, result, x->arg);
		curl_easy_cleanup(x->easy);
		free(x);
	}
}

static void
curl_io_action(struct curl_io *cio, curl_socket_t s, int what)
{
	CURLMcode rc;

	rc = curl_multi_socket_action(cio->multi, s, what, &cio->running);
	if (rc != CURLM_OK)
		log_warnx("curl: %s", curl_multi_strerror(rc));
	curl_io_check(cio);
}

static void
curl_io_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_io *cio = arg;

	curl_io_action(cio, fd, ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0));
}

static void
curl_io_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	curl_io_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static int
curl_io_multi_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct curl_io *cio = arg;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms < 0)
		evtimer_del(cio->timer);
	else
		evtimer_add(cio->timer, &tv);	/* also 0: next loop turn */
	return 0;
}

/* Tolerates REMOVE for a socket it never saw (libcurl bugs, see notes). */
static int
curl_io_multi_sock_cb(CURL *easy, curl_socket_t s, int what, void *arg,
    void *sockp)
{
	struct curl_io *cio = arg;
	struct curl_io_sock *cs = sockp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL) {
			event_free(cs->ev);
			free(cs);
			curl_multi_assign(cio->multi, s, NULL);
		}
		return 0;
	}
	kind = ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST;
	if (cs == NULL) {
		cs = xcalloc(1, sizeof(*cs));
		cs->cio = cio;
		curl_multi_assign(cio->multi, s, cs);
	} else
		event_free(cs->ev);
	cs->ev = event_new(cio->base, s, kind, curl_io_sock_cb, cio);
	event_add(cs->ev, NULL);
	return 0;
}

struct curl_io *
curl_io_new(struct event_base *base)
{
	struct curl_io *cio = xcalloc(1, sizeof(*cio));

	cio->base = base;
	if ((cio->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	cio->timer = evtimer_new(base, curl_io_timer_cb, cio);
	TAILQ_INIT(&cio->xfers);
	curl_multi_setopt(cio->multi, CURLMOPT_SOCKETFUNCTION,
	    curl_io_multi_sock_cb);
	curl_multi_setopt(cio->multi, CURLMOPT_SOCKETDATA, cio);
	curl_multi_setopt(cio->multi, CURLMOPT_TIMERFUNCTION,
	    curl_io_multi_timer_cb);
	curl_multi_setopt(cio->multi, CURLMOPT_TIMERDATA, cio);
	return cio;
}

static void
curl_io_drop(struct curl_io *cio, struct curl_io_xfer *x)
{
	curl_multi_remove_handle(cio->multi, x->easy);
	curl_easy_cleanup(x->easy);
	TAILQ_REMOVE(&cio->xfers, x, entry);
	cio->nxfers--;
	free(x);
}

void
curl_io_free(struct curl_io *cio)
{
	struct curl_io_xfer *x;

	if (cio == NULL)
		return;
	while ((x = TAILQ_FIRST(&cio->xfers)) != NULL)
		curl_io_drop(cio, x);
	/* Removing the handles made libcurl send CURL_POLL_REMOVE already. */
	curl_multi_cleanup(cio->multi);
	event_free(cio->timer);
	free(cio);
}

int
curl_io_add(struct curl_io *cio, CURL *easy, curl_io_done_cb cb, void *arg)
{
	struct curl_io_xfer *x = xcalloc(1, sizeof(*x));
	CURLMcode rc;

	x->easy = easy;
	x->cb = cb;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	if ((rc = curl_multi_add_handle(cio->multi, easy)) != CURLM_OK) {
		log_warnx("curl: %s", curl_multi_strerror(rc));
		curl_easy_cleanup(easy);
		free(x);
		return -1;
	}
	TAILQ_INSERT_TAIL(&cio->xfers, x, entry);
	cio->nxfers++;
	return 0;
}

void
curl_io_cancel(struct curl_io *cio, CURL *easy)
{
	struct curl_io_xfer *x;

	TAILQ_FOREACH(x, &cio->xfers, entry)
		if (x->easy == easy) {
			curl_io_drop(cio, x);
			return;
		}
}

CURLM *
curl_io_multi(struct curl_io *cio)
{
	return cio->multi;
}

unsigned
curl_io_running(const struct curl_io *cio)
{
	return cio->nxfers;
}
