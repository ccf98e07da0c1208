/*
 * ctl_maint.c: "heraldctl maintenance add|list|rm", planned work windows.
 * While a window is open, the rules treat what breaks under it as planned
 * (no outage SMS storm for a line card swap), so the times are sent with the
 * local offset (ctl_time_arg) and never left to the server's time zone.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

extern const struct ctl_command ctl_maint_add;
extern const struct ctl_command ctl_maint_list;
extern const struct ctl_command ctl_maint_rm;

static void
ctl_maint_row(struct ctl_table *t, json_t *m)
{
	char id[24], place[64], from[32], to[32];
	const char *cells[7];
	time_t now = time(NULL);

	ctl_time_short(ctl_json_str(m, "starts_at"), now, from, sizeof(from));
	ctl_time_short(ctl_json_str(m, "ends_at"), now, to, sizeof(to));
	cells[0] = ctl_json_text(m, "id", id, sizeof(id));
	cells[1] = ctl_json_str(json_object_get(m, "device"), "name");
	cells[2] = ctl_json_place(m, place, sizeof(place));
	cells[3] = from;
	cells[4] = to;
	cells[5] = json_is_true(json_object_get(m, "active")) ? "now" : "";
	cells[6] = ctl_json_str(m, "reason");
	ctl_table_add(t, cells);
}

static const char *const ctl_maint_hdr[] = { "ID", "DEVICE", "PLACE",
	"FROM", "TO", "ACTIVE", "REASON", NULL };

static const struct ctl_qopt ctl_maint_add_opts[] = {
	{ "device", 1, "device", NULL, 0 },
	{ "frame", 1, "frame", NULL, 1 },
	{ "slot", 1, "slot", NULL, 1 },
	{ "port", 1, "port", NULL, 1 },
	{ "splitter", 1, "splitter", NULL, 0 },
	{ "from", 1, "starts_at", NULL, 0 },
	{ "to", 1, "ends_at", NULL, 0 },
	{ "reason", 1, "reason", NULL, 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

/* --from and --to as typed by a person, made ISO 8601 with the offset. */
static void
ctl_maint_time(json_t *body, const char *key)
{
	char at[64];

	ctl_time_arg(ctl_json_str(body, key), time(NULL), at, sizeof(at));
	json_object_set_new(body, key, json_string(at));
}

static int
ctl_maint_add_run(struct ctl *ctl, int argc, char **argv)
{
	const char *q[2 * CTL_QOPT_MAX + 1];
	json_t *body, *res;
	struct ctl_table *t;

	if (ctl_api_opts(ctl, argc, argv, ctl_maint_add_opts, q) != 0 ||
	    optind != argc || ctl_api_take(q, "limit") ||
	    ctl_api_take(q, "offset"))
		return ctl_cmd_usage(&ctl_maint_add);
	body = ctl_api_body(q, ctl_maint_add_opts);
	if (!json_object_get(body, "device") ||
	    !json_object_get(body, "starts_at") ||
	    !json_object_get(body, "ends_at") ||
	    !json_object_get(body, "reason")) {
		json_decref(body);
		ctl_error("maintenance add: --device, --from, --to and "
		    "--reason are needed");
		return ctl_cmd_usage(&ctl_maint_add);
	}
	ctl_maint_time(body, "starts_at");
	ctl_maint_time(body, "ends_at");
	res = ctl_api_send(ctl, "POST", "/api/v1/maintenance", body);
	json_decref(body);
	if (!ctl_api_json(ctl, res)) {
		t = ctl_table_new(ctl_maint_hdr);
		ctl_maint_row(t, res);
		ctl_table_print(t, stdout);
		ctl_table_free(t);
	}
	json_decref(res);
	return CTL_OK;
}

static int
ctl_maint_list_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_qopt opts[] = {
		{ "all", 0, "all", "true", 0 },
		{ "device", 1, "device", NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1];

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind != argc)
		return ctl_cmd_usage(&ctl_maint_list);
	return ctl_api_list(ctl, ctl_api_get(ctl, "/api/v1/maintenance", q),
	    ctl_maint_hdr, ctl_maint_row, "maintenance windows");
}

static int
ctl_maint_rm_run(struct ctl *ctl, int argc, char **argv)
{
	const char *q[2 * CTL_QOPT_MAX + 1];
	char path[64], id[24];
	json_t *res;

	if (ctl_api_opts(ctl, argc, argv, NULL, q) != 0 || q[0] != NULL ||
	    optind + 1 != argc || *argv[optind] == '\0' ||
	    strspn(argv[optind], "0123456789") != strlen(argv[optind]))
		return ctl_cmd_usage(&ctl_maint_rm);
	snprintf(path, sizeof(path), "/api/v1/maintenance/%s", argv[optind]);
	res = ctl_api_send(ctl, "DELETE", path, NULL);
	if (!ctl_api_json(ctl, res))
		printf("deleted maintenance window %s\n",
		    ctl_json_text(res, "deleted", id, sizeof(id)));
	json_decref(res);
	return CTL_OK;
}

const struct ctl_command ctl_maint_add = {
	.name = "maintenance", .sub = "add",
	.usage = "maintenance add --device D [--frame F --slot S --port P "
	    "--splitter X] --from T --to T --reason R",
	.help =
	    "Declares a maintenance window: faults inside it are planned\n"
	    "work, and the accounts below get a \"planned\" notice\n"
	    "notify.planned_lead seconds before it starts.\n"
	    "  --device D     the device (required)\n"
	    "  --frame F      --slot S   --port P   --splitter X:\n"
	    "                 narrow it to one place on the device\n"
	    "  --from T       --to T: when (+2h, 18:00, 12-03 01:00, ...)\n"
	    "  --reason R     why (required)\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_maint_add_run,
};

const struct ctl_command ctl_maint_list = {
	.name = "maintenance", .sub = "list",
	.usage = "maintenance list [--all] [--device D]",
	.help =
	    "Lists maintenance windows that are not over.\n"
	    "  --all          past ones too\n"
	    "  --device D     one device's\n"
	    "  --limit N      --offset N: page through the list\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_maint_list_run,
};

const struct ctl_command ctl_maint_rm = {
	.name = "maintenance", .sub = "rm",
	.usage = "maintenance rm ID",
	.help =
	    "Cancels maintenance window ID.\n",
	.run = ctl_maint_rm_run,
};
