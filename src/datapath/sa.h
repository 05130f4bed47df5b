/* A peer's SAs as the engine uses them (engine-internal): one outbound
 * SA per kind with its lifetime counters, and inbound the current epoch,
 * the next one (keyed when first needed) and, after a switch, the
 * previous one for packets still under way. See keying.h for where the
 * keys come from and sync.h for how a restarted router learns epochs. */
#ifndef VPNTUND_ENGINE_SA_H
#define VPNTUND_ENGINE_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "src/engine/keying.h"
#include "src/esp/esp.h"
#include "util/pkt.h"

struct engine;
struct peer;
struct state_sa;

/* The peer's own SA pair, and the pair of `tap-sa dedicated`. */
enum sa_kind { SA_MAIN, SA_TAP, SA_KINDS };

/* Why the engine refused to send on an SA. */
enum sa_out_drop {
	SA_OUT_UNSYNCED,        /* derived: the peer has not learned our epoch */
	SA_OUT_LIFETIME,        /* manual: the hard lifetime is reached */
	SA_OUT_STATE,           /* manual: the state file has not reserved it */
	SA_OUT_DROP_MAX
};
const char *sa_out_drop_name(enum sa_out_drop d);

struct sa_out {
	struct esp_sa    esp;           /* the epoch in use */
	struct sa_root   root;
	uint64_t         epoch;
	uint64_t         packets;       /* this epoch (manual: since seq 1) */
	uint64_t         bytes;         /* this epoch: ciphertext bytes */
	uint64_t         switches;      /* epochs begun since the start */
	bool             soft_logged;
	bool             spent;         /* manual: hard lifetime reached */
	bool             key_pending;   /* derived: esp is keyed for epoch
	                                   at its first packet */
	struct state_sa *mark;          /* manual keying */
	uint64_t         blocked;       /* drops since the state file blocked */
	uint64_t         drops[SA_OUT_DROP_MAX];
};

struct sa_in_slot {
	struct esp_sa esp;
	uint64_t      epoch;
};

struct sa_in {
	/* Each allocated while it holds a keyed epoch, NULL otherwise: a
	 * peer that has not synchronised holds none, most peers only cur. */
	struct sa_in_slot *cur, *next, *prev;
	struct sa_root     root;
	bool               ready;       /* cur may accept: synchronised, or
	                                   (manual) keyed at start */
	uint64_t          prev_ns;      /* when prev was retired */
	uint64_t          switches;
	struct state_sa  *mark;         /* manual keying */
	uint64_t          blocked;      /* drops since the state file blocked */
};

/* Where a decapsulated packet came from, for sa_in_accept. */
struct sa_in_hit {
	struct sa_in      *in;
	struct sa_in_slot *slot;
	uint64_t           seq;
};

/* Keys the SAs of kind for p from the config's keys (wiped), derived
 * or manual; outbound starts at a random epoch (derived, its cipher
 * context made by the first sa_out_encap) or above the state file's
 * mark (manual). */
int  sa_init(struct engine *e, struct peer *p, enum sa_kind kind);
void sa_free(struct peer *p, enum sa_kind kind);
/* Keys in's current slot for epoch e with a fresh window (the others are
 * dropped); -1 (logged) leaves it without one. */
int  sa_in_key_cur(struct sa_in *in, uint64_t e);
/* Drops in's slots, their keys and windows. */
void sa_in_free(struct sa_in *in);

/* Encapsulates pk on p's SA of kind, in place, after the lifetime and
 * state checks (an epoch switch happens here). 0, or -1 if the packet
 * must be dropped (counted on the SA, logged rate-limited). */
int  sa_out_encap(struct peer *p, enum sa_kind kind, struct pkt *pk,
    uint8_t next_header);
/* Whether p's outbound SAs may send at all (derived keying: the peer
 * has asked for, and been told, our epochs). */
bool sa_out_ready(const struct peer *p);

/* Decapsulates pk, which arrived on spi of p's SA of kind, with the
 * epoch the SPI names: ESP_OK, an ESP_DROP_*, or SA_IN_UNSYNCED when no
 * epoch is installed yet. On ESP_OK the caller checks the inner packet
 * and calls sa_in_accept. */
#define SA_IN_UNSYNCED (-1)
int  sa_in_decap(struct engine *e, struct peer *p, enum sa_kind kind,
    uint32_t spi, struct pkt *pk, uint8_t *next_header,
    struct sa_in_hit *hit);
/* Whether the packet may be accepted at all: false (counted, logged)
 * when the state file has not yet made its number durable (manual
 * keying), and the packet must be dropped. */
bool sa_in_durable(struct peer *p, const struct sa_in_hit *hit);
/* Marks the packet received: the replay window moves, and a packet of
 * the next epoch makes that epoch the current one. True if it moved the
 * window forward: only such a packet may move a dynamic peer's
 * endpoint. */
bool sa_in_accept(struct peer *p, struct sa_in_hit *hit);
/* Derived keying: the peer's answer says its SA of kind is at epoch and
 * sends next_seq next. Keys that epoch (unless it is the current one)
 * with a window that accepts only next_seq and above. */
int  sa_in_install(struct peer *p, enum sa_kind kind, uint64_t epoch,
    uint64_t next_seq);
/* Housekeeping once a second: frees a previous epoch after its grace. */
void sa_in_tick(struct peer *p, uint64_t now_ns);

#endif
