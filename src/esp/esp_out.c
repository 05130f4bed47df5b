/* Outbound ESP (RFC 4303 3.3), built in place:
 *
 *   SPI(4) | seq low(4) | IV | E(payload | pad | padlen | nh) | ICV
 *
 * The header and IV go into the headroom, the trailer and ICV into the
 * tailroom, so the inner packet is never copied. */
#include "src/esp/esp.h"

#include <string.h>

#include "src/esp/esp_internal.h"
#include "util/log.h"

int
esp_encap(struct esp_sa *sa, struct pkt *p, uint8_t next_header)
{
	return esp_encap_iv(sa, p, next_header, NULL);
}

int
esp_encap_iv(struct esp_sa *sa, struct pkt *p, uint8_t next_header,
    const uint8_t *fixed_iv)
{
	static struct log_limit lim_room, lim_seq, lim_cipher;
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);
	size_t icv_len = sa_crypto_icv_len(sa->crypto);
	size_t front = ESP_HDR_LEN + ci->iv_len;
	size_t ctlen, padlen, aadlen, i;
	uint8_t *hdr, *iv, *ct, aad[ESP_AAD_MAX], esnhi[4];
	uint64_t seq;

	/* Pad so that payload, pad length and next header end on a block
	 * boundary; stream suites (AEAD, CTR, NULL) report block 4, the
	 * 32-bit alignment RFC 4303 2.4 asks for anyway. */
	ctlen = (p->len + 2 + ci->block - 1) / ci->block * ci->block;
	padlen = ctlen - p->len - 2;
	if (pkt_headroom(p) < front || pkt_tailroom(p) < padlen + 2 + icv_len) {
		log_ratelimited(&lim_room, LOG_LVL_WARN,
		    "ESP encap spi 0x%08x: room %zu/%zu < %zu/%zu", sa->spi,
		    pkt_headroom(p), pkt_tailroom(p), front,
		    padlen + 2 + icv_len);
		return -1;
	}
	if (cipher_counter_iv(ci) && ci->iv_len != 8) {
		log_ratelimited(&lim_cipher, LOG_LVL_ERR,
		    "ESP encap %s: counter IV %zu != 8", ci->name, ci->iv_len);
		return -1;
	}

	/* RFC 4303 3.3.3: the counter must never cycle; the SA has to be
	 * replaced before 2^32 (or 2^64 with ESN) packets. */
	if ((!sa->esn && sa->seq >= UINT32_MAX) || sa->seq == UINT64_MAX) {
		log_ratelimited(&lim_seq, LOG_LVL_ERR,
		    "ESP encap spi 0x%08x: sequence numbers exhausted at %llu",
		    sa->spi, (unsigned long long)sa->seq);
		return -1;
	}
	seq = ++sa->seq;

	ct = pkt_data(p);
	/* RFC 4303 2.4: default padding is 1, 2, 3, ... */
	for (i = 0; i < padlen; i++)
		ct[p->len + i] = (uint8_t)(i + 1);
	ct[p->len + padlen] = (uint8_t)padlen;
	ct[p->len + padlen + 1] = next_header;

	p->off -= front;
	hdr = pkt_data(p);
	iv = hdr + ESP_HDR_LEN;
	esp_put32(hdr, sa->spi);
	esp_put32(hdr + 4, (uint32_t)seq);

	if (cipher_counter_iv(ci)) {
		/* Unique per key as long as the counter never repeats
		 * (RFC 4106 3.1, RFC 3686 3); wraps mod 2^64 on purpose. */
		uint64_t ivv = seq + sa->iv_base;

		esp_put32(iv, (uint32_t)(ivv >> 32));
		esp_put32(iv + 4, (uint32_t)ivv);
	}
	switch (ci->mode) {
	case CIPHER_MODE_AEAD:
		aadlen = esp_aad(aad, sa->spi, seq, sa->esn);
		if (sa_aead_encrypt(sa->crypto, iv, aad, aadlen, ct, ctlen,
		    ct + ctlen) == -1)
			goto fail;
		break;
	case CIPHER_MODE_CBC:
		/* Unpredictable and never repeated under the key as long as
		 * the counter is not (sa_cbc_iv). */
		if (fixed_iv != NULL)
			memcpy(iv, fixed_iv, ci->iv_len);
		else if (sa_cbc_iv(sa->crypto, seq + sa->iv_base, iv) == -1)
			goto fail;
		if (sa_cbc_encrypt(sa->crypto, iv, ct, ctlen) == -1)
			goto fail;
		break;
	case CIPHER_MODE_CTR:
		if (sa_ctr_crypt(sa->crypto, iv, ct, ctlen) == -1)
			goto fail;
		break;
	case CIPHER_MODE_NULL:
		break;		/* RFC 2410: the payload goes as it is */
	}
	/* RFC 4303 2.2.1 / 3.3.2.1: with ESN the high half is
	 * authenticated as if appended, but not sent. The AEAD tag is
	 * the ICV already. */
	esp_put32(esnhi, (uint32_t)(seq >> 32));
	if (!cipher_is_aead(ci) && icv_len > 0 && sa_mac(sa->crypto, hdr,
	    front + ctlen, sa->esn ? esnhi : NULL, sa->esn ? sizeof(esnhi) : 0,
	    ct + ctlen) == -1)
		goto fail;
	p->len = front + ctlen + icv_len;
	return 0;

fail:
	/* The sequence number stays consumed: reusing it could repeat an
	 * AEAD nonce. */
	p->off += front;
	log_ratelimited(&lim_cipher, LOG_LVL_WARN,
	    "ESP encap spi 0x%08x seq %llu: cipher failure", sa->spi,
	    (unsigned long long)seq);
	return -1;
}
