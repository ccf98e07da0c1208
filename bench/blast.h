/*
 * blast.h: what the benchmarks' trap senders (trapblast, stormblast)
 * share: net-snmp set up without configuration files, traps built and
 * encoded once before the clock starts, and the clock.
 */
#ifndef HERALD_BLAST_H
#define HERALD_BLAST_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <time.h>

/* net-snmp without config files or MIBs, and a v2c session to encode. */
void		 blast_init(const char *app, netsnmp_session *,
		    const char *community);
/* A v2c trap PDU with sysUpTime and snmpTrapOID set. */
netsnmp_pdu	*blast_trap(const char *uptime, const char *trap_oid);
/* Add an INTEGER varbind PREFIX.0 = v. */
void		 blast_add_int(netsnmp_pdu *, const char *prefix, long v);
/* Encode (and free) a PDU; the datagram and its length. */
u_char		*blast_encode(netsnmp_session *, netsnmp_pdu *, size_t *len);
/* Seconds since t0 (CLOCK_MONOTONIC). */
double		 blast_elapsed(const struct timespec *t0);

#endif
