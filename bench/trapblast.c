/*
 * trapblast.c: the benchmark's trap sender. Encodes COUNT distinct SNMPv2c
 * traps in vendor formats once (net-snmp's encoder), then sends them to a
 * receiver at a fixed rate with sendmmsg, so that the sender is not what
 * limits the measurement. Every trap is different (ONU id, port, slot), and
 * raises and clears alternate, as in a storm with flapping ONUs.
 *
 * usage: trapblast HOST PORT COUNT RATE [COMMUNITY]
 * prints: sent=N seconds=S rate=R
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

#include "blast.h"

#define BATCH	64

/* Huawei profile-mode ONT dying gasp / LOS, raise or clear. */
static netsnmp_pdu *
make_trap(long i)
{
	static const char *const oids[] = {
		"1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18",	/* DG */
		"1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.19",	/* DG clear */
		"1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.12",	/* LOS */
		"1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.13",	/* LOS clear */
	};
	netsnmp_pdu *pdu;
	oid name[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", i);
	pdu = blast_trap(buf, oids[i % 4]);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1", 0);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1", (i / 2048) % 16);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1", (i / 128) % 16);
	blast_add_int(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1", i % 128);
	read_objid("1.3.6.1.4.1.2011.6.128.1.1.2.45.1.4.0", name, &len);
	snmp_add_var(pdu, name, len, 's', "HG8245H");
	return pdu;
}

int
main(int argc, char **argv)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sin;
	struct timespec t0, now;
	netsnmp_session s;
	u_char **pkt;
	size_t *plen;
	long count, rate, i, sent = 0;
	int fd, n, k;
	double el;

	if (argc < 5)
		return 64;
	count = atol(argv[3]);
	rate = atol(argv[4]);
	blast_init("trapblast", &s, argc > 5 ? argv[5] : "public");
	pkt = calloc((size_t)count, sizeof(*pkt));
	plen = calloc((size_t)count, sizeof(*plen));
	for (i = 0; i < count; i++)
		pkt[i] = blast_encode(&s, make_trap(i), &plen[i]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &sin.sin_addr);
	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < count) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		el = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (sent >= (long)(el * rate)) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		n = (int)((long)(el * rate) - sent);
		if (n > BATCH)
			n = BATCH;
		if (n > count - sent)
			n = (int)(count - sent);
		memset(msgs, 0, sizeof(msgs));
		for (k = 0; k < n; k++) {
			iov[k].iov_base = pkt[sent + k];
			iov[k].iov_len = plen[sent + k];
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		if ((k = sendmmsg(fd, msgs, (unsigned)n, 0)) > 0)
			sent += k;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	el = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
	printf("sent=%ld seconds=%.3f rate=%.0f\n", sent, el, sent / el);
	return 0;
}
