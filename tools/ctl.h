/*
 * ctl.h: heraldctl's commands. Each command file exports one descriptor;
 * tools/heraldctl.c lists them. heraldctl is a command-line tool, so unlike
 * heraldd it may block on the database.
 */
#ifndef HERALD_CTL_H
#define HERALD_CTL_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

struct ctl {
	const char	*conf_path;
	const char	*conninfo;	/* -d, or from the configuration */
	const char	*schema_dir;
	struct herald_conf *conf;	/* loaded on demand */
	int		 json;		/* --json: the API's JSON, not tables */
};

struct ctl_command {
	const char	*name;		/* "db" */
	const char	*sub;		/* "migrate", or NULL */
	const char	*usage;
	const char	*help;		/* options, for COMMAND --help; or NULL */
	int		 (*run)(struct ctl *, int argc, char **argv);
};

/* Exit statuses. */
#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	64
#define CTL_UNAVAILABLE	69	/* heraldd cannot be reached */
#define CTL_NOPERM	77	/* no token, or the API said 401/403 */

/* The configuration, loaded on first use; exits 78 when it is broken. */
struct herald_conf *ctl_conf(struct ctl *);
/* A blocking connection for the command; exits with a message on failure. */
PGconn		*ctl_connect(struct ctl *);
/* Print "usage: heraldctl USAGE" and return CTL_USAGE. */
int		 ctl_cmd_usage(const struct ctl_command *);
/* Print an error as "heraldctl: ..." on stderr. */
void		 ctl_error(const char *, ...) __attribute__((format(printf, 1, 2)));

/* ctl_api.c: heraldd's HTTP API. Any failure prints and exits (1, 69, 77). */
/* GET PATH?QUERY; query is name, value pairs ending in NULL, NULL values
 * are left out. Returns the decoded body. */
json_t		*ctl_api_get(struct ctl *, const char *, const char *const *);
/* POST or DELETE PATH with a JSON body (or NULL); body is not stolen. */
json_t		*ctl_api_send(struct ctl *, const char *, const char *,
		    json_t *);
/* With --json, print the body pretty on stdout and return 1. */
int		 ctl_api_json(struct ctl *, json_t *);
struct ctl_table;
/* Print a list answer ({"items": [...], "total"}) with one row callback;
 * "no WHAT" when it is empty. Consumes res. */
int		 ctl_api_list(struct ctl *, json_t *, const char *const *,
		    void (*)(struct ctl_table *, json_t *), const char *);
/* A command's options that become query parameters or body members. */
#define CTL_QOPT_MAX	16
struct ctl_qopt {
	const char	*name;		/* --state */
	int		 arg;		/* takes a value */
	const char	*param;		/* its parameter; NULL for --json */
	const char	*value;		/* the value when it takes none */
	int		 num;		/* a number in a JSON body */
};
/* Parse the options (a table ending in a NULL name; --limit, --offset,
 * --json are added) into q, name/value pairs ending in NULL, with room for
 * 2 * CTL_QOPT_MAX + 1. Operands are left at argv[optind...]; -1 on a bad
 * option. */
int		 ctl_api_opts(struct ctl *, int, char **,
		    const struct ctl_qopt *, const char **);
/* Remove PARAM from the pairs and return its value (NULL: not there). */
const char	*ctl_api_take(const char **, const char *);
/* The pairs as a JSON object, numbers where the table says so. */
json_t		*ctl_api_body(const char *const *, const struct ctl_qopt *);
/* A string member, "" when it is absent or not a string. */
const char	*ctl_json_str(json_t *, const char *);
/* A member as text whatever its JSON type ("" for null or absent). */
const char	*ctl_json_text(json_t *, const char *, char *, size_t);
/* frame/slot/port:onu splitter of an object, as far as it has them. */
const char	*ctl_json_place(json_t *, char *, size_t);

/* ctl_table.c: tables aligned by display width (CJK is two columns). */
#define CTL_TABLE_MAXW	40	/* display columns before a cell is cut */
/* Make LC_CTYPE a UTF-8 one, whatever the environment says. */
void		 ctl_table_locale(void);
/* Columns named by a NULL-terminated list of headers. */
struct ctl_table *ctl_table_new(const char *const *);
/* Cap one column's width (display columns, at least 2). */
void		 ctl_table_maxw(struct ctl_table *, size_t, size_t);
/* One row; cells are copied, a NULL cell is shown empty. */
void		 ctl_table_add(struct ctl_table *, const char *const *);
size_t		 ctl_table_rows(const struct ctl_table *);
void		 ctl_table_print(const struct ctl_table *, FILE *);
void		 ctl_table_free(struct ctl_table *);
/* The display width of a UTF-8 string. */
size_t		 ctl_text_width(const char *);
/* Copy s into buf, cut to maxw display columns with "…" when longer. */
void		 ctl_text_fit(const char *, size_t, char *, size_t);

/* ctl_time.c: times as people read and type them. */
/* An API time (ISO 8601 with offset) as local "12-02 08:15" ("" for
 * NULL; with the year when it is not this year's). */
void		 ctl_time_short(const char *, time_t, char *, size_t);
/* A time typed by a person ("+2h", "18:00", "12-02 18:00",
 * "2026-12-02 18:00") as ISO 8601 with the local offset; anything else is
 * copied as typed for the API to judge. */
void		 ctl_time_arg(const char *, time_t, char *, size_t);

/* ctl_lookup.c */
enum ctl_lookup_kind {
	CTL_LOOKUP_ACCOUNT,
	CTL_LOOKUP_PHONE,
	CTL_LOOKUP_SERIAL,
};
/* Which lookup parameter a typed string is meant for. */
enum ctl_lookup_kind ctl_lookup_classify(const char *);

/* ctl_token.c */
#define CTL_TOKEN_LEN	47	/* "hrd_" + 43 base64url characters */
/* A new token from 32 bytes of getrandom(); 0, or -1 with errno. */
int		 ctl_token_make(char [CTL_TOKEN_LEN + 1]);
/* The lower-case hex SHA-256 heraldd keeps instead of the token. */
void		 ctl_token_hash(const char *, char [65]);

#endif
