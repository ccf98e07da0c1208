/*
 * ctl.h: heraldctl's commands. Each command file exports one descriptor;
 * tools/heraldctl.c lists them. heraldctl is a command-line tool, so unlike
 * heraldd it may block on the database.
 */
#ifndef HERALD_CTL_H
#define HERALD_CTL_H

#include <libpq-fe.h>

struct ctl {
	const char	*conf_path;
	const char	*conninfo;	/* -d, or from the configuration */
	const char	*schema_dir;
	struct herald_conf *conf;	/* loaded on demand */
};

struct ctl_command {
	const char	*name;		/* "db" */
	const char	*sub;		/* "migrate", or NULL */
	const char	*usage;
	int		 (*run)(struct ctl *, int argc, char **argv);
};

/* Exit statuses. */
#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	64

/* The configuration, loaded on first use; exits 78 when it is broken. */
struct herald_conf *ctl_conf(struct ctl *);
/* A blocking connection for the command; exits with a message on failure. */
PGconn		*ctl_connect(struct ctl *);
/* Print an error as "heraldctl: ..." on stderr. */
void		 ctl_error(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
