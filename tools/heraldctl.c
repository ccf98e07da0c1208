/*
 * heraldctl.c: the command-line tool for NOC, customer service and the
 * administrator. Dispatches to the command table below.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"

extern const struct ctl_command ctl_db_migrate;
extern const struct ctl_command ctl_db_status;
extern const struct ctl_command ctl_inventory_import;
extern const struct ctl_command ctl_inventory_status;
extern const struct ctl_command ctl_inventory_errors;
extern const struct ctl_command ctl_snmp_get;
extern const struct ctl_command ctl_snmp_walk;
extern const struct ctl_command ctl_profile_test_cmd;
extern const struct ctl_command ctl_replay_cmd;
extern const struct ctl_command ctl_template_preview_cmd;

static const struct ctl_command *const ctl_commands[] = {
	&ctl_db_migrate,
	&ctl_db_status,
	&ctl_inventory_import,
	&ctl_inventory_status,
	&ctl_inventory_errors,
	&ctl_snmp_get,
	&ctl_snmp_walk,
	&ctl_profile_test_cmd,
	&ctl_replay_cmd,
	&ctl_template_preview_cmd,
	NULL
};

static void
ctl_usage(void)
{
	size_t i;

	fprintf(stderr, "usage: heraldctl [-c file] [-d conninfo] [-s schema-dir] "
	    "command ...\ncommands:\n");
	for (i = 0; ctl_commands[i] != NULL; i++)
		fprintf(stderr, "  %s\n", ctl_commands[i]->usage);
	exit(CTL_USAGE);
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

int
main(int argc, char **argv)
{
	struct ctl ctl;
	const struct ctl_command *cmd;
	const char *env;
	int ch, used, rc;

	memset(&ctl, 0, sizeof(ctl));
	log_init(1, LOG_LEVEL_WARNING, 0);
	ctl.conf_path = SYSCONFDIR "/herald/herald.conf";
	ctl.schema_dir = (env = getenv("HERALD_SCHEMA_DIR")) ? env :
	    PKGDATADIR "/schema";
	while ((ch = getopt(argc, argv, "+c:d:s:h")) != -1) {
		switch (ch) {
		case 'c':
			ctl.conf_path = optarg;
			break;
		case 'd':
			ctl.conninfo = optarg;
			break;
		case 's':
			ctl.schema_dir = optarg;
			break;
		default:
			ctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (cmd = ctl_find(argc, argv, &used)) == NULL)
		ctl_usage();
	/* Commands see their own arguments, getopt-ready (argv[0] = name). */
	optind = 1;
	rc = cmd->run(&ctl, argc - used + 1, argv + used - 1);
	conf_free(ctl.conf);
	return rc;
}
