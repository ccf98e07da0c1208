/*
 * cluster_stub.c: TEMPORARY, for branch cl-rules only; drop at the merge
 * (daemon/cluster.c on main replaces it). Standalone answers to
 * cluster.h, weak so that the real cluster.c wins if both are linked.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

#define CLUSTER_STUB	__attribute__((weak))

CLUSTER_STUB const char *
cluster_name(struct herald *h)
{
	return "stub";
}

CLUSTER_STUB const char *
cluster_instance(struct herald *h)
{
	return NULL;
}

CLUSTER_STUB int
cluster_enabled(struct herald *h)
{
	return 0;
}

CLUSTER_STUB int
cluster_owns(struct herald *h, int64_t device_id)
{
	return 1;
}

CLUSTER_STUB int64_t
cluster_epoch(struct herald *h, int64_t device_id)
{
	return 0;
}

CLUSTER_STUB void
cluster_count_fenced(struct herald *h, unsigned long long n)
{
}
