/* Files site.conf names that must not be waited on or trusted: the
 * config itself, included files and key files are opened without
 * blocking and must be regular files, so a FIFO in their place is an
 * error at once. Each load runs under alarm(): a load that would wait
 * for a writer forever is killed by SIGALRM and the test fails. Key
 * files and hook scripts belong to root (or to the user vpntund runs
 * as) and only their owner may write them; a hook must be there and
 * executable when the file is loaded. */
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

/* As root, a file given to uid 1 is someone else's. */
static void
give_away(const char *name)
{
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(path_of(name), 1, 1), 0);
}

static void
test_key_owner(void **state)
{
	struct config cf;
	char want[1200];

	(void)state;
	put_default_key("k.key");
	give_away("k.key");
	assert_int_equal(bounded_load(SITE PEER, NULL, &cf), -1);
	snprintf(want, sizeof(want), "site.conf:7: key file %s is owned by "
	    "uid 1, expected root; run chown root %s", path_of("k.key"),
	    path_of("k.key"));
	assert_string_equal(err.msg, want);
	assert_int_equal(chown(path_of("k.key"), 0, 0), 0);
	if (bounded_load(SITE PEER, NULL, &cf) == -1)
		fail_msg("%s", err.msg);
	config_free(&cf);
}

/* The site with an up and a down script of the given names. */
static int
load_hooks(const char *up, const char *down, struct config *cf)
{
	char text[2048];

	put_default_key("k.key");
	snprintf(text, sizeof(text), "site \"s\" {\n network 10.1.0.0/24\n"
	    " up \"%s/%s\"\n down \"%s/%s\"\n}\n" PEER, tdir, up, tdir,
	    down);
	return bounded_load(text, NULL, cf);
}

/* The same for peer-up and peer-down, written relative to the current
 * directory as vpntund(8) resolves them. */
static int
load_peer_hooks(const char *up, const char *down, struct config *cf)
{
	char text[2048];

	put_default_key("k.key");
	snprintf(text, sizeof(text), "site \"s\" {\n network 10.1.0.0/24\n"
	    " peer-up \"%s\"\n peer-down \"%s\"\n hook-timeout 5\n}\n"
	    PEER, up, down);
	return bounded_load(text, NULL, cf);
}

static void
test_hooks(void **state)
{
	struct config cf;
	char want[1200];
	const char *up;

	(void)state;
	put_file("up.sh", "#!/bin/sh\nexit 0\n", 0755);
	up = path_of("up.sh");
	put_file("down.sh", "#!/bin/sh\nexit 0\n", 0700);
	if (load_hooks("up.sh", "down.sh", &cf) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(cf.site.up, up);
	assert_string_equal(cf.site.down, path_of("down.sh"));
	config_free(&cf);

	/* Missing, then not a file. */
	assert_int_equal(load_hooks("up.sh", "none.sh", &cf), -1);
	snprintf(want, sizeof(want), "site.conf:4: down script %s: No such "
	    "file or directory", path_of("none.sh"));
	assert_string_equal(err.msg, want);
	assert_null(cf.peers);
	assert_int_equal(mkdir(path_of("dir.sh"), 0755), 0);
	assert_int_equal(load_hooks("dir.sh", "down.sh", &cf), -1);
	snprintf(want, sizeof(want), "site.conf:3: up script %s is not a "
	    "regular file", path_of("dir.sh"));
	assert_string_equal(err.msg, want);
	rmdir(path_of("dir.sh"));

	/* Writable by group, by others; not executable. */
	put_file("up.sh", "#!/bin/sh\n", 0775);
	assert_int_equal(load_hooks("up.sh", "down.sh", &cf), -1);
	snprintf(want, sizeof(want), "site.conf:3: up script %s has mode "
	    "0775, it must not be writable by group or others; run chmod go-w "
	    "%s", path_of("up.sh"), path_of("up.sh"));
	assert_string_equal(err.msg, want);
	put_file("down.sh", "#!/bin/sh\n", 0702);
	put_file("up.sh", "#!/bin/sh\n", 0755);
	assert_int_equal(load_hooks("up.sh", "down.sh", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:4: down script "));
	assert_non_null(strstr(err.msg, "down.sh has mode 0702, it must not "
	    "be writable by group or others; run chmod go-w "));
	put_file("down.sh", "#!/bin/sh\n", 0644);
	assert_int_equal(load_hooks("up.sh", "down.sh", &cf), -1);
	snprintf(want, sizeof(want), "site.conf:4: down script %s is not "
	    "executable (mode 0644); run chmod u+x %s", path_of("down.sh"),
	    path_of("down.sh"));
	assert_string_equal(err.msg, want);
	put_file("down.sh", "#!/bin/sh\n", 0500);

	/* Someone else's. */
	give_away("up.sh");
	assert_int_equal(load_hooks("up.sh", "down.sh", &cf), -1);
	snprintf(want, sizeof(want), "site.conf:3: up script %s is owned by "
	    "uid 1, expected root; run chown root %s", path_of("up.sh"),
	    path_of("up.sh"));
	assert_string_equal(err.msg, want);
	assert_int_equal(chown(path_of("up.sh"), 0, 0), 0);
	if (load_hooks("up.sh", "down.sh", &cf) == -1)
		fail_msg("%s", err.msg);
	config_free(&cf);
}

static void
test_peer_hooks(void **state)
{
	struct config cf;
	char cwd[PATH_MAX];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tdir), 0);
	put_file("pu.sh", "#!/bin/sh\n", 0755);
	put_file("pd.sh", "#!/bin/sh\n", 0755);
	if (load_peer_hooks("pu.sh", "pd.sh", &cf) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(cf.site.peer_up, "pu.sh");
	assert_string_equal(cf.site.peer_down, "pd.sh");
	assert_int_equal(cf.site.hook_timeout, 5);
	config_free(&cf);

	assert_int_equal(load_peer_hooks("nope.sh", "pd.sh", &cf), -1);
	assert_string_equal(err.msg, "site.conf:3: peer-up script nope.sh: No "
	    "such file or directory");
	put_file("pd.sh", "#!/bin/sh\n", 0757);
	assert_int_equal(load_peer_hooks("pu.sh", "pd.sh", &cf), -1);
	assert_string_equal(err.msg, "site.conf:4: peer-down script pd.sh has "
	    "mode 0757, it must not be writable by group or others; run chmod "
	    "go-w pd.sh");
	put_file("pd.sh", "#!/bin/sh\n", 0600);
	assert_int_equal(load_peer_hooks("pu.sh", "pd.sh", &cf), -1);
	assert_string_equal(err.msg, "site.conf:4: peer-down script pd.sh is "
	    "not executable (mode 0600); run chmod u+x pd.sh");
	give_away("pu.sh");
	put_file("pd.sh", "#!/bin/sh\n", 0700);
	assert_int_equal(load_peer_hooks("pu.sh", "pd.sh", &cf), -1);
	assert_string_equal(err.msg, "site.conf:3: peer-up script pu.sh is "
	    "owned by uid 1, expected root; run chown root pu.sh");
	assert_int_equal(chdir(cwd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_config),
		cmocka_unit_test(test_fifo_include),
		cmocka_unit_test(test_fifo_key),
		cmocka_unit_test(test_regular_loads),
		cmocka_unit_test(test_key_owner),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_peer_hooks),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
