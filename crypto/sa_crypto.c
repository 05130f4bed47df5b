/* Keyed cipher and HMAC state of one SA in one direction. Keys go into
 * OpenSSL once, at creation; per packet only the IV (or nonce) is set, so
 * the per-packet paths neither allocate nor re-run a key schedule. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/crypto_impl.h"
#include "util/be.h"
#include "util/log.h"

#define AEAD_NONCE_LEN	12	/* RFC 4106 4, RFC 7634 2: salt(4) || iv(8) */
#define AEAD_IV_LEN	8
#define CTR_IV_LEN	8	/* RFC 3686 3 */
#define CTR_NONCE_LEN	4	/* RFC 3686 5 */
#define CTR_BLOCK	16	/* AES */
#define CTR_CHUNK	16	/* counter blocks per call into OpenSSL */
#define IV_KEY_LEN	16	/* Blowfish and CAST IV key: 128 bits */

static const uint8_t zero_iv[CRYPTO_IV_MAX];

/* One CBC key: Blowfish through its own key schedule, the other ciphers
 * through an EVP context that is never re-initialised after creation
 * (cbc_run says how the IV gets in). */
struct cbc_key {
	struct bf_cbc	*bf;
	EVP_CIPHER_CTX	*ctx;
	/* ctx's chaining value: the last ciphertext block it saw. */
	uint8_t		 chain[CRYPTO_IV_MAX];
};

struct sa_crypto {
	const struct cipher_info *cipher;
	const struct auth_info	*auth;
	struct cbc_key		 cbc;		/* CBC suites */
	/* CBC, encrypt side: IV = E(ivk, counter) (sa_cbc_iv). */
	struct cbc_key		 ivk;
	/* AEAD suites; for AES-CTR an AES-ECB context that makes the key
	 * stream (sa_ctr_crypt). */
	EVP_CIPHER_CTX		*cctx;
	struct hmac_key		*mac;		/* HMAC suites */
	struct xcbc_key		*xcbc;		/* aes-xcbc-mac-96 */
	bool			 encrypt;
	/* The salt (AEAD) or nonce (CTR) is key material: kept here (and
	 * wiped on free) because each nonce or counter block is built from
	 * it; bytes after it take the IV. */
	uint8_t			 nonce[AEAD_NONCE_LEN];
	struct log_limit	 lim;		/* per-packet OpenSSL errors */
};

/* A keyed EVP context for ci: CBC without OpenSSL's padding and with a
 * zero IV, AEAD with a 12-byte nonce and no nonce yet, or for CTR the
 * block cipher (ECB, always encrypting) without padding. */
static EVP_CIPHER_CTX *
evp_new(const struct cipher_info *ci, const uint8_t *key, size_t keylen,
    bool encrypt)
{
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *evp;
	bool aead = ci->mode == CIPHER_MODE_AEAD;
	int enc = encrypt || ci->mode == CIPHER_MODE_CTR ? 1 : 0;

	if ((evp = crypto_fetched_cipher(ci->id, keylen)) == NULL) {
		log_warnx("%s: no OpenSSL cipher for a %zu-bit key", ci->name,
		    keylen * 8);
		return NULL;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto err;
	/* The key length must be set before the key: BF-CBC and CAST5-CBC
	 * default to 128 bits and would silently ignore the rest of a
	 * longer key, or read past a shorter one. */
	if (!EVP_CipherInit_ex(ctx, evp, NULL, NULL, NULL, enc))
		goto err;
	if (EVP_CIPHER_CTX_get_key_length(ctx) != (int)keylen &&
	    !EVP_CIPHER_CTX_set_key_length(ctx, (int)keylen))
		goto err;
	if (EVP_CIPHER_CTX_get_key_length(ctx) != (int)keylen) {
		log_warnx("%s: OpenSSL would not take a %zu-bit key", ci->name,
		    keylen * 8);
		goto fail;
	}
	if (aead && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
	    AEAD_NONCE_LEN, NULL))
		goto err;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, key,
	    ci->mode == CIPHER_MODE_CBC ? zero_iv : NULL, enc))
		goto err;
	if (!aead) {
		/* ESP pads itself (RFC 4303 2.4); OpenSSL must not. */
		if (!EVP_CIPHER_CTX_set_padding(ctx, 0))
			goto err;
		if (ci->mode == CIPHER_MODE_CBC ?
		    EVP_CIPHER_CTX_get_iv_length(ctx) != (int)ci->iv_len ||
		    EVP_CIPHER_CTX_get_block_size(ctx) != (int)ci->block :
		    EVP_CIPHER_CTX_get_block_size(ctx) != CTR_BLOCK) {
			log_warnx("%s: OpenSSL's IV or block size differs",
			    ci->name);
			goto fail;
		}
	}
	return ctx;
err:
	crypto_log_errors(NULL, ci->name);
fail:
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

static int
cbc_key_init(struct cbc_key *k, const struct cipher_info *ci,
    const uint8_t *key, size_t keylen, bool encrypt)
{
	memset(k->chain, 0, sizeof(k->chain));
	if (ci->id == CIPHER_BLOWFISH_CBC) {
		if ((k->bf = bf_cbc_new(key, keylen)) == NULL) {
			log_warnx("%s: cannot set a %zu-bit key", ci->name,
			    keylen * 8);
			return -1;
		}
		return 0;
	}
	return (k->ctx = evp_new(ci, key, keylen, encrypt)) == NULL ? -1 : 0;
}

static void
cbc_key_clear(struct cbc_key *k)
{
	bf_cbc_free(k->bf);
	EVP_CIPHER_CTX_free(k->ctx);	/* cleanses the key schedule */
	OPENSSL_cleanse(k, sizeof(*k));
}

/* CBC in place under k, starting from iv. Setting an IV on an EVP
 * context costs more than a small packet's encryption (OpenSSL 3.0 looks
 * up provider parameters), so the context only ever sees Update, and it
 * chains every call on the last ciphertext block of the one before
 * (k->chain). The first block is corrected for that: CBC encrypts
 * E(P1 ^ chain), so feeding P1 ^ chain ^ iv yields E(P1 ^ iv), the
 * ciphertext for iv; decrypting yields D(C1) ^ chain, and XOR-ing
 * chain ^ iv into it gives D(C1) ^ iv. Every other block is chained on
 * its predecessor in the packet, as CBC wants. */
static int
cbc_run(struct sa_crypto *c, struct cbc_key *k, const uint8_t *iv,
    uint8_t *data, size_t len, bool encrypt)
{
	size_t bs = c->cipher->block, i;
	uint8_t last[CRYPTO_IV_MAX];
	int outl;

	if (k->bf != NULL) {
		bf_cbc_crypt(k->bf, iv, data, len, encrypt);
		return 0;
	}
	if (len == 0)
		return 0;
	if (encrypt)
		for (i = 0; i < bs; i++)
			data[i] ^= k->chain[i] ^ iv[i];
	else
		memcpy(last, data + len - bs, bs);
	if (!EVP_CipherUpdate(k->ctx, data, &outl, data, (int)len) ||
	    (size_t)outl != len) {
		crypto_log_errors(&c->lim, c->cipher->name);
		/* Where the context stands is unknown now: back to a
		 * known chaining value. */
		memset(k->chain, 0, sizeof(k->chain));
		if (!EVP_CipherInit_ex(k->ctx, NULL, NULL, NULL, zero_iv, -1))
			crypto_log_errors(&c->lim, c->cipher->name);
		return -1;
	}
	if (encrypt)
		memcpy(k->chain, data + len - bs, bs);
	else {
		for (i = 0; i < bs; i++)
			data[i] ^= k->chain[i] ^ iv[i];
		memcpy(k->chain, last, bs);
	}
	return 0;
}

/* Whether two DES keys are the same but for their parity bits. */
static bool
des_key_eq(const uint8_t *a, const uint8_t *b)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if ((a[i] & 0xfe) != (b[i] & 0xfe))
			return false;
	return true;
}

/* The IV key of an encrypting CBC SA: random, drawn once per SA, so that
 * the IVs of one SA are unpredictable and independent of every other
 * SA's, even of one created again with the same key (sa_cbc_iv). */
static int
setup_iv_key(struct sa_crypto *c, size_t keylen)
{
	const struct cipher_info *ci = c->cipher;
	uint8_t k[CRYPTO_KEY_MAX];
	size_t len = keylen;
	int r;

	/* Variable key sizes: the IV key takes 128 bits, whatever the
	 * data key's; DES and AES take one of the data key's size. DES's
	 * weak keys need no redraw: they still give a permutation. */
	if (ci->id == CIPHER_BLOWFISH_CBC || ci->id == CIPHER_CAST128_CBC)
		len = IV_KEY_LEN;
	do {
		if (crypto_random(k, len) == -1)
			return -1;
		/* 3DES with two equal neighbouring keys (parity bits aside)
		 * is single DES; redraw, however unlikely. */
	} while (ci->id == CIPHER_3DES_CBC && (des_key_eq(k, k + 8) ||
	    des_key_eq(k + 8, k + 16)));
	r = cbc_key_init(&c->ivk, ci, k, len, true);
	OPENSSL_cleanse(k, sizeof(k));
	return r;
}

static int
setup_mac(struct sa_crypto *c, const uint8_t *authkey, size_t authkeylen)
{
	if (c->auth->id == AUTH_AES_XCBC_MAC_96) {
		/* RFC 3566 4.1: AES-128, no other key size. */
		if (authkeylen != XCBC_KEY_LEN) {
			log_warnx("%s: %zu-byte key, expected %d bytes",
			    c->auth->name, authkeylen, XCBC_KEY_LEN);
			return -1;
		}
		if ((c->xcbc = xcbc_key_new(authkey, authkeylen)) == NULL) {
			log_warnx("%s: cannot set the key", c->auth->name);
			return -1;
		}
		return 0;
	}
	if ((c->mac = hmac_key_new(c->auth->id, authkey, authkeylen)) ==
	    NULL) {
		log_warnx("%s: cannot set the key", c->auth->name);
		return -1;
	}
	if (hmac_len(c->mac) < c->auth->icv_len) {
		log_warnx("%s: digest shorter than the ICV", c->auth->name);
		return -1;
	}
	return 0;
}

struct sa_crypto *
sa_crypto_new(const struct cipher_info *cipher, const uint8_t *key,
    size_t keylen, const struct auth_info *auth, const uint8_t *authkey,
    size_t authkeylen, bool encrypt)
{
	struct sa_crypto *c;
	size_t ckeylen;

	if (cipher == NULL || (key == NULL && keylen != 0)) {
		log_warnx("SA crypto: no cipher or no key");
		return NULL;
	}
	if (auth == NULL)
		auth = auth_by_name("none");
	if (keylen < cipher->salt_len ||
	    !cipher_key_len_ok(cipher, keylen - cipher->salt_len)) {
		log_warnx("%s: %zu bytes of key material, expected a key of "
		    "%zu to %zu bytes%s", cipher->name, keylen, cipher->key_min,
		    cipher->key_max, cipher->salt_len == 0 ? "" :
		    cipher->mode == CIPHER_MODE_CTR ? " plus a 4-byte nonce" :
		    " plus a 4-byte salt");
		return NULL;
	}
	ckeylen = keylen - cipher->salt_len;
	if (cipher_is_aead(cipher) && auth->id != AUTH_NONE) {
		/* RFC 4106 8, RFC 7634 2: the AEAD tag is the ICV. */
		log_warnx("%s has its own integrity check: auth must be none, "
		    "not %s", cipher->name, auth->name);
		return NULL;
	}
	if (cipher_needs_auth(cipher) && auth->id == AUTH_NONE) {
		/* RFC 3686 2, RFC 4303 3.2. */
		log_warnx("%s needs an integrity algorithm: auth none is not "
		    "allowed", cipher->name);
		return NULL;
	}
	if (auth->id == AUTH_NONE && authkeylen != 0) {
		log_warnx("auth none takes no key (%zu bytes given)",
		    authkeylen);
		return NULL;
	}
	if (auth->id != AUTH_NONE && (authkey == NULL || authkeylen == 0 ||
	    authkeylen > CRYPTO_AUTHKEY_MAX)) {
		log_warnx("%s: %zu-byte key, expected 1 to %d bytes", auth->name,
		    authkeylen, CRYPTO_AUTHKEY_MAX);
		return NULL;
	}
	if (crypto_global_init() == -1)
		return NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("SA crypto");
		return NULL;
	}
	c->cipher = cipher;
	c->auth = auth;
	c->encrypt = encrypt;
	switch (cipher->mode) {
	case CIPHER_MODE_AEAD:
	case CIPHER_MODE_CTR:
		memcpy(c->nonce, key + ckeylen, cipher->salt_len);
		if ((c->cctx = evp_new(cipher, key, ckeylen, encrypt)) == NULL)
			goto fail;
		break;
	case CIPHER_MODE_CBC:
		if (cbc_key_init(&c->cbc, cipher, key, ckeylen, encrypt) ==
		    -1 || (encrypt && setup_iv_key(c, ckeylen) == -1))
			goto fail;
		break;
	case CIPHER_MODE_NULL:
		break;
	}
	if (auth->id != AUTH_NONE && setup_mac(c, authkey, authkeylen) == -1)
		goto fail;
	return c;
fail:
	sa_crypto_free(c);
	return NULL;
}

void
sa_crypto_free(struct sa_crypto *c)
{
	if (c == NULL)
		return;
	cbc_key_clear(&c->cbc);
	cbc_key_clear(&c->ivk);
	EVP_CIPHER_CTX_free(c->cctx);	/* cleanses the key schedule */
	hmac_key_free(c->mac);
	xcbc_key_free(c->xcbc);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

const struct cipher_info *
sa_crypto_cipher(const struct sa_crypto *c)
{
	return c->cipher;
}

const struct auth_info *
sa_crypto_auth(const struct sa_crypto *c)
{
	return c->auth;
}

size_t
sa_crypto_icv_len(const struct sa_crypto *c)
{
	return suite_icv_len(c->cipher, c->auth);
}

size_t
suite_icv_len(const struct cipher_info *ci, const struct auth_info *ai)
{
	if (cipher_is_aead(ci))
		return ci->icv_len;
	return ai != NULL ? ai->icv_len : 0;
}

static int
cbc_crypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data, size_t len,
    bool encrypt)
{
	if (c->cipher->mode != CIPHER_MODE_CBC || c->encrypt != encrypt) {
		log_ratelimited(&c->lim, LOG_LVL_WARN, "%s: %s called on the "
		    "wrong kind of SA", c->cipher->name, encrypt ?
		    "sa_cbc_encrypt" : "sa_cbc_decrypt");
		return -1;
	}
	if (len % c->cipher->block != 0 || len > INT_MAX)
		return -1;
	return cbc_run(c, &c->cbc, iv, data, len, encrypt);
}

int
sa_cbc_iv(struct sa_crypto *c, uint64_t counter, uint8_t *iv)
{
	size_t bs = c->cipher->block;

	if (c->cipher->mode != CIPHER_MODE_CBC || !c->encrypt) {
		log_ratelimited(&c->lim, LOG_LVL_WARN, "%s: sa_cbc_iv called "
		    "on the wrong kind of SA", c->cipher->name);
		return -1;
	}
	/* One block, the counter big-endian in its last 8 bytes; CBC of a
	 * single block from a zero IV is the block cipher itself. */
	memset(iv, 0, bs - 8);
	be_put64(iv + bs - 8, counter);
	return cbc_run(c, &c->ivk, zero_iv, iv, bs, true);
}

int
sa_cbc_encrypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data,
    size_t len)
{
	return cbc_crypt(c, iv, data, len, true);
}

int
sa_cbc_decrypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data,
    size_t len)
{
	return cbc_crypt(c, iv, data, len, false);
}

/* The key stream is AES of the counter blocks, from an ECB context
 * keyed once: a CTR context would need its IV set per packet, which
 * costs more than a small packet's encryption (see cbc_run). */
int
sa_ctr_crypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data,
    size_t len)
{
	uint8_t ks[CTR_CHUNK * CTR_BLOCK], *b;
	size_t off, n, nb, i;
	uint32_t ctr = 1;	/* RFC 3686 4: the first block is 1 */
	int outl;

	if (c->cipher->mode != CIPHER_MODE_CTR) {
		log_ratelimited(&c->lim, LOG_LVL_WARN, "%s: sa_ctr_crypt "
		    "called on the wrong kind of SA", c->cipher->name);
		return -1;
	}
	if (len > INT_MAX)
		return -1;
	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(ks) ? len - off : sizeof(ks);
		nb = (n + CTR_BLOCK - 1) / CTR_BLOCK;
		/* RFC 3686 4: nonce(4) || IV(8) || counter(4, big-endian). */
		for (i = 0, b = ks; i < nb; i++, b += CTR_BLOCK) {
			memcpy(b, c->nonce, CTR_NONCE_LEN);
			memcpy(b + CTR_NONCE_LEN, iv, CTR_IV_LEN);
			be_put32(b + CTR_NONCE_LEN + CTR_IV_LEN, ctr++);
		}
		if (!EVP_EncryptUpdate(c->cctx, ks, &outl, ks,
		    (int)(nb * CTR_BLOCK)) || (size_t)outl != nb * CTR_BLOCK) {
			crypto_log_errors(&c->lim, c->cipher->name);
			OPENSSL_cleanse(ks, sizeof(ks));
			return -1;
		}
		for (i = 0; i < n; i++)
			data[off + i] ^= ks[i];
	}
	OPENSSL_cleanse(ks, sizeof(ks));
	return 0;
}

static int
aead_crypt(struct sa_crypto *c, const uint8_t *iv, const uint8_t *aad,
    size_t aadlen, uint8_t *data, size_t len, uint8_t *tag_out,
    const uint8_t *tag_in)
{
	const struct cipher_info *ci = c->cipher;
	uint8_t tag[CRYPTO_ICV_MAX];
	int outl, finl;
	bool encrypt = tag_out != NULL;

	if (!cipher_is_aead(ci) || c->encrypt != encrypt) {
		log_ratelimited(&c->lim, LOG_LVL_WARN, "%s: %s called on the "
		    "wrong kind of SA", ci->name, encrypt ? "sa_aead_encrypt" :
		    "sa_aead_decrypt");
		return -1;
	}
	if (len > INT_MAX || aadlen > INT_MAX)
		return -1;
	/* RFC 4106 4 / RFC 7634 2: nonce = salt || the IV on the wire. */
	memcpy(c->nonce + ci->salt_len, iv, AEAD_IV_LEN);
	if (!EVP_CipherInit_ex(c->cctx, NULL, NULL, NULL, c->nonce, -1))
		goto err;
	if (aadlen > 0 &&
	    !EVP_CipherUpdate(c->cctx, NULL, &outl, aad, (int)aadlen))
		goto err;
	outl = 0;
	if (len > 0 && (!EVP_CipherUpdate(c->cctx, data, &outl, data,
	    (int)len) || (size_t)outl != len))
		goto err;
	if (encrypt) {
		if (!EVP_CipherFinal_ex(c->cctx, data + outl, &finl) ||
		    !EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_AEAD_GET_TAG,
		    (int)ci->icv_len, tag_out))
			goto err;
		return 0;
	}
	if (tag_in == NULL)	/* cannot happen; keeps -O3's nonnull check quiet */
		goto err;
	memcpy(tag, tag_in, ci->icv_len);	/* the ctrl wants non-const */
	if (!EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_AEAD_SET_TAG,
	    (int)ci->icv_len, tag))
		goto err;
	if (!EVP_CipherFinal_ex(c->cctx, data + outl, &finl)) {
		/* A forgery, counted by the caller: not logged per packet,
		 * and no unauthenticated plaintext is left behind. */
		ERR_clear_error();
		OPENSSL_cleanse(data, len);
		return -1;
	}
	return 0;
err:
	crypto_log_errors(&c->lim, ci->name);
	if (!encrypt)
		OPENSSL_cleanse(data, len);
	return -1;
}

int
sa_aead_encrypt(struct sa_crypto *c, const uint8_t *iv, const uint8_t *aad,
    size_t aadlen, uint8_t *data, size_t len, uint8_t *tag)
{
	if (tag == NULL)
		return -1;
	return aead_crypt(c, iv, aad, aadlen, data, len, tag, NULL);
}

int
sa_aead_decrypt(struct sa_crypto *c, const uint8_t *iv, const uint8_t *aad,
    size_t aadlen, uint8_t *data, size_t len, const uint8_t *tag)
{
	if (tag == NULL)
		return -1;
	return aead_crypt(c, iv, aad, aadlen, data, len, NULL, tag);
}

/* The full HMAC or XCBC MAC into md (HMAC_MD_MAX bytes). */
static int
mac_full(struct sa_crypto *c, const uint8_t *d1, size_t l1, const uint8_t *d2,
    size_t l2, uint8_t *md)
{
	int r;

	if (c->xcbc != NULL)
		r = xcbc_compute(c->xcbc, d1, l1, d2, l2, md);
	else if (c->mac != NULL)
		r = hmac_compute(c->mac, d1, l1, d2, l2, md);
	else
		return -1;
	if (r == -1) {
		crypto_log_errors(&c->lim, c->auth->name);
		return -1;
	}
	return 0;
}

int
sa_mac(struct sa_crypto *c, const uint8_t *d1, size_t l1, const uint8_t *d2,
    size_t l2, uint8_t *icv)
{
	uint8_t md[HMAC_MD_MAX];

	if (mac_full(c, d1, l1, d2, l2, md) == -1)
		return -1;
	/* RFC 2403 2, RFC 2404 2, RFC 3566 4.3, RFC 4868 2.1.1: send the
	 * leftmost bits. */
	memcpy(icv, md, c->auth->icv_len);
	return 0;
}

int
sa_mac_verify(struct sa_crypto *c, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, const uint8_t *icv)
{
	uint8_t md[HMAC_MD_MAX];
	int r;

	if (mac_full(c, d1, l1, d2, l2, md) == -1)
		return -1;
	r = CRYPTO_memcmp(md, icv, c->auth->icv_len) == 0 ? 0 : -1;
	/* The right ICV for forged data must not linger on the stack. */
	OPENSSL_cleanse(md, sizeof(md));
	return r;
}
