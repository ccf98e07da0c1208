/*
 * snmpval.h: read values out of net-snmp varbinds ourselves, by type, so
 * that nothing depends on MIB hints or the library's global print options.
 */
#ifndef HERALD_SNMPVAL_H
#define HERALD_SNMPVAL_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

/* An INTEGER, Counter, Gauge or TimeTicks; -1 for any other type. */
int		 snmpval_int(const netsnmp_variable_list *, long *);
/* "1.3.6.1..." */
const char	*snmpval_oid(const oid *, size_t, char *buf, size_t len);
/* "TYPE: value", for people. */
const char	*snmpval_format(const netsnmp_variable_list *, char *buf,
		    size_t len);
/* Parse "1.3.6.1.2.1" (a leading dot is allowed); -1 if malformed. */
int		 snmpval_parse_oid(const char *, oid *, size_t *len);

#endif
