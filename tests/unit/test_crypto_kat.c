/* Known-answer tests for the ciphers and the integrity algorithms,
 * through the sa_crypto API (and hmac_compute / xcbc_compute for the
 * full, untruncated MACs). Every vector was checked against an
 * independent implementation (Python cryptography and hmac) before it
 * was written down here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/crypto_impl.h"
#include "tests/unit/crypto_test_util.h"

#define BUF 256

static struct sa_crypto *
new_sa(const char *cipher, const char *keyhex, bool encrypt)
{
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX];
	size_t klen = unhex(keyhex, key, sizeof(key));
	struct sa_crypto *c;

	c = sa_crypto_new(cipher_by_name(cipher), key, klen, NULL, NULL, 0,
	    encrypt);
	assert_non_null(c);
	return c;
}

/* Encrypts pt and decrypts ct with fresh contexts, both in place. */
static void
cbc_kat(const char *cipher, const char *key, const char *ivh, const char *pth,
    const char *cth)
{
	uint8_t iv[CRYPTO_IV_MAX], pt[BUF], ct[BUF], buf[BUF];
	size_t ivlen, ptlen, ctlen;
	struct sa_crypto *c;

	ivlen = unhex(ivh, iv, sizeof(iv));
	ptlen = unhex(pth, pt, sizeof(pt));
	ctlen = unhex(cth, ct, sizeof(ct));
	assert_int_equal(ptlen, ctlen);
	assert_int_equal(ivlen, cipher_by_name(cipher)->iv_len);

	c = new_sa(cipher, key, true);
	memcpy(buf, pt, ptlen);
	assert_int_equal(sa_cbc_encrypt(c, iv, buf, ptlen), 0);
	assert_memory_equal(buf, ct, ctlen);
	sa_crypto_free(c);

	c = new_sa(cipher, key, false);
	memcpy(buf, ct, ctlen);
	assert_int_equal(sa_cbc_decrypt(c, iv, buf, ctlen), 0);
	assert_memory_equal(buf, pt, ptlen);
	sa_crypto_free(c);
}

/* Integrity, the way ESP uses it: sa_mac gives the leftmost icv_len
 * bytes, sa_mac_verify takes them, on SAs of both directions; the
 * message is also split in two pieces everywhere, as the ESN high bits
 * split it (RFC 4303 2.2.1). The cipher half of the SA is incidental. */
static void
mac_kat(const char *auth, const uint8_t *key, size_t keylen,
    const uint8_t *msg, size_t len, const char *icvh)
{
	const struct auth_info *ai = auth_by_name(auth);
	uint8_t ckey[16] = { 0 }, want[CRYPTO_ICV_MAX], icv[CRYPTO_ICV_MAX];
	size_t split, step = len > 64 ? 37 : 1;
	struct sa_crypto *c;
	int enc;

	assert_non_null(ai);
	assert_int_equal(unhex(icvh, want, sizeof(want)), ai->icv_len);
	for (enc = 0; enc < 2; enc++) {
		c = sa_crypto_new(cipher_by_name("aes-cbc"), ckey,
		    sizeof(ckey), ai, key, keylen, enc == 1);
		assert_non_null(c);
		assert_int_equal(sa_crypto_icv_len(c), ai->icv_len);
		for (split = 0; split <= len; split += step) {
			memset(icv, 0, sizeof(icv));
			assert_int_equal(sa_mac(c, msg, split, msg + split,
			    len - split, icv), 0);
			assert_memory_equal(icv, want, ai->icv_len);
			assert_int_equal(sa_mac_verify(c, msg, split,
			    msg + split, len - split, want), 0);
		}
		want[ai->icv_len - 1] ^= 0x01;
		assert_int_equal(sa_mac_verify(c, msg, len, NULL, 0, want),
		    -1);
		want[ai->icv_len - 1] ^= 0x01;
		sa_crypto_free(c);
	}
}

static void
mac_kat_str(const char *auth, const char *key, const char *msg,
    const char *icvh)
{
	mac_kat(auth, (const uint8_t *)key, strlen(key),
	    (const uint8_t *)msg, strlen(msg), icvh);
}

/* The whole, untruncated HMAC through hmac_compute (crypto/hmac.c),
 * which sa_mac truncates: for the RFCs' full outputs and for keys
 * longer than sa_crypto_new takes. */
static void
hmac_kat(enum auth_id id, const uint8_t *key, size_t keylen,
    const uint8_t *msg, size_t len, const char *mdh)
{
	uint8_t want[HMAC_MD_MAX], md[HMAC_MD_MAX];
	size_t mdlen = unhex(mdh, want, sizeof(want));
	struct hmac_key *h;

	h = hmac_key_new(id, key, keylen);
	assert_non_null(h);
	assert_int_equal(hmac_len(h), mdlen);
	assert_int_equal(hmac_compute(h, msg, len, NULL, 0, md), 0);
	assert_memory_equal(md, want, mdlen);
	hmac_key_free(h);
}

static void
hmac_kat_str(enum auth_id id, const char *key, const char *msg,
    const char *mdh)
{
	hmac_kat(id, (const uint8_t *)key, strlen(key), (const uint8_t *)msg,
	    strlen(msg), mdh);
}

/* RFC 2202 section 2, test cases 1-3 (HMAC-MD5); hmac-md5-96 sends the
 * first 96 bits (RFC 2403 2). */
static void
test_hmac_md5_rfc2202(void **state)
{
	uint8_t k[16], d[50];

	(void)state;
	/* test_case 1 */
	memset(k, 0x0b, 16);
	hmac_kat(AUTH_HMAC_MD5_96, k, 16, (const uint8_t *)"Hi There", 8,
	    "9294727a3638bb1c13f48ef8158bfc9d");
	mac_kat("hmac-md5-96", k, 16, (const uint8_t *)"Hi There", 8,
	    "9294727a3638bb1c13f48ef8");
	/* test_case 2 */
	hmac_kat_str(AUTH_HMAC_MD5_96, "Jefe", "what do ya want for nothing?",
	    "750c783e6ab0b503eaa86e310a5db738");
	mac_kat_str("hmac-md5-96", "Jefe", "what do ya want for nothing?",
	    "750c783e6ab0b503eaa86e31");
	/* test_case 3 */
	memset(k, 0xaa, 16);
	memset(d, 0xdd, 50);
	hmac_kat(AUTH_HMAC_MD5_96, k, 16, d, 50,
	    "56be34521d144c88dbb8c733f0e8b3f6");
	mac_kat("hmac-md5-96", k, 16, d, 50, "56be34521d144c88dbb8c733");
}

/* RFC 4231 4.2 and 4.3 (test cases 1 and 2), HMAC-SHA-384 and -512 in
 * full, and as the ESP suites truncate them: RFC 4868 2.1.1 (192 and
 * 256 bits) and the pre-RFC 4868 96 bits. */
#define RFC4231_TC1_384 "afd03944d84895626b0825f4ab46907f" \
	"15f9dadbe4101ec682aa034c7cebc59c" \
	"faea9ea9076ede7f4af152e8b2fa9cb6"
#define RFC4231_TC1_512 "87aa7cdea5ef619d4ff0b4241a1d6cb0" \
	"2379f4e2ce4ec2787ad0b30545e17cde" \
	"daa833b7d6b8a702038b274eaea3f4e4" \
	"be9d914eeb61f1702e696c203a126854"
#define RFC4231_TC2_384 "af45d2e376484031617f78d2b58a6b1b" \
	"9c7ef464f5a01b47e42ec3736322445e" \
	"8e2240ca5e69e2c78b3239ecfab21649"
#define RFC4231_TC2_512 "164b7a7bfcf819e2e395fbe73b56e0a3" \
	"87bd64222e831fd610270cd7ea250554" \
	"9758bf75c05a994a6d034f65f8f0e6fd" \
	"caeab1a34d4a6b4b636e070a38bce737"

static void
test_hmac_sha384_512_rfc4231(void **state)
{
	uint8_t k[131];
	const char *tc6 = "Test Using Larger Than Block-Size Key - Hash Key "
	    "First";

	(void)state;
	/* 4.2, test case 1 */
	memset(k, 0x0b, 20);
	hmac_kat(AUTH_HMAC_SHA384_192, k, 20, (const uint8_t *)"Hi There", 8,
	    RFC4231_TC1_384);
	hmac_kat(AUTH_HMAC_SHA512_256, k, 20, (const uint8_t *)"Hi There", 8,
	    RFC4231_TC1_512);
	mac_kat("hmac-sha384-192", k, 20, (const uint8_t *)"Hi There", 8,
	    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6");
	mac_kat("hmac-sha512-256", k, 20, (const uint8_t *)"Hi There", 8,
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde");
	mac_kat("hmac-sha384-96", k, 20, (const uint8_t *)"Hi There", 8,
	    "afd03944d84895626b0825f4");
	mac_kat("hmac-sha512-96", k, 20, (const uint8_t *)"Hi There", 8,
	    "87aa7cdea5ef619d4ff0b424");
	/* 4.3, test case 2 */
	hmac_kat_str(AUTH_HMAC_SHA384_192, "Jefe",
	    "what do ya want for nothing?", RFC4231_TC2_384);
	hmac_kat_str(AUTH_HMAC_SHA512_256, "Jefe",
	    "what do ya want for nothing?", RFC4231_TC2_512);
	mac_kat_str("hmac-sha384-192", "Jefe", "what do ya want for nothing?",
	    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47");
	mac_kat_str("hmac-sha512-256", "Jefe", "what do ya want for nothing?",
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554");
	mac_kat_str("hmac-sha384-96", "Jefe", "what do ya want for nothing?",
	    "af45d2e376484031617f78d2");
	mac_kat_str("hmac-sha512-96", "Jefe", "what do ya want for nothing?",
	    "164b7a7bfcf819e2e395fbe7");
	/* 4.7, test case 6: a 131-byte key, longer than the 128-byte
	 * block, is hashed first; longer than sa_crypto_new takes, so
	 * through hmac_compute only. */
	memset(k, 0xaa, 131);
	hmac_kat(AUTH_HMAC_SHA384_192, k, 131, (const uint8_t *)tc6,
	    strlen(tc6),
	    "4ece084485813e9088d2c63a041bc5b4"
	    "4f9ef1012a2b588f3cd11f05033ac4c6"
	    "0c2ef6ab4030fe8296248df163f44952");
	hmac_kat(AUTH_HMAC_SHA512_256, k, 131, (const uint8_t *)tc6,
	    strlen(tc6),
	    "80b24263c7c1a3ebb71493c1dd7be8b4"
	    "9b46d1f41b4aeec1121b013783f8f352"
	    "6b56d037e05f2598bd0fd2215d6a1e52"
	    "95e64f73f63f0aec8b915a985d786598");
}

/* RFC 4868 2.7.2.2 and 2.7.2.3, test cases AUTH384-1 to -3 and
 * AUTH512-1 to -3: keys as long as the suites use (48, 64 bytes), the
 * truncated authenticators. */
static void
test_hmac_sha384_512_rfc4868(void **state)
{
	uint8_t k[64], d[50];
	char jefe[4 * 16 + 1];
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		memcpy(jefe + 4 * i, "Jefe", 4);
	/* AUTH384-1, AUTH512-1 */
	memset(k, 0x0b, 64);
	mac_kat("hmac-sha384-192", k, 48, (const uint8_t *)"Hi There", 8,
	    "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973");
	mac_kat("hmac-sha512-256", k, 64, (const uint8_t *)"Hi There", 8,
	    "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8");
	/* AUTH384-2, AUTH512-2: "Jefe" 12 and 16 times */
	jefe[48] = '\0';
	mac_kat_str("hmac-sha384-192", jefe, "what do ya want for nothing?",
	    "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d");
	memcpy(jefe + 48, "JefeJefeJefeJefe", 17);
	mac_kat_str("hmac-sha512-256", jefe, "what do ya want for nothing?",
	    "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454");
	/* AUTH384-3, AUTH512-3 */
	memset(k, 0xaa, 64);
	memset(d, 0xdd, 50);
	mac_kat("hmac-sha384-192", k, 48, d, 50,
	    "809f439be00274321d4a538652164b53554a508184a0c316");
	mac_kat("hmac-sha512-256", k, 64, d, 50,
	    "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8");
}

/* hmac-sha256-96, the pre-RFC 4868 truncation: the first 12 bytes of
 * RFC 4231 4.2 to 4.4 (test cases 1-3). */
static void
test_hmac_sha256_96_rfc4231(void **state)
{
	uint8_t k[20], d[50];

	(void)state;
	memset(k, 0x0b, 20);
	mac_kat("hmac-sha256-96", k, 20, (const uint8_t *)"Hi There", 8,
	    "b0344c61d8db38535ca8afce");
	mac_kat_str("hmac-sha256-96", "Jefe", "what do ya want for nothing?",
	    "5bdcc146bf60754e6a042426");
	memset(k, 0xaa, 20);
	memset(d, 0xdd, 50);
	mac_kat("hmac-sha256-96", k, 20, d, 50, "773ea91e36800e46854db8eb");
}

/* RFC 3566 4.6, test cases 1-7: key 000102..0f; messages 00 01 02 ...
 * of 0, 3, 16, 20, 32 and 34 bytes, and 1000 zero bytes. The full
 * 128-bit MAC through xcbc_compute, the 96 bits ESP sends through
 * sa_mac. scapy has no XCBC (only AES-CMAC-96), so these and the ESP
 * round trips are all the interop evidence there is. */
static void
test_aes_xcbc_mac_96_rfc3566(void **state)
{
	static const struct {
		size_t		 len;
		const char	*mac;
	} tc[] = {
		{ 0, "75f0251d528ac01c4573dfd584d79f29" },
		{ 3, "5b376580ae2f19afe7219ceef172756f" },
		{ 16, "d2a246fa349b68a79998a4394ff7a263" },
		{ 20, "47f51b4564966215b8985c63055ed308" },
		{ 32, "f54f0ec8d2b9f3d36807734bd5283fd4" },
		{ 34, "becbb3bccdb518a30677d5481fb6b4d8" },
		{ 1000, "f0dafee895db30253761103b5d84528f" },
	};
	uint8_t key[16], msg[1000], want[16], mac[16];
	char icv96[2 * 12 + 1];
	struct xcbc_key *x;
	size_t i, t;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	x = xcbc_key_new(key, sizeof(key));
	assert_non_null(x);
	for (t = 0; t < sizeof(tc) / sizeof(tc[0]); t++) {
		for (i = 0; i < tc[t].len; i++)
			msg[i] = tc[t].len == 1000 ? 0 : (uint8_t)i;
		assert_int_equal(unhex(tc[t].mac, want, sizeof(want)), 16);
		assert_int_equal(xcbc_compute(x, msg, tc[t].len, NULL, 0,
		    mac), 0);
		assert_memory_equal(mac, want, 16);
		/* RFC 3566 4.3: the first 96 bits */
		memcpy(icv96, tc[t].mac, 24);
		icv96[24] = '\0';
		mac_kat("aes-xcbc-mac-96", key, sizeof(key), msg, tc[t].len,
		    icv96);
	}
	xcbc_key_free(x);
	/* AES-128 only (RFC 3566 4.1). */
	assert_null(xcbc_key_new(key, 15));
	assert_null(xcbc_key_new(msg, 32));
}

/* Blowfish: Eric Young's variable key length vectors (Schneier's
 * vectors.txt, "set_key test data"): key = the first n bytes of
 * F0E1D2C3B4A5968778695A4B3C2D1E0F0011223344556677, ECB of FEDCBA9876543210,
 * which is CBC of one block with a zero IV. n = 5 (40 bits, RFC 2451's
 * least) to 24 are legal blowfish-cbc keys: each length must be honoured. */
static void
test_blowfish_set_key(void **state)
{
	static const char *ct[] = {
		"B39E44481BDB1E6E", "9457AA83B1928C0D", "8BB77032F960629D",
		"E87A244E2CC85E82", "15750E7A4F4EC577", "122BA70B3AB64AE0",
		"3A833C9AFFC537F6", "9409DA87A90F6BF2", "884F80625060B8B4",
		"1F85031C19E11968", "79D9373A714CA34F",
		"93142887EE3BE15C", "03429E838CE2D14B", "A4299E27469FF67B",
		"AFD5AED1C1BC96A8", "10851C0E3858DA9F", "E6F51ED79B9DB21F",
		"64A6E14AFD36B46F", "80C7D7D45A5479AD", "05044B62FA52D080",
	};
	const char *key = "F0E1D2C3B4A5968778695A4B3C2D1E0F0011223344556677";
	char k[64];
	size_t n;

	(void)state;
	for (n = 5; n <= 24; n++) {
		memcpy(k, key, 2 * n);
		k[2 * n] = '\0';
		cbc_kat("blowfish-cbc", k, "0000000000000000",
		    "FEDCBA9876543210", ct[n - 5]);
	}
}

/* Eric Young's CBC vector (vectors.txt): 128-bit key, 32 bytes. */
static void
test_blowfish_cbc(void **state)
{
	(void)state;
	cbc_kat("blowfish-cbc", "0123456789ABCDEFF0E1D2C3B4A59687",
	    "FEDCBA9876543210",
	    /* "7654321 Now is the time for " and four zero bytes */
	    "37363534333231204E6F77206973207468652074696D6520666F722000000000",
	    "6B77B4D63006DEE605B156E27403979358DEB9E7154616D959F1652BD5FF92CC");
}

/* 128-, 256- and 448-bit keys that share a prefix must encrypt
 * differently (openssl enc -bf-cbc would use 128 bits of all three). */
static void
test_blowfish_long_keys(void **state)
{
	const char *key = "0102030405060708090a0b0c0d0e0f10"
	    "1112131415161718191a1b1c1d1e1f20"
	    "2122232425262728292a2b2c2d2e2f30"
	    "3132333435363738";
	const char *iv = "0001020304050607";
	const char *pt = "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f";
	char k[2 * 56 + 1];

	(void)state;
	memcpy(k, key, 32);
	k[32] = '\0';
	cbc_kat("blowfish-cbc", k, iv, pt,
	    "77eb26cc8623dc44a3b0b57ceeee4cd3ff135d0688c6ba4ebb0eec12bae3b7db");
	memcpy(k, key, 64);
	k[64] = '\0';
	cbc_kat("blowfish-cbc", k, iv, pt,
	    "07cc8ed26b1d268df8e9ff88ada49bf1185b01866a7bc684aa3517729347ffbd");
	cbc_kat("blowfish-cbc", key, iv, pt,
	    "ad9f57f87c8855c1f41d9e57bf2b6df8eaaae9536ffd62ce814ac20d822e713b");
}

/* NIST TDES-CBC example (Cryptographic Standards examples, SP 800-67
 * keys): K1 0123456789ABCDEF, K2 23456789ABCDEF01, K3 456789ABCDEF0123. */
#define TDES_KEY "0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123"
#define TDES_IV "F69F2445DF4F9B17"
#define TDES_PT "6BC1BEE22E409F96E93D7E117393172A" \
	"AE2D8A571E03AC9C9EB76FAC45AF8E51"
#define TDES_CT "2079C3D53AA763E193B79E2569AB5262" \
	"516570481F25B50F73C0BDA85C8E0DA7"

static void
test_3des_cbc(void **state)
{
	(void)state;
	cbc_kat("3des-cbc", TDES_KEY, TDES_IV, TDES_PT, TDES_CT);
}

/* RFC 3602 section 4, cases 1-4 (AES-128-CBC). */
static void
test_aes_cbc_rfc3602(void **state)
{
	(void)state;
	cbc_kat("aes-cbc", "06a9214036b8a15b512e03d534120006",
	    "3dafba429d9eb430b422da802c9fac41",
	    "53696e676c6520626c6f636b206d7367",	/* "Single block msg" */
	    "e353779c1079aeb82708942dbe77181a");
	cbc_kat("aes-cbc", "c286696d887c9aa0611bbb3e2025a45a",
	    "562e17996d093d28ddb3ba695a2e6f58",
	    "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f",
	    "d296cd94c2cccf8a3a863028b5e1dc0a"
	    "7586602d253cfff91b8266bea6d61ab1");
	cbc_kat("aes-cbc", "6c3ea0477630ce21a2ce334aa746c2cd",
	    "c782dc4c098c66cbd9cd27d825682c81",
	    /* "This is a 48-byte message (exactly 3 AES blocks)" */
	    "5468697320697320612034382d627974"
	    "65206d657373616765202865786163746c"
	    "7920332041455320626c6f636b7329",
	    "d0a02b3836451753d493665d33f0e886"
	    "2dea54cdb293abc7506939276772f8d5"
	    "021c19216bad525c8579695d83ba2684");
	cbc_kat("aes-cbc", "56e47a38c5598974bc46903dba290349",
	    "8ce82eefbea0da3c44699ed7db51b7d9",
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
	    "c30e32ffedc0774e6aff6af0869f71aa"
	    "0f3af07a9a31a9c684db207eb0ef8e4e"
	    "35907aa632c3ffdf868bb7b29d3d46ad"
	    "83ce9f9a102ee99d49a53e87f4c3da55");
}

/* NIST SP 800-38A F.2.5 / F.2.6 (CBC-AES256). */
#define AES256_KEY "603deb1015ca71be2b73aef0857d7781" \
	"1f352c073b6108d72d9810a30914dff4"
#define AES256_IV "000102030405060708090a0b0c0d0e0f"
#define AES256_PT "6bc1bee22e409f96e93d7e117393172a" \
	"ae2d8a571e03ac9c9eb76fac45af8e51" \
	"30c81c46a35ce411e5fbc1191a0a52ef" \
	"f69f2445df4f9b17ad2b417be66c3710"
#define AES256_CT "f58c4c04d6e5f1ba779eabfb5f7bfbd6" \
	"9cfc4e967edb808d679f777bc6702c7d" \
	"39f23369a9d9bacfa530e26304231461" \
	"b2eb05e2c39be9fcda6c19078c6a9d1b"

static void
test_aes_cbc_256(void **state)
{
	(void)state;
	cbc_kat("aes-cbc", AES256_KEY, AES256_IV, AES256_PT, AES256_CT);
}

/* One context, several packets with different IVs: packet 2 is the tail
 * of the reference vector with the IV set to the ciphertext block before
 * it (CBC chaining), so it has a known answer too. Proves the per-packet
 * IV reset keeps the key and leaves no state behind. */
static void
cbc_reuse(const char *cipher, const char *key, const char *ivh,
    const char *pth, const char *cth)
{
	uint8_t iv[CRYPTO_IV_MAX], pt[BUF], ct[BUF], buf[BUF];
	size_t bs = cipher_by_name(cipher)->block, len, round;
	struct sa_crypto *e, *d;

	(void)unhex(ivh, iv, sizeof(iv));
	len = unhex(pth, pt, sizeof(pt));
	(void)unhex(cth, ct, sizeof(ct));
	e = new_sa(cipher, key, true);
	d = new_sa(cipher, key, false);
	for (round = 0; round < 3; round++) {
		memcpy(buf, pt, len);
		assert_int_equal(sa_cbc_encrypt(e, iv, buf, len), 0);
		assert_memory_equal(buf, ct, len);
		memcpy(buf, pt + bs, len - bs);
		assert_int_equal(sa_cbc_encrypt(e, ct, buf, len - bs), 0);
		assert_memory_equal(buf, ct + bs, len - bs);

		memcpy(buf, ct, len);
		assert_int_equal(sa_cbc_decrypt(d, iv, buf, len), 0);
		assert_memory_equal(buf, pt, len);
		memcpy(buf, ct + bs, len - bs);
		assert_int_equal(sa_cbc_decrypt(d, ct, buf, len - bs), 0);
		assert_memory_equal(buf, pt + bs, len - bs);
	}
	sa_crypto_free(e);
	sa_crypto_free(d);
}

static void
test_cbc_reuse(void **state)
{
	(void)state;
	cbc_reuse("blowfish-cbc", "0123456789ABCDEFF0E1D2C3B4A59687",
	    "FEDCBA9876543210",
	    "37363534333231204E6F77206973207468652074696D6520666F722000000000",
	    "6B77B4D63006DEE605B156E27403979358DEB9E7154616D959F1652BD5FF92CC");
	cbc_reuse("3des-cbc", TDES_KEY, TDES_IV, TDES_PT, TDES_CT);
	cbc_reuse("aes-cbc", AES256_KEY, AES256_IV, AES256_PT, AES256_CT);
}

static void
test_cbc_bad_length(void **state)
{
	uint8_t iv[16] = { 0 }, buf[32] = { 0 };
	struct sa_crypto *c;

	(void)state;
	c = new_sa("aes-cbc", AES256_KEY, true);
	assert_int_equal(sa_cbc_encrypt(c, iv, buf, 15), -1);
	assert_int_equal(sa_cbc_encrypt(c, iv, buf, 17), -1);
	/* Wrong direction and wrong mode are refused, not guessed. */
	assert_int_equal(sa_cbc_decrypt(c, iv, buf, 16), -1);
	assert_int_equal(sa_aead_encrypt(c, iv, buf, 8, buf, 16, buf), -1);
	/* and the context still works afterwards */
	assert_int_equal(sa_cbc_encrypt(c, iv, buf, 32), 0);
	sa_crypto_free(c);
}

/* FIPS 81 appendix C, table C1 (the CBC example): "Now is the time for
 * all " under key 0123456789abcdef, IV 1234567890abcdef. */
static void
test_des_cbc(void **state)
{
	(void)state;
	cbc_kat("des-cbc", "0123456789abcdef", "1234567890abcdef",
	    "4e6f77206973207468652074696d6520666f7220616c6c20",
	    "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6");
	cbc_reuse("des-cbc", "0123456789abcdef", "1234567890abcdef",
	    "4e6f77206973207468652074696d6520666f7220616c6c20",
	    "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6");
}

/* RFC 2144 appendix B.1: one block under 128-, 80- and 40-bit keys, ECB,
 * which is CBC of one block with a zero IV. The shorter keys run 12
 * rounds (RFC 2144 2.5): each length must reach the cipher as it is. */
static void
test_cast128(void **state)
{
	(void)state;
	cbc_kat("cast128-cbc", "0123456712345678234567893456789A",
	    "0000000000000000", "0123456789ABCDEF", "238B4FE5847E44B2");
	cbc_kat("cast128-cbc", "01234567123456782345",
	    "0000000000000000", "0123456789ABCDEF", "EB6A711A2C02271B");
	cbc_kat("cast128-cbc", "0123456712",
	    "0000000000000000", "0123456789ABCDEF", "7AC816D16E9B302E");
}

/* CTR and NULL refuse auth none: these SAs carry hmac-sha1-96. */
static struct sa_crypto *
new_sa_mac(const char *cipher, const char *keyhex, bool encrypt)
{
	static const uint8_t ak[20] = { 1, 2, 3 };
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX];
	size_t klen = unhex(keyhex, key, sizeof(key));
	struct sa_crypto *c;

	c = sa_crypto_new(cipher_by_name(cipher), key, klen,
	    auth_by_name("hmac-sha1-96"), ak, sizeof(ak), encrypt);
	assert_non_null(c);
	return c;
}

/* Key material is key || nonce (RFC 3686 5); both directions, and the
 * vector twice on one SA (nothing carried over between packets). */
static void
ctr_kat(const char *key, const char *nonce, const char *ivh, const char *pth,
    const char *cth)
{
	char km[2 * (CRYPTO_KEY_MAX + CRYPTO_SALT_MAX) + 1];
	uint8_t iv[8], pt[BUF], ct[BUF], buf[BUF];
	size_t len, round;
	struct sa_crypto *e, *d;

	assert_int_equal(unhex(ivh, iv, sizeof(iv)), 8);
	len = unhex(pth, pt, sizeof(pt));
	assert_int_equal(unhex(cth, ct, sizeof(ct)), len);
	snprintf(km, sizeof(km), "%s%s", key, nonce);
	e = new_sa_mac("aes-ctr", km, true);
	d = new_sa_mac("aes-ctr", km, false);
	for (round = 0; round < 2; round++) {
		memcpy(buf, pt, len);
		assert_int_equal(sa_ctr_crypt(e, iv, buf, len), 0);
		assert_memory_equal(buf, ct, len);
		assert_int_equal(sa_ctr_crypt(d, iv, buf, len), 0);
		assert_memory_equal(buf, pt, len);
	}
	sa_crypto_free(e);
	sa_crypto_free(d);
}

/* RFC 3686 section 6, test vectors #1, #2, #3 (128-bit key: one block,
 * two blocks, a partial third block), #4 (192) and #7 (256). */
static void
test_aes_ctr_rfc3686(void **state)
{
	(void)state;
	/* #1: "Single block msg" */
	ctr_kat("AE6852F8121067CC4BF7A5765577F39E", "00000030",
	    "0000000000000000", "53696E676C6520626C6F636B206D7367",
	    "E4095D4FB7A7B3792D6175A3261311B8");
	/* #2 */
	ctr_kat("7E24067817FAE0D743D6CE1F32539163", "006CB6DB",
	    "C0543B59DA48D90B",
	    "000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191A1B1C1D1E1F",
	    "5104A106168A72D9790D41EE8EDAD388"
	    "EB2E1EFC46DA57C8FCE630DF9141BE28");
	/* #3: 36 bytes */
	ctr_kat("7691BE035E5020A8AC6E618529F9A0DC", "00E0017B",
	    "27777F3F4A1786F0",
	    "000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191A1B1C1D1E1F20212223",
	    "C1CF48A89F2FFDD9CF4652E9EFDB72D7"
	    "4540A42BDE6D7836D59A5CEAAEF31053"
	    "25B2072F");
	/* #4: 192-bit key */
	ctr_kat("16AF5B145FC9F579C175F93E3BFB0EED863D06CCFDB78515",
	    "00000048", "36733C147D6D93CB",
	    "53696E676C6520626C6F636B206D7367",
	    "4B55384FE259C9C84E7935A003CBE928");
	/* #7: 256-bit key */
	ctr_kat("776BEFF2851DB06F4C8A0542C8696F6C"
	    "6A81AF1EEC96B4D37FC1D689E6C1C104", "00000060",
	    "DB5672C97AA8F0B2", "53696E676C6520626C6F636B206D7367",
	    "145AD01DBF824EC7560863DC71E3E0C0");
}

/* A packet longer than one call into OpenSSL (sa_ctr_crypt works in
 * chunks): the counter must run on across them. Checked against the
 * single-block vector #1 of RFC 3686: block k's key stream is AES of
 * nonce || IV || k, so shifting the message by whole blocks must
 * agree with the same bytes encrypted from the start. */
static void
test_aes_ctr_long(void **state)
{
	uint8_t iv[8] = { 0 }, a[1500], b[1500];
	struct sa_crypto *c;
	size_t i;

	(void)state;
	c = new_sa_mac("aes-ctr", "AE6852F8121067CC4BF7A5765577F39E00000030",
	    true);
	for (i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	memset(b, 0, sizeof(b));
	/* The key stream alone (of zeros), then the data: XOR agrees. */
	assert_int_equal(sa_ctr_crypt(c, iv, b, sizeof(b)), 0);
	assert_int_equal(sa_ctr_crypt(c, iv, a, sizeof(a)), 0);
	for (i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i] ^ b[i], (uint8_t)i);
	/* #1's first key-stream block is E4095D4F.. ^ "Single block msg" */
	assert_int_equal(b[0], 0xE4 ^ 'S');
	assert_int_equal(b[15], 0xB8 ^ 'g');
	/* No two blocks of the stream are equal (the counter moved). */
	for (i = 16; i + 16 <= sizeof(b); i += 16)
		assert_memory_not_equal(b, b + i, 16);
	sa_crypto_free(c);
}

/* RFC 2410 2: NULL(P, K) = P, with no key and no IV; ESP's round trip
 * (test_esp_roundtrip) checks the wire bytes. Here: the SA exists
 * without key bytes, refuses any, and is no CBC or CTR SA. */
static void
test_null(void **state)
{
	static const uint8_t ak[20] = { 1 };
	uint8_t key[1] = { 0 }, iv[16] = { 0 }, buf[16] = { 0 };
	const struct cipher_info *ci = cipher_by_name("null");
	struct sa_crypto *c;

	(void)state;
	assert_non_null(ci);
	assert_int_equal(ci->iv_len, 0);
	assert_int_equal(ci->key_max, 0);
	c = sa_crypto_new(ci, NULL, 0, auth_by_name("hmac-sha1-96"), ak,
	    sizeof(ak), true);
	assert_non_null(c);
	assert_int_equal(sa_cbc_encrypt(c, iv, buf, 16), -1);
	assert_int_equal(sa_ctr_crypt(c, iv, buf, 16), -1);
	sa_crypto_free(c);
	assert_null(sa_crypto_new(ci, key, 1, auth_by_name("hmac-sha1-96"),
	    ak, sizeof(ak), true));
}

/* RFC 3686 2, RFC 4303 3.2: neither CTR nor NULL goes without
 * integrity, and CTR's key material must carry the nonce. */
static void
test_ctr_null_need_auth(void **state)
{
	uint8_t key[20] = { 0 };

	(void)state;
	assert_null(sa_crypto_new(cipher_by_name("aes-ctr"), key, 20, NULL,
	    NULL, 0, true));
	assert_null(sa_crypto_new(cipher_by_name("null"), NULL, 0,
	    auth_by_name("none"), NULL, 0, false));
	assert_null(sa_crypto_new(cipher_by_name("aes-ctr"), key, 16,
	    auth_by_name("hmac-sha1-96"), key, 20, true));
}

/* AEAD: key material is key || salt, the IV on the wire is 8 bytes. */
static void
aead_kat(const char *cipher, const char *key, const char *ivh,
    const char *aadh, const char *pth, const char *cth, const char *tagh)
{
	uint8_t iv[8], aad[64], pt[BUF], ct[BUF], tag[16], buf[BUF], t[16];
	size_t aadlen, len;
	struct sa_crypto *c;

	assert_int_equal(unhex(ivh, iv, sizeof(iv)), 8);
	aadlen = unhex(aadh, aad, sizeof(aad));
	len = unhex(pth, pt, sizeof(pt));
	assert_int_equal(unhex(cth, ct, sizeof(ct)), len);
	assert_int_equal(unhex(tagh, tag, sizeof(tag)), 16);

	c = new_sa(cipher, key, true);
	assert_int_equal(sa_crypto_icv_len(c), 16);
	memcpy(buf, pt, len);
	assert_int_equal(sa_aead_encrypt(c, iv, aad, aadlen, buf, len, t), 0);
	assert_memory_equal(buf, ct, len);
	assert_memory_equal(t, tag, 16);
	sa_crypto_free(c);

	c = new_sa(cipher, key, false);
	memcpy(buf, ct, len);
	assert_int_equal(sa_aead_decrypt(c, iv, aad, aadlen, buf, len, tag),
	    0);
	assert_memory_equal(buf, pt, len);
	sa_crypto_free(c);
}

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test cases with
 * IV cafebabefacedbaddecaf888 = salt cafebabe || IV facedbaddecaf888. */
#define GCM_K128 "feffe9928665731c6d6a8f9467308308"
#define GCM_SALT "cafebabe"
#define GCM_IV "facedbaddecaf888"
#define GCM_AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_P60 "d9313225f88406e5a55909c5aff5269a" \
	"86a7a9531534f7da2e4c303d8a318a72" \
	"1c3c0c95956809532fcf0e2449a6b525" \
	"b16aedf5aa0de657ba637b39"
#define GCM_P64 GCM_P60 "1aafd255"
#define GCM_C60_128 "42831ec2217774244b7221b784d0d49c" \
	"e3aa212f2c02a4e035c17e2329aca12e" \
	"21d514b25466931c7d8f6a5aac84aa05" \
	"1ba30b396a0aac973d58e091"
#define GCM_C64_128 GCM_C60_128 "473f5985"
#define GCM_C60_256 "522dc1f099567d07f47f37a32a84427d" \
	"643a8cdcbfe5c0c97598a2bd2555d1aa" \
	"8cb08e48590dbb3da7b08b1056828838" \
	"c5f61e6393ba7a0abcc9f662"
#define GCM_C64_256 GCM_C60_256 "898015ad"

static void
test_aes_gcm(void **state)
{
	(void)state;
	/* Test Case 3 and 4 (AES-128) */
	aead_kat("aes-gcm", GCM_K128 GCM_SALT, GCM_IV, "", GCM_P64,
	    GCM_C64_128, "4d5c2af327cd64a62cf35abd2ba6fab4");
	aead_kat("aes-gcm", GCM_K128 GCM_SALT, GCM_IV, GCM_AAD, GCM_P60,
	    GCM_C60_128, "5bc94fbc3221a5db94fae95ae7121a47");
	/* Test Case 15 and 16 (AES-256) */
	aead_kat("aes-gcm", GCM_K128 GCM_K128 GCM_SALT, GCM_IV, "", GCM_P64,
	    GCM_C64_256, "b094dac5d93471bdec1a502270e3cc6c");
	aead_kat("aes-gcm", GCM_K128 GCM_K128 GCM_SALT, GCM_IV, GCM_AAD,
	    GCM_P60, GCM_C60_256, "76fc6ece0f4e1768cddf8853bb2d551b");
}

/* RFC 8439 2.8.2: nonce 07000000 4041424344454647 = salt || IV. */
#define CC_KEY "808182838485868788898a8b8c8d8e8f" \
	"909192939495969798999a9b9c9d9e9f"
#define CC_SALT "07000000"
#define CC_IV "4041424344454647"
#define CC_AAD "50515253c0c1c2c3c4c5c6c7"
/* "Ladies and Gentlemen of the class of '99: If I could offer you only
 * one tip for the future, sunscreen would be it." */
#define CC_PT "4c616469657320616e642047656e746c" \
	"656d656e206f662074686520636c6173" \
	"73206f66202739393a20496620492063" \
	"6f756c64206f6666657220796f75206f" \
	"6e6c79206f6e652074697020666f7220" \
	"746865206675747572652c2073756e73" \
	"637265656e20776f756c642062652069" \
	"742e"
#define CC_CT "d31a8d34648e60db7b86afbc53ef7ec2" \
	"a4aded51296e08fea9e2b5a736ee62d6" \
	"3dbea45e8ca9671282fafb69da92728b" \
	"1a71de0a9e060b2905d6a5b67ecd3b36" \
	"92ddbd7f2d778b8c9803aee328091b58" \
	"fab324e4fad675945585808b4831d7bc" \
	"3ff4def08e4b7a9de576d26586cec64b" \
	"6116"
#define CC_TAG "1ae10b594f09e26a7e902ecbd0600691"

static void
test_chacha20_poly1305(void **state)
{
	(void)state;
	aead_kat("chacha20-poly1305", CC_KEY CC_SALT, CC_IV, CC_AAD, CC_PT,
	    CC_CT, CC_TAG);
}

/* A flipped bit anywhere (ciphertext, tag, AAD, IV) fails, leaves no
 * plaintext behind, and the context still decrypts the genuine packet. */
static void
aead_tamper(const char *cipher, const char *key, const char *ivh,
    const char *aadh, const char *pth, const char *cth, const char *tagh)
{
	uint8_t iv[8], aad[64], pt[BUF], ct[BUF], tag[16], buf[BUF];
	uint8_t zero[BUF] = { 0 };
	size_t aadlen, len, what;
	struct sa_crypto *c;

	(void)unhex(ivh, iv, sizeof(iv));
	aadlen = unhex(aadh, aad, sizeof(aad));
	len = unhex(pth, pt, sizeof(pt));
	(void)unhex(cth, ct, sizeof(ct));
	(void)unhex(tagh, tag, sizeof(tag));
	c = new_sa(cipher, key, false);
	for (what = 0; what < 4; what++) {
		if (what == 2 && aadlen == 0)
			continue;
		memcpy(buf, ct, len);
		switch (what) {
		case 0:
			buf[len / 2] ^= 0x01;
			break;
		case 1:
			tag[15] ^= 0x80;
			break;
		case 2:
			aad[0] ^= 0x10;
			break;
		case 3:
			iv[7] ^= 0x01;
			break;
		}
		assert_int_equal(sa_aead_decrypt(c, iv, aad, aadlen, buf, len,
		    tag), -1);
		assert_memory_equal(buf, zero, len);
		switch (what) {
		case 1:
			tag[15] ^= 0x80;
			break;
		case 2:
			aad[0] ^= 0x10;
			break;
		case 3:
			iv[7] ^= 0x01;
			break;
		}
		memcpy(buf, ct, len);
		assert_int_equal(sa_aead_decrypt(c, iv, aad, aadlen, buf, len,
		    tag), 0);
		assert_memory_equal(buf, pt, len);
	}
	sa_crypto_free(c);
}

static void
test_aead_tamper(void **state)
{
	(void)state;
	aead_tamper("aes-gcm", GCM_K128 GCM_SALT, GCM_IV, GCM_AAD, GCM_P60,
	    GCM_C60_128, "5bc94fbc3221a5db94fae95ae7121a47");
	aead_tamper("aes-gcm", GCM_K128 GCM_K128 GCM_SALT, GCM_IV, "",
	    GCM_P64, GCM_C64_256, "b094dac5d93471bdec1a502270e3cc6c");
	aead_tamper("chacha20-poly1305", CC_KEY CC_SALT, CC_IV, CC_AAD, CC_PT,
	    CC_CT, CC_TAG);
}

#define GCM_REUSE_CT \
	"557598bc0cca7a5ca1e3b8af4d7447d8" \
	"d9757dc4c4f5f4ecdc4e8b89fa69708b" \
	"4e48d148e17853bfc031a50cd63f75b2" \
	"b7c346bf2c252dde23e3e871"
#define GCM_REUSE_TAG "d3193d52ccdf27a3b2d06b2e6f647051"
#define CC_REUSE_CT \
	"7787f134a805ee5c8370bfee72c115c4" \
	"70b0c37942340ba1af8b913d62547550" \
	"5dd0cebd683b8c40e29e9216619bc7ac" \
	"24dbe72d548b5574ae4495cec263556c" \
	"c3357ee4d949458edeace196a6a283fc" \
	"fdf0b019c8bd5847d8a9084b6c71aad4" \
	"e18b58944489419cdfe526571f0aebc8" \
	"9fea"
#define CC_REUSE_TAG "688a63f2d1f6d957a2d97fa272f011f1"

/* Two packets in a row on one context with different IVs (sequence
 * numbers 1 then the vector's IV); the first reference was computed with
 * Python cryptography (AESGCM / ChaCha20Poly1305) for nonce salt||IV. */
static void
aead_reuse(const char *cipher, const char *key, const char *iv2h,
    const char *aadh, const char *pth, const char *ct1h, const char *tag1h,
    const char *ct2h, const char *tag2h)
{
	uint8_t iv1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 }, iv2[8], aad[64];
	uint8_t pt[BUF], ct1[BUF], ct2[BUF], tag1[16], tag2[16], buf[BUF];
	uint8_t t[16];
	size_t aadlen, len, round;
	struct sa_crypto *e, *d;

	(void)unhex(iv2h, iv2, sizeof(iv2));
	aadlen = unhex(aadh, aad, sizeof(aad));
	len = unhex(pth, pt, sizeof(pt));
	assert_int_equal(unhex(ct1h, ct1, sizeof(ct1)), len);
	assert_int_equal(unhex(ct2h, ct2, sizeof(ct2)), len);
	(void)unhex(tag1h, tag1, sizeof(tag1));
	(void)unhex(tag2h, tag2, sizeof(tag2));
	e = new_sa(cipher, key, true);
	d = new_sa(cipher, key, false);
	for (round = 0; round < 2; round++) {
		memcpy(buf, pt, len);
		assert_int_equal(sa_aead_encrypt(e, iv1, aad, aadlen, buf, len,
		    t), 0);
		assert_memory_equal(buf, ct1, len);
		assert_memory_equal(t, tag1, 16);
		memcpy(buf, pt, len);
		assert_int_equal(sa_aead_encrypt(e, iv2, aad, aadlen, buf, len,
		    t), 0);
		assert_memory_equal(buf, ct2, len);
		assert_memory_equal(t, tag2, 16);

		memcpy(buf, ct1, len);
		assert_int_equal(sa_aead_decrypt(d, iv1, aad, aadlen, buf, len,
		    tag1), 0);
		assert_memory_equal(buf, pt, len);
		memcpy(buf, ct2, len);
		assert_int_equal(sa_aead_decrypt(d, iv2, aad, aadlen, buf, len,
		    tag2), 0);
		assert_memory_equal(buf, pt, len);
	}
	sa_crypto_free(e);
	sa_crypto_free(d);
}

static void
test_aead_reuse(void **state)
{
	(void)state;
	aead_reuse("aes-gcm", GCM_K128 GCM_SALT, GCM_IV, GCM_AAD, GCM_P60,
	    GCM_REUSE_CT, GCM_REUSE_TAG, GCM_C60_128,
	    "5bc94fbc3221a5db94fae95ae7121a47");
	aead_reuse("chacha20-poly1305", CC_KEY CC_SALT, CC_IV, CC_AAD, CC_PT,
	    CC_REUSE_CT, CC_REUSE_TAG, CC_CT, CC_TAG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_md5_rfc2202),
		cmocka_unit_test(test_hmac_sha384_512_rfc4231),
		cmocka_unit_test(test_hmac_sha384_512_rfc4868),
		cmocka_unit_test(test_hmac_sha256_96_rfc4231),
		cmocka_unit_test(test_aes_xcbc_mac_96_rfc3566),
		cmocka_unit_test(test_blowfish_set_key),
		cmocka_unit_test(test_blowfish_cbc),
		cmocka_unit_test(test_blowfish_long_keys),
		cmocka_unit_test(test_3des_cbc),
		cmocka_unit_test(test_aes_cbc_rfc3602),
		cmocka_unit_test(test_aes_cbc_256),
		cmocka_unit_test(test_cbc_reuse),
		cmocka_unit_test(test_cbc_bad_length),
		cmocka_unit_test(test_des_cbc),
		cmocka_unit_test(test_cast128),
		cmocka_unit_test(test_aes_ctr_rfc3686),
		cmocka_unit_test(test_aes_ctr_long),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_ctr_null_need_auth),
		cmocka_unit_test(test_aes_gcm),
		cmocka_unit_test(test_chacha20_poly1305),
		cmocka_unit_test(test_aead_tamper),
		cmocka_unit_test(test_aead_reuse),
	};

	return cmocka_run_group_tests(tests, crypto_group_setup,
	    crypto_group_teardown);
}
