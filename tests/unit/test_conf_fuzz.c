/* A short, deterministic mutation run over the example configs, as a
 * ctest: the parser must never crash or leak (ASan/UBSan builds), every
 * refusal must name file:line, and an error must leave nothing allocated. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"

#define ITERATIONS 20000

static const char *const frag[] = {
	"{", "}", ";", "\n", "\\\n", "#", "\"", "$home", "$mine", "host(",
	"net(", "mask(", ")", ",", " + ", " - ", " / ", "<->", "x = ",
	"fd00::", "255.255.255.255", " 99999999999999999999999 ", "0x",
	"include \"again.conf\"\n", "keysize 448", "peer \"z\" {", "site \"y\" {",
	"spi in 0x100 out 0x100", "tunnel 10.0.0.0/8 <-> fd00::/8",
};

/* xorshift: the same sequence on every run */
static uint32_t rng = 0x2545f491;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}


static void
mutate(char *buf, size_t cap)
{
	int m, muts = 1 + (int)(next_rand() % 4);

	for (m = 0; m < muts; m++) {
		size_t len = strlen(buf), pos = len ? next_rand() % len : 0;
		const char *s;
		size_t sl;

		switch (next_rand() % 3) {
		case 0:
			if (len)
				memmove(buf + pos, buf + pos + 1, len - pos);
			break;
		case 1:
			s = frag[next_rand() % (sizeof(frag) / sizeof(frag[0]))];
			sl = strlen(s);
			if (len + sl + 1 < cap) {
				memmove(buf + pos + sl, buf + pos, len - pos + 1);
				memcpy(buf + pos, s, sl);
			}
			break;
		default:
			if (len)
				buf[pos] = (char)(1 + next_rand() % 255);
			break;
		}
	}
}

/* "name.conf:123: ..." */
static bool
has_file_line(const char *msg)
{
	const char *c = strstr(msg, ".conf:");

	if (c == NULL || !isdigit((unsigned char)c[6]))
		return false;
	for (c += 6; isdigit((unsigned char)*c); c++)
		;
	return c[0] == ':' && c[1] == ' ';
}

static void
run(const char *example)
{
	static char buf[65536];
	char path[PATH_MAX], *base;
	struct config cf;
	struct conf_error err;
	size_t n = strlen(TEST_DATA_DIR) - strlen("/tests/data");
	int i, ok = 0;

	snprintf(path, sizeof(path), "%.*s/conf/examples/%s", (int)n,
	    TEST_DATA_DIR, example);
	base = slurp(path);
	put_file("again.conf", base, 0644);
	for (i = 0; i < ITERATIONS; i++) {
		snprintf(buf, sizeof(buf), "%s", base);
		mutate(buf, sizeof(buf));
		if (config_load_string("f.conf", buf, tdir, &cf, &err) == 0) {
			ok++;
			config_free(&cf);
			continue;
		}
		if (!has_file_line(err.msg))
			fail_msg("no file:line in \"%s\"", err.msg);
		assert_null(cf.peers);
	}
	/* Some mutations are harmless (comments, whitespace). */
	assert_true(ok > 0);
	free(base);
}

static void
test_fuzz_examples(void **state)
{
	char sub[PATH_MAX];
	char *k;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/keys", tdir);
	mkdir(sub, 0700);
	k = key_hex(128, 7);            /* blowfish-cbc 256 + hmac-sha256-128 */
	put_file("keys/physician1.key", k, 0600);
	free(k);
	run("central.conf");
	run("remote.conf");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_examples),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
