/*
 * ctl_incident.c: "heraldctl alarms", "incidents" and "incident ID", what
 * the NOC looks at: the alarms heraldd holds, the incidents the rules made
 * of them, and one incident with its evidence, ticket and accounts. Each is
 * one GET of the API; --json shows the answer as it came.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

extern const struct ctl_command ctl_alarms_cmd;
extern const struct ctl_command ctl_incidents_cmd;
extern const struct ctl_command ctl_incident_cmd;

static void
ctl_alarm_row(struct ctl_table *t, json_t *a)
{
	json_t *dev = json_object_get(a, "device");
	char id[24], last[32], place[64], n[24], count[32], inc[24];
	const char *cells[9];

	ctl_time_short(json_string_value(json_object_get(a, "last_raised_at")),
	    time(NULL), last, sizeof(last));
	snprintf(count, sizeof(count), "%s%s", ctl_json_text(a, "raise_count",
	    n, sizeof(n)), json_is_true(json_object_get(a, "flapping")) ?
	    " ~" : "");	/* ~: flapping */
	cells[0] = ctl_json_text(a, "id", id, sizeof(id));
	cells[1] = last;
	cells[2] = ctl_json_str(dev, "name");
	cells[3] = ctl_json_place(a, place, sizeof(place));
	cells[4] = ctl_json_str(a, "kind");
	cells[5] = ctl_json_str(a, "state");
	cells[6] = count;
	cells[7] = ctl_json_text(a, "incident_id", inc, sizeof(inc));
	cells[8] = ctl_json_str(a, "cause");
	ctl_table_add(t, cells);
}

static const char *const ctl_alarm_hdr[] = { "ID", "LAST", "DEVICE",
	"PLACE", "KIND", "STATE", "COUNT", "INCIDENT", "CAUSE", NULL };

static int
ctl_alarms_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_qopt opts[] = {
		{ "state", 1, "state", NULL, 0 },
		{ "all", 0, "state", "all", 0 },
		{ "kind", 1, "kind", NULL, 0 },
		{ "device", 1, "device", NULL, 0 },
		{ "region", 1, "region", NULL, 0 },
		{ "since", 1, "since", NULL, 0 },
		{ "until", 1, "until", NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1];

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind != argc)
		return ctl_cmd_usage(&ctl_alarms_cmd);
	return ctl_api_list(ctl, ctl_api_get(ctl, "/api/v1/alarms", q),
	    ctl_alarm_hdr, ctl_alarm_row, "alarms");
}

/* "#40 acknowledged" for an incident's ticket. */
static const char *
ctl_incident_ticket(json_t *tk, char *buf, size_t len)
{
	char id[24];

	if (!json_is_object(tk))
		return "";
	snprintf(buf, len, "#%s %s", ctl_json_text(tk, "id", id, sizeof(id)),
	    ctl_json_str(tk, "state"));
	return buf;
}

static void
ctl_incident_row(struct ctl_table *t, json_t *i)
{
	char id[24], opened[32], place[64], where[96], n[24], tk[48], eta[32];
	const char *cells[10];
	time_t now = time(NULL);

	ctl_time_short(json_string_value(json_object_get(i, "opened_at")), now,
	    opened, sizeof(opened));
	ctl_time_short(json_string_value(json_object_get(i, "eta")), now, eta,
	    sizeof(eta));
	snprintf(where, sizeof(where), "%s %s", ctl_json_str(i, "scope"),
	    ctl_json_place(i, place, sizeof(place)));
	cells[0] = ctl_json_text(i, "id", id, sizeof(id));
	cells[1] = opened;
	cells[2] = ctl_json_str(i, "state");
	cells[3] = ctl_json_str(i, "cause");
	cells[4] = ctl_json_str(json_object_get(i, "device"), "name");
	cells[5] = where;
	cells[6] = ctl_json_text(i, "affected_accounts", n, sizeof(n));
	cells[7] = ctl_incident_ticket(json_object_get(i, "ticket"), tk,
	    sizeof(tk));
	cells[8] = eta;
	cells[9] = ctl_json_str(i, "title");
	ctl_table_add(t, cells);
}

static int
ctl_incidents_run(struct ctl *ctl, int argc, char **argv)
{
	static const char *const hdr[] = { "ID", "OPENED", "STATE", "CAUSE",
	    "DEVICE", "SCOPE", "ACCOUNTS", "TICKET", "ETA", "TITLE", NULL };
	static const struct ctl_qopt opts[] = {
		{ "state", 1, "state", NULL, 0 },
		{ "all", 0, "state", "all", 0 },
		{ "cause", 1, "cause", NULL, 0 },
		{ "device", 1, "device", NULL, 0 },
		{ "region", 1, "region", NULL, 0 },
		{ "since", 1, "since", NULL, 0 },
		{ "until", 1, "until", NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1];

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind != argc)
		return ctl_cmd_usage(&ctl_incidents_cmd);
	return ctl_api_list(ctl, ctl_api_get(ctl, "/api/v1/incidents", q), hdr,
	    ctl_incident_row, "open incidents");
}

static void
ctl_incident_line(const char *label, const char *value)
{
	if (value != NULL && *value != '\0')
		printf("%-11s %s\n", label, value);
}

static void
ctl_incident_show(json_t *i)
{
	char a[64], b[64], c[64], line[512];
	json_t *tk = json_object_get(i, "ticket");
	time_t now = time(NULL);

	snprintf(line, sizeof(line), "#%s %s%s  %s",
	    ctl_json_text(i, "id", a, sizeof(a)), ctl_json_str(i, "state"),
	    json_is_true(json_object_get(i, "planned")) ? " (planned)" : "",
	    ctl_json_str(i, "uid"));
	ctl_incident_line("incident", line);
	ctl_incident_line("title", ctl_json_str(i, "title"));
	ctl_incident_line("cause", ctl_json_str(i, "cause"));
	snprintf(line, sizeof(line), "%s %s %s", ctl_json_str(i, "scope"),
	    ctl_json_str(json_object_get(i, "device"), "name"),
	    ctl_json_place(i, a, sizeof(a)));
	ctl_incident_line("scope", line);
	ctl_json_text(i, "affected_onus", b, sizeof(b));
	snprintf(line, sizeof(line), "%s accounts%s%s%s",
	    ctl_json_text(i, "affected_accounts", a, sizeof(a)),
	    *b ? ", " : "", b, *b ? " ONUs" : "");
	ctl_incident_line("affected", line);
	ctl_time_short(ctl_json_str(i, "opened_at"), now, a, sizeof(a));
	ctl_time_short(ctl_json_str(i, "confirmed_at"), now, b, sizeof(b));
	ctl_time_short(ctl_json_str(i, "resolved_at"), now, c, sizeof(c));
	snprintf(line, sizeof(line), "%s%s%s%s%s", a, *b ? ", confirmed " : "",
	    b, *c ? ", resolved " : "", c);
	ctl_incident_line("opened", line);
	ctl_time_short(ctl_json_str(i, "eta"), now, a, sizeof(a));
	ctl_incident_line("eta", a);
	if (json_is_object(tk)) {
		snprintf(line, sizeof(line), "%s %s%s%s",
		    ctl_incident_ticket(tk, a, sizeof(a)), ctl_json_str(tk,
		    "kind"), *ctl_json_str(tk, "assignee") ? ", assignee " : "",
		    ctl_json_str(tk, "assignee"));
		ctl_incident_line("ticket", line);
	} else
		ctl_incident_line("ticket", "none");
	ctl_incident_line("complaints", ctl_json_text(i, "complaints", a,
	    sizeof(a)));
}

static int
ctl_incident_alarms(json_t *inc)
{
	json_t *alarms = json_object_get(inc, "alarms"), *a;
	struct ctl_table *t;
	char n[24];
	size_t i;

	printf("\nalarms (%s):\n", ctl_json_text(inc, "alarm_count", n,
	    sizeof(n)));
	if (json_array_size(alarms) == 0) {
		printf("no alarms\n");
		return CTL_OK;
	}
	t = ctl_table_new(ctl_alarm_hdr);
	json_array_foreach(alarms, i, a)
		ctl_alarm_row(t, a);
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	return CTL_OK;
}

static void
ctl_account_row(struct ctl_table *t, json_t *a)
{
	json_t *phones = json_object_get(a, "phones"), *place;
	char where[96], pl[64], ph[128];
	const char *cells[6];

	place = json_object_get(a, "place");
	snprintf(where, sizeof(where), "%s %s", ctl_json_str(place, "device"),
	    ctl_json_place(place, pl, sizeof(pl)));
	snprintf(ph, sizeof(ph), "%s%s", json_string_value(json_array_get(
	    phones, 0)) ? json_string_value(json_array_get(phones, 0)) : "",
	    json_array_size(phones) > 1 ? " +" : "");
	cells[0] = ctl_json_str(a, "account");
	cells[1] = ctl_json_str(a, "name");
	cells[2] = ph;
	cells[3] = ctl_json_str(a, "region");
	cells[4] = where;
	cells[5] = ctl_json_str(a, "address");
	ctl_table_add(t, cells);
}

static int
ctl_incident_run(struct ctl *ctl, int argc, char **argv)
{
	static const char *const hdr[] = { "ACCOUNT", "NAME", "PHONE",
	    "REGION", "PLACE", "ADDRESS", NULL };
	static const struct ctl_qopt opts[] = {
		{ "accounts", 0, "accounts", "true", 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1];
	char path[64];
	json_t *res;

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind + 1 != argc ||
	    strspn(argv[optind], "0123456789") != strlen(argv[optind]) ||
	    *argv[optind] == '\0')
		return ctl_cmd_usage(&ctl_incident_cmd);
	/* --accounts is ours, not the API's: it picks the route. */
	if (ctl_api_take(q, "accounts") != NULL) {
		snprintf(path, sizeof(path), "/api/v1/incidents/%s/accounts",
		    argv[optind]);
		return ctl_api_list(ctl, ctl_api_get(ctl, path, q), hdr,
		    ctl_account_row, "accounts");
	}
	snprintf(path, sizeof(path), "/api/v1/incidents/%s", argv[optind]);
	res = ctl_api_get(ctl, path, q);
	if (!ctl_api_json(ctl, res)) {
		ctl_incident_show(res);
		ctl_incident_alarms(res);
	}
	json_decref(res);
	return CTL_OK;
}

const struct ctl_command ctl_alarms_cmd = {
	.name = "alarms", .sub = NULL,
	.usage = "alarms [--state S|--all] [--kind K] [--device D] "
	    "[--region R]",
	.help =
	    "Lists alarms through heraldd's API (default: raised ones).\n"
	    "  --state S      raised or cleared\n"
	    "  --all          every state\n"
	    "  --kind K       pon.los, onu.dying_gasp, dsl.line_down, ...\n"
	    "  --device D     one device, by name\n"
	    "  --region R     the devices of one region\n"
	    "  --since T      --until T: a time window\n"
	    "  --limit N      --offset N: page through the list\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_alarms_run,
};

const struct ctl_command ctl_incidents_cmd = {
	.name = "incidents", .sub = NULL,
	.usage = "incidents [--state S|--all] [--cause C] [--device D] "
	    "[--region R]",
	.help =
	    "Lists incidents through heraldd's API (default: open ones,\n"
	    "i.e. suspected and confirmed).\n"
	    "  --state S      open, suspected, confirmed, resolved,\n"
	    "                 transient or merged\n"
	    "  --all          every state\n"
	    "  --cause C      fibre_cut, power_cut, device_down, ...\n"
	    "  --device D     one device, by name\n"
	    "  --region R     the devices of one region\n"
	    "  --since T      --until T: a time window\n"
	    "  --limit N      --offset N: page through the list\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_incidents_run,
};

const struct ctl_command ctl_incident_cmd = {
	.name = "incident", .sub = NULL,
	.usage = "incident ID [--accounts]   an incident, its alarms and "
	    "ticket",
	.help =
	    "Shows one incident: state, cause, place, alarms, ticket.\n"
	    "  --accounts     list its affected accounts instead\n"
	    "  --limit N      --offset N: page through the list\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_incident_run,
};
