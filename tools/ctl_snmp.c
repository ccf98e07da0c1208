/*
 * ctl_snmp.c: "heraldctl snmp get|walk": the poller's own SNMP engine
 * (collectors/snmpsess.c), budget included, pointed at one device by hand.
 * It answers "what does herald see on this OLT?" and lets the tests drive
 * the engine against real agents.
 */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "snmplib.h"
#include "snmpsess.h"
#include "snmpval.h"

struct ctl_snmp {
	struct snmpsess_params	 p;
	struct event_base	*base;
	int			 pending;
	int			 failed;
	unsigned long		 rows;
};

static const char ctl_snmp_usage[] =
    "usage: heraldctl snmp get|walk [-v 1|2c|3] [-c community] [-u user]\n"
    "    [-a MD5|SHA|SHA-256...] [-A authpass] [-x DES|AES] [-X privpass]\n"
    "    [-t timeout-ms] [-r retries] [--inflight N] [--rate N] [--reps N]\n"
    "    PEER OID...\n";

static int
ctl_snmp_args(struct ctl_snmp *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "inflight", required_argument, NULL, 'I' },
		{ "rate", required_argument, NULL, 'R' },
		{ "reps", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	c->p.version = SNMP_VERSION_2c;
	c->p.timeout_ms = 1000;
	c->p.retries = 1;
	c->p.max_inflight = 4;
	c->p.max_rate = 50;
	c->p.max_repetitions = 20;
	while ((ch = getopt_long(argc, argv, "v:c:u:a:A:x:X:t:r:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'v':
			c->p.version = strcmp(optarg, "1") == 0 ? SNMP_VERSION_1 :
			    strcmp(optarg, "3") == 0 ? SNMP_VERSION_3 :
			    SNMP_VERSION_2c;
			break;
		case 'c': c->p.community = optarg; break;
		case 'u': c->p.user = optarg; break;
		case 'a': c->p.auth_proto = optarg; break;
		case 'A': c->p.auth_pass = optarg; break;
		case 'x': c->p.priv_proto = optarg; break;
		case 'X': c->p.priv_pass = optarg; break;
		case 't': c->p.timeout_ms = atoi(optarg); break;
		case 'r': c->p.retries = atoi(optarg); break;
		case 'I': c->p.max_inflight = atoi(optarg); break;
		case 'R': c->p.max_rate = atof(optarg); break;
		case 'B': c->p.max_repetitions = atoi(optarg); break;
		default:
			return -1;
		}
	}
	if (argc - optind < 2)
		return -1;
	c->p.peer = argv[optind];
	return optind + 1;
}

static void
ctl_snmp_print(const netsnmp_variable_list *v)
{
	char o[MAX_OID_LEN * 11], val[1024];

	printf("%s = %s\n", snmpval_oid(v->name, v->name_length, o, sizeof(o)),
	    snmpval_format(v, val, sizeof(val)));
}

static void
ctl_snmp_end(struct ctl_snmp *c, enum snmpsess_status status)
{
	if (status != SNMPSESS_OK) {
		fprintf(stderr, "heraldctl: %s\n", snmpsess_status_str(status));
		c->failed++;
	}
	if (--c->pending == 0)
		event_base_loopbreak(c->base);
}

static void
ctl_snmp_get_cb(struct snmpsess *s, enum snmpsess_status status,
    netsnmp_variable_list *vars, void *arg)
{
	for (; vars != NULL; vars = vars->next_variable)
		ctl_snmp_print(vars);
	ctl_snmp_end(arg, status);
}

static int
ctl_snmp_row_cb(struct snmpsess *s, netsnmp_variable_list *v, void *arg)
{
	struct ctl_snmp *c = arg;

	c->rows++;
	ctl_snmp_print(v);
	return 0;
}

static void
ctl_snmp_done_cb(struct snmpsess *s, enum snmpsess_status status,
    unsigned long rows, void *arg)
{
	ctl_snmp_end(arg, status);
}

static int
ctl_snmp_run(int walk, int argc, char **argv)
{
	struct ctl_snmp c;
	struct snmpsess_stats st;
	struct snmpsess *s;
	oid o[MAX_OID_LEN];
	size_t len;
	int i, first;

	memset(&c, 0, sizeof(c));
	if ((first = ctl_snmp_args(&c, argc, argv)) < 0) {
		fputs(ctl_snmp_usage, stderr);
		return CTL_USAGE;
	}
	snmplib_init();
	c.base = event_base_new();
	if ((s = snmpsess_new(c.base, &c.p, c.p.peer)) == NULL)
		return CTL_FAIL;
	for (i = first; i < argc; i++) {
		oid *op = o;

		if (snmpval_parse_oid(argv[i], o, &len) != 0) {
			ctl_error("%s: not a numeric OID", argv[i]);
			return CTL_USAGE;
		}
		c.pending++;
		if (walk)
			snmpsess_walk(s, o, len, ctl_snmp_row_cb,
			    ctl_snmp_done_cb, &c);
		else
			snmpsess_get(s, &op, &len, 1, ctl_snmp_get_cb, &c);
	}
	event_base_dispatch(c.base);
	snmpsess_stats(s, &st);
	fprintf(stderr, "requests=%lu max_inflight=%d timeouts=%lu errors=%lu "
	    "bad_data=%lu rows=%lu\n", st.requests, st.max_inflight_seen,
	    st.timeouts, st.errors, st.bad_data, c.rows);
	snmpsess_free(s);
	event_base_free(c.base);
	return c.failed ? CTL_FAIL : CTL_OK;
}

static int
ctl_snmp_get_run(struct ctl *ctl, int argc, char **argv)
{
	return ctl_snmp_run(0, argc, argv);
}

static int
ctl_snmp_walk_run(struct ctl *ctl, int argc, char **argv)
{
	return ctl_snmp_run(1, argc, argv);
}

const struct ctl_command ctl_snmp_get = {
	.name = "snmp", .sub = "get",
	.usage = "snmp get [options] PEER OID...   read with herald's poller engine",
	.help =
	    "Reads numeric OIDs from PEER with the poller's own engine and\n"
	    "budget.\n"
	    "  -v 1|2c|3      SNMP version (2c)\n"
	    "  -c community   v1/v2c community\n"
	    "  -u user        v3 user\n"
	    "  -a proto       MD5, SHA, SHA-224 ... SHA-512\n"
	    "  -A pass        v3 authentication password\n"
	    "  -x proto       DES, AES, AES-192 or AES-256\n"
	    "  -X pass        v3 privacy password\n"
	    "  -t ms          timeout per request (1000)\n"
	    "  -r retries     retries after a timeout (1)\n"
	    "  --inflight N   requests outstanding (4)\n"
	    "  --rate N       requests per second (50)\n"
	    "  --reps N       GETBULK max-repetitions (20)\n",
	.run = ctl_snmp_get_run,
};

const struct ctl_command ctl_snmp_walk = {
	.name = "snmp", .sub = "walk",
	.usage = "snmp walk [options] PEER OID...  walk with herald's poller engine",
	.help =
	    "Walks the subtrees under numeric OIDs of PEER (GETBULK) with\n"
	    "the poller's own engine and budget.\n"
	    "  -v 1|2c|3      SNMP version (2c)\n"
	    "  -c community   v1/v2c community\n"
	    "  -u user        v3 user\n"
	    "  -a proto       MD5, SHA, SHA-224 ... SHA-512\n"
	    "  -A pass        v3 authentication password\n"
	    "  -x proto       DES, AES, AES-192 or AES-256\n"
	    "  -X pass        v3 privacy password\n"
	    "  -t ms          timeout per request (1000)\n"
	    "  -r retries     retries after a timeout (1)\n"
	    "  --inflight N   requests outstanding (4)\n"
	    "  --rate N       requests per second (50)\n"
	    "  --reps N       GETBULK max-repetitions (20)\n",
	.run = ctl_snmp_walk_run,
};
