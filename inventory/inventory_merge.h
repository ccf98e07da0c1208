/*
 * inventory_merge.h: the SQL half of an import: staging tables, the
 * set-based merge into the live tables, and the diff it reports.
 */
#ifndef HERALD_INVENTORY_MERGE_H
#define HERALD_INVENTORY_MERGE_H

#include <libpq-fe.h>

#include "inventory_import.h"

/* COPY statement that fills the staging table of a kind. */
const char	*inventory_merge_copy_sql(enum inv_kind);
/* Create the staging tables (dropped at COMMIT or ROLLBACK). */
int		 inventory_merge_stage(PGconn *, enum inv_kind,
		    struct inv_import_result *);
/* Merge the staged rows; fills the counts and keeps examples of changes. */
int		 inventory_merge(PGconn *, const struct inv_import_opts *,
		    struct inv_import_result *);
/* NOTIFY inventory_changed with the import id (sent at COMMIT). */
int		 inventory_merge_notify(PGconn *, struct inv_import_result *);
/* Hand the examples to opts->change (only for a successful import). */
void		 inventory_merge_report(const struct inv_import_opts *,
		    struct inv_import_result *);

#endif
