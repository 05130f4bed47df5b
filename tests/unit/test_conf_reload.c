/* config_reload_check: what a reload may change (rules, meters, the qos
 * block's bandwidth, classes and mss-clamp, log-level, socket-filter)
 * and what it refuses, naming the first change with its file:line. Both
 * configs are loaded from text, keys from files, as the daemon loads
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"

static struct conf_error err;

#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"
#define PEER(extra) "peer \"p\" {\n network 10.1.1.0/24\n" \
	" endpoint 198.18.2.2\n key \"k.key\"\n" \
	" tunnel 10.1.0.0/24 <-> 10.1.1.0/24\n" extra "}\n"
#define QOS(extra) "qos {\n bandwidth 1Mbit\n tunnel-mtu 1000\n" \
	" class \"a\" rate 500kbit priority 0\n" \
	" class \"b\" rate 400kbit borrow default\n" extra "}\n"
#define RULES "meter \"m\" srtcm cir 64kbit cbs 3000 ebs 3000 green pass " \
	"yellow pass red drop\nblock proto udp to port 9\n" \
	"pass out proto udp dscp ef queue a meter m\n"

/* The running configuration: site, one peer (lines 5-10), qos, rules. */
static const char base[] = SITE "\n" PEER("") QOS("") RULES;

static void
load(const char *text, struct config *cf)
{
	if (config_load_string("site.conf", text, tdir, cf, &err) == -1)
		fail_msg("%s", err.msg);
}

/* The answer of config_reload_check for base against text: 0, or -1
 * with the message in err. */
static int
check(const char *text)
{
	struct config old, new;
	int rv;

	put_default_key("k.key");
	load(base, &old);
	load(text, &new);
	memset(&err, 0, sizeof(err));
	rv = config_reload_check(&old, &new, &err);
	config_free(&old);
	config_free(&new);
	return rv;
}

static void
refused(const char *text, const char *msg)
{
	assert_int_equal(check(text), -1);
	assert_string_equal(err.msg, msg);
}

static void
test_same_file(void **state)
{
	(void)state;
	assert_int_equal(check(base), 0);
	assert_string_equal(err.msg, "");
}

/* Every reloadable part changed at once, with lines moved by comments
 * and the peer's key in a file of another name (same bytes). */
static void
test_reloadable_parts(void **state)
{
	(void)state;
	put_default_key("other.key");
	assert_int_equal(check("# moved\n# down\n" SITE
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"other.key\"\n tunnel 10.1.0.0/24 <-> 10.1.1.0/24\n}\n"
	    "qos {\n bandwidth 2Mbit\n tunnel-mtu 1000\n mss-clamp no\n"
	    " class \"audio\" rate 300kbit priority 0\n"
	    " class \"a\" rate 1mbit borrow\n"
	    " class \"c\" rate 600kbit borrow default\n}\n"
	    "meter \"n\" trtcm cir 64kbit pir 128kbit cbs 3000 pbs 6000 "
	    "green pass yellow pass red drop\n"
	    "pass out proto udp dscp ef queue audio meter n\n"
	    "block in proto tcp to port 23\n"), 0);
	/* log-level and socket-filter, the site block's reloadable
	 * statements */
	assert_int_equal(check("site \"s\" {\n network 10.1.0.0/24\n"
	    " log-level debug\n socket-filter no\n}\n" PEER("") QOS("")
	    RULES), 0);
	/* Dropping the qos block drops its tunnel-mtu: the tun's MTU. */
	refused(SITE PEER(""), "site.conf: qos: tunnel-mtu changed; restart "
	    "vpntund to apply it");
}

static void
test_peer_changes(void **state)
{
	(void)state;
	refused(SITE "\n" PEER(" replay-window 128\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": replay-window changed; restart vpntund "
	    "to apply it");
	refused(SITE "\n" PEER(" keying manual\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": keying changed; restart vpntund to "
	    "apply it");
	refused(SITE "\n" PEER(" lifetime bytes 32MiB\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": lifetime bytes changed; restart vpntund "
	    "to apply it");
	refused(SITE "\n" PEER(" lifetime bytes 64MiB soft 40MiB\n") QOS("")
	    RULES, "site.conf:5: peer \"p\": lifetime bytes soft changed; "
	    "restart vpntund to apply it");
	refused(SITE "\n" PEER(" lifetime packets 1000\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": lifetime packets changed; restart "
	    "vpntund to apply it");
	refused(SITE "\n" PEER(" lifetime packets 4000000000 soft 10\n")
	    QOS("") RULES, "site.conf:5: peer \"p\": lifetime packets soft "
	    "changed; restart vpntund to apply it");
	/* The defaults written out are no change. */
	assert_int_equal(check(SITE "\n" PEER(" lifetime bytes 64MiB soft "
	    "48MiB\n lifetime packets 4000000000\n") QOS("") RULES), 0);
	refused(SITE "\n" PEER(" dead 41\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": dead changed; restart vpntund to "
	    "apply it");
	refused(SITE "\n" PEER(" keepalive 20\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": keepalive changed; restart vpntund to "
	    "apply it");
	refused(SITE "\n" PEER(" funnel 10.1.0.0/24 <-> 10.9.0.0/24\n")
	    QOS("") RULES, "site.conf:5: peer \"p\": tunnel or funnel changed; "
	    "restart vpntund to apply it");
	refused(SITE "\n" PEER(" cipher aes-cbc keysize 256\n") QOS("") RULES,
	    "site.conf:5: peer \"p\": cipher changed; restart vpntund to "
	    "apply it");
	refused(SITE "\n" "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.3\n key \"k.key\"\n"
	    " tunnel 10.1.0.0/24 <-> 10.1.1.0/24\n}\n" QOS("") RULES,
	    "site.conf:5: peer \"p\": endpoint changed; restart vpntund to "
	    "apply it");
	put_default_key_seeded("q.key", 2);
	refused(SITE "\n" PEER("") "peer \"q\" {\n network 10.1.2.0/24\n"
	    " endpoint 198.18.2.4\n key \"q.key\"\n}\n" QOS("") RULES,
	    "site.conf:11: peer \"q\" is new; restart vpntund to apply it");
	refused(SITE "\n" "peer \"r\" {\n network 10.1.1.0/24\n"
	    " endpoint 198.18.2.2\n key \"k.key\"\n"
	    " tunnel 10.1.0.0/24 <-> 10.1.1.0/24\n}\n" QOS("") RULES,
	    "site.conf:5: peer \"r\" is new; restart vpntund to apply it");
}

#define PEER_Q "peer \"q\" {\n network 10.1.2.0/24\n" \
	" endpoint 198.18.2.4\n key \"q.key\"\n}\n"

/* The answer of config_reload_check for from against to. */
static int
check_pair(const char *from, const char *to)
{
	struct config old, new;
	int rv;

	put_default_key("k.key");
	put_default_key_seeded("q.key", 2);
	load(from, &old);
	load(to, &new);
	memset(&err, 0, sizeof(err));
	rv = config_reload_check(&old, &new, &err);
	config_free(&old);
	config_free(&new);
	return rv;
}

/* Peers are matched by name, wherever they stand in the file. */
static void
test_peer_order(void **state)
{
	(void)state;
	assert_int_equal(check_pair(SITE PEER("") PEER_Q,
	    SITE PEER_Q PEER("")), 0);
	assert_int_equal(check_pair(SITE PEER("") PEER_Q,
	    SITE PEER_Q), -1);
	assert_string_equal(err.msg, "site.conf: peer \"p\" is gone; "
	    "restart vpntund to apply it");
	assert_int_equal(check_pair(SITE PEER("") PEER_Q,
	    SITE PEER("")), -1);
	assert_string_equal(err.msg, "site.conf: peer \"q\" is gone; "
	    "restart vpntund to apply it");
}

/* A new key is a new SA: refused, and the message holds no key byte. */
static void
test_key_changed(void **state)
{
	struct config old, new;
	char *k;

	(void)state;
	put_default_key("k.key");
	load(base, &old);
	k = key_hex(2 * (cipher_by_name("blowfish-cbc")->key_default + 32), 7);
	put_file("k.key", k, 0600);
	load(base, &new);
	assert_int_equal(config_reload_check(&old, &new, &err), -1);
	assert_string_equal(err.msg, "site.conf:5: peer \"p\": key changed; "
	    "restart vpntund to apply it");
	/* (key_hex's first line: the bytes of the new key) */
	k[16] = '\0';
	assert_null(strstr(err.msg, k));
	free(k);
	config_free(&old);
	config_free(&new);
}

/* The running config's keys are wiped once its SAs hold them (the
 * engine's peers_init): the same key file must still read as unchanged,
 * and a new one as changed. */
static void
test_wiped_keys(void **state)
{
	struct config old, same, other;
	char *k;

	(void)state;
	put_default_key("k.key");
	load(base, &old);
	load(base, &same);
	k = key_hex(2 * (cipher_by_name("blowfish-cbc")->key_default + 32), 9);
	put_file("k.key", k, 0600);
	free(k);
	load(base, &other);
	config_drop_keys(&old);         /* as the engine does */
	assert_int_equal(config_reload_check(&old, &same, &err), 0);
	assert_int_equal(config_reload_check(&old, &other, &err), -1);
	assert_string_equal(err.msg, "site.conf:5: peer \"p\": key changed; "
	    "restart vpntund to apply it");
	config_free(&old);
	config_free(&same);
	config_free(&other);
}

static void
test_site_and_mtu(void **state)
{
	char cwd[PATH_MAX];

	(void)state;
	refused("site \"s\" {\n network 10.1.0.0/24\n tun vpn7\n}\n\n"
	    PEER("") QOS("") RULES, "site.conf: site \"s\": tun changed; "
	    "restart vpntund to apply it");
	refused("site \"s\" {\n network 10.1.0.0/24\n exclude 10.9.0.0/16\n}\n"
	    "\n" PEER("") QOS("") RULES, "site.conf: site \"s\": exclude "
	    "changed; restart vpntund to apply it");
	refused("site \"s\" {\n network 10.1.0.0/24\n udp-gro no\n}\n"
	    "\n" PEER("") QOS("") RULES, "site.conf: site \"s\": udp-gro "
	    "changed; restart vpntund to apply it");
	refused("site \"s\" {\n network 10.1.0.0/24\n hook-timeout 11\n}\n"
	    "\n" PEER("") QOS("") RULES, "site.conf: site \"s\": hook-timeout "
	    "changed; restart vpntund to apply it");
	/* Hook paths are kept as written, relative to where vpntund runs. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tdir), 0);
	put_file("hook.sh", "#!/bin/sh\n", 0700);
	refused("site \"s\" {\n network 10.1.0.0/24\n peer-up \"hook.sh\"\n"
	    "}\n\n" PEER("") QOS("") RULES, "site.conf: site \"s\": peer-up "
	    "changed; restart vpntund to apply it");
	refused("site \"s\" {\n network 10.1.0.0/24\n peer-down \"hook.sh\"\n"
	    "}\n\n" PEER("") QOS("") RULES, "site.conf: site \"s\": peer-down "
	    "changed; restart vpntund to apply it");
	assert_int_equal(chdir(cwd), 0);
	refused("site \"t\" {\n network 10.1.0.0/24\n}\n\n" PEER("") QOS("")
	    RULES, "site.conf: the site's name changed; restart vpntund to "
	    "apply it");
	refused(SITE "\n" PEER("") "qos {\n bandwidth 1Mbit\n tunnel-mtu 900\n"
	    " class \"a\" rate 500kbit priority 0\n"
	    " class \"b\" rate 400kbit borrow default\n}\n" RULES,
	    "site.conf:11: qos: tunnel-mtu changed; restart vpntund to apply "
	    "it");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_file),
		cmocka_unit_test(test_reloadable_parts),
		cmocka_unit_test(test_peer_changes),
		cmocka_unit_test(test_peer_order),
		cmocka_unit_test(test_key_changed),
		cmocka_unit_test(test_wiped_keys),
		cmocka_unit_test(test_site_and_mtu),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
