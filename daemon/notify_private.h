/*
 * notify_private.h: the notifier's parts (notify.c: the outbox loop;
 * notify_gw.c: the gateways; notify_seen.c: what was sent, for lookups).
 */
#ifndef HERALD_NOTIFY_PRIVATE_H
#define HERALD_NOTIFY_PRIVATE_H

#include <confuse.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct curl_io;

enum gw_type { GW_KANNEL = 0, GW_HTTP };

/* What a send came to, as notify_result() takes it. */
enum gw_outcome {
	GW_SENT = 0,	/* accepted by the gateway */
	GW_RETRY,	/* cannot have been accepted: try again later */
	GW_DEAD,	/* refused for good (bad number, bad request) */
	GW_UNKNOWN,	/* the request went out, no answer: wait for a report */
};

struct gateway {
	char		*name;
	enum gw_type	 type;
	char		*url;
	char		*username, *password;	/* never logged */
	double		 rate;		/* messages per second */
	long		 timeout;	/* seconds per request */
	int		 max_inflight;
	/* http: */
	char		*method;
	struct curl_slist *headers;
	char		*body;		/* with {phone} {text} ... */
	char		*ok_field, *ok_value, *ref_field;
	json_t		*template_ids;	/* kind -> the platform's id */
	/* State. */
	double		 tokens;	/* the token bucket */
	double		 refilled;	/* monotonic seconds */
	int		 inflight;
	int		 failures;	/* in a row */
	double		 open_until;	/* circuit breaker: unused till then */
	unsigned long long sent, retried, dead, unknown;
};

/* One message on its way to a gateway. */
struct gw_send {
	struct gateway	*gw;
	int64_t		 id;
	char		*body;		/* the text */
	char		*request;	/* the http gateway's body */
	int		 segments;
	char		 buf[1024];	/* the answer's start */
	size_t		 len;
	char		 err[CURL_ERROR_SIZE];
	int		 ucs2;
	void		 (*done)(struct gw_send *, enum gw_outcome,
			    const char *error);
	void		*owner;		/* the notifier */
	void		*arg;		/* the claimed row (JSON) */
};

extern cfg_opt_t notify_gw_opts[];
/* The configured gateways (notify.gateway sections), in failover order. */
struct gateway	*gw_load(cfg_t *notify, size_t *n);
void		 gw_free(struct gateway *, size_t n);
void		 gw_check(cfg_t *root, cfg_t *notify);
/* The first gateway that may take a message now, or NULL. */
struct gateway	*gw_pick(struct gateway *, size_t n, double now);
/* Messages the gateways may take now, all together. */
int		 gw_capacity(struct gateway *, size_t n, double now);
/*
 * Start a send: the request for this message (kind, phone, text, the
 * delivery report URL, the template's values as a JSON object), through
 * curl_io; done is called with the outcome. -1: not started.
 */
int		 gw_send(struct curl_io *, struct gw_send *, const char *kind,
		    const char *phone, const char *dlr_url, const json_t *vars,
		    void (*done)(struct gw_send *, enum gw_outcome,
		    const char *error));
const char	*gw_outcome_name(enum gw_outcome);

/* notify_seen.c */
struct notify_seen;
struct notify_seen *seen_new(void);
void		 seen_free(struct notify_seen *);
void		 seen_put(struct notify_seen *, const json_t *row);
json_t		*seen_get(const struct notify_seen *, int64_t subscriber);

double		 notify_clock(void);

#endif
