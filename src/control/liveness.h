/* Peer liveness (engine-internal): authenticated keepalives (ESP dummy
 * packets, RFC 4303 2.6) when nothing else was sent for `keepalive`
 * seconds, and each peer's state: up while authenticated packets arrive,
 * stale after 2 x keepalive without one, down after `dead` seconds (and
 * before the first). The peer-up and peer-down hooks run on the changes. */
#ifndef VPNTUND_ENGINE_LIVENESS_H
#define VPNTUND_ENGINE_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct engine;
struct peer;

enum live_state { LIVE_DOWN, LIVE_UP, LIVE_STALE };
const char *live_state_name(enum live_state s);

struct peer_live {
	enum live_state state;
	time_t          since;          /* realtime of the last change; 0 = start */
	uint64_t        rx_ns;          /* monotonic: last authenticated packet */
	uint64_t        tx_ns;          /* last packet sent on the data SA */
	bool            heard;
	uint64_t        keepalives_out, keepalives_in;
	uint64_t        changes;
};

uint64_t engine_now_ns(void);
/* An authenticated packet from p was accepted. */
void liveness_heard(struct engine *e, struct peer *p);
/* A packet left on p's data SA. */
void liveness_sent(struct peer *p);
/* The once-a-second tick: keepalives, states, hooks, and the sync and SA
 * housekeeping that rides on it. */
int  liveness_start(struct engine *e);
void liveness_stop(struct engine *e);

struct hook_runner;
struct peer_conf;
/* Room for a peer's endpoint as text ("[addr]:port"). */
#define PEER_ENDPOINT_TEXT 96
/* Queues pc's peer-up (up) or peer-down hook on hr, if the site has one,
 * with its environment; endpoint is the peer's address as text, "" if
 * none. The privileged parent runs it for its packet process too. */
void peer_hook_queue(struct engine *e, struct hook_runner *hr,
    const struct peer_conf *pc, bool up, const char *endpoint);

#endif
