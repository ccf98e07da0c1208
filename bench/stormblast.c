/*
 * stormblast.c: the storm benchmark's sender. Plays an area power cut on
 * OLTS simulated Huawei OLTs at once: every ONU of every OLT sends its
 * dying gasp (hwGponProfOntDGAlarmTrap, v2c), from the OLT's own address
 * (127.0.2.K for OLT K, so heraldd sees OLTS different devices), BOARDS x
 * PONS x ONUS traps an OLT, interleaved across OLTs and paced over SECONDS
 * with sendmmsg. Encoded once with net-snmp before the clock starts.
 *
 * usage: stormblast HOST PORT OLTS BOARDS PONS ONUS SECONDS [FIRST_OLT
 *        [FIRST_SLOT]]   (slots FIRST_SLOT .. FIRST_SLOT + BOARDS - 1)
 * prints: sent=N seconds=S last_sent=EPOCH (the wall clock of the last
 * datagram, for the receiver's latency).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH	8

static const oid uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid trapoid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static void
add_int(netsnmp_pdu *pdu, const char *prefix, long v)
{
	oid name[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;
	char buf[32];

	read_objid(prefix, name, &len);
	name[len++] = 0;
	snprintf(buf, sizeof(buf), "%ld", v);
	snmp_add_var(pdu, name, len, 'i', buf);
}

static netsnmp_pdu *
make_dg(long slot, long port, long ont)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);

	snmp_add_var(pdu, uptime, 9, 't', "4242");
	snmp_add_var(pdu, trapoid, 11, 'o',
	    "1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18");
	add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1", 0);
	add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1", slot);
	add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1", port);
	add_int(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1", ont);
	return pdu;
}

static u_char *
encode(netsnmp_session *s, netsnmp_pdu *pdu, size_t *len)
{
	size_t blen = 4096, off = 0;
	u_char *buf = malloc(blen), *pkt;

	pdu->version = SNMP_VERSION_2c;
	pdu->community = (u_char *)strdup("public");
	pdu->community_len = 6;
	if (snmp_build(&buf, &blen, &off, s, pdu) != 0)
		exit(1);
	pkt = malloc(off);
	memcpy(pkt, buf + blen - off, off);
	*len = off;
	free(buf);
	snmp_free_pdu(pdu);
	return pkt;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

int
main(int argc, char **argv)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to, from;
	struct timespec t0, wall;
	netsnmp_session s;
	long olts, boards, pons, onus, per, count, j, sent = 0, first;
	long first_slot;
	long *next;
	double secs, rate;
	u_char ***pkt;
	size_t **plen;
	int *fds, k, n;

	if (argc < 8)
		return 64;
	olts = atol(argv[3]);
	boards = atol(argv[4]);
	pons = atol(argv[5]);
	onus = atol(argv[6]);
	secs = atof(argv[7]);
	first = argc > 8 ? atol(argv[8]) : 1;
	first_slot = argc > 9 ? atol(argv[9]) : 1;
	per = boards * pons * onus;
	count = olts * per;
	rate = count / (secs > 0 ? secs : 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_config("mibs :");
	init_snmp("stormblast");
	snmp_sess_init(&s);
	s.version = SNMP_VERSION_2c;
	s.community = (u_char *)"public";
	s.community_len = 6;
	pkt = calloc((size_t)olts, sizeof(*pkt));
	plen = calloc((size_t)olts, sizeof(*plen));
	next = calloc((size_t)olts, sizeof(*next));
	fds = calloc((size_t)olts, sizeof(*fds));
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &to.sin_addr);
	for (k = 0; k < olts; k++) {
		char addr[32];

		pkt[k] = calloc((size_t)per, sizeof(**pkt));
		plen[k] = calloc((size_t)per, sizeof(**plen));
		/* Slots from 1, PON ports and ONT ids from 0. */
		for (j = 0; j < per; j++)
			pkt[k][j] = encode(&s, make_dg(first_slot +
			    j / (pons * onus),
			    (j / onus) % pons, j % onus), &plen[k][j]);
		fds[k] = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&from, 0, sizeof(from));
		from.sin_family = AF_INET;
		snprintf(addr, sizeof(addr), "127.0.2.%ld", first + k);
		inet_pton(AF_INET, addr, &from.sin_addr);
		if (bind(fds[k], (struct sockaddr *)&from, sizeof(from)) != 0 ||
		    connect(fds[k], (struct sockaddr *)&to, sizeof(to)) != 0) {
			perror(addr);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Round robin over the OLTs, a few datagrams of one at a time. */
	for (k = 0; sent < count; k = (k + 1) % (int)olts) {
		long due = (long)(elapsed(&t0) * rate) + 1;

		while (sent >= due) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			due = (long)(elapsed(&t0) * rate) + 1;
		}
		for (n = 0; n < BATCH && next[k] + n < per && sent + n < due; n++) {
			iov[n].iov_base = pkt[k][next[k] + n];
			iov[n].iov_len = plen[k][next[k] + n];
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
		}
		if (n == 0)
			continue;
		if (sendmmsg(fds[k], msgs, (unsigned)n, 0) != n)
			return 1;
		next[k] += n;
		sent += n;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	printf("sent=%ld seconds=%.3f last_sent=%ld.%06ld\n", sent,
	    elapsed(&t0), (long)wall.tv_sec, wall.tv_nsec / 1000);
	return 0;
}
