/* Ingress meters: RFC 2697 (srTCM) and RFC 2698 (trTCM). Token counts
 * are kept in 1/65536 byte; a refill adds exactly rate * elapsed time,
 * carrying the remainder, and stops at the bucket size before anything
 * is multiplied, so a long idle time cannot overflow. */
#include <string.h>

#include "qos/meter.h"

#define UNIT_SHIFT	16
#define NS		1000000000ULL
#define SIZE_MAX_B	((uint64_t)1 << 40)	/* bucket sizes are clamped here */
#define RATE_MAX	1000000000000ULL	/* 1 Tbit/s */

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Token units a rate in bit/s adds in dt ns, at most cap. One second
 * adds rate / 8 bytes, i.e. rate * 8192 units; the part below a second
 * is split so that no product exceeds 2^64. */
static uint64_t
gain(uint64_t rate, uint64_t dt, uint64_t *rem, uint64_t cap)
{
	uint64_t a = rate << (UNIT_SHIFT - 3), sec = dt / NS, sub = dt % NS;
	uint64_t g, x;

	if (a == 0)
		return 0;
	if (sec > cap / a) {
		*rem = 0;
		return cap;
	}
	g = sec * a;
	x = (a % NS) * sub + *rem;
	g += (a / NS) * sub + x / NS;
	*rem = x % NS;
	if (g >= cap) {
		*rem = 0;
		return cap;
	}
	return g;
}

static uint64_t
units(uint64_t bytes)
{
	return min64(bytes, SIZE_MAX_B) << UNIT_SHIFT;
}

void
meter_init(struct meter *m, const struct meter_conf *conf, uint64_t now_ns)
{
	memset(m, 0, sizeof(*m));
	m->conf = *conf;
	m->conf.cir = min64(conf->cir, RATE_MAX);
	m->conf.pir = min64(conf->pir, RATE_MAX);
	/* RFC 2697 3 and RFC 2698 3: both buckets start full. */
	m->tc = units(conf->cbs);
	m->te = units(conf->kind == METER_SRTCM ? conf->ebs : conf->pbs);
	m->last_ns = now_ns;
}

static void
refill(struct meter *m, uint64_t now_ns)
{
	uint64_t dt, cbs = units(m->conf.cbs), g;

	if (now_ns <= m->last_ns)
		return;
	dt = now_ns - m->last_ns;
	m->last_ns = now_ns;
	if (m->conf.kind == METER_SRTCM) {
		/* RFC 2697 3: tokens go to C until it holds CBS, then to
		 * E until it holds EBS; beyond that they are lost. */
		uint64_t ebs = units(m->conf.ebs);
		uint64_t room = (cbs - m->tc) + (ebs - m->te);

		g = gain(m->conf.cir, dt, &m->rem_c, room);
		if (g >= cbs - m->tc) {
			g -= cbs - m->tc;
			m->tc = cbs;
			m->te = min64(ebs, m->te + g);
		} else
			m->tc += g;
		return;
	}
	/* RFC 2698 3: Tc at CIR up to CBS, Tp at PIR up to PBS. */
	m->tc += gain(m->conf.cir, dt, &m->rem_c, cbs - m->tc);
	m->te += gain(m->conf.pir, dt, &m->rem_e, units(m->conf.pbs) - m->te);
}

/* RFC 2697 3.1 (blind) and 3.2 (aware). */
static enum meter_color
srtcm(struct meter *m, uint64_t b, bool aware, enum meter_color pre)
{
	if ((!aware || pre == METER_GREEN) && m->tc >= b) {
		m->tc -= b;
		return METER_GREEN;
	}
	if ((!aware || pre != METER_RED) && m->te >= b) {
		m->te -= b;
		return METER_YELLOW;
	}
	return METER_RED;
}

/* RFC 2698 3.1 (blind) and 3.2 (aware); te holds Tp. */
static enum meter_color
trtcm(struct meter *m, uint64_t b, bool aware, enum meter_color pre)
{
	if ((aware && pre == METER_RED) || m->te < b)
		return METER_RED;
	if ((aware && pre == METER_YELLOW) || m->tc < b) {
		m->te -= b;
		return METER_YELLOW;
	}
	m->te -= b;
	m->tc -= b;
	return METER_GREEN;
}

enum meter_color
meter_color(struct meter *m, uint64_t now_ns, uint32_t len,
    enum meter_color pre_color)
{
	uint64_t b = (uint64_t)len << UNIT_SHIFT;
	enum meter_color c;

	refill(m, now_ns);
	if (m->conf.kind == METER_SRTCM)
		c = srtcm(m, b, m->conf.color_aware, pre_color);
	else
		c = trtcm(m, b, m->conf.color_aware, pre_color);
	m->packets[c]++;
	m->bytes[c] += len;
	return c;
}

bool
meter_apply(const struct meter *m, enum meter_color c, uint8_t *tos)
{
	const struct meter_action *a = &m->conf.action[c];

	switch (a->kind) {
	case METER_DROP:
		return false;
	case METER_MARK:
		/* DSCP in the upper six bits; ECN (RFC 3168) untouched. */
		*tos = (uint8_t)((a->dscp << 2) | (*tos & 3));
		return true;
	case METER_PASS:
		break;
	}
	return true;
}

enum meter_color
meter_color_of_dscp(uint8_t dscp)
{
	unsigned cls = dscp >> 3, drop = (dscp >> 1) & 3;

	/* AF codepoints are class 1-4, drop 1-3, low bit 0. */
	if (cls < 1 || cls > 4 || drop < 1 || (dscp & 1) != 0)
		return METER_GREEN;
	return drop == 1 ? METER_GREEN : drop == 2 ? METER_YELLOW : METER_RED;
}
