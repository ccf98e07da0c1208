/*
 * snmpsess.h: one device's SNMP session on the event loop, for polling.
 *
 * Every packet the session puts on the wire goes through its request
 * budget: at most max_inflight requests outstanding and at most max_rate
 * requests per second. Requests beyond that wait in the session's queue;
 * net-snmp's own retransmission is off so that retries are budgeted too.
 */
#ifndef HERALD_SNMPSESS_H
#define HERALD_SNMPSESS_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

struct event_base;
struct snmpsess;

enum snmpsess_status {
	SNMPSESS_OK = 0,
	SNMPSESS_TIMEOUT,	/* no answer after all retries */
	SNMPSESS_ERROR,		/* the agent answered with an error status */
	SNMPSESS_BADDATA,	/* non-increasing OIDs, wrong types, loops */
	SNMPSESS_SEND,		/* could not send (session, credentials) */
	SNMPSESS_CANCELLED,	/* the session was closed */
};

struct snmpsess_params {
	const char	*peer;		/* numeric: "udp:127.0.0.1:161" */
	long		 version;	/* SNMP_VERSION_1, _2c or _3 */
	const char	*community;
	const char	*user;		/* v3 */
	const char	*auth_proto;	/* "MD5", "SHA", "SHA-256", ... or NULL */
	const char	*auth_pass;
	const char	*priv_proto;	/* "DES", "AES" or NULL */
	const char	*priv_pass;
	int		 timeout_ms;	/* per request */
	int		 retries;	/* budgeted retries after a timeout */
	int		 max_inflight;
	double		 max_rate;	/* requests per second */
	int		 max_repetitions;
};

struct snmpsess_stats {
	unsigned long	 requests;	/* packets sent, retries included */
	unsigned long	 timeouts;
	unsigned long	 errors;
	unsigned long	 bad_data;
	unsigned long	 queued_waits;	/* requests that had to wait */
	int		 inflight;
	int		 max_inflight_seen;
	size_t		 queued;
};

/* Each variable of a GET; vars is NULL unless status is SNMPSESS_OK. */
typedef void	(*snmpsess_get_cb)(struct snmpsess *, enum snmpsess_status,
		    netsnmp_variable_list *vars, void *arg);
/* Each row of a walk; return nonzero to stop the walk early. */
typedef int	(*snmpsess_row_cb)(struct snmpsess *, netsnmp_variable_list *var,
		    void *arg);
typedef void	(*snmpsess_done_cb)(struct snmpsess *, enum snmpsess_status,
		    unsigned long rows, void *arg);

/* NULL with a logged reason when the parameters are unusable. */
struct snmpsess	*snmpsess_new(struct event_base *, const struct snmpsess_params *,
		    const char *name);
/* Cancels everything queued (callbacks get SNMPSESS_CANCELLED). Safe in callbacks. */
void		 snmpsess_free(struct snmpsess *);
int		 snmpsess_get(struct snmpsess *, oid *const *oids,
		    const size_t *lens, int n, snmpsess_get_cb, void *arg);
int		 snmpsess_walk(struct snmpsess *, const oid *root, size_t rootlen,
		    snmpsess_row_cb, snmpsess_done_cb, void *arg);
void		 snmpsess_stats(const struct snmpsess *, struct snmpsess_stats *);
const char	*snmpsess_name(const struct snmpsess *);
const char	*snmpsess_status_str(enum snmpsess_status);
/* Change the budget of a live session (reload). */
void		 snmpsess_set_budget(struct snmpsess *, int max_inflight,
		    double max_rate);

#endif
