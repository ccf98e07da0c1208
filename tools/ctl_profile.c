/*
 * ctl_profile.c: "heraldctl profile test", for the operator writing a
 * profile for new equipment: feed it a capture (pcap) or a trap written as
 * text, and it shows the decoded notification, which profile and rule
 * match, and the event heraldd would store. The text form is parsed by
 * net-snmp itself (read_objid, snmp_add_var), as snmptrap would.
 */
#include "config.h"

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "profile.h"
#include "snmplib.h"
#include "trapmsg.h"
#include "xmalloc.h"

#define CTL_PROFILE_MAX_CANDS	32

struct ctl_profile {
	struct profile_set	*set;
	struct profile_device	 dev;
	const struct profile	*cands[CTL_PROFILE_MAX_CANDS];
	size_t			 ncands;
	int			 matched, unmatched, bad;
};

static void
ctl_profile_loc(const char *name, long long v)
{
	if (v != EVENT_LOC_UNSET)
		printf(" %s=%lld", name, v);
}

/* The ONUs an ONU mask names: one event each. */
static void
ctl_profile_onus(const struct profile_match *m)
{
	long long onu;
	const char *sep = " onus=";

	for (onu = profile_mask_next(m, 0); onu >= 0;
	    onu = profile_mask_next(m, onu + 1), sep = ",")
		printf("%s%lld", sep, onu);
}

static void
ctl_profile_show(struct ctl_profile *cp, const netsnmp_pdu *pdu)
{
	struct profile_match m;
	struct trapmsg tm;
	char *vb, *line;

	if (trapmsg_decode(pdu, &tm) != 0) {
		printf("  not usable: %s\n", tm.error);
		cp->bad++;
		return;
	}
	printf("  pdu: %s", tm.pdu_name);
	if (pdu->version != SNMP_VERSION_3 && pdu->community != NULL)
		printf(", community \"%.*s\"", (int)pdu->community_len,
		    pdu->community);
	printf("\n  trap oid: %s\n", tm.trap_oid_text);
	vb = trapmsg_varbinds_text(tm.vars);
	printf("  varbinds:%s", vb[0] ? "" : " (none)");
	for (line = strtok(vb, "\n"); line != NULL; line = strtok(NULL, "\n"))
		printf("\n    %s", line);
	printf("\n");
	free(vb);
	if (!trapmsg_match(&tm, cp->cands, cp->ncands, &m)) {
		printf("  no profile rule matches: heraldd keeps it as a raw "
		    "event (counted as unknown_trap)\n");
		cp->unmatched++;
		return;
	}
	cp->matched++;
	printf("  profile: %s (%s)\n  rule: %s%s\n", profile_name(m.profile),
	    profile_file(m.profile), m.rule,
	    m.verified ? "" : " (marked UNVERIFIED in the profile)");
	if (m.bad_field != NULL) {
		printf("  event: none: %s %s is out of range; kept as a raw "
		    "event (counted as bad_location)\n", m.bad_field,
		    m.bad_value);
		return;
	}
	if (m.action == EVENT_RAW) {
		printf("  event: none: the action varbind has a value the rule "
		    "does not map; kept as a raw event\n");
		return;
	}
	printf("  event: kind=%s action=%s", m.kind, events_action_name(m.action));
	if (m.cause != NULL)
		printf(" cause=%s", m.cause);
	ctl_profile_loc("frame", m.loc.frame);
	ctl_profile_loc("slot", m.loc.slot);
	ctl_profile_loc("port", m.loc.port);
	ctl_profile_loc("onu", m.loc.onu);
	ctl_profile_loc("line", m.loc.line);
	ctl_profile_loc("ifindex", m.loc.if_index);
	ctl_profile_loc("affected_onus", m.affected_onus);
	ctl_profile_loc("dying_gasp_onus", m.dying_gasp_onus);
	ctl_profile_onus(&m);
	printf("\n");
}

/* Split on blanks; "double quotes" keep a value with blanks together. */
static size_t
ctl_profile_words(char *s, char **w, size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		if (*s == '"') {
			w[n++] = ++s;
			s += strcspn(s, "\"");
		} else {
			w[n++] = s;
			s += strcspn(s, " \t\n");
		}
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

/* "OID [NAME TYPE VALUE]...", types as snmptrap: i u t a o s x d b n ... */
static int
ctl_profile_text(struct ctl_profile *cp, char **words, size_t n)
{
	static const oid trapoid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
	static const oid uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
	oid name[MAX_OID_LEN];
	size_t len, i;
	netsnmp_pdu *pdu;

	if (n == 0 || (n - 1) % 3 != 0) {
		ctl_error("--trap wants OID followed by NAME TYPE VALUE triples");
		return CTL_USAGE;
	}
	pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
	pdu->version = SNMP_VERSION_2c;
	snmp_add_var(pdu, uptime, sizeof(uptime) / sizeof(*uptime), 't', "0");
	if (snmp_add_var(pdu, trapoid, sizeof(trapoid) / sizeof(*trapoid), 'o',
	    words[0]) != 0) {
		ctl_error("%s: not an OID", words[0]);
		snmp_free_pdu(pdu);
		return CTL_USAGE;
	}
	for (i = 1; i < n; i += 3) {
		len = MAX_OID_LEN;
		if (read_objid(words[i], name, &len) == 0) {
			ctl_error("%s: not an OID", words[i]);
			snmp_free_pdu(pdu);
			return CTL_USAGE;
		}
		if (snmp_add_var(pdu, name, len, words[i + 1][0],
		    words[i + 2]) != 0) {
			ctl_error("%s %s %s: %s", words[i], words[i + 1],
			    words[i + 2], snmp_api_errstring(snmp_errno));
			snmp_free_pdu(pdu);
			return CTL_USAGE;
		}
	}
	printf("trap (text):\n");
	ctl_profile_show(cp, pdu);
	snmp_free_pdu(pdu);
	return CTL_OK;
}

/* The UDP payload of an Ethernet, Linux cooked, raw or loopback frame. */
static const u_char *
ctl_profile_udp(int dlt, const u_char *p, size_t caplen, size_t *len,
    char *src, size_t srclen)
{
	size_t off, ihl;
	int v;

	switch (dlt) {
	case DLT_EN10MB:	off = 14; break;
	case DLT_LINUX_SLL:	off = 16; break;
	case DLT_NULL:		off = 4; break;
	case DLT_RAW:		off = 0; break;
	default:		return NULL;
	}
	if (caplen < off + 20)
		return NULL;
	v = p[off] >> 4;
	if (v == 4) {
		ihl = (size_t)(p[off] & 0x0f) * 4;
		if (p[off + 9] != IPPROTO_UDP || caplen < off + ihl + 8)
			return NULL;
		inet_ntop(AF_INET, p + off + 12, src, (socklen_t)srclen);
		off += ihl;
	} else if (v == 6) {
		if (caplen < off + 48 || p[off + 6] != IPPROTO_UDP)
			return NULL;
		inet_ntop(AF_INET6, p + off + 8, src, (socklen_t)srclen);
		off += 40;
	} else
		return NULL;
	*len = caplen - off - 8;
	return p + off + 8;
}

static int
ctl_profile_pcap(struct ctl_profile *cp, const char *path)
{
	char err[PCAP_ERRBUF_SIZE], src[INET6_ADDRSTRLEN];
	struct pcap_pkthdr *hdr;
	const u_char *data, *udp;
	const char *perr;
	netsnmp_pdu *pdu;
	size_t len;
	pcap_t *pc;
	int n = 0;

	if ((pc = pcap_open_offline(path, err)) == NULL) {
		ctl_error("%s: %s", path, err);
		return CTL_FAIL;
	}
	while (pcap_next_ex(pc, &hdr, &data) == 1) {
		n++;
		udp = ctl_profile_udp(pcap_datalink(pc), data, hdr->caplen,
		    &len, src, sizeof(src));
		if (udp == NULL)
			continue;
		printf("packet %d from %s:\n", n, src);
		if ((pdu = trapmsg_parse(udp, len, &perr)) == NULL) {
			printf("  cannot be parsed: %s (SNMPv3 with "
			    "authentication or privacy cannot be read from a "
			    "capture)\n", perr);
			cp->bad++;
			continue;
		}
		ctl_profile_show(cp, pdu);
		snmp_free_pdu(pdu);
	}
	pcap_close(pc);
	return CTL_OK;
}

static void
ctl_profile_usage(void)
{
	fprintf(stderr, "usage: heraldctl profile test [-p profile-dir] "
	    "[-k kind] [-v vendor] [-m model] [-s sysObjectID]\n"
	    "           FILE.pcap | --trap 'OID [NAME TYPE VALUE]...'\n");
	exit(CTL_USAGE);
}

static const char *
ctl_profile_dir(struct ctl *ctl, const char *dir)
{
	if (dir != NULL)
		return dir;
	if (access(ctl->conf_path, R_OK) == 0)
		return cfg_getstr(cfg_getsec(ctl_conf(ctl)->cfg, "snmp"),
		    "profile_dir");
	return PKGDATADIR "/profiles";
}

static int
ctl_profile_test(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_profile cp;
	const char *dir = NULL;
	char *words[1024];
	size_t n = 0;
	int ch, errors = 0, i, rc, text = 0;

	memset(&cp, 0, sizeof(cp));
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--trap") == 0) {
			for (text = i++; i < argc; i++)
				n += ctl_profile_words(argv[i], words + n,
				    sizeof(words) / sizeof(*words) - n);
			argc = text;
			break;
		}
	while ((ch = getopt(argc, argv, "p:k:v:m:s:")) != -1) {
		switch (ch) {
		case 'p': dir = optarg; break;
		case 'k': cp.dev.kind = optarg; break;
		case 'v': cp.dev.vendor = optarg; break;
		case 'm': cp.dev.model = optarg; break;
		case 's': cp.dev.sys_object_id = optarg; break;
		default: ctl_profile_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (text ? argc != 0 : argc != 1)
		ctl_profile_usage();
	snmplib_init();
	dir = ctl_profile_dir(ctl, dir);
	if ((cp.set = profile_load_dir(dir, &errors)) == NULL || errors > 0) {
		ctl_error("%s: %d error%s in the profiles", dir, errors,
		    errors == 1 ? "" : "s");
		profile_set_free(cp.set);
		return CTL_FAIL;
	}
	if (cp.dev.kind || cp.dev.vendor || cp.dev.model || cp.dev.sys_object_id)
		cp.ncands = profile_candidates(cp.set, &cp.dev, cp.cands,
		    CTL_PROFILE_MAX_CANDS);
	else	/* no device given: every profile, in file order */
		for (; cp.ncands < profile_count(cp.set) &&
		    cp.ncands < CTL_PROFILE_MAX_CANDS; cp.ncands++)
			cp.cands[cp.ncands] = profile_at(cp.set, cp.ncands);
	printf("%zu profiles from %s; tried in this order:",
	    profile_count(cp.set), dir);
	for (i = 0; i < (int)cp.ncands; i++)
		printf(" %s", profile_name(cp.cands[i]));
	printf("\n");
	rc = text ? ctl_profile_text(&cp, words, n) :
	    ctl_profile_pcap(&cp, argv[0]);
	if (rc == CTL_OK)
		printf("%d matched, %d matched no rule, %d not usable\n",
		    cp.matched, cp.unmatched, cp.bad);
	profile_set_free(cp.set);
	return rc;
}

const struct ctl_command ctl_profile_test_cmd = {
	.name = "profile",
	.sub = "test",
	.usage = "profile test [-p dir] [-k kind] [-v vendor] [-m model] "
	    "FILE.pcap | --trap 'OID [NAME TYPE VALUE]...'",
	.help =
	    "Which vendor profile and trap rule each trap of a capture (or\n"
	    "one typed trap) matches, and the event it becomes. Exit 1 when\n"
	    "the profiles have errors.\n"
	    "  -p dir         the profiles (default: snmp.profile_dir)\n"
	    "  -k kind        the device's kind (olt, dslam)\n"
	    "  -v vendor      the device's vendor\n"
	    "  -m model       the device's model\n"
	    "  -s oid         the device's sysObjectID\n"
	    "  --trap 'OID [NAME TYPE VALUE]...'\n"
	    "                 a trap typed on the command line\n",
	.run = ctl_profile_test,
};
