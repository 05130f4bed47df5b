/* Inbound ESP (RFC 4303 3.4), in place. The order matters: nothing is
 * decrypted or trusted before it is authenticated, and esp_decap never
 * moves the replay window: the caller does, through esp_accept, once the
 * packet is known to be genuine (3.4.3), so a forged packet cannot close
 * the window on genuine ones, not even on an SA without integrity. */
#include "src/esp/esp.h"

#include <inttypes.h>

#include "src/esp/esp_internal.h"
#include "src/util/log.h"

/* RFC 4303 2.6: a dummy packet, to be discarded silently. */
#define ESP_NH_NONE 59

static struct log_limit lim_len, lim_replay, lim_auth, lim_decrypt, lim_pad;

/* RFC 4303 2.4: the sender fills the padding with 1, 2, 3, ...; the
 * receiver SHOULD check it. */
static bool
pad_ok(const uint8_t *pad, size_t padlen)
{
	size_t i;

	for (i = 0; i < padlen; i++)
		if (pad[i] != (uint8_t)(i + 1))
			return false;
	return true;
}

enum esp_drop
esp_decap(struct esp_sa *sa, struct pkt *p, uint8_t *next_header,
    uint64_t *seqp, bool skip_icv)
{
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);
	size_t icv_len = sa_crypto_icv_len(sa->crypto);
	size_t front = ESP_HDR_LEN + ci->iv_len;
	size_t ctmin = (2 + ci->block - 1) / ci->block * ci->block;
	size_t ctlen, padlen, inner;
	uint8_t *hdr, *iv, *ct, aad[ESP_AAD_MAX], esnhi[4];
	uint32_t seq_lo;
	uint64_t seq;

	/* (1) Lengths, before any byte is read. */
	if (p->off > PKT_BUFSZ || p->len > PKT_BUFSZ - p->off) {
		log_ratelimited(&lim_len, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x: off %zu + len %zu > %zu",
		    sa->spi, p->off, p->len, (size_t)PKT_BUFSZ);
		return ESP_DROP_MALFORMED;
	}
	if (p->len < front + ctmin + icv_len) {
		log_ratelimited(&lim_len, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x: %zu < %zu", sa->spi, p->len,
		    front + ctmin + icv_len);
		return ESP_DROP_MALFORMED;
	}
	ctlen = p->len - front - icv_len;
	/* CBC needs whole blocks (RFC 4303 2.4); AEAD suites are stream
	 * ciphers and accept any length, as Linux does. */
	if (!ci->aead && ctlen % ci->block != 0) {
		log_ratelimited(&lim_len, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x: ciphertext %zu not a multiple "
		    "of %zu", sa->spi, ctlen, ci->block);
		return ESP_DROP_MALFORMED;
	}
	hdr = pkt_data(p);
	iv = hdr + ESP_HDR_LEN;
	ct = iv + ci->iv_len;
	seq_lo = esp_get32(hdr + 4);

	/* (2) Replay check without update (RFC 4303 3.4.3). */
	if (!replay_check(&sa->replay, seq_lo, &seq)) {
		log_ratelimited(&lim_replay, LOG_LVL_DEBUG,
		    "replayed ESP spi 0x%08x: seq %" PRIu64 ", window top %"
		    PRIu64, sa->spi, seq, sa->replay.top);
		return ESP_DROP_REPLAY;
	}

	if (ci->aead) {
		/* (3+4) AEAD verifies and decrypts in one step; its tag
		 * cannot be skipped (RFC 4106 5, RFC 7634 2). The AAD takes
		 * the SPI from the wire, so it is authenticated too. */
		size_t aadlen = esp_aad(aad, esp_get32(hdr), seq, sa->esn);

		if (sa_aead_decrypt(sa->crypto, iv, aad, aadlen, ct, ctlen,
		    ct + ctlen) == -1) {
			log_ratelimited(&lim_auth, LOG_LVL_WARN,
			    "ESP spi 0x%08x seq %" PRIu64 ": AEAD tag does not "
			    "verify (%zu bytes)", sa->spi, seq, p->len);
			return ESP_DROP_AUTH;
		}
	} else {
		/* (3) ICV over SPI..ciphertext, plus the ESN high half
		 * (RFC 4303 2.2.1), compared in constant time. */
		esp_put32(esnhi, (uint32_t)(seq >> 32));
		if (icv_len > 0 && !skip_icv &&
		    sa_mac_verify(sa->crypto, hdr, front + ctlen,
		    sa->esn ? esnhi : NULL, sa->esn ? sizeof(esnhi) : 0,
		    ct + ctlen) != 0) {
			log_ratelimited(&lim_auth, LOG_LVL_WARN,
			    "ESP spi 0x%08x seq %" PRIu64 ": ICV does not "
			    "verify (%zu bytes)", sa->spi, seq, p->len);
			return ESP_DROP_AUTH;
		}
		/* (4) */
		if (sa_cbc_decrypt(sa->crypto, iv, ct, ctlen) == -1) {
			log_ratelimited(&lim_decrypt, LOG_LVL_WARN,
			    "ESP spi 0x%08x seq %" PRIu64 ": decrypt failed "
			    "(%zu bytes)", sa->spi, seq, ctlen);
			return ESP_DROP_DECRYPT;
		}
	}

	/* (5) Trailer: ctlen >= 2 was checked above. */
	padlen = ct[ctlen - 2];
	*next_header = ct[ctlen - 1];
	if (padlen > ctlen - 2) {
		log_ratelimited(&lim_pad, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x seq %" PRIu64 ": pad length %zu "
		    "> %zu", sa->spi, seq, padlen, ctlen - 2);
		return ESP_DROP_MALFORMED;
	}
	inner = ctlen - 2 - padlen;
	if (!pad_ok(ct + inner, padlen)) {
		log_ratelimited(&lim_pad, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x seq %" PRIu64 ": padding of %zu "
		    "bytes is not 1, 2, 3, ...", sa->spi, seq, padlen);
		return ESP_DROP_MALFORMED;
	}
	p->off += front;
	p->len = (*next_header == ESP_NH_NONE) ? 0 : inner;
	*seqp = seq;
	return ESP_OK;
}

bool
esp_accept(struct esp_sa *sa, uint64_t seq)
{
	return replay_update(&sa->replay, seq);
}
