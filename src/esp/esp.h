/* ESP (RFC 4303) tunnel-mode framing, built in place in a struct pkt.
 * Outer IP/UDP headers are not written here: the socket layer sends the
 * ESP bytes over UDP (RFC 3948) or raw IP protocol 50. */
#ifndef VPNTUND_ESP_H
#define VPNTUND_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "src/esp/replay.h"
#include "util/pkt.h"

#define ESP_HDR_LEN 8

/* Why an inbound packet was dropped; also indexes the status counters. */
enum esp_drop {
	ESP_OK = 0,
	ESP_DROP_MALFORMED,     /* too short, not block-aligned, bad padding */
	ESP_DROP_NO_SA,         /* unknown SPI (decided by the caller) */
	ESP_DROP_REPLAY,
	ESP_DROP_AUTH,          /* ICV or AEAD tag did not verify */
	ESP_DROP_DECRYPT,       /* cipher failure */
	ESP_DROP_POLICY,        /* inner addresses not allowed (caller) */
	ESP_DROP_MAX
};
const char *esp_drop_name(enum esp_drop d);

/* What esp_decap accepts in the padding bytes (RFC 4303 2.4): 1, 2,
 * 3, ... only; those or all zero; anything. The pad length is checked
 * in every mode. */
enum esp_pad { ESP_PAD_STRICT, ESP_PAD_ZERO, ESP_PAD_ANY };

struct esp_sa {
	uint32_t          spi;
	struct sa_crypto *crypto;
	bool              esn;
	/* outbound */
	uint64_t          seq;         /* last sequence number sent */
	/* AEAD and CTR suites send IV = seq + iv_base (mod 2^64), 8 bytes
	 * big-endian (RFC 4106 3.1, RFC 7634 2, RFC 3686 3). The IV must
	 * never repeat under one key: a repeated GCM, ChaCha20-Poly1305 or
	 * AES-CTR nonce gives away the XOR of two plaintexts (and for AEAD
	 * lets the tag be forged). The sum is unique
	 * as long as seq never repeats under one iv_base. The caller
	 * chooses it: 0 keeps IV = seq, unique as long as the state file
	 * keeps the numbers from repeating across restarts; a random value
	 * per start gives IVs that do not depend on that (two runs collide
	 * only if their ranges of IVs overlap). CBC suites send the same
	 * sum encrypted under the SA's own random IV key (sa_cbc_iv):
	 * unique while the sum is, unpredictable without that key, and no
	 * random draw per packet. NULL has no IV. Receivers take the IV
	 * from the wire and need not know it. */
	uint64_t          iv_base;
	/* inbound */
	struct replay     replay;
	enum esp_pad      padding;     /* 0: ESP_PAD_STRICT */
};

/* Worst-case bytes ESP adds around an inner packet for this SA (header,
 * IV, maximum padding, pad length, next header, ICV). */
size_t esp_overhead(const struct esp_sa *sa);
/* The same for a suite, before any SA exists (`vpntund -n`). */
size_t esp_suite_overhead(const struct cipher_info *ci,
    const struct auth_info *ai);

/* Exact ESP bytes (header, IV, payload padded to the cipher block with pad
 * length and next header, ICV) for an inner packet of inner_len bytes:
 * what esp_encap() will produce. The outer IP and UDP headers are the
 * caller's. */
size_t esp_wire_len(const struct esp_sa *sa, size_t inner_len);
/* The same for a suite: what an SA of it will produce, keyed or not. */
size_t esp_suite_wire_len(const struct cipher_info *ci,
    const struct auth_info *ai, size_t inner_len);

/* Encapsulates the inner packet in p (next_header: 4 IPv4, 41 IPv6,
 * 97 EtherIP) in place: on return p holds SPI..ICV. Takes the next
 * sequence number from sa->seq. AEAD and CTR suites use
 * seq + sa->iv_base as the IV, CBC suites that sum encrypted (see
 * struct esp_sa).
 * Returns -1 if there is no room or the cipher fails. */
int esp_encap(struct esp_sa *sa, struct pkt *p, uint8_t next_header)
    __attribute__((warn_unused_result));

/* Reads the SPI of an ESP packet; false if it is shorter than a header. */
bool esp_peek_spi(const uint8_t *data, size_t len, uint32_t *spi);

/* ESN resynchronisation (RFC 4303 A3). When the receiver's window and
 * the sender are more than 2^32 numbers apart (more than 2^32 packets
 * lost, or a receiver restarted with an empty window after the sender
 * passed 2^32), A2.2 infers the wrong high half and every packet fails
 * authentication. So on an ESN SA with integrity esp_decap counts
 * consecutive authentication failures; from the THRESHOLD-th on, each
 * failing packet is also tried with SPAN higher high halves: the k-th
 * such packet (k = 0, 1, ...) with th + 1 + SPAN * (k mod ROUNDS) up to
 * th + SPAN * (k mod ROUNDS + 1), th the window top's high half. A packet
 * that authenticates under one of them is returned with that number and
 * esp_accept moves the window there. One that does not changes nothing
 * but the count, which picks whether and which extra halves are tried.
 *
 * THRESHOLD 8: the count restarts at every accepted packet, so eight
 * failures in a row mean a lost sync, a wrong key or an attack, not a
 * few corrupted packets; below it the path stays as cheap (and, for
 * AEAD, as copy-free) as without resync.
 * SPAN 4: a forged packet costs at most 1 + 4 verifications (plus a copy
 * for AEAD), and the first try covers losses up to 2^34 packets, far
 * more than the RFC's case (just past 2^32) needs.
 * ROUNDS 256: successive failing packets reach th + 1024, which lets a
 * fresh receiver (top 0) find a sender that has sent up to 2^42 packets
 * on the SA, while th + 1 .. th + 4 come round again every 256 failing
 * packets, should a forged packet have taken the first try.
 * Never with auth none (or skip_icv): with nothing to authenticate every
 * candidate would "pass", and a forged packet could pick the window's
 * next position; nor without ESN, where the high half is neither sent
 * nor authenticated. */
#define ESP_RESYNC_THRESHOLD 8
#define ESP_RESYNC_SPAN      4
#define ESP_RESYNC_ROUNDS    256

/* Decapsulates in place in RFC 4303 3.4 order: length and block checks,
 * replay check without update, ICV check in constant time (or AEAD
 * verify), decrypt, padding check. It never moves the replay window: on
 * ESP_OK p holds the inner packet, *next_header its protocol and *seq the
 * full 64-bit sequence number, and the caller commits it with
 * esp_accept() once the packet is known to be genuine: at once for an SA
 * with integrity, and without one (auth none) only after the inner packet
 * passed the caller's header and policy checks, since then nothing but
 * those checks tells a forgery from the peer's packet. *seq is written
 * on ESP_OK only; on an ESN SA resynchronising (above) it may lie more
 * than one high half above the window. skip_icv (suites other than
 * AEAD; tools decrypting captures whose auth key is unknown) strips the
 * ICV without checking it. */
enum esp_drop esp_decap(struct esp_sa *sa, struct pkt *p, uint8_t *next_header,
    uint64_t *seq, bool skip_icv) __attribute__((warn_unused_result));

/* Marks seq (from esp_decap's ESP_OK on this SA; call it before the SA's
 * next esp_decap, or the same packet could pass twice) as received, and
 * ends a run of authentication failures (A3.1). True if it moved the
 * window forward (seq became the new top): only such a packet may move a
 * dynamic peer's endpoint (RFC 3948), since a genuine but delayed or
 * reordered packet may come from an address the peer has left. */
bool esp_accept(struct esp_sa *sa, uint64_t seq);

#endif
