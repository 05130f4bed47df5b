/* Derived keying: the SA keys of each start and each lifetime ("epoch")
 * are drawn by HKDF-SHA256 from the key file's block of their direction,
 * so no two starts and no two epochs ever share a key, whatever happened
 * to files or clocks (docs/site.conf.5.md, KEYING AND RESTARTS):
 *
 *	prk   = HKDF-Extract(salt "vpntund keying v1", block)
 *	epoch = HKDF-Expand(prk, "epoch" || spi || e, len(block))
 *	ctl   = HKDF-Expand(prk, "control" || ctl spi, 32)
 *
 * block is the key file's block (cipher key || salt || auth key), spi
 * the SA's base SPI and e the 64-bit epoch, both big-endian. Epoch e is
 * sent with SPI base ^ (e & 1), so a receiver tells the current epoch
 * from the next one without trying both. Manual keying uses the block
 * as it is, epoch 0, the base SPI. */
#ifndef VPNTUND_KEYING_H
#define VPNTUND_KEYING_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "crypto/kdf.h"
#include "src/esp/esp.h"

/* What one direction of an SA draws its keys from. */
struct sa_root {
	const struct peer_conf *pc;
	const struct sa_suite  *suite;  /* pc's, of this direction */
	uint32_t        spi;            /* base SPI */
	bool            derived;
	uint8_t         prk[CRYPTO_PRK_LEN];    /* derived */
	struct sa_keys *keys;           /* manual: the caller's, until keyed */
};

/* Takes the keys of one direction, whose transforms are su (pc's
 * suite_in or suite_out). Derived: k is wiped on return. Manual: k must
 * stay until sa_root_key, which wipes it. */
int  sa_root_init(struct sa_root *r, const struct peer_conf *pc,
    const struct sa_suite *su, struct sa_keys *k, uint32_t spi,
    bool derived);
void sa_root_wipe(struct sa_root *r);
/* The SPI epoch e travels with. */
uint32_t sa_root_spi(const struct sa_root *r, uint64_t e);
/* Keys sa for epoch e (derived) or with the configured keys (manual, which
 * wipes them: one SA per direction, a second call fails), with a fresh
 * replay window of the peer's size (none for replay-window 0) and its
 * padding check for an inbound SA. sa's previous
 * contents are freed first. */
int  sa_root_key(struct sa_root *r, uint64_t e, bool encrypt,
    struct esp_sa *sa);
/* HMAC key of the control channel whose SPI is ctl_spi (derived only):
 * 0, or -1 (logged). */
int  sa_root_ctl_key(const struct sa_root *r, uint32_t ctl_spi,
    uint8_t key[CRYPTO_HMAC_LEN]);
/* Frees the cipher context and the replay window of sa. */
void esp_sa_clear(struct esp_sa *sa);

#endif
