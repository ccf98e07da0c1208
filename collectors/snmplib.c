/*
 * snmplib.c: initialise net-snmp once for the whole process. MIB loading
 * and persistent state are off: herald works with numeric OIDs, and under
 * ProtectSystem=strict /var/lib/snmp is read-only anyway.
 */
#include "config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <string.h>

#include "log.h"
#include "snmplib.h"

static int
snmplib_log_cb(int major, int minor, void *server, void *client)
{
	struct snmp_log_message *m = server;
	char line[512];

	snprintf(line, sizeof(line), "%s", m->msg ? m->msg : "");
	line[strcspn(line, "\n")] = '\0';
	if (m->priority <= LOG_ERR)
		log_warnx("net-snmp: %s", line);
	else
		log_debug("snmp", "net-snmp: %s", line);
	return 0;
}

void
snmplib_init(const char *app)
{
	static int done;

	if (done++)
		return;
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
	    snmplib_log_cb, NULL);
	snmp_enable_calllog();
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_CHECK_RANGE, 1);
	netsnmp_config("mibs :");
	setenv("MIBS", "", 1);
	init_snmp(app);
}
