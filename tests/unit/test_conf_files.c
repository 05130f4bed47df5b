/* Files site.conf names that must not be waited on or trusted: the
 * config itself, included files and key files are opened without
 * blocking and must be regular files, so a FIFO in their place is an
 * error at once. Each load runs under alarm(): a load that would wait
 * for a writer forever is killed by SIGALRM and the test fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "conf_testutil.h"

static struct conf_error err;

#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"
#define PEER "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n" \
	" key \"k.key\"\n}\n"

/* The full path of name in tdir; two may be used in one call. */
static const char *
path_of(const char *name)
{
	static char path[2][512];
	static int i;

	i = !i;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tdir, name);
	return path[i];
}

static void
make_fifo(const char *name)
{
	unlink(path_of(name));
	assert_int_equal(mkfifo(path_of(name), 0600), 0);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads text (or the file path when text is NULL) within 5 s; the
 * refusal must come at once. */
static int
bounded_load(const char *text, const char *path, struct config *cf)
{
	double t0 = now();
	int rv;

	memset(&err, 0, sizeof(err));
	alarm(5);
	if (text != NULL)
		rv = config_load_string("site.conf", text, tdir, cf, &err);
	else
		rv = config_load(path, cf, &err);
	alarm(0);
	assert_true(now() - t0 < 1.0);
	return rv;
}

static void
test_fifo_config(void **state)
{
	struct config cf;
	char want[600];

	(void)state;
	make_fifo("site.conf");
	assert_int_equal(bounded_load(NULL, path_of("site.conf"), &cf), -1);
	snprintf(want, sizeof(want), "%s: not a regular file",
	    path_of("site.conf"));
	assert_string_equal(err.msg, want);
	assert_null(cf.peers);
	unlink(path_of("site.conf"));
}

static void
test_fifo_include(void **state)
{
	struct config cf;
	char want[1200];

	(void)state;
	put_default_key("k.key");
	make_fifo("peers.conf");
	assert_int_equal(bounded_load(SITE "\ninclude \"peers.conf\"\n", NULL,
	    &cf), -1);
	snprintf(want, sizeof(want), "site.conf:5: %s is not a regular file",
	    path_of("peers.conf"));
	assert_string_equal(err.msg, want);
	assert_null(cf.peers);

	/* The same from a file on disk, included from an included file. */
	put_file("site.conf", SITE "include \"mid.conf\"\n", 0644);
	put_file("mid.conf", "\n\ninclude \"peers.conf\"\n", 0644);
	assert_int_equal(bounded_load(NULL, path_of("site.conf"), &cf), -1);
	snprintf(want, sizeof(want), "%s:3: %s is not a regular file",
	    path_of("mid.conf"), path_of("peers.conf"));
	assert_string_equal(err.msg, want);
	unlink(path_of("peers.conf"));

	/* A directory is no more a file than a FIFO is. */
	assert_int_equal(mkdir(path_of("peers.conf"), 0700), 0);
	assert_int_equal(bounded_load(SITE "include \"peers.conf\"\n", NULL,
	    &cf), -1);
	snprintf(want, sizeof(want), "site.conf:4: %s is not a regular file",
	    path_of("peers.conf"));
	assert_string_equal(err.msg, want);
	rmdir(path_of("peers.conf"));
}

static void
test_fifo_key(void **state)
{
	struct config cf;
	char want[1200];

	(void)state;
	make_fifo("k.key");
	assert_int_equal(bounded_load(SITE PEER, NULL, &cf), -1);
	snprintf(want, sizeof(want), "site.conf:7: key file %s is not a "
	    "regular file", path_of("k.key"));
	assert_string_equal(err.msg, want);
	assert_null(cf.peers);
	unlink(path_of("k.key"));
}

/* A regular file still loads, and is read whole with O_NONBLOCK
 * cleared. */
static void
test_regular_loads(void **state)
{
	struct config cf;

	(void)state;
	put_default_key("k.key");
	put_file("site.conf", SITE PEER, 0644);
	if (bounded_load(NULL, path_of("site.conf"), &cf) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.npeers, 1);
	assert_string_equal(cf.peers[0].name, "p");
	config_free(&cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_config),
		cmocka_unit_test(test_fifo_include),
		cmocka_unit_test(test_fifo_key),
		cmocka_unit_test(test_regular_loads),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
