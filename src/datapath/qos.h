/* The engine's QoS path: filter rules, meters and the CBQ
 * scheduler of the uplink, between the policy lookup and the ESP send.
 *
 *   tun -> pkt_parse_ip -> qos_filter_out (block: drop "filter")
 *       -> policy -> size checks -> qos_condition (meter: drop or re-mark)
 *       -> MSS clamp -> qos_enqueue (plaintext, charged its wire size)
 *   timer / after each tun batch: qos_run -> cbq_dequeue -> CE mark
 *       -> transmit_packet (sequence number, ESP, send): encryption
 *          happens at dequeue, so packets the scheduler drops cost no
 *          cipher work.
 *
 * Without rules, meters or a qos block, e->qos is NULL and none of this
 * runs: packets go out at once, as before. */
#ifndef VPNTUND_DATAPATH_QOS_H
#define VPNTUND_DATAPATH_QOS_H

#include <stdbool.h>
#include <stdint.h>

#include "qos/cbq.h"
#include "qos/match.h"
#include "qos/match_cache.h"
#include "qos/meter.h"
#include "src/datapath/inner.h"

struct engine;
struct peer;
struct pkt;
struct event;

/* Upper bound on queued packets (the pool), whatever the class limits. */
#define QOS_POOL_MAX    4096
/* Packets sent per run of the dequeue loop before yielding. */
#define QOS_RUN_BUDGET  256

/* What one rule decided: packets (or frames) it matched first, and their
 * bytes as read (IP packet or Ethernet frame, before any ESP). */
struct rule_hits {
	uint64_t packets, bytes;
};

struct eqos {
	/* Filters: the rules of one direction compiled into one matcher;
	 * rule_out[i] is the config rule behind compiled rule i. */
	struct matcher  *filt_out, *filt_in;
	uint32_t        *rule_out, *rule_in;
	struct match_cache *cache_out, *cache_in;  /* one per matcher */
	struct rule_hits *hits;         /* by config rule; from zero at a
	                                   reload, which brings new rules */
	struct meter    *meters;
	size_t           nmeters;

	/* Scheduler (qos block only). */
	struct cbq      *cbq;
	struct pkt      *pool;          /* npool buffers, one of them e->pkt_out */
	size_t           npool;
	uint32_t        *free;          /* stack of free pool indices */
	size_t           nfree;
	uint64_t         pool_drops[CBQ_CLASSES_MAX];
	struct event    *timer;
};

/* At engine_new, after the peers: compiles filters, initialises meters,
 * creates the scheduler and its packet pool. 0 or -1 (logged). */
int  qos_init(struct engine *e);
void qos_free(struct engine *e);
/* A reload (src/control/reload.c): replaces the QoS path with ncf's, whose
 * rules, meters and qos block then become e->cf's. A scheduler whose
 * classes did not change is kept with its queues; else what it holds
 * moves to the new one (class of the same name, else the default) or,
 * without a new one, is sent at once. Meters that did not change keep
 * their buckets. 0 with what happened to queued packets in *mv, or -1
 * (logged) with nothing changed. */
struct qos_moved {
	size_t moved;           /* into the new scheduler */
	size_t dropped;         /* no room there */
	size_t sent;            /* no new scheduler: sent at once */
};
int  qos_reload(struct engine *e, const struct config *ncf,
    struct qos_moved *mv);

/* The `out` rules on a packet read from tun (pk->meta parsed). Returns
 * the matching config rule's index or -1 (no rule: pass, default class);
 * -2 if the packet is blocked or malformed (counted). */
int  qos_filter_out(struct engine *e, const struct pkt *pk);
/* The `in` rules after decryption and the peer's policy check: false if
 * a rule blocks the packet (the caller counts it on the peer). */
bool qos_filter_in(struct engine *e, const struct pkt *pk);
/* The meter of the rule pk->meta.rule, if any: false to drop (counted
 * "meter"), or true with the DSCP possibly re-marked in pk. */
bool qos_condition(struct engine *e, struct pkt *pk);
/* MSS clamping for a packet of either direction, if configured. */
void qos_mss_clamp(struct engine *e, struct pkt *pk);
/* With a scheduler: queues pk for p (then e->pkt_out is a fresh buffer)
 * or drops it (counted on its class), and returns true. Without: false,
 * the caller sends at once. An IP packet goes to its rule's queue, else
 * the default class; a frame (pk->meta.nh 97: EtherIP) to its rule's
 * queue, else the class marked `bridge`, never ECN-capable. Either is
 * charged its wire size. */
bool qos_enqueue(struct engine *e, struct peer *p, struct pkt *pk);
/* A frame read from the tap through the `out` rules as device
 * tap: d is the Ethernet frame, fi its classification, ip_off where an IP
 * packet starts in it (0: not IP, only the device is matched, through the
 * precomputed nonip_rule). Same answers as qos_filter_out; blocked frames
 * are the caller's to count. */
int  qos_filter_frame(struct engine *e, const uint8_t *d, size_t len,
    size_t ip_off, int nonip_rule);
/* The first `out` rule that a frame without IP matches: one without any
 * IP condition, on any device or on tap. -1 if none. */
int  qos_nonip_rule(const struct config *cf);
/* Sends what the scheduler allows now and arms the timer for the rest. */
void qos_run(struct engine *e);

#endif
