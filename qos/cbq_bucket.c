/* Token buckets for the CBQ scheduler: the link's pacing bucket and each
 * class's rate and ceil buckets (the accounting Linux HTB uses in place of
 * the idle-time estimator of Floyd and Jacobson 1995, section 5). */
#include <stdint.h>

#include "qos/cbq_int.h"

void
tb_init(struct tbucket *b, uint64_t rate, uint64_t burst_bytes,
    uint64_t now_ns)
{
	b->rate = rate;
	b->burst = (int64_t)(burst_bytes * 8 * CBQ_NS);
	b->tokens = b->burst;		/* an idle class starts with its burst */
	b->last_ns = now_ns;
}

/* The count at now_ns. The refill is capped at the burst before it is
 * multiplied, so an idle hour at 100 Gbit/s cannot overflow. */
int64_t
tb_peek(const struct tbucket *b, uint64_t now_ns)
{
	uint64_t dt, need;

	if (now_ns <= b->last_ns || b->tokens >= b->burst)
		return b->tokens;
	dt = now_ns - b->last_ns;
	need = (uint64_t)(b->burst - b->tokens);
	if (dt > need / b->rate)
		return b->burst;
	return b->tokens + (int64_t)(b->rate * dt);
}

void
tb_sync(struct tbucket *b, uint64_t now_ns)
{
	if (now_ns <= b->last_ns)
		return;
	b->tokens = tb_peek(b, now_ns);
	b->last_ns = now_ns;
}

void
tb_charge(struct tbucket *b, uint64_t len)
{
	b->tokens -= (int64_t)(len * 8 * CBQ_NS);
}

/* The first time the count is back at zero, i.e. a packet may go. */
uint64_t
tb_ready_ns(const struct tbucket *b, uint64_t now_ns)
{
	int64_t tok;
	uint64_t t;

	if (now_ns < b->last_ns)
		now_ns = b->last_ns;
	tok = tb_peek(b, now_ns);
	if (tok >= 0)
		return now_ns;
	t = (uint64_t)-tok;
	return now_ns + (t + b->rate - 1) / b->rate;
}
