/*
 * sim_agent.c: one SNMP agent per simulated device. Each is a net-snmp
 * server session (netsnmp_transport_open_server + snmp_sess_add, the way
 * snmptrapd listens) whose socket sits on the libevent loop; the library
 * parses and authenticates (community or USM, with engine ID discovery and
 * Reports done by the library itself because the session is authoritative)
 * and agent_input_cb() answers GET, GETNEXT and GETBULK from the sorted OID
 * table. It also plays the faulty agents a poller must survive (wrong types,
 * truncated tables, OIDs that do not increase, no answer, slow answers) and
 * counts the requests each device receives per second.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <net-snmp/library/large_fd_set.h>

#include "log.h"
#include "sim.h"
#include "xmalloc.h"

/* A GETBULK answer must fit in one UDP datagram and the client's buffer. */
#define AGENT_MAX_BYTES		60000
#define AGENT_MAX_VARBINDS	2048

struct deferred {
	struct device	*d;
	netsnmp_pdu	*reply;
	struct event	*ev;
	struct deferred	*next;
};

static const char *const misbehave_names[] = {
	[MB_NONE] = "none",
	[MB_WRONG_TYPE] = "wrong-type",
	[MB_TRUNCATE] = "truncate",
	[MB_LOOP] = "loop",
	[MB_TIMEOUT] = "timeout",
};

const char *
agent_misbehave_name(enum misbehave m)
{
	return misbehave_names[m];
}

int
agent_misbehave_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(misbehave_names) / sizeof(misbehave_names[0]);
	    i++)
		if (strcmp(s, misbehave_names[i]) == 0)
			return (int)i;
	return -1;
}

static time_t
agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t
agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Count one request in the per-second windows (aligned seconds: a client
 * that never sends more than R in any second also stays under R here),
 * and the longest silence between two requests (a poller's gap, e.g. while
 * its device moves from one heraldd to another). */
static void
agent_count(struct device *d, int command)
{
	struct dev_stats *st = &d->st;
	time_t now = agent_now();
	int64_t ms = agent_now_ms();

	if (st->last_req_ms != 0 && ms - st->last_req_ms > st->max_gap_ms)
		st->max_gap_ms = ms - st->last_req_ms;
	st->last_req_ms = ms;
	st->requests++;
	if (command == SNMP_MSG_GET)
		st->get++;
	else if (command == SNMP_MSG_GETNEXT)
		st->getnext++;
	else if (command == SNMP_MSG_GETBULK)
		st->getbulk++;
	else
		st->other++;
	if (now != st->cur_sec) {
		st->last_count = now == st->cur_sec + 1 ? st->cur_count : 0;
		st->cur_sec = now;
		st->cur_count = 0;
	}
	if (++st->cur_count > st->max_per_s)
		st->max_per_s = st->cur_count;
}

void
agent_stats_line(struct device *d, char *buf, size_t len)
{
	struct dev_stats *st = &d->st;
	time_t now = agent_now();
	unsigned last = 0, cur = 0;

	if (st->cur_sec == now) {
		cur = st->cur_count;
		last = st->last_count;
	} else if (st->cur_sec == now - 1)
		last = st->cur_count;
	snprintf(buf, len, "%s requests=%llu answered=%llu ignored=%llu "
	    "get=%llu getnext=%llu getbulk=%llu varbinds=%llu max_per_s=%u "
	    "last_s=%u this_s=%u inflight=%u max_inflight=%u traps_sent=%llu "
	    "traps_dropped=%llu traps_suppressed=%llu silent=%d misbehave=%s "
	    "delay_ms=%u max_gap_ms=%lld idle_ms=%lld", d->name,
	    (unsigned long long)st->requests, (unsigned long long)st->answered,
	    (unsigned long long)st->ignored, (unsigned long long)st->get,
	    (unsigned long long)st->getnext, (unsigned long long)st->getbulk,
	    (unsigned long long)st->varbinds, st->max_per_s, last, cur,
	    st->inflight, st->max_inflight,
	    (unsigned long long)st->traps_sent,
	    (unsigned long long)st->traps_dropped,
	    (unsigned long long)st->traps_suppressed, d->silent,
	    misbehave_names[d->misbehave], d->delay_ms,
	    (long long)st->max_gap_ms,
	    st->last_req_ms ? (long long)(agent_now_ms() - st->last_req_ms) :
	    -1LL);
}

/* Request counters only; trap counters and what is in flight stay. */
void
agent_stats_reset(struct device *d)
{
	struct dev_stats *st = &d->st;

	st->requests = st->answered = st->ignored = 0;
	st->get = st->getnext = st->getbulk = st->other = st->varbinds = 0;
	st->cur_sec = 0;
	st->cur_count = st->last_count = st->max_per_s = 0;
	st->max_inflight = st->inflight;
	/* a silence from the reset on counts: a poller that stopped shows */
	st->last_req_ms = agent_now_ms();
	st->max_gap_ms = 0;
}

/* Community for v1/v2c, an authenticated USM user for v3. */
static int
agent_access(struct device *d, netsnmp_pdu *pdu)
{
	const char *c = d->sim->o.community;

	if (pdu->version == SNMP_VERSION_3)
		return d->access != ACCESS_V2C &&
		    pdu->securityModel == SNMP_SEC_MODEL_USM &&
		    pdu->securityLevel >= SNMP_SEC_LEVEL_AUTHNOPRIV;
	return d->access != ACCESS_V3 && pdu->community != NULL &&
	    pdu->community_len == strlen(c) &&
	    memcmp(pdu->community, c, pdu->community_len) == 0;
}

/* Truncated tables: the second half of every table is not there. */
static int
agent_hidden(const struct device *d, size_t idx)
{
	uint16_t col = d->mib[idx].col;
	size_t n = d->colcount[col];

	return d->misbehave == MB_TRUNCATE && n > 1 &&
	    idx - d->colstart[col] >= (n + 1) / 2;
}

/* The entry GETNEXT returns, with the misbehaviour applied; -1 at end. */
static ssize_t
agent_next(const struct device *d, const oid *q, size_t qlen)
{
	ssize_t idx = mib_next(d, q, qlen);
	uint16_t col;

	if (idx < 0)
		return -1;
	if (agent_hidden(d, (size_t)idx))
		return -1;
	col = d->mib[idx].col;
	/* loop: every row after the first answers with the first again */
	if (d->misbehave == MB_LOOP && (size_t)idx > d->colstart[col])
		return (ssize_t)d->colstart[col];
	return idx;
}

/* Wrong types: integers come back as strings and strings as integers. */
static void
agent_wrong_type(u_char *type, u_char *buf, size_t *len)
{
	long v;

	switch (*type) {
	case ASN_OCTET_STR:
		v = (long)*len;
		*type = ASN_INTEGER;
		memcpy(buf, &v, sizeof(v));
		*len = sizeof(v);
		break;
	case ASN_OBJECT_ID:
		v = 0;
		*type = ASN_INTEGER;
		memcpy(buf, &v, sizeof(v));
		*len = sizeof(v);
		break;
	default:
		memcpy(&v, buf, sizeof(v));
		*len = (size_t)snprintf((char *)buf, 32, "%ld", v);
		*type = ASN_OCTET_STR;
		break;
	}
}

static int
agent_value(const struct device *d, size_t idx, u_char *type, u_char *buf,
    size_t *len)
{
	if (mib_value(d, idx, type, buf, len) == -1)
		return -1;
	if (d->misbehave == MB_WRONG_TYPE)
		agent_wrong_type(type, buf, len);
	return 0;
}

/* A v1 request gets noSuchName for the first varbind that has no value. */
static void
agent_exception(netsnmp_pdu *r, netsnmp_variable_list *v, int i, u_char exc)
{
	if (r->version == SNMP_VERSION_1) {
		if (r->errstat == 0) {
			r->errstat = SNMP_ERR_NOSUCHNAME;
			r->errindex = i;
		}
		return;
	}
	snmp_set_var_typed_value(v, exc, NULL, 0);
}

static void
agent_get(struct device *d, netsnmp_pdu *r)
{
	netsnmp_variable_list *v;
	u_char type, buf[512];
	size_t len;
	ssize_t idx;
	int i, incol;

	for (v = r->variables, i = 1; v != NULL; v = v->next_variable, i++) {
		idx = mib_find(d, v->name, v->name_length, &incol);
		if (idx >= 0 && agent_hidden(d, (size_t)idx)) {
			idx = -1;
			incol = 1;
		}
		if (idx >= 0 && agent_value(d, idx, &type, buf, &len) == 0)
			snmp_set_var_typed_value(v, type, buf, len);
		else
			agent_exception(r, v, i, incol ? SNMP_NOSUCHINSTANCE :
			    SNMP_NOSUCHOBJECT);
	}
}

static void
agent_getnext(struct device *d, netsnmp_pdu *r)
{
	netsnmp_variable_list *v;
	oid name[MAX_OID_LEN];
	u_char type, buf[512];
	size_t len, nlen;
	ssize_t idx;
	int i;

	for (v = r->variables, i = 1; v != NULL; v = v->next_variable, i++) {
		idx = agent_next(d, v->name, v->name_length);
		if (idx < 0 || agent_value(d, idx, &type, buf, &len) == -1) {
			agent_exception(r, v, i, SNMP_ENDOFMIBVIEW);
			continue;
		}
		nlen = mib_oid(d, (size_t)idx, name);
		snmp_set_var_objid(v, name, nlen);
		snmp_set_var_typed_value(v, type, buf, len);
	}
}

struct cursor {
	oid	name[MAX_OID_LEN];
	size_t	len;
	int	end;
};

/* Add the next varbind after c to r; returns its estimated size. */
static size_t
agent_bulk_one(struct device *d, netsnmp_pdu *r, struct cursor *c)
{
	u_char type, buf[512];
	size_t len;
	ssize_t idx = -1;

	if (!c->end)
		idx = agent_next(d, c->name, c->len);
	if (idx < 0 || agent_value(d, idx, &type, buf, &len) == -1) {
		c->end = 1;
		snmp_pdu_add_variable(r, c->name, c->len, SNMP_ENDOFMIBVIEW,
		    NULL, 0);
		return 8 + c->len * 5;
	}
	c->len = mib_oid(d, (size_t)idx, c->name);
	snmp_pdu_add_variable(r, c->name, c->len, type, buf, len);
	return 8 + c->len * 5 + len;
}

static void
agent_getbulk(struct device *d, netsnmp_pdu *req, netsnmp_pdu *r)
{
	netsnmp_variable_list *v;
	struct cursor *cur;
	long nonrep = req->non_repeaters, maxrep = req->max_repetitions;
	size_t n = 0, i, bytes = 0, nvars = 0, budget = AGENT_MAX_BYTES;
	long rep;
	int live;

	for (v = req->variables; v != NULL; v = v->next_variable)
		n++;
	if (n == 0)
		return;
	if (req->msgMaxSize > 0 && (size_t)req->msgMaxSize < budget + 500)
		budget = req->msgMaxSize > 1000 ? req->msgMaxSize - 500 : 500;
	nonrep = nonrep < 0 ? 0 : (nonrep > (long)n ? (long)n : nonrep);
	cur = xcalloc(n, sizeof(*cur));
	for (v = req->variables, i = 0; v != NULL; v = v->next_variable, i++) {
		cur[i].len = v->name_length > MAX_OID_LEN ? MAX_OID_LEN :
		    v->name_length;
		memcpy(cur[i].name, v->name, cur[i].len * sizeof(oid));
	}
	for (i = 0; i < (size_t)nonrep; i++, nvars++)
		bytes += agent_bulk_one(d, r, &cur[i]);
	for (rep = 0; rep < maxrep && n > (size_t)nonrep; rep++) {
		live = 0;
		for (i = (size_t)nonrep; i < n; i++, nvars++) {
			bytes += agent_bulk_one(d, r, &cur[i]);
			live |= !cur[i].end;
		}
		if (!live || bytes >= budget || nvars >= AGENT_MAX_VARBINDS)
			break;
	}
	free(cur);
}

/* Build the Response; NULL for requests this agent does not answer. */
static netsnmp_pdu *
agent_answer(struct device *d, netsnmp_pdu *pdu)
{
	netsnmp_pdu *r;

	if ((r = snmp_clone_pdu(pdu)) == NULL)
		return NULL;
	r->command = SNMP_MSG_RESPONSE;
	r->errstat = 0;
	r->errindex = 0;
	switch (pdu->command) {
	case SNMP_MSG_GET:
		agent_get(d, r);
		break;
	case SNMP_MSG_GETNEXT:
		agent_getnext(d, r);
		break;
	case SNMP_MSG_GETBULK:
		snmp_free_varbind(r->variables);
		r->variables = NULL;
		agent_getbulk(d, pdu, r);
		break;
	}
	return r;
}

static void
agent_send(struct device *d, netsnmp_pdu *r)
{
	netsnmp_variable_list *v;
	uint64_t n = 0;

	for (v = r->variables; v != NULL; v = v->next_variable)
		n++;
	if (snmp_sess_send(d->sessp, r) == 0) {
		log_warnx("%s: cannot send a response (%s)", d->name,
		    snmp_api_errstring(snmp_errno));
		snmp_free_pdu(r);
		return;
	}
	d->st.answered++;
	d->st.varbinds += n;
}

static void
agent_deferred_free(struct deferred *df)
{
	struct deferred **pp;

	for (pp = &df->d->deferred; *pp != NULL; pp = &(*pp)->next)
		if (*pp == df) {
			*pp = df->next;
			break;
		}
	event_free(df->ev);
	free(df);
}

static void
agent_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct deferred *df = arg;

	df->d->st.inflight--;
	/* a device that went silent meanwhile swallows the answer */
	if (df->d->silent || df->d->misbehave == MB_TIMEOUT)
		snmp_free_pdu(df->reply);
	else
		agent_send(df->d, df->reply);
	agent_deferred_free(df);
}

/* Slow agent: answer after delay_ms, counting requests in flight. */
static void
agent_defer(struct device *d, netsnmp_pdu *r)
{
	struct deferred *df = xcalloc(1, sizeof(*df));
	struct timeval tv;

	df->d = d;
	df->reply = r;
	df->next = d->deferred;
	d->deferred = df;
	df->ev = evtimer_new(d->sim->base, agent_deferred_cb, df);
	tv.tv_sec = d->delay_ms / 1000;
	tv.tv_usec = (d->delay_ms % 1000) * 1000;
	evtimer_add(df->ev, &tv);
	if (++d->st.inflight > d->st.max_inflight)
		d->st.max_inflight = d->st.inflight;
}

static int
agent_input_cb(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct device *d = magic;
	netsnmp_pdu *r;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE)
		return 1;
	agent_count(d, pdu->command);
	if (d->silent || d->misbehave == MB_TIMEOUT ||
	    !agent_access(d, pdu) || (pdu->command != SNMP_MSG_GET &&
	    pdu->command != SNMP_MSG_GETNEXT &&
	    pdu->command != SNMP_MSG_GETBULK) ||
	    (pdu->command == SNMP_MSG_GETBULK &&
	    pdu->version == SNMP_VERSION_1)) {
		d->st.ignored++;
		return 1;
	}
	if ((r = agent_answer(d, pdu)) == NULL)
		return 1;
	if (d->delay_ms > 0)
		agent_defer(d, r);
	else
		agent_send(d, r);
	return 1;
}

static void
agent_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct device *d = arg;
	netsnmp_large_fd_set fds;

	/* 5.9.3 clears the bit after reading: set it for every call */
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	snmp_sess_read2(d->sessp, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
}

int
agent_open(struct device *d, char *err, size_t errlen)
{
	netsnmp_session s;
	char spec[80];

	snprintf(spec, sizeof(spec), "udp:%s", d->addr);
	d->transport = netsnmp_transport_open_server("herald-sim", spec);
	if (d->transport == NULL) {
		snprintf(err, errlen, "%s: cannot listen on %s", d->name,
		    d->addr);
		return -1;
	}
	snmp_sess_init(&s);
	s.peername = SNMP_DEFAULT_PEERNAME;
	s.version = SNMP_DEFAULT_VERSION;
	s.community_len = SNMP_DEFAULT_COMMUNITY_LEN;
	s.callback = agent_input_cb;
	s.callback_magic = d;
	/* authoritative: the library answers engine ID discovery itself */
	s.isAuthoritative = SNMP_SESS_AUTHORITATIVE;
	if ((d->sessp = snmp_sess_add(&s, d->transport, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: snmp_sess_add failed", d->name);
		d->transport = NULL;	/* freed by snmp_sess_add */
		return -1;
	}
	d->ev = event_new(d->sim->base, d->transport->sock,
	    EV_READ | EV_PERSIST, agent_read_cb, d);
	event_add(d->ev, NULL);
	return 0;
}

void
agent_close(struct device *d)
{
	while (d->deferred != NULL) {
		snmp_free_pdu(d->deferred->reply);
		agent_deferred_free(d->deferred);
	}
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->sessp != NULL)
		snmp_sess_close(d->sessp);
	d->ev = NULL;
	d->sessp = NULL;
	d->transport = NULL;
}
