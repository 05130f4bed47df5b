/* The Prometheus text of /metrics (src/control/prom_text.c and
 * metrics.c): HELP escapes backslash and newline, label values also the
 * double quote; a whole engine's answer follows the format's grammar and
 * its naming conventions (vpntund_ prefix, counters and only counters end
 * in _total, each family's HELP and TYPE lines before its samples, which
 * are contiguous), and its counters are the engine's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <regex.h>

#include "src/control/monitor.h"
#include "src/control/control.h"
#include "tests/unit/conf_testutil.h"

static char *
take(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static void
test_escaping(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct prom_label l[2] = {
		{ "peer", "a\\b\"c\nd" },
		{ "reason", "" },
	};
	char *s;

	(void)state;
	prom_family(b, "vpntund_x_total", "counter", "Back\\slash\nnewline "
	    "and \"quotes\" kept.");
	prom_sample(b, "vpntund_x_total", l, 2, 18446744073709551615ULL);
	prom_sample(b, "vpntund_x_total", NULL, 0, 0);
	s = take(b);
	assert_string_equal(s,
	    "# HELP vpntund_x_total Back\\\\slash\\nnewline and \"quotes\" "
	    "kept.\n"
	    "# TYPE vpntund_x_total counter\n"
	    "vpntund_x_total{peer=\"a\\\\b\\\"c\\nd\",reason=\"\"} "
	    "18446744073709551615\n"
	    "vpntund_x_total 0\n");
	free(s);
	prom_sample_f(b, "g", NULL, 0, 0.25);
	prom_sample_f(b, "g", l + 1, 1, 1.0 / 0.0);
	prom_sample_f(b, "g", NULL, 0, -1.0 / 0.0);
	prom_sample_f(b, "g", NULL, 0, 0.0 / 0.0);
	prom_sample_f(b, "g", NULL, 0, 1e-9);
	s = take(b);
	assert_string_equal(s, "g 0.25\ng{reason=\"\"} +Inf\ng -Inf\ng NaN\n"
	    "g 1e-09\n");
	free(s);
	evbuffer_free(b);
}

static int
setup(void **state)
{
	char *k;

	if (tdir_setup(state) == -1 || (k = key_hex(72, 1)) == NULL)
		return -1;
	put_file("k.key", k, 0600);
	free(k);
	if ((k = key_hex(72, 2)) == NULL)
		return -1;
	put_file("q.key", k, 0600);
	free(k);
	return 0;
}

static struct engine *
engine_with_all(struct config *cf)
{
	struct conf_error err;
	char text[2048];

	snprintf(text, sizeof(text),
	    "site \"c\\\"x\" {\n network 10.1.0.0/24\n"
	    " state-file \"%s/s.state\"\n control \"%s/c.sock\"\n tap vtap0\n"
	    " monitor port 9180\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.1.2\n"
	    " cipher aes-gcm\n key \"k.key\"\n}\n"
	    "peer \"q\" {\n network 10.1.2.0/24\n endpoint 198.18.2.2\n"
	    " cipher aes-gcm\n key \"q.key\"\n}\n"
	    "qos {\n bandwidth 1Mbit\n class a rate 500kbit default\n"
	    " class b rate 500kbit bridge\n}\n", tdir, tdir);
	if (config_load_string("site.conf", text, tdir, cf, &err) == -1)
		fail_msg("config: %s", err.msg);
	return engine_new(cf);
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Checks the grammar and conventions line by line; returns the value of
 * the sample `want` (its whole text before the value), or -1. */
static double
check_text(char *text, const char *want)
{
	regex_t help, type, sample;
	char family[128] = "", typed[128] = "", seen[64][128];
	size_t nseen = 0, i;
	double found = -1;
	char *line, *save = NULL;
	regmatch_t m[4];

	assert_int_equal(regcomp(&help, "^# HELP (vpntund_[a-z_]+) [^\n]+$",
	    REG_EXTENDED), 0);
	assert_int_equal(regcomp(&type, "^# TYPE (vpntund_[a-z_]+) "
	    "(counter|gauge)$", REG_EXTENDED), 0);
	/* name, labels ({a="..."} with \\, \" and \n escapes), value */
	assert_int_equal(regcomp(&sample, "^(vpntund_[a-z_]+)"
	    "(\\{[a-z_]+=\"([^\"\\\\]|\\\\[\\\\\"n])*\""
	    "(,[a-z_]+=\"([^\"\\\\]|\\\\[\\\\\"n])*\")*\\})? "
	    "([0-9]+(\\.[0-9]+)?(e[-+][0-9]+)?)$", REG_EXTENDED), 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (regexec(&help, line, 2, m, 0) == 0) {
			snprintf(family, sizeof(family), "%.*s",
			    (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
			for (i = 0; i < nseen; i++)
				if (strcmp(seen[i], family) == 0)
					fail_msg("family %s twice", family);
			assert_true(nseen < 64);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", family);
			typed[0] = '\0';
			continue;
		}
		if (regexec(&type, line, 3, m, 0) == 0) {
			assert_int_equal((int)(m[1].rm_eo - m[1].rm_so),
			    (int)strlen(family));
			assert_memory_equal(line + m[1].rm_so, family,
			    strlen(family));
			snprintf(typed, sizeof(typed), "%.*s",
			    (int)(m[2].rm_eo - m[2].rm_so), line + m[2].rm_so);
			/* _total for counters, and only for them */
			assert_int_equal(strcmp(typed, "counter") == 0,
			    ends_with(family, "_total"));
			continue;
		}
		if (regexec(&sample, line, 2, m, 0) != 0)
			fail_msg("not a sample: %s", line);
		assert_string_not_equal(typed, "");
		/* samples follow their family's HELP and TYPE */
		assert_int_equal((int)(m[1].rm_eo - m[1].rm_so),
		    (int)strlen(family));
		assert_memory_equal(line + m[1].rm_so, family, strlen(family));
		if (strncmp(line, want, strlen(want)) == 0 &&
		    line[strlen(want)] == ' ')
			found = strtod(line + strlen(want) + 1, NULL);
	}
	regfree(&help);
	regfree(&type);
	regfree(&sample);
	return found;
}

static void
test_engine_metrics(void **state)
{
	struct config *cf = calloc(1, sizeof(*cf));
	struct evbuffer *b = evbuffer_new();
	struct engine *e;
	char *s;

	(void)state;
	assert_non_null(cf);
	e = engine_with_all(cf);
	assert_non_null(e);
	assert_non_null(e->qos);
	assert_non_null(e->br);
	e->peers[1].st.packets_in = 12345;
	e->peers[0].st.drops[ESP_DROP_REPLAY] = 7;
	e->peers[1].live.state = LIVE_UP;
	assert_int_equal(metrics_write(e, b), 0);
	s = take(b);
	assert_non_null(strstr(s, "vpntund_info{site=\"c\\\"x\","
	    "role=\"central\",tun=\"\"} 1\n"));
	assert_non_null(strstr(s, "vpntund_qos_class_rate_bytes_per_second"
	    "{class=\"b\"} 0\n"));
	assert_non_null(strstr(s, "vpntund_bridge_macs 0\n"));
	assert_non_null(strstr(s, "vpntund_peer_state{peer=\"q\","
	    "state=\"up\"} 1\nvpntund_peer_state{peer=\"q\",state=\"stale\"} 0\n"));
	assert_true(check_text(s, "vpntund_peer_drops_total{peer=\"p\","
	    "direction=\"in\",reason=\"replay\"}") == 7);
	free(s);
	/* the control socket's command gives the same */
	assert_int_equal(status_handler("metrics", b, e), 0);
	s = take(b);
	assert_true(check_text(s, "vpntund_peer_packets_total{peer=\"q\","
	    "direction=\"in\"}") == 12345);
	free(s);
	evbuffer_free(b);
	engine_free(e);
	free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test_setup_teardown(test_engine_metrics, setup,
		    tdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
