/* A main() for the fuzz targets when libFuzzer is not used (gcc builds):
 * feeds every regular file named on the command line, or found directly
 * in a directory named there, to LLVMFuzzerTestOneInput, in name order.
 * Each input gets a buffer of exactly its size so that ASan sees any
 * overread. Arguments starting with '-' are ignored (libFuzzer flags). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

static int
run_file(const char *path)
{
	FILE *f;
	struct stat st;
	uint8_t *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* Exactly the file's size (one byte for an empty file, which is
	 * passed with size 0): reading past it trips ASan. */
	if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
run_dir(const char *dir, unsigned *count)
{
	struct dirent **ents;
	char path[PATH_MAX];
	struct stat st;
	int i, n, rc = 0;

	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) == -1)
				rc = -1;
			else
				(*count)++;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	unsigned count = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) == -1)
				rc = 1;
		} else if (run_file(argv[i]) == -1)
			rc = 1;
		else
			count++;
	}
	/* An empty corpus would make the ctest pass while testing nothing. */
	if (count == 0) {
		fprintf(stderr, "%s: no inputs\n", argv[0]);
		return 1;
	}
	printf("%s: %u inputs, no crash\n", argv[0], count);
	return rc;
}
