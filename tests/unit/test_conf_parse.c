/* Parsing good configs: the shipped examples, defaults, every keyword,
 * statement separators, includes and macros. */
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"
#include "conf/conf_int.h"
#include "util/log.h"

static struct conf_error err;

/* TEST_DATA_DIR is <source>/tests/data, which need not exist: cut the
 * path rather than resolve "..". */
static const char *
examples(const char *file)
{
	static char path[PATH_MAX];
	size_t n = strlen(TEST_DATA_DIR) - strlen("/tests/data");

	snprintf(path, sizeof(path), "%.*s/conf/examples/%s", (int)n,
	    TEST_DATA_DIR, file);
	return path;
}


/* The examples load as shipped with a key made for them (the repository
 * ships none), and the two ends agree. */
static void
test_examples(void **state)
{
	struct config c, r;
	struct peer_conf *cp, *rp;
	char path[PATH_MAX], sub[PATH_MAX], *text;
	const char *files[] = { "central.conf", "remote.conf" };
	size_t i;
	char b[64];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/keys", tdir);
	mkdir(sub, 0700);
	put_example_key("keys/physician1.key");
	for (i = 0; i < 2; i++) {
		text = slurp(examples(files[i]));
		put_file(files[i], text, 0644);
		free(text);
	}
	snprintf(path, sizeof(path), "%s/central.conf", tdir);
	if (config_load(path, &c, &err) == -1)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s/remote.conf", tdir);
	if (config_load(path, &r, &err) == -1)
		fail_msg("%s", err.msg);

	assert_string_equal(c.site.name, "nursing-home");
	assert_int_equal(c.site.role, ROLE_CENTRAL);
	assert_string_equal(prefix_ntop(&c.site.networks[0], b, sizeof(b)),
	    "10.1.0.0/24");
	assert_string_equal(c.site.state_file,
	    "/var/lib/vpntund/nursing-home.state");
	assert_string_equal(c.site.control, "/run/vpntund/vpntund.sock");
	assert_string_equal(r.site.control, "/run/vpntund/remote.sock");
	assert_string_equal(r.site.name, "physician1");
	assert_string_equal(r.site.state_file,
	    "/var/lib/vpntund/physician1.state");
	assert_int_equal(r.site.role, ROLE_REMOTE);
	assert_string_equal(prefix_ntop(&r.site.networks[0], b, sizeof(b)),
	    "10.1.1.0/24");
	assert_string_equal(prefix_ntop(&r.site.excludes[0], b, sizeof(b)),
	    "192.168.1.0/24");
	assert_int_equal(c.npeers, 1);
	assert_int_equal(r.npeers, 1);
	cp = &c.peers[0];
	rp = &r.peers[0];
	assert_string_equal(cp->name, "physician1");
	assert_string_equal(rp->name, "nursing-home");
	assert_true(cp->dynamic);
	assert_false(rp->dynamic);
	assert_int_equal(cp->keepalive, 10);
	assert_int_equal(rp->keepalive, 10);
	assert_int_equal(rp->dead, 40);
	assert_int_equal(cp->keying, KEYING_DERIVED);
	assert_int_equal(cp->spi_out, rp->spi_in);
	assert_int_equal(cp->spi_in, rp->spi_out);
	assert_int_equal(cp->key_out->enc_len, 32);
	assert_int_equal(cp->key_out->auth_len, 32);
	assert_memory_equal(cp->key_out->enc, rp->key_in->enc, 32);
	assert_memory_equal(cp->key_out->auth, rp->key_in->auth, 32);
	assert_memory_equal(cp->key_in->enc, rp->key_out->enc, 32);
	assert_memory_equal(cp->key_in->auth, rp->key_out->auth, 32);
	assert_memory_not_equal(cp->key_in->enc, cp->key_out->enc, 32);
	/* Policies mirror each other. */
	assert_int_equal(cp->npolicies, rp->npolicies);
	for (i = 0; i < cp->npolicies; i++) {
		assert_int_equal(prefix_cmp(&cp->policies[i].local,
		    &rp->policies[i].remote), 0);
		assert_int_equal(prefix_cmp(&cp->policies[i].remote,
		    &rp->policies[i].local), 0);
		assert_int_equal(cp->policies[i].funnel,
		    rp->policies[i].funnel);
	}
	config_free(&c);
	config_free(&r);
}

static void
test_defaults(void **state)
{
	struct config cf;
	struct peer_conf *pc;
	char b[64];

	(void)state;
	put_default_key("k.key");
	if (config_load_string("d.conf", "site \"home\" {\n"
	    " network 10.1.0.0/24\n network fd00:1::/64\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n"
	    " key \"k.key\"\n}\n", tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_string_equal(cf.site.tun, "vpn0");
	assert_int_equal(cf.site.role, ROLE_CENTRAL);
	assert_int_equal(cf.site.port, 4500);
	assert_int_equal(cf.site.outer_mtu, 1500);
	assert_int_equal(cf.site.mtu, 0);
	assert_int_equal(cf.site.outer.ss_family, AF_UNSPEC);
	assert_int_equal(cf.site.monitor.ss_family, AF_UNSPEC);
	assert_string_equal(cf.site.state_file, "/var/lib/vpntund/home.state");
	assert_string_equal(cf.site.control, "/run/vpntund/vpntund.sock");
	assert_string_equal(cf.site.up, "");
	assert_string_equal(cf.site.down, "");
	assert_string_equal(cf.site.peer_up, "");
	assert_string_equal(cf.site.peer_down, "");
	assert_int_equal(cf.site.hook_timeout, 10);
	assert_false(cf.site.log_syslog);
	assert_int_equal(cf.site.log_level, LOG_LVL_INFO);
	assert_true(cf.site.socket_filter);
	assert_true(cf.site.udp_gso);
	assert_true(cf.site.udp_gro);
	assert_true(cf.site.tun_offload);
	assert_int_equal(cf.site.naddresses, 2);
	assert_string_equal(prefix_ntop(&cf.site.addresses[0], b, sizeof(b)),
	    "10.1.0.1/24");
	assert_string_equal(prefix_ntop(&cf.site.addresses[1], b, sizeof(b)),
	    "fd00:1::1/64");

	pc = &cf.peers[0];
	assert_int_equal(pc->role, ROLE_REMOTE);
	assert_int_equal(pc->transport, TRANSPORT_UDP);
	assert_int_equal(pc->port, 4500);
	assert_int_equal(ntohs(((struct sockaddr_in *)&pc->endpoint)->sin_port),
	    4500);
	assert_string_equal(pc->suite_out.cipher->name, "blowfish-cbc");
	assert_int_equal(pc->suite_out.key_bits,
	    pc->suite_out.cipher->key_default * 8);
	assert_string_equal(pc->suite_out.auth->name, "hmac-sha256-128");
	assert_int_equal(pc->replay_window, 1024);
	assert_false(pc->esn);
	assert_int_equal(pc->keying, KEYING_DERIVED);
	assert_int_equal(pc->keepalive, 10);
	assert_int_equal(pc->dead, 40);
	assert_false(pc->spi_explicit);
	assert_int_equal(pc->npolicies, 1);
	assert_false(pc->policies[0].funnel);
	assert_string_equal(prefix_ntop(&pc->policies[0].local, b, sizeof(b)),
	    "10.1.0.0/24");
	assert_string_equal(prefix_ntop(&pc->policies[0].remote, b, sizeof(b)),
	    "10.1.1.0/24");
	config_free(&cf);

	/* Keepalives are ESP dummy packets: on for either role and either
	 * transport, with dead at 4 x keepalive. */
	put_default_key_seeded("k2.key", 2);
	if (config_load_string("d.conf", "site \"r\" { role remote\n"
	    " network 10.1.1.0/24 }\n"
	    "peer \"a\" { network 10.1.0.0/24; endpoint 198.18.0.1; "
	    "key \"k.key\" }\n"
	    "peer \"b\" { network 10.1.2.0/24; endpoint 198.18.0.2; "
	    "key \"k2.key\"; transport esp }\n", tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.peers[0].role, ROLE_CENTRAL);
	assert_int_equal(cf.peers[0].keepalive, 10);
	assert_int_equal(cf.peers[0].dead, 40);
	assert_int_equal(cf.peers[1].keepalive, 10);
	assert_int_equal(cf.peers[1].dead, 40);
	assert_int_equal(cf.peers[1].transport, TRANSPORT_ESP);
	config_free(&cf);
}

/* keepalive and dead: any transport; dead defaults to 4 x keepalive
 * and must exceed 2 x keepalive, when a peer is stale. */
static void
test_keepalive_dead(void **state)
{
	static const struct {
		const char *lines;
		unsigned    keepalive, dead;
	} good[] = {
		{ " keepalive 0\n", 0, 0 },
		{ " keepalive 1\n", 1, 4 },
		{ " keepalive 3600\n", 3600, 14400 },
		{ " keepalive 25\n transport esp\n", 25, 100 },
		{ " dead 21\n", 10, 21 },
		{ " dead 0\n", 10, 0 },
		{ " dead 86400\n keepalive 3600\n", 3600, 86400 },
		{ " keepalive 0\n dead 5\n", 0, 5 },
		{ " dead 7\n keepalive 3\n", 3, 7 },
	};
	static const struct {
		const char *lines;
		const char *msg;
	} bad[] = {
		{ " dead 20\n", "d.conf:4: peer \"p\": dead 20 must exceed 2 x "
		  "keepalive 10, when the peer becomes stale" },
		{ " keepalive 30\n dead 60\n", "d.conf:5: peer \"p\": dead 60 "
		  "must exceed 2 x keepalive 30, when the peer becomes stale" },
		{ " dead 1\n transport esp\n keepalive 1\n", "d.conf:4: peer "
		  "\"p\": dead 1 must exceed 2 x keepalive 1, when the peer "
		  "becomes stale" },
		{ " dead 86401\n", "d.conf:4: dead 86401 is out of range, "
		  "expected 0..86400" },
		{ " dead -1\n", "d.conf:4: expected a number 0..86400 after "
		  "\"dead\", got \"-\"" },
		{ " keepalive 3601\n", "d.conf:4: keepalive 3601 is out of "
		  "range, expected 0..3600" },
	};
	struct config cf;
	char text[512];
	size_t i;

	(void)state;
	put_default_key("k.key");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "site \"s\" { network 10.1.0.0/24 }"
		    "\npeer \"p\" { network 10.1.1.0/24; endpoint 198.18.0.1\n"
		    " key \"k.key\"\n%s}\n", good[i].lines);
		if (config_load_string("d.conf", text, tdir, &cf, &err) == -1)
			fail_msg("case %zu: %s", i, err.msg);
		if (cf.peers[0].keepalive != good[i].keepalive ||
		    cf.peers[0].dead != good[i].dead)
			fail_msg("case %zu: keepalive %u dead %u, expected %u "
			    "%u", i, cf.peers[0].keepalive, cf.peers[0].dead,
			    good[i].keepalive, good[i].dead);
		config_free(&cf);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "site \"s\" { network 10.1.0.0/24 }"
		    "\npeer \"p\" { network 10.1.1.0/24; endpoint 198.18.0.1\n"
		    " key \"k.key\"\n%s}\n", bad[i].lines);
		memset(&err, 0, sizeof(err));
		if (config_load_string("d.conf", text, tdir, &cf, &err) == 0) {
			config_free(&cf);
			fail_msg("case %zu loaded", i);
		}
		if (strcmp(err.msg, bad[i].msg) != 0)
			fail_msg("case %zu: got \"%s\", expected \"%s\"", i,
			    err.msg, bad[i].msg);
	}
}

static void
test_everything(void **state)
{
	struct config cf;
	struct peer_conf *pc;
	struct sockaddr_in6 *sin6;
	char b[64], *k, up[300], down[300], text[4096];

	(void)state;
	k = key_hex(2 * (56 + 20), 3);
	put_file("big.key", k, 0600);
	free(k);
	k = key_hex(2 * (32 + 4), 4);
	put_file("gcm.key", k, 0600);
	free(k);
	put_file("up.sh", "#!/bin/sh\n", 0755);
	put_file("down.sh", "#!/bin/sh\n", 0700);
	snprintf(up, sizeof(up), "%s/up.sh", tdir);
	snprintf(down, sizeof(down), "%s/down.sh", tdir);
	snprintf(text, sizeof(text),
	    "# every keyword once\n"
	    "net = 10.1.0.0/24\n"
	    "site \"central\" {\n"
	    "\trole central\n"
	    "\tnetwork $net\n"
	    "\tnetwork 10.1.16.0/255.255.240.0\n"
	    "\taddress host($net, 254)\n"
	    "\texclude 192.168.10.0/24\n"
	    "\texclude 192.168.11.7\n"
	    "\ttun tun7\n"
	    "\touter 2001:db8::1\n"
	    "\tport 4501\n"
	    "\touter-mtu 9000\n"
	    "\tmtu 1400\n"
	    "\tstate-file \"/run/vpntund/c.state\"\n"
	    "\tcontrol \"/run/vpntund/c.sock\"\n"
	    "\tup \"%s\"\n"
	    "\tdown \"%s\"\n"
	    "\tpeer-up \"%s\"\n"
	    "\tpeer-down \"%s\"\n"
	    "\thook-timeout 3600\n"
	    "\tlog syslog\n"
	    "\tlog-level debug; socket-filter no; udp-gro no\n"
	    "}\n"
	    "peer \"physician1\" {\n"
	    "\trole remote\n"
	    "\tnetwork 10.1.1.0/24\n"
	    "\tendpoint 2001:db8::2 port 4502\n"
	    "\ttransport udp port 4502\n"
	    "\tcipher blowfish-cbc keysize 448\n"
	    "\tauth hmac-sha1-96\n"
	    "\tkey \"big.key\"\n"
	    "\tspi in 0x1001 out 0x2001\n"
	    "\treplay-window 100\n"
	    "\tesn yes\n"
	    "\tkeepalive 0\n"
	    "\ttunnel $net <-> 10.1.1.0/24\n"
	    "\tfunnel 172.16.0.0/16 <-> 10.2.0.0/24\n"
	    "}\n"
	    "peer \"p2\" { network fd00:2::/64; endpoint dynamic; "
	    "transport esp; cipher aes-gcm; auth none; key \"gcm.key\"; "
	    "keying manual\n"
	    "\ttunnel fd00:1::/64 <-> fd00:2::/64 }\n", up, down, down, up);
	if (config_load_string("e.conf", text, tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.site.nnetworks, 2);
	assert_string_equal(prefix_ntop(&cf.site.networks[1], b, sizeof(b)),
	    "10.1.16.0/20");
	assert_int_equal(cf.site.naddresses, 1);
	assert_string_equal(prefix_ntop(&cf.site.addresses[0], b, sizeof(b)),
	    "10.1.0.254/24");
	assert_int_equal(cf.site.nexcludes, 2);
	assert_string_equal(prefix_ntop(&cf.site.excludes[1], b, sizeof(b)),
	    "192.168.11.7/32");
	assert_string_equal(cf.site.tun, "tun7");
	assert_int_equal(cf.site.outer.ss_family, AF_INET6);
	assert_int_equal(cf.site.port, 4501);
	assert_int_equal(cf.site.outer_mtu, 9000);
	assert_int_equal(cf.site.mtu, 1400);
	assert_string_equal(cf.site.state_file, "/run/vpntund/c.state");
	assert_string_equal(cf.site.control, "/run/vpntund/c.sock");
	assert_string_equal(cf.site.up, up);
	assert_string_equal(cf.site.down, down);
	assert_string_equal(cf.site.peer_up, down);
	assert_string_equal(cf.site.peer_down, up);
	assert_int_equal(cf.site.hook_timeout, 3600);
	assert_true(cf.site.log_syslog);
	assert_int_equal(cf.site.log_level, LOG_LVL_DEBUG);
	assert_false(cf.site.socket_filter);
	assert_false(cf.site.udp_gro);
	assert_true(cf.site.udp_gso);

	pc = &cf.peers[0];
	assert_int_equal(pc->line, 25);
	sin6 = (struct sockaddr_in6 *)&pc->endpoint;
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 4502);
	assert_int_equal(pc->port, 4502);
	assert_int_equal(pc->suite_out.key_bits, 448);
	assert_string_equal(pc->suite_out.auth->name, "hmac-sha1-96");
	assert_int_equal(pc->key_out->enc_len, 56);
	assert_int_equal(pc->key_out->auth_len, 20);
	assert_int_equal(pc->spi_in, 0x1001);
	assert_int_equal(pc->spi_out, 0x2001);
	assert_true(pc->spi_explicit);
	assert_int_equal(pc->replay_window, 128);
	assert_true(pc->esn);
	assert_int_equal(pc->keying, KEYING_DERIVED);
	assert_int_equal(pc->keepalive, 0);
	assert_int_equal(pc->npolicies, 2);
	assert_false(pc->policies[0].funnel);
	assert_true(pc->policies[1].funnel);
	assert_int_equal(pc->policies[1].line, 38);
	assert_string_equal(prefix_ntop(&pc->policies[1].local, b, sizeof(b)),
	    "172.16.0.0/16");

	pc = &cf.peers[1];
	assert_true(pc->dynamic);
	assert_int_equal(pc->transport, TRANSPORT_ESP);
	assert_true(cipher_is_aead(pc->suite_out.cipher));
	assert_int_equal(pc->keying, KEYING_MANUAL);
	assert_int_equal(pc->key_out->enc_len, 36);
	assert_int_equal(pc->key_out->auth_len, 0);
	assert_int_equal(pc->line, 40);
	config_free(&cf);
}

/* KAME's suites: rijndael-cbc is aes-cbc by name everywhere after the
 * parser, aes-ctr's key block holds key || nonce, null's only the auth
 * key, and allow-weak-cipher reaches the peer and vpntund -n -v. */
static void
test_kame_suites(void **state)
{
	static const struct {
		const char *lines;
		size_t enc, auth;
	} peers[] = {
		{ "cipher rijndael-cbc keysize 256\n auth hmac-sha1-96", 32, 20 },
		{ "cipher aes-ctr keysize 192\n auth hmac-sha256-128", 28, 32 },
		{ "cipher null\n auth hmac-sha1-96", 0, 20 },
		{ "cipher des-cbc\n allow-weak-cipher yes\n auth hmac-sha1-96",
		  8, 20 },
		{ "cipher cast128-cbc keysize 80\n auth hmac-sha1-96", 10, 20 },
	};
	char text[4096], name[16], *k, *shown;
	struct config cf;
	size_t i, n = 0, len;
	FILE *f;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "site \"s\" {\n"
	    " network 10.1.0.0/24\n}\n");
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		snprintf(name, sizeof(name), "k%zu.key", i);
		k = key_hex(2 * (peers[i].enc + peers[i].auth), 40 + (unsigned)i);
		put_file(name, k, 0600);
		free(k);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "peer \"p%zu\" "
		    "{\n network 10.1.%zu.0/24\n endpoint 198.18.2.%zu\n"
		    " key \"%s\"\n %s\n}\n", i, i + 1, i + 2, name,
		    peers[i].lines);
	}
	memset(&err, 0, sizeof(err));
	if (config_load_string("site.conf", text, tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		assert_int_equal(cf.peers[i].key_out->enc_len, peers[i].enc);
		assert_int_equal(cf.peers[i].key_in->auth_len, peers[i].auth);
	}
	assert_string_equal(cf.peers[0].suite_out.cipher->name, "aes-cbc");
	assert_int_equal(cf.peers[0].suite_out.key_bits, 256);
	assert_int_equal(cf.peers[1].suite_out.cipher->mode, CIPHER_MODE_CTR);
	assert_false(cf.peers[2].allow_weak_cipher);
	assert_true(cf.peers[3].allow_weak_cipher);
	assert_int_equal(cf.peers[4].suite_out.key_bits, 80);

	f = open_memstream(&shown, &len);
	assert_non_null(f);
	config_show(f, &cf);
	fclose(f);
	assert_non_null(strstr(shown, "\tcipher aes-cbc keysize 256\n"));
	assert_null(strstr(shown, "rijndael"));
	assert_non_null(strstr(shown, "\tcipher des-cbc keysize 64\n"));
	assert_non_null(strstr(shown, "\tallow-weak-cipher yes\n"));
	assert_non_null(strstr(shown, "\tcipher null keysize 0\n"));
	free(shown);
	config_free(&cf);
}

static void
test_syntax(void **state)
{
	struct config cf;
	char b[64];

	(void)state;
	put_default_key("k.key");
	/* ';' ends statements, '}' may close a block on the same line,
	 * comments go anywhere, '\' continues a line, macros come from an
	 * include and are seen after it. */
	mkdir(strcat(strcpy(b, tdir), "/inc"), 0700);
	put_default_key_seeded("q.key", 2);
	put_file("inc/macros.conf", "# shared\nlan = 10.1.0.0/24 ; "
	    "keyfile = \"../q.key\"\n", 0644);
	put_file("inc/peers.conf", "peer \"q\" { network $lan + 512; "
	    "endpoint dynamic; key $keyfile }\n", 0644);
	if (config_load_string("s.conf",
	    "include \"inc/macros.conf\"\n"
	    "site \"s\" { network $lan ; role central } # done\n"
	    "peer \"p\" {\n"
	    "  network \\\n    $lan + 256\n"
	    "  endpoint dynamic   ; key \"k.key\"\n"
	    "\n\n}\n"
	    "include \"inc/peers.conf\"",
	    tdir, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(cf.npeers, 2);
	assert_string_equal(prefix_ntop(&cf.peers[0].network, b, sizeof(b)),
	    "10.1.1.0/24");
	assert_string_equal(prefix_ntop(&cf.peers[1].network, b, sizeof(b)),
	    "10.1.2.0/24");
	assert_int_equal(cf.peers[0].line, 3);
	assert_int_equal(cf.peers[1].line, 1);
	config_free(&cf);
}

/* Networks next to the site's, above and below it, and of the other
 * family, are apart from it. */
static void
test_networks_apart(void **state)
{
	static const char *const peer_net[] = {
		"10.1.1.0/24", "10.0.255.0/24", "10.1.0.0/32 + 256",
		"10.2.0.0/16", "fd00:2::/64",
	};
	struct config cf;
	char text[512];
	size_t i;

	(void)state;
	put_default_key("k.key");
	for (i = 0; i < sizeof(peer_net) / sizeof(peer_net[0]); i++) {
		snprintf(text, sizeof(text), "site \"s\" { network 10.1.0.0/24; "
		    "network fd00:1::/64 }\npeer \"p\" { network %s; endpoint "
		    "dynamic; key \"k.key\"\n tunnel 10.1.0.0/24 <-> "
		    "10.9.0.0/16 }\n", peer_net[i]);
		if (config_load_string("n.conf", text, tdir, &cf, &err) == -1)
			fail_msg("%s: %s", peer_net[i], err.msg);
		config_free(&cf);
	}
}

static const char *
sockaddr_str(const struct sockaddr_storage *ss, char *b, size_t len)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(b, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(b, len, "%s:%u", a, ntohs(sin->sin_port));
	}
	return b;
}

/* `monitor`: loopback unless an address is given, IPv4 or IPv6. */
static void
test_monitor(void **state)
{
	static const struct {
		const char *stmt, *want;
	} cases[] = {
		{ "monitor port 9180", "127.0.0.1:9180" },
		{ "monitor 10.1.0.1 port 80", "10.1.0.1:80" },
		{ "monitor fd00:1::1 port 9180", "[fd00:1::1]:9180" },
	};
	struct config cf;
	char text[512], b[64];
	size_t i;

	(void)state;
	put_default_key("k.key");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "site \"s\" { network "
		    "10.1.0.0/24\n %s\n}\npeer \"p\" { network 10.1.1.0/24; "
		    "endpoint dynamic; key \"k.key\" }\n", cases[i].stmt);
		if (config_load_string("m.conf", text, tdir, &cf, &err) == -1)
			fail_msg("%s: %s", cases[i].stmt, err.msg);
		assert_string_equal(sockaddr_str(&cf.site.monitor, b,
		    sizeof(b)), cases[i].want);
		config_free(&cf);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(role_name(ROLE_CENTRAL), "central");
	assert_string_equal(role_name(ROLE_REMOTE), "remote");
	assert_string_equal(transport_name(TRANSPORT_UDP), "udp");
	assert_string_equal(transport_name(TRANSPORT_ESP), "esp");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keepalive_dead),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_kame_suites),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_networks_apart),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
