/* CoDel (RFC 8289) decisions for one class: the sojourn test of
 * dodequeue() and the control law. The dequeue loop that drops or marks
 * lives in cbq_sched.c, next to the ring it pops. */
#include <stdint.h>

#include "qos/cbq_int.h"

void
codel_init(struct codel *cd, uint32_t target_us, uint32_t interval_us)
{
	cd->target_ns = (uint64_t)(target_us ? target_us : 5000) * 1000;
	cd->interval_ns = (uint64_t)(interval_us ? interval_us : 100000) * 1000;
	cd->first_above_ns = 0;
	cd->drop_next_ns = 0;
	cd->count = cd->lastcount = 0;
	cd->dropping = false;
}

/* RFC 8289 5.4 dodequeue(): true once the sojourn has stayed at or above
 * target for a whole interval. A backlog of at most one packet is never
 * signalled, as a single 1500-byte packet already takes 94 ms at
 * 128 kbit/s. */
bool
codel_ok_to_drop(struct codel *cd, uint64_t sojourn_ns, uint64_t backlog_bytes,
    uint64_t now_ns)
{
	if (sojourn_ns < cd->target_ns || backlog_bytes <= CBQ_MTU) {
		cd->first_above_ns = 0;
		return false;
	}
	if (cd->first_above_ns == 0) {
		cd->first_above_ns = now_ns + cd->interval_ns;
		return false;
	}
	return now_ns >= cd->first_above_ns;
}

static uint64_t
isqrt64(uint64_t x)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;

	while (bit > x)
		bit >>= 2;
	while (bit != 0) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else
			r >>= 1;
		bit >>= 2;
	}
	return r;
}

/* RFC 8289 5.5: t + interval / sqrt(count), in 16.16 fixed point so no
 * floating point (and no libm) is needed. */
uint64_t
codel_control_law(const struct codel *cd, uint64_t t, uint32_t count)
{
	uint64_t s;

	if (count == 0)
		count = 1;
	s = isqrt64((uint64_t)count << 32);	/* sqrt(count) << 16 */
	return t + (cd->interval_ns << 16) / s;
}

/* The "else if (r.ok_to_drop)" branch of RFC 8289 5.5 dequeue(), for the
 * signal just given: if the queue went back above target soon after the
 * last dropping state ended, resume at the signal rate that controlled
 * it then (the Linux variant the RFC describes). */
void
codel_start_dropping(struct codel *cd, uint64_t now_ns)
{
	uint32_t delta;

	cd->count++;
	delta = cd->count - cd->lastcount;
	cd->count = 1;
	if (delta > 1 &&
	    (int64_t)(now_ns - cd->drop_next_ns) < (int64_t)(16 * cd->interval_ns))
		cd->count = delta;
	cd->drop_next_ns = codel_control_law(cd, now_ns, cd->count);
	cd->lastcount = cd->count;
	cd->dropping = true;
}
