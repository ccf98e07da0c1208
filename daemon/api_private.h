/*
 * api_private.h: the API module's state, shared by its files (api*.c).
 */
#ifndef HERALD_API_PRIVATE_H
#define HERALD_API_PRIVATE_H

#include <stdint.h>
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
	struct api_remote	*remote;	/* other instances' incidents */
	struct api_streams	*streams;
	struct api_dlr_batch	*dlr;		/* reports gathering */
	struct event		*dlr_timer;
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
/* api_sql.c: delivery reports are written in batches. */
#define API_DLR_USEC	20000
#define API_DLR_MAX	200
void	 api_dlr_flush(struct api *);

/* api_stream.c */
void	 api_streams_init(struct api *);
void	 api_streams_free(struct api *);
void	 api_stream_closed(struct api *, struct api_stream *);
struct incident;
/* An incident's summary to the stream; id 0: from the cache by uid. */
void	 api_stream_incident(struct api *, const struct incident *,
	    int64_t id);

/*
 * api_remote.c: in a cluster, the open incidents of every instance, read
 * from PostgreSQL and kept current by NOTIFY api_incidents; nothing at all
 * when standalone.
 */
struct api_remote *api_remote_new(struct api *);
void	 api_remote_free(struct api_remote *);
/* 1 in cluster mode (the set is kept), 0 standalone. */
int	 api_remote_active(const struct api_remote *);
/* Its gauges and counters for /metrics (nothing when standalone). */
struct evbuffer;
void	 api_remote_metrics(const struct api_remote *, struct evbuffer *);
/* The open incidents of the devices this instance does not hold. */
void	 api_remote_foreach(struct api_remote *,
	    void (*)(const struct incident *, int64_t id, void *), void *);

#endif
