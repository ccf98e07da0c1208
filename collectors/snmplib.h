/*
 * snmplib.h: the one place where the net-snmp library is initialised, shared
 * by the trap receiver, the poller and heraldctl.
 */
#ifndef HERALD_SNMPLIB_H
#define HERALD_SNMPLIB_H

#include <stddef.h>

/*
 * Initialise net-snmp once per process: no MIBs, no configuration files, no
 * persistent state, its log routed into log.c. Later calls do nothing.
 */
void		 snmplib_init(void);

/*
 * Set our local SNMPv3 engine ID ("0x..." hex; NULL or "" for herald's
 * default), which senders of informs discover. Set it before USM users are
 * created: their keys are localised to it. -1 when it is not usable.
 */
int		 snmplib_set_engine_id(const char *engine_id);

/* Parse "0x8000..." (or bare hex) into buf; returns the length or -1. */
int		 snmplib_parse_hex(const char *, unsigned char *buf, size_t len);

/* Our local engine ID as hex text, for logs and heraldctl. */
const char	*snmplib_engine_id(void);

#endif
