/* config_warn: what loads but is said at start. Each warning is read
 * back from stderr, where log_warnx writes without syslog, and compared
 * whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"
#include "util/log.h"

static struct conf_error err;

#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"

/* Loads SITE and one peer "x" with the given lines and a key file that
 * fits them; the suite's key is cipher_bytes + salt + auth_bytes. */
static void
load(const char *lines, size_t block, struct config *cf)
{
	char text[1024], *k;

	k = key_hex(2 * block, 1);
	put_file("x.key", k, 0600);
	free(k);
	snprintf(text, sizeof(text), SITE "peer \"x\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n key \"x.key\"\n%s}\n", lines);
	memset(&err, 0, sizeof(err));
	if (config_load_string("site.conf", text, tdir, cf, &err) == -1)
		fail_msg("%s", err.msg);
}

/* What config_warn writes to stderr; the caller frees it. */
static char *
warnings(const struct config *cf)
{
	char path[PATH_MAX], *text;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/stderr", tdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved != -1);
	assert_int_equal(dup2(fd, 2), 2);
	config_warn(cf);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	text = slurp(path);
	return text;
}

static void
test_auth_none(void **state)
{
	struct config cf;
	char *w;

	(void)state;
	/* blowfish-cbc at its default 256 bits, no auth key */
	load(" auth none\n", 32, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "test: warning: peer \"x\": auth none: packets "
	    "are not authenticated: anyone on the path can inject packets or "
	    "flip bits of captured ones (CBC), and only the inner packet "
	    "checks stand between them and the tunnel; they cannot read "
	    "traffic or learn keys; use hmac-sha256-128 or an AEAD cipher\n");
	free(w);
	config_free(&cf);

	/* 3des-cbc and aes-cbc too: every CBC suite */
	load(" cipher aes-cbc\n auth none\n", 16, &cf);
	w = warnings(&cf);
	assert_non_null(strstr(w, "peer \"x\": auth none: packets are not "
	    "authenticated"));
	free(w);
	config_free(&cf);
}

/* An AEAD cipher's "none" is its own tag; a CBC cipher with an HMAC is
 * authenticated: nothing to say. */
static void
test_quiet(void **state)
{
	struct config cf;
	char *w;

	(void)state;
	load(" cipher aes-gcm\n", 36, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
	load(" cipher chacha20-poly1305\n auth none\n", 36, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
	load(" cipher aes-cbc\n auth hmac-sha1-96\n", 16 + 20, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
}

/* Blowfish keys of 40 to 120 bits load (RFC 2451, KAME's setkey) with a
 * word; 128 bits and up, nothing. */
static void
test_short_blowfish(void **state)
{
	struct config cf;
	char *w;

	(void)state;
	load(" cipher blowfish-cbc keysize 40\n auth hmac-sha256-128\n",
	    5 + 32, &cf);
	assert_int_equal(cf.peers[0].suite_out.key_bits, 40);
	w = warnings(&cf);
	assert_string_equal(w, "test: warning: peer \"x\": blowfish-cbc "
	    "keysize 40: a key this short can be found by trying them all; "
	    "use keysize 128 or more\n");
	free(w);
	config_free(&cf);
	load(" cipher blowfish-cbc keysize 120\n auth hmac-sha256-128\n",
	    15 + 32, &cf);
	w = warnings(&cf);
	assert_non_null(strstr(w, "blowfish-cbc keysize 120: a key this "
	    "short"));
	free(w);
	config_free(&cf);
	load(" cipher blowfish-cbc keysize 128\n auth hmac-sha256-128\n",
	    16 + 32, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
}

/* KAME's ciphers: des-cbc only with allow-weak-cipher, and then with a
 * word at every start; null with one that nothing is encrypted; short
 * CAST keys as short Blowfish keys. */
static void
test_kame_ciphers(void **state)
{
	struct config cf;
	char *w;

	(void)state;
	load(" cipher des-cbc\n allow-weak-cipher yes\n auth hmac-sha1-96\n",
	    8 + 20, &cf);
	assert_true(cf.peers[0].allow_weak_cipher);
	assert_int_equal(cf.peers[0].life_bytes, 64 * 1024 * 1024);
	w = warnings(&cf);
	assert_string_equal(w, "test: warning: peer \"x\": des-cbc is a weak "
	    "cipher (56-bit key, found by exhaustive search in hours): anyone "
	    "who records the traffic can read it; allowed by "
	    "allow-weak-cipher yes; use aes-cbc or aes-gcm where the peer "
	    "can\n");
	free(w);
	config_free(&cf);

	load(" cipher null\n auth hmac-sha1-96\n", 20, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "test: warning: peer \"x\": cipher null: "
	    "packets are not encrypted (RFC 2410): anyone on the path reads "
	    "the traffic; hmac-sha1-96 only proves who sent it\n");
	free(w);
	config_free(&cf);

	load(" cipher cast128-cbc keysize 40\n auth hmac-sha1-96\n", 5 + 20,
	    &cf);
	assert_int_equal(cf.peers[0].life_bytes, 64 * 1024 * 1024);
	w = warnings(&cf);
	assert_string_equal(w, "test: warning: peer \"x\": cast128-cbc "
	    "keysize 40: a key this short can be found by trying them all; "
	    "use keysize 128 or more\n");
	free(w);
	config_free(&cf);

	/* 64-bit blocks: past 64 MiB, the SWEET32 word names it. */
	load(" cipher cast128-cbc\n auth hmac-sha1-96\n lifetime bytes 65 MiB\n",
	    16 + 20, &cf);
	w = warnings(&cf);
	assert_non_null(strstr(w, "peer \"x\": lifetime bytes 68157440 "
	    "exceeds 64 MiB, the SWEET32 bound for cast128-cbc, a cipher of "
	    "64-bit blocks"));
	free(w);
	config_free(&cf);

	/* allow-weak-cipher on a strong cipher changes nothing; aes-ctr
	 * with an HMAC is quiet, and keeps the long lifetime of 128-bit
	 * blocks. */
	load(" cipher aes-ctr keysize 256\n allow-weak-cipher yes\n"
	    " auth hmac-sha256-128\n", 32 + 4 + 32, &cf);
	assert_true(cf.peers[0].life_bytes > 64 * 1024 * 1024);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
}

/* Above 64 MiB a 64-bit block cipher loads, with a word about SWEET32;
 * at the bound or with 128-bit blocks, nothing. */
static void
test_sweet32(void **state)
{
	struct config cf;
	char *w;

	(void)state;
	load(" lifetime bytes 65 MiB\n", 64, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "test: warning: peer \"x\": lifetime bytes "
	    "68157440 exceeds 64 MiB, the SWEET32 bound for blowfish-cbc, a "
	    "cipher of 64-bit blocks: under one key, colliding ciphertext "
	    "blocks begin to leak plaintext; keep lifetime bytes at 64 MiB or "
	    "below, or use aes-cbc, aes-gcm or chacha20-poly1305\n");
	free(w);
	config_free(&cf);
	load(" cipher 3des-cbc\n lifetime bytes 1GiB soft 1MiB\n", 24 + 32,
	    &cf);
	w = warnings(&cf);
	assert_non_null(strstr(w, "peer \"x\": lifetime bytes 1073741824 "
	    "exceeds 64 MiB, the SWEET32 bound for 3des-cbc, a cipher of "
	    "64-bit blocks"));
	free(w);
	config_free(&cf);

	/* The default, and exactly the bound: quiet. */
	load("", 64, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
	load(" cipher 3des-cbc\n lifetime bytes 64MiB\n", 24 + 32, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
	load(" cipher aes-cbc\n lifetime bytes 1 TiB\n", 16 + 32, &cf);
	w = warnings(&cf);
	assert_string_equal(w, "");
	free(w);
	config_free(&cf);
}

/* A monitor beyond loopback is allowed, with a word: it has no
 * authentication. */
static void
test_monitor(void **state)
{
	static const struct {
		const char *stmt;
		bool        warns;
	} cases[] = {
		{ "monitor port 9180", false },
		{ "monitor 127.0.0.2 port 9180", false },
		{ "monitor ::1 port 9180", false },
		{ "monitor 10.1.0.1 port 9180", true },
		{ "monitor fd00::1 port 9180", true },
	};
	struct config cf;
	char text[512], *k, *w;
	size_t i;

	(void)state;
	k = key_hex(2 * 36, 1);
	put_file("x.key", k, 0600);
	free(k);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "site \"s\" {\n network "
		    "10.1.0.0/24\n %s\n}\npeer \"x\" {\n network 10.1.1.0/24\n"
		    " endpoint 198.18.2.2\n cipher aes-gcm\n key \"x.key\"\n}\n",
		    cases[i].stmt);
		if (config_load_string("site.conf", text, tdir, &cf, &err) == -1)
			fail_msg("%s", err.msg);
		w = warnings(&cf);
		if (cases[i].warns)
			assert_string_equal(w, "test: warning: monitor: not on "
			    "loopback: anyone who reaches its address may read "
			    "the status (no authentication); keep it on a "
			    "management network or behind a firewall\n");
		else
			assert_string_equal(w, "");
		free(w);
		config_free(&cf);
	}
}

/* A manual pair of SAs as setkey(8) writes them, each direction its
 * own suite: each direction is warned about on its own, and so are
 * replay-window 0 and padding any without an ICV. */
static void
test_sa(void **state)
{
	struct config cf;
	char text[1024], *k, *w;

	(void)state;
	k = key_hex(24, 1);                     /* 3des-cbc, auth none */
	put_file("in.key", k, 0600);
	free(k);
	k = key_hex(5 + 32, 101);               /* blowfish 40 + sha256 */
	put_file("out.key", k, 0600);
	free(k);
	snprintf(text, sizeof(text), SITE "peer \"x\" {\n network "
	    "10.1.1.0/24\n endpoint 198.18.2.2\n keying manual\n"
	    " sa in spi 300 cipher 3des-cbc auth none key \"in.key\"\n"
	    " sa out spi 301 cipher blowfish-cbc keysize 40 key \"out.key\"\n"
	    " replay-window 0\n padding any\n}\n");
	if (config_load_string("site.conf", text, tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	w = warnings(&cf);
	assert_string_equal(w,
	    "test: warning: peer \"x\": sa out: blowfish-cbc keysize 40: a "
	    "key this short can be found by trying them all; use keysize 128 "
	    "or more\n"
	    "test: warning: peer \"x\": sa in: auth none: packets are not "
	    "authenticated: anyone on the path can inject packets or flip "
	    "bits of captured ones (CBC), and only the inner packet checks "
	    "stand between them and the tunnel; they cannot read traffic or "
	    "learn keys; use hmac-sha256-128 or an AEAD cipher\n"
	    "test: warning: peer \"x\": replay-window 0: a captured packet "
	    "from this peer can be delivered again, at any time; use it only "
	    "for a peer that restarts its counter (KAME's setkey default "
	    "-r 0)\n"
	    "test: warning: peer \"x\": padding any with auth none: the "
	    "padding bytes are one of the few checks left against forged "
	    "packets; use padding strict or zero, or an auth algorithm\n");
	free(w);
	config_free(&cf);

	/* With an ICV both ways, padding any is said nothing of. */
	k = key_hex(24 + 20, 1);
	put_file("in.key", k, 0600);
	free(k);
	snprintf(text, sizeof(text), SITE "peer \"x\" {\n network "
	    "10.1.1.0/24\n endpoint 198.18.2.2\n keying manual\n"
	    " sa in spi 300 cipher 3des-cbc auth hmac-sha1-96 key "
	    "\"in.key\"\n sa out spi 301 cipher blowfish-cbc keysize 40 "
	    "key \"out.key\"\n padding any\n}\n");
	if (config_load_string("site.conf", text, tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	w = warnings(&cf);
	assert_null(strstr(w, "padding"));
	assert_null(strstr(w, "replay-window"));
	free(w);
	config_free(&cf);
}

static int
setup(void **state)
{
	log_init("test", LOG_LVL_INFO, false);
	return tdir_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_none),
		cmocka_unit_test(test_quiet),
		cmocka_unit_test(test_sweet32),
		cmocka_unit_test(test_kame_ciphers),
		cmocka_unit_test(test_short_blowfish),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_sa),
	};

	return cmocka_run_group_tests(tests, setup, tdir_teardown);
}
