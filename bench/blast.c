/*
 * blast.c: the benchmark senders' shared part (see blast.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blast.h"

static const oid blast_uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid blast_trapoid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

void
blast_init(const char *app, netsnmp_session *s, const char *community)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_config("mibs :");
	init_snmp(app);
	snmp_sess_init(s);
	s->version = SNMP_VERSION_2c;
	s->community = (u_char *)community;
	s->community_len = strlen(community);
}

netsnmp_pdu *
blast_trap(const char *uptime, const char *trap_oid)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);

	snmp_add_var(pdu, blast_uptime, 9, 't', uptime);
	snmp_add_var(pdu, blast_trapoid, 11, 'o', trap_oid);
	return pdu;
}

void
blast_add_int(netsnmp_pdu *pdu, const char *prefix, long v)
{
	oid name[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;
	char buf[32];

	read_objid(prefix, name, &len);
	name[len++] = 0;
	snprintf(buf, sizeof(buf), "%ld", v);
	snmp_add_var(pdu, name, len, 'i', buf);
}

u_char *
blast_encode(netsnmp_session *s, netsnmp_pdu *pdu, size_t *len)
{
	size_t blen = 4096, off = 0;
	u_char *buf = malloc(blen), *pkt;

	pdu->version = SNMP_VERSION_2c;
	pdu->community = (u_char *)strdup((char *)s->community);
	pdu->community_len = s->community_len;
	/* Reverse encoding: the packet ends the buffer. */
	if (snmp_build(&buf, &blen, &off, s, pdu) != 0) {
		fprintf(stderr, "cannot encode a trap\n");
		exit(1);
	}
	pkt = malloc(off);
	memcpy(pkt, buf + blen - off, off);
	*len = off;
	free(buf);
	snmp_free_pdu(pdu);
	return pkt;
}

double
blast_elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}
