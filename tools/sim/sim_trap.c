/*
 * sim_trap.c: notifications from the simulated devices. Faults build
 * SNMPv2 trap PDUs here; they wait in one FIFO that drains at the chosen
 * rate (bursts), a given share is dropped with a seeded generator so a run
 * can be repeated exactly, and each trap leaves through its own device's
 * agent socket so its source address is the device's address, as a real
 * trap receiver expects. v2c carries the community; v3 is sent by the
 * simulator's (authoritative) engine with the configured USM user.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "sim.h"
#include "xmalloc.h"

struct trapitem {
	struct device	*d;
	netsnmp_pdu	*pdu;
	struct trapitem	*next;
};

struct trapq {
	struct trapitem		*head, *tail;
	size_t			 count;
	struct event		*ev;
	double			 allowance;
	struct timespec		 last;
	struct sockaddr_in	 target;
	int			 have_target;
	char			 target_str[128];
	uint64_t		 sent, dropped, suppressed, failed;
};

static const oid sysuptime_oid[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid trapoid_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static void trap_drain_cb(evutil_socket_t, short, void *);

/* splitmix64: a small generator whose sequence is the same everywhere. */
static double
trap_random(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

void
trap_init(struct sim *s)
{
	s->tq = xcalloc(1, sizeof(*s->tq));
	s->tq->ev = evtimer_new(s->base, trap_drain_cb, s);
	s->rng = s->o.seed;
}

void
trap_free(struct sim *s)
{
	struct trapitem *it, *next;

	if (s->tq == NULL)
		return;
	for (it = s->tq->head; it != NULL; it = next) {
		next = it->next;
		snmp_free_pdu(it->pdu);
		free(it);
	}
	event_free(s->tq->ev);
	free(s->tq);
	s->tq = NULL;
}

/* "udp:127.0.0.1:162" or "127.0.0.1:162". */
int
trap_set_target(struct sim *s, const char *spec, char *err, size_t errlen)
{
	char host[80], *colon;
	const char *p = spec;
	struct sockaddr_in sin;
	long port;

	if (strncmp(p, "udp:", 4) == 0)
		p += 4;
	snprintf(host, sizeof(host), "%s", p);
	memset(&sin, 0, sizeof(sin));
	if ((colon = strrchr(host, ':')) == NULL ||
	    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535) {
		snprintf(err, errlen, "target %s: want udp:ADDRESS:PORT", spec);
		return -1;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "target %s: want an IPv4 address", spec);
		return -1;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	s->tq->target = sin;
	s->tq->have_target = 1;
	snprintf(s->tq->target_str, sizeof(s->tq->target_str), "udp:%s:%ld",
	    host, port);
	return 0;
}

netsnmp_pdu *
trap_new(struct device *d, const oid *trap, size_t len)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
	u_long up = fleet_uptime(d);

	snmp_pdu_add_variable(pdu, sysuptime_oid, 9, ASN_TIMETICKS,
	    &up, sizeof(up));
	snmp_pdu_add_variable(pdu, trapoid_oid, 11, ASN_OBJECT_ID,
	    trap, len * sizeof(oid));
	return pdu;
}

static size_t
trap_name(oid *name, const oid *base, size_t baselen, const uint32_t *inst,
    int instlen)
{
	int i;

	memcpy(name, base, baselen * sizeof(oid));
	for (i = 0; i < instlen; i++)
		name[baselen + i] = inst[i];
	return baselen + (size_t)instlen;
}

void
trap_add_int(netsnmp_pdu *pdu, const oid *base, size_t baselen,
    const uint32_t *inst, int instlen, long v)
{
	oid name[MAX_OID_LEN];
	size_t n = trap_name(name, base, baselen, inst, instlen);

	snmp_pdu_add_variable(pdu, name, n, ASN_INTEGER, &v, sizeof(v));
}

void
trap_add_str(netsnmp_pdu *pdu, const oid *base, size_t baselen,
    const uint32_t *inst, int instlen, const char *s, size_t len)
{
	oid name[MAX_OID_LEN];
	size_t n = trap_name(name, base, baselen, inst, instlen);

	snmp_pdu_add_variable(pdu, name, n, ASN_OCTET_STR, s, len);
}

/* A powered-off device sends nothing; then the drop share applies. */
void
trap_queue(struct device *d, netsnmp_pdu *pdu)
{
	struct sim *s = d->sim;
	struct trapq *q = s->tq;
	struct trapitem *it;

	if (d->silent || !q->have_target) {
		d->st.traps_suppressed++;
		q->suppressed++;
		snmp_free_pdu(pdu);
		return;
	}
	if (s->o.drop > 0 && trap_random(s) < s->o.drop) {
		d->st.traps_dropped++;
		q->dropped++;
		snmp_free_pdu(pdu);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->d = d;
	it->pdu = pdu;
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	if (q->count++ == 0) {
		struct timeval now0 = { 0, 0 };

		clock_gettime(CLOCK_MONOTONIC, &q->last);
		q->allowance = 1;
		evtimer_add(q->ev, &now0);
	}
}

size_t
trap_pending(struct sim *s)
{
	return s->tq->count;
}

static void
trap_send(struct sim *s, struct trapitem *it)
{
	const struct sim_opts *o = &s->o;
	netsnmp_pdu *pdu = it->pdu;
	netsnmp_indexed_addr_pair *ap;
	u_char engine[64];
	size_t elen;

	/* a device that lost power meanwhile takes its queue with it */
	if (it->d->silent) {
		it->d->st.traps_suppressed++;
		s->tq->suppressed++;
		snmp_free_pdu(pdu);
		return;
	}
	ap = xcalloc(1, sizeof(*ap));
	ap->remote_addr.sin = s->tq->target;
	pdu->transport_data = ap;
	pdu->transport_data_length = sizeof(*ap);
	if (o->trap_v3) {
		pdu->version = SNMP_VERSION_3;
		pdu->securityModel = SNMP_SEC_MODEL_USM;
		pdu->securityLevel = o->priv_pass != NULL ?
		    SNMP_SEC_LEVEL_AUTHPRIV : SNMP_SEC_LEVEL_AUTHNOPRIV;
		pdu->securityName = xstrdup(o->v3_user);
		pdu->securityNameLen = strlen(o->v3_user);
		/* a trap's sender is authoritative: our own engine ID */
		elen = snmpv3_get_engineID(engine, sizeof(engine));
		pdu->securityEngineID = netsnmp_memdup(engine, elen);
		pdu->securityEngineIDLen = elen;
		pdu->contextEngineID = netsnmp_memdup(engine, elen);
		pdu->contextEngineIDLen = elen;
	} else {
		pdu->version = SNMP_VERSION_2c;
		pdu->community = (u_char *)xstrdup(o->community);
		pdu->community_len = strlen(o->community);
	}
	if (it->d->sessp == NULL || snmp_sess_send(it->d->sessp, pdu) == 0) {
		log_warnx("%s: cannot send a trap (%s)", it->d->name,
		    snmp_api_errstring(snmp_errno));
		snmp_free_pdu(pdu);
		s->tq->failed++;
		return;
	}
	it->d->st.traps_sent++;
	s->tq->sent++;
}

static struct trapitem *
trap_pop(struct trapq *q)
{
	struct trapitem *it = q->head;

	if (it == NULL)
		return NULL;
	if ((q->head = it->next) == NULL)
		q->tail = NULL;
	q->count--;
	return it;
}

/* Send what the rate allows now and come back for the rest. */
static void
trap_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *s = arg;
	struct trapq *q = s->tq;
	struct trapitem *it;
	struct timespec now;
	struct timeval tv = { 0, 0 };
	double rate = s->o.rate, wait;
	size_t n = 0, max = 1000;

	if (rate > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		q->allowance += rate * ((double)(now.tv_sec - q->last.tv_sec) +
		    (double)(now.tv_nsec - q->last.tv_nsec) / 1e9);
		q->last = now;
		/* at most 10 ms worth at once, so a burst keeps its rate */
		if (q->allowance > (rate / 100 > 1 ? rate / 100 : 1))
			q->allowance = rate / 100 > 1 ? rate / 100 : 1;
		max = (size_t)q->allowance;
		q->allowance -= (double)max;
	}
	while (n < max && (it = trap_pop(q)) != NULL) {
		trap_send(s, it);
		free(it);
		n++;
	}
	if (q->count == 0)
		return;
	if (rate > 0) {
		wait = (1 - q->allowance) / rate;
		if (wait < 0.001)
			wait = 0.001;
		tv.tv_sec = (time_t)wait;
		tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	}
	evtimer_add(q->ev, &tv);
}

void
trap_stats_line(struct sim *s, char *buf, size_t len)
{
	struct trapq *q = s->tq;

	snprintf(buf, len, "traps queued=%zu sent=%llu dropped=%llu "
	    "suppressed=%llu failed=%llu drop=%g rate=%g version=%s target=%s",
	    q->count, (unsigned long long)q->sent,
	    (unsigned long long)q->dropped, (unsigned long long)q->suppressed,
	    (unsigned long long)q->failed, s->o.drop, s->o.rate,
	    s->o.trap_v3 ? "v3" : "v2c",
	    q->have_target ? q->target_str : "none");
}
