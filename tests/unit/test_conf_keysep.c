/* Every SA needs its own key: a key file whose two blocks (or their
 * cipher or auth keys) are the same, and a cipher or auth key that
 * appears on two SAs anywhere in the config (peers' and dedicated tap
 * SAs'), are refused with a message that names both peers and key
 * files and holds no key byte. 10,000 peers load in bounded time, and
 * one repeated key among them is found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "conf_testutil.h"

static struct conf_error err;

/* blowfish-cbc 256 with hmac-sha256-128: a block is 32 + 32 bytes */
#define BLK 64

/* A key block: the cipher key's bytes are c0, c0+1, ...; the auth key's
 * a0, a0+1, ... (each mod 256). */
static void
block(uint8_t *b, unsigned c0, unsigned a0)
{
	size_t i;

	for (i = 0; i < 32; i++) {
		b[i] = (uint8_t)(c0 + i);
		b[32 + i] = (uint8_t)(a0 + i);
	}
}

/* Writes the two blocks as a key file. */
static void
put_blocks(const char *name, const uint8_t *b1, const uint8_t *b2)
{
	char hex[4 * BLK + 8];
	size_t i, n = 0;

	for (i = 0; i < BLK; i++)
		n += (size_t)sprintf(hex + n, "%02x", b1[i]);
	hex[n++] = '\n';
	for (i = 0; i < BLK; i++)
		n += (size_t)sprintf(hex + n, "%02x", b2[i]);
	hex[n++] = '\n';
	hex[n] = '\0';
	put_file(name, hex, 0600);
}

/* A key file of blocks (c1, a1) and (c2, a2). */
static void
put_key(const char *name, unsigned c1, unsigned a1, unsigned c2,
    unsigned a2)
{
	uint8_t b1[BLK], b2[BLK];

	block(b1, c1, a1);
	block(b2, c2, a2);
	put_blocks(name, b1, b2);
}

static const char *
path_of(const char *name)
{
	static char path[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tdir, name);
	return path[i];
}

#define SITE "site \"s\" {\n network 10.1.0.0/24\n tap t0\n}\n"

/* Peers "a" (lines 5-9) and "b" (lines 10-14) with key files a.key and
 * b.key, and extra lines for each. */
static int
load2(const char *a_extra, const char *b_extra, struct config *cf)
{
	char text[1024];

	snprintf(text, sizeof(text), SITE
	    "peer \"a\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"a.key\"\n%s}\n"
	    "peer \"b\" {\n network 10.1.2.0/24\n endpoint 198.18.2.3\n"
	    " key \"b.key\"\n%s}\n", a_extra, b_extra);
	memset(&err, 0, sizeof(err));
	return config_load_string("site.conf", text, tdir, cf, &err);
}

/* Refused with exactly want, and not one key byte in it: the blocks
 * here count up from 0x40, 0x80, 0xa0 and so on, so any two hex digits
 * of a key would show as a run like "4041". */
static void
refused(const char *a_extra, const char *b_extra, const char *want)
{
	struct config cf;
	char run[8], rest[CONF_ERR_MAX], *d;
	size_t n = strlen(tdir);
	unsigned v;

	if (load2(a_extra, b_extra, &cf) == 0) {
		config_free(&cf);
		fail_msg("loaded, expected \"%s\"", want);
	}
	assert_string_equal(err.msg, want);
	assert_null(cf.peers);
	/* The temp dir's random name aside, */
	snprintf(rest, sizeof(rest), "%s", err.msg);
	while ((d = strstr(rest, tdir)) != NULL)
		memmove(d, d + n, strlen(d + n) + 1);
	for (v = 0; v < 256; v++) {
		snprintf(run, sizeof(run), "%02x%02x", v, (v + 1) & 0xff);
		if (strstr(rest, run) != NULL)
			fail_msg("key bytes %s in \"%s\"", run, err.msg);
	}
}

static void
test_distinct_loads(void **state)
{
	struct config cf;

	(void)state;
	put_key("a.key", 0x00, 0x20, 0x40, 0x60);
	put_key("b.key", 0x80, 0xa0, 0xc0, 0xe0);
	if (load2("", "", &cf) == -1)
		fail_msg("%s", err.msg);
	config_free(&cf);
	/* A cipher key equal to another SA's auth key is not "the same
	 * cipher key": they key different algorithms. */
	put_key("b.key", 0x00 + 0x20, 0x90, 0xc0, 0xe0);
	if (load2("", "", &cf) == -1)
		fail_msg("%s", err.msg);
	config_free(&cf);
}

static void
test_same_blocks(void **state)
{
	char want[1200];

	(void)state;
	put_key("b.key", 0x80, 0xa0, 0xc0, 0xe0);
	put_key("a.key", 0x00, 0x20, 0x00, 0x20);
	snprintf(want, sizeof(want), "site.conf:8: key file %s: both blocks "
	    "hold the same key; each direction needs its own",
	    path_of("a.key"));
	refused("", "", want);
	put_key("a.key", 0x00, 0x20, 0x00, 0x60);
	snprintf(want, sizeof(want), "site.conf:8: key file %s: both blocks "
	    "hold the same cipher key; each direction needs its own",
	    path_of("a.key"));
	refused("", "", want);
	put_key("a.key", 0x00, 0x20, 0x40, 0x20);
	snprintf(want, sizeof(want), "site.conf:8: key file %s: both blocks "
	    "hold the same auth key; each direction needs its own",
	    path_of("a.key"));
	refused("", "", want);
	/* A tap SA's file is held to the same rule. */
	put_key("a.key", 0x00, 0x20, 0x40, 0x60);
	put_key("t.key", 0x10, 0x30, 0x10, 0x30);
	snprintf(want, sizeof(want), "site.conf:14: key file %s: both blocks "
	    "hold the same key; each direction needs its own",
	    path_of("t.key"));
	refused("", " tap-sa dedicated key \"t.key\"\n", want);
}

static void
test_across_files(void **state)
{
	char want[1200];

	(void)state;
	put_key("a.key", 0x00, 0x20, 0x40, 0x60);
	/* The same file for two peers. */
	put_key("b.key", 0x00, 0x20, 0x40, 0x60);
	snprintf(want, sizeof(want), "site.conf:13: peer \"b\": key file %s "
	    "repeats the cipher key of peer \"a\" (key file %s); every SA "
	    "needs its own key", path_of("b.key"), path_of("a.key"));
	refused("", "", want);
	/* b's second block holds a's first cipher key: whichever direction
	 * it keys, it is the same key. */
	put_key("b.key", 0x80, 0xa0, 0x00, 0xe0);
	refused("", "", want);
	/* Only an auth key repeated. */
	put_key("b.key", 0x80, 0x60, 0xc0, 0xe0);
	snprintf(want, sizeof(want), "site.conf:13: peer \"b\": key file %s "
	    "repeats the auth key of peer \"a\" (key file %s); every SA "
	    "needs its own key", path_of("b.key"), path_of("a.key"));
	refused("", "", want);
}

static void
test_tap_sa(void **state)
{
	char want[1200];

	(void)state;
	put_key("a.key", 0x00, 0x20, 0x40, 0x60);
	put_key("b.key", 0x80, 0xa0, 0xc0, 0xe0);
	/* A peer's tap SA on its own keys. */
	snprintf(want, sizeof(want), "site.conf:9: peer \"a\": tap-sa key file "
	    "%s repeats the cipher key of peer \"a\" (key file %s); every SA "
	    "needs its own key", path_of("a.key"), path_of("a.key"));
	refused(" tap-sa dedicated key \"a.key\"\n", "", want);
	/* b's tap SA repeats a's tap SA auth key. */
	put_key("ta.key", 0x10, 0x30, 0x50, 0x70);
	put_key("tb.key", 0x90, 0x70, 0xd0, 0xf0);
	snprintf(want, sizeof(want), "site.conf:15: peer \"b\": tap-sa key "
	    "file %s repeats the auth key of peer \"a\" (tap-sa key file %s); "
	    "every SA needs its own key", path_of("tb.key"),
	    path_of("ta.key"));
	refused(" tap-sa dedicated key \"ta.key\"\n",
	    " tap-sa dedicated key \"tb.key\"\n", want);
	/* b's main SA repeats a's tap SA cipher key. */
	put_key("b.key", 0x80, 0xa0, 0x50, 0xe0);
	snprintf(want, sizeof(want), "site.conf:14: peer \"b\": key file %s "
	    "repeats the cipher key of peer \"a\" (tap-sa key file %s); every "
	    "SA needs its own key", path_of("b.key"), path_of("ta.key"));
	refused(" tap-sa dedicated key \"ta.key\"\n", "", want);
}

/* AEAD: the cipher key is compared without its salt. */
static void
test_aead_salt(void **state)
{
	struct config cf;
	char text[1024], want[1200];
	/* aes-gcm 128: 16 key + 4 salt a block */
	static const char a[] =
	    "000102030405060708090a0b0c0d0e0f a0a1a2a3\n"
	    "101112131415161718191a1b1c1d1e1f b0b1b2b3\n";
	static const char same_key[] =
	    "000102030405060708090a0b0c0d0e0f c0c1c2c3\n"
	    "303132333435363738393a3b3c3d3e3f d0d1d2d3\n";
	static const char same_salt[] =
	    "505152535455565758595a5b5c5d5e5f a0a1a2a3\n"
	    "606162636465666768696a6b6c6d6e6f b0b1b2b3\n";

	(void)state;
	put_file("a.key", a, 0600);
	put_file("b.key", same_key, 0600);
	snprintf(text, sizeof(text), "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "peer \"a\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"a.key\"\n cipher aes-gcm keysize 128\n}\n"
	    "peer \"b\" {\n network 10.1.2.0/24\n endpoint 198.18.2.3\n"
	    " key \"b.key\"\n cipher aes-gcm keysize 128\n}\n");
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf,
	    &err), -1);
	snprintf(want, sizeof(want), "site.conf:13: peer \"b\": key file %s "
	    "repeats the cipher key of peer \"a\" (key file %s); every SA "
	    "needs its own key", path_of("b.key"), path_of("a.key"));
	assert_string_equal(err.msg, want);
	put_file("b.key", same_salt, 0600);
	if (config_load_string("site.conf", text, tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	config_free(&cf);
}

/* Of several repeats, the first written is named. */
static void
test_first_repeat(void **state)
{
	struct config cf;
	char text[2048], want[1200];

	(void)state;
	put_key("a.key", 0x00, 0x20, 0x40, 0x60);
	put_key("b.key", 0x80, 0xa0, 0xc0, 0xe0);
	put_key("c.key", 0x81, 0xa1, 0xc1, 0xe1);
	put_key("d.key", 0x82, 0xa2, 0xc2, 0xa0);       /* b's auth key */
	put_key("e.key", 0x40, 0xa3, 0xc3, 0xe3);       /* a's cipher key */
	snprintf(text, sizeof(text), "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "peer \"a\" { network 10.1.1.0/24; endpoint dynamic; key a.key }\n"
	    "peer \"b\" { network 10.1.2.0/24; endpoint dynamic; key b.key }\n"
	    "peer \"c\" { network 10.1.3.0/24; endpoint dynamic; key c.key }\n"
	    "peer \"d\" { network 10.1.4.0/24; endpoint dynamic; key d.key }\n"
	    "peer \"e\" { network 10.1.5.0/24; endpoint dynamic; key e.key }\n");
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf,
	    &err), -1);
	snprintf(want, sizeof(want), "site.conf:7: peer \"d\": key file %s "
	    "repeats the auth key of peer \"b\" (key file %s); every SA "
	    "needs its own key", path_of("d.key"), path_of("b.key"));
	assert_string_equal(err.msg, want);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define NPEERS 10000

/* Peer i's key file: every key starts with i and a tag of its part and
 * block, so no two keys anywhere are the same. */
static void
put_peer_key(unsigned i)
{
	uint8_t b[2][BLK];
	char name[32];
	int k;

	for (k = 0; k < 2; k++) {
		block(b[k], 0x11 * (unsigned)k, 0x55 + 0x11 * (unsigned)k);
		b[k][0] = b[k][32] = (uint8_t)(i >> 8);
		b[k][1] = b[k][33] = (uint8_t)i;
		b[k][2] = (uint8_t)(0xc0 + k);          /* cipher, block k */
		b[k][34] = (uint8_t)(0xa0 + k);         /* auth, block k */
	}
	snprintf(name, sizeof(name), "many/p%u.key", i);
	put_blocks(name, b[0], b[1]);
}

/* The site and NPEERS peers, 10.1.0.0/24 + 256 i; the text is freed by
 * the caller. */
static char *
many_text(void)
{
	size_t cap = (size_t)NPEERS * 128 + 256, n = 0;
	char *text = malloc(cap);
	unsigned i, net;

	assert_non_null(text);
	n += (size_t)snprintf(text, cap, "site \"hub\" {\n network "
	    "10.0.0.0/24\n}\n");
	for (i = 0; i < NPEERS; i++) {
		net = 256 + i;              /* 10.1.0.0/24 onward */
		n += (size_t)snprintf(text + n, cap - n, "peer \"p%u\" { "
		    "network 10.%u.%u.0/24; endpoint dynamic; key "
		    "\"many/p%u.key\" }\n", i, net >> 8, net & 0xff, i);
		assert_true(n < cap);
	}
	return text;
}

static void
test_ten_thousand(void **state)
{
	struct config cf;
	char *text, want[1200];
	double t0, t;
	uint8_t b1[BLK], b2[BLK];
	unsigned i;

	(void)state;
	assert_int_equal(mkdir(path_of("many"), 0700), 0);
	for (i = 0; i < NPEERS; i++)
		put_peer_key(i);
	text = many_text();
	t0 = now();
	if (config_load_string("many.conf", text, tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	t = now() - t0;
	print_message("%d peers (%d keys) loaded in %.3f s\n", NPEERS,
	    4 * NPEERS, t);
	assert_int_equal(cf.npeers, NPEERS);
	assert_int_equal(cf.peers[NPEERS - 1].key_out->enc[1],
	    (NPEERS - 1) & 0xff);
	config_free(&cf);
	/* Generous for a sanitizer build on a shared machine; comparing
	 * every key with every other would take far longer. */
	assert_true(t < 30.0);

	/* Peer 9999's second block takes the auth key of peer 4321's
	 * second block, with a cipher key of its own. */
	block(b1, 0x11, 0x55);
	b1[0] = b1[32] = 9999 >> 8;
	b1[1] = b1[33] = 9999 & 0xff;
	b1[2] = 0xc0;
	b1[34] = 0xa0;
	block(b2, 0x77, 0x66);
	b2[0] = b2[32] = 4321 >> 8;
	b2[1] = b2[33] = 4321 & 0xff;
	b2[34] = 0xa1;
	b2[0] = 0xee;                   /* the cipher key: p9999's own */
	put_blocks("many/p9999.key", b1, b2);
	t0 = now();
	assert_int_equal(config_load_string("many.conf", text, tdir, &cf,
	    &err), -1);
	t = now() - t0;
	print_message("a repeated key among %d peers found in %.3f s\n",
	    NPEERS, t);
	snprintf(want, sizeof(want), "many.conf:10003: peer \"p9999\": key "
	    "file %s repeats the auth key of peer \"p4321\" (key file %s); "
	    "every SA needs its own key", path_of("many/p9999.key"),
	    path_of("many/p4321.key"));
	assert_string_equal(err.msg, want);
	assert_null(cf.peers);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct_loads),
		cmocka_unit_test(test_same_blocks),
		cmocka_unit_test(test_across_files),
		cmocka_unit_test(test_tap_sa),
		cmocka_unit_test(test_aead_salt),
		cmocka_unit_test(test_first_repeat),
		cmocka_unit_test(test_ten_thousand),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
