/*
 * ctl_lookup.c: "heraldctl lookup ACCOUNT|PHONE|SERIAL", customer service's
 * question "is this caller in an outage?". The agent types whatever the
 * caller gave; the classifier below picks the API parameter, and the answer
 * is a block an agent reads aloud from: in outage or not, why, since when,
 * the ticket's ETA, and what the customer was already sent.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

extern const struct ctl_command ctl_lookup_cmd;

static const char *const ctl_lookup_param[] = {
	[CTL_LOOKUP_ACCOUNT] = "account",
	[CTL_LOOKUP_PHONE] = "phone",
	[CTL_LOOKUP_SERIAL] = "onu_serial",
};

static int
ctl_lookup_digits(const char *s, int seps)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s) &&
		    !(seps && (*s == '-' || *s == ' ')))
			return 0;
	return 1;
}

/*
 * A mobile number is 11 digits; a landline is dialled with its leading 0;
 * +86 is China's code. An ONU serial is a vendor's four letters and eight
 * hex digits (HWTC1A2B3C4D, ZTEGC0FFEE01). Anything else is an account.
 */
enum ctl_lookup_kind
ctl_lookup_classify(const char *s)
{
	size_t i;

	if ((ctl_lookup_digits(s, 0) && strlen(s) == 11) ||
	    (s[0] == '0' && ctl_lookup_digits(s, 1)) ||
	    (strncmp(s, "+86", 3) == 0 && ctl_lookup_digits(s + 3, 1)))
		return CTL_LOOKUP_PHONE;
	if (strlen(s) == 12) {
		for (i = 0; i < 4 && isalpha((unsigned char)s[i]); i++)
			;
		if (i == 4)
			for (; i < 12 && isxdigit((unsigned char)s[i]); i++)
				;
		if (i == 12)
			return CTL_LOOKUP_SERIAL;
	}
	return CTL_LOOKUP_ACCOUNT;
}

static void
ctl_lookup_line(const char *label, const char *value)
{
	printf("%-10s %s\n", label, value);
}

static void
ctl_lookup_place(json_t *acct)
{
	json_t *place = json_object_get(acct, "place");
	char where[64], v[32], line[256];
	const char *serial;

	if (!json_is_object(place)) {
		ctl_lookup_line("place", "unknown");
		return;
	}
	ctl_json_place(place, where, sizeof(where));
	serial = ctl_json_text(place, "serial", v, sizeof(v));
	snprintf(line, sizeof(line), "%s %s%s%s", ctl_json_str(place, "device"),
	    where, *serial ? ", ONU " : "", serial);
	ctl_lookup_line("place", line);
}

static void
ctl_lookup_incident(json_t *inc, time_t now)
{
	json_t *tk = json_object_get(inc, "ticket");
	char id[24], n[24], t[32], eta[32], line[512];

	snprintf(line, sizeof(line), "#%s %s (%s%s, %s accounts): %s",
	    ctl_json_text(inc, "id", id, sizeof(id)),
	    ctl_json_str(inc, "cause"), ctl_json_str(inc, "state"),
	    json_is_true(json_object_get(inc, "planned")) ? ", planned" : "",
	    ctl_json_text(inc, "affected_accounts", n, sizeof(n)),
	    ctl_json_str(inc, "title"));
	ctl_lookup_line("incident", line);
	ctl_time_short(json_string_value(json_object_get(inc, "since")), now, t,
	    sizeof(t));
	ctl_lookup_line("since", t);
	if (!json_is_object(tk)) {
		ctl_lookup_line("ticket", "none yet");
		return;
	}
	ctl_time_short(json_string_value(json_object_get(tk, "eta")), now, eta,
	    sizeof(eta));
	snprintf(line, sizeof(line), "#%s %s, ETA %s",
	    ctl_json_text(tk, "id", id, sizeof(id)),
	    ctl_json_str(tk, "state"), *eta ? eta : "not set");
	ctl_lookup_line("ticket", line);
}

static void
ctl_lookup_messages(json_t *acct, time_t now)
{
	json_t *list = json_object_get(acct, "notifications"), *m;
	char at[32], line[256];
	size_t i;

	if (json_array_size(list) == 0) {
		ctl_lookup_line("messages", "none sent");
		return;
	}
	json_array_foreach(list, i, m) {
		ctl_time_short(json_string_value(json_object_get(m, "sent_at")),
		    now, at, sizeof(at));
		snprintf(line, sizeof(line), "%s %s %s",
		    ctl_json_str(m, "kind"), ctl_json_str(m, "state"), at);
		ctl_lookup_line(i == 0 ? "messages" : "", line);
	}
}

static void
ctl_lookup_account(json_t *acct, time_t now)
{
	json_t *phones = json_object_get(acct, "phones"), *p, *inc;
	char line[512], v[32];
	size_t i, n = 0;

	snprintf(line, sizeof(line), "%s%s%s",
	    ctl_json_text(acct, "account", v, sizeof(v)),
	    *ctl_json_str(acct, "name") ? "  " : "",
	    ctl_json_str(acct, "name"));
	ctl_lookup_line("account", line);
	line[0] = '\0';
	json_array_foreach(phones, i, p)
		if (n < sizeof(line) && json_is_string(p))
			n += snprintf(line + n, sizeof(line) - n, "%s%s",
			    n ? ", " : "", json_string_value(p));
	ctl_lookup_line("phones", n ? line : "none");
	ctl_lookup_place(acct);
	ctl_lookup_line("status", json_is_true(json_object_get(acct,
	    "in_outage")) ? "IN OUTAGE" : "no known outage");
	json_array_foreach(json_object_get(acct, "incidents"), i, inc)
		ctl_lookup_incident(inc, now);
	ctl_lookup_messages(acct, now);
}

static int
ctl_lookup_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "account", no_argument, NULL, 'a' },
		{ "phone", no_argument, NULL, 'p' },
		{ "serial", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, kind = -1;
	const char *q[3];
	json_t *res, *acct;
	size_t i;

	while ((ch = getopt_long(argc, argv, "apsj", longopts, NULL)) != -1) {
		if (ch == 'a')
			kind = CTL_LOOKUP_ACCOUNT;
		else if (ch == 'p')
			kind = CTL_LOOKUP_PHONE;
		else if (ch == 's')
			kind = CTL_LOOKUP_SERIAL;
		else if (ch == 'j')
			ctl->json = 1;
		else
			return ctl_cmd_usage(&ctl_lookup_cmd);
	}
	if (optind + 1 != argc || argv[optind][0] == '\0')
		return ctl_cmd_usage(&ctl_lookup_cmd);
	if (kind < 0)
		kind = ctl_lookup_classify(argv[optind]);
	q[0] = ctl_lookup_param[kind];
	q[1] = argv[optind];
	q[2] = NULL;
	res = ctl_api_get(ctl, "/api/v1/lookup", q);
	if (!ctl_api_json(ctl, res))
		json_array_foreach(json_object_get(res, "accounts"), i, acct) {
			if (i > 0)
				printf("\n");
			ctl_lookup_account(acct, time(NULL));
		}
	json_decref(res);
	return CTL_OK;
}

const struct ctl_command ctl_lookup_cmd = {
	.name = "lookup", .sub = NULL,
	.usage = "lookup [--account|--phone|--serial] ACCOUNT|PHONE|SERIAL   "
	    "is this customer in an outage?",
	.help =
	    "Is this customer in an outage, why, since and until when, and\n"
	    "were they told? Without an option the argument decides: 11\n"
	    "digits or a number starting with 0 or +86 is a phone; four\n"
	    "letters and eight hex digits an ONU serial; anything else an\n"
	    "account.\n"
	    "  --account      --phone     --serial: say which it is\n"
	    "  --json         the API's JSON as it came\n",
	.run = ctl_lookup_run,
};
