/* The SPI formula: recomputed here from its description in DESIGN.md, the
 * OR rule for reserved values, pairs that match between two configs, and
 * inbound collisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"

static struct conf_error err;

static struct prefix
pfx(const char *s, int len)
{
	struct prefix p;

	assert_int_equal(addr_parse(s, &p), 0);
	p.len = (uint8_t)len;
	return p;
}

/* The formula written out independently of spi.c. */
static uint32_t
raw_formula(const struct prefix *from, char role, const struct prefix *to)
{
	uint8_t buf[128], md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	size_t n = 0, i, fl = from->af == AF_INET ? 4 : 16,
	    tl = to->af == AF_INET ? 4 : 16;

	memcpy(buf, "vpntund-spi-v1", 14);
	n = 14;
	buf[n++] = (uint8_t)role;
	buf[n++] = from->af == AF_INET ? 4 : 6;
	for (i = 0; i < fl; i++) {
		int keep = (int)from->len - (int)i * 8;

		buf[n++] = keep >= 8 ? from->addr.b[i] : keep <= 0 ? 0 :
		    (uint8_t)(from->addr.b[i] & (0xff << (8 - keep)));
	}
	buf[n++] = from->len;
	for (i = 0; i < tl; i++) {
		int keep = (int)to->len - (int)i * 8;

		buf[n++] = keep >= 8 ? to->addr.b[i] : keep <= 0 ? 0 :
		    (uint8_t)(to->addr.b[i] & (0xff << (8 - keep)));
	}
	buf[n++] = to->len;
	assert_int_equal(EVP_Digest(buf, n, md, &mdlen, EVP_sha256(), NULL), 1);
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
}

static void
test_or_rule(void **state)
{
	(void)state;
	assert_int_equal(spi_fixup(0), 0x80000000u);
	assert_int_equal(spi_fixup(1), 0x80000001u);
	assert_int_equal(spi_fixup(255), 0x800000ffu);
	assert_int_equal(spi_fixup(256), 256);
	assert_int_equal(spi_fixup(0x7fffffff), 0x7fffffff);
	assert_int_equal(spi_fixup(0xffffffff), 0xffffffff);
}

/* Inputs whose hash starts with 0x000000, found by a brute-force search
 * over 2^26 networks: the OR rule must turn them into valid SPIs. */
static void
test_small_hash(void **state)
{
	struct prefix a = pfx("10.238.110.0", 24), b = pfx("10.1.242.0", 24);
	struct prefix c = pfx("10.184.146.0", 24), d = pfx("10.1.36.0", 24);
	struct config cf;

	(void)state;
	assert_int_equal(raw_formula(&a, 'C', &b), 0x8a);
	assert_int_equal(spi_derive(&a, ROLE_CENTRAL, &b), 0x8000008au);
	assert_int_equal(raw_formula(&c, 'R', &d), 0xa4);
	assert_int_equal(spi_derive(&c, ROLE_REMOTE, &d), 0x800000a4u);

	/* The same through a config: our outbound SPI to that peer. */
	put_default_key("k.key");
	if (config_load_string("x.conf",
	    "site \"s\" { role central; network 10.238.110.0/24 }\n"
	    "peer \"p\" { network 10.1.242.0/24; endpoint dynamic; "
	    "key \"k.key\" }\n", tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.peers[0].spi_out, 0x8000008au);
	config_free(&cf);
}

static void
test_formula(void **state)
{
	struct prefix a = pfx("10.1.0.0", 24), b = pfx("10.1.1.0", 24);
	struct prefix a_host = pfx("10.1.0.77", 24);
	struct prefix v6a = pfx("fd00:1::", 64), v6b = pfx("fd00:2::", 48);
	uint32_t s;
	unsigned i;

	(void)state;
	s = spi_derive(&a, ROLE_CENTRAL, &b);
	assert_int_equal(s, spi_fixup(raw_formula(&a, 'C', &b)));
	assert_int_equal(s, spi_derive(&a, ROLE_CENTRAL, &b));
	/* Host bits as written do not matter. */
	assert_int_equal(s, spi_derive(&a_host, ROLE_CENTRAL, &b));
	/* Role, direction and prefix length all do. */
	assert_int_not_equal(s, spi_derive(&a, ROLE_REMOTE, &b));
	assert_int_not_equal(s, spi_derive(&b, ROLE_CENTRAL, &a));
	a.len = 23;
	assert_int_not_equal(s, spi_derive(&a, ROLE_CENTRAL, &b));
	assert_int_equal(spi_derive(&v6a, ROLE_REMOTE, &v6b),
	    spi_fixup(raw_formula(&v6a, 'R', &v6b)));
	assert_int_equal(spi_derive(&a, ROLE_REMOTE, &v6b),
	    spi_fixup(raw_formula(&a, 'R', &v6b)));

	/* Over many networks: always the formula, never a reserved SPI. */
	for (i = 0; i < 20000; i++) {
		struct prefix f = pfx("10.0.0.0", 24), t = pfx("fd00::", 64);

		f.addr.b[1] = (uint8_t)(i >> 8);
		f.addr.b[2] = (uint8_t)i;
		t.addr.b[7] = (uint8_t)i;
		s = spi_derive(&f, i & 1 ? ROLE_REMOTE : ROLE_CENTRAL, &t);
		assert_true(s >= 256);
		assert_int_equal(s, spi_fixup(raw_formula(&f, i & 1 ? 'R' : 'C',
		    &t)));
	}
}

/* Each remote site shares its own key file with the hub. */
#define CENTRAL \
	"site \"hub\" {\n role central\n network 10.1.0.0/24\n}\n" \
	"peer \"r1\" {\n network 10.1.1.0/24\n endpoint dynamic\n" \
	" key \"r1.key\"\n}\n" \
	"peer \"r2\" {\n network 10.1.2.0/24\n endpoint dynamic\n" \
	" key \"r2.key\"\n}\n"
#define REMOTE(n) \
	"site \"r" #n "\" {\n role remote\n network 10.1." #n ".0/24\n}\n" \
	"peer \"hub\" {\n network 10.1.0.0/24\n endpoint 198.18.0.1\n" \
	" key \"r" #n ".key\"\n}\n"

static void
test_pairs(void **state)
{
	struct config hub, r1, r2;

	(void)state;
	put_default_key_seeded("r1.key", 1);
	put_default_key_seeded("r2.key", 2);
	if (config_load_string("hub.conf", CENTRAL, tdir, &hub, &err) == -1 ||
	    config_load_string("r1.conf", REMOTE(1), tdir, &r1, &err) == -1 ||
	    config_load_string("r2.conf", REMOTE(2), tdir, &r2, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(hub.peers[0].spi_out, r1.peers[0].spi_in);
	assert_int_equal(hub.peers[0].spi_in, r1.peers[0].spi_out);
	assert_int_equal(hub.peers[1].spi_out, r2.peers[0].spi_in);
	assert_int_equal(hub.peers[1].spi_in, r2.peers[0].spi_out);
	assert_int_not_equal(hub.peers[0].spi_in, hub.peers[1].spi_in);
	assert_false(hub.peers[0].spi_explicit);
	assert_int_equal(hub.peers[0].spi_out,
	    spi_derive(&hub.site.networks[0], ROLE_CENTRAL,
	    &hub.peers[0].network));
	config_free(&hub);
	config_free(&r1);
	config_free(&r2);
}

static void
test_explicit(void **state)
{
	struct config cf;

	(void)state;
	put_default_key("k.key");
	if (config_load_string("x.conf",
	    "site \"s\" { network 10.1.0.0/24 }\n"
	    "peer \"p\" { network 10.1.1.0/24; endpoint dynamic; key \"k.key\"\n"
	    " spi out 0x2001 in 4097 }\n", tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_true(cf.peers[0].spi_explicit);
	assert_int_equal(cf.peers[0].spi_in, 0x1001);
	assert_int_equal(cf.peers[0].spi_out, 0x2001);
	config_free(&cf);

	assert_int_equal(config_load_string("x.conf",
	    "site \"s\" { network 10.1.0.0/24 }\n"
	    "peer \"p\" { network 10.1.1.0/24; endpoint dynamic; key \"k.key\"\n"
	    " spi in 255 out 0x2001 }\n", tdir, &cf, &err), -1);
	assert_non_null(strstr(err.msg, "x.conf:3: in 255 is out of range, "
	    "expected 256..4294967295"));
}

static void
test_collision(void **state)
{
	struct config cf;

	(void)state;
	put_default_key("k.key");
	assert_int_equal(config_load_string("x.conf",
	    "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "peer \"alpha\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n spi in 0x1001 out 0x2001\n}\n"
	    "peer \"beta\" {\n network 10.1.2.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n spi in 0x1001 out 0x2002\n}\n",
	    tdir, &cf, &err), -1);
	assert_string_equal(err.msg, "x.conf:10: inbound SPI 0x00001001 of "
	    "peer \"beta\" is also used by peer \"alpha\" (x.conf:4); set "
	    "distinct SPIs with \"spi in N out N\"");

	/* A derived SPI collides with an explicit one that copies it. */
	assert_int_equal(config_load_string("x.conf",
	    "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "peer \"alpha\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n}\n", tdir, &cf, &err), 0);
	{
		char text[1024];
		uint32_t in = cf.peers[0].spi_in;

		config_free(&cf);
		snprintf(text, sizeof(text), "site \"s\" {\n network "
		    "10.1.0.0/24\n}\npeer \"alpha\" {\n network 10.1.1.0/24\n"
		    " endpoint dynamic\n key \"k.key\"\n}\npeer \"beta\" {\n"
		    " network 10.1.2.0/24\n endpoint dynamic\n key \"k.key\"\n"
		    " spi in %u out 0x2002\n}\n", in);
		assert_int_equal(config_load_string("x.conf", text, tdir, &cf,
		    &err), -1);
		assert_non_null(strstr(err.msg, "x.conf:9: inbound SPI"));
		assert_non_null(strstr(err.msg, "peer \"beta\" is also used by "
		    "peer \"alpha\" (x.conf:4)"));
	}
}

/* Derived keying receives on each SPI with its low bit flipped (odd
 * epochs) and on a control SPI: a peer whose SPI is another's flipped
 * one is refused, naming both; with manual keying the two are apart. */
static void
test_derived_spis(void **state)
{
	static const char *const fmt = "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "peer \"alpha\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	    " key \"a.key\"\n spi in 0x1000 out 0x2000\n keying %s\n}\n"
	    "peer \"beta\" {\n network 10.1.2.0/24\n endpoint dynamic\n"
	    " key \"b.key\"\n spi in 0x1001 out 0x2002\n keying %s\n}\n";
	struct config cf;
	char text[1024];

	(void)state;
	put_default_key_seeded("a.key", 1);
	put_default_key_seeded("b.key", 2);
	snprintf(text, sizeof(text), fmt, "derived", "derived");
	assert_int_equal(config_load_string("x.conf", text, tdir, &cf, &err),
	    -1);
	assert_string_equal(err.msg, "x.conf:11: peer \"beta\": its odd-epoch "
	    "SPI 0x00001000 is also the inbound SPI of peer \"alpha\" "
	    "(x.conf:4); set other SPIs with \"spi in N out N\"");
	snprintf(text, sizeof(text), fmt, "manual", "manual");
	assert_int_equal(config_load_string("x.conf", text, tdir, &cf, &err),
	    0);
	config_free(&cf);
	/* One derived peer is enough for its flipped SPI to count. */
	snprintf(text, sizeof(text), fmt, "derived", "manual");
	assert_int_equal(config_load_string("x.conf", text, tdir, &cf, &err),
	    -1);
	assert_non_null(strstr(err.msg, "SPI 0x00001001 is also the odd-epoch "
	    "SPI of peer \"alpha\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_or_rule),
		cmocka_unit_test(test_formula),
		cmocka_unit_test(test_small_hash),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_derived_spis),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
