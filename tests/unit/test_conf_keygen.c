/* New key files (vpntunctl genkey): what keyfile_generate writes loads
 * with the real config loader for every kind of suite, is mode 0600,
 * differs from run to run, and an existing file is refused unless it is
 * to be replaced. Also config_load_nokeys, which vpntunctl -c uses. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"

static struct conf_error err;

struct suite {
	const char *cipher;
	size_t      bits;       /* 0: the default */
	const char *auth;       /* NULL: the default */
	size_t      block;      /* bytes of one block */
};

static const struct suite suites[] = {
	{ "blowfish-cbc", 128, "hmac-sha256-128", 16 + 32 },
	{ "blowfish-cbc", 256, "hmac-sha256-128", 32 + 32 },
	{ "blowfish-cbc", 0, NULL, 32 + 32 },
	{ "aes-gcm", 0, NULL, 32 + 4 },
	{ "aes-gcm", 128, "none", 16 + 4 },
	{ "chacha20-poly1305", 0, NULL, 32 + 4 },
	{ "3des-cbc", 0, "hmac-sha1-96", 24 + 20 },
	{ "aes-cbc", 256, "none", 32 },

	/* KAME's authenticators: RFC 2403, RFC 4868 2.1, RFC 3566 4.1. */
	{ "aes-cbc", 128, "hmac-md5-96", 16 + 16 },
	{ "aes-cbc", 128, "hmac-sha384-192", 16 + 48 },
	{ "aes-cbc", 128, "hmac-sha512-256", 16 + 64 },
	{ "aes-cbc", 128, "hmac-sha256-96", 16 + 32 },
	{ "aes-cbc", 128, "hmac-sha384-96", 16 + 48 },
	{ "aes-cbc", 128, "hmac-sha512-96", 16 + 64 },
	{ "aes-cbc", 128, "aes-xcbc-mac-96", 16 + 16 },
	/* the longest block there is */
	{ "blowfish-cbc", 448, "hmac-sha512-256", 56 + 64 },
	/* KAME's: key || nonce for aes-ctr (RFC 3686 5), nothing but the
	 * auth key for null (des-cbc needs allow-weak-cipher: below). */
	{ "cast128-cbc", 40, "hmac-sha1-96", 5 + 20 },
	{ "cast128-cbc", 0, NULL, 16 + 32 },
	{ "aes-ctr", 0, "hmac-sha1-96", 16 + 4 + 20 },
	{ "aes-ctr", 256, NULL, 32 + 4 + 32 },
	{ "null", 0, "hmac-sha1-96", 20 },
	{ "rijndael-cbc", 192, "hmac-sha1-96", 24 + 20 },
};

static void
path_in_tdir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tdir, name);
}

/* A site and one peer using key file `key` with the suite as site.conf
 * spells it: what the hint of genkey tells the user to write. */
static int
load_with(const char *key, const struct suite *s, struct config *cf)
{
	char text[1024], ks[32] = "", as[48] = "";

	if (s->bits != 0)
		snprintf(ks, sizeof(ks), " keysize %zu", s->bits);
	if (s->auth != NULL)
		snprintf(as, sizeof(as), " auth %s\n", s->auth);
	snprintf(text, sizeof(text), "site \"c\" {\n role central\n"
	    " network 10.1.0.0/24\n}\npeer \"r\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n cipher %s%s\n%s key \"%s\"\n}\n",
	    s->cipher, ks, as, key);
	return config_load_string("k.conf", text, tdir, cf, &err);
}

static void
generate(const char *path, const struct suite *s, bool replace, int want)
{
	const struct cipher_info *ci;
	const struct auth_info *ai;
	size_t bits;

	if (keyfile_suite(s->cipher, s->bits, s->auth, &ci, &bits, &ai,
	    &err) == -1)
		fail_msg("%s: %s", s->cipher, err.msg);
	assert_int_equal(keyfile_block_len(ci, bits, ai), s->block);
	assert_int_equal(keyfile_generate(path, ci, bits, ai, replace,
	    &err), want);
}

static void
test_suites_load(void **state)
{
	struct config a, b;
	struct stat st;
	char path[PATH_MAX], name[32];
	size_t i, blk;

	(void)state;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		snprintf(name, sizeof(name), "s%zu.key", i);
		path_in_tdir(path, sizeof(path), name);
		generate(path, &suites[i], false, 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		if (load_with(name, &suites[i], &a) == -1)
			fail_msg("%s: %s", suites[i].cipher, err.msg);
		blk = suites[i].block;
		assert_int_equal(a.peers[0].key_in->enc_len +
		    a.peers[0].key_in->auth_len, blk);
		/* A second run: new keys, in both directions. */
		snprintf(name, sizeof(name), "s%zu-2.key", i);
		path_in_tdir(path, sizeof(path), name);
		generate(path, &suites[i], false, 0);
		if (load_with(name, &suites[i], &b) == -1)
			fail_msg("%s: %s", suites[i].cipher, err.msg);
		if (a.peers[0].key_in->enc_len > 0) {	/* null has none */
			assert_memory_not_equal(a.peers[0].key_in->enc,
			    b.peers[0].key_in->enc,
			    a.peers[0].key_in->enc_len);
			assert_memory_not_equal(a.peers[0].key_out->enc,
			    b.peers[0].key_out->enc,
			    a.peers[0].key_out->enc_len);
		} else
			assert_memory_not_equal(a.peers[0].key_in->auth,
			    b.peers[0].key_in->auth,
			    a.peers[0].key_in->auth_len);
		config_free(&a);
		config_free(&b);
	}
}

static void
test_refuse_and_replace(void **state)
{
	const struct suite *s = &suites[1];
	struct stat st;
	char path[PATH_MAX], *before, *after;
	mode_t old;
	glob_t g;

	(void)state;
	path_in_tdir(path, sizeof(path), "same.key");
	generate(path, s, false, 0);
	before = slurp(path);
	/* Refused: the file is unchanged. */
	generate(path, s, false, -1);
	assert_non_null(strstr(err.msg, "exists"));
	after = slurp(path);
	assert_string_equal(before, after);
	free(after);
	/* Replaced, still 0600 even under a loose umask. */
	old = umask(0);
	generate(path, s, true, 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	after = slurp(path);
	assert_string_not_equal(before, after);
	free(before);
	free(after);
	/* Nothing left beside it from the replacement. */
	path_in_tdir(path, sizeof(path), ".vpntund-key.*");
	assert_int_equal(glob(path, 0, NULL, &g), GLOB_NOMATCH);
}

static void
test_bad_suites(void **state)
{
	const struct cipher_info *ci;
	const struct auth_info *ai;
	size_t bits;

	(void)state;
	assert_int_equal(keyfile_suite("rot13", 0, NULL, &ci, &bits, &ai,
	    &err), -1);
	assert_int_equal(keyfile_suite("3des-cbc", 128, NULL, &ci, &bits, &ai,
	    &err), -1);
	assert_int_equal(keyfile_suite("blowfish-cbc", 100, NULL, &ci, &bits,
	    &ai, &err), -1);
	assert_int_equal(keyfile_suite("aes-gcm", 0, "hmac-sha1-96", &ci,
	    &bits, &ai, &err), -1);
	assert_int_equal(keyfile_suite("aes-cbc", 0, "md5", &ci, &bits, &ai,
	    &err), -1);

	assert_non_null(strstr(err.msg, "expected one of " AUTH_NAMES));
	/* RFC 3686 2, RFC 4303 3.2: not without integrity. */
	assert_int_equal(keyfile_suite("aes-ctr", 0, "none", &ci, &bits, &ai,
	    &err), -1);
	assert_string_equal(err.msg, "cipher aes-ctr needs an integrity "
	    "algorithm, auth none is not allowed");
	assert_int_equal(keyfile_suite("null", 0, "none", &ci, &bits, &ai,
	    &err), -1);
	assert_int_equal(keyfile_suite("cast128-cbc", 136, NULL, &ci, &bits,
	    &ai, &err), -1);
	/* des-cbc's key file is written like any other: whether a peer
	 * may use it is site.conf's to say. */
	assert_int_equal(keyfile_suite("des-cbc", 0, "hmac-sha1-96", &ci,
	    &bits, &ai, &err), 0);
	assert_int_equal(keyfile_block_len(ci, bits, ai), 8 + 20);
	/* The defaults a peer block has. */
	assert_int_equal(keyfile_suite(NULL, 0, NULL, &ci, &bits, &ai, &err),
	    0);
	assert_string_equal(ci->name, "blowfish-cbc");
	assert_int_equal(bits, 256);
	assert_string_equal(ai->name, "hmac-sha256-128");
}

/* vpntunctl -c: the control path without reading (or having) keys. */
static void
test_nokeys(void **state)
{
	struct config cf;
	const char *path;

	(void)state;
	path = put_file("nokeys.conf", "site \"c\" {\n network 10.1.0.0/24\n"
	    " control \"run/c.sock\"\n}\npeer \"r\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n key \"missing.key\"\n}\n", 0644);
	assert_int_equal(config_load(path, &cf, &err), -1);
	if (config_load_nokeys(path, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(cf.site.control, "run/c.sock");
	assert_null(cf.peers[0].key_in);
	config_free(&cf);
	path = put_file("default.conf", "site \"c\" {\n network 10.1.0.0/24\n"
	    "}\npeer \"r\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"missing.key\"\n}\n", 0644);
	if (config_load_nokeys(path, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(cf.site.control, CONF_CONTROL_DEFAULT);
	assert_string_equal(cf.site.control, "/run/vpntund/vpntund.sock");
	config_free(&cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suites_load),
		cmocka_unit_test(test_refuse_and_replace),
		cmocka_unit_test(test_bad_suites),
		cmocka_unit_test(test_nokeys),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
