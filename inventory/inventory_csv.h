/*
 * inventory_csv.h: reading an inventory file: plain or gzip (zlib decides),
 * CSV by libcsv, records handed over with the line they start on.
 */
#ifndef HERALD_INVENTORY_CSV_H
#define HERALD_INVENTORY_CSV_H

#include <stddef.h>
#include <stdint.h>

/* Longest record accepted; a longer one is rejected, not buffered. */
#define INV_CSV_MAX_RECORD	65536
#define INV_CSV_MAX_FIELDS	64

/*
 * One record. fields[i] are NUL-terminated and valid until the callback
 * returns; too_long is set when the record was cut at INV_CSV_MAX_RECORD or
 * INV_CSV_MAX_FIELDS. Return -1 to stop reading.
 */
typedef int	(*inv_csv_record_fn)(void *arg, unsigned long line,
		    char **fields, size_t nfields, int too_long);
/* done and total are bytes of the file as stored (compressed). */
typedef void	(*inv_csv_progress_fn)(void *arg, uint64_t done, uint64_t total);

/*
 * Read the whole file. -1 with a message in err when it cannot be read to
 * the end (missing, damaged gzip, CSV syntax) or when the callback stopped.
 */
int	inv_csv_read(const char *path, inv_csv_record_fn, inv_csv_progress_fn,
	    void *arg, char *err, size_t errlen);

/* sha256 of the file as stored, in hex, and its size. */
int	inv_csv_checksum(const char *path, char hex[65], uint64_t *bytes,
	    char *err, size_t errlen);

/* 1 when s[0..len) is well-formed UTF-8 without NUL bytes. */
int	inv_utf8_valid(const char *s, size_t len);

#endif
