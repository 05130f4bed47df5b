/* Internals of the CBQ scheduler shared by cbq_tree.c (checks, allocation,
 * stats), cbq_sched.c (enqueue, dequeue, pacing) and codel.c. */
#ifndef VPNTUND_CBQ_INT_H
#define VPNTUND_CBQ_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "qos/cbq.h"

#define CBQ_MTU          1600      /* bytes: one max-size packet on the wire */
#define CBQ_MIN_PKT      64        /* bytes: smallest packet, sizes the rings */
#define CBQ_WIRE_MAX     (1 << 20) /* bytes: larger items are refused */
#define CBQ_RING_MAX     16384     /* slots per class (512 KiB of items) */
#define CBQ_BW_MAX       100000000000ULL   /* 100 Gbit/s */
#define CBQ_NS           1000000000ULL
#define CBQ_LINK         (-2)      /* "lender" meaning the link itself */
#define CBQ_NONE         (-3)      /* no lender: the class can't send */
#define CBQ_LEVELS       (CBQ_CLASSES_MAX + 2)

/* Token bucket. Tokens are counted in nanobits (bits * 1e9), so a rate
 * in bit/s adds exactly rate tokens per nanosecond and a packet of len
 * bytes costs len * 8e9: integer accounting without rounding drift.
 * Tokens may go negative (a packet is sent when the count is >= 0 and its
 * full cost is then owed), which is what lets the long-run rate be exact
 * whatever the packet sizes. */
struct tbucket {
	int64_t  tokens;
	int64_t  burst;
	uint64_t rate;
	uint64_t last_ns;
};

/* CoDel state (RFC 8289 section 5, names as in its pseudo-code). */
struct codel {
	uint64_t target_ns, interval_ns;
	uint64_t first_above_ns;       /* 0: sojourn below target */
	uint64_t drop_next_ns;
	uint32_t count, lastcount;
	bool     dropping;
};

struct cbq_cls {
	char            name[CBQ_NAME_MAX];
	int             parent;
	unsigned        prio;
	unsigned        height;        /* 0 for a leaf, 1 + max child above */
	bool            leaf;
	bool            codel_on;
	struct tbucket  rb, cb;        /* rate and ceil buckets */
	int64_t         quantum, deficit;      /* DRR, bytes */

	struct cbq_item *ring;
	uint32_t        cap, head, len;
	uint64_t        qbytes;
	enum cbq_limit_kind limit_kind;
	uint64_t        limit;         /* packets or bytes (ms turned into bytes) */
	uint64_t        max_age_ns;    /* ms limit: older heads are dropped; 0 = none */
	struct codel    cd;

	uint64_t        packets, bytes, drops, drop_bytes, marks, borrowed;
	/* Rate estimator: EWMA over 125 ms ticks with weight 1/8 (time
	 * constant ~1 s); avg is in bit/s << 8. */
	uint64_t        est_tick, est_bytes, est_avg;
};

struct cbq {
	uint64_t        bandwidth;
	struct tbucket  link;
	struct cbq_cls *cls;
	unsigned        n;
	unsigned        def;
	unsigned        link_height;
	unsigned        order[CBQ_CLASSES_MAX];   /* parents before children */
	uint64_t        queued;                   /* packets in all classes */
	int             blocked;                  /* chosen, waiting for the
	                                             link; -1 if none */
	unsigned        rr[CBQ_LEVELS][CBQ_PRIO_MAX + 1];
};

/* cbq_bucket.c */
void    tb_init(struct tbucket *, uint64_t rate, uint64_t burst_bytes,
	    uint64_t now_ns);
int64_t tb_peek(const struct tbucket *, uint64_t now_ns);
void    tb_sync(struct tbucket *, uint64_t now_ns);
void    tb_charge(struct tbucket *, uint64_t len);
uint64_t tb_ready_ns(const struct tbucket *, uint64_t now_ns);

/* codel.c */
void     codel_init(struct codel *, uint32_t target_us, uint32_t interval_us);
bool     codel_ok_to_drop(struct codel *, uint64_t sojourn_ns,
	    uint64_t backlog_bytes, uint64_t now_ns);
uint64_t codel_control_law(const struct codel *, uint64_t t, uint32_t count);
void     codel_start_dropping(struct codel *, uint64_t now_ns);

/* cbq_tree.c */
void     cbq_est_add(struct cbq_cls *, uint64_t now_ns, uint64_t bytes);
uint64_t cbq_est_rate(const struct cbq_cls *, uint64_t now_ns);

#endif
