/*
 * trapmutate.c: the trap flood of tests/system/19-trap-flood.sh. Sends
 * COUNT datagrams over loopback at RATE a second: PERCENT of them valid
 * vendor traps (net-snmp's encoder: Huawei dying gasp and LOS as v2c and
 * v1, ZTE LOSi as v1 and v2c), each carrying a marker varbind
 * "flood-valid:SEED:SEQ" with SEQ = 0, 1, ... so that the test can count
 * them in the events table; the rest mutated: bit flips, inserted,
 * deleted and truncated bytes, corrupted BER lengths and tags, location
 * values no column takes (Gauge32 4294967295, a 5-byte INTEGER, a ZTE
 * instance of 2^31), OIDs of hundreds of arcs and hundreds of varbinds.
 * Mutants start from templates marked "flood-mutant:", never from a valid
 * marker, so a mutant that still parses cannot pass for a valid trap.
 *
 * Huawei traps come from HWADDR (olt-hw), ZTE ones from ZTEADDR (olt-zte):
 * both must be known devices with community "public". The same SEED gives
 * the same datagrams in the same order.
 *
 * usage: trapmutate [-s SEED] [-n COUNT] [-r RATE] [-p PERCENT]
 *            [-t MAXSECONDS] [-H HWADDR] [-Z ZTEADDR] HOST PORT
 * prints: seed=S sent=N valid=V mutated=M ... seconds=T rate=R
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX	65507
#define NBASE		5	/* valid trap shapes */

enum { SRC_HW, SRC_ZTE, SRC_N };

/* What was sent, by kind of mutation (a mutant may have several). */
enum {
	M_POISON, M_LONGOID, M_MANYVB, M_BITFLIP, M_INSERT, M_DELETE,
	M_TRUNCATE, M_BERLEN, M_BERTYPE, M_N
};
static const char *const mut_names[M_N] = {
	"poison", "long_oid", "many_varbinds", "bitflip", "insert", "delete",
	"truncate", "ber_length", "ber_type"
};

struct dgram {
	u_char		*p;
	size_t		 len;
	int		 src;
};

static uint64_t prng;

/* splitmix64: small, and the same sequence on every machine. */
static uint64_t
rnd64(void)
{
	uint64_t z = (prng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
rnd(size_t n)
{
	return n ? (size_t)(rnd64() % n) : 0;
}

static const oid uptime_oid[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid trapoid_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static void
add_var(netsnmp_pdu *pdu, const char *name, char type, const char *value)
{
	oid o[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	if (!read_objid(name, o, &len) ||
	    snmp_add_var(pdu, o, len, type, value) != 0) {
		fprintf(stderr, "trapmutate: cannot add %s %c %s\n", name, type,
		    value);
		exit(1);
	}
}

static void
add_fmt(netsnmp_pdu *pdu, const char *name, char type, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	add_var(pdu, name, type, buf);
}

/* A v2c trap PDU with sysUpTime and snmpTrapOID, or a v1 one. */
static netsnmp_pdu *
new_pdu(int v1, const char *trap, const char *enterprise, long specific,
    const char *agent)
{
	netsnmp_pdu *pdu;
	oid o[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	if (!v1) {
		pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
		snmp_add_var(pdu, uptime_oid, 9, 't', "4242");
		snmp_add_var(pdu, trapoid_oid, 11, 'o', trap);
		return pdu;
	}
	pdu = snmp_pdu_create(SNMP_MSG_TRAP);
	read_objid(enterprise, o, &len);
	pdu->enterprise = snmp_duplicate_objid(o, len);
	pdu->enterprise_length = len;
	pdu->trap_type = SNMP_TRAP_ENTERPRISESPECIFIC;
	pdu->specific_type = specific;
	pdu->time = 4242;
	inet_pton(AF_INET, agent, pdu->agent_addr);
	return pdu;
}

#define HW_DG_ENT	"1.3.6.1.4.1.2011.6.128.1.1.12.2.2"
#define HW_FRAME	"1.3.6.1.4.1.2011.6.3.3.1.1.1.0"
#define HW_SLOT		"1.3.6.1.4.1.2011.6.3.3.2.1.1.0"
#define HW_PORT		"1.3.6.1.4.1.2011.6.3.3.4.1.1.0"
#define HW_ONT		"1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0"
#define ZTE_ENT		"1.3.6.1.4.1.3902.1012.3.45"
#define ZTE_NAME	"1.3.6.1.4.1.3902.1012.3.28.1.1.2.268566784"
#define MARK_OID	"1.3.6.1.4.1.2011.99.8.1.0"

/*
 * Shape k of the valid traps for location n (0..32767), with a marker.
 * 0 Huawei v2c dying gasp, 1 Huawei v2c LOS, 2 Huawei v1 dying gasp,
 * 3 ZTE v1 LOSi, 4 ZTE v2c dying gasp (ZTE's OIDs have no .0 arc).
 */
static netsnmp_pdu *
make_valid(int k, long n, const char *marker, int *src)
{
	netsnmp_pdu *pdu;
	char inst[128];

	*src = k < 3 ? SRC_HW : SRC_ZTE;
	if (k < 3) {
		pdu = new_pdu(k == 2, k == 1 ? HW_DG_ENT ".0.12" :
		    HW_DG_ENT ".0.18", HW_DG_ENT, 18, "127.0.0.1");
		add_fmt(pdu, HW_FRAME, 'i', 0);
		add_fmt(pdu, HW_SLOT, 'i', (n / 2048) % 16);
		add_fmt(pdu, HW_PORT, 'i', (n / 128) % 16);
		add_fmt(pdu, HW_ONT, 'i', n % 128);
	} else {
		pdu = new_pdu(k == 3, ZTE_ENT ".123", ZTE_ENT, 101,
		    "127.0.0.4");
		snprintf(inst, sizeof(inst), ZTE_NAME ".%ld", n % 128);
		add_var(pdu, inst, 's', "onu");
	}
	add_var(pdu, MARK_OID, 's', marker);
	return pdu;
}

/* Location values that fit no integer column, in well-formed traps. */
static netsnmp_pdu *
make_poison(int k, int *src)
{
	netsnmp_pdu *pdu;

	*src = k < 5 ? SRC_HW : SRC_ZTE;
	if (k >= 5) {
		pdu = new_pdu(k == 6, ZTE_ENT ".101", ZTE_ENT, 101,
		    "127.0.0.4");
		add_var(pdu, ZTE_NAME ".2147483648", 's', "onu");
		add_var(pdu, MARK_OID, 's', "flood-mutant:poison");
		return pdu;
	}
	pdu = new_pdu(0, HW_DG_ENT ".0.18", NULL, 0, NULL);
	add_fmt(pdu, HW_FRAME, 'i', 0);
	/* k = 2: a Gauge32 3000000000 whose tag is made INTEGER later. */
	add_var(pdu, HW_SLOT, k == 4 ? 'i' : 'u', k == 0 ? "4294967295" :
	    k == 1 ? "2147483648" : k == 2 ? "3000000000" : "1");
	add_fmt(pdu, HW_PORT, 'i', k == 4 ? -2147483647L - 1 : 1);
	add_var(pdu, HW_ONT, 'u', k == 3 ? "4294967295" : "1");
	add_var(pdu, MARK_OID, 's', "flood-mutant:poison");
	return pdu;
}

static struct dgram
encode(netsnmp_pdu *pdu, int src)
{
	netsnmp_session s;
	struct dgram d;
	size_t blen = DGRAM_MAX + 1024, off = 0;
	u_char *buf = malloc(blen);

	snmp_sess_init(&s);
	s.version = pdu->command == SNMP_MSG_TRAP ? SNMP_VERSION_1 :
	    SNMP_VERSION_2c;
	s.community = (u_char *)"public";
	s.community_len = 6;
	pdu->version = s.version;
	pdu->community = (u_char *)strdup("public");
	pdu->community_len = 6;
	/* Reverse encoding: the packet ends the buffer. */
	if (buf == NULL || snmp_build(&buf, &blen, &off, &s, pdu) != 0) {
		fprintf(stderr, "trapmutate: snmp_build failed\n");
		exit(1);
	}
	d.p = malloc(DGRAM_MAX);
	memcpy(d.p, buf + blen - off, off);
	d.len = off;
	d.src = src;
	free(buf);
	snmp_free_pdu(pdu);
	return d;
}

/* Gauge32 3000000000 (42 05 00 b2 d0 5e 00) becomes a 5-byte INTEGER. */
static void
patch_int5(struct dgram *d)
{
	static const u_char g[] = { 0x42, 0x05, 0x00, 0xb2, 0xd0, 0x5e, 0x00 };
	size_t i;

	for (i = 0; i + sizeof(g) <= d->len; i++)
		if (memcmp(d->p + i, g, sizeof(g)) == 0)
			d->p[i] = 0x02;
}

/* Templates the mutants start from. */
static struct dgram base[NBASE], poison[7], manyvb[4];

static void
make_templates(void)
{
	netsnmp_pdu *pdu;
	char name[64];
	int k, i, src;

	for (k = 0; k < NBASE; k++) {
		pdu = make_valid(k, 1234 + k, "flood-mutant:base", &src);
		base[k] = encode(pdu, src);
	}
	for (k = 0; k < 7; k++) {
		pdu = make_poison(k, &src);
		poison[k] = encode(pdu, src);
	}
	patch_int5(&poison[2]);
	/* 40, 65 (one over herald's default max_varbinds), 300, 1500. */
	for (k = 0; k < 4; k++) {
		static const int nv[] = { 40, 65, 300, 1500 };

		pdu = make_valid(k, 77, "flood-mutant:many", &src);
		for (i = 0; i < nv[k]; i++) {
			snprintf(name, sizeof(name), "1.3.6.1.4.1.2011.99.9.%d.0", i);
			add_fmt(pdu, name, 'i', i);
		}
		manyvb[k] = encode(pdu, src);
	}
}

/* BER by hand, for what net-snmp will not encode: OIDs of 129+ arcs. */
static size_t
ber_hdr(u_char *p, u_char tag, size_t len)
{
	p[0] = tag;
	if (len < 128) {
		p[1] = (u_char)len;
		return 2;
	}
	p[1] = 0x82;
	p[2] = (u_char)(len >> 8);
	p[3] = (u_char)len;
	return 4;
}

/* Wrap p[0..len) in a TLV, moving it right; returns the new length. */
static size_t
ber_wrap(u_char *p, u_char tag, size_t len)
{
	u_char h[4];
	size_t n = ber_hdr(h, tag, len);

	memmove(p + n, p, len);
	memcpy(p, h, n);
	return n + len;
}

static struct dgram
make_long_oid(void)
{
	static const u_char head[] = {
		/* request-id, error-status, error-index */
		0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
	};
	static const u_char vb1[] = {	/* sysUpTime.0 = 4242 */
		0x30, 0x0e, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01,
		0x03, 0x00, 0x43, 0x02, 0x10, 0x92,
	};
	struct dgram d;
	u_char *p = malloc(DGRAM_MAX), *q = malloc(DGRAM_MAX);
	size_t arcs = 100 + rnd(1900), n = 0, m, i;

	/* The varbind list: uptime, snmpTrapOID = the long OID, long = 1. */
	q[n++] = 0x2b;
	for (i = 0; i < arcs; i++) {
		if (rnd(4) == 0) {
			q[n++] = 0x8f, q[n++] = 0xff, q[n++] = 0xff;
			q[n++] = 0xff, q[n++] = 0x7f;	/* 2^32 - 1 */
		} else
			q[n++] = (u_char)rnd(128);
	}
	m = ber_wrap(q, 0x06, n);			/* the OID */
	memcpy(p, vb1, sizeof(vb1));
	n = sizeof(vb1);
	memcpy(p + n, "\x06\x0a\x2b\x06\x01\x06\x03\x01\x01\x04\x01\x00",
	    12);
	memcpy(p + n + 12, q, m);
	n += ber_wrap(p + n, 0x30, 12 + m);
	memcpy(p + n, q, m);
	memcpy(p + n + m, "\x02\x01\x01", 3);
	n += ber_wrap(p + n, 0x30, m + 3);
	n = ber_wrap(p, 0x30, n);
	memmove(p + sizeof(head), p, n);
	memcpy(p, head, sizeof(head));
	n = ber_wrap(p, 0xa7, n + sizeof(head));
	memmove(p + 11, p, n);
	memcpy(p, "\x02\x01\x01\x04\x06public", 11);
	n = ber_wrap(p, 0x30, n + 11);
	free(q);
	d.p = p;
	d.len = n;
	d.src = SRC_HW;
	return d;
}

/* Offsets of the TLV headers in p[start..end), constructed ones walked. */
static size_t
ber_walk(const u_char *p, size_t start, size_t end, size_t *at, size_t n,
    size_t max)
{
	size_t pos = start, len, hl, k;

	while (pos + 2 <= end && n < max) {
		at[n++] = pos;
		len = p[pos + 1], hl = 2;
		if (len & 0x80) {
			k = len & 0x7f;
			if (k == 0 || k > 3 || pos + 2 + k > end)
				break;
			for (len = 0; k > 0; k--, hl++)
				len = (len << 8) | p[pos + hl];
		}
		if (pos + hl + len > end)
			break;
		if (p[pos] == 0x30 || (p[pos] >= 0xa0 && p[pos] <= 0xa8))
			n = ber_walk(p, pos + hl, pos + hl + len, at, n, max);
		pos += hl + len;
	}
	return n;
}

static void
mutate_ber(struct dgram *d, int len_not_tag)
{
	static const u_char tags[] = { 0x02, 0x04, 0x05, 0x06, 0x30, 0x40,
	    0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0xa0, 0xa2, 0xa3,
	    0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0x1f, 0xff, 0x00 };
	static const u_char lens[] = { 0x00, 0x01, 0x7f, 0x80, 0x81, 0x82,
	    0x84, 0x88, 0xff };
	size_t at[256], n = ber_walk(d->p, 0, d->len, at, 0, 256), i;

	if (n == 0)
		return;
	i = at[rnd(n)];
	if (!len_not_tag) {
		d->p[i] = rnd(4) ? tags[rnd(sizeof(tags))] : (u_char)rnd64();
		return;
	}
	switch (rnd(4)) {
	case 0:
		d->p[i + 1] = lens[rnd(sizeof(lens))];
		break;
	case 1:
		d->p[i + 1]++;
		break;
	case 2:
		d->p[i + 1]--;
		break;
	default:
		d->p[i + 1] = (u_char)rnd64();
		if (i + 2 < d->len && (d->p[i + 1] & 0x80))
			d->p[i + 2] = 0xff;
	}
}

/* One byte-level mutation of d in place; returns which. */
static int
mutate_once(struct dgram *d)
{
	size_t at, n, i;
	int m = M_BITFLIP + (int)rnd(M_N - M_BITFLIP);

	at = rnd(d->len);
	switch (m) {
	case M_BITFLIP:
		for (i = 1 + rnd(8); i > 0; i--)
			d->p[rnd(d->len)] ^= (u_char)(1u << rnd(8));
		break;
	case M_INSERT:
		n = 1 + rnd(16);
		if (d->len + n > DGRAM_MAX)
			break;
		memmove(d->p + at + n, d->p + at, d->len - at);
		for (i = 0; i < n; i++)
			d->p[at + i] = rnd(2) ? (u_char)rnd64() : 0xff;
		d->len += n;
		break;
	case M_DELETE:
		n = 1 + rnd(16);
		if (at + n > d->len)
			n = d->len - at;
		memmove(d->p + at, d->p + at + n, d->len - at - n);
		d->len -= n;
		break;
	case M_TRUNCATE:
		d->len = at > 0 ? at : 1;
		break;
	default:
		mutate_ber(d, m == M_BERLEN);
	}
	return m;
}

/* A mutant into out (its buffer reused); counts its mutations. */
static void
make_mutant(struct dgram *out, unsigned long *count)
{
	const struct dgram *t;
	size_t r = rnd(100), k;

	if (r < 10) {
		t = &poison[rnd(7)];
		count[M_POISON]++;
	} else if (r < 14) {
		struct dgram l = make_long_oid();

		memcpy(out->p, l.p, l.len);
		out->len = l.len, out->src = l.src;
		free(l.p);
		count[M_LONGOID]++;
		return;
	} else if (r < 18) {
		t = &manyvb[rnd(4)];
		count[M_MANYVB]++;
	} else
		t = &base[rnd(NBASE)];
	memcpy(out->p, t->p, t->len);
	out->len = t->len, out->src = t->src;
	if (r < 18 && rnd(2))
		return;		/* sent as built */
	for (k = 1 + rnd(3); k > 0 && out->len > 0; k--)
		count[mutate_once(out)]++;
	if (out->len == 0)	/* an empty datagram may not reach net-snmp */
		out->p[out->len++] = 0x30;
}

static int
open_from(const char *addr)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 4 * 1024 * 1024;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (fd < 0 || inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		fprintf(stderr, "trapmutate: cannot send from %s\n", addr);
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static double
since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sleep until datagram i is due at rate a second. */
static void
pace(const struct timespec *t0, long i, long rate)
{
	double ahead = (double)i / rate - since(t0);
	struct timespec ts;

	if (ahead < 0.001)
		return;
	ts.tv_sec = (time_t)ahead;
	ts.tv_nsec = (long)((ahead - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: trapmutate [-s seed] [-n count] [-r rate] "
	    "[-p percent-valid] [-t max-seconds] [-H hw-addr] [-Z zte-addr] "
	    "host port\n");
	exit(64);
}

struct flood {
	unsigned long long	 seed;
	long			 n, rate, pct;
	double			 maxsec;
	const char		*from[SRC_N];
	struct sockaddr_in	 to;
	/* What was sent. */
	long			 sent, valid, mutated, errors;
	unsigned long		 count[M_N];
};

/* Options and the target, which must be on loopback: a flood stays here. */
static void
flood_options(struct flood *f, int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "s:n:r:p:t:H:Z:")) != -1) {
		switch (c) {
		case 's': f->seed = strtoull(optarg, NULL, 0); break;
		case 'n': f->n = atol(optarg); break;
		case 'r': f->rate = atol(optarg); break;
		case 'p': f->pct = atol(optarg); break;
		case 't': f->maxsec = atof(optarg); break;
		case 'H': f->from[SRC_HW] = optarg; break;
		case 'Z': f->from[SRC_ZTE] = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || f->n < 0 || f->rate <= 0 || f->pct < 0 ||
	    f->pct > 100)
		usage();
	f->to.sin_family = AF_INET;
	f->to.sin_port = htons((unsigned short)atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, argv[optind], &f->to.sin_addr) != 1 ||
	    (ntohl(f->to.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "trapmutate: %s is not a loopback address\n",
		    argv[optind]);
		exit(64);
	}
}

/* The next valid trap, with its marker "flood-valid:SEED:SEQ". */
static void
flood_valid(struct flood *f, struct dgram *d)
{
	char marker[64];
	netsnmp_pdu *pdu;
	struct dgram v;
	int k;

	snprintf(marker, sizeof(marker), "flood-valid:%llu:%ld", f->seed,
	    f->valid);
	pdu = make_valid((int)(f->valid % NBASE), f->valid % 32768, marker,
	    &k);
	v = encode(pdu, k);
	memcpy(d->p, v.p, v.len);
	d->len = v.len, d->src = v.src;
	free(v.p);
	f->valid++;
}

static void
flood_run(struct flood *f, const int *fd, struct timespec *t0)
{
	struct dgram d;
	long i;

	d.p = malloc(DGRAM_MAX);
	clock_gettime(CLOCK_MONOTONIC, t0);
	for (i = 0; i < f->n && since(t0) < f->maxsec; i++) {
		pace(t0, i, f->rate);
		/* Valid ones evenly spread: exactly pct of every 100. */
		if ((i + 1) * f->pct / 100 != i * f->pct / 100)
			flood_valid(f, &d);
		else {
			make_mutant(&d, f->count);
			f->mutated++;
		}
		if (sendto(fd[d.src], d.p, d.len, 0,
		    (struct sockaddr *)&f->to, sizeof(f->to)) !=
		    (ssize_t)d.len) {
			fprintf(stderr, "trapmutate: datagram %ld: %s\n", i,
			    strerror(errno));
			f->errors++;
		}
	}
	f->sent = i - f->errors;
	free(d.p);
}

int
main(int argc, char **argv)
{
	struct flood f = { .n = 10000, .rate = 5000, .pct = 10, .maxsec = 60,
	    .from = { "127.0.0.1", "127.0.0.4" } };
	struct timespec t0;
	int fd[SRC_N], k;

	f.seed = (unsigned long long)time(NULL);
	flood_options(&f, argc, argv);
	printf("seed=%llu\n", f.seed);
	fflush(stdout);
	prng = f.seed;
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_config("mibs :");
	init_snmp("trapmutate");
	make_templates();
	for (k = 0; k < SRC_N; k++)
		fd[k] = open_from(f.from[k]);
	flood_run(&f, fd, &t0);
	printf("sent=%ld valid=%ld mutated=%ld errors=%ld", f.sent, f.valid,
	    f.mutated, f.errors);
	for (k = 0; k < M_N; k++)
		printf(" %s=%lu", mut_names[k], f.count[k]);
	printf(" seconds=%.3f rate=%.0f\n", since(&t0),
	    (f.sent + f.errors) / since(&t0));
	return f.errors ? 1 : 0;
}
