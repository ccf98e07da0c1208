/*
 * stormblast.c: the storm benchmark's sender. Plays an area power cut on
 * OLTS simulated Huawei OLTs at once: every ONU of every OLT sends its
 * dying gasp (hwGponProfOntDGAlarmTrap, v2c), from the OLT's own address
 * (127.0.2.K for OLT K, so heraldd sees OLTS different devices), BOARDS x
 * PONS x ONUS traps an OLT, interleaved across OLTs and paced over SECONDS
 * with sendmmsg. Encoded once with net-snmp before the clock starts.
 *
 * usage: stormblast HOST PORT OLTS BOARDS PONS ONUS SECONDS [FIRST_OLT
 *        [FIRST_SLOT [clear]]]   (slots FIRST_SLOT .. FIRST_SLOT + BOARDS - 1;
 *        "clear": the power is back, hwGponProfOntDGRecoverAlarmTrap instead)
 * prints: sent=N seconds=S last_sent=EPOCH first_sent=EPOCH (the wall
 * clock of the last and the first datagram, for the receiver's latency).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blast.h"

#define BATCH	8		/* datagrams of one OLT in a row */

/* The storm: OLTs x (boards x PON ports x ONUs) dying gasps. */
struct storm {
	long		 olts, boards, pons, onus, per;
	long		 first_olt, first_slot;
	int		 clear;		/* recover traps, not dying gasps */
	double		 seconds;
	u_char		***pkt;		/* [olt][onu] */
	size_t		**plen;
	int		*fds;		/* one socket per OLT address */
};

/* hwGponProfOntDGAlarmTrap (or its recover trap) for one ONT. */
static netsnmp_pdu *
make_dg(long slot, long port, long ont, int clear)
{
	netsnmp_pdu *pdu = blast_trap("4242", clear ?
	    "1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.19" :
	    "1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18");

	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1", 0);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1", slot);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1", port);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1", ont);
	return pdu;
}

/* Every OLT's datagrams, encoded before the clock starts. */
static void
storm_encode(struct storm *st)
{
	netsnmp_session s;
	long k, j;

	blast_init("stormblast", &s, "public");
	st->pkt = calloc((size_t)st->olts, sizeof(*st->pkt));
	st->plen = calloc((size_t)st->olts, sizeof(*st->plen));
	for (k = 0; k < st->olts; k++) {
		st->pkt[k] = calloc((size_t)st->per, sizeof(**st->pkt));
		st->plen[k] = calloc((size_t)st->per, sizeof(**st->plen));
		for (j = 0; j < st->per; j++)
			st->pkt[k][j] = blast_encode(&s, make_dg(st->first_slot +
			    j / (st->pons * st->onus), (j / st->onus) % st->pons,
			    j % st->onus, st->clear), &st->plen[k][j]);
	}
}

/* OLT K sends from 127.0.2.(FIRST_OLT + K), so heraldd sees devices. */
static int
storm_sockets(struct storm *st, const char *host, const char *port)
{
	struct sockaddr_in to, from;
	char addr[32];
	long k;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)atoi(port));
	inet_pton(AF_INET, host, &to.sin_addr);
	st->fds = calloc((size_t)st->olts, sizeof(*st->fds));
	for (k = 0; k < st->olts; k++) {
		st->fds[k] = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&from, 0, sizeof(from));
		from.sin_family = AF_INET;
		snprintf(addr, sizeof(addr), "127.0.2.%ld", st->first_olt + k);
		inet_pton(AF_INET, addr, &from.sin_addr);
		if (bind(st->fds[k], (struct sockaddr *)&from,
		    sizeof(from)) != 0 || connect(st->fds[k],
		    (struct sockaddr *)&to, sizeof(to)) != 0) {
			perror(addr);
			return -1;
		}
	}
	return 0;
}

/* Round robin over the OLTs, a few datagrams of one at a time, paced. */
static long
storm_send(struct storm *st, struct timespec *t0, struct timespec *first)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	long count = st->olts * st->per, sent = 0, due;
	long *next = calloc((size_t)st->olts, sizeof(*next));
	double rate = count / (st->seconds > 0 ? st->seconds : 1);
	int k, n;

	clock_gettime(CLOCK_MONOTONIC, t0);
	clock_gettime(CLOCK_REALTIME, first);
	for (k = 0; sent < count; k = (k + 1) % (int)st->olts) {
		while (sent >= (due = (long)(blast_elapsed(t0) * rate) + 1)) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		}
		for (n = 0; n < BATCH && next[k] + n < st->per &&
		    sent + n < due; n++) {
			iov[n].iov_base = st->pkt[k][next[k] + n];
			iov[n].iov_len = st->plen[k][next[k] + n];
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
		}
		if (n > 0 && sendmmsg(st->fds[k], msgs, (unsigned)n, 0) != n)
			break;
		next[k] += n;
		sent += n;
	}
	free(next);
	return sent;
}

int
main(int argc, char **argv)
{
	struct storm st;
	struct timespec t0, wall, first;
	long sent;

	if (argc < 8)
		return 64;
	memset(&st, 0, sizeof(st));
	st.olts = atol(argv[3]);
	st.boards = atol(argv[4]);
	st.pons = atol(argv[5]);
	st.onus = atol(argv[6]);
	st.seconds = atof(argv[7]);
	st.first_olt = argc > 8 ? atol(argv[8]) : 1;
	st.first_slot = argc > 9 ? atol(argv[9]) : 1;
	st.clear = argc > 10 && strcmp(argv[10], "clear") == 0;
	st.per = st.boards * st.pons * st.onus;
	storm_encode(&st);
	if (storm_sockets(&st, argv[1], argv[2]) != 0)
		return 1;
	sent = storm_send(&st, &t0, &first);
	clock_gettime(CLOCK_REALTIME, &wall);
	printf("sent=%ld seconds=%.3f last_sent=%ld.%06ld first_sent=%ld.%06ld\n",
	    sent, blast_elapsed(&t0), (long)wall.tv_sec, wall.tv_nsec / 1000,
	    (long)first.tv_sec, first.tv_nsec / 1000);
	return sent == st.olts * st.per ? 0 : 1;
}
