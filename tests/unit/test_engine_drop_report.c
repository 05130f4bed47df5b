/* The drop report (src/control/drop_report.c): a look at the counters
 * logs one warning per peer whose replay or authentication drops moved
 * since the last look, with the interval's counts, names at most 16
 * peers and sums the rest in one line, and says nothing when they did
 * not move. The timer only calls drop_report_tick every 10 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/control/control.h"
#include "src/engine/engine.h"
#include "tests/unit/conf_testutil.h"
#include "util/log.h"

#define NPEERS 20

static char cap_path[PATH_MAX];
static int saved_stderr = -1;
static long cap_read;           /* bytes of the capture already seen */

static int
setup(void **state)
{
	char name[32];
	unsigned i;
	int fd;

	if (tdir_setup(state) == -1)
		return -1;
	/* Seeds 3 apart: no two files share a key. */
	for (i = 0; i < NPEERS; i++) {
		snprintf(name, sizeof(name), "k%u.key", i);
		put_default_key_seeded(name, 1 + 3 * i);
	}
	snprintf(cap_path, sizeof(cap_path), "%s/stderr", tdir);
	if ((fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("vpntund", LOG_LVL_INFO, false);
	return 0;
}

static int
teardown(void **state)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	return tdir_teardown(state);
}

/* What was logged since the last call. */
static const char *
logged(void)
{
	static char buf[16384];
	FILE *f;
	size_t n;

	fflush(stderr);
	assert_non_null(f = fopen(cap_path, "r"));
	fseek(f, cap_read, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	cap_read += (long)n;
	fclose(f);
	return buf;
}

static size_t
lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static struct engine *
engine_with_peers(struct config *cf)
{
	struct conf_error err;
	static char text[8192];
	size_t n;
	unsigned i;

	n = (size_t)snprintf(text, sizeof(text), "site \"c\" {\n"
	    " network 10.1.0.0/24\n state-file \"%s/s.state\"\n"
	    " control \"%s/c.sock\"\n}\n", tdir, tdir);
	for (i = 0; i < NPEERS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "peer \"p%u\" {\n network 10.1.%u.0/24\n"
		    " endpoint 198.18.%u.2\n key \"k%u.key\"\n}\n", i, i + 1,
		    i + 1, i);
	if (config_load_string("site.conf", text, tdir, cf, &err) == -1)
		fail_msg("config: %s", err.msg);
	return engine_new(cf);
}

static void
test_report(void **state)
{
	struct config *cf = calloc(1, sizeof(*cf));
	struct engine *e;
	const char *out;
	unsigned i;

	(void)state;
	assert_non_null(e = engine_with_peers(cf));
	assert_int_equal(drop_report_start(e), 0);
	logged();

	/* Quiet: nothing. */
	drop_report_tick(e);
	assert_string_equal(logged(), "");

	/* A burst on one peer: one line, however many packets. */
	e->peers[0].st.drops[ESP_DROP_REPLAY] += 1234;
	e->peers[0].st.drops[ESP_DROP_AUTH] += 5;
	e->peers[0].st.drops[ESP_DROP_MALFORMED] += 7;  /* not reported */
	drop_report_tick(e);
	assert_string_equal(logged(), "vpntund: warning: peer p0: 1234 "
	    "packets dropped as replays, 5 failed authentication in the last "
	    "10 s\n");
	/* The counts are the interval's, not the totals. */
	e->peers[0].st.drops[ESP_DROP_REPLAY] += 1;
	e->peers[1].st.drops[ESP_DROP_AUTH] += 1;
	e->peers[2].st.drops[ESP_DROP_AUTH] += 3;
	drop_report_tick(e);
	assert_string_equal(logged(),
	    "vpntund: warning: peer p0: 1 packet dropped as a replay in the "
	    "last 10 s\n"
	    "vpntund: warning: peer p1: 1 packet failed authentication in the "
	    "last 10 s\n"
	    "vpntund: warning: peer p2: 3 packets failed authentication in the "
	    "last 10 s\n");
	drop_report_tick(e);
	assert_string_equal(logged(), "");

	/* Every peer at once: 16 named, the other 4 summed. */
	for (i = 0; i < NPEERS; i++)
		e->peers[i].st.drops[ESP_DROP_REPLAY] += 10;
	drop_report_tick(e);
	out = logged();
	assert_int_equal(lines(out), 17);
	assert_non_null(strstr(out, "peer p15: 10 packets dropped as replays"));
	assert_null(strstr(out, "peer p16:"));
	assert_non_null(strstr(out, "vpntund: warning: 4 more peers: 40 "
	    "packets dropped as replays in the last 10 s\n"));

	/* Below the level in force: nothing. */
	log_set_level(LOG_LVL_ERR);
	e->peers[3].st.drops[ESP_DROP_AUTH] += 1;
	drop_report_tick(e);
	assert_string_equal(logged(), "");
	log_set_level(LOG_LVL_INFO);
	engine_free(e);         /* stops the report with the rest */
	free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
