/* CBQ link sharing (Floyd and Jacobson, 1995) with token-bucket accounting
 * in the manner of Linux HTB, one scheduler per uplink. vpntund owns the
 * bottleneck queue: it paces output at the link's rate and charges what
 * goes on the wire after ESP. Packets are queued as plaintext and encrypted
 * when dequeued, so no CPU is spent on packets the scheduler drops.
 *
 * Time is passed in by the caller (nanoseconds, CLOCK_MONOTONIC in the
 * daemon, a simulated clock in tests). Nothing is allocated per packet:
 * each class has a ring of packet pointers sized at creation. */
#ifndef VPNTUND_CBQ_H
#define VPNTUND_CBQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CBQ_NAME_MAX    32
#define CBQ_CLASSES_MAX 64
#define CBQ_PRIO_MAX    7         /* 0 is served first */

enum cbq_limit_kind { CBQ_LIMIT_PACKETS, CBQ_LIMIT_BYTES, CBQ_LIMIT_MS };

struct cbq_class_conf {
	char                name[CBQ_NAME_MAX];
	int                 parent;       /* index, -1 for a child of the link */
	uint64_t            rate;         /* bits/s guaranteed */
	uint64_t            ceil;         /* bits/s it may reach by borrowing; = rate if !borrow */
	bool                borrow;
	unsigned            prio;         /* 0..CBQ_PRIO_MAX */
	enum cbq_limit_kind limit_kind;
	uint32_t            limit;        /* packets, bytes or milliseconds */
	bool                is_default;
	/* Congestion signal: CoDel-style (RFC 8289) control law on the
	 * sojourn time; ECN-capable packets are marked CE, others dropped. */
	bool                codel;
	uint32_t            codel_target_us;     /* default 5000 */
	uint32_t            codel_interval_us;   /* default 100000 */
};

struct cbq_conf {
	uint64_t               bandwidth;  /* bits/s of the bottleneck */
	const struct cbq_class_conf *classes;
	size_t                 nclasses;
};

struct cbq_class_stats {
	uint64_t packets, bytes;            /* sent (wire bytes) */
	uint64_t drops, drop_bytes;         /* queue limit or CoDel drops */
	uint64_t marks;                     /* CE marks */
	uint64_t borrowed;                  /* wire bytes sent above its rate */
	uint64_t rate;                      /* bits/s, moving average */
	uint32_t qlen;                      /* packets queued now */
	uint64_t qbytes;                    /* wire bytes queued now */
	uint64_t qdelay_ns;                 /* sojourn of the head packet now */
};

struct cbq;

/* One queued packet as the caller sees it. */
struct cbq_item {
	void     *pkt;        /* caller's packet; returned untouched */
	size_t    wire_len;   /* bytes it will occupy on the bottleneck */
	bool      ect;        /* ECN-capable (ECT(0) or ECT(1)) */
	uint64_t  enq_ns;     /* set by cbq_enqueue */
};

/* Checks the hierarchy (one default leaf, children's rates within the
 * parent's, ceil >= rate) and allocates. On error returns NULL with a
 * message in err (err_len bytes) naming the class, e.g.
 * "class \"video\": ceil 64000 below rate 128000"; the caller adds file:line.
 * Classes may be given in any order as long as parents form no loop.
 * borrow with ceil 0 means ceil = bandwidth; !borrow ignores ceil.
 * A packet limit may not exceed 16384; byte and ms limits (ms at the
 * class's rate) size the ring at limit / 64 bytes + 1 slots, capped at
 * 16384. bandwidth is at most 100 Gbit/s. See docs/qos.md. */
struct cbq *cbq_new(const struct cbq_conf *conf, char *err, size_t err_len);
void cbq_free(struct cbq *q);

/* Enqueues into leaf class cls. Returns 0, or -1 if the class's limit is
 * reached (the packet is the caller's to recycle; counted as a drop).
 * An empty class always takes one packet, even above a byte or ms limit.
 * -1 without counting if cls is not a leaf. */
int cbq_enqueue(struct cbq *q, unsigned cls, const struct cbq_item *it,
    uint64_t now_ns);

/* The next packet to put on the wire now, or false if nothing may be sent
 * yet (link pacing or every backlogged class over its limits). *mark_ce is
 * set when CoDel wants the packet marked. Packets CoDel drops at dequeue
 * are returned through drop_cb so the caller can recycle them. */
typedef void (*cbq_drop_cb)(void *pkt, void *arg);
bool cbq_dequeue(struct cbq *q, uint64_t now_ns, struct cbq_item *out,
    unsigned *cls, bool *mark_ce, cbq_drop_cb drop_cb, void *arg);

/* Takes the head of class cls out without sending it (a reload moves
 * the queues to a new scheduler): counted neither as sent nor as dropped.
 * False if the class is empty. */
bool cbq_pop(struct cbq *q, unsigned cls, struct cbq_item *out);

/* When to call cbq_dequeue again (absolute ns); UINT64_MAX if empty. */
uint64_t cbq_next_ns(const struct cbq *q, uint64_t now_ns);

size_t cbq_nclasses(const struct cbq *q);
const char *cbq_class_name(const struct cbq *q, unsigned cls);
bool cbq_class_is_leaf(const struct cbq *q, unsigned cls);
unsigned cbq_default_class(const struct cbq *q);
void cbq_class_stats(const struct cbq *q, unsigned cls, uint64_t now_ns,
    struct cbq_class_stats *st);

#endif
