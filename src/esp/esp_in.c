/* Inbound ESP (RFC 4303 3.4), in place. The order matters: nothing is
 * decrypted or trusted before it is authenticated, and esp_decap never
 * moves the replay window: the caller does, through esp_accept, once the
 * packet is known to be genuine (3.4.3), so a forged packet cannot close
 * the window on genuine ones, not even on an SA without integrity. */
#include "src/esp/esp.h"

#include <inttypes.h>
#include <string.h>

#include "src/esp/esp_internal.h"
#include "util/log.h"

/* RFC 4303 2.6: a dummy packet, to be discarded silently. */
#define ESP_NH_NONE 59

static struct log_limit lim_len, lim_replay, lim_auth, lim_decrypt, lim_pad;

/* RFC 4303 2.4: the sender fills the padding with 1, 2, 3, ...; the
 * receiver SHOULD check it. KAME's setkey -f zero-pad and -f random-pad
 * senders do not, so a peer may loosen the check (padding zero, any). */
static bool
pad_ok(enum esp_pad mode, const uint8_t *pad, size_t padlen)
{
	size_t i;
	bool seq = true, zero = true;

	if (mode == ESP_PAD_ANY)
		return true;
	for (i = 0; i < padlen; i++) {
		seq &= pad[i] == (uint8_t)(i + 1);
		zero &= pad[i] == 0;
	}
	return seq || (mode == ESP_PAD_ZERO && zero);
}

/* Where an ESP packet's parts are, once its lengths are checked. */
struct esp_view {
	uint8_t *hdr, *iv, *ct;
	size_t   front, ctlen;
};

/* (3) Checks the ICV or AEAD tag as if the packet carried number seq;
 * for AEAD also decrypts in place (the tag cannot be checked apart). */
static bool
authentic(struct esp_sa *sa, const struct esp_view *v, uint64_t seq,
    bool skip_icv)
{
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);
	uint8_t aad[ESP_AAD_MAX], esnhi[4];

	if (cipher_is_aead(ci)) {
		/* Its tag cannot be skipped (RFC 4106 5, RFC 7634 2). The
		 * AAD takes the SPI from the wire, so it is authenticated
		 * too. */
		size_t aadlen = esp_aad(aad, esp_get32(v->hdr), seq, sa->esn);

		return sa_aead_decrypt(sa->crypto, v->iv, aad, aadlen, v->ct,
		    v->ctlen, v->ct + v->ctlen) == 0;
	}
	/* ICV over SPI..ciphertext, plus the ESN high half (RFC 4303
	 * 2.2.1), compared in constant time. */
	if (sa_crypto_icv_len(sa->crypto) == 0 || skip_icv)
		return true;
	esp_put32(esnhi, (uint32_t)(seq >> 32));
	return sa_mac_verify(sa->crypto, v->hdr, v->front + v->ctlen,
	    sa->esn ? esnhi : NULL, sa->esn ? sizeof(esnhi) : 0,
	    v->ct + v->ctlen) == 0;
}

/* Whether failures on this SA count towards resynchronisation (esp.h):
 * ESN, and something that authenticates the high half. */
static bool
resync_applies(const struct esp_sa *sa, bool skip_icv)
{
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);

	return sa->esn && sa->replay.esn &&
	    (cipher_is_aead(ci) || (sa_crypto_icv_len(sa->crypto) > 0 &&
	    !skip_icv));
}

/* RFC 4303 A3.2: the packet failed authentication under the inferred
 * number *seq. Counts the failure and, once the count has reached the
 * threshold, tries the block of higher high halves the count selects
 * (esp.h). saved: the AEAD ciphertext is in resync_buf. True with *seq
 * set if one of them authenticates. The count is all a packet that does
 * not authenticate changes: it only picks whether and which halves a
 * later packet is tried with, never the window. */
static bool
resync(struct esp_sa *sa, const struct esp_view *v, uint64_t *seq,
    bool saved)
{
	static struct log_limit lim_resync;
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);
	struct replay *r = &sa->replay;
	uint64_t th = r->top >> 32, sh = *seq >> 32, h, first, cand;
	uint32_t seq_lo = (uint32_t)*seq;

	if (r->auth_fails < UINT64_MAX)
		r->auth_fails++;
	if (r->auth_fails < ESP_RESYNC_THRESHOLD ||
	    (cipher_is_aead(ci) && !saved))
		return false;
	first = th + 1 + ESP_RESYNC_SPAN *
	    ((r->auth_fails - ESP_RESYNC_THRESHOLD) % ESP_RESYNC_ROUNDS);
	for (h = first; h < first + ESP_RESYNC_SPAN && h <= UINT32_MAX; h++) {
		if (h == sh)
			continue;       /* A2.2's guess, already tried */
		if (cipher_is_aead(ci))
			memcpy(v->ct, r->resync_buf, v->ctlen);
		cand = h << 32 | seq_lo;
		if (authentic(sa, v, cand, false)) {
			/* It is no failure: should the caller not accept it
			 * (its own reasons), the next packet tries this
			 * block again at once. */
			r->auth_fails--;
			log_ratelimited(&lim_resync, LOG_LVL_INFO, "ESP spi "
			    "0x%08x: ESN resynchronised at seq %" PRIu64
			    " (window top %" PRIu64 ") after %" PRIu64
			    " authentication failures (RFC 4303 A3)",
			    sa->spi, cand, r->top, r->auth_fails);
			*seq = cand;
			return true;
		}
	}
	return false;
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
	struct esp_view v;
	uint32_t seq_lo;
	uint64_t seq;
	bool counts, saved = false;

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
	/* CBC needs whole blocks (RFC 4303 2.4); the stream suites (AEAD,
	 * CTR, NULL) accept any length, as Linux does. */
	if (ci->mode == CIPHER_MODE_CBC && ctlen % ci->block != 0) {
		log_ratelimited(&lim_len, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x: ciphertext %zu not a multiple "
		    "of %zu", sa->spi, ctlen, ci->block);
		return ESP_DROP_MALFORMED;
	}
	v.hdr = pkt_data(p);
	v.iv = v.hdr + ESP_HDR_LEN;
	v.ct = v.iv + ci->iv_len;
	v.front = front;
	v.ctlen = ctlen;
	seq_lo = esp_get32(v.hdr + 4);

	/* (2) Replay check without update (RFC 4303 3.4.3). */
	if (!replay_check(&sa->replay, seq_lo, &seq)) {
		log_ratelimited(&lim_replay, LOG_LVL_DEBUG,
		    "replayed ESP spi 0x%08x: seq %" PRIu64 ", window top %"
		    PRIu64, sa->spi, seq, sa->replay.top);
		return ESP_DROP_REPLAY;
	}

	/* (3) Authentication; AEAD decrypts in the same step and destroys
	 * the ciphertext if the tag fails, so when this packet will be
	 * tried under other high halves too (A3), keep a copy. Below the
	 * threshold no packet is copied. */
	counts = resync_applies(sa, skip_icv);
	if (counts && cipher_is_aead(ci) &&
	    sa->replay.auth_fails >= ESP_RESYNC_THRESHOLD - 1 &&
	    ctlen <= REPLAY_RESYNC_BUFSZ &&
	    replay_resync_buf(&sa->replay) != NULL) {
		memcpy(sa->replay.resync_buf, v.ct, ctlen);
		saved = true;
	}
	if (!authentic(sa, &v, seq, skip_icv) &&
	    !(counts && resync(sa, &v, &seq, saved))) {
		log_ratelimited(&lim_auth, LOG_LVL_WARN,
		    "ESP spi 0x%08x seq %" PRIu64 ": %s does not verify "
		    "(%zu bytes)", sa->spi, seq, cipher_is_aead(ci) ?
		    "AEAD tag" : "ICV", p->len);
		return ESP_DROP_AUTH;
	}

	/* (4) CBC and CTR decrypt only what authenticated; NULL has
	 * nothing to decrypt. */
	if ((ci->mode == CIPHER_MODE_CBC && sa_cbc_decrypt(sa->crypto, v.iv,
	    v.ct, ctlen) == -1) || (ci->mode == CIPHER_MODE_CTR &&
	    sa_ctr_crypt(sa->crypto, v.iv, v.ct, ctlen) == -1)) {
		log_ratelimited(&lim_decrypt, LOG_LVL_WARN,
		    "ESP spi 0x%08x seq %" PRIu64 ": decrypt failed "
		    "(%zu bytes)", sa->spi, seq, ctlen);
		return ESP_DROP_DECRYPT;
	}

	/* (5) Trailer: ctlen >= 2 was checked above. */
	padlen = v.ct[ctlen - 2];
	*next_header = v.ct[ctlen - 1];
	if (padlen > ctlen - 2) {
		log_ratelimited(&lim_pad, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x seq %" PRIu64 ": pad length %zu "
		    "> %zu", sa->spi, seq, padlen, ctlen - 2);
		return ESP_DROP_MALFORMED;
	}
	inner = ctlen - 2 - padlen;
	if (!pad_ok(sa->padding, v.ct + inner, padlen)) {
		log_ratelimited(&lim_pad, LOG_LVL_WARN,
		    "malformed ESP spi 0x%08x seq %" PRIu64 ": padding of %zu "
		    "bytes is not 1, 2, 3, ...%s", sa->spi, seq, padlen,
		    sa->padding == ESP_PAD_ZERO ? " nor zeros" : "");
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
	/* A3.1: a valid packet ends the run of failures. */
	sa->replay.auth_fails = 0;
	return replay_update(&sa->replay, seq);
}
