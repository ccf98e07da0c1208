/*
 * snmplib.h: net-snmp library set-up shared by the trap receiver and the
 * poller: no MIBs, no persistent state, its log routed into ours.
 */
#ifndef HERALD_SNMPLIB_H
#define HERALD_SNMPLIB_H

/* Idempotent; the first caller's application name is used. */
void	snmplib_init(const char *app);

#endif
