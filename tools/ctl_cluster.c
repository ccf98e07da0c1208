/*
 * ctl_cluster.c: "heraldctl cluster [drain|undrain NAME]", the heraldd
 * instances that share the devices (issue 14): which are alive, when each
 * last renewed its leases, how many devices and ONUs each holds and with
 * which lease epochs, and the writes PostgreSQL refused for a stale epoch.
 * A drain moves an instance's devices to the others before maintenance.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

extern const struct ctl_command ctl_cluster_cmd;
extern const struct ctl_command ctl_cluster_drain;
extern const struct ctl_command ctl_cluster_undrain;

static void
ctl_cluster_row(struct ctl_table *t, json_t *i)
{
	char age[32], dev[24], onus[24], lb[24], hb[24], epochs[64];
	const char *cells[8], *lo, *hi;
	json_t *a = json_object_get(i, "heartbeat_age");

	if (json_is_number(a))
		snprintf(age, sizeof(age), "%.1f s", json_number_value(a));
	else
		snprintf(age, sizeof(age), "-");
	lo = ctl_json_text(i, "epoch_min", lb, sizeof(lb));
	hi = ctl_json_text(i, "epoch_max", hb, sizeof(hb));
	if (*lo == '\0')
		snprintf(epochs, sizeof(epochs), "-");
	else if (strcmp(lo, hi) == 0)
		snprintf(epochs, sizeof(epochs), "%s", lo);
	else
		snprintf(epochs, sizeof(epochs), "%s-%s", lo, hi);
	cells[0] = ctl_json_str(i, "name");
	cells[1] = json_is_true(json_object_get(i, "alive")) ? "yes" : "no";
	cells[2] = json_is_true(json_object_get(i, "draining")) ? "yes" : "";
	cells[3] = age;
	cells[4] = ctl_json_text(i, "devices", dev, sizeof(dev));
	cells[5] = ctl_json_text(i, "onus", onus, sizeof(onus));
	cells[6] = epochs;
	cells[7] = json_is_true(json_object_get(i, "cluster")) ? "" :
	    "standalone";
	ctl_table_add(t, cells);
}

/* "devices 12: held 12, unowned 0; fenced writes 0" and the last move. */
static void
ctl_cluster_totals(json_t *res)
{
	json_t *tot = json_object_get(res, "totals");
	json_t *f = json_object_get(res, "fenced");
	json_t *m = json_array_get(json_object_get(res, "moves"), 0);
	char n[3][24], fe[24], at[32];
	time_t now = time(NULL);

	printf("devices %s: held %s, unowned %s\n",
	    ctl_json_text(tot, "devices", n[0], sizeof(n[0])),
	    ctl_json_text(tot, "held", n[1], sizeof(n[1])),
	    ctl_json_text(tot, "unowned", n[2], sizeof(n[2])));
	ctl_time_short(ctl_json_str(f, "last_at"), now, at, sizeof(at));
	printf("fenced writes %s (%s entries)%s%s\n",
	    ctl_json_text(f, "total", n[0], sizeof(n[0])),
	    ctl_json_text(f, "entries", fe, sizeof(fe)),
	    *at ? ", last " : "", at);
	if (m == NULL)
		return;
	ctl_time_short(ctl_json_str(m, "at"), now, at, sizeof(at));
	printf("last move %s: %s %s -> %s, epoch %s (%s)\n", at,
	    ctl_json_str(m, "name"), *ctl_json_str(m, "from") ?
	    ctl_json_str(m, "from") : "(none)", *ctl_json_str(m, "to") ?
	    ctl_json_str(m, "to") : "(none)",
	    ctl_json_text(m, "epoch", n[0], sizeof(n[0])),
	    ctl_json_str(m, "reason"));
}

static int
ctl_cluster_run(struct ctl *ctl, int argc, char **argv)
{
	static const char *const hdr[] = { "INSTANCE", "ALIVE", "DRAINING",
	    "HEARTBEAT", "DEVICES", "ONUS", "EPOCHS", "", NULL };
	const char *q[2 * CTL_QOPT_MAX + 1];
	struct ctl_table *t;
	json_t *res, *insts, *i;
	size_t k;

	if (ctl_api_opts(ctl, argc, argv, NULL, q) != 0 || q[0] != NULL ||
	    optind != argc)
		return ctl_cmd_usage(&ctl_cluster_cmd);
	res = ctl_api_get(ctl, "/api/v1/cluster", NULL);
	if (ctl_api_json(ctl, res)) {
		json_decref(res);
		return CTL_OK;
	}
	insts = json_object_get(res, "instances");
	if (json_array_size(insts) == 0)
		printf("no instances\n");
	else {
		t = ctl_table_new(hdr);
		json_array_foreach(insts, k, i)
			ctl_cluster_row(t, i);
		ctl_table_print(t, stdout);
		ctl_table_free(t);
	}
	ctl_cluster_totals(res);
	json_decref(res);
	return CTL_OK;
}

static int
ctl_cluster_drain_set(struct ctl *ctl, int argc, char **argv,
    const struct ctl_command *cmd, int on)
{
	const char *q[2 * CTL_QOPT_MAX + 1];
	json_t *body, *res;

	if (ctl_api_opts(ctl, argc, argv, NULL, q) != 0 || q[0] != NULL ||
	    optind + 1 != argc || *argv[optind] == '\0')
		return ctl_cmd_usage(cmd);
	body = json_pack("{s:s}", "instance", argv[optind]);
	res = ctl_api_send(ctl, "POST", on ? "/api/v1/cluster/drain" :
	    "/api/v1/cluster/undrain", body);
	json_decref(body);
	if (!ctl_api_json(ctl, res))
		printf(on ? "%s: draining; its devices move to the other "
		    "instances at its next lease round\n" :
		    "%s: no longer draining\n", ctl_json_str(res, "instance"));
	json_decref(res);
	return CTL_OK;
}

static int
ctl_cluster_drain_run(struct ctl *ctl, int argc, char **argv)
{
	return ctl_cluster_drain_set(ctl, argc, argv, &ctl_cluster_drain, 1);
}

static int
ctl_cluster_undrain_run(struct ctl *ctl, int argc, char **argv)
{
	return ctl_cluster_drain_set(ctl, argc, argv, &ctl_cluster_undrain, 0);
}

const struct ctl_command ctl_cluster_drain = {
	.name = "cluster", .sub = "drain",
	.usage = "cluster drain NAME   move an instance's devices away",
	.help =
	    "Drains instance NAME (role admin): at its next lease round\n"
	    "it gives all its devices to the other live instances, and\n"
	    "takes none until \"cluster undrain NAME\" or its restart.\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_cluster_drain_run,
};

const struct ctl_command ctl_cluster_undrain = {
	.name = "cluster", .sub = "undrain",
	.usage = "cluster undrain NAME   let a drained instance take devices",
	.help =
	    "Ends the drain of instance NAME (role admin).\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_cluster_undrain_run,
};

const struct ctl_command ctl_cluster_cmd = {
	.name = "cluster", .sub = NULL,
	.usage = "cluster [--json]   the heraldd instances, their devices and "
	    "leases",
	.help =
	    "Shows the heraldd instances sharing the devices (roles noc,\n"
	    "admin): alive (renewed its leases within its lease time),\n"
	    "draining, seconds since its last lease round, the devices and\n"
	    "ONUs it holds, the epochs of its leases; then the devices held\n"
	    "and unowned, the writes refused for a stale epoch, the last\n"
	    "move. \"cluster drain NAME\", \"cluster undrain NAME\": see\n"
	    "their --help.\n"
	    "  --json         the API's JSON as it came (with every lease\n"
	    "                 and the last 50 moves)\n",
	.run = ctl_cluster_run,
};
