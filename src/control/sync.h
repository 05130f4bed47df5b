/* Restart synchronisation of derived keying (engine-internal).
 *
 * Every start draws new epochs for the outbound SAs, so a peer must learn
 * them, and a restarted router must learn where the peer's SAs stand
 * before it accepts anything: a packet captured before the restart must
 * never be delivered after it. Each side asks the other with a fresh
 * nonce on the control channel (sync_wire.h), and takes the answer that
 * echoes it as the truth: the peer's epoch, and a window that accepts
 * only numbers it had not yet sent when it answered. A request is never
 * trusted; it only makes us answer (rate-limited) and, if it comes from
 * a peer that started anew, ask in turn. Nothing depends on clocks or on
 * files. */
#ifndef VPNTUND_ENGINE_SYNC_H
#define VPNTUND_ENGINE_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "crypto/kdf.h"
#include "src/control/sync_wire.h"
#include "src/net/sock.h"
#include "util/log.h"

struct engine;
struct peer;
struct pkt;

struct peer_sync {
	/* The control channel's HMAC contexts, keyed only while it is in
	 * use (sync.c); their keys are derived then and not kept. */
	struct crypto_hmac     *mac_out, *mac_in;
	uint64_t                mac_used_ns;    /* last use of either */
	uint32_t                spi_out, spi_in;
	uint32_t                seq;            /* control packets sent */
	uint8_t                 nonce[SYNC_NONCE_LEN];
	bool                    asking;         /* our request awaits its answer */
	union sockaddr_inet     ask_to;         /* where it went */
	bool                    hint;           /* ask_to: where a dynamic peer
	                                           was last heard (hints.c) */
	uint64_t                asked_ns;       /* last request sent */
	uint64_t                retry_ns;       /* next retransmission */
	unsigned                tries;
	bool                    answered;       /* we told the peer our epochs */
	bool                    know_peer;      /* peer_start is from an answer */
	uint64_t                peer_start;
	uint64_t                tokens_ns;      /* answers' token bucket */
	unsigned                tokens;
	time_t                  last_sync;      /* realtime of the last answer taken */
	uint64_t                requests_out, answers_out;
	uint64_t                requests_in, answers_in;
	uint64_t                stale, rejected, limited;
	uint64_t                send_fails;     /* in a row (logged once) */
	struct log_limit        lim;
};

/* Control channel SPIs of a derived peer (after its SAs); its keys are
 * derived from the SAs' roots whenever a context is made. */
int  sync_peer_init(struct engine *e, struct peer *p);
void sync_peer_free(struct peer *p);
/* Asks every derived peer whose endpoint is known. */
void sync_start(struct engine *e);
/* p's endpoint was set or moved by its name (resolve.c): a derived
 * peer is asked there, since the router found there may be another. */
void sync_endpoint_moved(struct engine *e, struct peer *p);
/* A packet on p's inbound control SPI, from src. */
void sync_input(struct engine *e, struct peer *p, struct pkt *pk,
    const struct sockaddr_storage *src);
/* A packet on one of p's data SPIs that no epoch we hold can read: the
 * peer may have started anew. Asks it (at most once a second). */
void sync_poke(struct engine *e, struct peer *p,
    const struct sockaddr_storage *src);
/* Retransmits an unanswered request when due (from the engine's tick). */
void sync_tick(struct engine *e, struct peer *p, uint64_t now_ns);

#endif
