/*
 * sim_trap.c: notifications from the simulated devices. Faults build
 * SNMPv2 trap PDUs here; they wait in one FIFO that drains at the chosen
 * rate (bursts), a given share is dropped with a seeded generator so a run
 * can be repeated exactly, and each trap leaves through its own device's
 * agent socket so its source address is the device's address, as a real
 * trap receiver expects. v2c carries the community; v3 is sent by the
 * simulator's (authoritative) engine with the configured USM user.
 *
 * A trap goes to every target, as an OLT configured with two or more trap
 * destinations sends each trap to each (several heraldd instances sharing
 * the devices all receive every trap). Drop and rate apply to the trap,
 * not to each copy: a dropped trap reaches no target.
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

#define TRAP_MAX_TARGETS	8

struct trapq {
	struct trapitem		*head, *tail;
	size_t			 count;
	struct event		*ev;
	double			 allowance;
	struct timespec		 last;
	struct sockaddr_in	 target[TRAP_MAX_TARGETS];
	size_t			 ntargets;
	char			 target_str[TRAP_MAX_TARGETS * 32];
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

/* One target, "udp:127.0.0.1:162" or "127.0.0.1:162". */
static int
trap_parse_target(const char *spec, struct sockaddr_in *sin, char *err,
    size_t errlen)
{
	char host[80], *colon, *end;
	const char *p = spec;
	long port;

	if (strncmp(p, "udp:", 4) == 0)
		p += 4;
	snprintf(host, sizeof(host), "%s", p);
	memset(sin, 0, sizeof(*sin));
	if ((colon = strrchr(host, ':')) == NULL ||
	    (port = strtol(colon + 1, &end, 10)) <= 0 || port > 65535 ||
	    *end != '\0') {
		snprintf(err, errlen, "target %s: want udp:ADDRESS:PORT", spec);
		return -1;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		snprintf(err, errlen, "target %s: want an IPv4 address", spec);
		return -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return 0;
}

/*
 * A comma-separated list of targets: every trap goes to each. The list
 * replaces the old one only when every entry is valid.
 */
int
trap_set_target(struct sim *s, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_in sin[TRAP_MAX_TARGETS];
	char list[512], *one, *save = NULL, str[sizeof(s->tq->target_str)];
	char abuf[INET_ADDRSTRLEN];
	size_t n = 0, i, used = 0;

	if (strlen(spec) >= sizeof(list)) {
		snprintf(err, errlen, "target: list too long");
		return -1;
	}
	snprintf(list, sizeof(list), "%s", spec);
	for (one = strtok_r(list, ",", &save); one != NULL;
	    one = strtok_r(NULL, ",", &save)) {
		if (n == TRAP_MAX_TARGETS) {
			snprintf(err, errlen, "target: at most %d targets",
			    TRAP_MAX_TARGETS);
			return -1;
		}
		if (trap_parse_target(one, &sin[n], err, errlen) == -1)
			return -1;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "target %s: want udp:ADDRESS:PORT[,...]",
		    spec);
		return -1;
	}
	str[0] = '\0';
	for (i = 0; i < n; i++) {
		inet_ntop(AF_INET, &sin[i].sin_addr, abuf, sizeof(abuf));
		used += (size_t)snprintf(str + used, sizeof(str) - used,
		    "%sudp:%s:%u", i ? "," : "", abuf, ntohs(sin[i].sin_port));
		if (used >= sizeof(str))
			break;
	}
	memcpy(s->tq->target, sin, n * sizeof(sin[0]));
	s->tq->ntargets = n;
	snprintf(s->tq->target_str, sizeof(s->tq->target_str), "%s", str);
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

	if (d->silent || q->ntargets == 0) {
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

/* The version's security fields, filled in once before the copies. */
static void
trap_secure(struct sim *s, netsnmp_pdu *pdu)
{
	const struct sim_opts *o = &s->o;
	u_char engine[64];
	size_t elen;

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
}

/* One datagram to one target; the library frees the PDU once sent. */
static int
trap_send_one(struct device *d, netsnmp_pdu *pdu,
    const struct sockaddr_in *to)
{
	netsnmp_indexed_addr_pair *ap;

	free(pdu->transport_data);
	ap = xcalloc(1, sizeof(*ap));
	ap->remote_addr.sin = *to;
	pdu->transport_data = ap;
	pdu->transport_data_length = sizeof(*ap);
	if (d->sessp == NULL || snmp_sess_send(d->sessp, pdu) == 0) {
		log_warnx("%s: cannot send a trap (%s)", d->name,
		    snmp_api_errstring(snmp_errno));
		snmp_free_pdu(pdu);
		return -1;
	}
	return 0;
}

/* A trap counts as sent when at least one target took it; each failed
 * datagram counts as failed. */
static void
trap_send(struct sim *s, struct trapitem *it)
{
	struct trapq *q = s->tq;
	netsnmp_pdu *pdu = it->pdu, *copy;
	size_t i, ok = 0;

	/* a device that lost power meanwhile takes its queue with it */
	if (it->d->silent) {
		it->d->st.traps_suppressed++;
		q->suppressed++;
		snmp_free_pdu(pdu);
		return;
	}
	trap_secure(s, pdu);
	for (i = 0; i < q->ntargets; i++) {
		copy = i + 1 < q->ntargets ? snmp_clone_pdu(pdu) : pdu;
		if (copy == NULL) {
			q->failed++;
			continue;
		}
		if (trap_send_one(it->d, copy, &q->target[i]) == -1)
			q->failed++;
		else
			ok++;
	}
	if (ok > 0) {
		it->d->st.traps_sent++;
		q->sent++;
	}
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
	    q->ntargets > 0 ? q->target_str : "none");
}
