/*
 * run_corpus.c: replay a fuzz corpus through the fuzz target without
 * libFuzzer, as a TAP test in make check: every file must go through
 * parse, decode and profile matching without crashing (run it under
 * --enable-asan or valgrind to also catch memory errors).
 *
 * usage: run_corpus [DIR...]   (default: the corpus in the source tree)
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_CORPUS_DIR
#define FUZZ_CORPUS_DIR "tests/fuzz/corpus/trap"
#endif

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_one(const char *path)
{
	unsigned char buf[65536];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *de;
	int i, n = 0;
	DIR *d;

	static char *def[] = { NULL, FUZZ_CORPUS_DIR };

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		argc = 2;
		argv = def;
	}
	for (i = 1; i < argc; i++) {
		if ((d = opendir(argv[i])) == NULL) {
			printf("Bail out! cannot read %s\n", argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			n++;
			printf("%s %d - %s\n", run_one(path) == 0 ? "ok" :
			    "not ok", n, de->d_name);
		}
		closedir(d);
	}
	printf("1..%d\n", n);
	return 0;
}
