/* ESP encap/decap for every suite, wire layout (RFC 4303 2), inbound
 * order (3.4), hostile input, and known answers from scapy. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"
#include "src/esp/esp_internal.h"
#include "util/log.h"

#include "esp_kat.h"

struct suite {
	const char *cipher;
	size_t      keylen;     /* without salt */
	const char *auth;
};

static const struct suite suites[] = {
	{ "blowfish-cbc", 16, "none" },
	{ "blowfish-cbc", 16, "hmac-sha1-96" },
	{ "blowfish-cbc", 16, "hmac-sha256-128" },
	{ "blowfish-cbc", 32, "none" },
	{ "blowfish-cbc", 32, "hmac-sha1-96" },
	{ "blowfish-cbc", 32, "hmac-sha256-128" },
	{ "blowfish-cbc", 56, "none" },
	{ "blowfish-cbc", 56, "hmac-sha1-96" },
	{ "blowfish-cbc", 56, "hmac-sha256-128" },
	{ "3des-cbc", 24, "none" },
	{ "3des-cbc", 24, "hmac-sha1-96" },
	{ "3des-cbc", 24, "hmac-sha256-128" },
	{ "aes-cbc", 16, "none" },
	{ "aes-cbc", 16, "hmac-sha1-96" },
	{ "aes-cbc", 16, "hmac-sha256-128" },
	{ "aes-cbc", 32, "none" },
	{ "aes-cbc", 32, "hmac-sha1-96" },
	{ "aes-cbc", 32, "hmac-sha256-128" },
	{ "aes-gcm", 16, "none" },
	{ "aes-gcm", 32, "none" },
	{ "chacha20-poly1305", 32, "none" },
	/* KAME's authenticators (S_KAME_FIRST on) */
	{ "aes-cbc", 16, "hmac-md5-96" },
	{ "aes-cbc", 16, "hmac-sha384-192" },
	{ "aes-cbc", 16, "hmac-sha512-256" },
	{ "aes-cbc", 16, "hmac-sha256-96" },
	{ "aes-cbc", 16, "hmac-sha384-96" },
	{ "aes-cbc", 16, "hmac-sha512-96" },
	{ "aes-cbc", 16, "aes-xcbc-mac-96" },
	{ "3des-cbc", 24, "hmac-md5-96" },
	{ "blowfish-cbc", 56, "hmac-sha512-256" },
	/* KAME's: RFC 2405, RFC 2451 (CAST), RFC 3686, RFC 2410. */
	{ "des-cbc", 8, "hmac-sha1-96" },
	{ "cast128-cbc", 5, "hmac-sha1-96" },
	{ "cast128-cbc", 16, "hmac-sha256-128" },
	{ "aes-ctr", 16, "hmac-sha1-96" },
	{ "aes-ctr", 24, "hmac-sha256-128" },
	{ "aes-ctr", 32, "hmac-sha1-96" },
	{ "null", 0, "hmac-sha1-96" },
	{ "null", 0, "hmac-sha256-128" },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* An outbound SA and the peer's inbound SA with the same keys. */
struct pair {
	const struct suite       *suite;
	const struct cipher_info *ci;
	const struct auth_info   *ai;
	struct esp_sa out, in;
	size_t icv;
};

static struct pkt pk, pk2;      /* big: keep them off the stack */
static uint8_t wire[PKT_BUFSZ], inner[PKT_BUFSZ];

static bool
authenticated(const struct pair *pp)
{
	return cipher_is_aead(pp->ci) || pp->ai->id != AUTH_NONE;
}

/* key_seed != auth_seed lets a test give the peer a wrong key. */
static struct sa_crypto *
mk_crypto(const struct suite *s, bool enc, uint8_t key_seed,
    uint8_t auth_seed)
{
	const struct cipher_info *ci = cipher_by_name(s->cipher);
	const struct auth_info *ai = auth_by_name(s->auth);
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX], ak[CRYPTO_AUTHKEY_MAX];
	size_t i, kl;
	struct sa_crypto *c;

	assert_non_null(ci);
	assert_non_null(ai);
	kl = s->keylen + ci->salt_len;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(key_seed + 7 * i);
	for (i = 0; i < sizeof(ak); i++)
		ak[i] = (uint8_t)(auth_seed ^ (3 * i));
	c = sa_crypto_new(ci, key, kl, ai, ai->key_len ? ak : NULL,
	    ai->key_len, enc);
	assert_non_null(c);
	return c;
}

static void
pair_init_keys(struct pair *pp, const struct suite *s, bool esn,
    uint8_t in_key, uint8_t in_auth)
{
	memset(pp, 0, sizeof(*pp));
	pp->suite = s;
	pp->ci = cipher_by_name(s->cipher);
	pp->ai = auth_by_name(s->auth);
	pp->out.spi = pp->in.spi = 0xc0de0000u | (uint32_t)(s - suites);
	pp->out.esn = pp->in.esn = esn;
	pp->out.crypto = mk_crypto(s, true, 0x11, 0x22);
	pp->in.crypto = mk_crypto(s, false, in_key, in_auth);
	assert_int_equal(replay_init(&pp->in.replay, 64, esn), 0);
	pp->icv = sa_crypto_icv_len(pp->out.crypto);
}

static void
pair_init(struct pair *pp, const struct suite *s, bool esn)
{
	pair_init_keys(pp, s, esn, 0x11, 0x22);
}

static void
pair_free(struct pair *pp)
{
	sa_crypto_free(pp->out.crypto);
	sa_crypto_free(pp->in.crypto);
	replay_free(&pp->in.replay);
}

static void
fill_inner(struct pkt *p, size_t len, uint8_t seed)
{
	size_t i;

	pkt_reset(p);
	for (i = 0; i < len; i++)
		p->buf[p->off + i] = (uint8_t)(seed + i * 13);
	p->len = len;
}

/* Puts len bytes into a fresh pkt at the usual offset. */
static void
load(struct pkt *p, const uint8_t *b, size_t len)
{
	pkt_reset(p);
	memcpy(pkt_data(p), b, len);
	p->len = len;
}

struct rsnap {
	uint64_t top;
	uint64_t bits[64 / 64];
};

/* The whole window, for any size. */
struct wsnap {
	uint64_t top;
	uint32_t size;
	uint64_t bits[REPLAY_WINDOW_MAX / 64];
};

static void
wsnap_take(const struct replay *r, struct wsnap *s)
{
	s->top = r->top;
	s->size = r->size;
	memcpy(s->bits, r->bits, r->size / 8);
}

static void
wsnap_same(const struct replay *r, const struct wsnap *s)
{
	assert_int_equal(r->top, s->top);
	assert_int_equal(r->size, s->size);
	assert_memory_equal(r->bits, s->bits, r->size / 8);
}

/* What the engine does on an SA with integrity: esp_decap, then on ESP_OK
 * esp_accept. On the way it checks that esp_decap itself left the window
 * alone, whatever it returned (RFC 4303 3.4.3: the caller commits). */
static enum esp_drop
decap_seq(struct esp_sa *sa, struct pkt *p, uint8_t *nh, bool skip_icv,
    uint64_t *seq)
{
	static struct wsnap before;
	enum esp_drop rc;

	wsnap_take(&sa->replay, &before);
	*seq = 0;
	rc = esp_decap(sa, p, nh, seq, skip_icv);
	wsnap_same(&sa->replay, &before);
	if (rc == ESP_OK) {
		assert_int_not_equal(*seq, 0);
		assert_int_equal(esp_accept(sa, *seq), *seq > before.top);
		assert_int_equal(sa->replay.top,
		    *seq > before.top ? *seq : before.top);
	}
	return rc;
}

static enum esp_drop
decap(struct esp_sa *sa, struct pkt *p, uint8_t *nh, bool skip_icv)
{
	uint64_t seq;

	return decap_seq(sa, p, nh, skip_icv, &seq);
}

static void
rsnap_take(const struct replay *r, struct rsnap *s)
{
	s->top = r->top;
	memcpy(s->bits, r->bits, sizeof(s->bits));
}

static void
rsnap_same(const struct replay *r, const struct rsnap *s)
{
	assert_int_equal(r->top, s->top);
	assert_memory_equal(r->bits, s->bits, sizeof(s->bits));
}

static size_t
ct_len(const struct pair *pp, size_t inlen)
{
	size_t b = pp->ci->block;

	return (inlen + 2 + b - 1) / b * b;
}

static size_t
min_len(const struct pair *pp)
{
	return ESP_HDR_LEN + pp->ci->iv_len + ct_len(pp, 0) + pp->icv;
}

/* Encap, check the layout, decap, compare. */
static void
roundtrip_one(struct pair *pp, size_t len, uint8_t nh)
{
	const size_t front = ESP_HDR_LEN + pp->ci->iv_len;
	size_t ctl = ct_len(pp, len), i;
	uint64_t seq, got_seq;
	uint8_t got_nh = 0;

	fill_inner(&pk, len, (uint8_t)len);
	memcpy(inner, pkt_data(&pk), len);
	assert_int_equal(esp_encap(&pp->out, &pk, nh), 0);
	seq = pp->out.seq;

	/* RFC 4303 2: SPI | seq low | IV | ciphertext | ICV. */
	assert_int_equal(pk.off, PKT_HEADROOM - front);
	assert_int_equal(pk.len, front + ctl + pp->icv);
	assert_true(pk.len <= len + esp_overhead(&pp->out));
	assert_int_equal((pk.len - front - pp->icv) % pp->ci->block, 0);
	assert_int_equal(esp_get32(pkt_data(&pk)), pp->out.spi);
	assert_int_equal(esp_get32(pkt_data(&pk) + 4), (uint32_t)seq);
	if (cipher_counter_iv(pp->ci)) {
		/* The IV is the 64-bit sequence number plus iv_base, 0
		 * here (RFC 4106 3.1, RFC 3686 3). */
		assert_int_equal(pp->out.iv_base, 0);
		assert_int_equal(esp_get32(pkt_data(&pk) + 8),
		    (uint32_t)(seq >> 32));
		assert_int_equal(esp_get32(pkt_data(&pk) + 12), (uint32_t)seq);
	} else if (pp->ci->mode == CIPHER_MODE_NULL) {
		/* RFC 2410: no IV, and the payload goes as it is. */
		assert_int_equal(pp->ci->iv_len, 0);
		assert_memory_equal(pkt_data(&pk) + ESP_HDR_LEN, inner, len);
	} else {
		uint8_t iv[CRYPTO_IV_MAX];

		/* The counter seq + iv_base under the SA's IV key. */
		assert_int_equal(sa_cbc_iv(pp->out.crypto, seq +
		    pp->out.iv_base, iv), 0);
		assert_memory_equal(pkt_data(&pk) + ESP_HDR_LEN, iv,
		    pp->ci->iv_len);
	}
	/* In place, in the same buffer, without touching what surrounds. */
	for (i = 0; i < pk.off; i++)
		assert_int_equal(pk.buf[i], 0);

	assert_int_equal(decap_seq(&pp->in, &pk, &got_nh, false, &got_seq),
	    ESP_OK);
	assert_int_equal(got_seq, seq);
	assert_int_equal(got_nh, nh);
	assert_int_equal(pk.off, PKT_HEADROOM);
	assert_int_equal(pk.len, len);
	assert_memory_equal(pkt_data(&pk), inner, len);
	assert_int_equal(pp->in.replay.top, seq);
}

/* Runs fn for every suite, with and without ESN, on a fresh SA pair. */
static void
each_combo(void (*fn)(struct pair *, const struct suite *, bool))
{
	struct pair pp;
	size_t s;
	int esn;

	for (s = 0; s < NSUITES; s++) {
		for (esn = 0; esn <= 1; esn++) {
			pair_init(&pp, &suites[s], esn);
			fn(&pp, &suites[s], esn);
			pair_free(&pp);
		}
	}
}

static void
roundtrip_combo(struct pair *pp, const struct suite *s, bool esn)
{
	static const size_t lens[] = { 0, 1, 2, 13, 14, 15, 16, 20, 63, 64,
	    100, 1400, 1500, PKT_MTU_MAX - 100 };
	size_t l;

	(void)s;
	if (esn) {
		/* Cross 2^32 while we are at it; the receiver has seen the
		 * earlier numbers. */
		pp->out.seq = 0xffffffffULL - 5;
		replay_update(&pp->in.replay, pp->out.seq);
	}
	for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		memset(pk.buf, 0, sizeof(pk.buf));
		roundtrip_one(pp, lens[l], (uint8_t)(l % 2 ? 4 : 41));
	}
	if (esn)
		assert_true(pp->out.seq > 0xffffffffULL);
}

static void
test_roundtrip_all(void **state)
{
	(void)state;
	each_combo(roundtrip_combo);
}

/* aes-ctr's IV is seq + iv_base, 8 bytes big-endian, and never repeats
 * under the key (RFC 3686 3), across the wrap of iv_base + seq too;
 * every packet still decrypts. */
static void
test_ctr_iv_counter(void **state)
{
	static const size_t ctr_suites[] = { NSUITES - 5, NSUITES - 4,
	    NSUITES - 3 };
	static uint64_t ivs[2000];
	struct pair pp;
	uint64_t iv, seq;
	uint8_t nh;
	size_t s, i;

	(void)state;
	for (s = 0; s < sizeof(ctr_suites) / sizeof(ctr_suites[0]); s++) {
		pair_init(&pp, &suites[ctr_suites[s]], true);
		assert_int_equal(pp.ci->mode, CIPHER_MODE_CTR);
		pp.out.iv_base = UINT64_MAX - 999;
		for (i = 0; i < sizeof(ivs) / sizeof(ivs[0]); i++) {
			fill_inner(&pk, 40 + i % 17, (uint8_t)i);
			memcpy(inner, pkt_data(&pk), pk.len);
			assert_int_equal(esp_encap(&pp.out, &pk, 4), 0);
			seq = pp.out.seq;
			iv = (uint64_t)esp_get32(pkt_data(&pk) + 8) << 32 |
			    esp_get32(pkt_data(&pk) + 12);
			assert_true(iv == seq + pp.out.iv_base);
			ivs[i] = iv;
			assert_int_equal(decap(&pp.in, &pk, &nh, false),
			    ESP_OK);
			assert_memory_equal(pkt_data(&pk), inner, pk.len);
		}
		/* Consecutive from UINT64_MAX - 998 over the wrap: no two
		 * alike (the ordered list proves it without a sort). */
		for (i = 1; i < sizeof(ivs) / sizeof(ivs[0]); i++)
			assert_true(ivs[i] == ivs[i - 1] + 1);
		assert_true(ivs[998] == UINT64_MAX && ivs[999] == 0);
		pair_free(&pp);
	}
}

/* RFC 2410 2 in ESP: the wire is the header, the plaintext, the padding
 * and the ICV. The ICV was computed apart (Python's hmac module):
 * HMAC-SHA1 under twenty 0x0b bytes over SPI 0x1234, seq 1, 20 bytes
 * 0x40..0x53, padding 01 02, pad length 2, next header 4, first 96
 * bits (RFC 2404). */
static void
test_null_wire(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x01,
		0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
		0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
		0x50, 0x51, 0x52, 0x53, 0x01, 0x02, 0x02, 0x04,
		0x11, 0xf8, 0xaf, 0xfc, 0x1b, 0x33, 0x96, 0x84,
		0xb7, 0x72, 0xca, 0x40,
	};
	uint8_t ak[20], nh = 0;
	struct esp_sa out, in;
	size_t i;

	(void)state;
	memset(ak, 0x0b, sizeof(ak));
	memset(&out, 0, sizeof(out));
	memset(&in, 0, sizeof(in));
	out.spi = in.spi = 0x1234;
	out.crypto = sa_crypto_new(cipher_by_name("null"), NULL, 0,
	    auth_by_name("hmac-sha1-96"), ak, sizeof(ak), true);
	in.crypto = sa_crypto_new(cipher_by_name("null"), NULL, 0,
	    auth_by_name("hmac-sha1-96"), ak, sizeof(ak), false);
	assert_non_null(out.crypto);
	assert_non_null(in.crypto);
	assert_int_equal(replay_init(&in.replay, 64, false), 0);
	pkt_reset(&pk);
	for (i = 0; i < 20; i++)
		pkt_data(&pk)[i] = (uint8_t)(0x40 + i);
	pk.len = 20;
	assert_int_equal(esp_encap(&out, &pk, 4), 0);
	assert_int_equal(pk.len, sizeof(want));
	assert_memory_equal(pkt_data(&pk), want, sizeof(want));
	assert_int_equal(esp_wire_len(&out, 20), sizeof(want));
	/* And back; one ICV bit off is an auth drop. */
	load(&pk2, want, sizeof(want));
	pkt_data(&pk2)[sizeof(want) - 1] ^= 1;
	assert_int_equal(decap(&in, &pk2, &nh, false), ESP_DROP_AUTH);
	load(&pk2, want, sizeof(want));
	assert_int_equal(decap(&in, &pk2, &nh, false), ESP_OK);
	assert_int_equal(nh, 4);
	assert_int_equal(pk2.len, 20);
	assert_memory_equal(pkt_data(&pk2), want + 8, 20);
	sa_crypto_free(out.crypto);
	sa_crypto_free(in.crypto);
	replay_free(&in.replay);
}

/* CBC IVs are random per packet (RFC 3602 2.3): two encryptions of the
 * same payload differ. */
static void
iv_combo(struct pair *pp, const struct suite *s, bool esn)
{
	size_t ivl = pp->ci->iv_len;
	uint8_t iv1[16];

	(void)s;
	(void)esn;
	if (pp->ci->mode != CIPHER_MODE_CBC)
		return;
	fill_inner(&pk, 40, 1);
	assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
	memcpy(iv1, pkt_data(&pk) + ESP_HDR_LEN, ivl);
	memcpy(wire, pkt_data(&pk) + ESP_HDR_LEN + ivl, 48);
	fill_inner(&pk, 40, 1);
	assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
	assert_memory_not_equal(iv1, pkt_data(&pk) + ESP_HDR_LEN, ivl);
	assert_memory_not_equal(wire, pkt_data(&pk) + ESP_HDR_LEN + ivl, ivl);
}

static void
test_cbc_iv_random(void **state)
{
	(void)state;
	each_combo(iv_combo);
}

static void
replay_combo(struct pair *pp, const struct suite *s, bool esn)
{
	struct rsnap rs;
	uint8_t nh;
	size_t n;

	(void)s;
	(void)esn;
	fill_inner(&pk, 60, 9);
	assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
	n = pk.len;
	memcpy(wire, pkt_data(&pk), n);
	assert_int_equal(decap(&pp->in, &pk, &nh, false), ESP_OK);
	rsnap_take(&pp->in.replay, &rs);
	load(&pk, wire, n);
	assert_int_equal(decap(&pp->in, &pk, &nh, false),
	    ESP_DROP_REPLAY);
	rsnap_same(&pp->in.replay, &rs);
	/* Left untouched: the caller may still look at it. */
	assert_memory_equal(pkt_data(&pk), wire, n);
}

static void
test_replay_drop(void **state)
{
	(void)state;
	each_combo(replay_combo);
}

/* A one-bit flip anywhere in SPI..ICV fails authentication and leaves
 * the window where it was: the genuine packet is still accepted. The
 * sequence number 0x81 is chosen so every flip of it still passes the
 * replay check and reaches the ICV. */
static void
bitflip_combo(struct pair *pp, const struct suite *s, bool esn)
{
	struct rsnap rs;
	enum esp_drop rc;
	size_t n, bit;
	uint8_t nh;

	if (!authenticated(pp))
		return;
	pp->out.seq = 0x80;
	fill_inner(&pk, 45, 3);
	assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
	n = pk.len;
	memcpy(wire, pkt_data(&pk), n);
	rsnap_take(&pp->in.replay, &rs);
	for (bit = 0; bit < n * 8; bit++) {
		load(&pk, wire, n);
		pkt_data(&pk)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = decap(&pp->in, &pk, &nh, false);
		if (rc != ESP_DROP_AUTH)
			print_message("%s/%s esn %d bit %zu: %s\n", s->cipher,
			    s->auth, esn, bit, esp_drop_name(rc));
		assert_int_equal(rc, ESP_DROP_AUTH);
		rsnap_same(&pp->in.replay, &rs);
	}
	load(&pk, wire, n);
	assert_int_equal(decap(&pp->in, &pk, &nh, false), ESP_OK);
	assert_int_equal(pp->in.replay.top, 0x81);
}

static void
test_bitflip(void **state)
{
	(void)state;
	each_combo(bitflip_combo);
}

/* A peer with other keys: authenticated suites say AUTH. Without an
 * ICV, CBC decrypts to garbage whose padding check almost always fails
 * (MALFORMED); by chance (about 1 in 256 for pad length 0) the garbage
 * passes, so then we only require that the plaintext is not recovered.
 * That is what auth "none" means: no integrity. */
static void
wrong_key_combo(struct pair *pp, const struct suite *s, bool esn)
{
	enum esp_drop rc;
	uint8_t nh;
	int k;

	(void)esn;
	sa_crypto_free(pp->in.crypto);
	pp->in.crypto = mk_crypto(s, false, 0x99, 0x23);
	for (k = 0; k < 8; k++) {
		fill_inner(&pk, 50, 5);
		memcpy(inner, pkt_data(&pk), 50);
		assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
		rc = decap(&pp->in, &pk, &nh, false);
		if (authenticated(pp))
			assert_int_equal(rc, ESP_DROP_AUTH);
		else if (rc == ESP_OK)
			assert_false(pk.len == 50 &&
			    memcmp(pkt_data(&pk), inner, 50) == 0);
		else
			assert_int_equal(rc, ESP_DROP_MALFORMED);
	}
}

static void
test_wrong_key(void **state)
{
	(void)state;
	each_combo(wrong_key_combo);
}

/* Every prefix of a genuine packet: below the minimum or off the block
 * grid it is MALFORMED; otherwise authenticated suites refuse it (the
 * ICV no longer matches: AUTH). Auth "none" has nothing to refuse a
 * well-formed prefix with; it must only not crash. */
static void
truncated_combo(struct pair *pp, const struct suite *s, bool esn)
{
	size_t n, l, ctl, minl = min_len(pp);
	struct rsnap rs;
	enum esp_drop rc;
	uint8_t nh;

	(void)s;
	(void)esn;
	fill_inner(&pk, 70, 8);
	assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
	n = pk.len;
	memcpy(wire, pkt_data(&pk), n);
	rsnap_take(&pp->in.replay, &rs);
	for (l = 0; l < n; l++) {
		load(&pk, wire, l);
		rc = decap(&pp->in, &pk, &nh, false);
		if (l < minl) {
			assert_int_equal(rc, ESP_DROP_MALFORMED);
			continue;
		}
		ctl = l - ESP_HDR_LEN - pp->ci->iv_len - pp->icv;
		if (pp->ci->mode == CIPHER_MODE_CBC &&
		    ctl % pp->ci->block != 0)
			assert_int_equal(rc, ESP_DROP_MALFORMED);
		else if (authenticated(pp))
			assert_int_equal(rc, ESP_DROP_AUTH);
		if (authenticated(pp))
			rsnap_same(&pp->in.replay, &rs);
	}
}

static void
test_truncated(void **state)
{
	(void)state;
	each_combo(truncated_combo);
}

/* xorshift64*: a fixed, portable sequence. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* Random bytes of random lengths, half of them with a plausible header
 * so they get past the replay check to the ICV. */
static void
test_garbage(void **state)
{
	struct pair pp;
	size_t s, n, i;
	enum esp_drop rc;
	uint8_t nh;
	int it;

	(void)state;
	for (s = 0; s < NSUITES; s++) {
		pair_init(&pp, &suites[s], s % 2);
		for (it = 0; it < 600; it++) {
			n = (it % 10 == 0) ? rng() % 3000 : rng() % 160;
			pkt_reset(&pk);
			for (i = 0; i < n; i++)
				pkt_data(&pk)[i] = (uint8_t)rng();
			if (it % 2 && n >= ESP_HDR_LEN) {
				esp_put32(pkt_data(&pk), pp.in.spi);
				esp_put32(pkt_data(&pk) + 4,
				    (uint32_t)(rng() % 100000 + 1));
			}
			pk.len = n;
			rc = decap(&pp.in, &pk, &nh, false);
			assert_true(rc < ESP_DROP_MAX);
			if (authenticated(&pp))
				assert_int_not_equal(rc, ESP_OK);
			else if (rc == ESP_OK)
				assert_true(pk.off >= PKT_HEADROOM &&
				    pk.off + pk.len <= PKT_HEADROOM + n);
			/* The packet must stay within its buffer. */
			assert_true(pk.off + pk.len <= PKT_BUFSZ);
		}
		pair_free(&pp);
	}
	/* A pkt whose off/len are themselves nonsense. */
	pair_init(&pp, &suites[0], false);
	pk.off = PKT_BUFSZ - 4;
	pk.len = 100;
	assert_int_equal(decap(&pp.in, &pk, &nh, false),
	    ESP_DROP_MALFORMED);
	pair_free(&pp);
}

/* RFC 4303 3.3.3: without ESN the counter must not cycle. */
static void
test_seq_exhausted(void **state)
{
	struct pair pp;
	uint8_t nh;

	(void)state;
	pair_init(&pp, &suites[13], false);
	pp.out.seq = UINT32_MAX - 1;
	fill_inner(&pk, 10, 1);
	assert_int_equal(esp_encap(&pp.out, &pk, 4), 0);
	assert_int_equal(esp_get32(pkt_data(&pk) + 4), UINT32_MAX);
	fill_inner(&pk, 10, 1);
	assert_int_equal(esp_encap(&pp.out, &pk, 4), -1);
	assert_int_equal(pp.out.seq, UINT32_MAX);
	assert_int_equal(pk.off, PKT_HEADROOM);
	assert_int_equal(pk.len, 10);
	pair_free(&pp);

	/* With ESN the low half wraps to 0 and the packet is valid. */
	pair_init(&pp, &suites[18], true);
	pp.out.seq = UINT32_MAX;
	replay_update(&pp.in.replay, UINT32_MAX);
	fill_inner(&pk, 10, 1);
	assert_int_equal(esp_encap(&pp.out, &pk, 4), 0);
	assert_int_equal(esp_get32(pkt_data(&pk) + 4), 0);
	assert_int_equal(decap(&pp.in, &pk, &nh, false), ESP_OK);
	assert_int_equal(pp.in.replay.top, 0x100000000ULL);
	pp.out.seq = UINT64_MAX;
	fill_inner(&pk, 10, 1);
	assert_int_equal(esp_encap(&pp.out, &pk, 4), -1);
	pair_free(&pp);
}

static void
test_no_room(void **state)
{
	struct pair pp;
	size_t s;

	(void)state;
	for (s = 0; s < NSUITES; s++) {
		pair_init(&pp, &suites[s], false);
		fill_inner(&pk, 10, 1);
		pk.off = ESP_HDR_LEN + pp.ci->iv_len - 1;
		assert_int_equal(esp_encap(&pp.out, &pk, 4), -1);
		pkt_reset(&pk);
		pk.len = PKT_BUFSZ - PKT_HEADROOM - (1 + pp.icv);
		assert_int_equal(esp_encap(&pp.out, &pk, 4), -1);
		assert_int_equal(pp.out.seq, 0);        /* not consumed */
		pair_free(&pp);
	}
}

static void
test_overhead(void **state)
{
	struct pair pp;

	(void)state;
	pair_init(&pp, &suites[13], false);     /* aes-cbc, hmac-sha1-96 */
	assert_int_equal(esp_overhead(&pp.out), 8 + 16 + 15 + 2 + 12);
	pair_free(&pp);
	pair_init(&pp, &suites[14], true);      /* ESN adds nothing */
	assert_int_equal(esp_overhead(&pp.out), 8 + 16 + 15 + 2 + 16);
	pair_free(&pp);
	pair_init(&pp, &suites[9], false);      /* 3des, none */
	assert_int_equal(esp_overhead(&pp.out), 8 + 8 + 7 + 2);
	pair_free(&pp);
	pair_init(&pp, &suites[19], false);     /* aes-gcm */
	assert_int_equal(esp_overhead(&pp.out), 8 + 8 + 3 + 2 + 16);
	pair_free(&pp);
}

/* RFC 4303 2.6: next header 59 is a dummy packet: OK, empty. */
static void
test_dummy(void **state)
{
	struct pair pp;
	uint8_t nh = 0;

	(void)state;
	pair_init(&pp, &suites[20], false);
	fill_inner(&pk, 33, 1);
	assert_int_equal(esp_encap(&pp.out, &pk, 59), 0);
	assert_int_equal(decap(&pp.in, &pk, &nh, false), ESP_OK);
	assert_int_equal(nh, 59);
	assert_int_equal(pk.len, 0);
	pair_free(&pp);
}

/* Packets with a chosen plaintext (trailer included), built by hand with
 * the crypto layer as the peer would: the 64-bit seq, with its high half
 * in the AAD or ICV on an ESN SA (RFC 4303 2.2.1), a fixed CBC IV. */
static void
craft(struct pair *pp, struct pkt *p, const uint8_t *pt, size_t ptlen,
    uint64_t seq)
{
	uint8_t *h, *iv, aad[ESP_AAD_MAX], esnhi[4];
	size_t ivl = pp->ci->iv_len;
	bool esn = pp->out.esn;

	pkt_reset(p);
	h = pkt_data(p);
	iv = h + ESP_HDR_LEN;
	esp_put32(h, pp->out.spi);
	esp_put32(h + 4, (uint32_t)seq);
	memcpy(iv + ivl, pt, ptlen);
	if (cipher_is_aead(pp->ci)) {
		esp_put32(iv, (uint32_t)(seq >> 32));
		esp_put32(iv + 4, (uint32_t)seq);
		assert_int_equal(sa_aead_encrypt(pp->out.crypto, iv, aad,
		    esp_aad(aad, pp->out.spi, seq, esn), iv + ivl, ptlen,
		    iv + ivl + ptlen), 0);
	} else {
		memset(iv, 0x5a, ivl);
		assert_int_equal(sa_cbc_encrypt(pp->out.crypto, iv, iv + ivl,
		    ptlen), 0);
		esp_put32(esnhi, (uint32_t)(seq >> 32));
		if (pp->icv > 0)
			assert_int_equal(sa_mac(pp->out.crypto, h, ESP_HDR_LEN +
			    ivl + ptlen, esn ? esnhi : NULL, esn ? 4 : 0,
			    iv + ivl + ptlen), 0);
	}
	p->len = ESP_HDR_LEN + ivl + ptlen + pp->icv;
}

/* A plaintext of len bytes (a multiple of the block) that is payload
 * then a valid trailer: pad 1, 2, ..., pad length, next header 4. */
static void
good_pt(uint8_t *pt, size_t len, size_t padlen)
{
	size_t i, n = len - 2 - padlen;

	for (i = 0; i < n; i++)
		pt[i] = (uint8_t)(0x45 + i);
	for (i = 0; i < padlen; i++)
		pt[n + i] = (uint8_t)(i + 1);
	pt[len - 2] = (uint8_t)padlen;
	pt[len - 1] = 4;
}

/* Authentic packets whose trailer is wrong are MALFORMED, and leave the
 * window where it was: esp_decap never moves it, and a packet that is
 * not accepted does not use up its number. */
static void
test_bad_padding(void **state)
{
	static const size_t which[] = { 14, 20 };  /* aes-cbc sha256, chacha */
	uint8_t pt[32], nh;
	struct pair pp;
	size_t w, i;

	(void)state;
	for (w = 0; w < 2; w++) {
		pair_init(&pp, &suites[which[w]], false);
		/* Good: 20 bytes, pad 1..10, padlen 10, nh 4. */
		for (i = 0; i < 20; i++)
			pt[i] = (uint8_t)i;
		for (i = 0; i < 10; i++)
			pt[20 + i] = (uint8_t)(i + 1);
		pt[30] = 10;
		pt[31] = 4;
		craft(&pp, &pk, pt, 32, 1);
		assert_int_equal(decap(&pp.in, &pk, &nh, false), ESP_OK);
		assert_int_equal(pk.len, 20);
		assert_int_equal(pp.in.replay.top, 1);

		pt[27] = 9;                     /* 1..7, 9, 9, 10 */
		craft(&pp, &pk, pt, 32, 2);
		assert_int_equal(decap(&pp.in, &pk, &nh, false),
		    ESP_DROP_MALFORMED);
		assert_int_equal(pp.in.replay.top, 1);

		pt[27] = 8;
		pt[30] = 31;                    /* > 30 bytes before it */
		craft(&pp, &pk, pt, 32, 3);
		assert_int_equal(decap(&pp.in, &pk, &nh, false),
		    ESP_DROP_MALFORMED);
		assert_int_equal(pp.in.replay.top, 1);

		/* 2 was never accepted: a good packet 2 still is. */
		pt[30] = 10;
		craft(&pp, &pk, pt, 32, 2);
		assert_int_equal(decap(&pp.in, &pk, &nh, false), ESP_OK);
		assert_int_equal(pp.in.replay.top, 2);

		for (i = 0; i < 30; i++)        /* all padding, no payload */
			pt[i] = (uint8_t)(i + 1);
		pt[30] = 30;
		craft(&pp, &pk, pt, 32, 4);
		assert_int_equal(decap(&pp.in, &pk, &nh, false), ESP_OK);
		assert_int_equal(pk.len, 0);
		assert_int_equal(nh, 4);
		assert_int_equal(pp.in.replay.top, 4);
		pair_free(&pp);
	}
}

/* A trailer of padlen bytes of kind 0 (1, 2, 3, ...), 1 (zeros) or 2
 * (other bytes, as KAME's -f random-pad sends) after 32 - 2 - padlen
 * bytes of payload. */
static void
pad_pt(uint8_t *pt, size_t padlen, int kind)
{
	size_t i;

	good_pt(pt, 32, padlen);
	for (i = 0; i < padlen; i++)
		if (kind == 1)
			pt[30 - padlen + i] = 0;
		else if (kind == 2)
			pt[30 - padlen + i] = (uint8_t)(0xa7 ^ (i * 29));
}

/* padding strict | zero | any (RFC 4303 2.4; site.conf(5)): which
 * padding bytes each accepts, with and without an ICV, CBC and AEAD.
 * The pad length bound holds in every mode, and a refused packet is
 * MALFORMED and leaves the window. */
static void
test_padding_modes(void **state)
{
	/* 3des-cbc sha1, blowfish-128 sha256, blowfish none, aes-gcm */
	static const size_t which[] = { 10, 2, 0, 18 };
	/* [mode][kind]: accepted? */
	static const bool ok[3][3] = {
		[ESP_PAD_STRICT] = { true, false, false },
		[ESP_PAD_ZERO] = { true, true, false },
		[ESP_PAD_ANY] = { true, true, true },
	};
	uint8_t pt[32], nh;
	struct pair pp;
	uint64_t seq = 0, got;
	size_t w;
	int mode, kind;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		for (mode = ESP_PAD_STRICT; mode <= ESP_PAD_ANY; mode++) {
			pair_init(&pp, &suites[which[w]], false);
			pp.in.padding = (enum esp_pad)mode;
			for (kind = 0; kind < 3; kind++) {
				uint64_t top = pp.in.replay.top;

				pad_pt(pt, 10, kind);
				craft(&pp, &pk, pt, 32, ++seq);
				assert_int_equal(esp_decap(&pp.in, &pk, &nh,
				    &got, false), ok[mode][kind] ? ESP_OK :
				    ESP_DROP_MALFORMED);
				if (!ok[mode][kind]) {
					assert_int_equal(pp.in.replay.top, top);
					continue;
				}
				assert_int_equal(got, seq);
				assert_int_equal(pk.len, 20);
				assert_int_equal(nh, 4);
				assert_int_equal(pkt_data(&pk)[0], 0x45);
				assert_true(esp_accept(&pp.in, got));
			}
			/* Pad length beyond the ciphertext: refused by all. */
			pad_pt(pt, 10, 1);
			pt[30] = 31;
			craft(&pp, &pk, pt, 32, ++seq);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &got,
			    false), ESP_DROP_MALFORMED);
			/* No padding at all passes every mode. */
			pad_pt(pt, 0, 1);
			craft(&pp, &pk, pt, 32, ++seq);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &got,
			    false), ESP_OK);
			assert_int_equal(pk.len, 30);
			assert_true(esp_accept(&pp.in, got));
			pair_free(&pp);
			seq = 0;
		}
	}
}

/* replay-window 0: anti-replay off (RFC 4303 3.4.3). A repeated number,
 * one far behind the top and one from a peer that restarted at 1 all
 * pass; only a number above the top moves it (what may move a dynamic
 * endpoint). Authentication still decides. */
static void
test_replay_off(void **state)
{
	static const uint64_t seqs[] = { 1, 2, 2, 1, 5000, 3, 5000, 1 };
	static const bool moves[] = { true, true, false, false, true, false,
	    false, false };
	uint8_t pt[32], nh;
	struct pair pp;
	uint64_t got;
	size_t i;

	(void)state;
	pair_init(&pp, &suites[10], false);     /* 3des-cbc sha1 */
	replay_free(&pp.in.replay);
	replay_init_off(&pp.in.replay);
	good_pt(pt, 32, 10);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		craft(&pp, &pk, pt, 32, seqs[i]);
		assert_int_equal(esp_decap(&pp.in, &pk, &nh, &got, false),
		    ESP_OK);
		assert_int_equal(got, seqs[i]);
		assert_int_equal(pk.len, 20);
		assert_int_equal(esp_accept(&pp.in, got), moves[i]);
	}
	assert_int_equal(pp.in.replay.top, 5000);
	/* A forged packet still fails its ICV. */
	craft(&pp, &pk, pt, 32, 6000);
	pkt_data(&pk)[20] ^= 1;
	assert_int_equal(esp_decap(&pp.in, &pk, &nh, &got, false),
	    ESP_DROP_AUTH);
	assert_int_equal(pp.in.replay.top, 5000);
	pair_free(&pp);
}

/* skip_icv: the ICV is not checked (keys unknown) but still stripped. */
static void
test_skip_icv(void **state)
{
	static const size_t which[] = { 1, 11, 17 };
	struct pair pp;
	uint8_t nh;
	size_t w;

	(void)state;
	for (w = 0; w < 3; w++) {
		pair_init_keys(&pp, &suites[which[w]], w == 2, 0x11, 0x77);
		fill_inner(&pk, 77, 2);
		memcpy(inner, pkt_data(&pk), 77);
		assert_int_equal(esp_encap(&pp.out, &pk, 41), 0);
		memcpy(wire, pkt_data(&pk), pk.len);
		load(&pk2, wire, pk.len);
		assert_int_equal(decap(&pp.in, &pk2, &nh, false),
		    ESP_DROP_AUTH);
		assert_int_equal(decap(&pp.in, &pk, &nh, true), ESP_OK);
		assert_int_equal(nh, 41);
		assert_int_equal(pk.len, 77);
		assert_memory_equal(pkt_data(&pk), inner, 77);
		pair_free(&pp);
	}
}

/* Suites by index in suites[], for the tables below. */
#define S_BF_SHA1       1
#define S_BF256_NONE    3
#define S_BF448_NONE    6
#define S_3DES_NONE     9
#define S_AESCBC_NONE   12
#define S_AESCBC_SHA1   13
#define S_AESCBC_SHA256 14
#define S_AES256CBC_NONE 15
#define S_GCM           18
#define S_GCM256        19
#define S_CHACHA        20
#define S_KAME_FIRST    21
#define S_KAME_END      30      /* KAME's authenticators end */

static bool
window_bit(const struct replay *r, uint64_t seq)
{
	uint32_t idx = (uint32_t)(seq % r->size);

	return (r->bits[idx / 64] >> (idx % 64)) & 1;
}

/* A genuine packet with sequence number seq (40 bytes of inner data). */
static void
genuine(struct pair *pp, struct pkt *p, uint64_t seq)
{
	pp->out.seq = seq - 1;
	fill_inner(p, 40, (uint8_t)seq);
	assert_int_equal(esp_encap(&pp->out, p, 4), 0);
}

/* Auth none: one forged 40-byte packet with sequence number 2^32 - 1
 * must not take the window to 2^32 - 1, where every genuine packet after
 * it would be a replay. Its plaintext is made with the key here so that
 * the test does not hang on what random bytes decrypt to: the pad length
 * 0xff is more than the block holds, which is how a forger's random
 * bytes fail in most cases (and the rest fail the caller's inner checks,
 * before esp_accept). */
static void
test_auth_none_forgery(void **state)
{
	static const size_t which[] = { S_AESCBC_NONE, S_3DES_NONE, 0 };
	uint8_t pt[32], nh;
	struct wsnap ws;
	struct pair pp;
	uint64_t seq;
	size_t w, ptlen;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		pair_init(&pp, &suites[which[w]], false);
		assert_int_equal(pp.icv, 0);
		genuine(&pp, &pk, 1);
		assert_int_equal(decap(&pp.in, &pk, &nh, false), ESP_OK);
		assert_int_equal(pp.in.replay.top, 1);
		wsnap_take(&pp.in.replay, &ws);

		ptlen = 40 - ESP_HDR_LEN - pp.ci->iv_len;
		memset(pt, 0xa5, sizeof(pt));
		pt[ptlen - 2] = 0xff;
		pt[ptlen - 1] = 4;
		craft(&pp, &pk, pt, ptlen, UINT32_MAX);
		assert_int_equal(pk.len, 40);
		seq = 0;
		assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq, false),
		    ESP_DROP_MALFORMED);
		assert_int_equal(seq, 0);       /* written on ESP_OK only */
		wsnap_same(&pp.in.replay, &ws);
		assert_int_equal(pp.in.replay.top, 1);
		assert_true(window_bit(&pp.in.replay, 1));

		genuine(&pp, &pk, 2);
		assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq, false),
		    ESP_OK);
		assert_int_equal(seq, 2);
		assert_true(esp_accept(&pp.in, seq));
		assert_int_equal(pp.in.replay.top, 2);
		assert_true(window_bit(&pp.in.replay, 1));
		assert_true(window_bit(&pp.in.replay, 2));
		assert_int_equal(pk.len, 40);
		pair_free(&pp);
	}
}

/* The packets of the drop table. The window they meet: top 200, 150 and
 * 190 seen too (size 64: 137..200 in the window). */
static void
mk_short(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 201);
	p->len = min_len(pp) - 1;
}

static void
mk_partial_block(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 201);
	p->len--;
}

static void
mk_off_past_buffer(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 201);
	p->off = PKT_BUFSZ - 4;
	p->len = 100;
}

static void
mk_pad_bytes(struct pair *pp, struct pkt *p)
{
	uint8_t pt[32];

	good_pt(pt, sizeof(pt), 10);
	pt[sizeof(pt) - 5] ^= 0x10;             /* 1..7, 24, 9, 10 */
	craft(pp, p, pt, sizeof(pt), 201);
}

static void
mk_pad_length(struct pair *pp, struct pkt *p)
{
	uint8_t pt[32];

	good_pt(pt, sizeof(pt), 10);
	pt[sizeof(pt) - 2] = 31;                /* 30 bytes precede it */
	craft(pp, p, pt, sizeof(pt), 201);
}

static void
mk_duplicate(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 190);
}

static void
mk_too_old(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 136);
}

static void
mk_zero(struct pair *pp, struct pkt *p)
{
	uint8_t pt[32];

	good_pt(pt, sizeof(pt), 2);
	craft(pp, p, pt, sizeof(pt), 0);
}

static void
mk_bad_icv(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 201);
	pkt_data(p)[p->len - 1] ^= 0x01;
}

/* The sender's number has another high half than the receiver infers
 * (RFC 4303 A2.2), so the ICV or the AEAD's AAD does not match. */
static void
mk_other_high_half(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 0x100000000ULL | 201);
}

/* On an ESN SA, a number left of the window is inferred to be in the
 * next subspace (A2.2 case A): it reaches the ICV, and fails there. */
static void
mk_left_of_window_esn(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 136);
}

/* A cipher failure: the inbound context is keyed for the wrong direction
 * (the ICV, keyed alike, still verifies). */
static void
mk_cipher_failure(struct pair *pp, struct pkt *p)
{
	genuine(pp, p, 201);
	sa_crypto_free(pp->in.crypto);
	pp->in.crypto = mk_crypto(pp->suite, true, 0x11, 0x22);
}

struct drop_case {
	const char   *name;
	size_t        suite;
	bool          esn;
	enum esp_drop want;
	void        (*make)(struct pair *, struct pkt *);
	bool          resyncs;  /* on an SA in resync mode: OK, high half 1 */
};

static const struct drop_case drop_cases[] = {
	{ "short", S_AESCBC_SHA256, false, ESP_DROP_MALFORMED, mk_short,
	    false },
	{ "short, gcm esn", S_GCM, true, ESP_DROP_MALFORMED, mk_short, false },
	{ "partial block", S_AESCBC_SHA256, true, ESP_DROP_MALFORMED,
	    mk_partial_block, false },
	{ "partial block, none", S_3DES_NONE, false, ESP_DROP_MALFORMED,
	    mk_partial_block, false },
	{ "off past the buffer", S_CHACHA, false, ESP_DROP_MALFORMED,
	    mk_off_past_buffer, false },
	{ "pad bytes", S_AESCBC_SHA256, true, ESP_DROP_MALFORMED,
	    mk_pad_bytes, false },
	{ "pad bytes, chacha", S_CHACHA, false, ESP_DROP_MALFORMED,
	    mk_pad_bytes, false },
	{ "pad bytes, none esn", S_3DES_NONE, true, ESP_DROP_MALFORMED,
	    mk_pad_bytes, false },
	{ "pad length, gcm esn", S_GCM, true, ESP_DROP_MALFORMED,
	    mk_pad_length, false },
	{ "pad length, none", S_AESCBC_NONE, false, ESP_DROP_MALFORMED,
	    mk_pad_length, false },
	{ "duplicate", S_BF_SHA1, false, ESP_DROP_REPLAY, mk_duplicate, false },
	{ "duplicate, none esn", S_AESCBC_NONE, true, ESP_DROP_REPLAY,
	    mk_duplicate, false },
	{ "duplicate, chacha esn", S_CHACHA, true, ESP_DROP_REPLAY,
	    mk_duplicate, false },
	{ "too old", S_GCM, false, ESP_DROP_REPLAY, mk_too_old, false },
	{ "too old, none", S_AESCBC_NONE, false, ESP_DROP_REPLAY,
	    mk_too_old, false },
	{ "zero", S_CHACHA, false, ESP_DROP_REPLAY, mk_zero, false },
	{ "zero, none", S_AESCBC_NONE, false, ESP_DROP_REPLAY, mk_zero, false },
	{ "icv", S_AESCBC_SHA256, false, ESP_DROP_AUTH, mk_bad_icv, false },
	{ "icv esn", S_BF_SHA1, true, ESP_DROP_AUTH, mk_bad_icv, false },
	{ "tag, gcm", S_GCM, false, ESP_DROP_AUTH, mk_bad_icv, false },
	{ "tag, chacha esn", S_CHACHA, true, ESP_DROP_AUTH, mk_bad_icv, false },
	{ "high half, gcm", S_GCM, true, ESP_DROP_AUTH, mk_other_high_half,
	    true },
	{ "high half, sha1", S_AESCBC_SHA1, true, ESP_DROP_AUTH,
	    mk_other_high_half, true },
	{ "left of the window, esn", S_CHACHA, true, ESP_DROP_AUTH,
	    mk_left_of_window_esn, false },
	{ "cipher failure", S_AESCBC_SHA1, false, ESP_DROP_DECRYPT,
	    mk_cipher_failure, false },
	{ "cipher failure, none esn", S_AESCBC_NONE, true, ESP_DROP_DECRYPT,
	    mk_cipher_failure, false },
};

/* Runs one drop case on a fresh pair: the drop, an unchanged window (top
 * and every bit), and then the genuine packet 201 still accepted. With
 * fails, the SA has had that many authentication failures in a row. */
static void
drop_case_run(const struct drop_case *c, uint64_t fails)
{
	static const uint64_t seen[] = { 150, 190, 200 };
	bool armed = c->esn && fails + 1 >= ESP_RESYNC_THRESHOLD;
	enum esp_drop want = armed && c->resyncs ? ESP_OK : c->want;
	struct wsnap ws;
	struct pair pp;
	enum esp_drop rc;
	uint64_t seq = 0;
	uint8_t nh;
	size_t i;

	pair_init(&pp, &suites[c->suite], c->esn);
	for (i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		assert_true(esp_accept(&pp.in, seen[i]));
	pp.in.replay.auth_fails = fails;
	wsnap_take(&pp.in.replay, &ws);

	c->make(&pp, &pk);
	rc = esp_decap(&pp.in, &pk, &nh, &seq, false);
	if (rc != want)
		print_message("%s (%" PRIu64 " failures): %s\n", c->name,
		    fails, esp_drop_name(rc));
	assert_int_equal(rc, want);
	assert_int_equal(seq, want == ESP_OK ? 0x100000000ULL | 201 : 0);
	wsnap_same(&pp.in.replay, &ws);
	assert_int_equal(pp.in.replay.top, 200);
	for (i = 137; i <= 200; i++)
		assert_int_equal(window_bit(&pp.in.replay, i),
		    i == 150 || i == 190 || i == 200);
	/* Only a failed authentication counts, and only where the high
	 * half is authenticated (ESN, not auth none); a packet that a
	 * resync found authentic is no failure. */
	assert_int_equal(pp.in.replay.auth_fails,
	    fails + (c->esn && c->want == ESP_DROP_AUTH && rc != ESP_OK));

	/* The window is as open as before: 201 comes in. */
	sa_crypto_free(pp.in.crypto);
	pp.in.crypto = mk_crypto(pp.suite, false, 0x11, 0x22);
	genuine(&pp, &pk, 201);
	assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq, false), ESP_OK);
	assert_int_equal(seq, 201);
	assert_true(esp_accept(&pp.in, seq));
	assert_int_equal(pp.in.replay.top, 201);
	assert_int_equal(pp.in.replay.auth_fails, 0);
	pair_free(&pp);
}

/* Every way esp_decap can drop a packet leaves the window as it was,
 * also on an SA in resync mode (RFC 4303 A3), where the failing ones
 * are tried under more high halves; there the two packets whose high
 * half the receiver guessed wrong resynchronise, still without moving
 * the window before esp_accept. */
static void
test_drops_keep_window(void **state)
{
	static const uint64_t fails[] = { 0, ESP_RESYNC_THRESHOLD - 2,
	    ESP_RESYNC_THRESHOLD - 1, ESP_RESYNC_THRESHOLD +
	    ESP_RESYNC_ROUNDS - 1 };
	size_t i, f;

	(void)state;
	for (f = 0; f < sizeof(fails) / sizeof(fails[0]); f++)
		for (i = 0; i < sizeof(drop_cases) / sizeof(drop_cases[0]);
		    i++)
			drop_case_run(&drop_cases[i], fails[f]);
}

/* esp_accept says whether the packet became the new top: only then may
 * the engine move a dynamic peer's endpoint. */
static void
test_accept_answer(void **state)
{
	static const size_t which[] = { S_AESCBC_SHA256, S_GCM, S_AESCBC_NONE };
	struct wsnap ws;
	struct pair pp;
	uint64_t seq;
	uint8_t nh;
	size_t w;
	int esn;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		for (esn = 0; esn <= 1; esn++) {
			pair_init(&pp, &suites[which[w]], esn);
			/* New top. */
			genuine(&pp, &pk, 10);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq,
			    false), ESP_OK);
			assert_int_equal(seq, 10);
			assert_int_equal(pp.in.replay.top, 0);
			assert_true(esp_accept(&pp.in, seq));
			assert_int_equal(pp.in.replay.top, 10);
			assert_true(window_bit(&pp.in.replay, 10));
			/* Below the top: accepted, marked, not forward. */
			genuine(&pp, &pk, 5);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq,
			    false), ESP_OK);
			assert_int_equal(seq, 5);
			assert_false(window_bit(&pp.in.replay, 5));
			assert_false(esp_accept(&pp.in, seq));
			assert_int_equal(pp.in.replay.top, 10);
			assert_true(window_bit(&pp.in.replay, 5));
			/* The same number again: nothing changes. */
			wsnap_take(&pp.in.replay, &ws);
			assert_false(esp_accept(&pp.in, 10));
			assert_false(esp_accept(&pp.in, 5));
			wsnap_same(&pp.in.replay, &ws);
			/* Forward by one, then far forward: both new tops. */
			genuine(&pp, &pk, 11);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq,
			    false), ESP_OK);
			assert_true(esp_accept(&pp.in, seq));
			assert_int_equal(pp.in.replay.top, 11);
			genuine(&pp, &pk, 5000);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq,
			    false), ESP_OK);
			assert_true(esp_accept(&pp.in, seq));
			assert_int_equal(pp.in.replay.top, 5000);
			assert_false(window_bit(&pp.in.replay, 11));
			assert_true(window_bit(&pp.in.replay, 5000));
			pair_free(&pp);
		}
	}
}

/* RFC 4303 A3 is tried with two AEADs and CBC with either HMAC. */
static const size_t resync_suites[] = { S_GCM, S_CHACHA, S_AESCBC_SHA256,
    S_BF_SHA1 };
#define NRESYNC (sizeof(resync_suites) / sizeof(resync_suites[0]))

/* The sender's next packet (60 bytes of inner data), decapsulated, and on
 * ESP_OK accepted as the engine does. Checks that esp_decap left the
 * window alone and, on ESP_OK, that the inner packet and the number are
 * the sender's. */
static enum esp_drop
send_one(struct pair *pp, uint64_t *seq)
{
	static struct wsnap ws;
	uint64_t want = pp->out.seq + 1;
	enum esp_drop rc;
	uint8_t nh = 0;

	fill_inner(&pk, 60, (uint8_t)want);
	memcpy(inner, pkt_data(&pk), 60);
	assert_int_equal(esp_encap(&pp->out, &pk, 4), 0);
	wsnap_take(&pp->in.replay, &ws);
	*seq = 0;
	rc = esp_decap(&pp->in, &pk, &nh, seq, false);
	wsnap_same(&pp->in.replay, &ws);
	if (rc == ESP_OK) {
		assert_int_equal(*seq, want);
		assert_int_equal(nh, 4);
		assert_int_equal(pk.len, 60);
		assert_memory_equal(pkt_data(&pk), inner, 60);
		assert_int_equal(esp_accept(&pp->in, *seq), *seq > ws.top);
		assert_int_equal(pp->in.replay.auth_fails, 0);
	}
	return rc;
}

/* The RFC's case: the receiver's top is 100, the sender is at 2^32 +
 * 1000 (more than 2^32 packets lost). A2.2 guesses high half 0 and every
 * packet fails; the THRESHOLD-th is also tried with 1..4 and passes, and
 * the ones after it pass as usual. */
static void
test_resync_lost_sync(void **state)
{
	struct pair pp;
	uint64_t seq, i;
	size_t w;

	(void)state;
	for (w = 0; w < NRESYNC; w++) {
		pair_init(&pp, &suites[resync_suites[w]], true);
		assert_true(esp_accept(&pp.in, 100));
		pp.out.seq = 0x100000000ULL + 999;
		for (i = 1; i < ESP_RESYNC_THRESHOLD; i++) {
			assert_int_equal(send_one(&pp, &seq), ESP_DROP_AUTH);
			assert_int_equal(pp.in.replay.top, 100);
			assert_true(window_bit(&pp.in.replay, 100));
			assert_int_equal(pp.in.replay.auth_fails, i);
		}
		assert_int_equal(send_one(&pp, &seq), ESP_OK);
		assert_int_equal(seq, 0x100000000ULL + 1000 +
		    ESP_RESYNC_THRESHOLD - 1);
		assert_int_equal(pp.in.replay.top, seq);
		assert_true(window_bit(&pp.in.replay, seq));
		for (i = 0; i < 5; i++) {
			assert_int_equal(send_one(&pp, &seq), ESP_OK);
			assert_int_equal(pp.in.replay.top, pp.out.seq);
		}
		/* The window works on from there: a gap, then a number
		 * from the gap. */
		pp.out.seq += 5;
		assert_int_equal(send_one(&pp, &seq), ESP_OK);
		assert_int_equal(pp.in.replay.top, seq);
		pp.out.seq -= 4;
		assert_int_equal(send_one(&pp, &seq), ESP_OK);
		assert_int_equal(pp.in.replay.top, seq + 3);
		assert_true(window_bit(&pp.in.replay, seq));
		assert_false(window_bit(&pp.in.replay, seq + 1));
		pair_free(&pp);
	}
}

/* A packet of random bytes with the SA's SPI and number lo. */
static void
random_packet(struct pair *pp, struct pkt *p, uint32_t lo)
{
	size_t i, n = ESP_HDR_LEN + pp->ci->iv_len + 64 + pp->icv;

	pkt_reset(p);
	for (i = 0; i < n; i++)
		pkt_data(p)[i] = (uint8_t)(lo * 31 + i * 7 + (i >> 3));
	esp_put32(pkt_data(p), pp->in.spi);
	esp_put32(pkt_data(p) + 4, lo);
	p->len = n;
}

/* In resync mode nothing that does not authenticate resynchronises or
 * moves the window: flipped genuine packets from far ahead, a sender
 * with another key, a genuine packet from before the window (its high
 * half 0 is authenticated, and only higher ones are tried) and random
 * bytes, for more than a whole round of ROUNDS. The count goes up by one
 * per packet. The genuine sender then resynchronises within ROUNDS
 * packets, when the round of th + 1 .. th + SPAN comes again. */
static void
test_resync_forged(void **state)
{
	static uint8_t old[PKT_BUFSZ];
	const uint64_t nforged = ESP_RESYNC_THRESHOLD + ESP_RESYNC_ROUNDS + 9;
	struct esp_sa evil;
	struct wsnap ws;
	struct pair pp;
	uint64_t seq, f, top;
	size_t w, oldlen;
	enum esp_drop rc;
	uint8_t nh;

	(void)state;
	for (w = 0; w < NRESYNC; w++) {
		pair_init(&pp, &suites[resync_suites[w]], true);
		evil = pp.out;
		evil.crypto = mk_crypto(pp.suite, true, 0x99, 0x23);
		genuine(&pp, &pk, 10);
		memcpy(old, pkt_data(&pk), pk.len);
		oldlen = pk.len;
		pp.out.seq = 20;
		while (pp.out.seq < 100)
			assert_int_equal(send_one(&pp, &seq), ESP_OK);
		top = pp.in.replay.top;
		assert_int_equal(top, 100);
		wsnap_take(&pp.in.replay, &ws);

		for (f = 0; f < nforged; f++) {
			switch (f % 4) {
			case 0:
				genuine(&pp, &pk, 0x100000000ULL + 5000 + f);
				pkt_data(&pk)[ESP_HDR_LEN + pp.ci->iv_len +
				    f % 16] ^= 0x20;
				break;
			case 1:
				evil.seq = 0x100000000ULL + 2000 + f;
				fill_inner(&pk, 60, 1);
				assert_int_equal(esp_encap(&evil, &pk, 4), 0);
				break;
			case 2:
				load(&pk, old, oldlen);
				break;
			default:
				random_packet(&pp, &pk, 1000 + (uint32_t)f);
				break;
			}
			seq = 0;
			rc = esp_decap(&pp.in, &pk, &nh, &seq, false);
			assert_int_equal(rc, ESP_DROP_AUTH);
			assert_int_equal(seq, 0);
			wsnap_same(&pp.in.replay, &ws);
			assert_int_equal(pp.in.replay.auth_fails, f + 1);
		}

		pp.out.seq = 0x100000000ULL + 7000;
		for (f = 0; f < ESP_RESYNC_ROUNDS; f++)
			if (send_one(&pp, &seq) == ESP_OK)
				break;
		assert_true(f < ESP_RESYNC_ROUNDS);
		/* It came when the round of high halves 1..4 came again. */
		assert_int_equal((nforged + f + 1 - ESP_RESYNC_THRESHOLD) %
		    ESP_RESYNC_ROUNDS, 0);
		assert_int_equal(seq >> 32, 1);
		assert_int_equal(pp.in.replay.top, seq);
		/* The old packet is left of the window for good. */
		load(&pk, old, oldlen);
		assert_int_not_equal(esp_decap(&pp.in, &pk, &nh, &seq, false),
		    ESP_OK);
		sa_crypto_free(evil.crypto);
		pair_free(&pp);
	}
}

/* A fresh receiver (top 0) and a sender at 5 * 2^32 + 3: the rounds reach
 * high half 5 with the second try (1..4, then 5..8), at packet
 * THRESHOLD + 1. */
static void
test_resync_fresh_receiver(void **state)
{
	const uint64_t start = 5 * 0x100000000ULL + 3;
	struct pair pp;
	uint64_t seq, i;
	size_t w;

	(void)state;
	for (w = 0; w < NRESYNC; w++) {
		pair_init(&pp, &suites[resync_suites[w]], true);
		pp.out.seq = start - 1;
		for (i = 1; i <= ESP_RESYNC_THRESHOLD; i++) {
			assert_int_equal(send_one(&pp, &seq), ESP_DROP_AUTH);
			assert_int_equal(pp.in.replay.top, 0);
			assert_int_equal(pp.in.replay.auth_fails, i);
		}
		assert_int_equal(send_one(&pp, &seq), ESP_OK);
		assert_int_equal(seq, start + ESP_RESYNC_THRESHOLD);
		assert_int_equal(pp.in.replay.top, seq);
		for (i = 0; i < 3; i++)
			assert_int_equal(send_one(&pp, &seq), ESP_OK);
		assert_int_equal(pp.in.replay.top, start +
		    ESP_RESYNC_THRESHOLD + 3);
		pair_free(&pp);
	}
}

/* How far the rounds reach: high half SPAN * ROUNDS above the window's
 * is found at packet THRESHOLD + ROUNDS - 1; one more is never found.
 * Nor is anything past 2^64 - 1. */
static void
test_resync_reach(void **state)
{
	const uint64_t reach = ESP_RESYNC_SPAN * ESP_RESYNC_ROUNDS;
	struct pair pp;
	uint64_t seq, i;

	(void)state;
	pair_init(&pp, &suites[S_GCM], true);
	pp.out.seq = reach << 32 | 2;
	for (i = 1; i < ESP_RESYNC_THRESHOLD + ESP_RESYNC_ROUNDS - 1; i++)
		assert_int_equal(send_one(&pp, &seq), ESP_DROP_AUTH);
	assert_int_equal(send_one(&pp, &seq), ESP_OK);
	assert_int_equal(seq >> 32, reach);
	pair_free(&pp);

	pair_init(&pp, &suites[S_GCM], true);
	pp.out.seq = (reach + 1) << 32 | 2;
	for (i = 1; i <= ESP_RESYNC_THRESHOLD + 2 * ESP_RESYNC_ROUNDS; i++)
		assert_int_equal(send_one(&pp, &seq), ESP_DROP_AUTH);
	assert_int_equal(pp.in.replay.top, 0);
	assert_int_equal(pp.in.replay.auth_fails, i - 1);
	pair_free(&pp);

	/* At the end of the space: one high half is left above the
	 * window's, and it is found; with none left, nothing is tried. */
	pair_init(&pp, &suites[S_CHACHA], true);
	assert_true(esp_accept(&pp.in, 0xfffffffe00000100ULL));
	pp.out.seq = 0xffffffff00001000ULL;
	for (i = 1; i < ESP_RESYNC_THRESHOLD; i++)
		assert_int_equal(send_one(&pp, &seq), ESP_DROP_AUTH);
	assert_int_equal(send_one(&pp, &seq), ESP_OK);
	assert_int_equal(seq, 0xffffffff00001000ULL + ESP_RESYNC_THRESHOLD);
	pp.out.seq = 0xfffffffe00002000ULL;     /* now behind the window */
	for (i = 1; i <= ESP_RESYNC_THRESHOLD + 2; i++)
		assert_int_equal(send_one(&pp, &seq), ESP_DROP_AUTH);
	assert_int_equal(pp.in.replay.top, 0xffffffff00001000ULL +
	    ESP_RESYNC_THRESHOLD);
	pair_free(&pp);
}

/* Without ESN the high half is neither sent nor authenticated: failures
 * are not counted, so no other half is ever tried, not even with a count
 * past the threshold. */
static void
test_resync_not_without_esn(void **state)
{
	static const size_t which[] = { S_GCM, S_AESCBC_SHA1 };
	struct esp_sa evil;
	struct pair pp;
	uint64_t seq, i;
	uint8_t nh;
	size_t w;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		pair_init(&pp, &suites[which[w]], false);
		evil = pp.out;
		evil.crypto = mk_crypto(pp.suite, true, 0x99, 0x23);
		evil.seq = 200;
		assert_true(esp_accept(&pp.in, 100));
		for (i = 0; i < 3 * ESP_RESYNC_THRESHOLD; i++) {
			fill_inner(&pk, 60, 1);
			assert_int_equal(esp_encap(&evil, &pk, 4), 0);
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq,
			    false), ESP_DROP_AUTH);
			assert_int_equal(pp.in.replay.auth_fails, 0);
		}
		pp.in.replay.auth_fails = ESP_RESYNC_THRESHOLD + 5;
		fill_inner(&pk, 60, 1);
		assert_int_equal(esp_encap(&evil, &pk, 4), 0);
		assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq, false),
		    ESP_DROP_AUTH);
		assert_int_equal(pp.in.replay.auth_fails,
		    ESP_RESYNC_THRESHOLD + 5);
		assert_int_equal(pp.in.replay.top, 100);
		pp.out.seq = evil.seq;
		assert_int_equal(send_one(&pp, &seq), ESP_OK);
		assert_true(seq <= UINT32_MAX);
		sa_crypto_free(evil.crypto);
		pair_free(&pp);
	}
}

/* Auth none on an ESN SA: no packet can fail authentication, so nothing
 * is counted and no other half is tried; the number is A2.2's guess,
 * right or wrong (nothing on the wire could tell). */
static void
test_resync_not_auth_none(void **state)
{
	static const size_t which[] = { S_AESCBC_NONE, S_3DES_NONE };
	struct pair pp;
	uint64_t seq, i;
	uint8_t nh;
	size_t w;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		pair_init(&pp, &suites[which[w]], true);
		assert_true(esp_accept(&pp.in, 100));
		pp.out.seq = 0x100000000ULL + 999;
		for (i = 0; i < 3; i++) {
			genuine(&pp, &pk, pp.out.seq + 1);
			pp.in.replay.auth_fails = ESP_RESYNC_THRESHOLD + 1;
			assert_int_equal(esp_decap(&pp.in, &pk, &nh, &seq,
			    false), ESP_OK);
			assert_int_equal(seq, 1000 + i);
			assert_int_equal(pp.in.replay.auth_fails,
			    ESP_RESYNC_THRESHOLD + 1);
			assert_true(esp_accept(&pp.in, seq));
		}
		assert_int_equal(pp.in.replay.top, 1002);
		for (i = 0; i < 2 * ESP_RESYNC_THRESHOLD; i++) {
			random_packet(&pp, &pk, 2000 + (uint32_t)i);
			pp.in.replay.auth_fails = ESP_RESYNC_THRESHOLD + 1;
			seq = 0;
			if (esp_decap(&pp.in, &pk, &nh, &seq, false) == ESP_OK)
				assert_int_equal(seq, 2000 + i);
			assert_int_equal(pp.in.replay.auth_fails,
			    ESP_RESYNC_THRESHOLD + 1);
			assert_int_equal(pp.in.replay.top, 1002);
		}
		pair_free(&pp);
	}
}

/* CBC IVs on the wire (sa_cbc_iv of seq + iv_base): one packet sent
 * again and again gets a new IV and so a new first ciphertext block
 * every time, no IV is the counter in the clear, and the receiver,
 * which knows neither the IV key nor iv_base, decrypts with the IV it
 * reads. Also across the 2^32 carry with ESN. */
static void
test_cbc_ivs(void **state)
{
	static const size_t which[] = { S_BF_SHA1, S_BF256_NONE, S_BF448_NONE,
	    S_3DES_NONE, S_AESCBC_SHA1, S_AES256CBC_NONE };
	enum { N = 300 };
	static uint8_t ivs[N][CRYPTO_IV_MAX], ct1[N][CRYPTO_IV_MAX];
	uint8_t ctr[CRYPTO_IV_MAX], want[CRYPTO_IV_MAX], nh;
	uint64_t start, seq, c;
	struct pair pp;
	size_t w, i, j, k, ivl;
	int esn;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++)
		for (esn = 0; esn <= 1; esn++) {
			pair_init(&pp, &suites[which[w]], esn);
			ivl = pp.ci->iv_len;
			assert_false(cipher_is_aead(pp.ci));
			start = esn ? 0xffffff00ULL : 0;
			pp.out.seq = start;
			pp.out.iv_base = esn ? 0x0123456789abcdefULL : 0;
			if (start > 0)
				assert_true(esp_accept(&pp.in, start));
			for (i = 0; i < N; i++) {
				fill_inner(&pk, 40, 7);
				memcpy(inner, pkt_data(&pk), 40);
				assert_int_equal(esp_encap(&pp.out, &pk, 4), 0);
				seq = pp.out.seq;
				memcpy(ivs[i], pkt_data(&pk) + ESP_HDR_LEN, ivl);
				memcpy(ct1[i], pkt_data(&pk) + ESP_HDR_LEN +
				    ivl, ivl);
				c = seq + pp.out.iv_base;
				memset(ctr, 0, sizeof(ctr));
				for (k = 0; k < 8; k++)
					ctr[ivl - 1 - k] = (uint8_t)(c >> (8 * k));
				assert_memory_not_equal(ivs[i], ctr, ivl);
				assert_int_equal(sa_cbc_iv(pp.out.crypto, c,
				    want), 0);
				assert_memory_equal(ivs[i], want, ivl);
				assert_int_equal(decap(&pp.in, &pk, &nh, false),
				    ESP_OK);
				assert_int_equal(pk.len, 40);
				assert_memory_equal(pkt_data(&pk), inner, 40);
			}
			for (i = 0; i < N; i++)
				for (j = i + 1; j < N; j++) {
					assert_memory_not_equal(ivs[i], ivs[j],
					    ivl);
					assert_memory_not_equal(ct1[i], ct1[j],
					    ivl);
				}
			pair_free(&pp);
		}
}

/* AEAD IV = seq + iv_base mod 2^64, big-endian on the wire; the
 * receiver, which knows nothing of iv_base, takes it from there. */
static void
test_iv_base(void **state)
{
	static const size_t which[] = { S_GCM, S_GCM256, S_CHACHA };
	static const struct { uint64_t seq, base; } t[] = {
		{ 1, 0 },
		{ 1, 1 },
		{ 0x1234, 0xdeadbeefcafef00dULL },
		{ 0xfffffff0ULL, 0x20 },                /* carry into the top */
		{ 0x100000005ULL, UINT64_MAX - 2 },     /* wraps: 2 */
		{ 77, UINT64_MAX },                     /* wraps: 76 */
	};
	uint8_t iv[8], nh;
	struct pair pp;
	uint64_t seq, want;
	size_t w, i, k;
	int esn;

	(void)state;
	for (w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		for (esn = 0; esn <= 1; esn++) {
			pair_init(&pp, &suites[which[w]], esn);
			for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
				if (!esn && t[i].seq > UINT32_MAX)
					continue;
				pp.out.iv_base = t[i].base;
				pp.out.seq = t[i].seq - 1;
				fill_inner(&pk, 50, (uint8_t)i);
				memcpy(inner, pkt_data(&pk), 50);
				assert_int_equal(esp_encap(&pp.out, &pk, 41), 0);
				want = t[i].seq + t[i].base;
				for (k = 0; k < 8; k++)
					iv[k] = (uint8_t)(want >> (56 - 8 * k));
				assert_memory_equal(pkt_data(&pk) +
				    ESP_HDR_LEN, iv, 8);
				assert_int_equal(esp_get32(pkt_data(&pk) + 4),
				    (uint32_t)t[i].seq);
				/* A fresh receiver window for each. */
				replay_free(&pp.in.replay);
				assert_int_equal(replay_init(&pp.in.replay, 64,
				    esn), 0);
				if (t[i].seq > 32)
					assert_true(esp_accept(&pp.in,
					    t[i].seq - 32));
				assert_int_equal(esp_decap(&pp.in, &pk, &nh,
				    &seq, false), ESP_OK);
				assert_int_equal(seq, t[i].seq);
				assert_int_equal(nh, 41);
				assert_int_equal(pk.len, 50);
				assert_memory_equal(pkt_data(&pk), inner, 50);
			}
			pair_free(&pp);
		}
	}
}

static void
test_peek_and_names(void **state)
{
	static const uint8_t h[8] = { 0x80, 0x01, 0x02, 0x03, 0, 0, 0, 1 };
	uint32_t spi = 0;

	(void)state;
	assert_true(esp_peek_spi(h, 8, &spi));
	assert_int_equal(spi, 0x80010203u);
	assert_false(esp_peek_spi(h, 7, &spi));
	assert_false(esp_peek_spi(h, 0, &spi));
	assert_string_equal(esp_drop_name(ESP_OK), "ok");
	assert_string_equal(esp_drop_name(ESP_DROP_MALFORMED), "malformed");
	assert_string_equal(esp_drop_name(ESP_DROP_NO_SA), "no_sa");
	assert_string_equal(esp_drop_name(ESP_DROP_REPLAY), "replay");
	assert_string_equal(esp_drop_name(ESP_DROP_AUTH), "auth");
	assert_string_equal(esp_drop_name(ESP_DROP_DECRYPT), "decrypt");
	assert_string_equal(esp_drop_name(ESP_DROP_POLICY), "policy");
	assert_string_equal(esp_drop_name(ESP_DROP_MAX), "unknown");
}

/* Vectors made by scapy (tests/tools/esp_kat_gen.py): we decapsulate
 * them, and with the same IV we produce them byte for byte. */
static void
test_known_answers(void **state)
{
	const struct esp_kat *k;
	const struct cipher_info *ci;
	const struct auth_info *ai;
	struct esp_sa out, in;
	uint8_t nh = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(esp_kats) / sizeof(esp_kats[0]); i++) {
		k = &esp_kats[i];
		print_message("kat %s\n", k->name);
		ci = cipher_by_name(k->cipher);
		ai = auth_by_name(k->auth);
		assert_non_null(ci);
		assert_non_null(ai);
		memset(&out, 0, sizeof(out));
		memset(&in, 0, sizeof(in));
		out.spi = in.spi = k->spi;
		out.esn = in.esn = k->esn;
		out.crypto = sa_crypto_new(ci, k->key, k->keylen, ai,
		    k->authkey, k->authkeylen, true);
		in.crypto = sa_crypto_new(ci, k->key, k->keylen, ai,
		    k->authkey, k->authkeylen, false);
		assert_non_null(out.crypto);
		assert_non_null(in.crypto);
		assert_int_equal(replay_init(&in.replay, 64, k->esn), 0);
		if (k->seq > 64)
			replay_update(&in.replay, k->seq - 32);

		load(&pk, k->wire, k->wirelen);
		assert_int_equal(decap(&in, &pk, &nh, false), ESP_OK);
		assert_int_equal(nh, 4);
		assert_int_equal(pk.len, k->innerlen);
		assert_memory_equal(pkt_data(&pk), k->inner, k->innerlen);
		assert_int_equal(in.replay.top, k->seq);

		out.seq = k->seq - 1;
		load(&pk, k->inner, k->innerlen);
		assert_int_equal(esp_encap_iv(&out, &pk, 4, k->iv), 0);
		assert_int_equal(pk.len, k->wirelen);
		assert_memory_equal(pkt_data(&pk), k->wire, k->wirelen);

		sa_crypto_free(out.crypto);
		sa_crypto_free(in.crypto);
		replay_free(&in.replay);
	}
}

/* KAME's authenticators on the wire (RFC 4303 2): the ICV has the
 * suite's length (RFC 2403 2, RFC 4868 2.1.1, RFC 3566 4.3, and the
 * 96-bit SHA-2 truncations before RFC 4868) and, for the HMACs, is the
 * leftmost part of OpenSSL's EVP HMAC over SPI..ciphertext (with the
 * ESN high half after it). Every flipped ICV byte is an auth drop that
 * leaves the window alone; the genuine packet passes afterwards. XCBC's
 * bytes are checked by the RFC 3566 vectors (test_crypto_kat). */
static void
test_kame_auth_icv(void **state)
{
	static const struct {
		const char	*auth;
		const char	*digest;	/* NULL: not an HMAC */
		size_t		 icv;
	} want[] = {
		{ "hmac-md5-96", "MD5", 12 },
		{ "hmac-sha384-192", "SHA384", 24 },
		{ "hmac-sha512-256", "SHA512", 32 },
		{ "hmac-sha256-96", "SHA256", 12 },
		{ "hmac-sha384-96", "SHA384", 12 },
		{ "hmac-sha512-96", "SHA512", 12 },
		{ "aes-xcbc-mac-96", NULL, 12 },
	};
	uint8_t ak[CRYPTO_AUTHKEY_MAX], md[EVP_MAX_MD_SIZE], nh;
	struct rsnap rs;
	struct pair pp;
	size_t s, w, i, n, mlen, mdlen;
	int esn;

	(void)state;
	/* The auth key mk_crypto gives both ends (auth_seed 0x22). */
	for (i = 0; i < sizeof(ak); i++)
		ak[i] = (uint8_t)(0x22 ^ (3 * i));
	for (s = S_KAME_FIRST; s < S_KAME_END; s++)
		for (esn = 0; esn <= 1; esn++) {
			for (w = 0; strcmp(want[w].auth, suites[s].auth) != 0;
			    w++)
				assert_true(w + 1 < sizeof(want) /
				    sizeof(want[0]));
			pair_init(&pp, &suites[s], esn);
			assert_int_equal(pp.icv, want[w].icv);
			/* With ESN, a high half that is not 0. */
			pp.out.seq = esn ? 0x1fffffffeULL : 0x40;
			replay_update(&pp.in.replay, pp.out.seq);
			fill_inner(&pk, 77, (uint8_t)s);
			assert_int_equal(esp_encap(&pp.out, &pk, 4), 0);
			n = pk.len;
			memcpy(wire, pkt_data(&pk), n);
			assert_int_equal(n, ESP_HDR_LEN + pp.ci->iv_len +
			    ct_len(&pp, 77) + want[w].icv);
			if (want[w].digest != NULL) {
				mlen = n - want[w].icv;
				memcpy(inner, wire, mlen);
				if (esn) {
					esp_put32(inner + mlen, 1);
					mlen += 4;
				}
				assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL,
				    want[w].digest, NULL, ak, pp.ai->key_len,
				    inner, mlen, md, sizeof(md), &mdlen));
				assert_true(mdlen >= want[w].icv);
				assert_memory_equal(wire + n - want[w].icv, md,
				    want[w].icv);
			}
			rsnap_take(&pp.in.replay, &rs);
			for (i = n - want[w].icv; i < n; i++) {
				load(&pk, wire, n);
				pkt_data(&pk)[i] ^= 0x80;
				assert_int_equal(decap(&pp.in, &pk, &nh,
				    false), ESP_DROP_AUTH);
				rsnap_same(&pp.in.replay, &rs);
			}
			load(&pk, wire, n);
			assert_int_equal(decap(&pp.in, &pk, &nh, false),
			    ESP_OK);
			assert_int_equal(pk.len, 77);
			pair_free(&pp);
		}
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_esp_roundtrip", LOG_LVL_ERR, false);
	return crypto_global_init() == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peek_and_names),
		cmocka_unit_test(test_overhead),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_ctr_iv_counter),
		cmocka_unit_test(test_null_wire),
		cmocka_unit_test(test_cbc_iv_random),
		cmocka_unit_test(test_replay_drop),
		cmocka_unit_test(test_bitflip),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_seq_exhausted),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_dummy),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_padding_modes),
		cmocka_unit_test(test_replay_off),
		cmocka_unit_test(test_skip_icv),
		cmocka_unit_test(test_auth_none_forgery),
		cmocka_unit_test(test_drops_keep_window),
		cmocka_unit_test(test_accept_answer),
		cmocka_unit_test(test_resync_lost_sync),
		cmocka_unit_test(test_resync_forged),
		cmocka_unit_test(test_resync_fresh_receiver),
		cmocka_unit_test(test_resync_reach),
		cmocka_unit_test(test_resync_not_without_esn),
		cmocka_unit_test(test_resync_not_auth_none),
		cmocka_unit_test(test_iv_base),
		cmocka_unit_test(test_cbc_ivs),
		cmocka_unit_test(test_kame_auth_icv),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
