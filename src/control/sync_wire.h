/* The messages of restart synchronisation (derived keying): ESP packets
 * on the peers' control SPIs with the NULL cipher (RFC 2410) and
 * HMAC-SHA256-128, whose payload says where the sender's SAs stand:
 *
 *	0  "vts" 1            magic and version
 *	4  type               1 request, 2 answer
 *	5  count              SA records that follow: 0 in a request, 1 or
 *	                      2 in an answer, each kind once
 *	6  0 0
 *	8  nonce (16)         a request's, fresh; an answer echoes it
 *	24 start id (8)       random, drawn by the sender at its start
 *	32 count x { kind (1: the peer's SA, 2: its tap SA), 0 0 0,
 *	             epoch (8), next sequence number (8) }
 *
 * then ESP's trailer (padding 1, 2, ... to 4 bytes, pad length, next
 * header 59, so that any other ESP stack discards it as a dummy) and the
 * ICV over everything before it. Numbers are big-endian. Nothing in a
 * request is trusted; an answer is trusted once its ICV verifies and its
 * nonce is the one we sent. */
#ifndef VPNTUND_SYNC_WIRE_H
#define VPNTUND_SYNC_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct crypto_hmac;

#define SYNC_NONCE_LEN  16
#define SYNC_ICV_LEN    16
#define SYNC_SA_MAX     2
#define SYNC_MSG_MAX    (8 + 32 + SYNC_SA_MAX * 20 + 4 + SYNC_ICV_LEN)

enum sync_type { SYNC_REQUEST = 1, SYNC_ANSWER = 2 };
enum sync_kind { SYNC_KIND_MAIN = 1, SYNC_KIND_TAP = 2 };

struct sync_sa {
	uint8_t  kind;
	uint64_t epoch;
	uint64_t next_seq;
};

struct sync_msg {
	uint8_t        type;
	uint8_t        nonce[SYNC_NONCE_LEN];
	uint64_t       start_id;
	size_t         nsa;
	struct sync_sa sa[SYNC_SA_MAX];
};

/* Writes the packet (from the SPI on) into buf; its length, or 0 if cap
 * is too small or the MAC fails. */
size_t sync_encode(const struct sync_msg *m, uint32_t spi, uint32_t seq,
    struct crypto_hmac *mac, uint8_t *buf, size_t cap);
/* Verifies the ICV first, then parses strictly. 0, or -1 with *why. */
int    sync_decode(const uint8_t *buf, size_t len, struct crypto_hmac *mac,
    struct sync_msg *m, const char **why);

#endif
