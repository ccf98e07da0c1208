/*
 * ctl_token.c: "heraldctl token add|list|revoke", the API's bearer tokens.
 * These talk to PostgreSQL directly: making the first token cannot need a
 * token. The database keeps only the SHA-256 of a token (api_tokens,
 * schema/060_api.sql), so a token is shown once, when it is made, and a
 * stolen database copy holds nothing that opens the API.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "ctl.h"
#include "xmalloc.h"

#define CTL_TOKEN_BYTES	32

static const char *const ctl_token_roles[] = {
	"noc", "cs", "admin", "gateway", NULL
};

int
ctl_token_make(char tok[CTL_TOKEN_LEN + 1])
{
	unsigned char raw[CTL_TOKEN_BYTES];
	unsigned char b64[4 * ((CTL_TOKEN_BYTES + 2) / 3) + 1];
	size_t got = 0, i;
	ssize_t n;

	while (got < sizeof(raw)) {
		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	/* Standard base64, then the URL alphabet and no '=' padding. */
	EVP_EncodeBlock(b64, raw, sizeof(raw));
	memcpy(tok, "hrd_", 4);
	for (i = 0; i < CTL_TOKEN_LEN - 4; i++)
		tok[4 + i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	tok[CTL_TOKEN_LEN] = '\0';
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b64, sizeof(b64));
	return 0;
}

void
ctl_token_hash(const char *tok, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	EVP_Digest(tok, strlen(tok), md, &len, EVP_sha256(), NULL);
	for (i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

static int
ctl_token_role_ok(const char *role)
{
	size_t i;

	for (i = 0; ctl_token_roles[i] != NULL; i++)
		if (strcmp(role, ctl_token_roles[i]) == 0)
			return 1;
	return 0;
}

/* The SQL error as people should read it; 23505 is the active name. */
static int
ctl_token_sql_fail(PGresult *res, const char *name)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (state != NULL && strcmp(state, "23505") == 0)
		ctl_error("a token named \"%s\" is already active; revoke it "
		    "first (heraldctl token revoke %s)", name, name);
	else
		ctl_error("api_tokens: %s", msg ? msg : "failed");
	PQclear(res);
	return CTL_FAIL;
}

static int
ctl_token_add_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	char tok[CTL_TOKEN_LEN + 1], hex[65];
	const char *role = NULL, *p[3];
	PGresult *res;
	PGconn *conn;
	int ch;

	optind = 0;	/* afresh, permuting: "token add NAME --role R" */
	while ((ch = getopt_long(argc, argv, "r:", longopts, NULL)) != -1) {
		if (ch != 'r')
			return CTL_USAGE;
		role = optarg;
	}
	if (optind + 1 != argc || role == NULL || argv[optind][0] == '\0')
		return CTL_USAGE;
	if (!ctl_token_role_ok(role)) {
		ctl_error("role \"%s\": not one of noc, cs, admin, gateway",
		    role);
		return CTL_USAGE;
	}
	if (ctl_token_make(tok) != 0) {
		ctl_error("getrandom: %m");
		return CTL_FAIL;
	}
	ctl_token_hash(tok, hex);
	p[0] = argv[optind];
	p[1] = role;
	p[2] = hex;
	conn = ctl_connect(ctl);
	res = PQexecParams(conn, "INSERT INTO api_tokens (name, role, "
	    "token_sha256) VALUES ($1, $2, $3) RETURNING id", 3, NULL, p, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQfinish(conn);
		return ctl_token_sql_fail(res, argv[optind]);
	}
	printf("%s\n", tok);
	fflush(stdout);
	fprintf(stderr, "token %s for %s (role %s) made; it cannot be shown "
	    "again: store it now\n", PQgetvalue(res, 0, 0), p[0], role);
	explicit_bzero(tok, sizeof(tok));
	PQclear(res);
	PQfinish(conn);
	return CTL_OK;
}

static void
ctl_token_row(PGresult *res, int row, struct ctl_table *t)
{
	char created[32], revoked[32];
	const char *cells[6];
	time_t now = time(NULL);

	ctl_time_short(PQgetvalue(res, row, 3), now, created, sizeof(created));
	ctl_time_short(PQgetisnull(res, row, 4) ? NULL :
	    PQgetvalue(res, row, 4), now, revoked, sizeof(revoked));
	cells[0] = PQgetvalue(res, row, 0);
	cells[1] = PQgetvalue(res, row, 1);
	cells[2] = PQgetvalue(res, row, 2);
	cells[3] = created;
	cells[4] = PQgetvalue(res, row, 5);
	cells[5] = revoked;
	ctl_table_add(t, cells);
}

static int
ctl_token_list_run(struct ctl *ctl, int argc, char **argv)
{
	static const char *const hdr[] = { "ID", "NAME", "ROLE", "CREATED",
	    "BY", "REVOKED", NULL };
	struct ctl_table *t;
	PGresult *res;
	PGconn *conn;
	int i;

	if (argc != 1)
		return CTL_USAGE;
	conn = ctl_connect(ctl);
	/* Never the hash: it is all an attacker needs to test guesses. */
	res = PQexecParams(conn, "SELECT id, name, role, "
	    "to_json(created_at)#>>'{}', to_json(revoked_at)#>>'{}', "
	    "created_by FROM api_tokens ORDER BY id", 0, NULL, NULL, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQfinish(conn);
		return ctl_token_sql_fail(res, "");
	}
	if (PQntuples(res) == 0)
		printf("no tokens\n");
	else {
		t = ctl_table_new(hdr);
		for (i = 0; i < PQntuples(res); i++)
			ctl_token_row(res, i, t);
		ctl_table_print(t, stdout);
		ctl_table_free(t);
	}
	PQclear(res);
	PQfinish(conn);
	return CTL_OK;
}

static int
ctl_token_revoke_run(struct ctl *ctl, int argc, char **argv)
{
	const char *p[1];
	PGresult *res;
	PGconn *conn;

	if (argc != 2)
		return CTL_USAGE;
	p[0] = argv[1];
	conn = ctl_connect(ctl);
	/* Digits are an id; a name is matched among the active tokens. */
	res = PQexecParams(conn, "UPDATE api_tokens SET revoked_at = now() "
	    "WHERE revoked_at IS NULL AND CASE WHEN $1 ~ '^[0-9]+$' "
	    "THEN id = $1::bigint ELSE name = $1 END RETURNING id, name", 1,
	    NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQfinish(conn);
		return ctl_token_sql_fail(res, p[0]);
	}
	if (PQntuples(res) == 0) {
		ctl_error("no active token %s", p[0]);
		PQclear(res);
		PQfinish(conn);
		return CTL_FAIL;
	}
	printf("revoked token %s (%s)\n", PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1));
	PQclear(res);
	PQfinish(conn);
	return CTL_OK;
}

const struct ctl_command ctl_token_add = {
	.name = "token", .sub = "add",
	.usage = "token add NAME --role noc|cs|admin|gateway   "
	    "make an API token",
	.help =
	    "Makes a bearer token for heraldd's API and prints it once; the\n"
	    "database keeps only its SHA-256.\n"
	    "  --role ROLE    noc, cs, admin or gateway (required)\n",
	.run = ctl_token_add_run,
};

const struct ctl_command ctl_token_list = {
	.name = "token", .sub = "list",
	.usage = "token list                  API tokens (never the token)",
	.help =
	    "Lists the tokens (id, name, role, created, by, revoked); never\n"
	    "the tokens themselves.\n",
	.run = ctl_token_list_run,
};

const struct ctl_command ctl_token_revoke = {
	.name = "token", .sub = "revoke",
	.usage = "token revoke NAME|ID        revoke an API token",
	.help =
	    "Revokes the token with this name or id.\n",
	.run = ctl_token_revoke_run,
};
