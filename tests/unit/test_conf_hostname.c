/* Named endpoints: the host name syntax (hostname.c) and what the parser
 * makes of `endpoint HOSTNAME`, with the file:line of every refusal. No
 * name is resolved here: the config check never needs the network. */
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"

#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"
#define PEER_AT(ep) "peer \"p\" {\n network 10.1.1.0/24\n endpoint " ep \
	"\n key \"k.key\"\n}\n"

struct bad {
	const char *text;
	const char *msg;
};

static char l64[70], l254[260];

static void
make_long_names(void)
{
	size_t i;

	/* A label of 64 characters; a name of 254 in labels of 9. */
	memset(l64, 'a', 64);
	memcpy(l64 + 64, ".org", 5);
	for (i = 0; i < 254; i++)
		l254[i] = i % 10 == 9 ? '.' : 'b';
	l254[254] = '\0';
	l254[253] = 'c';
}

static void
test_syntax(void **state)
{
	static const char *const good[] = {
		"vpn.example.org", "vpn.example.org.", "a.b", "x-1.example",
		"1.example.org", "central1.vpn.example.org", "a.b2", "A.EXAMPLE",
	};
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (hostname_check(good[i], why, sizeof(why)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], why);
	make_long_names();
	assert_int_equal(hostname_check(l64, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is longer than 63 characters"));
	assert_int_equal(hostname_check(l254, why, sizeof(why)), -1);
	assert_string_equal(why, "it is longer than 253 characters");
	l254[253] = '\0';       /* 253 characters: fine */
	assert_int_equal(hostname_check(l254, why, sizeof(why)), 0);
	assert_int_equal(hostname_check("vpn..org", why, sizeof(why)), -1);
	assert_string_equal(why, "it has an empty label");
	assert_int_equal(hostname_check("vpn.org..", why, sizeof(why)), -1);
	assert_string_equal(why, "it has an empty label");
}

static void
test_errors(void **state)
{
	static const struct bad bad[] = {
		{ SITE PEER_AT("vpn_1.example.org"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"vpn_1.example.org\": '_' is not "
		  "allowed in a host name" },
		{ SITE PEER_AT("-vpn.example.org"),
		  "site.conf:6: expected an address after \"endpoint\", got "
		  "\"-\"" },
		{ SITE PEER_AT("vpn-.example.org"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"vpn-.example.org\": label \"vpn-\" "
		  "starts or ends with '-'" },
		{ SITE PEER_AT("vpn.-x.org"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"vpn.-x.org\": label \"-x\" starts or "
		  "ends with '-'" },
		{ SITE PEER_AT("198.18.2.256"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"198.18.2.256\": its last label \"256\" "
		  "is all digits" },
		{ SITE PEER_AT("198.18..2"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"198.18..2\": it has an empty label" },
		{ SITE PEER_AT("fd00::1::2"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"fd00::1::2\": ':' is not allowed in a "
		  "host name" },
		{ SITE PEER_AT("dynamc"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \"dynamc\": it has no dot, expected a "
		  "fully qualified name" },
		{ SITE PEER_AT(".example.org"),
		  "site.conf:6: expected an address or a host name after "
		  "\"endpoint\", got \".example.org\": it has an empty label" },
		{ "site \"s\" {\n network 10.1.0.0/24\n resolver "
		  "ns.example.org\n}\n" PEER_AT("vpn.example.org"),
		  "site.conf:3: expected an address after \"resolver\", got "
		  "\"ns.example.org\"" },
		{ "site \"s\" {\n network 10.1.0.0/24\n resolver 198.18.0.53\n"
		  " resolver 198.18.0.54\n resolver 198.18.0.55\n resolver "
		  "198.18.0.56\n resolver 198.18.0.57\n}\n"
		  PEER_AT("vpn.example.org"),
		  "site.conf:7: more than 4 resolver statements" },
		{ "site \"s\" {\n network 10.1.0.0/24\n resolve-interval 60 "
		  "30\n}\n" PEER_AT("vpn.example.org"),
		  "site.conf:3: resolve-interval 60 30: the minimum exceeds "
		  "the maximum" },
		{ "site \"s\" {\n network 10.1.0.0/24\n resolve-interval 0 "
		  "30\n}\n" PEER_AT("vpn.example.org"),
		  "site.conf:3: resolve-interval 0 is out of range, expected "
		  "1..86400" },
	};
	struct config cf;
	struct conf_error err;
	char text[1024];
	size_t i;

	(void)state;
	put_default_key("k.key");
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
		assert_null(cf.peers);
	}
	/* A label too long, and a name too long, with their lines. */
	make_long_names();
	snprintf(text, sizeof(text), SITE PEER_AT("%s"), l64);
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf,
	    &err), -1);
	assert_non_null(strstr(err.msg, "site.conf:6: expected an address or "
	    "a host name after \"endpoint\", got \"aaaa"));
	assert_non_null(strstr(err.msg, ": label \"aaaaaaaaaaaaaaaa...\" is "
	    "longer than 63 characters"));
	snprintf(text, sizeof(text), SITE PEER_AT("%s"), l254);
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf,
	    &err), -1);
	assert_non_null(strstr(err.msg, "site.conf:6: expected an address or "
	    "a host name after \"endpoint\", got \"bbbb"));
	assert_non_null(strstr(err.msg, ": it is longer than 253 characters"));
}

/* A name is kept as written, with the port; the address stays unset
 * (family AF_UNSPEC) and no family check against `outer` applies. */
static void
test_named_peer_loads(void **state)
{
	struct config cf;
	struct conf_error err;
	const struct peer_conf *pc;
	char b[64];

	(void)state;
	put_default_key("k.key");
	put_default_key_seeded("k2.key", 2);
	if (config_load_string("site.conf", "site \"s\" {\n network "
	    "10.1.0.0/24\n outer fd00::1\n resolver 198.18.0.53\n resolver "
	    "fd00::53\n resolve-interval 2 60\n}\npeer \"p\" {\n network "
	    "10.1.1.0/24\n endpoint vpn.example.org. port 4600\n key "
	    "\"k.key\"\n}\npeer \"q\" {\n network 10.1.2.0/24\n endpoint "
	    "fd00::2\n key \"k2.key\"\n}\n", tdir, &cf,
	    &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.npeers, 2);
	pc = &cf.peers[0];
	assert_string_equal(pc->endpoint_name, "vpn.example.org.");
	assert_false(pc->dynamic);
	assert_int_equal(pc->endpoint.ss_family, AF_UNSPEC);
	assert_int_equal(pc->port, 4600);
	assert_null(cf.peers[1].endpoint_name);
	assert_int_equal(cf.peers[1].endpoint.ss_family, AF_INET6);
	assert_int_equal(cf.site.nresolvers, 2);
	assert_string_equal(prefix_ntop(&cf.site.resolvers[1], b, sizeof(b)),
	    "fd00::53/128");
	assert_int_equal(cf.site.resolve_min, 2);
	assert_int_equal(cf.site.resolve_max, 60);
	config_free(&cf);

	/* The defaults. */
	if (config_load_string("site.conf", SITE PEER_AT("vpn.example.org"),
	    tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.site.nresolvers, 0);
	assert_int_equal(cf.site.resolve_min, CONF_RESOLVE_MIN_DEFAULT);
	assert_int_equal(cf.site.resolve_max, CONF_RESOLVE_MAX_DEFAULT);
	config_free(&cf);
}

/* A reload may not change a peer's name: it is the endpoint. */
static void
test_reload_refuses_new_name(void **state)
{
	struct config a, b;
	struct conf_error err;

	(void)state;
	put_default_key("k.key");
	assert_int_equal(config_load_string("site.conf", SITE
	    PEER_AT("vpn.example.org"), tdir, &a, &err), 0);
	assert_int_equal(config_load_string("site.conf", SITE
	    PEER_AT("vpn.example.org"), tdir, &b, &err), 0);
	assert_int_equal(config_reload_check(&a, &b, &err), 0);
	config_free(&b);
	assert_int_equal(config_load_string("site.conf", SITE
	    PEER_AT("vpn2.example.org"), tdir, &b, &err), 0);
	assert_int_equal(config_reload_check(&a, &b, &err), -1);
	assert_non_null(strstr(err.msg, "endpoint changed"));
	config_free(&b);
	assert_int_equal(config_load_string("site.conf", SITE
	    PEER_AT("198.18.2.2"), tdir, &b, &err), 0);
	assert_int_equal(config_reload_check(&a, &b, &err), -1);
	config_free(&b);
	config_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_named_peer_loads),
		cmocka_unit_test(test_reload_refuses_new_name),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
