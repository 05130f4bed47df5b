/* config_show (vpntund -n -v): the resolved values, the SPIs of the
 * documented formula (computed here from its text, not with conf/spi.c),
 * the policies in the engine's lookup order, and no key bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "conf_testutil.h"

static char *show_buf;
static size_t show_len;

static char *
show(const struct config *cf)
{
	FILE *f = open_memstream(&show_buf, &show_len);

	assert_non_null(f);
	config_show(f, cf);
	fclose(f);
	return show_buf;
}

/* out holds line as a whole line. */
static void
has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = out; (p = strstr(p, line)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' ||
		    p[n] == '\0'))
			return;
	fail_msg("no line \"%s\" in:\n%s", line, out);
}

/* site.conf(5), SPI DERIVATION, IPv4 networks given as bytes and length. */
static uint32_t
doc_spi(const uint8_t from[4], uint8_t flen, char role, const uint8_t to[4],
    uint8_t tlen)
{
	uint8_t msg[64], md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	size_t n = 14;
	uint32_t v;

	memcpy(msg, "vpntund-spi-v1", 14);
	msg[n++] = (uint8_t)role;
	msg[n++] = 4;
	memcpy(msg + n, from, 4);
	n += 4;
	msg[n++] = flen;
	memcpy(msg + n, to, 4);
	n += 4;
	msg[n++] = tlen;
	assert_int_equal(EVP_Digest(msg, n, md, &mdlen, EVP_sha256(), NULL), 1);
	v = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
	return v < 256 ? v | 0x80000000u : v;
}

static void
test_show(void **state)
{
	static const uint8_t home[4] = { 10, 1, 0, 0 }, r1[4] = { 10, 1, 1, 0 };
	struct config cf;
	struct conf_error err;
	char *out, line[512], *k, *r2, *end;
	uint32_t spi;

	(void)state;
	put_default_key_seeded("r1.key", 1);
	put_default_key_seeded("r2.key", 100);
	k = key_hex(2 * (32 + 4), 7);
	put_file("gcm.key", k, 0600);
	free(k);
	if (config_load_string("s.conf",
	    "home = 10.1.0.0/24\n"
	    "r1 = $home + 256\n"
	    "r2 = $r1 + 256\n"
	    "gw = mask($home)\n"
	    "name = \"tun9\"\n"
	    "site \"hub\" {\n network $home\n network fd00:1::/64\n"
	    " address host($home, 9)\n tun $name\n exclude 192.168.0.0/16\n"
	    " user nobody\n monitor port 9180\n resolver 192.0.2.53\n}\n"
	    "peer \"r1\" {\n network $r1\n endpoint 198.18.1.2 port 4600\n"
	    " key \"r1.key\"\n"
	    " funnel 172.16.0.0/16 <-> 10.2.0.0/16\n"
	    " tunnel $home <-> $r1\n}\n"
	    "peer \"r2\" {\n network $r2\n endpoint hub.vpn.example.org\n"
	    " key \"r2.key\"\n"
	    " keying manual\n spi in 0x1001 out 4098\n}\n"
	    "peer \"v6\" {\n network fd00:2::/64\n endpoint 2001:db8::2\n"
	    " transport esp\n cipher aes-gcm\n key \"gcm.key\"\n"
	    " tunnel fd00:1::/64 <-> fd00:2::/64\n"
	    " funnel fd00:1::/64 <-> fd00:2::/48\n}\n"
	    "pass out proto udp dscp ef\n"
	    "block in inet6 proto icmp6 icmp-type 128\n", tdir, &cf,
	    &err) == -1)
		fail_msg("%s", err.msg);
	out = show(&cf);
	has_line(out, "home = 10.1.0.0/24");
	has_line(out, "r1 = 10.1.1.0/24");
	has_line(out, "r2 = 10.1.2.0/24");
	has_line(out, "gw = 255.255.255.0");
	has_line(out, "name = \"tun9\"");
	has_line(out, "\tnetwork 10.1.0.0/24\t# primary");
	has_line(out, "\tnetwork fd00:1::/64");
	has_line(out, "\taddress 10.1.0.9/24");
	has_line(out, "\texclude 192.168.0.0/16");
	has_line(out, "\ttun tun9");
	has_line(out, "\touter any");
	has_line(out, "\tstate-file \"/var/lib/vpntund/hub.state\"");
	has_line(out, "\tuser nobody");
	has_line(out, "\tmonitor 127.0.0.1 port 9180");
	has_line(out, "\tresolver 192.0.2.53");
	has_line(out, "\tresolve-interval 30 3600");
	has_line(out, "\tendpoint hub.vpn.example.org\t# resolved by the "
	    "running daemon");
	has_line(out, "\tendpoint 198.18.1.2");
	has_line(out, "\ttransport udp port 4600");
	has_line(out, "\ttransport esp");
	has_line(out, "\tcipher aes-gcm keysize 256");
	has_line(out, "\tauth none");
	has_line(out, "\tkeying manual");
	has_line(out, "\tdead 40");
	snprintf(line, sizeof(line), "\tkey \"%s/gcm.key\"\t# 36 bytes per "
	    "direction", tdir);
	has_line(out, line);
	snprintf(line, sizeof(line), "\tkey \"%s/r1.key\"\t# 64 bytes per "
	    "direction", tdir);
	has_line(out, line);
	/* r1's SPIs from the formula, and the derived keying extras */
	spi = doc_spi(home, 24, 'C', r1, 24);
	assert_int_equal(spi, cf.peers[0].spi_out);
	snprintf(line, sizeof(line), "\tspi out                  0x%08x (%u)",
	    spi, spi);
	has_line(out, line);
	snprintf(line, sizeof(line), "\tspi out, odd epochs      0x%08x (%u)",
	    spi ^ 1, spi ^ 1);
	has_line(out, line);
	spi = doc_spi(r1, 24, 'R', home, 24);
	snprintf(line, sizeof(line), "\tspi in                   0x%08x (%u)",
	    spi, spi);
	has_line(out, line);
	has_line(out, "\ttunnel 10.1.0.0/24 <-> 10.1.2.0/24\t# the default: "
	    "no tunnel or funnel written");
	has_line(out, "\tfunnel 172.16.0.0/16 <-> 10.2.0.0/16");
	/* r2: explicit, manual: no odd epochs, no control channel */
	has_line(out, "\t# SPIs, hex (decimal); set with spi");
	has_line(out, "\tspi out                  0x00001002 (4098)");
	has_line(out, "\tspi in                   0x00001001 (4097)");
	r2 = strstr(out, "peer \"r2\" {\n");
	assert_non_null(r2);
	end = strstr(r2, "\n}\n");
	assert_non_null(end);
	*end = '\0';
	assert_null(strstr(r2, "odd epochs"));
	assert_null(strstr(r2, "control spi"));
	*end = '\n';
	/* The default tunnel of r2, and the lookup order: the longest
	 * remote prefix first (v6's /64 before its /48), then as written. */
	assert_non_null(strstr(out,
	    "#\t1. peer \"v6\": tunnel fd00:1::/64 <-> fd00:2::/64\n"
	    "#\t2. peer \"v6\": funnel fd00:1::/64 <-> fd00:2::/48\n"
	    "#\t3. peer \"r1\": tunnel 10.1.0.0/24 <-> 10.1.1.0/24\n"
	    "#\t4. peer \"r2\": tunnel 10.1.0.0/24 <-> 10.1.2.0/24\n"
	    "#\t5. peer \"r1\": funnel 172.16.0.0/16 <-> 10.2.0.0/16\n"));
	assert_non_null(strstr(out,
	    "pass out proto udp dscp 46\t# 1, line 39\n"
	    "block in inet6 proto icmp6 icmp-type 128\t# 2, line 40\n"));
	/* key_hex counts up from the seed: r1's first bytes, gcm's too */
	assert_null(strstr(out, "0102030405"));
	assert_null(strstr(out, "0708090a0b"));
	free(out);
	config_free(&cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}
