/* The learning bridge of a central router: which MAC lives behind which
 * port (a peer, or the router's own tap), what ports a frame goes to, and
 * a broadcast rate limit per port. Pure: the caller passes the time. */
#ifndef VPNTUND_BRIDGE_H
#define VPNTUND_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipx/frame.h"

typedef uint16_t bridge_port_t;
/* Ports are peer indices 0 .. npeers - 1, plus these two. */
#define BRIDGE_PORT_LOCAL	((bridge_port_t)0xfffe)	/* our own tap */
#define BRIDGE_PORT_FLOOD	((bridge_port_t)0xffff)	/* lookup: unknown */
#define BRIDGE_PEERS_MAX	4096

#define BRIDGE_DEFAULT_CAPACITY	4096
#define BRIDGE_DEFAULT_AGE_NS	(300ULL * 1000000000ULL)
#define BRIDGE_DEFAULT_RATE	100	/* flooded frames/s per port */
#define BRIDGE_DEFAULT_BURST	200
#define BRIDGE_PROBE_MAX	16	/* slots looked at per operation */

struct bridge_conf {
	size_t   capacity;	/* entries, rounded up to a power of two */
	size_t   npeers;	/* peer ports 0 .. npeers - 1 */
	uint64_t age_ns;	/* an entry lives while now - seen < age_ns */
	uint32_t flood_rate;	/* frames/s; 0 = no limit */
	uint32_t flood_burst;	/* bucket depth in frames */
	uint64_t seed;		/* hash key (random at start-up) */
};

enum bridge_learn_result {
	BRIDGE_LEARN_REFRESHED,	/* known MAC, same port */
	BRIDGE_LEARN_NEW,
	BRIDGE_LEARN_NEW_EVICTED, /* new; the oldest neighbour was evicted */
	BRIDGE_LEARN_MOVED,	/* known MAC on another port: log it */
	BRIDGE_LEARN_REJECTED	/* group source MAC or unknown port */
};

struct bridge_entry {
	uint8_t       mac[ETHER_ADDR_LEN];
	bridge_port_t port;
	uint64_t      age_ns;	/* now - last seen */
};

struct bridge_port_stats {
	uint64_t flood_passed;
	uint64_t flood_dropped;	/* over the broadcast rate */
};

struct bridge;

void bridge_conf_defaults(struct bridge_conf *c, size_t npeers);
struct bridge *bridge_new(const struct bridge_conf *c);
void bridge_free(struct bridge *b);

enum bridge_learn_result bridge_learn(struct bridge *b, const uint8_t *mac,
    bridge_port_t port, uint64_t now, bridge_port_t *old_port);
bridge_port_t bridge_lookup(const struct bridge *b, const uint8_t *mac,
    uint64_t now);
size_t bridge_forward(const struct bridge *b, const struct frame_info *fi,
    bridge_port_t in_port, uint64_t now, bridge_port_t *out, size_t outcap,
    bool *flooded);
bool bridge_flood_allowed(struct bridge *b, bridge_port_t in_port,
    uint64_t now);

size_t bridge_count(const struct bridge *b, uint64_t now);
bool bridge_iter(const struct bridge *b, size_t *cursor, uint64_t now,
    struct bridge_entry *e);
int bridge_port_stats(const struct bridge *b, bridge_port_t port,
    struct bridge_port_stats *st);
size_t bridge_nports(const struct bridge *b);

#endif
