/*
 * curl_io.h: libcurl's multi interface driven by the libevent loop, in the
 * shape of libcurl's docs/examples/hiperfifo.c. Transfers never block the
 * loop; each one ends in its own callback. Used by the inventory fetch and
 * meant for the SMS notifier too.
 */
#ifndef HERALD_CURL_IO_H
#define HERALD_CURL_IO_H

#include <curl/curl.h>

struct event_base;
struct curl_io;

/*
 * A transfer ended: result is libcurl's code for it. The easy handle is
 * cleaned up by curl_io after the callback returns.
 */
typedef void	(*curl_io_done_cb)(CURL *, CURLcode result, void *arg);

struct curl_io	*curl_io_new(struct event_base *);
/* Cancels what is running, without calling the callbacks. */
void		 curl_io_free(struct curl_io *);
/* Start a transfer; curl_io owns the easy handle from now on. */
int		 curl_io_add(struct curl_io *, CURL *, curl_io_done_cb,
		    void *arg);
/* Stop one transfer without its callback (e.g. its owner is going away). */
void		 curl_io_cancel(struct curl_io *, CURL *);
/* For CURLMOPT_MAX_HOST_CONNECTIONS and the like. */
CURLM		*curl_io_multi(struct curl_io *);
unsigned	 curl_io_running(const struct curl_io *);

#endif
