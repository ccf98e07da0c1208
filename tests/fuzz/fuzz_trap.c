/*
 * fuzz_trap.c: libFuzzer target for what heraldd does with a datagram from
 * the network: net-snmp's parse, our decode (v1 trap OID conversion,
 * snmpTrapOID.0 lookup), the match against every shipped vendor profile
 * (varbind prefixes, instances, ifIndex decoders, BITS) and the varbind
 * text. See tests/fuzz/README. run_corpus.c replays the corpus in make check.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "profile.h"
#include "snmplib.h"
#include "trapmsg.h"

#ifndef FUZZ_PROFILE_DIR
#define FUZZ_PROFILE_DIR "collectors/profiles"
#endif

static struct profile_set *fuzz_profiles;
static const struct profile *fuzz_cands[32];
static size_t fuzz_ncands;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("HERALD_PROFILE_DIR");
	int errors = 0;

	log_init(1, LOG_LEVEL_ERROR, 0);
	snmplib_init();
	fuzz_profiles = profile_load_dir(dir ? dir : FUZZ_PROFILE_DIR, &errors);
	for (; fuzz_ncands < profile_count(fuzz_profiles) && fuzz_ncands < 32;
	    fuzz_ncands++)
		fuzz_cands[fuzz_ncands] = profile_at(fuzz_profiles, fuzz_ncands);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile_match m;
	struct trapmsg tm;
	netsnmp_pdu *pdu;
	const char *err;
	char *vb;

	if (size > 65535)
		return 0;
	if ((pdu = trapmsg_parse(data, size, &err)) == NULL)
		return 0;
	if (trapmsg_decode(pdu, &tm) == 0) {
		trapmsg_match(&tm, fuzz_cands, fuzz_ncands, &m);
		vb = trapmsg_varbinds_text(tm.vars);
		free(vb);
	}
	snmp_free_pdu(pdu);
	return 0;
}
