/*
 * cluster_stub.c: TEMPORARY, for building branch cl-api before the real
 * daemon/cluster.c is merged; drop this file and its line in
 * daemon/local.am at merge. Standalone values, unless the environment
 * names a cluster for a test: HERALD_CLUSTER_STUB=NAME (cluster mode,
 * this instance's name) and HERALD_CLUSTER_STUB_OWNS="2,3" (the devices it
 * holds; none when unset).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"

const char *
cluster_name(struct herald *h)
{
	static char host[256];
	const char *n = getenv("HERALD_CLUSTER_STUB");

	if (n != NULL && *n != '\0')
		return n;
	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "heraldd");
	return host;
}

int
cluster_enabled(struct herald *h)
{
	const char *n = getenv("HERALD_CLUSTER_STUB");

	return n != NULL && *n != '\0';
}

const char *
cluster_instance(struct herald *h)
{
	return cluster_enabled(h) ? cluster_name(h) : NULL;
}

int
cluster_owns(struct herald *h, int64_t device_id)
{
	const char *s = getenv("HERALD_CLUSTER_STUB_OWNS");
	char *end;

	if (!cluster_enabled(h))
		return 1;
	while (s != NULL && *s != '\0') {
		if (strtoll(s, &end, 10) == device_id && end != s)
			return 1;
		if (end == s)
			break;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int64_t
cluster_epoch(struct herald *h, int64_t device_id)
{
	return 0;
}

int
cluster_accept(struct herald *h, const struct herald_event *ev)
{
	return 1;
}

void
cluster_get_stats(struct herald *h, struct cluster_stats *st)
{
	memset(st, 0, sizeof(*st));
}

void
cluster_count_fenced(struct herald *h, unsigned long long n)
{
}
