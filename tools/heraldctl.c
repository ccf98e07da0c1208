/*
 * heraldctl.c: the command-line tool for NOC, customer service and the
 * administrator. Dispatches to the command table below.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"

extern const struct ctl_command ctl_db_migrate;
extern const struct ctl_command ctl_db_status;
extern const struct ctl_command ctl_token_add;
extern const struct ctl_command ctl_token_list;
extern const struct ctl_command ctl_token_revoke;
extern const struct ctl_command ctl_alarms_cmd;
extern const struct ctl_command ctl_incidents_cmd;
extern const struct ctl_command ctl_incident_cmd;
extern const struct ctl_command ctl_lookup_cmd;
extern const struct ctl_command ctl_tickets_cmd;
extern const struct ctl_command ctl_ticket_cmd;
extern const struct ctl_command ctl_complain_cmd;
extern const struct ctl_command ctl_maint_add;
extern const struct ctl_command ctl_maint_list;
extern const struct ctl_command ctl_maint_rm;
extern const struct ctl_command ctl_inventory_import;
extern const struct ctl_command ctl_inventory_status;
extern const struct ctl_command ctl_inventory_errors;
extern const struct ctl_command ctl_snmp_get;
extern const struct ctl_command ctl_snmp_walk;
extern const struct ctl_command ctl_profile_test_cmd;
extern const struct ctl_command ctl_replay_cmd;
extern const struct ctl_command ctl_template_preview_cmd;
extern const struct ctl_command ctl_cluster_drain;
extern const struct ctl_command ctl_cluster_undrain;
extern const struct ctl_command ctl_cluster_cmd;

static const struct ctl_command *const ctl_commands[] = {
	&ctl_db_migrate,
	&ctl_db_status,
	&ctl_token_add,
	&ctl_token_list,
	&ctl_token_revoke,
	&ctl_alarms_cmd,
	&ctl_incidents_cmd,
	&ctl_incident_cmd,
	&ctl_lookup_cmd,
	&ctl_tickets_cmd,
	&ctl_ticket_cmd,
	&ctl_complain_cmd,
	&ctl_maint_add,
	&ctl_maint_list,
	&ctl_maint_rm,
	&ctl_inventory_import,
	&ctl_inventory_status,
	&ctl_inventory_errors,
	&ctl_snmp_get,
	&ctl_snmp_walk,
	&ctl_profile_test_cmd,
	&ctl_replay_cmd,
	&ctl_template_preview_cmd,
	/* "cluster drain" before "cluster": the first match wins. */
	&ctl_cluster_drain,
	&ctl_cluster_undrain,
	&ctl_cluster_cmd,
	NULL
};

/* heraldctl --help (stdout, 0) or a usage error (stderr, 64). */
static void __attribute__((noreturn))
ctl_usage(FILE *f, int rc)
{
	size_t i;

	fprintf(f, "usage: heraldctl [-c file] [-d conninfo] [-s schema-dir] "
	    "[--json] command ...\n"
	    "       heraldctl command --help\ncommands:\n");
	for (i = 0; ctl_commands[i] != NULL; i++)
		fprintf(f, "  %s\n", ctl_commands[i]->usage);
	exit(rc);
}

int
ctl_cmd_usage(const struct ctl_command *c)
{
	fprintf(stderr, "usage: heraldctl %s\n", c->usage);
	return CTL_USAGE;
}

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "heraldctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

struct herald_conf *
ctl_conf(struct ctl *ctl)
{
	if (ctl->conf == NULL && (ctl->conf = conf_load(ctl->conf_path)) == NULL)
		exit(HERALD_EX_CONFIG);
	return ctl->conf;
}

PGconn *
ctl_connect(struct ctl *ctl)
{
	const char *ci = ctl->conninfo ? ctl->conninfo : ctl_conf(ctl)->db_conninfo;
	PGconn *conn = PQconnectdb(ci);
	PGresult *res;

	if (PQstatus(conn) != CONNECTION_OK) {
		ctl_error("cannot connect to the database: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		exit(CTL_FAIL);
	}
	res = PQexec(conn, "SET client_min_messages = warning");
	PQclear(res);
	return conn;
}

static const struct ctl_command *
ctl_find(int argc, char **argv, int *used)
{
	size_t i;

	for (i = 0; ctl_commands[i] != NULL; i++) {
		const struct ctl_command *c = ctl_commands[i];

		if (strcmp(c->name, argv[0]) != 0)
			continue;
		if (c->sub == NULL) {
			*used = 1;
			return c;
		}
		if (argc > 1 && strcmp(c->sub, argv[1]) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

/* -h or --help among a command's own arguments (before any "--"). */
static int
ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/*
 * heraldctl COMMAND [SUB] --help: the usage and options of the command, or
 * of every command named COMMAND when no SUB was given ("db --help").
 */
static void __attribute__((noreturn))
ctl_help(const struct ctl_command *cmd, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; ctl_commands[i] != NULL; i++) {
		const struct ctl_command *c = ctl_commands[i];

		if (cmd != NULL ? c != cmd : strcmp(c->name, name) != 0)
			continue;
		printf("%susage: heraldctl %s\n", n++ ? "\n" : "", c->usage);
		if (c->help != NULL)
			fputs(c->help, stdout);
	}
	if (n == 0)
		ctl_usage(stderr, CTL_USAGE);
	exit(CTL_OK);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl;
	const struct ctl_command *cmd;
	const char *env;
	int ch, used, rc;

	memset(&ctl, 0, sizeof(ctl));
	log_init(1, LOG_LEVEL_WARNING, 0);
	ctl.conf_path = SYSCONFDIR "/herald/herald.conf";
	ctl.schema_dir = (env = getenv("HERALD_SCHEMA_DIR")) ? env :
	    PKGDATADIR "/schema";
	ctl_table_locale();
	while ((ch = getopt_long(argc, argv, "+c:d:s:hj", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctl.json = 1;
			break;
		case 'c':
			ctl.conf_path = optarg;
			break;
		case 'd':
			ctl.conninfo = optarg;
			break;
		case 's':
			ctl.schema_dir = optarg;
			break;
		case 'h':
			ctl_usage(stdout, CTL_OK);
		default:
			ctl_usage(stderr, CTL_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		ctl_usage(stderr, CTL_USAGE);
	cmd = ctl_find(argc, argv, &used);
	if (ctl_wants_help(argc - 1, argv + 1))
		ctl_help(cmd, argv[0]);
	if (cmd == NULL)
		ctl_usage(stderr, CTL_USAGE);
	/* Commands see their own arguments, getopt-ready (argv[0] = name). */
	optind = 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd->run(&ctl, argc - used + 1, argv + used - 1);
	conf_free(ctl.conf);
	curl_global_cleanup();
	return rc;
}
