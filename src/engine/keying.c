/* Derived and manual keying of SAs (see keying.h). */
#include "src/engine/keying.h"

#include <string.h>

#include "crypto/crypto.h"
#include "util/be.h"
#include "util/log.h"

#define KEYING_SALT "vpntund keying v1"

/* The key file's block: cipher key || salt || auth key. */
static size_t
block_of(const struct sa_keys *k, uint8_t *out)
{
	memcpy(out, k->enc, k->enc_len);
	memcpy(out + k->enc_len, k->auth, k->auth_len);
	return k->enc_len + k->auth_len;
}

int
sa_root_init(struct sa_root *r, const struct peer_conf *pc,
    const struct sa_suite *su, struct sa_keys *k, uint32_t spi, bool derived)
{
	uint8_t block[sizeof(k->enc) + sizeof(k->auth)];
	size_t n;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->pc = pc;
	r->suite = su;
	r->spi = spi;
	r->derived = derived;
	if (!derived) {
		/* Not copied: the root would carry a second copy of the
		 * keys for as long as the peer exists. */
		r->keys = k;
		return 0;
	}
	n = block_of(k, block);
	if (crypto_hkdf_extract((const uint8_t *)KEYING_SALT,
	    sizeof(KEYING_SALT) - 1, block, n, r->prk) == -1) {
		log_warnx("peer %s: cannot derive keys for SA 0x%08x",
		    pc->name, spi);
		rc = -1;
	}
	crypto_wipe(block, sizeof(block));
	crypto_wipe(k, sizeof(*k));
	return rc;
}

void
sa_root_wipe(struct sa_root *r)
{
	crypto_wipe(r->prk, sizeof(r->prk));
	if (r->keys != NULL)
		crypto_wipe(r->keys, sizeof(*r->keys));
	r->keys = NULL;
}

uint32_t
sa_root_spi(const struct sa_root *r, uint64_t e)
{
	return r->derived ? r->spi ^ (uint32_t)(e & 1) : r->spi;
}

void
esp_sa_clear(struct esp_sa *sa)
{
	sa_crypto_free(sa->crypto);
	replay_free(&sa->replay);
	memset(sa, 0, sizeof(*sa));
}

/* The epoch's keys, split as the key file's block is. */
static int
derive_epoch(const struct sa_root *r, uint64_t e, struct sa_keys *k)
{
	const struct sa_suite *su = r->suite;
	uint8_t info[5 + 4 + 8], block[sizeof(k->enc) + sizeof(k->auth)];
	size_t enc = su->key_bits / 8 + su->cipher->salt_len;
	size_t auth = su->auth != NULL ? su->auth->key_len : 0;
	int rc;

	memcpy(info, "epoch", 5);
	be_put32(info + 5, r->spi);
	be_put64(info + 9, e);
	rc = crypto_hkdf_expand(r->prk, info, sizeof(info), block,
	    enc + auth);
	if (rc == 0) {
		memset(k, 0, sizeof(*k));
		memcpy(k->enc, block, enc);
		k->enc_len = enc;
		memcpy(k->auth, block + enc, auth);
		k->auth_len = auth;
	}
	crypto_wipe(block, sizeof(block));
	return rc;
}

int
sa_root_key(struct sa_root *r, uint64_t e, bool encrypt,
    struct esp_sa *sa)
{
	const struct peer_conf *pc = r->pc;
	struct sa_keys k;
	const struct sa_keys *use = r->keys;

	esp_sa_clear(sa);
	if (r->derived) {
		if (derive_epoch(r, e, &k) == -1)
			goto fail;
		use = &k;
	} else if (use == NULL)
		goto fail;              /* used once already */
	sa->spi = sa_root_spi(r, e);
	sa->esn = pc->esn;
	sa->crypto = sa_crypto_new(r->suite->cipher, use->enc, use->enc_len,
	    r->suite->auth, use->auth_len > 0 ? use->auth : NULL,
	    use->auth_len, encrypt);
	if (r->derived)
		crypto_wipe(&k, sizeof(k));
	else {
		crypto_wipe(r->keys, sizeof(*r->keys));
		r->keys = NULL;
	}
	if (sa->crypto == NULL)
		goto fail;
	if (!encrypt && pc->replay_window == 0)
		replay_init_off(&sa->replay);
	else if (!encrypt && replay_init(&sa->replay, pc->replay_window,
	    pc->esn) == -1)
		goto fail;
	if (!encrypt)
		sa->padding = pc->padding == PADDING_ZERO ? ESP_PAD_ZERO :
		    pc->padding == PADDING_ANY ? ESP_PAD_ANY : ESP_PAD_STRICT;
	return 0;
fail:
	log_warnx("peer %s: cannot key the %s SA 0x%08x", pc->name,
	    encrypt ? "outbound" : "inbound", sa_root_spi(r, e));
	esp_sa_clear(sa);
	return -1;
}

int
sa_root_ctl_key(const struct sa_root *r, uint32_t ctl_spi,
    uint8_t key[CRYPTO_HMAC_LEN])
{
	uint8_t info[7 + 4];

	if (!r->derived)
		return -1;
	memcpy(info, "control", 7);
	be_put32(info + 7, ctl_spi);
	if (crypto_hkdf_expand(r->prk, info, sizeof(info), key,
	    CRYPTO_HMAC_LEN) == 0)
		return 0;
	crypto_wipe(key, CRYPTO_HMAC_LEN);
	log_warnx("peer %s: cannot key the control channel 0x%08x",
	    r->pc->name, ctl_spi);
	return -1;
}
