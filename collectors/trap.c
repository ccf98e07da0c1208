/*
 * trap.c: the trap collector. Receives SNMPv1/v2c/v3 traps and informs on
 * the loop with net-snmp as a library (integration.md section 2), checks
 * each datagram's source against the devices table before it is parsed,
 * checks the community or USM user, answers informs, matches the vendor
 * profile and hands a normalised event to the event pipeline.
 *
 * Every datagram ends in exactly one counter: accepted (unknown_trap is
 * the part of accepted that no profile rule matched, bad_location the part
 * whose location could not exist), or one reject reason. Rejects are
 * logged at a rate-limited level; nothing here blocks or exits.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sock_diag.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "devindex.h"
#include "events.h"
#include "herald.h"
#include "log.h"
#include "module.h"
#include "profile.h"
#include "sdnotify.h"
#include "snmpcred.h"
#include "snmplib.h"
#include "trap.h"
#include "stats.h"
#include "store.h"
#include "trapmsg.h"
#include "xmalloc.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO	55
#endif

enum trap_reason {
	R_UNKNOWN_SOURCE = 0,
	R_BAD_COMMUNITY,
	R_USM_FAILURE,
	R_PARSE_ERROR,
	R_UNEXPECTED_PDU,	/* a Response or Report: we asked nothing */
	R_N
};
static const char *const trap_reason_names[R_N] = {
	"unknown_source", "bad_community", "usm_failure", "parse_error",
	"unexpected_pdu"
};

struct trap;

struct trap_listener {
	struct trap		*t;
	char			*spec;
	netsnmp_transport	*tp;
	void			*sess;
	struct event		*ev;
};

/* How long traps may wait in the kernel for the first device list. */
#define TRAP_HOLD_SECONDS	10

#define TRAP_INFORMS_SEEN	1024	/* a power of two */
#define TRAP_INFORM_WINDOW	120	/* seconds a repeat is recognised */

struct trap_counters {
	unsigned long long	 received;
	unsigned long long	 accepted;
	unsigned long long	 unknown_trap;
	unsigned long long	 bad_location;
	unsigned long long	 informs_answered;
	unsigned long long	 inform_duplicates;
	unsigned long long	 v3_discovery;
	unsigned long long	 reject[R_N];
	unsigned long long	 kernel_drops;
};

struct trap {
	struct herald		*h;
	size_t			 nls;
	struct trap_listener	*ls;
	struct profile_set	*profiles;
	struct snmpcred_set	*creds;
	struct devindex		*devs;
	int			 devs_loaded;
	/*
	 * Until the first device list is known (from the database or the
	 * cache) the sockets are not read: traps wait in the kernel's buffer
	 * instead of being refused as unknown_source.
	 */
	int			 held;
	struct event		*hold_timer;

	/* Told whenever the device list changes (the poller). */
	size_t			 nwatch;
	struct trap_watch {
		void		(*cb)(const struct devindex *, void *);
		void		*arg;
	}			 watch[4];
	int			 devs_inflight, devs_again;
	size_t			 max_varbinds;
	struct event		*stats_timer;

	/* The datagram being processed (one per snmp_sess_read2 call). */
	const struct device	*cur_dev;
	char			 cur_peer[INET6_ADDRSTRLEN];
	unsigned int		 cur_port;
	int			 cur_done;

	/*
	 * Informs answered lately, by device, source port and request ID: a
	 * sender that missed our answer sends the same inform again, and that
	 * is answered again but is not a second event. A slot taken by a newer
	 * inform forgets the older one (then a late repeat is an event twice,
	 * as without this table).
	 */
	struct inform_seen {
		time_t		 at;
		long		 reqid;
		long long	 device_id;
		unsigned int	 port;
	}			 seen[TRAP_INFORMS_SEEN];

	struct trap_counters	 c;
	unsigned long long	 drops_base;
	struct log_ratelimit	 rl[R_N], rl_unknown, rl_bad_location;
};

static cfg_opt_t trap_opts[] = {
	CFG_INT("max_varbinds", 64, CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_END()
};

static void
trap_reject(struct trap *t, enum trap_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
trap_reject(struct trap *t, enum trap_reason r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (t->cur_done)	/* net-snmp may report one datagram twice */
		return;
	t->c.reject[r]++;
	t->cur_done = 1;
	if (!log_ratelimit(&t->rl[r], 5))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("trap from %s rejected (%s): %s", t->cur_peer,
	    trap_reason_names[r], msg);
}

/* Source address of a received datagram (both udp and udp6 transports). */
static const struct sockaddr *
trap_peer(void *opaque, int olen, size_t *salen)
{
	const struct sockaddr *sa = opaque;

	if (opaque == NULL || olen < (int)sizeof(sa_family_t))
		return NULL;
	*salen = (size_t)olen;
	return sa;
}

static void
trap_peer_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)len);
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
		    (socklen_t)len);
	else
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len);
}

/*
 * Before parsing: drop datagrams from addresses that are no device of ours,
 * so a flood from elsewhere costs a hash lookup, not a BER parse.
 */
static int
trap_pre_parse_cb(netsnmp_session *s, netsnmp_transport *tp, void *opaque,
    int olen)
{
	struct trap_listener *l = s->callback_magic;
	struct trap *t = l->t;
	const struct sockaddr *sa;
	size_t salen = 0;

	t->c.received++;
	t->cur_dev = NULL;
	t->cur_done = 0;
	snprintf(t->cur_peer, sizeof(t->cur_peer), "?");
	t->cur_port = 0;
	if ((sa = trap_peer(opaque, olen, &salen)) == NULL) {
		trap_reject(t, R_PARSE_ERROR, "no source address");
		return 0;
	}
	trap_peer_text(sa, t->cur_peer, sizeof(t->cur_peer));
	t->cur_port = ntohs(sa->sa_family == AF_INET ?
	    ((const struct sockaddr_in *)sa)->sin_port :
	    ((const struct sockaddr_in6 *)sa)->sin6_port);
	if ((t->cur_dev = devindex_lookup(t->devs, sa, salen)) == NULL) {
		trap_reject(t, R_UNKNOWN_SOURCE, "not the address of a known "
		    "device%s", t->devs_loaded ? "" : " (device list not loaded "
		    "yet)");
		return 0;
	}
	return 1;
}

static int
trap_usm_error(int err)
{
	return (err <= SNMPERR_UNKNOWN_SEC_MODEL &&
	    err >= SNMPERR_DECRYPTION_ERR) ||
	    (err <= SNMPERR_USM_GENERICERROR && err >= SNMPERR_USM_DECRYPTIONERROR);
}

static int	trap_auth(struct trap *, const netsnmp_pdu *);

/*
 * A Response or Report answers a request; these sessions send none, so
 * net-snmp would drop it unseen (and it would end as usm_failure). With the
 * device's credentials it is counted as unexpected_pdu, else as what is
 * wrong with its credentials.
 */
static int
trap_unexpected(struct trap *t, const netsnmp_pdu *pdu)
{
	if (pdu->command != SNMP_MSG_RESPONSE && pdu->command != SNMP_MSG_REPORT)
		return 0;
	if (trap_auth(t, pdu) == 0)
		trap_reject(t, R_UNEXPECTED_PDU, "a %s PDU, and no request was "
		    "sent", pdu->command == SNMP_MSG_RESPONSE ? "Response" :
		    "Report");
	return 1;
}

/* After parsing: count what net-snmp could not parse or authenticate. */
static int
trap_post_parse_cb(netsnmp_session *s, netsnmp_pdu *pdu, int ret)
{
	struct trap_listener *l = s->callback_magic;
	struct trap *t = l->t;

	if (ret == SNMPERR_SUCCESS)
		return pdu != NULL && t->cur_dev != NULL &&
		    trap_unexpected(t, pdu) ? 0 : 1;
	if ((ret == SNMPERR_USM_UNKNOWNENGINEID && pdu != NULL &&
	    pdu->securityEngineIDLen == 0) || ret == SNMPERR_USM_NOTINTIMEWINDOW) {
		/*
		 * An inform sender discovering our engine ID, or learning our
		 * boots and time (RFC 3414 4): the protocol, not an error.
		 * net-snmp has already sent the Report.
		 */
		t->c.v3_discovery++;
		t->cur_done = 1;
		return 0;
	}
	if (trap_usm_error(ret))
		trap_reject(t, R_USM_FAILURE, "%s", snmp_api_errstring(ret));
	else
		trap_reject(t, R_PARSE_ERROR, "%s", snmp_api_errstring(ret));
	return 0;
}

/* Community or USM user, against the device's credentials. */
static int
trap_auth(struct trap *t, const netsnmp_pdu *pdu)
{
	const struct device *d = t->cur_dev;
	const struct snmpcred *c = d->cred;

	if (pdu->version == SNMP_VERSION_3) {
		if (c == NULL || c->version != SNMP_VERSION_3) {
			trap_reject(t, R_USM_FAILURE, "device %s has no SNMPv3 "
			    "credentials", d->name);
			return -1;
		}
		if (pdu->securityName == NULL ||
		    strlen(c->user) != pdu->securityNameLen ||
		    memcmp(c->user, pdu->securityName, pdu->securityNameLen) != 0) {
			trap_reject(t, R_USM_FAILURE, "user is not the one of "
			    "device %s", d->name);
			return -1;
		}
		if (pdu->securityLevel < c->sec_level) {
			trap_reject(t, R_USM_FAILURE, "security level below the "
			    "one configured for device %s", d->name);
			return -1;
		}
		return 0;
	}
	if (!snmpcred_community_ok(t->creds, c, (const char *)pdu->community,
	    pdu->community_len)) {
		trap_reject(t, R_BAD_COMMUNITY, "wrong community for device %s",
		    d->name);
		return -1;
	}
	return 0;
}

static void
trap_answer_inform(struct trap_listener *l, netsnmp_pdu *pdu)
{
	netsnmp_pdu *r;

	if ((r = snmp_clone_pdu(pdu)) == NULL)
		return;
	r->command = SNMP_MSG_RESPONSE;
	r->errstat = 0;
	r->errindex = 0;
	if (snmp_sess_send(l->sess, r) == 0)
		snmp_free_pdu(r);
	else
		l->t->c.informs_answered++;
}

/* Whether this inform was answered already; remembers it if not. */
static int
trap_inform_repeat(struct trap *t, const netsnmp_pdu *pdu)
{
	struct inform_seen *e;
	time_t now = time(NULL);
	unsigned long hv;

	hv = (unsigned long)t->cur_dev->id * 2654435761UL ^
	    (unsigned long)t->cur_port * 40503UL ^ (unsigned long)pdu->reqid;
	e = &t->seen[hv & (TRAP_INFORMS_SEEN - 1)];
	if (e->at != 0 && now - e->at <= TRAP_INFORM_WINDOW &&
	    e->device_id == t->cur_dev->id && e->port == t->cur_port &&
	    e->reqid == pdu->reqid)
		return 1;
	e->at = now;
	e->device_id = t->cur_dev->id;
	e->port = t->cur_port;
	e->reqid = pdu->reqid;
	return 0;
}

/* A location that cannot exist: counted, logged, and the event kept raw. */
static void
trap_bad_location(struct trap *t, const struct trapmsg *tm,
    const struct profile_match *m)
{
	t->c.bad_location++;
	if (log_ratelimit(&t->rl_bad_location, 5))
		log_warnx("trap %s from %s (%s): %s %s is out of range; kept as "
		    "a raw event, no alarm", tm->trap_oid_text, t->cur_dev->name,
		    m->rule, m->bad_field, m->bad_value);
}

static void
trap_emit(struct trap *t, const struct trapmsg *tm)
{
	const struct device *d = t->cur_dev;
	struct profile_match m;
	struct herald_event ev;
	long long onu;
	char *vb;

	events_init(&ev);
	if (trapmsg_match(tm, d->cands, d->ncands, &m)) {
		ev.kind = m.kind;
		ev.action = m.action;
		ev.cause = m.cause;
		ev.loc = m.loc;
		ev.affected_onus = m.affected_onus;
		ev.dying_gasp_onus = m.dying_gasp_onus;
		ev.profile = profile_name(m.profile);
		ev.rule = m.rule;
		if (m.action == EVENT_RAW)	/* a value the rule does not map */
			ev.kind = NULL;
		if (m.bad_field != NULL)
			trap_bad_location(t, tm, &m);
	} else {
		t->c.unknown_trap++;
		m.has_mask = 0;
		if (log_ratelimit(&t->rl_unknown, 2))
			log_info("trap %s from %s (%s, %s) matches no profile; "
			    "kept as a raw event", tm->trap_oid_text, d->name,
			    d->vendor, d->model);
	}
	gettimeofday(&ev.time, NULL);
	ev.device_id = d->id;
	ev.source = EVENT_SOURCE_TRAP;
	ev.peer = t->cur_peer;
	ev.pdu = tm->pdu_name;
	ev.trap_oid = tm->trap_oid_text;
	vb = trapmsg_varbinds_text(tm->vars);
	ev.varbinds = vb;
	/* An ONU mask (mass power-off): one event per ONU it names. */
	if ((onu = profile_mask_next(&m, 0)) < 0)
		events_submit(t->h, &ev);
	for (; onu >= 0; onu = profile_mask_next(&m, onu + 1)) {
		ev.loc.onu = onu;
		events_submit(t->h, &ev);
	}
	free(vb);
}

static int
trap_input_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct trap_listener *l = magic;
	struct trap *t = l->t;
	struct trapmsg tm;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || t->cur_done)
		return 1;
	if (t->cur_dev == NULL)		/* pre_parse always sets it */
		return 1;
	if (s->s_snmp_errno != 0) {
		trap_reject(t, trap_usm_error(s->s_snmp_errno) ? R_USM_FAILURE :
		    R_PARSE_ERROR, "%s", snmp_api_errstring(s->s_snmp_errno));
		s->s_snmp_errno = 0;
		return 1;
	}
	if (trapmsg_decode(pdu, &tm) != 0) {
		trap_reject(t, R_PARSE_ERROR, "%s", tm.error);
		return 1;
	}
	if (trap_auth(t, pdu) != 0)
		return 1;
	if (tm.nvars > t->max_varbinds) {
		trap_reject(t, R_PARSE_ERROR, "%zu varbinds, more than "
		    "trap.max_varbinds (%zu)", tm.nvars, t->max_varbinds);
		return 1;
	}
	t->cur_done = 1;
	if (pdu->command == SNMP_MSG_INFORM && trap_inform_repeat(t, pdu)) {
		t->c.inform_duplicates++;
		trap_answer_inform(l, pdu);
		return 1;
	}
	t->c.accepted++;
	trap_emit(t, &tm);
	if (pdu->command == SNMP_MSG_INFORM)
		trap_answer_inform(l, pdu);
	return 1;
}

/* net-snmp 5.9.3 clears the fd's bit after reading: set it every time. */
static void
trap_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct trap_listener *l = arg;
	netsnmp_large_fd_set fds;

	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	snmp_sess_read2(l->sess, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
	if (!l->t->cur_done && l->t->cur_dev != NULL) {
		/* Parsed but never reached us (e.g. USM stats only). */
		trap_reject(l->t, R_USM_FAILURE, "dropped by net-snmp");
	}
	l->t->cur_dev = NULL;
	l->t->cur_done = 1;
}

static void
trap_set_rcvbuf(struct trap_listener *l, int want)
{
	int got = 0;
	socklen_t len = sizeof(got);

	/* FORCE passes rmem_max when we may (root, or the unit's caps). */
	if (setsockopt(l->tp->sock, SOL_SOCKET, SO_RCVBUFFORCE, &want,
	    sizeof(want)) != 0)
		setsockopt(l->tp->sock, SOL_SOCKET, SO_RCVBUF, &want,
		    sizeof(want));
	if (getsockopt(l->tp->sock, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 &&
	    got / 2 < want)
		log_warnx("trap: %s: receive buffer is %d bytes, not %d "
		    "(raise net.core.rmem_max or use heraldd.socket)", l->spec,
		    got / 2, want);
}

static int
trap_listen_one(struct trap *t, struct trap_listener *l, const char *spec,
    int rcvbuf)
{
	netsnmp_session s;

	memset(l, 0, sizeof(*l));
	l->t = t;
	l->spec = xstrdup(spec);
	if ((l->tp = netsnmp_transport_open_server("snmptrap", spec)) == NULL) {
		log_warnx("trap: cannot listen on %s", spec);
		return -1;
	}
	snmp_sess_init(&s);
	s.peername = SNMP_DEFAULT_PEERNAME;
	s.version = SNMP_DEFAULT_VERSION;
	s.community_len = SNMP_DEFAULT_COMMUNITY_LEN;
	s.retries = SNMP_DEFAULT_RETRIES;
	s.timeout = SNMP_DEFAULT_TIMEOUT;
	s.callback = trap_input_cb;
	s.callback_magic = l;
	s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
	if ((l->sess = snmp_sess_add(&s, l->tp, trap_pre_parse_cb,
	    trap_post_parse_cb)) == NULL) {
		log_warnx("trap: cannot start a session on %s", spec);
		l->tp = NULL;	/* snmp_sess_add closed it */
		return -1;
	}
	trap_set_rcvbuf(l, rcvbuf);
	l->ev = event_new(t->h->base, l->tp->sock, EV_READ | EV_PERSIST,
	    trap_read_cb, l);
	if (!t->held)
		event_add(l->ev, NULL);
	log_info("trap: listening on %s%s", spec,
	    sdnotify_is_listen_fd(l->tp->sock) ? " (socket from systemd)" : "");
	return 0;
}

static void
trap_close_listeners(struct trap *t)
{
	size_t i;

	for (i = 0; i < t->nls; i++) {
		if (t->ls[i].ev != NULL)
			event_free(t->ls[i].ev);
		if (t->ls[i].sess != NULL)
			snmp_sess_close(t->ls[i].sess);
		free(t->ls[i].spec);
	}
	free(t->ls);
	t->ls = NULL;
	t->nls = 0;
}

static int
trap_open_listeners(struct trap *t)
{
	cfg_t *snmp = cfg_getsec(t->h->conf->cfg, "snmp");
	int rcvbuf = (int)cfg_getint(snmp, "receive_buffer");
	unsigned i, n = cfg_size(snmp, "trap_listen");
	size_t ok = 0;

	t->ls = xcalloc(n, sizeof(*t->ls));
	t->nls = n;
	for (i = 0; i < n; i++)
		if (trap_listen_one(t, &t->ls[i], cfg_getnstr(snmp,
		    "trap_listen", i), rcvbuf) == 0)
			ok++;
	return ok > 0 ? 0 : -1;
}

/* Datagrams the kernel dropped because the receive buffer was full. */
static unsigned long long
trap_kernel_drops(struct trap *t)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len;
	unsigned long long sum = 0;
	size_t i;

	for (i = 0; i < t->nls; i++) {
		if (t->ls[i].tp == NULL)
			continue;
		len = sizeof(mem);
		memset(mem, 0, sizeof(mem));
		if (getsockopt(t->ls[i].tp->sock, SOL_SOCKET, SO_MEMINFO, mem,
		    &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(uint32_t))
			sum += mem[SK_MEMINFO_DROPS];
	}
	return sum;
}

static void
trap_publish(struct trap *t, int final)
{
	struct stats_counter c[8 + R_N];
	size_t n = 0, i;

	t->c.kernel_drops = t->drops_base + trap_kernel_drops(t);
	c[n].name = "received", c[n++].value = t->c.received;
	c[n].name = "accepted", c[n++].value = t->c.accepted;
	c[n].name = "unknown_trap", c[n++].value = t->c.unknown_trap;
	c[n].name = "bad_location", c[n++].value = t->c.bad_location;
	for (i = 0; i < R_N; i++)
		c[n].name = trap_reason_names[i], c[n++].value = t->c.reject[i];
	c[n].name = "informs_answered", c[n++].value = t->c.informs_answered;
	c[n].name = "inform_duplicates", c[n++].value = t->c.inform_duplicates;
	c[n].name = "v3_discovery", c[n++].value = t->c.v3_discovery;
	c[n].name = "kernel_drops", c[n++].value = t->c.kernel_drops;
	stats_publish(t->h, "trap", c, n, final);
}

static void
trap_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	trap_publish(arg, 0);
}

static void
trap_devices_changed(struct trap *t)
{
	size_t i;

	for (i = 0; i < t->nwatch; i++)
		t->watch[i].cb(t->devs, t->watch[i].arg);
}

static void	trap_free(struct herald *);

/* Start reading the sockets (the device list is known, or we waited). */
static void
trap_release(struct trap *t)
{
	size_t i;

	if (!t->held)
		return;
	t->held = 0;
	evtimer_del(t->hold_timer);
	for (i = 0; i < t->nls; i++)
		if (t->ls[i].ev != NULL)
			event_add(t->ls[i].ev, NULL);
}

static void
trap_hold_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	log_warnx("trap: no device list after %d s (database away, no cache "
	    "yet); traps are read now and refused as unknown_source",
	    TRAP_HOLD_SECONDS);
	trap_release(arg);
}

static char *
trap_cache_path(struct trap *t)
{
	char *path;

	xasprintf(&path, "%s/devices.cache", t->h->conf->state_dir);
	return path;
}

/* Keep the device list for a start while the database is away. */
static void
trap_save_devices(struct trap *t)
{
	char *path = trap_cache_path(t);

	devindex_save(t->devs, path);
	free(path);
}

static void
trap_load_cached_devices(struct trap *t)
{
	char *path = trap_cache_path(t);
	long n = devindex_load_file(t->devs, path);

	if (n > 0) {
		devindex_resolve(t->devs, t->profiles, t->creds);
		log_info("trap: %ld device%s from %s until the database answers",
		    n, n == 1 ? "" : "s", path);
		trap_release(t);
		trap_devices_changed(t);
	}
	free(path);
}

static void
trap_devices_cb(struct store *st, PGresult *res, void *arg)
{
	struct trap *t = arg;
	size_t n;

	t->devs_inflight = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("trap: cannot load devices: %s", store_errmsg(res));
		return;
	}
	n = devindex_load(t->devs, res);
	devindex_resolve(t->devs, t->profiles, t->creds);
	t->devs_loaded = 1;
	trap_save_devices(t);
	trap_release(t);
	trap_devices_changed(t);
	log_info("trap: %zu device%s known", n, n == 1 ? "" : "s");
	if (t->devs_again) {
		t->devs_again = 0;
		t->devs_inflight = store_query(st, devindex_sql, 0, NULL,
		    trap_devices_cb, t) == 0;
	}
}

static void
trap_load_devices(struct trap *t)
{
	if (t->devs_inflight) {
		t->devs_again = 1;	/* changed again while loading */
		return;
	}
	if (store_state(t->h->store) != STORE_UP)
		return;
	t->devs_inflight = store_query(t->h->store, devindex_sql, 0, NULL,
	    trap_devices_cb, t) == 0;
}

static void
trap_notify_cb(struct store *st, const char *channel, const char *payload,
    void *arg)
{
	log_debug("trap", "%s: reloading devices", channel);
	trap_load_devices(arg);
}

static void
trap_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct trap *t = arg;

	if (s == STORE_UP)	/* first connect and every reconnect */
		trap_load_devices(t);
	else if (s == STORE_DOWN)
		t->devs_inflight = 0;	/* re-sent by the store; answer comes */
}

static struct profile_set *
trap_load_profiles(cfg_t *root, int *errors)
{
	cfg_t *snmp = cfg_getsec(root, "snmp");

	return profile_load_dir(cfg_getstr(snmp, "profile_dir"), errors);
}

static void
trap_apply_conf(struct trap *t)
{
	cfg_t *sec = cfg_getsec(t->h->conf->cfg, "trap");
	struct timeval tv = { cfg_getint(sec, "stats_interval"), 0 };

	t->max_varbinds = (size_t)cfg_getint(sec, "max_varbinds");
	event_del(t->stats_timer);
	event_add(t->stats_timer, &tv);
}

static int
trap_start(struct herald *h)
{
	struct trap *t = xcalloc(1, sizeof(*t));
	cfg_t *snmp = cfg_getsec(h->conf->cfg, "snmp");
	int errors = 0;

	t->h = h;
	snmplib_init();
	if (snmplib_set_engine_id(cfg_getstr(snmp, "engine_id")) != 0) {
		log_error("trap: snmp.engine_id is not usable");
		free(t);
		return -1;
	}
	t->creds = snmpcred_load(snmp);
	snmpcred_usm_update(NULL, t->creds);
	t->profiles = trap_load_profiles(h->conf->cfg, &errors);
	log_info("trap: %zu vendor profile%s loaded, engine ID %s",
	    profile_count(t->profiles), profile_count(t->profiles) == 1 ? "" :
	    "s", snmplib_engine_id());
	t->devs = devindex_new();
	t->stats_timer = event_new(h->base, -1, EV_PERSIST, trap_stats_cb, t);
	t->hold_timer = evtimer_new(h->base, trap_hold_timeout_cb, t);
	t->held = 1;
	h->trap = t;
	trap_apply_conf(t);
	if (trap_open_listeners(t) != 0) {
		log_error("trap: no trap address could be opened");
		trap_free(h);
		return -1;
	}
	trap_load_cached_devices(t);
	if (t->held) {
		struct timeval tv = { TRAP_HOLD_SECONDS, 0 };

		evtimer_add(t->hold_timer, &tv);
	}
	store_watch(h->store, trap_state_cb, t);
	store_listen(h->store, "inventory_changed", trap_notify_cb, t);
	trap_load_devices(t);
	return 0;
}

static int
trap_listen_changed(cfg_t *a, cfg_t *b)
{
	cfg_t *x = cfg_getsec(a, "snmp"), *y = cfg_getsec(b, "snmp");
	unsigned i;

	if (cfg_size(x, "trap_listen") != cfg_size(y, "trap_listen") ||
	    cfg_getint(x, "receive_buffer") != cfg_getint(y, "receive_buffer"))
		return 1;
	for (i = 0; i < cfg_size(x, "trap_listen"); i++)
		if (strcmp(cfg_getnstr(x, "trap_listen", i),
		    cfg_getnstr(y, "trap_listen", i)) != 0)
			return 1;
	return 0;
}

static void
trap_reload(struct herald *h, struct herald_conf *old)
{
	struct trap *t = h->trap;
	cfg_t *snmp = cfg_getsec(h->conf->cfg, "snmp");
	struct snmpcred_set *creds;
	struct profile_set *ps;
	int errors = 0;

	if (t == NULL)
		return;
	trap_apply_conf(t);
	creds = snmpcred_load(snmp);
	snmpcred_usm_update(t->creds, NULL);
	if (snmplib_set_engine_id(cfg_getstr(snmp, "engine_id")) != 0)
		log_warnx("trap: snmp.engine_id is not usable; keeping %s",
		    snmplib_engine_id());
	snmpcred_usm_update(NULL, creds);
	snmpcred_free(t->creds);
	t->creds = creds;
	ps = trap_load_profiles(h->conf->cfg, &errors);
	if (ps != NULL && errors == 0) {
		profile_set_free(t->profiles);
		t->profiles = ps;
	} else {
		profile_set_free(ps);
		log_warnx("trap: profiles have errors; keeping the old ones");
	}
	devindex_resolve(t->devs, t->profiles, t->creds);
	if (trap_listen_changed(h->conf->cfg, old->cfg)) {
		t->drops_base += trap_kernel_drops(t);
		trap_close_listeners(t);
		if (trap_open_listeners(t) != 0)
			log_warnx("trap: no trap address could be opened");
	}
}

static void
trap_stop(struct herald *h)
{
	if (h->trap == NULL)
		return;
	trap_publish(h->trap, 1);
	trap_free(h);
}

/* The one teardown: sockets, timers, devices, profiles, USM users. */
static void
trap_free(struct herald *h)
{
	struct trap *t = h->trap;

	trap_close_listeners(t);
	event_free(t->stats_timer);
	event_free(t->hold_timer);
	devindex_free(t->devs);
	profile_set_free(t->profiles);
	snmpcred_usm_update(t->creds, NULL);
	snmpcred_free(t->creds);
	free(t);
	h->trap = NULL;
}

static void
trap_validators(cfg_t *root)
{
	cfg_set_validate_func(root, "trap|max_varbinds", conf_check_positive);
	cfg_set_validate_func(root, "trap|stats_interval", conf_check_positive);
}

/* Credentials and profiles are checked here so that heraldd -n sees them. */
static void
trap_check(cfg_t *root)
{
	cfg_t *snmp = cfg_getsec(root, "snmp");
	unsigned char id[32];
	const char *eid = cfg_getstr(snmp, "engine_id");
	struct profile_set *ps;
	int errors = 0;

	snmpcred_check(snmp);
	if (eid != NULL && *eid != '\0' &&
	    snmplib_parse_hex(eid, id, sizeof(id)) < 5)
		conf_error(root, "snmp: engine_id \"%s\" is not 5 to 32 bytes "
		    "of hex", eid);
	ps = trap_load_profiles(root, &errors);
	if (errors > 0)
		conf_error(root, "snmp: profile_dir %s: %d error%s in vendor "
		    "profiles", cfg_getstr(snmp, "profile_dir"), errors,
		    errors == 1 ? "" : "s");
	profile_set_free(ps);
}

const struct herald_module trap_module = {
	.name = "trap",
	.opts = trap_opts,
	.validators = trap_validators,
	.check = trap_check,
	.start = trap_start,
	.reload = trap_reload,
	.stop = trap_stop,
};

/* The vendor profiles in force, for the poller; NULL before start. */
const struct profile_set *
trap_profiles(struct herald *h)
{
	return h->trap ? h->trap->profiles : NULL;
}

const struct devindex *
trap_devices(struct herald *h)
{
	return h->trap ? h->trap->devs : NULL;
}

void
trap_watch_devices(struct herald *h,
    void (*cb)(const struct devindex *, void *), void *arg)
{
	struct trap *t = h->trap;

	if (t == NULL || t->nwatch == sizeof(t->watch) / sizeof(*t->watch))
		fatalx("trap_watch_devices: no room");
	t->watch[t->nwatch].cb = cb;
	t->watch[t->nwatch++].arg = arg;
	if (t->devs_loaded || devindex_count(t->devs) > 0)
		cb(t->devs, arg);
}
