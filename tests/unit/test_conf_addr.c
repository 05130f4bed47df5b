/* Address arithmetic (net, host, mask, +, -, /) for IPv4 and IPv6, its
 * edges and overflow errors, and the prefix helpers of config.h. */
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"

#define PEER "peer \"p\" {\n network 10.9.1.0/24\n endpoint dynamic\n" \
	" key \"k.key\"\n tunnel 10.9.0.0/24 <-> 10.9.1.0/24\n}\n"

/* The same with an IPv6 tunnel, which no IPv4 exclude can hold. */
#define PEER6 "peer \"p\" {\n network 10.9.1.0/24\n endpoint dynamic\n" \
	" key \"k.key\"\n tunnel fd09::/64 <-> fd09:1::/64\n}\n"

static struct conf_error err;

/* Evaluates expr as a macro and uses it as the site's exclude: a prefix
 * kept as written, which no other statement constrains (an address must
 * lie in a network of the site). */
static int
eval(const char *expr, char *out, size_t len)
{
	char text[1024];
	struct config cf;

	snprintf(text, sizeof(text), "x = %s\nsite \"s\" {\n"
	    " network 10.9.0.0/24\n exclude $x\n}\n" PEER6, expr);
	if (config_load_string("t.conf", text, tdir, &cf, &err) == -1)
		return -1;
	prefix_ntop(&cf.site.excludes[0], out, len);
	config_free(&cf);
	return 0;
}

static void
check(const char *expr, const char *want)
{
	char got[64];

	if (eval(expr, got, sizeof(got)) == -1)
		fail_msg("%s: %s", expr, err.msg);
	if (strcmp(got, want) != 0)
		fail_msg("%s = %s, expected %s", expr, got, want);
}

static void
check_err(const char *expr, const char *msg)
{
	char got[64];

	if (eval(expr, got, sizeof(got)) == 0)
		fail_msg("%s = %s, expected an error", expr, got);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("%s: got \"%s\", expected \"%s\"", expr, err.msg, msg);
}

static void
test_v4(void **state)
{
	(void)state;
	put_default_key("k.key");
	check("10.1.0.0/24", "10.1.0.0/24");
	check("10.1.0.77", "10.1.0.77/32");
	check("10.1.0.77/24", "10.1.0.77/24");          /* host bits kept */
	check("10.1.0.0/255.255.255.0", "10.1.0.0/24");
	check("10.1.0.0/0.0.0.0", "10.1.0.0/0");
	check("net(10.1.0.77/24)", "10.1.0.0/24");
	check("net(10.1.0.77/0)", "0.0.0.0/0");
	check("host(10.1.0.0/24, 1)", "10.1.0.1/24");
	check("host(10.1.0.99/24, 1)", "10.1.0.1/24");
	check("host(10.1.0.0/24, 255)", "10.1.0.255/24");
	check("host(10.1.0.0/30, 3)", "10.1.0.3/30");
	check("host(10.1.0.5, 0)", "10.1.0.5/32");
	check("10.1.0.0/24 + 256", "10.1.1.0/24");
	check("10.1.0.0/24 + 1 + 1", "10.1.0.2/24");
	check("10.1.1.0/24 - 256", "10.1.0.0/24");
	check("10.1.0.0/24 - 1", "10.0.255.255/24");
	check("255.255.255.254 + 1", "255.255.255.255/32");
	check("0.0.0.1 - 1", "0.0.0.0/32");
	check("10.1.0.0/24 + 0x100", "10.1.1.0/24");
	check("10.1.0.0/24 / 16", "10.1.0.0/16");
	check("(10.1.0.0/24 + 256) / 16", "10.1.1.0/16");
	check("host(10.1.0.0/24 + 512, 7)", "10.1.2.7/24");
	check("host(net(10.1.2.3/16), 258)", "10.1.1.2/16");
}

static void
test_v6(void **state)
{
	(void)state;
	put_default_key("k.key");
	check("fd00::/64", "fd00::/64");
	check("fd00::1", "fd00::1/128");
	check("host(fd00::/64, 1)", "fd00::1/64");
	check("host(fd00::/64, 4294967296)", "fd00::1:0:0/64");
	check("host(fd00::/96, 4294967295)", "fd00::ffff:ffff/96");
}

static void
test_v6_more(void **state)
{
	(void)state;
	check("fd00::ffff:ffff:ffff:ffff/64 + 1", "fd00:0:0:1::/64");
	check("fd00:0:0:1::/64 - 1", "fd00::ffff:ffff:ffff:ffff/64");
	check("net(fd00::1234/112)", "fd00::/112");
	check("fd00::/64 / 48", "fd00::/48");
	check("fd00::/ffff:ffff:ffff:ff00::", "fd00::/56");
	check("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe + 1",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void
test_errors(void **state)
{
	(void)state;
	put_default_key("k.key");
	check_err("10.1.0.0/24 + 0x100000000", "leaves the IPv4 address space");
	check_err("255.255.255.255 + 1",
	    "t.conf:1: 255.255.255.255 + 1 leaves the IPv4 address space");
	check_err("0.0.0.0 - 1", "0.0.0.0 - 1 leaves the IPv4 address space");
	check_err("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff + 1",
	    "leaves the IPv6 address space");
	check_err(":: - 1", "leaves the IPv6 address space");
	check_err("host(10.1.0.0/24, 256)",
	    "host(10.1.0.0/24, 256): 256 does not fit in a /24");
	check_err("host(10.1.0.0/32, 1)", "1 does not fit in a /32");
	check_err("host(fd00::/127, 2)", "2 does not fit in a /127");
	check_err("10.1.0.0/24 + 99999999999999999999", "expected a number");
	check_err("10.1.0.0/33", "expected a prefix length 0..32");
	check_err("fd00::/129", "expected a prefix length 0..128");
	check_err("10.1.0.0/255.255.0.255", "is not a contiguous IPv4 netmask");
	check_err("10.1.0.0/ffff::", "is not a contiguous IPv4 netmask");
	check_err("net(10.1.0.0/24", "expected ')' in net()");
	check_err("host(10.1.0.0/24)", "expected ',' in host()");
	check_err("host(10.1.0.0/24, -1)", "expected a host number in host()");
	/* A single word is kept as text and checked where it is used. */
	check_err("10.1.0.0.0", "t.conf:4: expected an address or prefix after "
	    "\"exclude\", got \"10.1.0.0.0\"");
	check_err("nett(10.1.0.0)", "got \"nett\"");
}

/* mask() is an address, so it is accepted by `outer` but not as a prefix. */
static void
test_mask(void **state)
{
	struct config cf;
	struct sockaddr_in *sin;
	char a[INET_ADDRSTRLEN];

	(void)state;
	put_default_key("k.key");
	assert_int_equal(config_load_string("t.conf",
	    "site \"s\" {\n network 10.9.0.0/24\n outer mask(10.1.0.0/20)\n}\n"
	    PEER, tdir, &cf, &err), 0);
	sin = (struct sockaddr_in *)&cf.site.outer;
	assert_int_equal(sin->sin_family, AF_INET);
	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	assert_string_equal(a, "255.255.240.0");
	config_free(&cf);
	check_err("mask(10.1.0.0/24)", "mask() gives an address, not a prefix");
}

static void
test_macros(void **state)
{
	struct config cf;
	char b[64];

	(void)state;
	put_default_key("k.key");
	memset(&err, 0, sizeof(err));
	if (config_load_string("t.conf",
	    "base = 10.1.0.0/24\n"
	    "step = 256\n"
	    "next = $base + $step\n"
	    "third = $next + $step\n"
	    "wide = $third / 16\n"
	    "name = \"vpn7\"\n"
	    "site \"s\" {\n network $base\n network $third\n network $next\n"
	    " address host($next, 9)\n address $wide\n tun $name\n}\n" PEER,
	    tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(prefix_ntop(&cf.site.networks[1], b, sizeof(b)),
	    "10.1.2.0/24");
	assert_string_equal(prefix_ntop(&cf.site.addresses[0], b, sizeof(b)),
	    "10.1.1.9/24");
	assert_string_equal(prefix_ntop(&cf.site.addresses[1], b, sizeof(b)),
	    "10.1.2.0/16");
	assert_string_equal(cf.site.tun, "vpn7");
	config_free(&cf);
}

static void
test_helpers(void **state)
{
	struct prefix p, m;
	uint8_t a4[4] = { 10, 1, 0, 200 }, b4[4] = { 10, 1, 1, 0 };
	uint8_t a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint64_t v;
	uint8_t len;
	char b[64];

	(void)state;
	assert_int_equal(addr_parse("10.1.0.0", &p), 0);
	p.len = 24;
	assert_true(prefix_contains(&p, AF_INET, a4));
	assert_false(prefix_contains(&p, AF_INET, b4));
	assert_false(prefix_contains(&p, AF_INET6, a6));
	p.len = 23;
	assert_true(prefix_contains(&p, AF_INET, b4));
	p.len = 0;
	assert_true(prefix_contains(&p, AF_INET, b4));
	assert_int_equal(addr_parse("fd00::", &p), 0);
	p.len = 120;
	assert_true(prefix_contains(&p, AF_INET6, a6));
	assert_string_equal(prefix_ntop(&p, b, sizeof(b)), "fd00::/120");

	len_to_mask(AF_INET, 20, &m);
	assert_int_equal(mask_to_len(&m, &len), 0);
	assert_int_equal(len, 20);
	m.addr.b[3] = 1;
	assert_int_equal(mask_to_len(&m, &len), -1);

	assert_int_equal(parse_u64("4500", 1, 65535, &v), 0);
	assert_int_equal(v, 4500);
	assert_int_equal(parse_u64("0x1001", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0x1001);
	assert_int_equal(parse_u64("-1", 0, UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64(" 1", 0, UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64("+1", 0, UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64("1x", 0, UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64("0x", 0, UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64("", 0, UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v),
	    -1);
	assert_int_equal(parse_u64("65536", 1, 65535, &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_v6_more),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
