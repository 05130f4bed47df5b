/* setkey(8) input (conf/setkey.c, conf/setkey_shell.c) and its
 * conversion to a site.conf (conf/setkey_conv.c): every statement kind,
 * statements over several lines with comments, string and hex keys,
 * every algorithm name and key length, the here-documents and gif lines
 * of a shell script, and every error with its exact file:line text. */
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/setkey.h"

static struct conf_error err;
static struct setkey_script sk;

/* "0x" and n bytes of b, b+1, ... */
static const char *
hexkey(size_t n, unsigned b)
{
	static char buf[4][2 * SETKEY_KEY_MAX + 3];
	static int which;
	char *o = buf[which++ % 4];
	size_t i;

	strcpy(o, "0x");
	for (i = 0; i < n; i++)
		sprintf(o + 2 + 2 * i, "%02x", (b + (unsigned)i) & 0xff);
	return o;
}

static void
parse_ok(const char *text)
{
	if (setkey_parse_string("t.conf", text, &sk, &err) != 0)
		fail_msg("%s", err.msg);
}

static void
parse_err(const char *text, const char *want)
{
	assert_int_equal(setkey_parse_string("t.conf", text, &sk, &err), -1);
	assert_string_equal(err.msg, want);
	assert_null(sk.sas);
	assert_int_equal(sk.nsas, 0);
}

static const char *
addr(const struct prefix *p)
{
	static char buf[4][64];
	static int which;
	char *o = buf[which++ % 4];

	inet_ntop(p->af, p->addr.b, o, 64);
	sprintf(o + strlen(o), "/%u", p->len);
	return o;
}

static void
test_add_basic(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
	    "# a comment\n"
	    "add 198.19.1.2 198.18.0.1 esp 0x1001\n"
	    "    -E blowfish-cbc %s;   # the paper's\n"
	    "add fd00::1 fd00::2 esp 4098 -E 3des-cbc %s -A hmac-sha1 %s;\n",
	    hexkey(32, 1), hexkey(24, 0x40), hexkey(20, 0x80));
	parse_ok(text);
	assert_int_equal(sk.nsas, 2);
	assert_false(sk.shell);
	assert_int_equal(sk.sas[0].line, 2);
	assert_string_equal(addr(&sk.sas[0].src), "198.19.1.2/32");
	assert_string_equal(addr(&sk.sas[0].dst), "198.18.0.1/32");
	assert_int_equal(sk.sas[0].proto, SETKEY_ESP);
	assert_int_equal(sk.sas[0].spi, 0x1001);
	assert_int_equal(sk.sas[0].mode, SETKEY_MODE_ANY);
	assert_string_equal(sk.sas[0].cipher, "blowfish-cbc");
	assert_int_equal(sk.sas[0].key_bits, 256);
	assert_int_equal(sk.sas[0].key_len, 32);
	assert_int_equal(sk.sas[0].key[0], 1);
	assert_int_equal(sk.sas[0].key[31], 32);
	assert_string_equal(sk.sas[0].auth, "none");
	assert_int_equal(sk.sas[0].replay, 0);
	assert_int_equal(sk.sas[0].pad, SETKEY_PAD_SEQ);
	assert_false(sk.sas[0].pad_given);
	assert_int_equal(sk.sas[1].line, 4);
	assert_string_equal(addr(&sk.sas[1].src), "fd00::1/128");
	assert_int_equal(sk.sas[1].spi, 4098);
	assert_string_equal(sk.sas[1].cipher, "3des-cbc");
	assert_int_equal(sk.sas[1].key_bits, 192);
	assert_string_equal(sk.sas[1].auth, "hmac-sha1-96");
	assert_int_equal(sk.sas[1].auth_key_len, 20);
	assert_int_equal(sk.sas[1].auth_key[0], 0x80);
	assert_int_equal(sk.nnotes, 0);
	setkey_free(&sk);
}

/* A statement over many lines, comments inside, several on a line. */
static void
test_continuation(void **state)
{
	(void)state;
	parse_ok("add\n"
	    "  10.0.0.1   # source\n"
	    "  10.0.0.2\n"
	    "\n"
	    "  esp 300 -E\n"
	    "  null; add 10.0.0.2 10.0.0.1 esp 301 -E null -A hmac-md5\n"
	    "  \"0123456789abcdef\"\n"
	    ";;\n");
	assert_int_equal(sk.nsas, 2);
	assert_int_equal(sk.sas[0].line, 1);
	assert_int_equal(sk.sas[0].spi, 300);
	assert_string_equal(sk.sas[0].cipher, "null");
	assert_int_equal(sk.sas[0].key_len, 0);
	assert_int_equal(sk.sas[1].line, 6);
	assert_string_equal(sk.sas[1].auth, "hmac-md5-96");
	/* a string key is its bytes */
	assert_int_equal(sk.sas[1].auth_key_len, 16);
	assert_memory_equal(sk.sas[1].auth_key, "0123456789abcdef", 16);
	setkey_free(&sk);
}

static void
test_string_key(void **state)
{
	(void)state;
	parse_ok("add 10.0.0.1 10.0.0.2 esp 0x100 -E blowfish-cbc "
	    "\"kamekame\";\n");
	assert_int_equal(sk.sas[0].key_len, 8);
	assert_int_equal(sk.sas[0].key_bits, 64);
	assert_memory_equal(sk.sas[0].key, "kamekame", 8);
	setkey_free(&sk);
}

static void
test_ciphers(void **state)
{
	static const struct {
		const char *alg;
		size_t      len;
		const char *cipher;
		size_t      bits;
		bool        weak;
	} t[] = {
		{ "des-cbc", 8, "des-cbc", 64, true },
		{ "3des-cbc", 24, "3des-cbc", 192, false },
		{ "blowfish-cbc", 5, "blowfish-cbc", 40, false },
		{ "blowfish-cbc", 16, "blowfish-cbc", 128, false },
		{ "blowfish-cbc", 56, "blowfish-cbc", 448, false },
		{ "cast128-cbc", 5, "cast128-cbc", 40, false },
		{ "cast128-cbc", 16, "cast128-cbc", 128, false },
		{ "rijndael-cbc", 16, "aes-cbc", 128, false },
		{ "rijndael-cbc", 24, "aes-cbc", 192, false },
		{ "aes-cbc", 32, "aes-cbc", 256, false },
		{ "aes-ctr", 20, "aes-ctr", 128, false },
		{ "aes-ctr", 28, "aes-ctr", 192, false },
		{ "aes-ctr", 36, "aes-ctr", 256, false },
		{ "aes-gcm-16", 20, "aes-gcm", 128, false },
		{ "aes-gcm-16", 36, "aes-gcm", 256, false },
		{ "null", 0, "null", 0, false },
		{ "simple", 0, "null", 0, false },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "add 10.0.0.1 10.0.0.2 esp 256 "
		    "-E %s %s;", t[i].alg, t[i].len != 0 ?
		    hexkey(t[i].len, 7) : "");
		parse_ok(text);
		assert_string_equal(sk.sas[0].cipher, t[i].cipher);
		assert_int_equal(sk.sas[0].key_bits, t[i].bits);
		assert_int_equal(sk.sas[0].key_len, t[i].len);
		assert_int_equal(sk.sas[0].weak, t[i].weak);
		assert_int_equal(sk.sas[0].ealg[0] != '\0', 1);
		setkey_free(&sk);
	}
}

static void
test_auths(void **state)
{
	static const struct {
		const char *alg;
		size_t      len;
		const char *auth, *auth96;
	} t[] = {
		{ "hmac-md5", 16, "hmac-md5-96", "hmac-md5-96" },
		{ "hmac-sha1", 20, "hmac-sha1-96", "hmac-sha1-96" },
		{ "hmac-sha2-256", 32, "hmac-sha256-128", "hmac-sha256-96" },
		{ "hmac-sha2-384", 48, "hmac-sha384-192", "hmac-sha384-96" },
		{ "hmac-sha2-512", 64, "hmac-sha512-256", "hmac-sha512-96" },
		{ "aes-xcbc-mac", 16, "aes-xcbc-mac-96", "aes-xcbc-mac-96" },
		{ "null", 0, "none", "none" },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "add 10.0.0.1 10.0.0.2 esp 256 "
		    "-E aes-cbc %s -A %s %s;", hexkey(16, 1), t[i].alg,
		    t[i].len != 0 ? hexkey(t[i].len, 9) : "");
		parse_ok(text);
		assert_string_equal(sk.sas[0].auth, t[i].auth);
		assert_string_equal(setkey_auth_name(&sk.sas[0], false),
		    t[i].auth);
		assert_string_equal(setkey_auth_name(&sk.sas[0], true),
		    t[i].auth96);
		assert_int_equal(sk.sas[0].auth_key_len, t[i].len);
		setkey_free(&sk);
	}
}

static void
test_add_options(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
	    "add -4n 10.0.0.1 10.0.0.2 esp 257 -m tunnel -r 32 -u 7\n"
	    "  -f zero-pad -f nocyclic-seq -lh 3600 -ls 3000 -bh 1000000\n"
	    "  -bs 800000 -E aes-cbc %s;\n"
	    "add 10.0.0.2 10.0.0.1 esp 258 -m transport -f random-pad "
	    "-E aes-cbc %s;\n"
	    "add 10.0.0.2 10.0.0.1 esp 259 -m any -f seq-pad "
	    "-E aes-cbc %s;\n",
	    hexkey(16, 1), hexkey(16, 2), hexkey(16, 3));
	parse_ok(text);
	assert_int_equal(sk.nsas, 3);
	assert_int_equal(sk.sas[0].mode, SETKEY_MODE_TUNNEL);
	assert_int_equal(sk.sas[0].replay, 32);
	assert_int_equal(sk.sas[0].reqid, 7);
	assert_int_equal(sk.sas[0].pad, SETKEY_PAD_ZERO);
	assert_true(sk.sas[0].nocyclic);
	assert_int_equal(sk.sas[0].life_time, 3600);
	assert_int_equal(sk.sas[0].life_time_soft, 3000);
	assert_int_equal(sk.sas[0].life_bytes, 1000000);
	assert_int_equal(sk.sas[0].life_bytes_soft, 800000);
	assert_int_equal(sk.sas[1].mode, SETKEY_MODE_TRANSPORT);
	assert_int_equal(sk.sas[1].pad, SETKEY_PAD_RANDOM);
	assert_int_equal(sk.sas[2].mode, SETKEY_MODE_ANY);
	assert_int_equal(sk.sas[2].pad, SETKEY_PAD_SEQ);
	assert_true(sk.sas[2].pad_given);
	assert_int_equal(sk.nnotes, 3);
	assert_int_equal(sk.notes[0].line, 1);
	assert_string_equal(sk.notes[0].text, "-f nocyclic-seq: not carried "
	    "over (vpntund never wraps its sequence numbers: an SA stops at "
	    "its last)");
	assert_string_equal(sk.notes[1].text, "-lh/-ls: not carried over "
	    "(vpntund's lifetimes count bytes and packets, not seconds)");
	assert_string_equal(sk.notes[2].text, "-u 7: not carried over "
	    "(vpntund has one SA each way per peer)");
	setkey_free(&sk);
}

/* Read, kept, and noted: what vpntund does not speak. */
static void
test_other_protocols(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
	    "add 10.0.0.1 10.0.0.2 ah 0x300 -A keyed-md5 %s;\n"
	    "add 10.0.0.1 10.0.0.2 esp-old 0x301 -E des-cbc %s;\n"
	    "add 10.0.0.1 10.0.0.2 ipcomp 0x302 -C deflate -R;\n"
	    "add 10.0.0.1 10.0.0.2 tcp 0x1000 -A tcp-md5 \"secret\";\n"
	    "add 10.0.0.1 10.0.0.2 esp 0x303 -E null -C deflate;\n",
	    hexkey(16, 1), hexkey(8, 1));
	parse_ok(text);
	assert_int_equal(sk.nsas, 5);
	assert_int_equal(sk.sas[0].proto, SETKEY_AH);
	assert_null(sk.sas[0].cipher);
	assert_int_equal(sk.sas[1].proto, SETKEY_ESP_OLD);
	assert_int_equal(sk.sas[2].proto, SETKEY_IPCOMP);
	assert_string_equal(sk.sas[2].calg, "deflate");
	assert_int_equal(sk.sas[3].proto, SETKEY_TCP);
	assert_int_equal(sk.nnotes, 5);
	assert_string_equal(sk.notes[0].text, "add ... ah 0x300: not carried "
	    "over (vpntund speaks ESP, RFC 4303, only)");
	assert_string_equal(sk.notes[1].text, "add ... esp-old 0x301: not "
	    "carried over (vpntund speaks ESP, RFC 4303, only)");
	assert_int_equal(sk.notes[2].line, 3);
	assert_int_equal(sk.notes[3].line, 4);
	assert_string_equal(sk.notes[4].text, "-C deflate: not carried over "
	    "(vpntund does not compress)");
	setkey_free(&sk);
}

static void
test_ignored_statements(void **state)
{
	(void)state;
	parse_ok("flush;\nspdflush;\ndelete 10.0.0.1 10.0.0.2 esp 0x300;\n"
	    "deleteall 10.0.0.1 10.0.0.2 esp;\nget 10.0.0.1 10.0.0.2 esp "
	    "300;\ndump\n  esp;\nspddump;\n");
	assert_int_equal(sk.nsas, 0);
	assert_int_equal(sk.nnotes, 7);
	assert_int_equal(sk.notes[0].line, 1);
	assert_string_equal(sk.notes[0].text, "flush: not carried over "
	    "(vpntund starts with exactly the SAs and policies of "
	    "site.conf)");
	assert_string_equal(sk.notes[5].text, "dump: not carried over "
	    "(vpntund starts with exactly the SAs and policies of "
	    "site.conf)");
	assert_int_equal(sk.notes[5].line, 6);
	assert_int_equal(sk.notes[6].line, 8);
	setkey_free(&sk);
}

static void
test_spdadd(void **state)
{
	(void)state;
	parse_ok("spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec\n"
	    "    esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd -6 fd00:1::/64[any] fd00:2::/64[80] tcp -P in ipsec "
	    "esp/tunnel/2001:db8::2-2001:db8::1/unique:3;\n"
	    "spdadd 198.19.1.2 198.18.0.1 ipencap -P out ipsec "
	    "esp/transport//use;\n"
	    "spdadd 10.0.0.0/8 0.0.0.0/0 icmp 8,0 -P out prio high + 5 "
	    "none;\n"
	    "spdadd 10.0.0.0/8 10.9.0.0/16 4 -P fwd discard;\n"
	    "spdadd 10.0.0.0/8 10.9.0.0/16 udp -P in entrust;\n"
	    "spdadd 10.0.0.0/8 10.9.0.0/16 132 -P in bypass;\n"
	    "spdadd 10.0.0.0/8 10.9.0.0/16 any -P out ipsec "
	    "esp/tunnel/1.1.1.1-2.2.2.2/require ah/transport//require;\n");
	assert_int_equal(sk.npolicies, 8);
	assert_int_equal(sk.policies[0].line, 1);
	assert_string_equal(addr(&sk.policies[0].src), "10.1.1.0/24");
	assert_string_equal(addr(&sk.policies[0].dst), "10.1.0.0/24");
	assert_int_equal(sk.policies[0].proto, -1);
	assert_int_equal(sk.policies[0].dir, SETKEY_DIR_OUT);
	assert_int_equal(sk.policies[0].action, SETKEY_IPSEC);
	assert_int_equal(sk.policies[0].req_proto, SETKEY_ESP);
	assert_int_equal(sk.policies[0].mode, SETKEY_MODE_TUNNEL);
	assert_string_equal(addr(&sk.policies[0].tsrc), "198.19.1.2/32");
	assert_string_equal(addr(&sk.policies[0].tdst), "198.18.0.1/32");
	assert_string_equal(sk.policies[0].level, "require");
	assert_int_equal(sk.policies[0].sport, -1);
	assert_int_equal(sk.policies[1].line, 3);
	assert_string_equal(addr(&sk.policies[1].src), "fd00:1::/64");
	assert_int_equal(sk.policies[1].sport, -1);
	assert_int_equal(sk.policies[1].dport, 80);
	assert_int_equal(sk.policies[1].proto, 6);
	assert_int_equal(sk.policies[1].dir, SETKEY_DIR_IN);
	assert_string_equal(sk.policies[1].level, "unique:3");
	assert_string_equal(addr(&sk.policies[1].tsrc), "2001:db8::2/128");
	assert_int_equal(sk.policies[2].mode, SETKEY_MODE_TRANSPORT);
	assert_int_equal(sk.policies[2].proto, 4);
	assert_string_equal(sk.policies[2].level, "use");
	assert_string_equal(addr(&sk.policies[2].src), "198.19.1.2/32");
	assert_int_equal(sk.policies[3].action, SETKEY_NONE);
	assert_string_equal(sk.policies[3].proto_name, "icmp 8,0");
	assert_int_equal(sk.policies[4].action, SETKEY_DISCARD);
	assert_int_equal(sk.policies[4].dir, SETKEY_DIR_FWD);
	assert_int_equal(sk.policies[4].proto, 4);
	assert_int_equal(sk.policies[5].action, SETKEY_ENTRUST);
	assert_int_equal(sk.policies[5].proto, 17);
	assert_int_equal(sk.policies[6].action, SETKEY_BYPASS);
	assert_int_equal(sk.policies[6].proto, 132);
	assert_int_equal(sk.nnotes, 2);
	assert_int_equal(sk.notes[0].line, 5);
	assert_string_equal(sk.notes[0].text, "the policy's priority: not "
	    "carried over (vpntund orders policies by prefix length)");
	assert_int_equal(sk.notes[1].line, 9);
	assert_string_equal(sk.notes[1].text, "request ah/transport//require: "
	    "not carried over (vpntund applies ESP once)");
	setkey_free(&sk);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc 0x0102;",
		  "t.conf:1: blowfish-cbc key of 2 bytes (16 bits), expected "
		  "5..56 bytes (40..448 bits)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E 3des-cbc 0x0102;",
		  "t.conf:1: 3des-cbc key of 2 bytes (16 bits), expected 24 "
		  "bytes (192 bits)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256\n -E aes-cbc 0x0102;",
		  "t.conf:2: aes-cbc key of 2 bytes (16 bits), expected 16, "
		  "24 or 32 bytes (128, 192 or 256 bits)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E aes-ctr "
		  "0x00112233445566778899aabbccddeeff;",
		  "t.conf:1: aes-ctr key of 16 bytes, expected 20, 28 or 36 "
		  "(a 128-, 192- or 256-bit key and a 4-byte nonce)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E aes-gcm-16 "
		  "0x00112233445566778899aabbccddeeff;",
		  "t.conf:1: aes-gcm-16 key of 16 bytes, expected 20, 28 or "
		  "36 (a 128-, 192- or 256-bit key and a 4-byte salt)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E twofish-cbc 0x0102;",
		  "t.conf:1: vpntund has no twofish-cbc; expected one of "
		  "des-cbc, 3des-cbc, blowfish-cbc, cast128-cbc, "
		  "rijndael-cbc, aes-cbc, aes-ctr, aes-gcm-16, null" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E camellia-cbc 0x0102;",
		  "t.conf:1: vpntund has no camellia-cbc; expected one of "
		  "des-cbc, 3des-cbc, blowfish-cbc, cast128-cbc, "
		  "rijndael-cbc, aes-cbc, aes-ctr, aes-gcm-16, null" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E rot13 0x0102;",
		  "t.conf:1: unknown encryption algorithm \"rot13\", expected "
		  "one of des-cbc, 3des-cbc, blowfish-cbc, cast128-cbc, "
		  "rijndael-cbc, aes-cbc, aes-ctr, aes-gcm-16, null" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E null\n -A keyed-md5 "
		  "0x00112233445566778899aabbccddeeff;",
		  "t.conf:2: vpntund has no keyed-md5; expected one of "
		  "hmac-md5, hmac-sha1, hmac-sha2-256, hmac-sha2-384, "
		  "hmac-sha2-512, aes-xcbc-mac, null" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E null -A keyed-sha1 0x01;",
		  "t.conf:1: vpntund has no keyed-sha1; expected one of "
		  "hmac-md5, hmac-sha1, hmac-sha2-256, hmac-sha2-384, "
		  "hmac-sha2-512, aes-xcbc-mac, null" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E null -A hmac-ripemd160 "
		  "0x01;",
		  "t.conf:1: vpntund has no hmac-ripemd160; expected one of "
		  "hmac-md5, hmac-sha1, hmac-sha2-256, hmac-sha2-384, "
		  "hmac-sha2-512, aes-xcbc-mac, null" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E null -A hmac-sha1 0x01;",
		  "t.conf:1: hmac-sha1 key of 1 bytes (8 bits), expected 20 "
		  "bytes (160 bits)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E null 0x0102;",
		  "t.conf:1: null takes no key, got 2 bytes" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -A hmac-md5 "
		  "0x00112233445566778899aabbccddeeff;",
		  "t.conf:1: expected -E: an esp SA needs an encryption "
		  "algorithm (-E null for none)" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E aes-gcm-16 "
		  "0x00112233445566778899aabbccddeeff00112233 -A hmac-md5 "
		  "0x00112233445566778899aabbccddeeff;",
		  "t.conf:1: aes-gcm-16 carries its own integrity check: "
		  "expected no -A with it, got -A hmac-md5" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc 0x012;",
		  "t.conf:1: key of blowfish-cbc: expected an even number of "
		  "hex digits, got 3" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc 0x0g0102;",
		  "t.conf:1: key of blowfish-cbc: expected hex digits after "
		  "0x, got \"g\"" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc 12345;",
		  "t.conf:1: expected the key of blowfish-cbc as 0x and hex "
		  "digits or a \"quoted string\", got 12345" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc \"abcde;",
		  "t.conf:1: expected \" at the end of the quoted string" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc 0x0102030405",
		  "t.conf:1: expected an option of add (-m, -r, -u, -f, -lh, "
		  "-ls, -bh, -bs, -E, -A, -C) or \";\", got the end of the "
		  "file" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -x;",
		  "t.conf:1: expected an option of add (-m, -r, -u, -f, -lh, "
		  "-ls, -bh, -bs, -E, -A, -C) or \";\", got -x" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -m both -E null;",
		  "t.conf:1: expected transport, tunnel or any after -m, got "
		  "both" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -r big -E null;",
		  "t.conf:1: expected a number 0..4294967295 after -r, got "
		  "big" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -f odd-pad -E null;",
		  "t.conf:1: expected zero-pad, random-pad, seq-pad or "
		  "nocyclic-seq after -f, got odd-pad" },
		{ "add vpn.example.org 10.0.0.2 esp 256 -E null;",
		  "t.conf:1: expected the source address after add, got "
		  "vpn.example.org" },
		{ "add 10.0.0.1 fd00::1 esp 256 -E null;",
		  "t.conf:1: the source and destination addresses are of two "
		  "families" },
		{ "add 10.0.0.1 10.0.0.2 gre 256 -E null;",
		  "t.conf:1: expected a protocol (esp, esp-old, ah, ipcomp, "
		  "tcp), got gre" },
		{ "add 10.0.0.1 10.0.0.2 esp 0x100000000 -E null;",
		  "t.conf:1: expected the SPI as a number 0..4294967295, got "
		  "0x100000000" },
		{ "\n\nadd $myend $hisend esp $spi_out -E $algo $key;",
		  "t.conf:3: shell variable $myend: fill in the script's "
		  "variables first" },
		{ "add 10.0.0.1 10.0.0.2 esp 256 -E blowfish-cbc ${key};",
		  "t.conf:1: shell variable $key: fill in the script's "
		  "variables first" },
		{ "update 10.0.0.1 10.0.0.2 esp 256 -E null",
		  "t.conf:1: expected \";\" at the end of the statement" },
		{ "spdadd 10.0.0.0/33 10.1.0.0/24 any -P out none;",
		  "t.conf:1: expected the source range as "
		  "address[/prefixlen][[port]], got 10.0.0.0/33" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24[http] any -P out none;",
		  "t.conf:1: expected the destination range as "
		  "address[/prefixlen][[port]], got 10.1.0.0/24[http]" },
		{ "spdadd 10.0.0.0/8 fd00::/8 any -P out none;",
		  "t.conf:1: the source and destination ranges are of two "
		  "families" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 quic -P out none;",
		  "t.conf:1: expected an upper-layer protocol (any, icmp, "
		  "tcp, udp, ipencap, a number 0..255 ...), got quic" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any out none;",
		  "t.conf:1: expected -P after the upper-layer protocol, got "
		  "out" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P up none;",
		  "t.conf:1: expected in, out or fwd after -P, got up" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P out allow;",
		  "t.conf:1: expected a policy (ipsec, none, discard, "
		  "entrust, bypass), got allow" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P out none esp;",
		  "t.conf:1: expected \";\" after none, got esp" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P out ipsec;",
		  "t.conf:1: expected a request after ipsec, such as "
		  "esp/tunnel/A-B/require" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P out ipsec\n"
		  "  esp/tunnel/1.1.1.1/require;",
		  "t.conf:2: expected a request such as "
		  "esp/tunnel/A-B/require or esp/transport//require, got "
		  "esp/tunnel/1.1.1.1/require" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P out ipsec "
		  "esp/tunnel/a-b/require;",
		  "t.conf:1: expected the tunnel's endpoints as "
		  "esp/tunnel/A-B/require with two addresses, got "
		  "esp/tunnel/a-b/require" },
		{ "spdadd 10.0.0.0/8 10.1.0.0/24 any -P out ipsec "
		  "esp/beet//require;",
		  "t.conf:1: expected a request such as "
		  "esp/tunnel/A-B/require or esp/transport//require, got "
		  "esp/beet//require" },
		{ "spdadd $mynet $hisnet any -P out ipsec "
		  "esp/tunnel/$myend-$hisend/require;",
		  "t.conf:1: shell variable $mynet: fill in the script's "
		  "variables first" },
		{ "# comment\nsetkey -f x;",
		  "t.conf:2: expected a setkey statement (add, spdadd, delete, "
		  "deleteall, flush, spdflush, get, dump), got setkey" },
		{ "\"add\";",
		  "t.conf:1: expected a setkey statement (add, spdadd, delete, "
		  "deleteall, flush, spdflush, get, dump), got add" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		parse_err(t[i].text, t[i].want);
}

/* The paper's script: here-documents inside a shell script. */
static void
test_heredoc(void **state)
{
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text),
	    "#!/bin/sh\n"                                       /* 1 */
	    "# setkey -c <<NOT a here-document: a comment\n"    /* 2 */
	    "setkey -c <<END\n"                                 /* 3 */
	    "  add 198.19.1.2 198.18.0.1 esp 0x1001\n"          /* 4 */
	    "    -E blowfish-cbc %s;\n"                         /* 5 */
	    "END\n"                                             /* 6 */
	    "cat <<EOF >/tmp/x\n"                               /* 7 */
	    "add 1.1.1.1 2.2.2.2 esp 0x999 -E null;\n"          /* 8 */
	    "EOF\n"                                             /* 9 */
	    "if true; then\n"                                   /* 10 */
	    "\t/sbin/setkey -c <<-'STOP'\n"                     /* 11 */
	    "\tadd 198.18.0.1 198.19.1.2 esp 0x1002\n"          /* 12 */
	    "\t\t-E blowfish-cbc %s;\n"                         /* 13 */
	    "\tSTOP\n"                                          /* 14 */
	    "fi\n"                                              /* 15 */
	    "setkey -f /etc/ipsec.conf\n",                      /* 16 */
	    hexkey(32, 1), hexkey(32, 0x81));
	parse_ok(text);
	assert_true(sk.shell);
	assert_int_equal(sk.nsas, 2);
	assert_int_equal(sk.sas[0].line, 4);
	assert_int_equal(sk.sas[0].spi, 0x1001);
	assert_int_equal(sk.sas[1].line, 12);
	assert_int_equal(sk.sas[1].spi, 0x1002);
	assert_int_equal(sk.sas[1].key[0], 0x81);
	assert_int_equal(sk.nnotes, 4);
	assert_int_equal(sk.notes[0].line, 7);
	assert_string_equal(sk.notes[0].text, "shell: cat here-document: not "
	    "carried over");
	assert_int_equal(sk.notes[1].line, 10);
	assert_string_equal(sk.notes[1].text, "shell: not carried over: if "
	    "true; then");
	assert_int_equal(sk.notes[2].line, 15);
	assert_int_equal(sk.notes[3].line, 16);
	assert_string_equal(sk.notes[3].text, "setkey -f /etc/ipsec.conf: "
	    "not carried over (import what it reads on its own)");
	setkey_free(&sk);

	/* A here-document piped into setkey. */
	parse_ok("cat << 'EOF' | /usr/sbin/setkey -c\nflush;\nEOF\n");
	assert_true(sk.shell);
	assert_int_equal(sk.nnotes, 1);
	assert_int_equal(sk.notes[0].line, 2);
	assert_string_equal(sk.notes[0].text, "flush: not carried over "
	    "(vpntund starts with exactly the SAs and policies of "
	    "site.conf)");
	setkey_free(&sk);

	parse_err("setkey -c <<END\nadd $myend $hisend esp 0x1001 "
	    "-E null;\nEND\n", "t.conf:2: shell variable $myend: fill in "
	    "the script's variables first");
	parse_err("echo\nsetkey -c <<END\nflush;\n",
	    "t.conf:2: expected a line \"END\" to close the here-document");
	parse_err("setkey -c <<END\nspdadd 10.0.0.0/8\nEND\n",
	    "t.conf:2: expected the destination range after the source, "
	    "got the end of the file");
}

static void
test_gif_lines(void **state)
{
	(void)state;
	parse_ok("ifconfig gif0 10.1.1.1 255.255.255.0 \\\n"       /* 1 */
	    "    tunnel 198.19.1.2 198.18.0.1 link1\n"              /* 2 */
	    "ifconfig gif1 create\n"                                /* 3 */
	    "ifconfig em0 inet 198.19.1.2/24\n"                     /* 4 */
	    "route add -net 10.1.0.0/24 -interface gif0\n"          /* 5 */
	    "route add 172.16.0.0 -netmask 255.255.0.0 -interface gif0\n"
	    "route add -inet6 fd00:2:: -prefixlen 64 -interface gif1\n"
	    "route add -host 10.9.9.9 -interface gif0\n"            /* 8 */
	    "route add default 198.19.1.1\n"                        /* 9 */
	    "setkey -c <<END\nEND\n");
	assert_int_equal(sk.ngifs, 1);
	assert_int_equal(sk.gifs[0].line, 1);
	assert_string_equal(sk.gifs[0].ifname, "gif0");
	assert_string_equal(addr(&sk.gifs[0].src), "198.19.1.2/32");
	assert_string_equal(addr(&sk.gifs[0].dst), "198.18.0.1/32");
	assert_int_equal(sk.nroutes, 4);
	assert_int_equal(sk.routes[0].line, 5);
	assert_string_equal(addr(&sk.routes[0].net), "10.1.0.0/24");
	assert_string_equal(sk.routes[0].ifname, "gif0");
	assert_string_equal(addr(&sk.routes[1].net), "172.16.0.0/16");
	assert_string_equal(addr(&sk.routes[2].net), "fd00:2::/64");
	assert_string_equal(sk.routes[2].ifname, "gif1");
	assert_string_equal(addr(&sk.routes[3].net), "10.9.9.9/32");
	assert_int_equal(sk.nnotes, 3);
	assert_int_equal(sk.notes[0].line, 3);
	assert_string_equal(sk.notes[0].text, "ifconfig gif1 without tunnel: "
	    "not carried over (vpntund's tun takes site.conf's addresses)");
	assert_string_equal(sk.notes[1].text, "shell: not carried over: "
	    "ifconfig em0 inet 198.19.1.2/24");
	assert_int_equal(sk.notes[2].line, 9);
	setkey_free(&sk);

	parse_err("ifconfig gif0 $meonhisnet $hisnetmask tunnel $myend "
	    "$hisend\nsetkey -c <<END\nEND\n", "t.conf:1: shell variable "
	    "$meonhisnet: fill in the script's variables first");
	parse_err("route add $hisnet -interface gif0\nsetkey -c <<E\nE\n",
	    "t.conf:1: shell variable $hisnet: fill in the script's "
	    "variables first");
	parse_err("x\nroute add 10.2.0.0 -interface gif0\nsetkey -c <<E\nE\n",
	    "t.conf:2: route add 10.2.0.0: expected 10.2.0.0/len or "
	    "-netmask (route(8) would guess the mask from the address's "
	    "class)");
	parse_err("route add -net 10.2.0.0 -netmask 255.0.255.0 -interface "
	    "gif0\nsetkey -c <<E\nE\n", "t.conf:1: route add: expected a "
	    "contiguous netmask after -netmask, got 255.0.255.0");
	parse_err("ifconfig gif0 tunnel 1.1.1.1\nsetkey -c <<E\nE\n",
	    "t.conf:1: expected two addresses after tunnel");
	parse_err("ifconfig gif0 tunnel 1.1.1.1 fd00::1\nsetkey -c <<E\nE\n",
	    "t.conf:1: expected two addresses of one family after tunnel, "
	    "got 1.1.1.1 fd00::1");
}

static void
test_parse_file(void **state)
{
	char path[] = "/tmp/vpntund-setkey-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(setkey_parse("/nonexistent/x", &sk, &err), -1);
	assert_string_equal(err.msg, "/nonexistent/x: No such file or "
	    "directory");
	assert_int_equal(setkey_parse("/tmp", &sk, &err), -1);
	assert_string_equal(err.msg, "/tmp: not a regular file");
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, "flush;\n", 7), 7);
	close(fd);
	assert_int_equal(setkey_parse(path, &sk, &err), 0);
	assert_int_equal(sk.nnotes, 1);
	assert_string_equal(sk.name, path);
	setkey_free(&sk);
	unlink(path);
}

/* Conversion: the site.conf and key files. */
static struct setkey_import imp;

static void
convert_ok(const char *text, const struct setkey_import_opts *o)
{
	parse_ok(text);
	if (setkey_convert(&sk, o, &imp, &err) != 0)
		fail_msg("%s", err.msg);
	setkey_free(&sk);
}

static void
convert_err(const char *text, const struct setkey_import_opts *o,
    const char *want)
{
	parse_ok(text);
	assert_int_equal(setkey_convert(&sk, o, &imp, &err), -1);
	assert_string_equal(err.msg, want);
	assert_null(imp.conf);
	setkey_free(&sk);
}

static void
has(const char *line)
{
	if (strstr(imp.conf, line) == NULL)
		fail_msg("no \"%s\" in\n%s", line, imp.conf);
}

static void
hasnt(const char *line)
{
	if (strstr(imp.conf, line) != NULL)
		fail_msg("\"%s\" in\n%s", line, imp.conf);
}

static bool
has_msg(const char *m)
{
	size_t i;

	for (i = 0; i < imp.nmsgs; i++)
		if (strcmp(imp.msgs[i], m) == 0)
			return true;
	return false;
}

static const char *paper_sas =
    "add 198.19.1.2 198.18.0.1 esp 0x1001 -E blowfish-cbc "
    "0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;\n"
    "add 198.18.0.1 198.19.1.2 esp 0x1002 -E blowfish-cbc "
    "0x101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f;\n";

static void
test_convert_tunnel(void **state)
{
	struct setkey_import_opts o = { .role = -1, .site_name = "paper",
	    .source = "paper.sh" };
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text), "flush;\n%s"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec\n"
	    "  esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.0.0/24 10.1.1.0/24 any -P in ipsec\n"
	    "  esp/tunnel/198.18.0.1-198.19.1.2/require;\n", paper_sas);
	convert_ok(text, &o);
	assert_int_equal(imp.npeers, 1);
	has("# paper.sh: the manual SAs and policies of a KAME router at "
	    "198.19.1.2.\n");
	has("#   line 1: flush: not carried over");
	has("site \"paper\" {\n\trole remote\n\tnetwork 10.1.1.0/24\n"
	    "\taddress 10.1.1.1/24\t# host 1 of the network: check it\n"
	    "\ttun vpn0\n\touter 198.19.1.2\n"
	    "\tstate-file \"/var/lib/vpntund/paper.state\"\n}\n");
	has("peer \"kame-198-18-0-1\" {\n\tendpoint 198.18.0.1\n"
	    "\ttransport esp\t\t# KAME sends raw ESP (IP protocol 50)\n"
	    "\tkeying manual\n\tnetwork 10.1.0.0/24\n");
	has("\tsa out spi 0x00001001 cipher blowfish-cbc keysize 256 auth "
	    "none key \"keys/kame-198-18-0-1.out\"\t# add at line 2\n");
	has("\tsa in  spi 0x00001002 cipher blowfish-cbc keysize 256 auth "
	    "none key \"keys/kame-198-18-0-1.in\"\t# add at line 3\n");
	has("\treplay-window 0\n");
	has("\tpadding strict\t\t# -f seq-pad at line 3 (setkey's "
	    "default)\n");
	has("\ttunnel 10.1.1.0/24 <-> 10.1.0.0/24\t# spdadd at lines 4, 6\n");
	hasnt("funnel");
	hasnt("lifetime");
	hasnt("allow-weak-cipher");
	assert_int_equal(imp.nkeys, 2);
	assert_string_equal(imp.keys[0].name, "keys/kame-198-18-0-1.out");
	assert_int_equal(imp.keys[0].len, 32);
	assert_int_equal(imp.keys[0].bytes[1], 0x01);
	assert_string_equal(imp.keys[1].name, "keys/kame-198-18-0-1.in");
	assert_int_equal(imp.keys[1].bytes[1], 0x11);
	assert_true(has_msg("peer kame-198-18-0-1: replay-window 0 (setkey's "
	    "default): replayed packets are delivered; give both ends a "
	    "window (-r on the KAME side, replay-window here)"));
	assert_true(has_msg("peer kame-198-18-0-1: sa out (line 2) has no "
	    "integrity check (no -A): anyone on the path can inject packets "
	    "(site.conf(5), auth none)"));
	assert_true(has_msg("site paper: address 10.1.1.1/24 is host 1 of "
	    "10.1.1.0/24: check it"));
	setkey_import_free(&imp);

	/* The other end: --local picks it; --role central. */
	o.role = ROLE_CENTRAL;
	o.local = &(struct prefix){ .af = AF_INET, .len = 32 };
	inet_pton(AF_INET, "198.18.0.1", &((struct prefix *)o.local)->addr);
	snprintf(text, sizeof(text), "%s"
	    "spdadd 10.1.0.0/24 10.1.1.0/24 any -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P in ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n", paper_sas);
	convert_ok(text, &o);
	has("\trole central\n\tnetwork 10.1.0.0/24\n");
	has("peer \"kame-198-19-1-2\"");
	has("\tsa out spi 0x00001002");
	has("\tsa in  spi 0x00001001");
	has("#   line 5: spdadd 10.1.1.0/24 10.1.0.0/24: not carried over "
	    "(its tunnel starts at 198.19.1.2, not at this router)\n");
	setkey_import_free(&imp);
}

static void
test_convert_funnels(void **state)
{
	struct setkey_import_opts o = { .role = -1 };
	char text[4096];

	(void)state;
	snprintf(text, sizeof(text),
	    "add 198.18.0.1 198.19.1.2 esp 4097 -r 4 -bh 100000 -bs 90000 "
	    "-E 3des-cbc %s -A hmac-sha1 %s;\n"
	    "add 198.19.1.2 198.18.0.1 esp 4098 -r 32 -f random-pad -bh 50000 "
	    "-E 3des-cbc %s -A hmac-sha1 \"abcdefghijklmnopqrst\";\n"
	    "spdadd 172.16.0.0/16 10.2.1.0/24 any -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 10.2.1.0/24 172.16.0.0/16 any -P in ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.0.0/24 10.1.1.0/24 any -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P in ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 tcp -P in ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.0.0/24 10.3.0.0/24 udp -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 10.3.0.0/24 10.1.0.0/24 udp -P in ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.0.0/24 10.4.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 0.0.0.0/0 0.0.0.0/0 any -P out discard;\n",
	    hexkey(24, 1), hexkey(20, 2), hexkey(24, 3));
	o.network = &(struct prefix){ .af = AF_INET, .len = 24 };
	inet_pton(AF_INET, "10.1.0.0", &((struct prefix *)o.network)->addr);
	convert_ok(text, &o);
	has("\tnetwork 10.2.1.0/24\n");   /* the first policy's remote */
	has("\tsa out spi 0x00001001 cipher 3des-cbc auth hmac-sha1-96 key");
	has("\treplay-window 256\t# -r 32 at line 2: 32 bytes, 256 packets, "
	    "in steps of 64\n");
	has("\tpadding any\t\t# -f random-pad at line 2\n");
	has("\tlifetime bytes 50000\t# -bh/-bs: the smaller of "
	    "the two SAs'\n");
	has("\tfunnel 172.16.0.0/16 <-> 10.2.1.0/24\t# spdadd at lines 3, 4\n");
	has("\ttunnel 10.1.0.0/24 <-> 10.1.1.0/24\t# spdadd at lines 5, 6\n");
	has("\tfunnel 10.1.0.0/24 <-> 10.3.0.0/24\t# spdadd at lines 8, 9; "
	    "setkey's "
	    "policy had a protocol or ports: vpntund's are by address, "
	    "narrow it with rules\n");
	has("#   line 7: spdadd 10.1.1.0/24 10.1.0.0/24 -P in: not carried "
	    "over (an inbound policy without its outbound half; vpntund's "
	    "tunnels go both ways)\n");
	has("#   line 10: spdadd 10.1.0.0/24 10.4.0.0/24 -P out: not carried "
	    "over (an outbound policy without its inbound half; vpntund's "
	    "tunnels go both ways)\n");
	has("#   line 11: spdadd 0.0.0.0/0 0.0.0.0/0 -P out discard: not "
	    "carried over (write a block rule for it)\n");
	assert_true(has_msg("not carried over: 3 statements; see the "
	    "comments at the top of site.conf"));
	assert_int_equal(imp.keys[0].len, 44);
	setkey_import_free(&imp);

	/* With --sha2-96; des-cbc. */
	o.network = NULL;
	o.sha2_96 = true;
	snprintf(text, sizeof(text),
	    "add 198.18.0.1 198.19.1.2 esp 4097 -E des-cbc %s "
	    "-A hmac-sha2-256 %s;\n"
	    "add 198.19.1.2 198.18.0.1 esp 4098 -r 10000 -E des-cbc %s "
	    "-A hmac-sha2-256 %s;\n"
	    "spdadd 10.1.0.0/24 10.1.1.0/24 any -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P in ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n",
	    hexkey(8, 1), hexkey(32, 2), hexkey(8, 3), hexkey(32, 4));
	convert_err(text, &o, "t.conf:2: -r 10000: a window of 80000 "
	    "packets (10000 bytes of 8 bits), larger than vpntund's 65536: "
	    "expected -r 8192 or less");
	memset(strstr(text, "-r 10000 "), ' ', 9);
	convert_ok(text, &o);
	has("\tallow-weak-cipher yes\t# des-cbc: a 56-bit key, found by "
	    "trying them all\n");
	has("\t# --sha2-96: hmac-sha2-* as the 96-bit truncation of older "
	    "KAME, not RFC 4868's\n");
	has("\tsa out spi 0x00001001 cipher des-cbc auth hmac-sha256-96 key");
	assert_true(has_msg("peer kame-198-19-1-2: des-cbc has a 56-bit key; "
	    "allow-weak-cipher yes is written"));
	setkey_import_free(&imp);
}

static void
test_convert_gif(void **state)
{
	struct setkey_import_opts o = { .role = -1 };
	char text[4096], sas[1024];

	(void)state;
	snprintf(sas, sizeof(sas), "setkey -c <<END\n"
	    "add 198.19.1.2 198.18.0.1 esp 0x2001 -m transport -E aes-ctr "
	    "%s -A hmac-sha2-512 %s;\n"
	    "add 198.18.0.1 198.19.1.2 esp 0x2002 -m transport -E aes-ctr "
	    "%s -A hmac-sha2-512 %s;\n"
	    "spdadd 198.19.1.2 198.18.0.1 any -P out ipsec "
	    "esp/transport//require;\n"
	    "spdadd 198.18.0.1 198.19.1.2 any -P in ipsec "
	    "esp/transport//require;\nEND\n", hexkey(36, 1), hexkey(64, 2),
	    hexkey(36, 3), hexkey(64, 4));
	snprintf(text, sizeof(text),
	    "ifconfig gif0 10.1.1.1 10.1.0.1 tunnel 198.19.1.2 198.18.0.1 "
	    "link1\n"
	    "route add -net 10.1.0.0/24 -interface gif0\n"
	    "route add -net 172.16.0.0/16 -interface gif0\n%s", sas);
	o.network = &(struct prefix){ .af = AF_INET, .len = 24 };
	inet_pton(AF_INET, "10.1.1.0", &((struct prefix *)o.network)->addr);
	convert_ok(text, &o);
	has("\tnetwork 10.1.0.0/24\n");
	has("\tsa out spi 0x00002001 cipher aes-ctr keysize 256 auth "
	    "hmac-sha512-256 key \"keys/kame-198-18-0-1.out\"\t# add at line "
	    "5\n");
	has("\ttunnel 10.1.1.0/24 <-> 10.1.0.0/24\t# route at line 2, gif0 "
	    "at 1, spdadd at lines 7, 8\n");
	has("\ttunnel 10.1.1.0/24 <-> 172.16.0.0/16\t# route at line 3, gif0 "
	    "at 1, spdadd at lines 7, 8\n");
	assert_int_equal(imp.keys[0].len, 100);
	assert_string_equal(imp.keys[0].comment, "line 5: esp 0x2001 from "
	    "198.19.1.2 to 198.18.0.1: 36 bytes of aes-ctr key and nonce, "
	    "then 64 of hmac-sha512-256 key");
	setkey_import_free(&imp);

	/* No --network: the gif form names none. */
	o.network = NULL;
	convert_err(text, &o, "t.conf:1: gif0 is the gif form of a tunnel to "
	    "198.18.0.1, but nothing names this site's network: give "
	    "--network PREFIX");
	/* No routes. */
	o.network = &(struct prefix){ .af = AF_INET, .len = 24 };
	inet_pton(AF_INET, "10.1.1.0", &((struct prefix *)o.network)->addr);
	snprintf(text, sizeof(text), "ifconfig gif0 tunnel 198.19.1.2 "
	    "198.18.0.1\n%s", sas);
	convert_err(text, &o, "t.conf:1: gif0 is the gif form of a tunnel to "
	    "198.18.0.1, but no `route add NET -interface gif0` names the "
	    "networks behind it: expected a route for each of peer "
	    "kame-198-18-0-1's networks");
	/* No gif: a transport policy only. */
	snprintf(text, sizeof(text), "route add -net 10.1.0.0/24 -interface "
	    "gif0\n%s", sas);
	convert_err(text, &o, "t.conf:3: peer kame-198-18-0-1 (198.18.0.1): "
	    "no policy names its networks: expected `spdadd` tunnel policies "
	    "to it, or the gif form (`ifconfig gifN ... tunnel`, `route add "
	    "NET -interface gifN`)");
}

static void
test_convert_errors(void **state)
{
	struct setkey_import_opts o = { .role = -1 };
	char text[2048];

	(void)state;
	convert_err(paper_sas, &o, "t.conf: no outbound tunnel policy says "
	    "which end is this router: give --local ADDR");
	snprintf(text, sizeof(text), "add 10.0.0.1 10.0.0.2 esp 300 -E aes-ctr "
	    "%s;\nspdadd 10.1.0.0/24 10.2.0.0/24 any -P out ipsec "
	    "esp/tunnel/10.0.0.1-10.0.0.2/require;\n", hexkey(20, 1));
	convert_err(text, &o, "t.conf:1: -E aes-ctr without -A: vpntund "
	    "refuses aes-ctr without an integrity algorithm (RFC 3686 2); "
	    "expected -A");
	convert_err("add 10.0.0.2 10.0.0.1 esp 300 -E simple -A null;\n"
	    "spdadd 10.1.0.0/24 10.2.0.0/24 any -P out ipsec "
	    "esp/tunnel/10.0.0.1-10.0.0.2/require;\n", &o,
	    "t.conf:1: -E simple without -A: vpntund refuses null without an "
	    "integrity algorithm (RFC 4303 3.2); expected -A");
	snprintf(text, sizeof(text), "%s"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.0.0/24 10.1.1.0/24 any -P out ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n", paper_sas);
	convert_err(text, &o, "t.conf:4: the outbound tunnels start at "
	    "198.19.1.2 (line 3) and at 198.18.0.1: give --local ADDR, this "
	    "router's address");
	convert_err("add 198.19.1.2 198.18.0.1 esp 0x1001 -E 3des-cbc "
	    "0x000102030405060708090a0b0c0d0e0f0001020304050607;\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n", &o,
	    "t.conf:1: peer kame-198-18-0-1 has an SA only from 198.19.1.2 "
	    "to 198.18.0.1: expected an SA each way");
	snprintf(text, sizeof(text), "%s"
	    "add 198.19.1.2 198.18.0.1 esp 0x1003 -E null -A hmac-md5 "
	    "\"0123456789abcdef\";\n"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n", paper_sas);
	convert_err(text, &o, "t.conf:3: a second SA from 198.19.1.2 to "
	    "198.18.0.1 (the first at line 1): vpntund keeps one SA each "
	    "way per peer; delete one");
	snprintf(text, sizeof(text), "%s"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n"
	    "spdadd 10.1.0.0/24 10.1.1.0/24 any -P in ipsec "
	    "esp/tunnel/198.18.0.1-198.19.1.2/require;\n"
	    "spdadd 10.1.1.0/24 10.5.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.9/require;\n"
	    "spdadd 10.5.0.0/24 10.1.1.0/24 any -P in ipsec "
	    "esp/tunnel/198.18.0.9-198.19.1.2/require;\n", paper_sas);
	convert_err(text, &o, "t.conf:5: the policy tunnels to 198.18.0.9, "
	    "for which the file adds no esp SA (import-setkey carries manual "
	    "SAs only)");
	snprintf(text, sizeof(text), "%s"
	    "spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec "
	    "esp/tunnel/198.19.1.2-198.18.0.1/require;\n", paper_sas);
	convert_err(text, &o, "t.conf:1: peer kame-198-18-0-1 (198.18.0.1): "
	    "no policy names its networks: expected `spdadd` tunnel policies "
	    "to it, or the gif form (`ifconfig gifN ... tunnel`, `route add "
	    "NET -interface gifN`)");
}

/* Two peers: central; names of IPv6 peers. */
static void
test_convert_peers(void **state)
{
	struct setkey_import_opts o = { .role = -1 };
	char text[4096];

	(void)state;
	snprintf(text, sizeof(text),
	    "add 2001:db8::1 2001:db8::2 esp 0x3001 -E aes-cbc %s;\n"
	    "add 2001:db8::2 2001:db8::1 esp 0x3002 -E aes-cbc %s;\n"
	    "add 2001:db8::1 2001:db8:1234:5678:9abc:def0:1234:5678 esp "
	    "0x3003 -E aes-cbc %s;\n"
	    "add 2001:db8:1234:5678:9abc:def0:1234:5678 2001:db8::1 esp "
	    "0x3004 -E aes-cbc %s;\n"
	    "spdadd fd00:1::/64 fd00:2::/64 any -P out ipsec "
	    "esp/tunnel/2001:db8::1-2001:db8::2/require;\n"
	    "spdadd fd00:2::/64 fd00:1::/64 any -P in ipsec "
	    "esp/tunnel/2001:db8::2-2001:db8::1/require;\n"
	    "spdadd fd00:1::/64 fd00:3::/64 any -P out ipsec "
	    "esp/tunnel/2001:db8::1-2001:db8:1234:5678:9abc:def0:1234:5678"
	    "/require;\n"
	    "spdadd fd00:3::/64 fd00:1::/64 any -P in ipsec "
	    "esp/tunnel/2001:db8:1234:5678:9abc:def0:1234:5678-2001:db8::1"
	    "/require;\n",
	    hexkey(16, 1), hexkey(16, 2), hexkey(16, 3), hexkey(16, 4));
	convert_ok(text, &o);
	assert_int_equal(imp.npeers, 2);
	has("\trole central\n\tnetwork fd00:1::/64\n\taddress fd00:1::1/64");
	has("\touter 2001:db8::1\n");
	has("peer \"kame-2001-db8--2\" {\n\tendpoint 2001:db8::2\n");
	has("peer \"peer2\" {\n\tendpoint "
	    "2001:db8:1234:5678:9abc:def0:1234:5678\n");
	has("\tsa out spi 0x00003003 cipher aes-cbc keysize 128 auth none "
	    "key \"keys/peer2.out\"");
	has("\ttunnel fd00:1::/64 <-> fd00:3::/64\t# spdadd at lines 7, 8\n");
	setkey_import_free(&imp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_basic),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_string_key),
		cmocka_unit_test(test_ciphers),
		cmocka_unit_test(test_auths),
		cmocka_unit_test(test_add_options),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_ignored_statements),
		cmocka_unit_test(test_spdadd),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_heredoc),
		cmocka_unit_test(test_gif_lines),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_convert_tunnel),
		cmocka_unit_test(test_convert_funnels),
		cmocka_unit_test(test_convert_gif),
		cmocka_unit_test(test_convert_errors),
		cmocka_unit_test(test_convert_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
