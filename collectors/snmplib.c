/*
 * snmplib.c: net-snmp library set-up for everything in herald that speaks
 * SNMP. net-snmp keeps process-wide state (the USM user list, the engine ID,
 * statistics), so it is initialised exactly once, and in the way a daemon
 * under ProtectSystem=strict needs: no MIB files, no snmp.conf, no writes to
 * /var/lib/snmp, and its messages in our log rather than on stderr.
 */
#include "config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/lcd_time.h>
#include <net-snmp/library/snmpusm.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "snmplib.h"

/* 0x80 | enterprise 8072 (net-snmp), format 4 (text), "herald". */
#define SNMPLIB_DEFAULT_ENGINE_ID	"0x80001f8804686572616c64"

/* net-snmp's messages, at most this many a second (the rest counted). */
#define SNMPLIB_LOG_PER_SECOND	5

static int	snmplib_done;
static char	snmplib_engine[2 * 32 + 3];
/* One source for all of net-snmp's messages: the loop is the only caller. */
static struct log_ratelimit snmplib_rl;

/*
 * net-snmp logs per datagram it cannot parse ("bad type returned", "Bad
 * PDU type received"): under garbage at line rate that was hundreds of
 * lines a second. They share the rate limit of our own messages; the
 * number suppressed is logged with the next one that gets through.
 */
static int
snmplib_log_cb(int major, int minor, void *serverarg, void *clientarg)
{
	struct snmp_log_message *m = serverarg;
	char line[512];

	snprintf(line, sizeof(line), "%s", m->msg ? m->msg : "");
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0')
		return 0;
	if (!log_ratelimit(&snmplib_rl, SNMPLIB_LOG_PER_SECOND))
		return 0;
	if (m->priority <= LOG_ERR)
		log_warnx("net-snmp: %s", line);
	else
		log_debug("snmp", "net-snmp: %s", line);
	return 0;
}

int
snmplib_parse_hex(const char *s, unsigned char *buf, size_t len)
{
	size_t n = 0;
	unsigned v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (*s == '\0' || strlen(s) % 2 != 0)
		return -1;
	for (; *s != '\0'; s += 2) {
		if (n >= len || sscanf(s, "%2x", &v) != 1 ||
		    strspn(s, "0123456789abcdefABCDEF") < 2)
			return -1;
		buf[n++] = (unsigned char)v;
	}
	return (int)n;
}

void
snmplib_init(void)
{
	if (snmplib_done)
		return;
	snmplib_done = 1;
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
	/* Numeric OIDs everywhere: we load no MIBs and print OIDs ourselves. */
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_OID_OUTPUT_FORMAT, NETSNMP_OID_OUTPUT_NUMERIC);
	netsnmp_set_mib_directory("/nonexistent");
	netsnmp_config("mibs :");
	init_usm_conf("herald");
	init_snmp("herald");
	snmplib_set_engine_id(NULL);
}

/*
 * Informs make the receiver authoritative: senders discover this engine ID
 * and localise their keys to it, so it must not change between restarts
 * (without persistent state net-snmp would pick a random one each start).
 */
int
snmplib_set_engine_id(const char *engine_id)
{
	unsigned char id[32];
	int n;

	if (engine_id == NULL || *engine_id == '\0')
		engine_id = SNMPLIB_DEFAULT_ENGINE_ID;
	if ((n = snmplib_parse_hex(engine_id, id, sizeof(id))) < 5)
		return -1;
	if (set_exact_engineID(id, (size_t)n) != SNMPERR_SUCCESS)
		return -1;
	/*
	 * init_snmp() put the engine ID it had then into USM's engine time
	 * cache; without an entry for the new one, USM answers every inform
	 * with "unknown engine ID".
	 */
	set_enginetime(id, (size_t)n, snmpv3_local_snmpEngineBoots(),
	    snmpv3_local_snmpEngineTime(), TRUE);
	snprintf(snmplib_engine, sizeof(snmplib_engine), "%s", engine_id);
	return 0;
}

const char *
snmplib_engine_id(void)
{
	return snmplib_engine;
}
