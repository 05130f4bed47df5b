/* Key files: secrecy of the file, hex format, lengths per suite, which
 * block keys which direction, and that no key byte reaches a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"

static struct conf_error err;

/* site role/network and a peer with the given extra lines */
static int
load(const char *role, const char *net, const char *peer_lines,
    struct config *cf)
{
	char text[2048];

	snprintf(text, sizeof(text), "site \"s\" {\n role %s\n network %s\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint dynamic\n"
	    " key \"k.key\"\n cipher blowfish-cbc keysize 128\n%s}\n", role,
	    net, peer_lines);
	memset(&err, 0, sizeof(err));
	return config_load_string("site.conf", text, tdir, cf, &err);
}

static void
test_mode_refused(void **state)
{
	struct config cf;
	char *k = key_hex(96, 1);

	(void)state;
	put_file("k.key", k, 0644);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:8: key file "));
	assert_non_null(strstr(err.msg, "/k.key has mode 0644"));
	assert_non_null(strstr(err.msg, "chmod 600"));
	put_file("k.key", k, 0620);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "has mode 0620"));
	put_file("k.key", k, 0604);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "has mode 0604"));
	put_file("k.key", k, 0400);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), 0);
	config_free(&cf);
	free(k);
}

static void
test_not_regular(void **state)
{
	struct config cf;
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/k.key", tdir);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:8: key file "));
	assert_non_null(strstr(err.msg, "is not a regular file"));
	rmdir(path);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:8: cannot open key file "));
}

static void
test_wrong_length(void **state)
{
	struct config cf;
	char *k = key_hex(95, 0xa0);

	(void)state;
	put_file("k.key", k, 0600);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:8: key file "));
	assert_non_null(strstr(err.msg, "k.key holds 95 bytes, expected 96 "
	    "(2 x (16 cipher key + 32 auth key))"));
	/* Not one byte of the file in the message. */
	assert_null(strstr(err.msg, "a0a1"));
	assert_null(strstr(err.msg, "a1a2a3"));
	free(k);

	k = key_hex(2 * (32 + 4), 0x50);
	put_file("k.key", k, 0600);
	assert_int_equal(load("central", "10.1.0.0/24",
	    " cipher aes-gcm keysize 256\n", &cf), 0);
	assert_int_equal(cf.peers[0].key_out->enc_len, 36);
	assert_int_equal(cf.peers[0].key_out->auth_len, 0);
	config_free(&cf);
	assert_int_equal(load("central", "10.1.0.0/24", " cipher aes-gcm\n",
	    &cf), 0);
	config_free(&cf);
	assert_int_equal(load("central", "10.1.0.0/24",
	    " cipher aes-gcm keysize 128\n", &cf), -1);
	assert_non_null(strstr(err.msg, "holds 72 bytes, expected 40 "
	    "(2 x (16 cipher key + 4 salt))"));
	assert_null(strstr(err.msg, "5051"));
	free(k);

	k = key_hex(2 * 24, 0x50);
	put_file("k.key", k, 0600);
	assert_int_equal(load("central", "10.1.0.0/24",
	    " cipher 3des-cbc\n auth none\n", &cf), 0);
	assert_int_equal(cf.peers[0].key_out->enc_len, 24);
	config_free(&cf);
	free(k);
}

static void
test_format(void **state)
{
	struct config cf;
	char text[1024], *k = key_hex(96, 0);
	size_t i;
	struct peer_conf *pc;

	(void)state;
	/* Upper case, comments, blank lines, tabs, and a digit split by
	 * nothing but a newline between bytes. */
	snprintf(text, sizeof(text), "# a comment line\n\n\t%s# trailing\n",
	    k);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] >= 'a' && text[i] <= 'f' && i > 20)
			text[i] = (char)(text[i] - 'a' + 'A');
	put_file("k.key", text, 0600);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), 0);
	pc = &cf.peers[0];
	assert_int_equal(pc->key_out->enc_len, 16);
	assert_int_equal(pc->key_out->auth_len, 32);
	for (i = 0; i < 16; i++)
		assert_int_equal(pc->key_out->enc[i], i);
	for (i = 0; i < 32; i++)
		assert_int_equal(pc->key_out->auth[i], 16 + i);
	for (i = 0; i < 16; i++)
		assert_int_equal(pc->key_in->enc[i], 48 + i);
	config_free(&cf);

	put_file("k.key", "00112233 # ok\n44zz\n", 0600);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "site.conf:8: key file "));
	assert_non_null(strstr(err.msg, "k.key, line 2: expected hex digits, "
	    "whitespace or a # comment"));
	assert_null(strstr(err.msg, "0011"));
	assert_null(strstr(err.msg, "44"));

	put_file("k.key", "001\n", 0600);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), -1);
	assert_non_null(strstr(err.msg, "holds an odd number of hex digits"));
	free(k);
}

/* Block 1 keys central -> remote. Same roles: the lower network is
 * "central". */
static void
test_direction(void **state)
{
	struct config cf;
	char *k = key_hex(96, 0);

	(void)state;
	put_file("k.key", k, 0600);
	assert_int_equal(load("central", "10.1.0.0/24", "", &cf), 0);
	assert_int_equal(cf.peers[0].key_out->enc[0], 0);
	assert_int_equal(cf.peers[0].key_in->enc[0], 48);
	config_free(&cf);

	assert_int_equal(load("remote", "10.1.0.0/24", "", &cf), 0);
	assert_int_equal(cf.peers[0].role, ROLE_CENTRAL);
	assert_int_equal(cf.peers[0].key_out->enc[0], 48);
	assert_int_equal(cf.peers[0].key_in->enc[0], 0);
	config_free(&cf);

	/* remote/remote: 10.1.0.0/24 < 10.1.1.0/24, so we count as central */
	assert_int_equal(load("remote", "10.1.0.0/24", " role remote\n", &cf),
	    0);
	assert_int_equal(cf.peers[0].key_out->enc[0], 0);
	config_free(&cf);
	/* central/central with us above the peer */
	assert_int_equal(load("central", "10.1.2.0/24", " role central\n",
	    &cf), 0);
	assert_int_equal(cf.peers[0].key_out->enc[0], 48);
	assert_int_equal(cf.peers[0].key_in->enc[0], 0);
	config_free(&cf);
	/* Same address, shorter prefix: the site's network would hold
	 * the peer's, which is refused (test_conf_errors). */
	assert_int_equal(load("central", "10.1.1.0/23", " role central\n",
	    &cf), -1);
	assert_string_equal(err.msg, "site.conf:6: peer \"p\": network "
	    "10.1.1.0/24 overlaps this site's network 10.1.1.0/23");
	/* IPv4 sorts before IPv6 */
	assert_int_equal(load("central", "fd00::/64",
	    " role central\n tunnel fd00::/64 <-> fd01::/64\n", &cf), 0);
	assert_int_equal(cf.peers[0].key_out->enc[0], 48);
	config_free(&cf);
	free(k);
}

static void
test_relative_to_conf_dir(void **state)
{
	struct config cf;
	char path[PATH_MAX], sub[PATH_MAX];
	char *k = key_hex(96, 0);

	(void)state;
	snprintf(sub, sizeof(sub), "%s/etc", tdir);
	mkdir(sub, 0700);
	mkdir(strcat(sub, "/keys"), 0700);
	put_file("etc/keys/p.key", k, 0600);
	put_file("etc/site.conf", "site \"s\" {\n network 10.1.0.0/24\n}\n"
	    "include \"peers.conf\"\n", 0644);
	put_file("etc/peers.conf", "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint dynamic\n key \"keys/p.key\"\n"
	    " cipher blowfish-cbc keysize 128\n}\n", 0644);
	snprintf(path, sizeof(path), "%s/etc/site.conf", tdir);
	if (config_load(path, &cf, &err) == -1)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s/etc/keys/p.key", tdir);
	assert_string_equal(cf.peers[0].key_file, path);
	config_free(&cf);
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_refused),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_wrong_length),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_relative_to_conf_dir),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
