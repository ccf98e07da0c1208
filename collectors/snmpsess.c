/*
 * snmpsess.c: asynchronous SNMP requests for one device, on the libevent
 * loop, inside a request budget.
 *
 * The net-snmp single-session API drives the wire (integration.md §1): the
 * session's socket is a persistent read event, snmp_sess_select_info2()
 * tells when net-snmp wants snmp_sess_timeout(). Our own queue sits in
 * front of it and releases a request only when fewer than max_inflight are
 * outstanding and at least 1/max_rate seconds have passed since the last
 * one, so no device ever sees more than its budget, whatever a storm of
 * confirmation reads asks for. net-snmp retransmission is off: a retry is a
 * request like any other and waits its turn.
 *
 * SNMPv3: snmp_sess_async_send() would discover the agent's engine ID with
 * a blocking round trip; as Zabbix does, the session is opened with
 * SNMP_FLAGS_DONT_PROBE and discovery is an asynchronous empty GET whose
 * Report fills in the engine ID.
 */
#include "config.h"

#include <sys/queue.h>

#include <event2/event.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "snmpsess.h"

#include <net-snmp/library/large_fd_set.h>
#include "xmalloc.h"

enum sreq_kind {
	SREQ_GET,
	SREQ_WALK,
	SREQ_PROBE,
};

struct sreq {
	TAILQ_ENTRY(sreq)	 entry;
	struct snmpsess		*s;
	enum sreq_kind		 kind;
	int			 tries;
	int			 inflight;
	/* GET */
	oid			**oids;
	size_t			*lens;
	int			 n;
	snmpsess_get_cb		 get_cb;
	/* WALK */
	oid			 root[MAX_OID_LEN];
	size_t			 rootlen;
	oid			 cursor[MAX_OID_LEN];
	size_t			 cursorlen;
	int			 reps;
	unsigned long		 rows;
	snmpsess_row_cb		 row_cb;
	snmpsess_done_cb	 done_cb;
	void			*arg;
};

TAILQ_HEAD(sreqs, sreq);

struct snmpsess {
	struct event_base	*base;
	char			*name;
	void			*sp;
	struct event		*ev_read;
	struct event		*ev_timer;	/* net-snmp's timeouts */
	struct event		*ev_pump;	/* pacing and deferred work */
	struct sreqs		 queue;
	struct sreqs		 inflight;
	struct sreqs		 done;		/* freed once off the stack */
	struct sreq		*probe;		/* v3 engine ID discovery */
	int			 probe_answered;
	int			 max_inflight;
	double			 max_rate;
	int			 retries;
	int			 max_reps;
	struct timeval		 last_send;
	int			 v3;
	int			 probed;
	int			 dying;
	int			 depth;		/* callbacks on the stack */
	struct snmpsess_stats	 st;
};

static void	snmpsess_pump(struct snmpsess *);
static void	snmpsess_rearm(struct snmpsess *);

const char *
snmpsess_status_str(enum snmpsess_status s)
{
	static const char *const names[] = {
		[SNMPSESS_OK] = "ok",
		[SNMPSESS_TIMEOUT] = "timeout",
		[SNMPSESS_ERROR] = "error status",
		[SNMPSESS_BADDATA] = "bad data",
		[SNMPSESS_SEND] = "send failed",
		[SNMPSESS_CANCELLED] = "cancelled",
	};

	return names[s];
}

const char *
snmpsess_name(const struct snmpsess *s)
{
	return s->name;
}

void
snmpsess_stats(const struct snmpsess *s, struct snmpsess_stats *out)
{
	struct sreq *r;

	*out = s->st;
	out->queued = 0;
	TAILQ_FOREACH(r, &s->queue, entry)
		out->queued++;
}

void
snmpsess_set_budget(struct snmpsess *s, int max_inflight, double max_rate)
{
	s->max_inflight = max_inflight > 0 ? max_inflight : 1;
	s->max_rate = max_rate > 0 ? max_rate : 1;
	snmpsess_pump(s);
}

static void
sreq_free(struct sreq *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		free(r->oids[i]);
	free(r->oids);
	free(r->lens);
	free(r);
}

/* Report the end of a request to its owner and forget it. */
static void
sreq_finish(struct sreq *r, enum snmpsess_status status,
    netsnmp_variable_list *vars)
{
	struct snmpsess *s = r->s;

	if (status == SNMPSESS_TIMEOUT)
		s->st.timeouts++;
	else if (status == SNMPSESS_ERROR)
		s->st.errors++;
	else if (status == SNMPSESS_BADDATA)
		s->st.bad_data++;
	s->depth++;
	if (r->kind == SREQ_GET && r->get_cb != NULL)
		r->get_cb(s, status, status == SNMPSESS_OK ? vars : NULL, r->arg);
	else if (r->kind == SREQ_WALK && r->done_cb != NULL)
		r->done_cb(s, status, r->rows, r->arg);
	s->depth--;
	/*
	 * net-snmp may call back twice for one request (a Report comes as
	 * OP_SEC_ERROR and again as OP_RECEIVED_MESSAGE): free it only
	 * once we are off net-snmp's stack.
	 */
	TAILQ_INSERT_TAIL(&s->done, r, entry);
}

static void
snmpsess_reap(struct snmpsess *s)
{
	struct sreq *r;

	while ((r = TAILQ_FIRST(&s->done)) != NULL) {
		TAILQ_REMOVE(&s->done, r, entry);
		sreq_free(r);
	}
}

static void
snmpsess_fail_queue(struct snmpsess *s, enum snmpsess_status status)
{
	struct sreq *r;

	while ((r = TAILQ_FIRST(&s->queue)) != NULL) {
		TAILQ_REMOVE(&s->queue, r, entry);
		if (r->kind != SREQ_PROBE)
			sreq_finish(r, status, NULL);
	}
}

static netsnmp_pdu *
sreq_pdu(struct sreq *r)
{
	netsnmp_pdu *pdu;
	int i;

	switch (r->kind) {
	case SREQ_PROBE:
		pdu = snmp_pdu_create(SNMP_MSG_GET);
		pdu->version = SNMP_VERSION_3;
		pdu->securityName = xstrdup("");
		pdu->securityNameLen = 0;
		pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		pdu->securityModel = SNMP_SEC_MODEL_USM;
		return pdu;
	case SREQ_GET:
		pdu = snmp_pdu_create(SNMP_MSG_GET);
		for (i = 0; i < r->n; i++)
			snmp_add_null_var(pdu, r->oids[i], r->lens[i]);
		return pdu;
	case SREQ_WALK:
	default:
		if (snmp_sess_session(r->s->sp)->version == SNMP_VERSION_1) {
			pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
		} else {
			pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
			pdu->non_repeaters = 0;
			pdu->max_repetitions = r->reps;
		}
		snmp_add_null_var(pdu, r->cursor, r->cursorlen);
		return pdu;
	}
}

/* Put a request back in line for a retry, or give up on it. */
static void
sreq_retry(struct sreq *r, enum snmpsess_status why)
{
	struct snmpsess *s = r->s;

	if (r->tries <= s->retries && !s->dying) {
		TAILQ_INSERT_HEAD(&s->queue, r, entry);
		return;
	}
	if (r->kind == SREQ_PROBE) {
		/* No engine ID, no v3: everything waiting fails the same way. */
		r->tries = 0;
		snmpsess_fail_queue(s, why);
		return;
	}
	sreq_finish(r, why, NULL);
}

/* A walk's answer: rows to the owner, then the next request or the end. */
static void
sreq_walk_response(struct sreq *r, netsnmp_pdu *pdu)
{
	struct snmpsess *s = r->s;
	netsnmp_variable_list *v;
	int stop = 0;

	if (pdu->errstat == SNMP_ERR_TOOBIG && r->reps > 1) {
		r->reps = r->reps / 2;
		TAILQ_INSERT_HEAD(&s->queue, r, entry);
		return;
	}
	if (pdu->errstat == SNMP_ERR_NOSUCHNAME) {	/* v1 end of view */
		sreq_finish(r, SNMPSESS_OK, NULL);
		return;
	}
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		sreq_finish(r, SNMPSESS_ERROR, NULL);
		return;
	}
	if (pdu->variables == NULL) {
		sreq_finish(r, SNMPSESS_OK, NULL);
		return;
	}
	for (v = pdu->variables; v != NULL && !stop; v = v->next_variable) {
		if (v->type == SNMP_ENDOFMIBVIEW || v->type == SNMP_NOSUCHOBJECT ||
		    v->type == SNMP_NOSUCHINSTANCE ||
		    netsnmp_oid_is_subtree(r->root, r->rootlen, v->name,
		    v->name_length) != 0) {
			sreq_finish(r, SNMPSESS_OK, NULL);
			return;
		}
		if (snmp_oid_compare(r->cursor, r->cursorlen, v->name,
		    v->name_length) >= 0) {
			log_warnx("%s: agent returned a non-increasing OID in a "
			    "walk; walk stopped", s->name);
			sreq_finish(r, SNMPSESS_BADDATA, NULL);
			return;
		}
		r->rows++;
		s->depth++;
		stop = r->row_cb(s, v, r->arg);
		s->depth--;
		memcpy(r->cursor, v->name, v->name_length * sizeof(oid));
		r->cursorlen = v->name_length;
	}
	if (stop || s->dying) {
		sreq_finish(r, s->dying ? SNMPSESS_CANCELLED : SNMPSESS_OK, NULL);
		return;
	}
	r->tries = 0;
	TAILQ_INSERT_TAIL(&s->queue, r, entry);
}

static void
snmpsess_probe_done(struct snmpsess *s)
{
	netsnmp_session *ss = snmp_sess_session(s->sp);

	if (ss->engineBoots != 0 || ss->engineTime != 0)
		set_enginetime(ss->securityEngineID, ss->securityEngineIDLen,
		    ss->engineBoots, ss->engineTime, TRUE);
	if (create_user_from_session(ss) != SNMPERR_SUCCESS)
		log_warnx("%s: cannot set up the SNMPv3 user", s->name);
	s->probed = 1;
	log_debug("snmp", "%s: engine ID discovered", s->name);
}

static int
snmpsess_response_cb(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct sreq *r = magic;
	struct snmpsess *s = r->s;

	/* Only the first word on a request counts (see sreq_finish). */
	if (op == NETSNMP_CALLBACK_OP_RESEND || !r->inflight)
		return 1;
	r->inflight = 0;
	TAILQ_REMOVE(&s->inflight, r, entry);
	s->st.inflight--;
	if (r->kind == SREQ_PROBE) {
		/* The engine ID is copied in after we return: judged later. */
		if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
			sreq_retry(r, SNMPSESS_TIMEOUT);
		else
			s->probe_answered = 1;
		return 1;
	}
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		if (pdu->command == SNMP_MSG_REPORT)
			sreq_finish(r, SNMPSESS_SEND, NULL);
		else if (r->kind == SREQ_GET)
			sreq_finish(r, pdu->errstat == SNMP_ERR_NOERROR ?
			    SNMPSESS_OK : SNMPSESS_ERROR, pdu->variables);
		else
			sreq_walk_response(r, pdu);
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		sreq_retry(r, SNMPSESS_TIMEOUT);
		break;
	default:
		log_warnx("%s: request refused (SNMPv3 credentials?)", s->name);
		sreq_finish(r, SNMPSESS_SEND, NULL);
		break;
	}
	return 1;
}

/* After net-snmp's read: did the probe bring an engine ID? */
static void
snmpsess_check_probe(struct snmpsess *s)
{
	if (!s->probe_answered)
		return;
	s->probe_answered = 0;
	if (snmp_sess_session(s->sp)->securityEngineIDLen != 0)
		snmpsess_probe_done(s);
	else
		sreq_retry(s->probe, SNMPSESS_SEND);
}

static int
snmpsess_send(struct snmpsess *s, struct sreq *r)
{
	netsnmp_pdu *pdu = sreq_pdu(r);

	r->tries++;
	if (snmp_sess_async_send(s->sp, pdu, snmpsess_response_cb, r) == 0) {
		char *msg = NULL;
		int e1, e2;

		snmp_sess_error(s->sp, &e1, &e2, &msg);
		log_warnx("%s: cannot send: %s", s->name, msg ? msg : "?");
		free(msg);
		snmp_free_pdu(pdu);
		return -1;
	}
	r->inflight = 1;
	TAILQ_INSERT_TAIL(&s->inflight, r, entry);
	s->st.requests++;
	if (++s->st.inflight > s->st.max_inflight_seen)
		s->st.max_inflight_seen = s->st.inflight;
	return 0;
}

static double
tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	    (double)(a->tv_usec - b->tv_usec) / 1e6;
}

/* Release queued requests as far as the budget allows. */
static void
snmpsess_pump(struct snmpsess *s)
{
	struct timeval now, tv;
	struct sreq *r;
	double wait, gap = 1.0 / s->max_rate;

	if (s->dying)
		return;
	event_del(s->ev_pump);
	while ((r = TAILQ_FIRST(&s->queue)) != NULL &&
	    s->st.inflight < s->max_inflight) {
		if (s->v3 && !s->probed && r != s->probe) {
			if (s->probe->inflight)
				break;
			r = s->probe;
			TAILQ_INSERT_HEAD(&s->queue, r, entry);
		}
		gettimeofday(&now, NULL);
		wait = gap - tv_diff(&now, &s->last_send);
		if (s->last_send.tv_sec != 0 && wait > 0) {
			tv.tv_sec = (time_t)wait;
			tv.tv_usec = (suseconds_t)((wait - floor(wait)) * 1e6) + 1;
			event_add(s->ev_pump, &tv);
			break;
		}
		TAILQ_REMOVE(&s->queue, r, entry);
		s->last_send = now;
		if (snmpsess_send(s, r) != 0) {
			if (r->kind == SREQ_PROBE)
				snmpsess_fail_queue(s, SNMPSESS_SEND);
			else
				sreq_finish(r, SNMPSESS_SEND, NULL);
		}
	}
	snmpsess_rearm(s);
	if (s->depth == 0)
		snmpsess_reap(s);
}

static void
snmpsess_rearm(struct snmpsess *s)
{
	netsnmp_large_fd_set fds;
	struct timeval tv = { 0, 0 };
	int n = 0, block = 1;

	if (s->dying)
		return;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	snmp_sess_select_info2(s->sp, &n, &fds, &tv, &block);
	netsnmp_large_fd_set_cleanup(&fds);
	if (!block)
		evtimer_add(s->ev_timer, &tv);
	else
		evtimer_del(s->ev_timer);
}

static void
snmpsess_destroy(struct snmpsess *s)
{
	struct sreq *r;

	/* Closing drops net-snmp's requests without calling back. */
	snmp_sess_close(s->sp);
	while ((r = TAILQ_FIRST(&s->inflight)) != NULL) {
		TAILQ_REMOVE(&s->inflight, r, entry);
		r->inflight = 0;
		if (r->kind != SREQ_PROBE)
			sreq_finish(r, SNMPSESS_CANCELLED, NULL);
	}
	snmpsess_fail_queue(s, SNMPSESS_CANCELLED);
	snmpsess_reap(s);
	if (s->probe != NULL)
		sreq_free(s->probe);
	event_free(s->ev_read);
	event_free(s->ev_timer);
	event_free(s->ev_pump);
	free(s->name);
	free(s);
}

static void
snmpsess_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct snmpsess *s = arg;

	if (s->dying)
		snmpsess_destroy(s);
	else
		snmpsess_pump(s);
}

static void
snmpsess_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct snmpsess *s = arg;
	netsnmp_large_fd_set fds;

	/* 5.9.3 clears the bit after reading: set it again every time. */
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	s->depth++;
	snmp_sess_read2(s->sp, &fds);
	s->depth--;
	netsnmp_large_fd_set_cleanup(&fds);
	if (!s->dying)
		snmpsess_check_probe(s);
	if (s->dying) {
		if (s->depth == 0)
			event_active(s->ev_pump, EV_TIMEOUT, 0);
		return;
	}
	snmpsess_pump(s);
}

static void
snmpsess_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct snmpsess *s = arg;

	s->depth++;
	snmp_sess_timeout(s->sp);
	s->depth--;
	if (s->dying) {
		event_active(s->ev_pump, EV_TIMEOUT, 0);
		return;
	}
	snmpsess_pump(s);
}

/* USM keys from passwords; generate_Ku() hashes a megabyte, so cache. */
struct snmpsess_key {
	char		*proto;
	char		*pass;
	u_char		 key[USM_AUTH_KU_LEN];
	size_t		 len;
};
static struct snmpsess_key	*snmpsess_keys;
static size_t			 snmpsess_nkeys;

static int
snmpsess_ku(const oid *hash, size_t hashlen, const char *proto,
    const char *pass, u_char *key, size_t *len)
{
	struct snmpsess_key *k;
	size_t i;

	for (i = 0; i < snmpsess_nkeys; i++) {
		k = &snmpsess_keys[i];
		if (strcmp(k->proto, proto) == 0 && strcmp(k->pass, pass) == 0) {
			memcpy(key, k->key, k->len);
			*len = k->len;
			return 0;
		}
	}
	*len = USM_AUTH_KU_LEN;
	if (generate_Ku(hash, (u_int)hashlen, (const u_char *)pass, strlen(pass),
	    key, len) != SNMPERR_SUCCESS)
		return -1;
	snmpsess_keys = xreallocarray(snmpsess_keys, snmpsess_nkeys + 1,
	    sizeof(*snmpsess_keys));
	k = &snmpsess_keys[snmpsess_nkeys++];
	k->proto = xstrdup(proto);
	k->pass = xstrdup(pass);
	memcpy(k->key, key, *len);
	k->len = *len;
	return 0;
}

static const oid *
snmpsess_auth_oid(const char *p, size_t *len)
{
	static const struct { const char *name; const oid *o; } t[] = {
		{ "MD5", usmHMACMD5AuthProtocol },
		{ "SHA", usmHMACSHA1AuthProtocol },
		{ "SHA-224", usmHMAC128SHA224AuthProtocol },
		{ "SHA-256", usmHMAC192SHA256AuthProtocol },
		{ "SHA-384", usmHMAC256SHA384AuthProtocol },
		{ "SHA-512", usmHMAC384SHA512AuthProtocol },
	};
	size_t i;

	*len = USM_AUTH_PROTO_MD5_LEN;
	for (i = 0; i < sizeof(t) / sizeof(*t); i++)
		if (strcasecmp(p, t[i].name) == 0)
			return t[i].o;
	return NULL;
}

static const oid *
snmpsess_priv_oid(const char *p, size_t *len)
{
	if (strcasecmp(p, "DES") == 0) {
		*len = USM_PRIV_PROTO_DES_LEN;
		return usmDESPrivProtocol;
	}
	if (strcasecmp(p, "AES") == 0 || strcasecmp(p, "AES128") == 0) {
		*len = USM_PRIV_PROTO_AES_LEN;
		return usmAESPrivProtocol;
	}
	/* Blumenthal key extension, as Debian's net-snmp is built. */
	if (strcasecmp(p, "AES-192") == 0) {
		*len = 9;
		return usmAES192PrivProtocol;
	}
	if (strcasecmp(p, "AES-256") == 0) {
		*len = 9;
		return usmAES256PrivProtocol;
	}
	return NULL;
}

/* Fill the v3 part of a session; -1 with a logged reason. */
static int
snmpsess_v3(netsnmp_session *ss, const struct snmpsess_params *p,
    const char *name)
{
	const oid *a = NULL, *pr = NULL;
	size_t alen = 0, plen = 0;

	if (p->user == NULL || *p->user == '\0') {
		log_warnx("%s: SNMPv3 needs a user", name);
		return -1;
	}
	ss->securityName = xstrdup(p->user);
	ss->securityNameLen = strlen(p->user);
	ss->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	if (p->auth_proto != NULL && *p->auth_proto != '\0') {
		if ((a = snmpsess_auth_oid(p->auth_proto, &alen)) == NULL) {
			log_warnx("%s: unknown auth protocol %s", name, p->auth_proto);
			return -1;
		}
		ss->securityAuthProto = snmp_duplicate_objid(a, alen);
		ss->securityAuthProtoLen = alen;
		ss->securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
		if (p->auth_pass == NULL || snmpsess_ku(a, alen, p->auth_proto,
		    p->auth_pass, ss->securityAuthKey,
		    &ss->securityAuthKeyLen) != 0) {
			log_warnx("%s: bad auth password", name);
			return -1;
		}
	}
	if (a != NULL && p->priv_proto != NULL && *p->priv_proto != '\0') {
		if ((pr = snmpsess_priv_oid(p->priv_proto, &plen)) == NULL) {
			log_warnx("%s: unknown privacy protocol %s", name,
			    p->priv_proto);
			return -1;
		}
		ss->securityPrivProto = snmp_duplicate_objid(pr, plen);
		ss->securityPrivProtoLen = plen;
		ss->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		/* The privacy key is made with the auth hash. */
		if (p->priv_pass == NULL || snmpsess_ku(a, alen, p->auth_proto,
		    p->priv_pass, ss->securityPrivKey,
		    &ss->securityPrivKeyLen) != 0) {
			log_warnx("%s: bad privacy password", name);
			return -1;
		}
	}
	return 0;
}

struct snmpsess *
snmpsess_new(struct event_base *base, const struct snmpsess_params *p,
    const char *name)
{
	struct snmpsess *s;
	netsnmp_session ss;
	netsnmp_transport *t;

	snmp_sess_init(&ss);
	ss.peername = (char *)p->peer;
	ss.version = p->version;
	ss.timeout = (long)(p->timeout_ms > 0 ? p->timeout_ms : 1000) * 1000;
	ss.retries = 0;
	if (p->version == SNMP_VERSION_3) {
		if (snmpsess_v3(&ss, p, name) != 0)
			return NULL;
	} else {
		const char *c = p->community ? p->community : "public";

		ss.community = (u_char *)xstrdup(c);
		ss.community_len = strlen(c);
	}
	s = xcalloc(1, sizeof(*s));
	s->sp = snmp_sess_open(&ss);
	free(ss.community);
	free(ss.securityName);
	free(ss.securityAuthProto);
	free(ss.securityPrivProto);
	if (s->sp == NULL) {
		log_warnx("%s: cannot open an SNMP session to %s", name, p->peer);
		free(s);
		return NULL;
	}
	/* Never let net-snmp discover the engine ID synchronously. */
	snmp_sess_session(s->sp)->flags |= SNMP_FLAGS_DONT_PROBE;
	s->base = base;
	s->name = xstrdup(name);
	s->v3 = p->version == SNMP_VERSION_3;
	s->retries = p->retries >= 0 ? p->retries : 1;
	s->max_reps = p->max_repetitions > 0 ? p->max_repetitions : 20;
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->inflight);
	TAILQ_INIT(&s->done);
	if (s->v3) {
		s->probe = xcalloc(1, sizeof(*s->probe));
		s->probe->s = s;
		s->probe->kind = SREQ_PROBE;
	}
	t = snmp_sess_transport(s->sp);
	s->ev_read = event_new(base, t->sock, EV_READ | EV_PERSIST,
	    snmpsess_read_cb, s);
	event_add(s->ev_read, NULL);
	s->ev_timer = evtimer_new(base, snmpsess_timer_cb, s);
	s->ev_pump = evtimer_new(base, snmpsess_pump_cb, s);
	snmpsess_set_budget(s, p->max_inflight, p->max_rate);
	return s;
}

void
snmpsess_free(struct snmpsess *s)
{
	if (s == NULL || s->dying)
		return;
	s->dying = 1;
	event_del(s->ev_read);
	event_del(s->ev_timer);
	event_del(s->ev_pump);
	if (s->depth > 0) {
		/* A net-snmp callback is on the stack: close on the next turn. */
		event_active(s->ev_pump, EV_TIMEOUT, 0);
		return;
	}
	snmpsess_destroy(s);
}

/* A new request joins the queue; it is counted if it has to wait. */
static void
snmpsess_enqueue(struct snmpsess *s, struct sreq *r)
{
	if (!TAILQ_EMPTY(&s->queue) || s->st.inflight >= s->max_inflight)
		s->st.queued_waits++;
	TAILQ_INSERT_TAIL(&s->queue, r, entry);
	snmpsess_pump(s);
}

int
snmpsess_get(struct snmpsess *s, oid *const *oids, const size_t *lens, int n,
    snmpsess_get_cb cb, void *arg)
{
	struct sreq *r;
	int i;

	if (s->dying || n <= 0)
		return -1;
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->kind = SREQ_GET;
	r->n = n;
	r->oids = xcalloc((size_t)n, sizeof(*r->oids));
	r->lens = xcalloc((size_t)n, sizeof(*r->lens));
	for (i = 0; i < n; i++) {
		r->oids[i] = xcalloc(lens[i], sizeof(oid));
		memcpy(r->oids[i], oids[i], lens[i] * sizeof(oid));
		r->lens[i] = lens[i];
	}
	r->get_cb = cb;
	r->arg = arg;
	snmpsess_enqueue(s, r);
	return 0;
}

int
snmpsess_walk(struct snmpsess *s, const oid *root, size_t rootlen,
    snmpsess_row_cb row_cb, snmpsess_done_cb done_cb, void *arg)
{
	struct sreq *r;

	if (s->dying || rootlen == 0 || rootlen > MAX_OID_LEN)
		return -1;
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->kind = SREQ_WALK;
	memcpy(r->root, root, rootlen * sizeof(oid));
	r->rootlen = rootlen;
	memcpy(r->cursor, root, rootlen * sizeof(oid));
	r->cursorlen = rootlen;
	r->reps = s->max_reps;
	r->row_cb = row_cb;
	r->done_cb = done_cb;
	r->arg = arg;
	snmpsess_enqueue(s, r);
	return 0;
}
