/* The bridge statements: tap, bridge, bridge-age, bridge-table,
 * bridge-flood in the site block; bridge and tap-sa in peer blocks; the
 * `bridge` class option. Defaults, values, the tap SA's SPIs and keys, and
 * every error with its file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"

static struct conf_error err;

#define SITE_TAP "site \"s\" {\n network 10.1.0.0/24\n tap vtap0\n}\n"
#define PEER "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n" \
	" key \"k.key\"\n}\n"
#define QOS(cls) "qos {\n bandwidth 1Mbit\n class a rate 500kbit default\n" \
	cls "}\n"

static int
load(const char *text, struct config *cf)
{
	put_default_key("k.key");
	return config_load_string("site.conf", text, tdir, cf, &err);
}

static void
test_no_tap(void **state)
{
	struct config cf;

	(void)state;
	assert_int_equal(load("site \"s\" {\n network 10.1.0.0/24\n}\n" PEER,
	    &cf), 0);
	assert_string_equal(cf.site.tap, "");
	assert_false(cf.peers[0].bridge);
	assert_false(cf.peers[0].tap_sa);
	assert_int_equal(cf.qos.bridge_class, -1);
	config_free(&cf);
}

static void
test_defaults(void **state)
{
	struct config cf;

	(void)state;
	assert_int_equal(load(SITE_TAP PEER, &cf), 0);
	assert_string_equal(cf.site.tap, "vtap0");
	assert_int_equal(cf.site.tap_mtu, 0);
	assert_int_equal(cf.site.tap_line, 3);
	assert_false(cf.site.bridge_all);
	assert_int_equal(cf.site.bridge_age, 300);
	assert_int_equal(cf.site.bridge_table, 4096);
	assert_int_equal(cf.site.bridge_flood_rate, 100);
	assert_int_equal(cf.site.bridge_flood_burst, 200);
	assert_true(cf.peers[0].bridge);
	assert_false(cf.peers[0].tap_sa);
	config_free(&cf);
}

static void
test_values(void **state)
{
	struct config cf;

	(void)state;
	assert_int_equal(load("site \"s\" {\n network 10.1.0.0/24\n"
	    " tap vtap1 mtu 1200\n bridge all\n bridge-age 60\n"
	    " bridge-table 128\n bridge-flood 50 burst 10\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"k.key\"\n bridge no\n}\n", &cf), 0);
	assert_string_equal(cf.site.tap, "vtap1");
	assert_int_equal(cf.site.tap_mtu, 1200);
	assert_true(cf.site.bridge_all);
	assert_int_equal(cf.site.bridge_age, 60);
	assert_int_equal(cf.site.bridge_table, 128);
	assert_int_equal(cf.site.bridge_flood_rate, 50);
	assert_int_equal(cf.site.bridge_flood_burst, 10);
	assert_false(cf.peers[0].bridge);
	config_free(&cf);

	/* burst defaults to two seconds' worth; 0 = no limit. */
	assert_int_equal(load("site \"s\" {\n network 10.1.0.0/24\n tap t\n"
	    " bridge ipx\n bridge-flood 7\n}\n" PEER, &cf), 0);
	assert_false(cf.site.bridge_all);
	assert_int_equal(cf.site.bridge_flood_rate, 7);
	assert_int_equal(cf.site.bridge_flood_burst, 14);
	config_free(&cf);
	assert_int_equal(load("site \"s\" {\n network 10.1.0.0/24\n tap t\n"
	    " bridge-flood 0\n}\n" PEER, &cf), 0);
	assert_int_equal(cf.site.bridge_flood_rate, 0);
	assert_int_equal(cf.site.bridge_flood_burst, 1);
	config_free(&cf);
}

/* The tap formula: the SPI formula with the label "vpntund-spi-tap-v1". */
static uint32_t
tap_formula(const char *from, uint8_t flen, char role, const char *to,
    uint8_t tlen)
{
	uint8_t buf[128], md[EVP_MAX_MD_SIZE];
	struct prefix f, t;
	unsigned mdlen;
	size_t n;
	uint32_t v;

	assert_int_equal(addr_parse(from, &f), 0);
	assert_int_equal(addr_parse(to, &t), 0);
	memcpy(buf, "vpntund-spi-tap-v1", 18);
	n = 18;
	buf[n++] = (uint8_t)role;
	buf[n++] = 4;
	memcpy(buf + n, f.addr.b, 4);
	n += 4;
	buf[n++] = flen;
	memcpy(buf + n, t.addr.b, 4);
	n += 4;
	buf[n++] = tlen;
	assert_int_equal(EVP_Digest(buf, n, md, &mdlen, EVP_sha256(), NULL), 1);
	v = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
	return v < 256 ? v | 0x80000000u : v;
}

static void
test_tap_sa(void **state)
{
	const struct cipher_info *c = cipher_by_name("blowfish-cbc");
	char *k = key_hex(2 * (c->key_default + 32), 77);
	struct config cf;

	(void)state;
	put_file("tap.key", k, 0600);
	free(k);
	assert_int_equal(load(SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n key \"k.key\"\n"
	    " tap-sa dedicated key \"tap.key\"\n}\n", &cf), 0);
	assert_true(cf.peers[0].tap_sa);
	assert_int_equal(cf.peers[0].tap_spi_out,
	    tap_formula("10.1.0.0", 24, 'C', "10.1.1.0", 24));
	assert_int_equal(cf.peers[0].tap_spi_in,
	    tap_formula("10.1.1.0", 24, 'R', "10.1.0.0", 24));
	assert_int_not_equal(cf.peers[0].tap_spi_in, cf.peers[0].spi_in);
	/* Central: the first block keys our outbound direction. */
	assert_int_equal(cf.peers[0].tap_key_out->enc_len, c->key_default);
	assert_int_equal(cf.peers[0].tap_key_out->enc[0], 77);
	assert_int_equal(cf.peers[0].tap_key_in->enc[0],
	    (77 + c->key_default + 32) & 0xff);
	assert_int_not_equal(cf.peers[0].tap_key_out->enc[0],
	    cf.peers[0].key_out->enc[0]);
	config_free(&cf);

	assert_int_equal(load(SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n key \"k.key\"\n tap-sa shared\n}\n", &cf),
	    0);
	assert_false(cf.peers[0].tap_sa);
	config_free(&cf);
}

static void
test_tap_key_secrecy(void **state)
{
	struct config cf;
	char *k = key_hex(2 * (cipher_by_name("blowfish-cbc")->key_default +
	    32), 3);

	(void)state;
	put_file("open.key", k, 0640);
	free(k);
	assert_int_equal(load(SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n key \"k.key\"\n"
	    " tap-sa dedicated key \"open.key\"\n}\n", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:9: key file "));
	assert_non_null(strstr(err.msg, "open.key has mode 0640, it must not "
	    "be readable or writable by group or others"));
	/* Never a byte of the key in a message. */
	assert_null(strstr(err.msg, "0304"));
}

static void
test_qos_class(void **state)
{
	struct config cf;

	(void)state;
	assert_int_equal(load(SITE_TAP PEER QOS(" class b rate 100kbit "
	    "bridge\n"), &cf), 0);
	assert_int_equal(cf.qos.bridge_class, 1);
	config_free(&cf);
	/* Without a tap the qos block needs no bridge class. */
	assert_int_equal(load("site \"s\" {\n network 10.1.0.0/24\n}\n" PEER
	    QOS(""), &cf), 0);
	assert_int_equal(cf.qos.bridge_class, -1);
	config_free(&cf);
}

struct bad {
	const char *text;
	const char *msg;
};

static const struct bad bad[] = {
	{ "site \"s\" {\n network 10.1.0.0/24\n bridge all\n}\n" PEER,
	  "site.conf:3: expected a \"tap\" statement in the site block: "
	  "\"bridge\" is about the frames of a tap" },
	{ "site \"s\" {\n network 10.1.0.0/24\n bridge-age 10\n}\n" PEER,
	  "site.conf:3: expected a \"tap\" statement in the site block: "
	  "\"bridge-age\" is about the frames of a tap" },
	{ "site \"s\" {\n network 10.1.0.0/24\n bridge-flood 10\n}\n" PEER,
	  "site.conf:3: expected a \"tap\" statement in the site block: "
	  "\"bridge-flood\" is about" },
	{ "site \"s\" {\n network 10.1.0.0/24\n bridge-table 64\n}\n" PEER,
	  "site.conf:3: expected a \"tap\" statement in the site block: "
	  "\"bridge-table\" is about" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t\n bridge ethernet\n}\n"
	  PEER, "site.conf:4: expected ipx or all after \"bridge\", got "
	  "\"ethernet\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap\n}\n" PEER,
	  "site.conf:3: expected an interface name after \"tap\", got end of "
	  "line" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap averyveryverylongname\n}\n"
	  PEER, "site.conf:3: interface name \"averyveryverylongname\" is "
	  "longer than 15 characters" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t mtu 10\n}\n" PEER,
	  "site.conf:3: mtu 10 is out of range, expected 68..9000" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t mtu\n}\n" PEER,
	  "site.conf:3: expected a number 68..9000 after \"mtu\", got end of "
	  "line" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t speed 10\n}\n" PEER,
	  "site.conf:3: expected end of line after the \"tap\" statement, got "
	  "\"speed\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t\n tap u\n}\n" PEER,
	  "site.conf:4: a second \"tap\" statement; the site has tap t "
	  "already (line 3)" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t\n bridge-age 0\n}\n"
	  PEER, "site.conf:4: bridge-age 0 is out of range, expected 1..86400" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t\n bridge-table 8\n}\n"
	  PEER, "site.conf:4: bridge-table 8 is out of range, expected "
	  "16..262144" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t\n bridge-flood fast\n}\n"
	  PEER, "site.conf:4: expected a number 0..1000000 after "
	  "\"bridge-flood\", got \"fast\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tap t\n bridge-flood 10 burst "
	  "0\n}\n" PEER, "site.conf:4: burst 0 is out of range, expected "
	  "1..2000000" },
	{ "site \"s\" {\n network 10.1.0.0/24\n}\npeer \"p\" {\n network "
	  "10.1.1.0/24\n endpoint 198.18.2.2\n key \"k.key\"\n bridge yes\n}\n",
	  "site.conf:8: expected a \"tap\" statement in the site block: peer "
	  "\"p\" is a bridge port of a tap" },
	{ SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n bridge maybe\n}\n",
	  "site.conf:9: expected no or yes after \"bridge\", got \"maybe\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n}\npeer \"p\" {\n network "
	  "10.1.1.0/24\n endpoint 198.18.2.2\n key \"k.key\"\n tap-sa dedicated "
	  "key \"k.key\"\n}\n",
	  "site.conf:8: expected a \"tap\" statement in the site block: "
	  "\"tap-sa dedicated\" of peer \"p\" carries a tap's frames" },
	{ SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n tap-sa private\n}\n",
	  "site.conf:9: expected shared or dedicated after \"tap-sa\", got "
	  "\"private\"" },
	{ SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n tap-sa dedicated\n}\n",
	  "site.conf:9: expected \"key\" and a key file after \"tap-sa "
	  "dedicated\", got end of line" },
	{ SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n tap-sa dedicated key\n}\n",
	  "site.conf:9: expected a key file path after \"key\", got end of "
	  "line" },
	{ SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n bridge no\n tap-sa dedicated key \"k.key\"\n}\n",
	  "site.conf:10: peer \"p\" has \"bridge no\": expected no \"tap-sa "
	  "dedicated\"" },
	{ SITE_TAP "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n tap-sa dedicated key \"missing.key\"\n}\n",
	  "site.conf:9: cannot open key file " },
	{ "site \"s\" {\n network 10.1.0.0/24\n tun v0\n tap v0\n}\n" PEER,
	  "site.conf:4: tap v0 has the name of the tun; expected another "
	  "interface name" },
	/* qos */
	{ SITE_TAP PEER QOS(""),
	  "site.conf:10: expected a class marked `bridge` for the frames of "
	  "tap vtap0" },
	{ SITE_TAP PEER QOS(" class b rate 100kbit bridge\n"
	  " class c rate 100kbit bridge\n"),
	  "site.conf:14: class \"c\" is a second class marked \"bridge\"; "
	  "\"b\" (line 13) is marked already" },
	{ SITE_TAP PEER QOS(" class b rate 100kbit bridge\n"
	  " class c rate 50kbit parent b\n"),
	  "site.conf:13: class \"b\" is marked \"bridge\" but has children "
	  "(\"c\"); frames are queued in leaf classes only" },
	{ "site \"s\" {\n network 10.1.0.0/24\n}\n" PEER
	  QOS(" class b rate 100kbit bridge\n"),
	  "site.conf:12: class \"b\" is marked \"bridge\": expected a \"tap\" "
	  "statement in the site block" },
};

static void
test_errors(void **state)
{
	struct config cf;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (load(bad[i].text, &cf) != -1 ||
		    strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg,
			    bad[i].msg);
	}
}

/* Two tap SAs whose inbound SPIs collide (set through explicit main SPIs
 * of another peer equal to the tap formula's value). */
static void
test_spi_collision(void **state)
{
	char text[1024];
	struct config cf;
	uint32_t tap_in = tap_formula("10.1.1.0", 24, 'R', "10.1.0.0", 24);

	(void)state;
	snprintf(text, sizeof(text), SITE_TAP "peer \"p\" {\n network "
	    "10.1.1.0/24\n endpoint 198.18.2.2\n key \"k.key\"\n tap-sa "
	    "dedicated key \"k.key\"\n}\npeer \"q\" {\n network 10.1.2.0/24\n"
	    " endpoint 198.18.2.3\n key \"k.key\"\n spi in %u out 4096\n}\n",
	    tap_in);
	assert_int_equal(load(text, &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:9: inbound SPI "));
	assert_non_null(strstr(err.msg, "of the tap SA of peer \"p\" is also "
	    "used by peer \"q\" (site.conf:11)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_tap),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_tap_sa),
		cmocka_unit_test(test_tap_key_secrecy),
		cmocka_unit_test(test_qos_class),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_spi_collision),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
