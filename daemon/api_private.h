/*
 * api_private.h: the API module's state, shared by its files (api*.c).
 */
#ifndef HERALD_API_PRIVATE_H
#define HERALD_API_PRIVATE_H

#include <time.h>

#include "api.h"

/* Statuses counted per route for /metrics; the last route is "other". */
#define API_NSTATUS	12
extern const int api_statuses[API_NSTATUS];
extern const struct api_route api_routes[];
extern const size_t api_nroutes;
#define API_MAX_ROUTES	32

/* A client connection with its request being answered, if any. */
struct api_conn {
	struct api		*a;
	struct evhttp_connection *evcon;	/* NULL: a free slot */
	struct api_call		*call;
	struct api_stream	*stream;	/* an event stream, if one */
};

struct api {
	struct herald		*h;
	struct evhttp		*http;
	char			*listen;
	struct store		*db;		/* the API's own connection */
	struct api_cache	*cache;
	struct api_streams	*streams;
	struct api_conn		*conns;
	size_t			 nconns;	/* slots */
	size_t			 nconns_max;	/* api.max_connections */
	size_t			 nconns_used;
	long long		 max_body;
	int			 timeout;
	int			 gauge_interval;	/* seconds */
	struct event		*lag_timer;
	struct timespec		 lag_due;
	double			 lag;		/* seconds, last probe */
	double			 lag_max;	/* since the last scrape */
	unsigned long long	 requests[API_MAX_ROUTES + 1][API_NSTATUS];
};

struct evhttp_request;
void	 api_count(struct api *, const struct api_route *, int status);
void	 api_security_headers(struct evhttp_request *);
/* api_static.c: 1 when the path was a page or library and is answered. */
int	 api_static(struct api *, struct evhttp_request *, const char *path);
/* api_stream.c */
void	 api_streams_init(struct api *);
void	 api_streams_free(struct api *);
void	 api_stream_closed(struct api *, struct api_stream *);

#endif
