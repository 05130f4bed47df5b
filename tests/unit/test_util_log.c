/* Logging: levels filter, errno is preserved, and per-packet messages are
 * rate-limited with the number suppressed reported later. Output goes to
 * stderr, which each test redirects into a temporary file to read back. */
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

static char cap_path[] = "/tmp/vpntund-logtest.XXXXXX";
static int saved_stderr = -1;

static int
capture_start(void **state)
{
	int fd = mkstemp(cap_path);

	(void)state;
	if (fd == -1)
		return -1;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return 0;
}

static int
capture_stop(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(cap_path);
	strcpy(cap_path, "/tmp/vpntund-logtest.XXXXXX");
	return 0;
}

/* Everything written to stderr so far. */
static const char *
captured(void)
{
	static char buf[8192];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(cap_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_levels(void **state)
{
	(void)state;
	log_init("logtest", LOG_LVL_INFO, false);
	log_debug("hidden %d", 1);
	log_info("shown %d", 2);
	log_warnx("warned %s", "x");
	assert_string_equal(captured(),
	    "logtest: info: shown 2\nlogtest: warning: warned x\n");
	log_set_level(LOG_LVL_DEBUG);
	assert_int_equal(log_get_level(), LOG_LVL_DEBUG);
	log_debug("now %s", "visible");
	assert_non_null(strstr(captured(), "logtest: debug: now visible\n"));
}

static void
test_warn_appends_strerror_and_keeps_errno(void **state)
{
	(void)state;
	log_init("logtest", LOG_LVL_INFO, false);
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(captured(),
	    "logtest: warning: open /nonexistent: No such file or directory\n"));
}

static void
test_ratelimit(void **state)
{
	struct log_limit lim = { 0 };
	int i;

	(void)state;
	log_init("logtest", LOG_LVL_INFO, false);
	/* Within one second only the burst gets through. The test cannot
	 * control the clock, so it tolerates a second boundary: at most two
	 * bursts, and never all 50. */
	for (i = 0; i < 50; i++)
		log_ratelimited(&lim, LOG_LVL_WARN, "drop %d", i);
	assert_true(count(captured(), "drop ") >= LOG_LIMIT_BURST);
	assert_true(count(captured(), "drop ") <= 2 * LOG_LIMIT_BURST);
	assert_true(lim.suppressed > 0 || lim.sent < LOG_LIMIT_BURST);
	assert_non_null(strstr(captured(), "logtest: warning: drop 0\n"));

	/* The next window reports how many were suppressed. */
	lim.window_start -= 5;
	log_ratelimited(&lim, LOG_LVL_WARN, "drop again");
	assert_non_null(strstr(captured(), "drop again ("));
	assert_non_null(strstr(captured(), "similar messages suppressed)"));
	assert_int_equal(lim.suppressed, 0);
}

/* Under journald ($JOURNAL_STREAM naming stderr) each line starts with
 * its syslog priority; a stream that is not the one named gets none. */
static void
test_journal_priority(void **state)
{
	struct stat st;
	char js[64];

	(void)state;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_init("logtest", LOG_LVL_DEBUG, false);
	log_warnx("w");
	log_info("i");
	log_debug("d");
	errno = EPERM;
	log_warn("e");
	assert_string_equal(captured(), "<4>logtest: warning: w\n"
	    "<6>logtest: info: i\n<7>logtest: debug: d\n"
	    "<4>logtest: warning: e: Operation not permitted\n");
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", js, 1);
	log_init("logtest", LOG_LVL_DEBUG, false);
	log_warnx("plain");
	assert_non_null(strstr(captured(), "\nlogtest: warning: plain\n"));
	setenv("JOURNAL_STREAM", "junk", 1);
	log_init("logtest", LOG_LVL_DEBUG, false);
	log_info("junk");
	assert_non_null(strstr(captured(), "\nlogtest: info: junk\n"));
	unsetenv("JOURNAL_STREAM");
	log_init("logtest", LOG_LVL_INFO, false);
}

static void
test_ratelimit_respects_level(void **state)
{
	struct log_limit lim = { 0 };

	(void)state;
	log_init("logtest", LOG_LVL_INFO, false);
	log_ratelimited(&lim, LOG_LVL_DEBUG, "per-packet detail");
	assert_null(strstr(captured(), "per-packet detail"));
	assert_int_equal(lim.sent, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels, capture_start,
		    capture_stop),
		cmocka_unit_test_setup_teardown(
		    test_warn_appends_strerror_and_keeps_errno, capture_start,
		    capture_stop),
		cmocka_unit_test_setup_teardown(test_ratelimit, capture_start,
		    capture_stop),
		cmocka_unit_test_setup_teardown(test_journal_priority,
		    capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_ratelimit_respects_level,
		    capture_start, capture_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
