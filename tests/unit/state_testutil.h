/* Helpers shared by the state file tests (tests/unit/test_engine_state*.c):
 * a private directory, file contents, the log captured from stderr, and
 * waiting for a condition with a bound. Include after <cmocka.h>. */
#ifndef VPNTUND_STATE_TESTUTIL_H
#define VPNTUND_STATE_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	char dir[64];           /* mkdtemp */
	char sub[128];          /* dir/sub: created by the state code */
	char path[192];         /* dir/sub/seq.state */
};

static inline void
rm_tree_files(const char *dir)
{
	struct dirent *de;
	char p[512];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static inline int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vpntund-state-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->sub, sizeof(f->sub), "%s/sub", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/seq.state", f->sub);
	*state = f;
	return 0;
}

static inline int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	rm_tree_files(f->sub);
	rmdir(f->sub);
	rm_tree_files(f->dir);
	rmdir(f->dir);
	free(f);
	return 0;
}

static inline void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* The whole file, NUL-terminated (freed by the caller). */
static inline char *
read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

static inline size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Entries in dir other than `keep`. */
static inline int
count_others(const char *dir, const char *keep)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, keep) != 0)
			n++;
	closedir(d);
	return n;
}

/* stderr, where the log goes, into a file while capturing. The file is
 * unlinked at once, so a failed assertion leaves nothing behind. */
struct capture {
	int saved;
	int fd;
};

static inline void
capture_start(struct capture *c)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/vpntund-statelog-XXXXXX");
	c->fd = mkstemp(path);
	assert_true(c->fd >= 0);
	unlink(path);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(c->fd, 2), 2);
}

/* What was logged so far (freed by the caller). */
static inline char *
capture_read(const struct capture *c)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	fflush(stderr);
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = pread(c->fd, buf + len, cap - len - 1, (off_t)len);
		assert_true(n >= 0);
		len += (size_t)n;
	} while (n > 0);
	buf[len] = '\0';
	return buf;
}

static inline char *
capture_end(struct capture *c)
{
	char *text = capture_read(c);

	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	close(c->fd);
	return text;
}

static inline long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Polls cond every millisecond until it holds or bound_ms passed; the
 * caller asserts cond afterwards. */
#define WAIT_UNTIL(cond, bound_ms)					\
	for (long long deadline_ = now_ms() + (bound_ms);		\
	    !(cond) && now_ms() < deadline_;)				\
		nap_ms(1)

#endif
