/*
 * sim_main.c: herald-sim's main: options, net-snmp set-up (no MIBs, no
 * persistent files, a fixed engine ID and one USM user shared by every
 * simulated agent), the fleet, the agents, the control inputs, the loop.
 */
#include "config.h"

#include <sys/resource.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "sim.h"
#include "xmalloc.h"

/* "\x80\x00\x1f\x88\x04" + "herald-sim": enterprise 8072, text format. */
#define SIM_ENGINE_ID	"80001f8804686572616c642d73696d"

enum {
	OPT_OLTS = 256, OPT_DSLAMS, OPT_VENDORS, OPT_FRAMES, OPT_SLOTS,
	OPT_PONS, OPT_ONUS, OPT_DSL_SLOTS, OPT_DSL_PORTS, OPT_PORT_MODE,
	OPT_V3_USER, OPT_AUTH_PASS, OPT_PRIV_PASS, OPT_AUTH_PROTO,
	OPT_PRIV_PROTO, OPT_ENGINE_ID, OPT_TRAP_V3, OPT_DROP, OPT_SEED,
	OPT_RATE, OPT_ACCESS, OPT_V3_ONLY, OPT_WRITE_INVENTORY,
};

static const struct option longopts[] = {
	{ "scenario", required_argument, NULL, 'f' },
	{ "control", required_argument, NULL, 'S' },
	{ "client", required_argument, NULL, 'C' },
	{ "no-stdin", no_argument, NULL, 'n' },
	{ "listen", required_argument, NULL, 'l' },
	{ "community", required_argument, NULL, 'c' },
	{ "target", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "olts", required_argument, NULL, OPT_OLTS },
	{ "dslams", required_argument, NULL, OPT_DSLAMS },
	{ "vendors", required_argument, NULL, OPT_VENDORS },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "slots", required_argument, NULL, OPT_SLOTS },
	{ "pons", required_argument, NULL, OPT_PONS },
	{ "onus", required_argument, NULL, OPT_ONUS },
	{ "dsl-slots", required_argument, NULL, OPT_DSL_SLOTS },
	{ "dsl-ports", required_argument, NULL, OPT_DSL_PORTS },
	{ "port-mode", no_argument, NULL, OPT_PORT_MODE },
	{ "v3-user", required_argument, NULL, OPT_V3_USER },
	{ "auth-pass", required_argument, NULL, OPT_AUTH_PASS },
	{ "priv-pass", required_argument, NULL, OPT_PRIV_PASS },
	{ "auth-proto", required_argument, NULL, OPT_AUTH_PROTO },
	{ "priv-proto", required_argument, NULL, OPT_PRIV_PROTO },
	{ "engine-id", required_argument, NULL, OPT_ENGINE_ID },
	{ "trap-v3", no_argument, NULL, OPT_TRAP_V3 },
	{ "drop", required_argument, NULL, OPT_DROP },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "access", required_argument, NULL, OPT_ACCESS },
	{ "v3-only", required_argument, NULL, OPT_V3_ONLY },
	{ "write-inventory", required_argument, NULL, OPT_WRITE_INVENTORY },
	{ NULL, 0, NULL, 0 }
};

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: herald-sim [options]                 run the fleet\n"
"       herald-sim -C SOCKET [command ...]    talk to a running herald-sim\n"
"fleet:   --olts N (10) --vendors huawei,zte-c300,zte-c600,fiberhome\n"
"         --frames N (1) --slots N (1) --pons N (16) --onus N (128)\n"
"         --dslams N (0) --dsl-slots N (2) --dsl-ports N (48)\n"
"agents:  -l ADDR:PORT (127.1.0.1:161; next device = next address)\n"
"         --port-mode (next device = next port) -c COMMUNITY (public)\n"
"         --v3-user NAME --auth-pass P [--auth-proto SHA|MD5]\n"
"         [--priv-pass P --priv-proto AES|DES] --engine-id HEX\n"
"         --access both|v2c|v3 --v3-only DEV,DEV...\n"
"traps:   -t udp:ADDR:PORT[,udp:ADDR:PORT...] (each trap to every one)\n"
"         --trap-v3 --drop SHARE --seed N --rate N\n"
"control: -f SCENARIO -S SOCKET -n (ignore stdin)\n"
"         --write-inventory DIR (write devices.csv, subscribers.csv, exit)\n"
"         -v verbose, -q quiet, -h this help; the command language:\n"
"         doc/herald-sim.md\n");
	exit(rc);
}

static int
opt_int(const char *name, const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < lo || v > hi)
		fatalx("--%s %s: want a number from %d to %d", name, s, lo, hi);
	return (int)v;
}

static double
opt_double(const char *name, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < lo || v > hi)
		fatalx("--%s %s: want a number from %g to %g", name, s, lo, hi);
	return v;
}

static enum snmp_access
opt_access(const char *s)
{
	if (strcmp(s, "both") == 0)
		return ACCESS_BOTH;
	if (strcmp(s, "v2c") == 0)
		return ACCESS_V2C;
	if (strcmp(s, "v3") == 0)
		return ACCESS_V3;
	fatalx("--access %s: both, v2c or v3", s);
}

static void
sim_defaults(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->olts = 10;
	o->vendors = "huawei,zte-c300,zte-c600,fiberhome";
	o->frames = 1;
	o->slots = 1;
	o->pons = 16;
	o->onus = 128;
	o->dsl_slots = 2;
	o->dsl_ports = 48;
	o->listen = "127.1.0.1:161";
	o->community = "public";
	o->auth_proto = "SHA";
	o->priv_proto = "AES";
	o->engine_id = SIM_ENGINE_ID;
	o->seed = 1;
	/* a burst at full speed overflows a receiver's socket buffer */
	o->rate = 500;
}

/* No MIB files, no persistent state, our engine ID and user. */
static void
sim_snmp_init(struct sim_opts *o)
{
	char *line;

	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "", 1);
	init_usm_conf("herald-sim");
	xasprintf(&line, "exactEngineID 0x%s", o->engine_id);
	netsnmp_config(line);
	free(line);
	if (o->v3_user != NULL) {
		if (o->auth_pass == NULL || strlen(o->auth_pass) < 8 ||
		    (o->priv_pass != NULL && strlen(o->priv_pass) < 8))
			fatalx("--v3-user needs --auth-pass (and --priv-pass) "
			    "of at least 8 characters");
		if (o->priv_pass != NULL)
			xasprintf(&line, "createUser %s %s %s %s %s", o->v3_user,
			    o->auth_proto, o->auth_pass, o->priv_proto,
			    o->priv_pass);
		else
			xasprintf(&line, "createUser %s %s %s", o->v3_user,
			    o->auth_proto, o->auth_pass);
		netsnmp_config(line);
		free(line);
	}
	init_snmp("herald-sim");
}

static void
sim_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct sim *s = arg;

	s->quitting = 1;
	event_base_loopexit(s->base, NULL);
}

static void
sim_nofile(void)
{
	struct rlimit rl;

	/* one socket per agent */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static double
sim_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Devices that answer SNMPv3 only (the inventory says so too). */
static void
sim_v3_only(struct sim *s, const char *v3only)
{
	char list[1024], *tok, *save;
	struct device *d;

	if (v3only == NULL)
		return;
	snprintf(list, sizeof(list), "%s", v3only);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((d = fleet_find(s, tok)) == NULL)
			fatalx("--v3-only: no device %s", tok);
		d->access = ACCESS_V3;
	}
}

/* Every device answers on its own socket. */
static void
sim_open_agents(struct sim *s)
{
	char err[256];
	size_t i;

	for (i = 0; i < s->ndevs; i++)
		if (agent_open(&s->devs[i], err, sizeof(err)) == -1)
			fatalx("%s", err);
}

static void
sim_summary(struct sim *s, double ms)
{
	size_t i, onus = 0, lines = 0, oids = 0;

	for (i = 0; i < s->ndevs; i++) {
		onus += s->devs[i].npons_total * s->devs[i].onus_per_pon;
		lines += s->devs[i].nlines;
		oids += s->devs[i].nmib;
	}
	log_info("herald-sim: %zu devices (%d OLTs, %d DSLAMs), %zu ONUs, "
	    "%zu DSL lines, %zu OIDs, agents %s..%s, ready in %.1f ms",
	    s->ndevs, s->o.olts, s->o.dslams, onus, lines, oids,
	    s->devs[0].addr, s->devs[s->ndevs - 1].addr, ms);
}

static void
sim_run(struct sim *s, const char *scenario, int use_stdin,
    const char *ctlpath)
{
	struct event *sigs[2];
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	sigs[0] = evsignal_new(s->base, SIGTERM, sim_signal_cb, s);
	sigs[1] = evsignal_new(s->base, SIGINT, sim_signal_cb, s);
	event_add(sigs[0], NULL);
	event_add(sigs[1], NULL);
	if (ctl_start(s, scenario, use_stdin, ctlpath) == -1)
		exit(1);
	if (!s->quitting)
		event_base_dispatch(s->base);
	ctl_stop(s);
	for (i = 0; i < s->ndevs; i++)
		agent_close(&s->devs[i]);
	trap_free(s);
	event_free(sigs[0]);
	event_free(sigs[1]);
}

struct args {
	const char	*scenario, *ctlpath, *client, *inventory, *v3only;
	int		 use_stdin, level;
};

static void
sim_options(int argc, char **argv, struct sim_opts *o, struct args *a)
{
	int ch;

	a->use_stdin = 1;
	a->level = LOG_LEVEL_INFO;
	while ((ch = getopt_long(argc, argv, "+f:S:C:nl:c:t:vqh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f': a->scenario = optarg; break;
		case 'S': a->ctlpath = optarg; break;
		case 'C': a->client = optarg; break;
		case 'n': a->use_stdin = 0; break;
		case 'l': o->listen = optarg; break;
		case 'c': o->community = optarg; break;
		case 't': o->target = optarg; break;
		case 'v': a->level = LOG_LEVEL_DEBUG; break;
		case 'q': a->level = LOG_LEVEL_WARNING; break;
		case 'h': usage(0);
		case OPT_OLTS: o->olts = opt_int("olts", optarg, 0, 4000); break;
		case OPT_DSLAMS: o->dslams = opt_int("dslams", optarg, 0, 4000);
			break;
		case OPT_VENDORS: o->vendors = optarg; break;
		case OPT_FRAMES: o->frames = opt_int("frames", optarg, 1, 4);
			break;
		case OPT_SLOTS: o->slots = opt_int("slots", optarg, 1, 16); break;
		case OPT_PONS: o->pons = opt_int("pons", optarg, 1, 16); break;
		case OPT_ONUS: o->onus = opt_int("onus", optarg, 1, 128); break;
		case OPT_DSL_SLOTS:
			o->dsl_slots = opt_int("dsl-slots", optarg, 1, 16);
			break;
		case OPT_DSL_PORTS:
			o->dsl_ports = opt_int("dsl-ports", optarg, 1, 72);
			break;
		case OPT_PORT_MODE: o->port_mode = 1; break;
		case OPT_V3_USER: o->v3_user = optarg; break;
		case OPT_AUTH_PASS: o->auth_pass = optarg; break;
		case OPT_PRIV_PASS: o->priv_pass = optarg; break;
		case OPT_AUTH_PROTO: o->auth_proto = optarg; break;
		case OPT_PRIV_PROTO: o->priv_proto = optarg; break;
		case OPT_ENGINE_ID: o->engine_id = optarg; break;
		case OPT_TRAP_V3: o->trap_v3 = 1; break;
		case OPT_DROP: o->drop = opt_double("drop", optarg, 0, 1); break;
		case OPT_SEED:
			o->seed = (uint64_t)opt_double("seed", optarg, 0, 9e15);
			break;
		case OPT_RATE: o->rate = opt_double("rate", optarg, 0, 1e6);
			break;
		case OPT_ACCESS: o->access = opt_access(optarg); break;
		case OPT_V3_ONLY: a->v3only = optarg; break;
		case OPT_WRITE_INVENTORY: a->inventory = optarg; break;
		default: usage(64);
		}
	}
}

int
main(int argc, char **argv)
{
	struct sim s;
	struct args a;
	struct timespec t0;
	char err[256];

	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	sim_defaults(&s.o);
	sim_options(argc, argv, &s.o, &a);
	log_init(1, a.level, 0);
	if (a.client != NULL)
		return ctl_client(a.client, argc - optind, argv + optind);
	if (optind != argc)
		usage(64);
	if (s.o.trap_v3 && s.o.v3_user == NULL)
		fatalx("--trap-v3 needs --v3-user");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((s.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	sim_nofile();
	sim_snmp_init(&s.o);
	if (fleet_build(&s, err, sizeof(err)) == -1)
		fatalx("%s", err);
	sim_v3_only(&s, a.v3only);
	if (a.inventory != NULL)
		return inventory_write(&s, a.inventory) == 0 ? 0 : 1;
	trap_init(&s);
	if (s.o.target != NULL &&
	    trap_set_target(&s, s.o.target, err, sizeof(err)) == -1)
		fatalx("%s", err);
	sim_open_agents(&s);
	sim_summary(&s, sim_ms_since(&t0));
	sim_run(&s, a.scenario, a.use_stdin, a.ctlpath);
	snmp_shutdown("herald-sim");
	event_base_free(s.base);
	return 0;
}
