/* Helpers shared by the test_conf_*.c tests: a private temp directory,
 * files written into it with a given mode, and key material of a given
 * length. Everything lives under one mkdtemp dir removed at the end. */
#ifndef CONF_TESTUTIL_H
#define CONF_TESTUTIL_H

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"

static char tdir[256];

static __attribute__((unused)) int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static __attribute__((unused)) int
tdir_setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/vpntund-conf-XXXXXX");
	return mkdtemp(tdir) == NULL ? -1 : 0;
}

static __attribute__((unused)) int
tdir_teardown(void **state)
{
	(void)state;
	return nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes name (relative to tdir) with mode; returns the full path. */
static __attribute__((unused)) const char *
put_file(const char *name, const char *text, mode_t mode)
{
	static char path[PATH_MAX];
	int fd;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, len) != (ssize_t)len) {
		fprintf(stderr, "cannot write %s\n", path);
		abort();
	}
	close(fd);
	if (chmod(path, mode) == -1)
		abort();
	return path;
}

/* The whole of a file, NUL-terminated; the caller frees it. */
static __attribute__((unused)) char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* nbytes of key material, byte i = seed + i, as hex, in lines of 32. */
static __attribute__((unused)) char *
key_hex(size_t nbytes, unsigned seed)
{
	char *s = calloc(1, nbytes * 3 + 64);
	size_t i, n = 0;

	for (i = 0; i < nbytes; i++) {
		n += (size_t)sprintf(s + n, "%02x", (unsigned)(seed + i) & 0xff);
		if (i % 32 == 31)
			s[n++] = '\n';
	}
	s[n++] = '\n';
	return s;
}

/* A key file that fits the defaults: blowfish-cbc at its default size
 * and hmac-sha256-128, its bytes counting up from seed (mod 256). Every
 * SA needs its own key: files whose seeds differ by anything but 0 or
 * +-64 (mod 256, one block) share none. */
static __attribute__((unused)) void
put_default_key_seeded(const char *name, unsigned seed)
{
	const struct cipher_info *c = cipher_by_name("blowfish-cbc");
	char *k = key_hex(2 * (c->key_default + 32), seed);

	put_file(name, k, 0600);
	free(k);
}

static __attribute__((unused)) void
put_default_key(const char *name)
{
	put_default_key_seeded(name, 1);
}

/* What the examples' peers use (blowfish-cbc keysize 256,
 * hmac-sha256-128), made as vpntunctl genkey makes it: the repository
 * ships no key. */
static __attribute__((unused)) void
put_example_key(const char *name)
{
	const struct cipher_info *ci;
	const struct auth_info *ai;
	struct conf_error e;
	char path[PATH_MAX];
	size_t bits;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	unlink(path);
	if (keyfile_suite("blowfish-cbc", 256, "hmac-sha256-128", &ci, &bits,
	    &ai, &e) == -1 || keyfile_generate(path, ci, bits, ai, false,
	    &e) == -1) {
		fprintf(stderr, "%s\n", e.msg);
		abort();
	}
}

#endif
