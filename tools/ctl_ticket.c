/*
 * ctl_ticket.c: "heraldctl tickets", "ticket ID [ACTION]" and "complain".
 * A ticket's state is changed only through the API, where the workflow
 * trigger decides whether this token's role may make the step; heraldctl
 * just names the steps the way people say them ("ack", "start").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

extern const struct ctl_command ctl_tickets_cmd;
extern const struct ctl_command ctl_ticket_cmd;
extern const struct ctl_command ctl_complain_cmd;

static const struct {
	const char	*verb;
	const char	*state;
} ctl_ticket_steps[] = {
	{ "ack", "acknowledged" },
	{ "dispatch", "dispatched" },
	{ "start", "in_progress" },
	{ "resolve", "resolved" },
	{ "close", "closed" },
	{ "reopen", "reopened" },
	{ "cancel", "cancelled" },
	{ NULL, NULL }
};

static const char *const ctl_ticket_hdr[] = { "ID", "PRI", "KIND", "STATE",
	"ASSIGNEE", "OPENED", "ETA", "OVERDUE", "TITLE", NULL };

/* The names in a JSON array of strings, ", " between. */
static const char *
ctl_ticket_join(json_t *list, char *buf, size_t len)
{
	json_t *v;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(list, i, v)
		if (n < len && json_is_string(v))
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			    json_string_value(v));
	return buf;
}

static void
ctl_ticket_row(struct ctl_table *t, json_t *tk)
{
	char id[24], pri[24], opened[32], eta[32], overdue[128];
	const char *cells[9];
	time_t now = time(NULL);

	ctl_time_short(ctl_json_str(tk, "opened_at"), now, opened,
	    sizeof(opened));
	ctl_time_short(ctl_json_str(tk, "eta"), now, eta, sizeof(eta));
	cells[0] = ctl_json_text(tk, "id", id, sizeof(id));
	cells[1] = ctl_json_text(tk, "priority", pri, sizeof(pri));
	cells[2] = ctl_json_str(tk, "kind");
	cells[3] = ctl_json_str(tk, "state");
	cells[4] = ctl_json_str(tk, "assignee");
	cells[5] = opened;
	cells[6] = eta;
	cells[7] = ctl_ticket_join(json_object_get(tk, "overdue"), overdue,
	    sizeof(overdue));
	cells[8] = ctl_json_str(tk, "title");
	ctl_table_add(t, cells);
}

static int
ctl_tickets_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_qopt opts[] = {
		{ "overdue", 0, "overdue", "true", 0 },
		{ "state", 1, "state", NULL, 0 },
		{ "all", 0, "state", "all", 0 },
		{ "kind", 1, "kind", NULL, 0 },
		{ "assignee", 1, "assignee", NULL, 0 },
		{ "incident", 1, "incident_id", NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1];

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind != argc)
		return ctl_cmd_usage(&ctl_tickets_cmd);
	return ctl_api_list(ctl, ctl_api_get(ctl, "/api/v1/tickets", q),
	    ctl_ticket_hdr, ctl_ticket_row, "tickets");
}

static void
ctl_ticket_line(const char *label, const char *value)
{
	if (value != NULL && *value != '\0')
		printf("%-11s %s\n", label, value);
}

/* "first_response 12-02 08:30, resolve 12-02 12:00" */
static const char *
ctl_ticket_deadlines(json_t *d, char *buf, size_t len)
{
	const char *name;
	char at[32];
	json_t *v;
	size_t n = 0;

	buf[0] = '\0';
	json_object_foreach(d, name, v) {
		if (!json_is_string(v) || n >= len)
			continue;
		ctl_time_short(json_string_value(v), time(NULL), at,
		    sizeof(at));
		n += snprintf(buf + n, len - n, "%s%s %s", n ? ", " : "", name,
		    at);
	}
	return buf;
}

static void
ctl_ticket_head(json_t *tk)
{
	char a[64], b[64], line[512];
	time_t now = time(NULL);

	snprintf(line, sizeof(line), "#%s %s %s, priority %s%s",
	    ctl_json_text(tk, "id", a, sizeof(a)), ctl_json_str(tk, "kind"),
	    ctl_json_str(tk, "state"), ctl_json_text(tk, "priority", b,
	    sizeof(b)), json_is_true(json_object_get(tk, "planned")) ?
	    ", planned" : "");
	ctl_ticket_line("ticket", line);
	ctl_ticket_line("title", ctl_json_str(tk, "title"));
	ctl_ticket_line("incident", ctl_json_text(tk, "incident_id", a,
	    sizeof(a)));
	ctl_ticket_line("complaint", ctl_json_text(tk, "complaint_id", a,
	    sizeof(a)));
	ctl_ticket_line("parent", ctl_json_text(tk, "parent_id", a, sizeof(a)));
	ctl_ticket_line("team", ctl_json_str(tk, "team"));
	ctl_ticket_line("assignee", ctl_json_str(tk, "assignee"));
	ctl_ticket_line("accounts", ctl_json_text(tk, "affected_accounts", a,
	    sizeof(a)));
	ctl_time_short(ctl_json_str(tk, "eta"), now, a, sizeof(a));
	ctl_ticket_line("eta", a);
	ctl_time_short(ctl_json_str(tk, "opened_at"), now, a, sizeof(a));
	ctl_time_short(ctl_json_str(tk, "updated_at"), now, b, sizeof(b));
	snprintf(line, sizeof(line), "%s, updated %s", a, b);
	ctl_ticket_line("opened", line);
	ctl_ticket_line("deadlines", ctl_ticket_deadlines(json_object_get(tk,
	    "deadlines"), line, sizeof(line)));
	ctl_ticket_line("OVERDUE", ctl_ticket_join(json_object_get(tk,
	    "overdue"), line, sizeof(line)));
}

static void
ctl_ticket_history(json_t *hist)
{
	static const char *const hdr[] = { "AT", "ACTOR", "ROLE", "FROM", "TO",
	    "NOTE", NULL };
	struct ctl_table *t;
	const char *cells[6];
	char at[32];
	json_t *h;
	size_t i;

	if (json_array_size(hist) == 0)
		return;
	printf("\nhistory:\n");
	t = ctl_table_new(hdr);
	json_array_foreach(hist, i, h) {
		ctl_time_short(ctl_json_str(h, "at"), time(NULL), at,
		    sizeof(at));
		cells[0] = at;
		cells[1] = ctl_json_str(h, "actor");
		cells[2] = ctl_json_str(h, "role");
		cells[3] = ctl_json_str(h, "from");
		cells[4] = ctl_json_str(h, "to");
		cells[5] = ctl_json_str(h, "note");
		ctl_table_add(t, cells);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

static void
ctl_ticket_show(json_t *tk)
{
	json_t *children = json_object_get(tk, "children"), *c;
	struct ctl_table *t;
	size_t i;

	ctl_ticket_head(tk);
	ctl_ticket_history(json_object_get(tk, "history"));
	if (json_array_size(children) == 0)
		return;
	printf("\nchildren:\n");
	t = ctl_table_new(ctl_ticket_hdr);
	json_array_foreach(children, i, c)
		ctl_ticket_row(t, c);
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

static const char *
ctl_ticket_step(const char *verb)
{
	size_t i;

	for (i = 0; ctl_ticket_steps[i].verb != NULL; i++)
		if (strcmp(verb, ctl_ticket_steps[i].verb) == 0)
			return ctl_ticket_steps[i].state;
	return NULL;
}

/* Build the POST for "ticket ID VERB ..."; NULL path on bad usage. */
static json_t *
ctl_ticket_action(const char *id, char **ops, int nops, const char **q,
    char *path, size_t len)
{
	const char *to = ctl_ticket_step(ops[0]), *team, *note;
	char eta[64];
	json_t *body = json_object();

	note = ctl_api_take(q, "note");
	team = ctl_api_take(q, "team");
	if (note != NULL)
		json_object_set_new(body, "note", json_string(note));
	path[0] = '\0';
	if (to != NULL && nops == 1 && team == NULL) {
		snprintf(path, len, "/api/v1/tickets/%s/transition", id);
		json_object_set_new(body, "to", json_string(to));
	} else if (strcmp(ops[0], "assign") == 0 && nops == 2) {
		snprintf(path, len, "/api/v1/tickets/%s/assign", id);
		json_object_set_new(body, "assignee", json_string(ops[1]));
		if (team != NULL)
			json_object_set_new(body, "team", json_string(team));
	} else if (strcmp(ops[0], "eta") == 0 && nops == 2 && team == NULL) {
		snprintf(path, len, "/api/v1/tickets/%s/eta", id);
		ctl_time_arg(ops[1], time(NULL), eta, sizeof(eta));
		json_object_set_new(body, "eta", strcmp(ops[1], "none") == 0 ?
		    json_null() : json_string(eta));
	}
	return body;
}

static int
ctl_ticket_change(struct ctl *ctl, const char *id, char **ops, int nops,
    const char **q)
{
	char path[96], a[32], b[32];
	json_t *body, *res;

	body = ctl_ticket_action(id, ops, nops, q, path, sizeof(path));
	if (path[0] == '\0' || q[0] != NULL) {
		json_decref(body);
		return ctl_cmd_usage(&ctl_ticket_cmd);
	}
	res = ctl_api_send(ctl, "POST", path, body);
	json_decref(body);
	if (!ctl_api_json(ctl, res)) {
		ctl_time_short(ctl_json_str(res, "eta"), time(NULL), b,
		    sizeof(b));
		printf("ticket %s: %s, assignee %s, ETA %s\n",
		    ctl_json_text(res, "id", a, sizeof(a)),
		    ctl_json_str(res, "state"), *ctl_json_str(res, "assignee") ?
		    ctl_json_str(res, "assignee") : "none", *b ? b : "not set");
	}
	json_decref(res);
	return CTL_OK;
}

static int
ctl_ticket_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_qopt opts[] = {
		{ "note", 1, "note", NULL, 0 },
		{ "team", 1, "team", NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1], *id;
	char path[64];
	json_t *res;

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind >= argc ||
	    strspn(argv[optind], "0123456789") != strlen(argv[optind]) ||
	    *argv[optind] == '\0')
		return ctl_cmd_usage(&ctl_ticket_cmd);
	id = argv[optind++];
	if (optind < argc)
		return ctl_ticket_change(ctl, id, argv + optind,
		    argc - optind, q);
	if (q[0] != NULL)
		return ctl_cmd_usage(&ctl_ticket_cmd);
	snprintf(path, sizeof(path), "/api/v1/tickets/%s", id);
	res = ctl_api_get(ctl, path, NULL);
	if (!ctl_api_json(ctl, res))
		ctl_ticket_show(res);
	json_decref(res);
	return CTL_OK;
}

static void
ctl_complain_report(json_t *res)
{
	json_t *c = json_object_get(res, "complaint");
	char a[32], b[32], p[32];

	printf("complaint %s: ticket %s opened, priority %s\n",
	    ctl_json_text(c, "id", a, sizeof(a)),
	    ctl_json_text(res, "id", b, sizeof(b)),
	    ctl_json_text(res, "priority", p, sizeof(p)));
	if (*ctl_json_text(c, "incident_id", a, sizeof(a)) != '\0')
		printf("linked to incident %s%s\n", a,
		    json_is_true(json_object_get(c, "pre_notified")) ?
		    " (the customer had been told)" : "");
	if (json_is_true(json_object_get(c, "repeat")))
		printf("a repeat complaint\n");
	if (json_is_true(json_object_get(c, "escalated")))
		printf("escalated\n");
}

static int
ctl_complain_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_qopt opts[] = {
		{ "account", 1, "account", NULL, 0 },
		{ "phone", 1, "phone", NULL, 0 },
		{ "name", 1, "caller_name", NULL, 0 },
		{ "channel", 1, "channel", NULL, 0 },
		{ "category", 1, "category", NULL, 0 },
		{ "sub", 1, "sub_category", NULL, 0 },
		{ "text", 1, "content", NULL, 0 },
		{ "received", 1, "received_at", NULL, 0 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	const char *q[2 * CTL_QOPT_MAX + 1];
	json_t *body, *res;
	char at[64];

	if (ctl_api_opts(ctl, argc, argv, opts, q) != 0 || optind != argc)
		return ctl_cmd_usage(&ctl_complain_cmd);
	body = ctl_api_body(q, opts);
	if ((!json_object_get(body, "account") &&
	    !json_object_get(body, "phone")) || !json_object_get(body,
	    "channel") || !json_object_get(body, "category") ||
	    !json_object_get(body, "content")) {
		json_decref(body);
		ctl_error("complain: --account or --phone, and --channel, "
		    "--category and --text are needed");
		return ctl_cmd_usage(&ctl_complain_cmd);
	}
	if (json_object_get(body, "received_at") != NULL) {
		ctl_time_arg(ctl_json_str(body, "received_at"), time(NULL), at,
		    sizeof(at));
		json_object_set_new(body, "received_at", json_string(at));
	}
	json_object_del(body, "limit");
	json_object_del(body, "offset");
	res = ctl_api_send(ctl, "POST", "/api/v1/complaints", body);
	json_decref(body);
	if (!ctl_api_json(ctl, res))
		ctl_complain_report(res);
	json_decref(res);
	return CTL_OK;
}

const struct ctl_command ctl_tickets_cmd = {
	.name = "tickets", .sub = NULL,
	.usage = "tickets [--overdue] [--state S|--all] [--kind K] "
	    "[--assignee A]",
	.help =
	    "Lists tickets through heraldd's API (default: open ones), most\n"
	    "urgent first.\n"
	    "  --overdue      only those past an SLA deadline\n"
	    "  --state S      open, new, acknowledged, dispatched,\n"
	    "                 in_progress, resolved, closed, reopened\n"
	    "                 or cancelled\n"
	    "  --all          every state\n"
	    "  --kind K       outage, complaint or repair\n"
	    "  --assignee A   one person's tickets\n"
	    "  --incident ID  the tickets of one incident\n"
	    "  --limit N      --offset N: page through the list\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_tickets_run,
};

const struct ctl_command ctl_ticket_cmd = {
	.name = "ticket", .sub = NULL,
	.usage = "ticket ID [ack|dispatch|start|resolve|close|reopen|cancel "
	    "[--note T] | assign WHO [--team T] | eta TIME|none]",
	.help =
	    "Without an action: the ticket, its history and child tickets.\n"
	    "  ack, dispatch, start, resolve, close, reopen, cancel\n"
	    "                 move it to its next state\n"
	    "  assign WHO     give it to WHO\n"
	    "  eta TIME|none  set or clear the expected restoration time\n"
	    "  --note TEXT    a note kept with the step\n"
	    "  --team T       with assign: the team\n"
	    "  --json         the API's JSON as it came\n"
	    "TIME is +2h, +30m, 18:00, 12-03 01:00, 2026-12-03 01:00\n"
	    "(local) or ISO 8601 with an offset.\n",
	.run = ctl_ticket_run,
};

const struct ctl_command ctl_complain_cmd = {
	.name = "complain", .sub = NULL,
	.usage = "complain --account A|--phone P --channel C --category C "
	    "[--sub S] --text T [--name N]",
	.help =
	    "Records a customer's complaint as a ticket; one about a known\n"
	    "outage is linked to it (pre_notified when the customer had\n"
	    "been told).\n"
	    "  --account A    the customer's account, or\n"
	    "  --phone P      the number they called from\n"
	    "  --channel C    hotline, web, email, hall, social, 12345,\n"
	    "                 12315 or miit\n"
	    "  --category C   the complaint's category\n"
	    "  --sub S        its sub-category\n"
	    "  --text T       what the customer said (required)\n"
	    "  --name N       the caller's name\n"
	    "  --received T   when it was received (default: now)\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_complain_run,
};
