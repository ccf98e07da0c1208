/*
 * sim_cmd.c: herald-sim's command language, one command per line, the
 * same on stdin, in scenario files and on the control socket. The table
 * below is the language (doc/herald-sim.md describes it for users); each
 * command writes its output lines and cmd_exec() adds "ok", or the command
 * reports "error: ..." itself.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sim.h"

#define CMD_MAXARGS	64

struct command {
	const char	*name;
	int		 minargs, maxargs;
	const char	*usage;
	int		 (*run)(struct src *, int, char **);
};

static int
cmd_err(struct src *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	src_error(c, msg);
	return -1;
}

/* "0/1/5" into up to max integers; returns how many, -1 if malformed. */
static int
parse_ints(const char *s, int *v, int max)
{
	char *end;
	long n;
	int i = 0;

	for (;;) {
		if (i == max || *s < '0' || *s > '9')
			return -1;
		n = strtol(s, &end, 10);
		if (n > 65535)
			return -1;
		v[i++] = (int)n;
		if (*end == '\0')
			return i;
		if (*end != '/')
			return -1;
		s = end + 1;
	}
}

/* "N" or "A-B". */
static int
parse_range(const char *s, int *a, int *b)
{
	char *end;

	*a = (int)strtol(s, &end, 10);
	if (end == s)
		return -1;
	if (*end == '\0') {
		*b = *a;
		return 0;
	}
	if (*end != '-')
		return -1;
	s = end + 1;
	*b = (int)strtol(s, &end, 10);
	return end == s || *end != '\0' || *b < *a ? -1 : 0;
}

static struct device *
cmd_dev(struct src *c, const char *name, int kind)
{
	struct device *d = fleet_find(src_sim(c), name);

	if (d == NULL)
		cmd_err(c, "no device \"%s\" (see list)", name);
	else if (kind >= 0 && d->v->kind != (enum sim_kind)kind) {
		cmd_err(c, "%s is not %s", name, kind == SIM_OLT ? "an OLT" :
		    "a DSLAM");
		d = NULL;
	}
	return d;
}

static struct pon *
cmd_pon(struct src *c, struct device *d, const char *spec)
{
	struct pon *p;
	int v[3];

	if (parse_ints(spec, v, 3) != 3)
		return cmd_err(c, "\"%s\": want FRAME/SLOT/PORT", spec), NULL;
	if ((p = fleet_pon(d, v[0], v[1], v[2])) == NULL)
		cmd_err(c, "%s has no PON port %s", d->name, spec);
	return p;
}

/* Apply kind to an ONU set "F/S/P", "F/S/P:*" or "F/S/P:1-40,45,50-52". */
static int
cmd_onuset(struct src *c, struct device *d, const char *spec,
    enum fault kind, int *changed)
{
	char buf[256], err[256], *list, *tok, *save;
	struct pon *p;
	int a, b, r;

	snprintf(buf, sizeof(buf), "%s", spec);
	if ((list = strchr(buf, ':')) != NULL)
		*list++ = '\0';
	if ((p = cmd_pon(c, d, buf)) == NULL)
		return -1;
	if (list == NULL || strcmp(list, "*") == 0) {
		r = fault_onus(d, p, d->v->first_onu,
		    d->v->first_onu + d->onus_per_pon - 1, kind, err,
		    sizeof(err));
		if (r < 0)
			return cmd_err(c, "%s", err);
		*changed += r;
		return 0;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (parse_range(tok, &a, &b) == -1)
			return cmd_err(c, "\"%s\": want ONU ids like 1-40,45",
			    tok);
		if ((r = fault_onus(d, p, a, b, kind, err, sizeof(err))) < 0)
			return cmd_err(c, "%s", err);
		*changed += r;
	}
	return 0;
}

/* "S/P" or "S/P-Q" on a DSLAM. */
static int
cmd_lines(struct src *c, const char *spec, int *slot, int *from, int *to)
{
	char buf[64], *dash;
	int v[2];

	snprintf(buf, sizeof(buf), "%s", spec);
	*to = -1;
	if ((dash = strchr(buf, '-')) != NULL) {
		*dash++ = '\0';
		*to = atoi(dash);
	}
	if (parse_ints(buf, v, 2) != 2)
		return cmd_err(c, "\"%s\": want SLOT/PORT or SLOT/PORT-PORT",
		    spec);
	*slot = v[0];
	*from = v[1];
	if (*to == -1)
		*to = *from;
	if (*to < *from)
		return cmd_err(c, "\"%s\": empty port range", spec);
	return 0;
}

static int
cmd_cut(struct src *c, int argc, char **argv)
{
	struct device *d;
	struct pon *p;
	char err[256];
	int i;

	if ((d = cmd_dev(c, argv[1], SIM_OLT)) == NULL)
		return -1;
	for (i = 2; i < argc; i++) {
		if ((p = cmd_pon(c, d, argv[i])) == NULL)
			return -1;
		if (fault_cut(d, p, err, sizeof(err)) == -1)
			return cmd_err(c, "%s", err);
	}
	return 0;
}

/* los / power-off / restore of ONU sets; "onus" may precede the sets. */
static int
cmd_onu_fault(struct src *c, int argc, char **argv, enum fault kind)
{
	struct device *d;
	int i = 2, changed = 0;

	if ((d = cmd_dev(c, argv[1], SIM_OLT)) == NULL)
		return -1;
	if (strcmp(argv[i], "onus") == 0 || strcmp(argv[i], "onu") == 0)
		i++;
	if (i >= argc)
		return cmd_err(c, "usage: %s DEV [onus] F/S/P[:IDS]...",
		    argv[0]);
	for (; i < argc; i++)
		if (cmd_onuset(c, d, argv[i], kind, &changed) == -1)
			return -1;
	src_printf(c, "changed %d\n", changed);
	return 0;
}

static int
cmd_los(struct src *c, int argc, char **argv)
{
	return cmd_onu_fault(c, argc, argv, F_LOS);
}

static int
cmd_power_off(struct src *c, int argc, char **argv)
{
	return cmd_onu_fault(c, argc, argv, F_POWER);
}

static int
cmd_deactivate(struct src *c, int argc, char **argv)
{
	return cmd_onu_fault(c, argc, argv, F_ADMIN);
}

static int
cmd_board_fail(struct src *c, int argc, char **argv)
{
	struct device *d;
	struct board *b;
	char err[256];
	int v[2], n;

	if ((d = cmd_dev(c, argv[1], -1)) == NULL)
		return -1;
	n = parse_ints(argv[2], v, 2);
	if (d->v->kind == SIM_DSLAM && n == 1)
		b = fleet_board(d, 0, v[0]);
	else if (d->v->kind == SIM_OLT && n == 2)
		b = fleet_board(d, v[0], v[1]);
	else
		return cmd_err(c, "\"%s\": want FRAME/SLOT (OLT) or SLOT "
		    "(DSLAM)", argv[2]);
	if (b == NULL)
		return cmd_err(c, "%s has no board %s", d->name, argv[2]);
	if (fault_board(d, b, err, sizeof(err)) == -1)
		return cmd_err(c, "%s", err);
	return 0;
}

static int
cmd_line_fault(struct src *c, int argc, char **argv, enum fault kind)
{
	struct device *d;
	char err[256];
	int slot, from, to, r;

	if ((d = cmd_dev(c, argv[1], SIM_DSLAM)) == NULL ||
	    cmd_lines(c, argv[2], &slot, &from, &to) == -1)
		return -1;
	if (argc > 3 && kind != F_PORT) {
		if (strcmp(argv[3], "power") == 0)
			kind = F_POWER;
		else if (strcmp(argv[3], "los") != 0)
			return cmd_err(c, "line-down cause: los or power");
	}
	if ((r = fault_lines(d, slot, from, to, kind, err, sizeof(err))) < 0)
		return cmd_err(c, "%s", err);
	src_printf(c, "changed %d\n", r);
	return 0;
}

static int
cmd_line_down(struct src *c, int argc, char **argv)
{
	return cmd_line_fault(c, argc, argv, F_LOS);
}

static int
cmd_port_down(struct src *c, int argc, char **argv)
{
	if (argc > 3)
		return cmd_err(c, "usage: port-down DEV SLOT/PORT[-PORT]");
	return cmd_line_fault(c, argc, argv, F_PORT);
}

static int
cmd_restore_board(struct src *c, struct device *d, const char *spec)
{
	struct board *b = NULL;
	char err[256];
	int v[2], n = parse_ints(spec, v, 2);

	if (d->v->kind == SIM_DSLAM && n == 1)
		b = fleet_board(d, 0, v[0]);
	else if (d->v->kind == SIM_OLT && n == 2)
		b = fleet_board(d, v[0], v[1]);
	if (b == NULL)
		return cmd_err(c, "%s has no board %s", d->name, spec);
	if (fault_restore_board(d, b, err, sizeof(err)) == -1)
		return cmd_err(c, "%s", err);
	return 0;
}

static void
do_restore(struct device *d, void *arg)
{
	char err[256];

	*(int *)arg += fault_restore_device(d, err, sizeof(err));
}

static int cmd_each(struct src *, const char *,
    void (*)(struct device *, void *), void *);

static int
cmd_restore(struct src *c, int argc, char **argv)
{
	struct device *d;
	struct pon *p;
	char err[256];
	int slot, from, to, r = 0, v[3];

	if (argc == 2) {
		if (cmd_each(c, argv[1], do_restore, &r) == -1)
			return -1;
		src_printf(c, "changed %d\n", r);
		return 0;
	}
	if ((d = cmd_dev(c, argv[1], -1)) == NULL)
		return -1;
	if (strcmp(argv[2], "board") == 0)
		return argc == 4 ? cmd_restore_board(c, d, argv[3]) :
		    cmd_err(c, "usage: restore DEV board LOCATION");
	if (d->v->kind == SIM_DSLAM) {
		if (argc != 3 || cmd_lines(c, argv[2], &slot, &from, &to) == -1)
			return argc != 3 ? cmd_err(c, "usage: restore DEV "
			    "SLOT/PORT[-PORT]") : -1;
		r = fault_restore_lines(d, slot, from, to, err, sizeof(err));
		if (r < 0)
			return cmd_err(c, "%s", err);
		src_printf(c, "changed %d\n", r);
		return 0;
	}
	/* a bare F/S/P is the PON port (fibre); F/S/P:IDS are ONUs */
	if (argc == 3 && strchr(argv[2], ':') == NULL &&
	    parse_ints(argv[2], v, 3) == 3) {
		if ((p = cmd_pon(c, d, argv[2])) == NULL)
			return -1;
		if (fault_restore_pon(d, p, err, sizeof(err)) == -1)
			return cmd_err(c, "%s", err);
		return 0;
	}
	return cmd_onu_fault(c, argc, argv, F_UP);
}

/* Run fn on the device named, or on every device for "all". */
static int
cmd_each(struct src *c, const char *name, void (*fn)(struct device *, void *),
    void *arg)
{
	struct sim *s = src_sim(c);
	struct device *d;
	size_t i;

	if (strcmp(name, "all") == 0) {
		for (i = 0; i < s->ndevs; i++)
			fn(&s->devs[i], arg);
		return 0;
	}
	if ((d = cmd_dev(c, name, -1)) == NULL)
		return -1;
	fn(d, arg);
	return 0;
}

static void
do_silence(struct device *d, void *arg)
{
	fault_silence(d);
}

static void
do_wake(struct device *d, void *arg)
{
	if (d->silent)
		fault_wake(d);
}

static void
do_coldstart(struct device *d, void *arg)
{
	fault_trap_coldstart(d);
}

static void
do_misbehave(struct device *d, void *arg)
{
	d->misbehave = *(enum misbehave *)arg;
}

static void
do_delay(struct device *d, void *arg)
{
	d->delay_ms = *(unsigned *)arg;
}

static void
do_access(struct device *d, void *arg)
{
	d->access = *(enum snmp_access *)arg;
}

static void
do_stats_reset(struct device *d, void *arg)
{
	agent_stats_reset(d);
}

static void
do_stats(struct device *d, void *arg)
{
	char line[1024];

	agent_stats_line(d, line, sizeof(line));
	src_printf(arg, "%s\n", line);
}

static int
cmd_devlist(struct src *c, int argc, char **argv,
    void (*fn)(struct device *, void *), void *arg)
{
	int i;

	for (i = 1; i < argc; i++)
		if (cmd_each(c, argv[i], fn, arg) == -1)
			return -1;
	return 0;
}

static int
cmd_silence(struct src *c, int argc, char **argv)
{
	return cmd_devlist(c, argc, argv, do_silence, NULL);
}

static int
cmd_wake(struct src *c, int argc, char **argv)
{
	return cmd_devlist(c, argc, argv, do_wake, NULL);
}

static int
cmd_coldstart(struct src *c, int argc, char **argv)
{
	return cmd_devlist(c, argc, argv, do_coldstart, NULL);
}

static int
cmd_misbehave(struct src *c, int argc, char **argv)
{
	int m = agent_misbehave_parse(argv[2]);
	enum misbehave mb = (enum misbehave)m;

	if (m < 0)
		return cmd_err(c, "misbehave: none, wrong-type, truncate, "
		    "loop or timeout");
	return cmd_each(c, argv[1], do_misbehave, &mb);
}

static int
cmd_delay(struct src *c, int argc, char **argv)
{
	char *end;
	long ms = strtol(argv[2], &end, 10);
	unsigned v = (unsigned)ms;

	if (*end != '\0' || ms < 0 || ms > 600000)
		return cmd_err(c, "delay: milliseconds, 0 to 600000");
	return cmd_each(c, argv[1], do_delay, &v);
}

static int
cmd_access(struct src *c, int argc, char **argv)
{
	enum snmp_access a;

	if (strcmp(argv[2], "v2c") == 0)
		a = ACCESS_V2C;
	else if (strcmp(argv[2], "v3") == 0)
		a = ACCESS_V3;
	else if (strcmp(argv[2], "both") == 0)
		a = ACCESS_BOTH;
	else
		return cmd_err(c, "access: v2c, v3 or both");
	return cmd_each(c, argv[1], do_access, &a);
}

static int
cmd_stats(struct src *c, int argc, char **argv)
{
	struct sim *s = src_sim(c);
	char line[512];

	if (argc > 1 && strcmp(argv[1], "reset") == 0)
		return cmd_each(c, argc > 2 ? argv[2] : "all",
		    do_stats_reset, NULL);
	if (argc == 1 && cmd_each(c, "all", do_stats, c) == -1)
		return -1;
	if (argc > 1 && cmd_devlist(c, argc, argv, do_stats, c) == -1)
		return -1;
	trap_stats_line(s, line, sizeof(line));
	src_printf(c, "%s\n", line);
	return 0;
}

static int
cmd_list(struct src *c, int argc, char **argv)
{
	struct sim *s = src_sim(c);
	struct device *d;
	size_t i;

	for (i = 0; i < s->ndevs; i++) {
		d = &s->devs[i];
		if (d->v->kind == SIM_OLT)
			src_printf(c, "%s olt %s %s %s frames=%d slots=%d "
			    "pons=%d onus=%d\n", d->name, d->v->style,
			    d->v->model, d->addr, d->nframes, d->nslots,
			    d->npons, d->onus_per_pon);
		else
			src_printf(c, "%s dslam %s %s %s slots=%d lines=%zu\n",
			    d->name, d->v->style, d->v->model, d->addr,
			    d->nslots, d->nlines);
	}
	return 0;
}

static const char *const state_names[] = { "up", "los", "dying-gasp",
    "offline" };
static const char *const fault_names[] = { "up", "los", "power", "port",
    "deactivated" };

static void
show_pon(struct src *c, struct device *d, struct pon *p)
{
	int i;

	for (i = 0; i < d->onus_per_pon; i++)
		src_printf(c, "onu %d/%d/%d:%d state=%s cause=%d\n", p->frame,
		    p->slot, p->port, fleet_onu_id(d, i),
		    state_names[fleet_onu_state(p, i)], p->onus[i].last_cause);
}

/* The device's faults, or every ONU of one PON port. */
static int
cmd_show(struct src *c, int argc, char **argv)
{
	struct device *d;
	struct pon *p;
	size_t i;
	int k;

	if ((d = cmd_dev(c, argv[1], -1)) == NULL)
		return -1;
	if (argc == 3) {
		if (d->v->kind != SIM_OLT || (p = cmd_pon(c, d, argv[2])) == NULL)
			return d->v->kind != SIM_OLT ?
			    cmd_err(c, "show LOCATION needs an OLT") : -1;
		show_pon(c, d, p);
		return 0;
	}
	src_printf(c, "device %s silent=%d misbehave=%s delay_ms=%u\n",
	    d->name, d->silent, agent_misbehave_name(d->misbehave),
	    d->delay_ms);
	for (i = 0; i < d->nboards; i++)
		if (d->boards[i].failed)
			src_printf(c, "board %d/%d failed\n", d->boards[i].frame,
			    d->boards[i].slot);
	for (i = 0; i < d->npons_total; i++) {
		p = &d->pons[i];
		if (p->cut)
			src_printf(c, "pon %d/%d/%d cut\n", p->frame, p->slot,
			    p->port);
		for (k = 0; k < d->onus_per_pon; k++)
			if (p->onus[k].fault != F_UP)
				src_printf(c, "onu %d/%d/%d:%d %s\n", p->frame,
				    p->slot, p->port, fleet_onu_id(d, k),
				    fault_names[p->onus[k].fault]);
	}
	for (i = 0; i < d->nlines; i++)
		if (d->lines[i].fault != F_UP)
			src_printf(c, "line %d/%d %s\n", d->lines[i].slot,
			    d->lines[i].port, fault_names[d->lines[i].fault]);
	return 0;
}

static int
cmd_number(struct src *c, const char *s, double lo, double hi, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (end == s || *end != '\0' || *v < lo || *v > hi)
		return cmd_err(c, "\"%s\": want a number from %g to %g", s, lo,
		    hi);
	return 0;
}

static int
cmd_drop(struct src *c, int argc, char **argv)
{
	return cmd_number(c, argv[1], 0, 1, &src_sim(c)->o.drop);
}

static int
cmd_rate(struct src *c, int argc, char **argv)
{
	return cmd_number(c, argv[1], 0, 1e6, &src_sim(c)->o.rate);
}

static int
cmd_seed(struct src *c, int argc, char **argv)
{
	double v;

	if (cmd_number(c, argv[1], 0, 9e15, &v) == -1)
		return -1;
	src_sim(c)->o.seed = src_sim(c)->rng = (uint64_t)v;
	return 0;
}

static int
cmd_target(struct src *c, int argc, char **argv)
{
	char err[256];

	if (trap_set_target(src_sim(c), argv[1], err, sizeof(err)) == -1)
		return cmd_err(c, "%s", err);
	return 0;
}

static int
cmd_trap_version(struct src *c, int argc, char **argv)
{
	struct sim *s = src_sim(c);

	if (strcmp(argv[1], "v2c") == 0)
		s->o.trap_v3 = 0;
	else if (strcmp(argv[1], "v3") == 0 && s->o.v3_user != NULL)
		s->o.trap_v3 = 1;
	else
		return cmd_err(c, "trap-version: v2c, or v3 with --v3-user");
	return 0;
}

static int
cmd_sleep(struct src *c, int argc, char **argv)
{
	double v;

	if (cmd_number(c, argv[1], 0, 86400, &v) == -1)
		return -1;
	src_wait(c, v, NULL);
	return 1;
}

static int
traps_sent(struct sim *s)
{
	return trap_pending(s) == 0;
}

static int
cmd_wait(struct src *c, int argc, char **argv)
{
	double v = 60;

	if (argc > 1 && cmd_number(c, argv[1], 0, 86400, &v) == -1)
		return -1;
	src_wait(c, v, traps_sent);
	return 1;
}

static int
cmd_echo(struct src *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		src_printf(c, "%s%s", i > 1 ? " " : "", argv[i]);
	src_printf(c, "\n");
	return 0;
}

static int
cmd_quit(struct src *c, int argc, char **argv)
{
	struct sim *s = src_sim(c);
	struct timeval tv = { 0, 50000 };

	s->quitting = 1;
	/* a moment for the "ok" to reach a control client */
	event_base_loopexit(s->base, &tv);
	return 0;
}

static int cmd_help(struct src *, int, char **);

static const struct command commands[] = {
	{ "cut", 2, CMD_MAXARGS, "cut OLT F/S/P...  (PON fibre cut)", cmd_cut },
	{ "los", 2, CMD_MAXARGS, "los OLT [onus] F/S/P[:IDS]...", cmd_los },
	{ "power-off", 2, CMD_MAXARGS,
	    "power-off OLT [onus] F/S/P[:IDS]...  (dying gasp)",
	    cmd_power_off },
	{ "deactivate", 2, CMD_MAXARGS,
	    "deactivate OLT [onus] F/S/P[:IDS]...  (operator, no trap)",
	    cmd_deactivate },
	{ "board-fail", 2, 2, "board-fail DEV F/S (OLT) | S (DSLAM)",
	    cmd_board_fail },
	{ "line-down", 2, 3, "line-down DSLAM S/P[-P] [los|power]",
	    cmd_line_down },
	{ "port-down", 2, 2, "port-down DSLAM S/P[-P]", cmd_port_down },
	{ "restore", 1, CMD_MAXARGS, "restore DEV|all [F/S/P | [onus] "
	    "F/S/P:IDS... | board LOC | S/P[-P]]", cmd_restore },
	{ "silence", 1, CMD_MAXARGS, "silence DEV|all...  (power loss)",
	    cmd_silence },
	{ "wake", 1, CMD_MAXARGS, "wake DEV|all...  (power back, coldStart)",
	    cmd_wake },
	{ "coldstart", 1, CMD_MAXARGS, "coldstart DEV|all...", cmd_coldstart },
	{ "misbehave", 2, 2,
	    "misbehave DEV|all none|wrong-type|truncate|loop|timeout",
	    cmd_misbehave },
	{ "delay", 2, 2, "delay DEV|all MILLISECONDS", cmd_delay },
	{ "access", 2, 2, "access DEV|all v2c|v3|both", cmd_access },
	{ "drop", 1, 1, "drop SHARE  (0 to 1)", cmd_drop },
	{ "rate", 1, 1, "rate TRAPS-PER-SECOND  (0: no limit)", cmd_rate },
	{ "seed", 1, 1, "seed N", cmd_seed },
	{ "target", 1, 1, "target udp:ADDRESS:PORT[,...]", cmd_target },
	{ "trap-version", 1, 1, "trap-version v2c|v3", cmd_trap_version },
	{ "sleep", 1, 1, "sleep SECONDS", cmd_sleep },
	{ "wait", 0, 1, "wait [TIMEOUT]  (until every trap is sent)",
	    cmd_wait },
	{ "stats", 0, CMD_MAXARGS, "stats [DEV...] | stats reset [DEV]",
	    cmd_stats },
	{ "list", 0, 0, "list", cmd_list },
	{ "show", 1, 2, "show DEV [F/S/P]", cmd_show },
	{ "echo", 0, CMD_MAXARGS, "echo TEXT", cmd_echo },
	{ "help", 0, 0, "help", cmd_help },
	{ "quit", 0, 0, "quit", cmd_quit },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static int
cmd_help(struct src *c, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		src_printf(c, "%s\n", commands[i].usage);
	return 0;
}

int
cmd_exec(struct src *c, char *line)
{
	char *argv[CMD_MAXARGS + 2], *save, *tok;
	int argc = 0, r;
	size_t i;

	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (*tok == '#')
			break;
		if (argc == CMD_MAXARGS + 1)
			return cmd_err(c, "too many words"), 0;
		argv[argc++] = tok;
	}
	if (argc == 0)
		return 0;
	argv[argc] = NULL;
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			break;
	if (i == NCOMMANDS)
		return cmd_err(c, "unknown command \"%s\" (try help)", argv[0]),
		    0;
	if (argc - 1 < commands[i].minargs || argc - 1 > commands[i].maxargs)
		return cmd_err(c, "usage: %s", commands[i].usage), 0;
	r = commands[i].run(c, argc, argv);
	if (r == 0)
		src_printf(c, "ok\n");
	return r == 1 ? 1 : 0;
}
