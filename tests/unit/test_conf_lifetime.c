/* lifetime bytes and lifetime packets: the forms a size takes, the
 * defaults per cipher and esn, the soft limit, and every refusal with
 * its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"

static struct conf_error err;

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* Key bytes of one block for the ciphers used here, at their default
 * key sizes with their default auth (hmac-sha256-128 for CBC). */
static size_t
block_of(const char *cipher)
{
	const struct cipher_info *c = cipher_by_name(cipher);

	return c->key_default + c->salt_len + (cipher_is_aead(c) ? 0 : 32);
}

/* One peer "p" (lines 4..) with the given cipher and lines; -1 with
 * err set, or 0. */
static int
load(const char *cipher, const char *lines, struct config *cf)
{
	char text[1024], *k;

	k = key_hex(2 * block_of(cipher), 1);
	put_file("k.key", k, 0600);
	free(k);
	snprintf(text, sizeof(text), "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"k.key\"\n cipher %s\n%s}\n", cipher, lines);
	memset(&err, 0, sizeof(err));
	return config_load_string("site.conf", text, tdir, cf, &err);
}

/* The hard and soft byte limits of "lifetime bytes <text>". */
static void
bytes_are(const char *text, uint64_t hard, uint64_t soft)
{
	struct config cf;
	char lines[256];

	snprintf(lines, sizeof(lines), " lifetime bytes %s\n", text);
	if (load("aes-gcm", lines, &cf) == -1)
		fail_msg("lifetime bytes %s: %s", text, err.msg);
	if (cf.peers[0].life_bytes != hard ||
	    cf.peers[0].life_bytes_soft != soft)
		fail_msg("lifetime bytes %s: %llu soft %llu, expected %llu soft "
		    "%llu", text, (unsigned long long)cf.peers[0].life_bytes,
		    (unsigned long long)cf.peers[0].life_bytes_soft,
		    (unsigned long long)hard, (unsigned long long)soft);
	config_free(&cf);
}

static void
test_sizes(void **state)
{
	(void)state;
	bytes_are("4096", 4096, 3072);
	bytes_are("4097", 4097, 3072);          /* 3/4, rounded down */
	bytes_are("4099", 4099, 3074);
	bytes_are("0x2000", 8192, 6144);
	bytes_are("5000 bytes", 5000, 3750);
	bytes_are("5000bytes", 5000, 3750);
	bytes_are("5000 byte", 5000, 3750);
	bytes_are("5kB", 5000, 3750);
	bytes_are("5 kb", 5000, 3750);
	bytes_are("64MB", 64000000, 48000000);
	bytes_are("2 GB", 2000000000ULL, 1500000000ULL);
	bytes_are("3TB", 3000000000000ULL, 2250000000000ULL);
	bytes_are("4KiB", 4096, 3072);
	bytes_are("64 MiB", 64 * MiB, 48 * MiB);
	bytes_are("64mib", 64 * MiB, 48 * MiB);
	bytes_are("64MIB", 64 * MiB, 48 * MiB);
	bytes_are("256 GiB", 256 * GiB, 192 * GiB);
	bytes_are("2TiB", 2ULL << 40, 3ULL << 39);
	bytes_are("1048576 TiB", 1ULL << 60, 3ULL << 58);
	bytes_are("64MiB soft 1", 64 * MiB, 1);
	bytes_are("64MiB soft 64MiB", 64 * MiB, 64 * MiB);
	bytes_are("1 GiB soft 900 MB", GiB, 900000000ULL);
	bytes_are("8192 soft 5 KiB", 8192, 5120);
}

static void
test_packets(void **state)
{
	struct config cf;

	(void)state;
	assert_int_equal(load("aes-gcm", " lifetime packets 16\n", &cf), 0);
	assert_int_equal(cf.peers[0].life_packets, 16);
	assert_int_equal(cf.peers[0].life_packets_soft, 12);
	config_free(&cf);
	assert_int_equal(load("aes-gcm", " lifetime packets 1001 soft 1000\n",
	    &cf), 0);
	assert_int_equal(cf.peers[0].life_packets, 1001);
	assert_int_equal(cf.peers[0].life_packets_soft, 1000);
	config_free(&cf);
	/* The last sequence number without esn is allowed... */
	assert_int_equal(load("aes-gcm", " lifetime packets 4294967295\n",
	    &cf), 0);
	assert_int_equal(cf.peers[0].life_packets, 4294967295ULL);
	assert_int_equal(cf.peers[0].life_packets_soft, 3221225471ULL);
	config_free(&cf);
	/* ...one more needs esn, which may come after the lifetime. */
	assert_int_equal(load("aes-gcm", " lifetime packets 4294967296\n"
	    " esn yes\n", &cf), 0);
	assert_int_equal(cf.peers[0].life_packets, 1ULL << 32);
	config_free(&cf);
	assert_int_equal(load("aes-gcm", " lifetime packets "
	    "18446744073709551615 soft 0x10\n esn yes\n", &cf), 0);
	assert_int_equal(cf.peers[0].life_packets, UINT64_MAX);
	assert_int_equal(cf.peers[0].life_packets_soft, 16);
	config_free(&cf);
	/* Both kinds in one peer, each with its own soft limit. */
	assert_int_equal(load("aes-gcm", " lifetime bytes 1MiB soft 1000\n"
	    " lifetime packets 100\n", &cf), 0);
	assert_int_equal(cf.peers[0].life_bytes, MiB);
	assert_int_equal(cf.peers[0].life_bytes_soft, 1000);
	assert_int_equal(cf.peers[0].life_packets, 100);
	assert_int_equal(cf.peers[0].life_packets_soft, 75);
	config_free(&cf);
}

/* Defaults per cipher and esn; a written kind leaves the other's
 * default alone. */
static void
test_defaults(void **state)
{
	static const struct {
		const char *cipher;
		const char *lines;
		uint64_t    bytes, bytes_soft, packets, packets_soft;
	} d[] = {
		{ "blowfish-cbc", "", 64 * MiB, 48 * MiB, 4000000000ULL,
		  3000000000ULL },
		{ "3des-cbc", "", 64 * MiB, 48 * MiB, 4000000000ULL,
		  3000000000ULL },
		{ "aes-cbc", "", 1ULL << 38, 192 * GiB, 4000000000ULL,
		  3000000000ULL },
		{ "aes-gcm", "", 1ULL << 38, 192 * GiB, 4000000000ULL,
		  3000000000ULL },
		{ "chacha20-poly1305", "", 1ULL << 38, 192 * GiB,
		  4000000000ULL, 3000000000ULL },
		{ "blowfish-cbc", " esn yes\n", 64 * MiB, 48 * MiB, 1ULL << 40,
		  3ULL << 38 },
		{ "3des-cbc", " esn yes\n", 64 * MiB, 48 * MiB, 1ULL << 40,
		  3ULL << 38 },
		{ "aes-gcm", " esn yes\n", 1ULL << 38, 192 * GiB, 1ULL << 40,
		  3ULL << 38 },
		{ "aes-cbc", " esn no\n", 1ULL << 38, 192 * GiB, 4000000000ULL,
		  3000000000ULL },
		{ "3des-cbc", " lifetime packets 1000\n", 64 * MiB, 48 * MiB,
		  1000, 750 },
		{ "chacha20-poly1305", " lifetime bytes 1GiB\n esn yes\n", GiB,
		  768 * MiB, 1ULL << 40, 3ULL << 38 },
	};
	struct config cf;
	const struct peer_conf *pc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		if (load(d[i].cipher, d[i].lines, &cf) == -1)
			fail_msg("case %zu: %s", i, err.msg);
		pc = &cf.peers[0];
		if (pc->life_bytes != d[i].bytes ||
		    pc->life_bytes_soft != d[i].bytes_soft ||
		    pc->life_packets != d[i].packets ||
		    pc->life_packets_soft != d[i].packets_soft)
			fail_msg("case %zu (%s): bytes %llu/%llu packets "
			    "%llu/%llu", i, d[i].cipher,
			    (unsigned long long)pc->life_bytes,
			    (unsigned long long)pc->life_bytes_soft,
			    (unsigned long long)pc->life_packets,
			    (unsigned long long)pc->life_packets_soft);
		config_free(&cf);
	}
}

static void
test_errors(void **state)
{
	static const struct {
		const char *lines;
		const char *msg;        /* the whole message */
	} bad[] = {
		{ " lifetime\n", "site.conf:9: expected bytes or packets after "
		  "\"lifetime\", got end of line" },
		{ " lifetime seconds 10\n", "site.conf:9: expected bytes or "
		  "packets after \"lifetime\", got \"seconds\"" },
		{ " lifetime bytes\n", "site.conf:9: expected a size such as "
		  "64MiB after \"lifetime bytes\", got end of line" },
		{ " lifetime bytes 4095\n", "site.conf:9: lifetime bytes 4095 "
		  "is out of range, expected 4096..1152921504606846976 bytes" },
		{ " lifetime bytes 4 kB\n", "site.conf:9: lifetime bytes 4 kB "
		  "is out of range, expected 4096..1152921504606846976 bytes" },
		{ " lifetime bytes 0\n", "site.conf:9: lifetime bytes 0 is out "
		  "of range, expected 4096..1152921504606846976 bytes" },
		{ " lifetime bytes 1048577TiB\n", "site.conf:9: lifetime bytes "
		  "1048577TiB is out of range, expected "
		  "4096..1152921504606846976 bytes" },
		{ " lifetime bytes 99999999999999999999999\n", "site.conf:9: "
		  "lifetime bytes 99999999999999999999999 is out of range, "
		  "expected 4096..1152921504606846976 bytes" },
		{ " lifetime bytes 8192 MiBs\n", "site.conf:9: expected end of "
		  "line after the \"lifetime\" statement, got \"MiBs\"" },
		{ " lifetime bytes 64 MiBs\n", "site.conf:9: lifetime bytes 64 "
		  "is out of range, expected 4096..1152921504606846976 bytes" },
		{ " lifetime bytes 64Mo\n", "site.conf:9: unknown unit \"Mo\" in "
		  "\"64Mo\" after \"lifetime bytes\", expected bytes, kB, MB, "
		  "GB, TB, KiB, MiB, GiB or TiB" },
		{ " lifetime bytes 1.5GiB\n", "site.conf:9: \"1.5GiB\" after "
		  "\"lifetime bytes\" is not a whole number; use a smaller "
		  "unit" },
		{ " lifetime bytes 8192 soft 0\n", "site.conf:9: lifetime bytes "
		  "soft 0 is out of range, expected 1..8192 bytes (at most the "
		  "hard limit)" },
		{ " lifetime bytes 8 KiB soft 8193\n", "site.conf:9: lifetime "
		  "bytes soft 8193 is out of range, expected 1..8192 bytes (at "
		  "most the hard limit)" },
		{ " lifetime bytes 8192 soft\n", "site.conf:9: expected a size "
		  "such as 64MiB after \"lifetime bytes soft\", got end of "
		  "line" },
		{ " lifetime bytes 8192 hard 10\n", "site.conf:9: expected end "
		  "of line after the \"lifetime\" statement, got \"hard\"" },
		{ " lifetime packets 15\n", "site.conf:9: lifetime packets 15 is "
		  "out of range, expected 16..18446744073709551615" },
		{ " lifetime packets 1MiB\n", "site.conf:9: expected a number "
		  "16..18446744073709551615 after \"lifetime packets\", got "
		  "\"1MiB\"" },
		{ " lifetime packets 100 soft 101\n", "site.conf:9: lifetime "
		  "packets soft 101 is out of range, expected 1..100" },
		{ " lifetime packets 100 soft 0\n", "site.conf:9: lifetime "
		  "packets soft 0 is out of range, expected 1..100" },
		{ " lifetime packets 4294967296\n", "site.conf:9: lifetime "
		  "packets 4294967296 exceeds 4294967295, the last sequence "
		  "number without esn" },
		{ " esn no\n\n lifetime packets 0x100000000 soft 10\n",
		  "site.conf:11: lifetime packets 4294967296 exceeds "
		  "4294967295, the last sequence number without esn" },
		{ " lifetime bytes 1MiB\n lifetime packets 100\n"
		  " lifetime bytes 2MiB\n", "site.conf:11: peer \"p\": lifetime "
		  "bytes is given twice, first at line 9" },
		{ " lifetime packets 100\n lifetime packets 100\n",
		  "site.conf:10: peer \"p\": lifetime packets is given twice, "
		  "first at line 9" },
	};
	struct config cf;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load("aes-gcm", bad[i].lines, &cf) == 0) {
			config_free(&cf);
			fail_msg("case %zu loaded, expected \"%s\"", i,
			    bad[i].msg);
		}
		if (strcmp(err.msg, bad[i].msg) != 0)
			fail_msg("case %zu: got \"%s\", expected \"%s\"", i,
			    err.msg, bad[i].msg);
		assert_null(cf.peers);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
