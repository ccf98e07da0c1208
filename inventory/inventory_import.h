/*
 * inventory_import.h: take an inventory file (already fetched to a local
 * path) into the database: validate every row, stage the good ones, merge
 * them in one transaction, record the import and NOTIFY inventory_changed.
 *
 * It uses a blocking libpq connection: heraldctl calls it directly and
 * heraldd calls it from its inventory worker thread, never from the loop.
 * doc/inventory.md describes the file formats and every error message.
 */
#ifndef HERALD_INVENTORY_IMPORT_H
#define HERALD_INVENTORY_IMPORT_H

#include <libpq-fe.h>
#include <stdint.h>

#define INVENTORY_CHANNEL	"inventory_changed"
#define INVENTORY_DEFAULT_THRESHOLD	0.01

enum inv_kind {
	INV_KIND_SUBSCRIBERS = 0,
	INV_KIND_DEVICES,
};

enum inv_result {
	INV_RESULT_OK = 0,
	INV_RESULT_UNCHANGED,		/* same checksum as the one in force */
	INV_RESULT_FAILED,
};

struct inv_import_opts {
	enum inv_kind	 kind;
	const char	*source;	/* URL without credentials, recorded */
	const char	*run_by;	/* "heraldctl", "heraldd@host" */
	double		 error_threshold; /* fraction of rows, 0.01 = 1% */
	int		 force;		/* import even an unchanged file */
	int		 dry_run;	/* validate and diff, then roll back */
	int		 max_changes;	/* examples per kind of change */
	void		*arg;
	/* Bytes of the stored file read so far. */
	void		(*progress)(void *arg, uint64_t done, uint64_t total);
	/* Every rejected line, as it is found. */
	void		(*line_error)(void *arg, unsigned long line,
			    const char *reason);
	/* Up to max_changes examples of each change, after the merge. */
	void		(*change)(void *arg, const char *change,
			    const char *what, const char *from, const char *to);
};

struct inv_import_result {
	enum inv_result	 result;
	int64_t		 import_id;	/* inventory_imports.id, 0 if none */
	unsigned long	 rows;
	unsigned long	 loaded;
	unsigned long	 rejected;
	unsigned long	 added;
	unsigned long	 removed;
	unsigned long	 moved;
	unsigned long	 updated;
	uint64_t	 bytes;
	double		 seconds;
	char		 checksum[65];
	/* Why it failed: a bad file, or the database (worth a retry). */
	char		 error[512];
	int		 retryable;
	void		*changes;	/* examples until reported (internal) */
};

/*
 * Record a download that failed (parameters: kind, source, error, run_by),
 * so that inventory_imports shows every attempt.
 */
extern const char inventory_fetch_failed_sql[];

int		 inventory_import_file(PGconn *, const char *path,
		    const struct inv_import_opts *, struct inv_import_result *);
const char	*inventory_kind_name(enum inv_kind);
const char	*inventory_result_name(enum inv_result);
/* "1%", "0.5%" or "0.01"; -1 when malformed or outside 0..100%. */
int		 inventory_parse_threshold(const char *, double *);
/*
 * Normalise one phone number into out (at least 16 bytes): mobiles as 11
 * digits (a +86/0086/86 prefix or a long-distance 0 removed), fixed lines
 * as 0 + area code + number, an extension dropped. -1 when it is not a
 * Chinese mobile or fixed-line number. The rules: doc/inventory.md.
 */
int		 inventory_phone_normalise(const char *, char *out, size_t len);

#endif
