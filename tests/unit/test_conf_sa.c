/* `sa in` and `sa out`, `replay-window 0` and `padding`: a manual SA pair
 * as setkey(8) configures one (docs/site.conf.5.md, PEER BLOCKS). What
 * loads, with which keys in which direction, how vpntund -n -v shows it,
 * and every refusal with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"

static struct conf_error err;

#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"
/* Lines 4..7 of every config below: the peer's block begins. */
#define HEAD "peer \"k\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n" \
	" keying manual\n"
/* 3des-cbc + hmac-sha1-96: 24 + 20 bytes; blowfish-cbc keysize 128 +
 * hmac-sha256-128: 16 + 32. */
#define SA_IN  " sa in spi 0x1001 cipher 3des-cbc auth hmac-sha1-96 key " \
	"\"in.key\"\n"
#define SA_OUT " sa out spi 4096 cipher blowfish-cbc keysize 128 auth " \
	"hmac-sha256-128 key \"out.key\"\n"

static void
put_key(const char *name, size_t n, unsigned seed)
{
	char *k = key_hex(n, seed);

	put_file(name, k, 0600);
	free(k);
}

static void
put_keys(void)
{
	put_key("in.key", 44, 1);
	put_key("out.key", 48, 101);
	put_default_key_seeded("k.key", 200);
}

static int
load(const char *text, struct config *cf)
{
	memset(&err, 0, sizeof(err));
	return config_load_string("site.conf", text, tdir, cf, &err);
}

static void
test_load(void **state)
{
	const struct peer_conf *pc;
	struct config cf;
	size_t i;

	(void)state;
	put_keys();
	if (load(SITE HEAD SA_IN SA_OUT " replay-window 0\n padding zero\n}\n",
	    &cf) == -1)
		fail_msg("%s", err.msg);
	pc = &cf.peers[0];
	assert_true(pc->sa_split);
	assert_int_equal(pc->spi_in, 0x1001);
	assert_int_equal(pc->spi_out, 4096);
	assert_string_equal(pc->suite_in.cipher->name, "3des-cbc");
	assert_int_equal(pc->suite_in.key_bits, 192);
	assert_string_equal(pc->suite_in.auth->name, "hmac-sha1-96");
	assert_string_equal(pc->suite_out.cipher->name, "blowfish-cbc");
	assert_int_equal(pc->suite_out.key_bits, 128);
	assert_string_equal(pc->suite_out.auth->name, "hmac-sha256-128");
	assert_int_equal(pc->replay_window, 0);
	assert_int_equal(pc->padding, PADDING_ZERO);
	/* Each file's block as it is, in its own direction. */
	assert_int_equal(pc->key_in->enc_len, 24);
	assert_int_equal(pc->key_in->auth_len, 20);
	assert_int_equal(pc->key_out->enc_len, 16);
	assert_int_equal(pc->key_out->auth_len, 32);
	for (i = 0; i < 24; i++)
		assert_int_equal(pc->key_in->enc[i], 1 + i);
	for (i = 0; i < 20; i++)
		assert_int_equal(pc->key_in->auth[i], 25 + i);
	for (i = 0; i < 16; i++)
		assert_int_equal(pc->key_out->enc[i], 101 + i);
	for (i = 0; i < 32; i++)
		assert_int_equal(pc->key_out->auth[i], 117 + i);
	/* Lifetimes limit what we send: blowfish's 64-bit blocks. */
	assert_int_equal(pc->life_bytes, 64ULL << 20);
	config_free(&cf);
}

/* Words in any order; auth defaults as the peer's does, by cipher. */
static void
test_defaults(void **state)
{
	const struct peer_conf *pc;
	struct config cf;

	(void)state;
	put_key("in.key", 16 + 32, 1);          /* aes-cbc 128 + sha256 */
	put_key("out.key", 32 + 4, 101);        /* aes-gcm 256 + salt */
	if (load(SITE HEAD " sa in key \"in.key\" cipher aes-cbc spi 300\n"
	    " sa out cipher aes-gcm keysize 256 spi 301 key \"out.key\"\n}\n",
	    &cf) == -1)
		fail_msg("%s", err.msg);
	pc = &cf.peers[0];
	assert_string_equal(pc->suite_in.auth->name, "hmac-sha256-128");
	assert_int_equal(pc->suite_in.key_bits, 128);
	assert_string_equal(pc->suite_out.auth->name, "none");
	assert_int_equal(pc->key_out->enc_len, 36);
	assert_int_equal(pc->key_out->auth_len, 0);
	assert_int_equal(pc->replay_window, 1024);
	assert_int_equal(pc->padding, PADDING_STRICT);
	/* 128-bit blocks: the larger default. */
	assert_int_equal(pc->life_bytes, 1ULL << 38);
	config_free(&cf);
}

static void
test_show(void **state)
{
	struct config cf;
	char path[PATH_MAX], *text, want[PATH_MAX * 2 + 512];
	FILE *f;

	(void)state;
	put_keys();
	if (load(SITE HEAD SA_IN SA_OUT " replay-window 0\n padding any\n}\n",
	    &cf) == -1)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s/show", tdir);
	f = fopen(path, "w");
	assert_non_null(f);
	config_show(f, &cf);
	fclose(f);
	text = slurp(path);
	snprintf(want, sizeof(want), "\tkeying manual\n"
	    "\tsa in spi 0x00001001 cipher 3des-cbc keysize 192 auth "
	    "hmac-sha1-96 key \"%s/in.key\"\t# 44 bytes\n"
	    "\tsa out spi 0x00001000 cipher blowfish-cbc keysize 128 auth "
	    "hmac-sha256-128 key \"%s/out.key\"\t# 48 bytes\n"
	    "\treplay-window 0\t# off: no anti-replay\n"
	    "\tpadding any\n", tdir, tdir);
	if (strstr(text, want) == NULL)
		fail_msg("%s", text);
	assert_non_null(strstr(text, "\t# SPIs, hex (decimal); set with sa\n"
	    "\tspi out                  0x00001000 (4096)\n"
	    "\tspi in                   0x00001001 (4097)\n"));
	/* The pair replaces these. */
	assert_null(strstr(text, "\tcipher "));
	assert_null(strstr(text, "\tkey \""));
	free(text);
	config_free(&cf);
}

struct bad {
	const char *text;
	const char *msg;        /* the whole message */
};

static const struct bad bad[] = {
	{ SITE HEAD " sa up spi 300\n}\n",
	  "site.conf:8: expected in or out after \"sa\", got \"up\"" },
	{ SITE HEAD " sa in spi 300 cipher 3des-cbc\n}\n",
	  "site.conf:8: \"sa in\" needs \"key\" \"FILE\"" },
	{ SITE HEAD " sa in cipher 3des-cbc key \"in.key\"\n}\n",
	  "site.conf:8: \"sa in\" needs \"spi\" N (256..4294967295)" },
	{ SITE HEAD " sa out spi 300 key \"out.key\"\n}\n",
	  "site.conf:8: \"sa out\" needs \"cipher\" and a cipher name" },
	{ SITE HEAD " sa in spi 300 spi 301 cipher 3des-cbc key "
	  "\"in.key\"\n}\n",
	  "site.conf:8: \"sa in\": \"spi\" is given twice" },
	{ SITE HEAD " sa in spi 255 cipher 3des-cbc key \"in.key\"\n}\n",
	  "site.conf:8: spi 255 is out of range, expected 256..4294967295" },
	{ SITE HEAD " sa in spi 300 cipher 3des-cbc mode tunnel\n}\n",
	  "site.conf:8: expected spi, cipher, auth or key in \"sa in\", got "
	  "\"mode\"" },
	{ SITE HEAD " sa in spi 300 cipher 3des-cbc keysize 128 key "
	  "\"in.key\"\n}\n",
	  "site.conf:8: cipher 3des-cbc has a fixed key size of 192 bits, "
	  "\"keysize\" is not allowed" },
	{ SITE HEAD " sa out spi 300 cipher blowfish-cbc keysize 36 key "
	  "\"out.key\"\n}\n",
	  "site.conf:8: keysize 36 is not valid for blowfish-cbc, expected "
	  "40..448 in steps of 8" },
	{ SITE HEAD " sa in spi 300 cipher 3des-cbc auth md5 key "
	  "\"in.key\"\n}\n",
	  "site.conf:8: unknown auth \"md5\", expected one of "
	  AUTH_NAMES },
	{ SITE HEAD SA_IN SA_IN SA_OUT "}\n",
	  "site.conf:9: peer \"k\": \"sa in\" is given twice, first at "
	  "line 8" },
	/* The pair and what it replaces. */
	{ SITE HEAD SA_IN "}\n",
	  "site.conf:8: peer \"k\": \"sa in\" without \"sa out\"; set both "
	  "directions" },
	{ SITE HEAD SA_OUT "}\n",
	  "site.conf:8: peer \"k\": \"sa out\" without \"sa in\"; set both "
	  "directions" },
	{ SITE "peer \"k\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  SA_IN SA_OUT "}\n",
	  "site.conf:7: peer \"k\": \"sa in\" needs \"keying manual\": "
	  "derived keying draws both directions from one key file" },
	{ SITE HEAD SA_IN SA_OUT " cipher aes-cbc\n}\n",
	  "site.conf:10: peer \"k\": \"sa in\" and \"sa out\" set the SAs; "
	  "\"cipher\" is not used with them" },
	{ SITE HEAD " auth hmac-sha1-96\n" SA_IN SA_OUT "}\n",
	  "site.conf:8: peer \"k\": \"sa in\" and \"sa out\" set the SAs; "
	  "\"auth\" is not used with them" },
	{ SITE HEAD SA_IN SA_OUT " key \"k.key\"\n}\n",
	  "site.conf:10: peer \"k\": \"sa in\" and \"sa out\" set the SAs; "
	  "\"key\" is not used with them" },
	{ SITE HEAD SA_IN SA_OUT " spi in 500 out 501\n}\n",
	  "site.conf:10: peer \"k\": \"sa in\" and \"sa out\" set the SAs; "
	  "\"spi\" is not used with them" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap vtap0\n}\n" HEAD SA_IN
	  SA_OUT " tap-sa dedicated key \"k.key\"\n}\n",
	  "site.conf:11: peer \"k\": \"tap-sa dedicated\" is not used with "
	  "\"sa in\" and \"sa out\": frames ride the peer's SAs" },
	{ SITE HEAD SA_IN " sa out spi 300 cipher aes-gcm auth hmac-sha1-96 "
	  "key \"out.key\"\n}\n",
	  "site.conf:9: auth hmac-sha1-96 cannot be used with the AEAD cipher "
	  "aes-gcm, expected \"auth none\"" },
	/* Key files of one block, each its suite's length. */
	{ SITE HEAD " sa in spi 0x1001 cipher blowfish-cbc auth hmac-sha1-96 "
	  "key \"in.key\"\n" SA_OUT "}\n",
	  "site.conf:8: key file %s/in.key holds 44 bytes, expected 52 (32 "
	  "cipher key + 20 auth key)" },
	{ SITE HEAD SA_IN " sa out spi 4096 cipher blowfish-cbc auth "
	  "hmac-sha256-128 key \"out.key\"\n}\n",
	  "site.conf:9: key file %s/out.key holds 48 bytes, expected 64 (32 "
	  "cipher key + 32 auth key)" },
	/* SPIs: the `sa in` SPI is what packets are told apart by. */
	{ SITE HEAD SA_IN SA_OUT "}\npeer \"o\" {\n network 10.1.2.0/24\n"
	  " endpoint 198.18.2.3\n key \"k.key\"\n spi in 0x1001 out 0x3000\n"
	  "}\n",
	  "site.conf:11: inbound SPI 0x00001001 of peer \"o\" is also used "
	  "by peer \"k\" (site.conf:4); set distinct SPIs with "
	  "\"spi in N out N\"" },
	/* replay-window 0 */
	{ SITE "peer \"k\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n replay-window 0\n}\n",
	  "site.conf:8: peer \"k\": replay-window 0 needs \"keying manual\": "
	  "with derived keying the window keeps a restart from taking old "
	  "packets" },
	{ SITE HEAD SA_IN SA_OUT " esn yes\n replay-window 0\n}\n",
	  "site.conf:11: peer \"k\": replay-window 0 cannot be used with "
	  "\"esn yes\": the receiver infers the high half of the sequence "
	  "number from its window" },
	{ SITE "peer \"k\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " keying manual\n key \"k.key\"\n replay-window 0\n}\n",
	  "site.conf:9: peer \"k\": replay-window 0 cannot be used with "
	  "\"endpoint dynamic\": a replayed packet could move the endpoint" },
	{ SITE HEAD SA_IN SA_OUT " replay-window 1\n}\n",
	  "site.conf:10: replay-window 1 is out of range, expected 0 (off) or "
	  "64..65536" },
	{ SITE HEAD SA_IN SA_OUT " replay-window off\n}\n",
	  "site.conf:10: expected a number 0 or 64..65536 after "
	  "\"replay-window\", got \"off\"" },
	/* padding */
	{ SITE HEAD SA_IN SA_OUT " padding random\n}\n",
	  "site.conf:10: expected strict, zero or any after \"padding\", got "
	  "\"random\"" },
	/* Every SA its own key: the pair's two, and anyone else's. */
	{ SITE HEAD " sa in spi 0x1001 cipher blowfish-cbc keysize 128 auth "
	  "hmac-sha256-128 key \"out.key\"\n" SA_OUT "}\n",
	  "site.conf:9: peer \"k\": sa out key file %s/out.key repeats the "
	  "cipher key of peer \"k\" (sa in key file %s/out.key); every SA "
	  "needs its own key" },
	{ SITE HEAD SA_IN SA_OUT "}\npeer \"o\" {\n network 10.1.2.0/24\n"
	  " endpoint 198.18.2.3\n keying manual\n"
	  " sa in spi 0x2001 cipher 3des-cbc auth hmac-sha1-96 key "
	  "\"in.key\"\n sa out spi 0x2002 cipher 3des-cbc auth hmac-sha1-96 "
	  "key \"in2.key\"\n}\n",
	  "site.conf:15: peer \"o\": sa in key file %s/in.key repeats the "
	  "cipher key of peer \"k\" (sa in key file %s/in.key); every SA "
	  "needs its own key" },
};

/* msg with each %s replaced by the temporary directory. */
static void
expand(const char *msg, char *out, size_t len)
{
	const char *at;
	size_t n = 0;

	while ((at = strstr(msg, "%s")) != NULL) {
		n += (size_t)snprintf(out + n, len - n, "%.*s%s",
		    (int)(at - msg), msg, tdir);
		msg = at + 2;
	}
	snprintf(out + n, len - n, "%s", msg);
}

static void
test_errors(void **state)
{
	struct config cf;
	char want[CONF_ERR_MAX + PATH_MAX * 2];
	size_t i;

	(void)state;
	put_keys();
	put_key("in2.key", 44, 60);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expand(bad[i].msg, want, sizeof(want));
		if (load(bad[i].text, &cf) == 0) {
			config_free(&cf);
			fail_msg("case %zu loaded, expected: %s", i, want);
		}
		if (strcmp(err.msg, want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.msg,
			    want);
	}
}

/* Any change of an `sa` asks for a restart, as a key change does. */
static void
test_reload(void **state)
{
	static const struct { const char *lines, *msg; } t[] = {
		{ " sa in spi 0x1002 cipher 3des-cbc auth hmac-sha1-96 key "
		  "\"in.key\"\n" SA_OUT, "sa in" },
		{ SA_IN " sa out spi 4096 cipher blowfish-cbc keysize 128 "
		  "auth hmac-sha1-96 key \"out20.key\"\n", "sa out" },
		{ SA_IN " sa out spi 4096 cipher blowfish-cbc keysize 128 "
		  "auth hmac-sha256-128 key \"out2.key\"\n", "sa key" },
		{ SA_IN SA_OUT " padding zero\n", "padding" },
		{ SA_IN SA_OUT " replay-window 64\n", "replay-window" },
		{ " key \"k.key\"\n", "sa" },
	};
	struct config old, new;
	char text[2048], want[256];
	size_t i;

	(void)state;
	put_keys();
	put_key("out2.key", 48, 150);
	put_key("out20.key", 36, 150);
	if (load(SITE HEAD SA_IN SA_OUT " replay-window 0\n}\n", &old) == -1)
		fail_msg("%s", err.msg);
	/* The same, its keys moved to other files: nothing changed. */
	put_key("in.copy", 44, 1);
	if (load(SITE HEAD " sa in spi 0x1001 cipher 3des-cbc auth "
	    "hmac-sha1-96 key \"in.copy\"\n" SA_OUT " replay-window 0\n}\n",
	    &new) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(config_reload_check(&old, &new, &err), 0);
	config_free(&new);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), SITE HEAD "%s%s}\n", t[i].lines,
		    strstr(t[i].lines, "replay-window") != NULL ||
		    strstr(t[i].lines, "k.key") != NULL ? "" :
		    " replay-window 0\n");
		if (load(text, &new) == -1)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(config_reload_check(&old, &new, &err), -1);
		snprintf(want, sizeof(want), "site.conf:4: peer \"k\": %s "
		    "changed; restart vpntund to apply it", t[i].msg);
		assert_string_equal(err.msg, want);
		config_free(&new);
	}
	config_free(&old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
