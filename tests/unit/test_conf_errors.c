/* Bad configs and the messages they must produce: each names file:line and
 * says what was expected or what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"

struct bad {
	const char *text;
	const char *msg;        /* substring of the message */
};

#define PEER "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n" \
	" key \"k.key\"\n}\n"
#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"

static const struct bad bad[] = {
	/* values */
	{ "site \"s\" {\n network 10.1.0.300\n}\n" PEER,
	  "site.conf:2: expected an address or prefix after \"network\", got "
	  "\"10.1.0.300\"" },
	{ "site \"s\" {\n network 10.1.0.0/33\n}\n" PEER,
	  "site.conf:2: expected a prefix length 0..32 or a netmask after '/', "
	  "got \"33\"" },
	{ "site \"s\" {\n network 10.1.0.0/255.0.255.0\n}\n" PEER,
	  "site.conf:2: netmask \"255.0.255.0\" after \"network\" is not a "
	  "contiguous IPv4 netmask" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher blowfsh\n}\n",
	  "site.conf:8: unknown cipher \"blowfsh\", expected one of "
	  "blowfish-cbc, 3des-cbc, aes-cbc (or rijndael-cbc), aes-gcm, "
	  "chacha20-poly1305, des-cbc, cast128-cbc, aes-ctr, null" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n auth md5\n}\n",
	  "site.conf:8: unknown auth \"md5\", expected one of none, "
	  "hmac-md5-96, hmac-sha1-96, hmac-sha256-128, hmac-sha384-192, "
	  "hmac-sha512-256, hmac-sha256-96, hmac-sha384-96, hmac-sha512-96, "
	  "aes-xcbc-mac-96" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher blowfish-cbc keysize 100\n}\n",
	  "site.conf:8: keysize 100 is not valid for blowfish-cbc, expected "
	  "40..448 in steps of 8" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher blowfish-cbc keysize 32\n}\n",
	  "site.conf:8: keysize 32 is not valid for blowfish-cbc, expected "
	  "40..448 in steps of 8" },
	/* KAME's ciphers: RFC 2451 2.2 CAST key sizes; DES only when
	 * asked for; CTR and NULL never without integrity (RFC 3686 2,
	 * RFC 4303 3.2). */
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher cast128-cbc keysize 32\n}\n",
	  "site.conf:8: keysize 32 is not valid for cast128-cbc, expected "
	  "40..128 in steps of 8" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher cast128-cbc keysize 136\n}\n",
	  "site.conf:8: keysize 136 is not valid for cast128-cbc, expected "
	  "40..128 in steps of 8" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n auth hmac-sha1-96\n cipher des-cbc\n}\n",
	  "site.conf:9: des-cbc is a weak cipher (56-bit key, found by "
	  "exhaustive search in hours); to use it anyway, add "
	  "\"allow-weak-cipher yes\" to peer \"p\"" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher des-cbc\n allow-weak-cipher no\n}\n",
	  "site.conf:8: des-cbc is a weak cipher (56-bit key, found by "
	  "exhaustive search in hours); to use it anyway, add "
	  "\"allow-weak-cipher yes\" to peer \"p\"" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n allow-weak-cipher maybe\n}\n",
	  "site.conf:8: expected no or yes after \"allow-weak-cipher\", got "
	  "\"maybe\"" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher aes-ctr\n auth none\n}\n",
	  "site.conf:9: auth none cannot be used with the cipher aes-ctr, "
	  "which needs an integrity algorithm (RFC 3686 2); expected "
	  "hmac-sha256-128 or hmac-sha1-96" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n auth none\n cipher null\n}\n",
	  "site.conf:8: auth none cannot be used with the cipher null, "
	  "which needs an integrity algorithm (RFC 4303 3.2); expected "
	  "hmac-sha256-128 or hmac-sha1-96" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher null keysize 0\n}\n",
	  "site.conf:8: cipher null has a fixed key size of 0 bits" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher 3des-cbc keysize 192\n}\n",
	  "site.conf:8: cipher 3des-cbc has a fixed key size of 192 bits" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n cipher aes-gcm\n auth hmac-sha1-96\n}\n",
	  "site.conf:9: auth hmac-sha1-96 cannot be used with the AEAD cipher "
	  "aes-gcm" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n keying auto\n}\n",
	  "site.conf:8: expected derived or manual after \"keying\", got "
	  "\"auto\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n outer-mtu 100\n}\n" PEER,
	  "site.conf:3: outer-mtu 100 is out of range, expected 576..9000" },
	{ "site \"s\" {\n network 10.1.0.0/24\n port 70000\n}\n" PEER,
	  "site.conf:3: port 70000 is out of range, expected 1..65535" },
	{ "site \"s\" {\n network 10.1.0.0/24\n monitor 9180\n}\n" PEER,
	  "site.conf:3: expected an address after \"monitor\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n monitor ::1 9180\n}\n" PEER,
	  "site.conf:3: expected \"port\" after \"monitor\" and its address, "
	  "got \"9180\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n monitor port 0\n}\n" PEER,
	  "site.conf:3: port 0 is out of range, expected 1..65535" },
	{ "site \"s\" {\n network 10.1.0.0/24\n monitor 10.0.0.0/8 port 1\n}\n"
	  PEER, "site.conf:3: expected an address without a prefix length "
	  "after \"monitor\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n port -1\n}\n" PEER,
	  "site.conf:3: expected a number 1..65535 after \"port\", got \"-\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n port 12ab\n}\n" PEER,
	  "site.conf:3: expected a number 1..65535 after \"port\", got \"12ab\"" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	  " key \"k.key\"\n replay-window 32\n}\n",
	  "site.conf:8: replay-window 32 is out of range, expected 0 (off) or "
	  "64..65536" },
	{ "site \"s\" {\n network 10.1.0.0/24\n hook-timeout 0\n}\n" PEER,
	  "site.conf:3: hook-timeout 0 is out of range, expected 1..3600" },
	{ "site \"s\" {\n network 10.1.0.0/24\n hook-timeout 3601\n}\n" PEER,
	  "site.conf:3: hook-timeout 3601 is out of range, expected 1..3600" },
	{ "site \"s\" {\n network 10.1.0.0/24\n peer-up\n}\n" PEER,
	  "site.conf:3: expected a path after \"peer-up\", got end of line" },
	{ "site \"s\" {\n network 10.1.0.0/24\n peer-down \"\"\n}\n" PEER,
	  "site.conf:3: expected a path after \"peer-down\", got \"\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n role hub\n}\n" PEER,
	  "site.conf:3: expected central or remote after \"role\", got \"hub\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n log-level loud\n}\n" PEER,
	  "site.conf:3: expected error, warning, info or debug after "
	  "\"log-level\", got \"loud\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n socket-filter off\n}\n" PEER,
	  "site.conf:3: expected no or yes after \"socket-filter\", got "
	  "\"off\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n udp-gro on\n}\n" PEER,
	  "site.conf:3: expected no or yes after \"udp-gro\", got \"on\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n outer 198.18.0.1/24\n}\n" PEER,
	  "site.conf:3: expected an address without a prefix length after "
	  "\"outer\", got \"198.18.0.1/24\"" },
	{ "site \"s\" {\n network mask(10.1.0.0/24)\n}\n" PEER,
	  "site.conf:2: mask() gives an address, not a prefix" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tun averyveryverylongname\n}\n"
	  PEER, "site.conf:3: interface name \"averyveryverylongname\" is "
	  "longer than 15 characters" },
	/* structure */
	{ "site \"s\" {\n network 10.1.0.0/24\n bogus 1\n}\n" PEER,
	  "site.conf:3: unknown keyword \"bogus\" in site block" },
	{ "sight \"s\" {\n}\n",
	  "site.conf:1: unknown keyword \"sight\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n" PEER,
	  "expected '}' to close the site block of line 1" },
	{ "site \"s\" {\n network 10.1.0.0/24 garbage\n}\n" PEER,
	  "site.conf:2: expected end of line after the \"network\" statement, "
	  "got \"garbage\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tun \"vpn0\n}\n" PEER,
	  "site.conf:3: expected a closing '\"'" },
	{ "site \"s\" {\n network 10.1.0.0/24\n tun vpn0 @\n}\n" PEER,
	  "site.conf:3: unexpected character '@'" },
	{ "site \"s\" {\n network $lan\n}\n" PEER,
	  "site.conf:2: undefined macro $lan" },
	{ PEER, "expected a site block, found none" },
	{ SITE, "expected at least one peer block, found none" },
	{ SITE SITE PEER,
	  "site.conf:4: a second site block; the site is already defined at "
	  "site.conf:1" },
	{ SITE PEER PEER,
	  "site.conf:9: peer \"p\" is defined twice, first at site.conf:4" },
	{ "site \"s\" {\n role central\n}\n" PEER,
	  "site.conf:1: site \"s\" has no network" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n}\n",
	  "site.conf:4: peer \"p\" has no key" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n key \"k.key\"\n}\n",
	  "site.conf:4: peer \"p\" has no endpoint" },
	{ SITE "peer \"p\" {\n endpoint dynamic\n key \"k.key\"\n}\n",
	  "site.conf:4: peer \"p\" has no network" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n tunnel 10.1.0.0/24 <-> fd00::/64\n}\n",
	  "site.conf:8: tunnel: both sides of \"<->\" must be of the same "
	  "address family" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n tunnel 10.1.0.0/24 10.1.1.0/24\n}\n",
	  "site.conf:8: expected \"<->\" between the local and remote prefix "
	  "of \"tunnel\", got \"10.1.1.0\"" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n spi in 0x10 out 0x2001\n}\n",
	  "site.conf:8: in 0x10 is out of range, expected 256..4294967295" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n spi in 0x1001\n}\n",
	  "site.conf:8: expected \"out\" after \"spi\", got end of line" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n transport esp\n keepalive 20\n dead 30\n}\n",
	  "site.conf:10: peer \"p\": dead 30 must exceed 2 x keepalive 20, "
	  "when the peer becomes stale" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n"
	  " endpoint 198.18.2.2 port 4501\n transport udp port 4502\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:7: peer \"p\": port 4502 contradicts port 4501 given at "
	  "line 6" },
	{ SITE "peer \"p\" {\n network 10.1.1.0/24\n network 10.1.2.0/24\n"
	  " endpoint dynamic\n key \"k.key\"\n}\n",
	  "site.conf:6: peer \"p\" has a network already" },
	{ "site \"s\" {\n network 10.1.0.0/24\n outer 198.18.0.1\n}\n"
	  "peer \"p\" {\n network 10.1.1.0/24\n endpoint 2001:db8::1\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:5: peer \"p\": endpoint and the site's outer address are "
	  "of different address families" },
	/* A peer's network apart from every network of the site. */
	{ SITE "peer \"p\" {\n endpoint dynamic\n network 10.1.0.0/24\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:6: peer \"p\": network 10.1.0.0/24 overlaps this site's "
	  "network 10.1.0.0/24" },
	{ SITE "peer \"p\" {\n network 10.1.0.128/25\n endpoint dynamic\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:5: peer \"p\": network 10.1.0.128/25 overlaps this "
	  "site's network 10.1.0.0/24" },
	{ SITE "peer \"p\" {\n network 10.0.0.0/8\n endpoint dynamic\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:5: peer \"p\": network 10.0.0.0/8 overlaps this site's "
	  "network 10.1.0.0/24" },
	{ "site \"s\" {\n network 10.1.0.0/24\n network fd00:1::/48\n}\n"
	  "peer \"p\" {\n network fd00:1:0:5::/64\n endpoint dynamic\n"
	  " key \"k.key\"\n tunnel fd00:1::/48 <-> fd00:1:0:5::/64\n}\n",
	  "site.conf:6: peer \"p\": network fd00:1:0:5::/64 overlaps this "
	  "site's network fd00:1::/48" },
	{ SITE "peer \"p\" {\n network 10.1.0.77/24\n endpoint dynamic\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:5: peer \"p\": network 10.1.0.77/24 overlaps this site's "
	  "network 10.1.0.0/24" },
	/* A tun address lies in one of the site's networks. */
	{ "site \"s\" {\n network 10.1.0.0/24\n address 10.1.1.1/24\n}\n"
	  PEER,
	  "site.conf:3: address 10.1.1.1/24 lies outside the site's networks "
	  "(10.1.0.0/24); expected an address inside a \"network\" of the "
	  "site" },
	{ "site \"s\" {\n network 10.1.0.0/24\n network fd00:1::/64\n"
	  " address host(10.1.0.0/24, 1)\n address fd00:2::1/64\n}\n" PEER,
	  "site.conf:5: address fd00:2::1/64 lies outside the site's networks "
	  "(10.1.0.0/24, fd00:1::/64); expected an address inside a "
	  "\"network\" of the site" },
	{ "site \"s\" {\n network 10.1.0.0/24\n address 10.1.0.255/16\n"
	  " address 10.1.0.0/25 - 1\n}\n" PEER,
	  "site.conf:4: address 10.0.255.255/25 lies outside the site's "
	  "networks (10.1.0.0/24)" },
	/* No tunnel or funnel side inside an excluded network, either side,
	 * the default tunnel included. */
	{ "site \"s\" {\n network 10.1.0.0/24\n exclude 192.168.1.0/24\n}\n"
	  "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n tunnel 10.1.0.0/24 <-> 10.1.1.0/24\n"
	  " funnel 192.168.1.0/24 <-> 172.16.0.0/16\n}\n",
	  "site.conf:10: peer \"p\": funnel 192.168.1.0/24 <-> 172.16.0.0/16: "
	  "its local side lies inside exclude 192.168.1.0/24 (site.conf:3), "
	  "which never enters the VPN; expected prefixes outside every "
	  "excluded network" },
	{ "site \"s\" {\n network 10.1.0.0/24\n exclude 192.168.0.0/16\n}\n"
	  "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n tunnel 10.1.0.0/24 <-> 192.168.7.0/24\n}\n",
	  "site.conf:9: peer \"p\": tunnel 10.1.0.0/24 <-> 192.168.7.0/24: its "
	  "remote side lies inside exclude 192.168.0.0/16 (site.conf:3)" },
	{ "site \"s\" {\n network fd00:1::/64\n exclude fd00:1::/48\n}\n"
	  "peer \"p\" {\n network fd00:2::/64\n endpoint dynamic\n"
	  " key \"k.key\"\n}\n",
	  "site.conf:5: peer \"p\": the default tunnel fd00:1::/64 <-> "
	  "fd00:2::/64: its local side lies inside exclude fd00:1::/48 "
	  "(site.conf:3)" },
	{ "site \"s\" {\n network 10.1.0.0/24\n exclude 10.1.1.5\n}\n"
	  "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	  " key \"k.key\"\n tunnel 10.1.0.0/24 <-> 10.1.1.5/32\n}\n",
	  "site.conf:9: peer \"p\": tunnel 10.1.0.0/24 <-> 10.1.1.5/32: its "
	  "remote side lies inside exclude 10.1.1.5/32 (site.conf:3)" },
	/* address arithmetic */
	{ "site \"s\" {\n network host(10.1.0.0/24, 256)\n}\n" PEER,
	  "site.conf:2: host(10.1.0.0/24, 256): 256 does not fit in a /24" },
	{ "site \"s\" {\n network 255.255.255.0/24 + 256\n}\n" PEER,
	  "site.conf:2: 255.255.255.0/24 + 256 leaves the IPv4 address space" },
	{ "site \"s\" {\n network 0.0.0.1 - 2\n}\n" PEER,
	  "site.conf:2: 0.0.0.1 - 2 leaves the IPv4 address space" },
	{ "site \"s\" {\n network 10.1.0.0/24 + x\n}\n" PEER,
	  "site.conf:2: expected a number after '+', got \"x\"" },
	{ "site \"s\" {\n network host(10.1.0.0/24 1)\n}\n" PEER,
	  "site.conf:2: expected ',' in host(), got \"1\"" },
	/* macros and includes */
	{ "a = \"x\" y\n" SITE PEER,
	  "site.conf:1: expected end of line after macro $a, got \"y\"" },
	{ "include \"nosuch.conf\"\n" SITE PEER,
	  "site.conf:1: cannot read include file" },
	{ "include nosuch.conf\n" SITE PEER,
	  "site.conf:1: expected a quoted file name after \"include\"" },
	{ "include \"self.conf\"\n" SITE PEER,
	  "self.conf:1: include cycle: " },
};

static void
test_table(void **state)
{
	struct config cf;
	struct conf_error err;
	size_t i;

	(void)state;
	put_default_key("k.key");
	put_file("self.conf", "include \"self.conf\"\n", 0644);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (config_load_string("site.conf", bad[i].text, tdir, &cf,
		    &err) != -1) {
			config_free(&cf);
			fail_msg("case %zu loaded, expected \"%s\"", i,
			    bad[i].msg);
		}
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", expected \"%s\"", i,
			    err.msg, bad[i].msg);
		/* Nothing is left allocated on error. */
		assert_null(cf.peers);
		assert_int_equal(cf.npeers, 0);
	}
}

static void
test_include_depth(void **state)
{
	struct config cf;
	struct conf_error err;
	char name[32], text[64];
	int i;

	(void)state;
	put_default_key("k.key");
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "inc%d.conf", i);
		snprintf(text, sizeof(text), "include \"inc%d.conf\"\n", i + 1);
		put_file(name, text, 0644);
	}
	put_file("inc12.conf", "\n", 0644);
	assert_int_equal(config_load_string("site.conf",
	    "include \"inc0.conf\"\n" SITE PEER, tdir, &cf, &err), -1);
	assert_non_null(strstr(err.msg, "includes nested deeper than 8"));
	assert_non_null(strstr(err.msg, "inc7.conf:1:"));
}

/* Found by fuzz/conf: deep parentheses used to overflow the stack. */
static void
test_expression_nesting(void **state)
{
	struct config cf;
	struct conf_error err;
	char text[8192];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "x = ");
	for (i = 0; i < 2000; i++)
		text[n++] = '(';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "10.1.0.0\n");
	assert_true(n < sizeof(text));
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf,
	    &err), -1);
	assert_non_null(strstr(err.msg, "site.conf:1: expression nested more "
	    "than 32 deep"));

	/* 32 levels are fine. */
	n = (size_t)snprintf(text, sizeof(text), "x = ");
	for (i = 0; i < 31; i++)
		text[n++] = '(';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "10.1.0.0/24");
	for (i = 0; i < 31; i++)
		text[n++] = ')';
	snprintf(text + n, sizeof(text) - n, "\n%s%s", SITE, PEER);
	memset(&err, 0, sizeof(err));
	put_default_key("k.key");
	if (config_load_string("site.conf", text, tdir, &cf, &err) != 0)
		fail_msg("31 levels refused: %s", err.msg);
	config_free(&cf);
}

static void
test_error_in_include_names_it(void **state)
{
	struct config cf;
	struct conf_error err;

	(void)state;
	put_default_key("k.key");
	put_file("peers.conf", "\n\npeer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint dynamic\n key \"k.key\"\n spi in 0x1001 out 0x2001\n}\n"
	    "peer \"q\" {\n network 10.1.2.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n spi in 0x1001 out 0x2002\n}\n", 0644);
	assert_int_equal(config_load_string("site.conf",
	    SITE "include \"peers.conf\"\n", tdir, &cf, &err), -1);
	assert_non_null(strstr(err.msg, "/peers.conf:9: inbound SPI "
	    "0x00001001 of peer \"q\" is also used by peer \"p\" ("));
	assert_non_null(strstr(err.msg, "peers.conf:3)"));
}

/* Where the funnel and the exclude are written in other files, the
 * message names those files. */
static void
test_excluded_in_includes(void **state)
{
	struct config cf;
	struct conf_error err;
	char want[1024];

	(void)state;
	put_default_key("k.key");
	put_file("lan.conf", "# the family LAN\n exclude 192.168.1.0/24\n",
	    0644);
	put_file("funnels.conf", "\n\n funnel 192.168.1.128/25 <-> "
	    "10.1.0.0/24\n", 0644);
	assert_int_equal(config_load_string("site.conf",
	    "site \"s\" {\n network 10.1.1.0/24\n include \"lan.conf\"\n}\n"
	    "peer \"p\" {\n network 10.1.0.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n include \"funnels.conf\"\n}\n", tdir, &cf,
	    &err), -1);
	snprintf(want, sizeof(want), "%s/funnels.conf:3: peer \"p\": funnel "
	    "192.168.1.128/25 <-> 10.1.0.0/24: its local side lies inside "
	    "exclude 192.168.1.0/24 (%s/lan.conf:2), which never enters the "
	    "VPN; expected prefixes outside every excluded network", tdir,
	    tdir);
	assert_string_equal(err.msg, want);
}

/* An exclude inside a wider tunnel is the hole it is meant to cut
 * (site.conf(5)): that loads. */
static void
test_exclude_hole_loads(void **state)
{
	struct config cf;
	struct conf_error err;

	(void)state;
	put_default_key("k.key");
	if (config_load_string("site.conf",
	    "site \"s\" {\n network 10.1.1.0/24\n exclude 192.168.1.0/24\n"
	    " exclude 10.2.1.128/25\n}\n"
	    "peer \"p\" {\n network 10.1.0.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n tunnel 10.1.1.0/24 <-> 10.1.0.0/24\n"
	    " funnel 10.2.1.0/24 <-> 0.0.0.0/0\n}\n", tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.peers[0].npolicies, 2);
	config_free(&cf);
}

static void
test_missing_file(void **state)
{
	struct config cf;
	struct conf_error err;

	(void)state;
	assert_int_equal(config_load("/nonexistent/site.conf", &cf, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/site.conf: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_expression_nesting),
		cmocka_unit_test(test_error_in_include_names_it),
		cmocka_unit_test(test_excluded_in_includes),
		cmocka_unit_test(test_exclude_hole_loads),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
