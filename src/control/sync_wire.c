/* Encoding and strict decoding of synchronisation messages (sync_wire.h). */
#include "src/control/sync_wire.h"

#include <string.h>

#include "crypto/kdf.h"
#include "util/be.h"

#define SYNC_HDR   8            /* ESP: SPI, sequence number */
#define SYNC_FIXED 32           /* magic .. start id */
#define SYNC_REC   20
#define SYNC_NH    59           /* RFC 4303 2.6: no next header */

/* Payload plus trailer, padded so that it ends on 4 bytes (RFC 4303 2.4). */
static size_t
body_len(size_t nsa, size_t *padlen)
{
	size_t plain = SYNC_FIXED + nsa * SYNC_REC;
	size_t body = (plain + 2 + 3) / 4 * 4;

	*padlen = body - plain - 2;
	return body;
}

size_t
sync_encode(const struct sync_msg *m, uint32_t spi, uint32_t seq,
    struct crypto_hmac *mac, uint8_t *buf, size_t cap)
{
	size_t padlen, body, len, i;
	uint8_t *b = buf + SYNC_HDR, *r;

	if (m->nsa > SYNC_SA_MAX)
		return 0;
	body = body_len(m->nsa, &padlen);
	len = SYNC_HDR + body + SYNC_ICV_LEN;
	if (len > cap)
		return 0;
	memset(buf, 0, len);
	be_put32(buf, spi);
	be_put32(buf + 4, seq);
	memcpy(b, "vts\1", 4);
	b[4] = m->type;
	b[5] = (uint8_t)m->nsa;
	memcpy(b + 8, m->nonce, SYNC_NONCE_LEN);
	be_put64(b + 24, m->start_id);
	for (i = 0; i < m->nsa; i++) {
		r = b + SYNC_FIXED + i * SYNC_REC;
		r[0] = m->sa[i].kind;
		be_put64(r + 4, m->sa[i].epoch);
		be_put64(r + 12, m->sa[i].next_seq);
	}
	r = b + SYNC_FIXED + m->nsa * SYNC_REC;
	for (i = 0; i < padlen; i++)
		r[i] = (uint8_t)(i + 1);
	r[padlen] = (uint8_t)padlen;
	r[padlen + 1] = SYNC_NH;
	if (crypto_hmac_sign(mac, buf, SYNC_HDR + body, buf + SYNC_HDR + body,
	    SYNC_ICV_LEN) == -1)
		return 0;
	return len;
}

int
sync_decode(const uint8_t *buf, size_t len, struct crypto_hmac *mac,
    struct sync_msg *m, const char **why)
{
	const uint8_t *b = buf + SYNC_HDR, *r;
	size_t nsa, padlen, body, i;

	if (len < SYNC_HDR + SYNC_FIXED + 4 + SYNC_ICV_LEN || len > SYNC_MSG_MAX) {
		*why = "length";
		return -1;
	}
	if (crypto_hmac_verify(mac, buf, len - SYNC_ICV_LEN,
	    buf + len - SYNC_ICV_LEN, SYNC_ICV_LEN) == -1) {
		*why = "ICV";
		return -1;
	}
	/* Authentic from here on; still checked strictly, so that a peer
	 * of another version is told apart from a bug. */
	if (memcmp(b, "vts\1", 4) != 0) {
		*why = "magic or version";
		return -1;
	}
	nsa = b[5];
	if ((b[4] != SYNC_REQUEST && b[4] != SYNC_ANSWER) ||
	    nsa > SYNC_SA_MAX || (b[4] == SYNC_REQUEST) != (nsa == 0) ||
	    b[6] != 0 || b[7] != 0) {
		*why = "type or count";
		return -1;
	}
	body = body_len(nsa, &padlen);
	if (len != SYNC_HDR + body + SYNC_ICV_LEN) {
		*why = "length for its count";
		return -1;
	}
	r = b + SYNC_FIXED + nsa * SYNC_REC;
	for (i = 0; i < padlen; i++)
		if (r[i] != (uint8_t)(i + 1))
			break;
	if (i < padlen || r[padlen] != padlen || r[padlen + 1] != SYNC_NH) {
		*why = "trailer";
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->type = b[4];
	memcpy(m->nonce, b + 8, SYNC_NONCE_LEN);
	m->start_id = be_get64(b + 24);
	m->nsa = nsa;
	for (i = 0; i < nsa; i++) {
		r = b + SYNC_FIXED + i * SYNC_REC;
		if ((r[0] != SYNC_KIND_MAIN && r[0] != SYNC_KIND_TAP) ||
		    r[1] != 0 || r[2] != 0 || r[3] != 0 ||
		    (i > 0 && r[0] == m->sa[0].kind)) {
			*why = "SA record";
			return -1;
		}
		m->sa[i].kind = r[0];
		m->sa[i].epoch = be_get64(r + 4);
		m->sa[i].next_seq = be_get64(r + 12);
	}
	return 0;
}
