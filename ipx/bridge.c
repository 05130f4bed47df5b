/*
 * MAC table: open addressing with linear probing over a table sized at
 * creation. Slots are never emptied again, only aged out, so a lookup may
 * stop at the first empty slot. Every operation looks at no more than
 * BRIDGE_PROBE_MAX slots, so a site sending random source MACs costs a
 * bounded amount of work per frame. When the window is full of live
 * entries, learning evicts the least recently seen one in it: a new MAC
 * is more likely to be talking now than one idle for minutes, and an
 * evicted MAC only means its frames are flooded until it is seen again.
 * The hash is keyed (conf->seed) so a remote site cannot aim MACs at one
 * window.
 */
#include "ipx/bridge.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_S	1000000000ULL

struct slot {
	uint8_t       mac[ETHER_ADDR_LEN];
	bool          used;
	bridge_port_t port;
	uint64_t      seen;
};

struct bucket {
	uint64_t nanotokens;	/* one frame = NS_PER_S */
	uint64_t last;
	bool     started;
	struct bridge_port_stats st;
};

struct bridge {
	struct bridge_conf conf;
	size_t             mask;
	struct slot       *slots;
	struct bucket     *buckets;	/* npeers + 1, the last is LOCAL */
};

void
bridge_conf_defaults(struct bridge_conf *c, size_t npeers)
{
	memset(c, 0, sizeof(*c));
	c->capacity = BRIDGE_DEFAULT_CAPACITY;
	c->npeers = npeers;
	c->age_ns = BRIDGE_DEFAULT_AGE_NS;
	c->flood_rate = BRIDGE_DEFAULT_RATE;
	c->flood_burst = BRIDGE_DEFAULT_BURST;
}

struct bridge *
bridge_new(const struct bridge_conf *c)
{
	struct bridge *b;
	size_t n = BRIDGE_PROBE_MAX;

	if (c->capacity == 0 || c->capacity > (1U << 24) ||
	    c->npeers > BRIDGE_PEERS_MAX || c->age_ns == 0 ||
	    (c->flood_rate != 0 && c->flood_burst == 0))
		return NULL;
	while (n < c->capacity)
		n <<= 1;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->conf = *c;
	b->conf.capacity = n;
	b->mask = n - 1;
	b->slots = calloc(n, sizeof(*b->slots));
	b->buckets = calloc(c->npeers + 1, sizeof(*b->buckets));
	if (b->slots == NULL || b->buckets == NULL) {
		bridge_free(b);
		return NULL;
	}
	return b;
}

void
bridge_free(struct bridge *b)
{
	if (b == NULL)
		return;
	free(b->slots);
	free(b->buckets);
	free(b);
}

size_t
bridge_nports(const struct bridge *b)
{
	return b->conf.npeers + 1;
}

/* Port to bucket index, or -1. */
static long
port_index(const struct bridge *b, bridge_port_t port)
{
	if (port == BRIDGE_PORT_LOCAL)
		return (long)b->conf.npeers;
	if (port < b->conf.npeers)
		return port;
	return -1;
}

static size_t
mac_hash(const struct bridge *b, const uint8_t *mac)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < ETHER_ADDR_LEN; i++)
		x = x << 8 | mac[i];
	/* splitmix64 finaliser: every MAC bit reaches the low bits. */
	x ^= b->conf.seed;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x & b->mask;
}

static bool
live(const struct bridge *b, const struct slot *s, uint64_t now)
{
	/* A clock that went backwards counts as just seen. */
	return s->used && (now < s->seen || now - s->seen < b->conf.age_ns);
}

static struct slot *
find(const struct bridge *b, const uint8_t *mac)
{
	size_t h = mac_hash(b, mac), i;
	struct slot *s;

	for (i = 0; i < BRIDGE_PROBE_MAX; i++) {
		s = &b->slots[(h + i) & b->mask];
		if (!s->used)
			return NULL;
		if (memcmp(s->mac, mac, ETHER_ADDR_LEN) == 0)
			return s;
	}
	return NULL;
}

enum bridge_learn_result
bridge_learn(struct bridge *b, const uint8_t *mac, bridge_port_t port,
    uint64_t now, bridge_port_t *old_port)
{
	size_t h, i;
	struct slot *s, *free_slot = NULL, *oldest = NULL;
	enum bridge_learn_result r = BRIDGE_LEARN_NEW;

	/* A group address is never a source (IEEE 802.1D 7.8). */
	if ((mac[0] & 0x01) || port_index(b, port) < 0)
		return BRIDGE_LEARN_REJECTED;
	if ((s = find(b, mac)) != NULL) {
		if (!live(b, s, now))
			r = BRIDGE_LEARN_NEW;
		else if (s->port == port)
			r = BRIDGE_LEARN_REFRESHED;
		else {
			if (old_port != NULL)
				*old_port = s->port;
			r = BRIDGE_LEARN_MOVED;
		}
		s->port = port;
		s->seen = now;
		return r;
	}
	h = mac_hash(b, mac);
	for (i = 0; i < BRIDGE_PROBE_MAX; i++) {
		s = &b->slots[(h + i) & b->mask];
		if (!live(b, s, now)) {
			free_slot = s;
			break;
		}
		if (oldest == NULL || s->seen < oldest->seen)
			oldest = s;
	}
	if (free_slot == NULL) {
		free_slot = oldest;
		r = BRIDGE_LEARN_NEW_EVICTED;
	}
	memcpy(free_slot->mac, mac, ETHER_ADDR_LEN);
	free_slot->used = true;
	free_slot->port = port;
	free_slot->seen = now;
	return r;
}

bridge_port_t
bridge_lookup(const struct bridge *b, const uint8_t *mac, uint64_t now)
{
	const struct slot *s;

	if (mac[0] & 0x01)
		return BRIDGE_PORT_FLOOD;
	if ((s = find(b, mac)) == NULL || !live(b, s, now))
		return BRIDGE_PORT_FLOOD;
	return s->port;
}

/*
 * Split horizon: a frame never goes back out of the port it came in on,
 * whether it is flooded or addressed to a MAC learned on that port (two
 * hosts of one site talking through the site's own segment).
 */
size_t
bridge_forward(const struct bridge *b, const struct frame_info *fi,
    bridge_port_t in_port, uint64_t now, bridge_port_t *out, size_t outcap,
    bool *flooded)
{
	bridge_port_t p;
	size_t n = 0, i;

	*flooded = false;
	if (port_index(b, in_port) < 0)
		return 0;
	p = fi->multicast ? BRIDGE_PORT_FLOOD : bridge_lookup(b, fi->dst, now);
	if (p != BRIDGE_PORT_FLOOD) {
		if (p == in_port || outcap < 1)
			return 0;
		out[0] = p;
		return 1;
	}
	*flooded = true;
	for (i = 0; i < b->conf.npeers && n < outcap; i++)
		if (i != in_port)
			out[n++] = (bridge_port_t)i;
	if (in_port != BRIDGE_PORT_LOCAL && n < outcap)
		out[n++] = BRIDGE_PORT_LOCAL;
	return n;
}

/* Token bucket in nanotokens so a refill over any interval is exact. */
bool
bridge_flood_allowed(struct bridge *b, bridge_port_t in_port, uint64_t now)
{
	long idx = port_index(b, in_port);
	struct bucket *k;
	uint64_t cap, dt;

	if (idx < 0)
		return false;
	k = &b->buckets[idx];
	if (b->conf.flood_rate == 0) {
		k->st.flood_passed++;
		return true;
	}
	cap = (uint64_t)b->conf.flood_burst * NS_PER_S;
	if (!k->started) {
		k->started = true;
		k->nanotokens = cap;
		k->last = now;
	} else if (now > k->last) {
		dt = now - k->last;
		/* Cap dt first: dt * rate must not overflow. */
		if (dt > cap / b->conf.flood_rate + 1)
			dt = cap / b->conf.flood_rate + 1;
		k->nanotokens += dt * b->conf.flood_rate;
		if (k->nanotokens > cap)
			k->nanotokens = cap;
		k->last = now;
	}
	if (k->nanotokens < NS_PER_S) {
		k->st.flood_dropped++;
		return false;
	}
	k->nanotokens -= NS_PER_S;
	k->st.flood_passed++;
	return true;
}

size_t
bridge_count(const struct bridge *b, uint64_t now)
{
	size_t i, n = 0;

	for (i = 0; i <= b->mask; i++)
		if (live(b, &b->slots[i], now))
			n++;
	return n;
}

/* For `vpntunctl bridge`: start with *cursor = 0. */
bool
bridge_iter(const struct bridge *b, size_t *cursor, uint64_t now,
    struct bridge_entry *e)
{
	const struct slot *s;

	for (; *cursor <= b->mask; (*cursor)++) {
		s = &b->slots[*cursor];
		if (!live(b, s, now))
			continue;
		memcpy(e->mac, s->mac, ETHER_ADDR_LEN);
		e->port = s->port;
		e->age_ns = now > s->seen ? now - s->seen : 0;
		(*cursor)++;
		return true;
	}
	return false;
}

int
bridge_port_stats(const struct bridge *b, bridge_port_t port,
    struct bridge_port_stats *st)
{
	long idx = port_index(b, port);

	if (idx < 0)
		return -1;
	*st = b->buckets[idx].st;
	return 0;
}
