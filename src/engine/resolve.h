/* Named endpoints (site.conf(5) endpoint HOSTNAME): the daemon resolves
 * them with libevent's evdns, at start and again when the answer's TTL
 * (clamped to resolve-interval) runs out, and moves the peer when its
 * name points elsewhere. Start never waits for DNS: until the first
 * answer the peer has no endpoint, as a dynamic peer not yet heard.
 * The DNS servers are read at start (resolv.conf, or `resolver`); at
 * run time the resolver only sends and receives on the sockets it
 * opened then. */
#ifndef VPNTUND_ENGINE_RESOLVE_H
#define VPNTUND_ENGINE_RESOLVE_H

#include <stdint.h>
#include <time.h>

struct engine;
struct peer;

/* Sets up the DNS servers and schedules each named peer's first lookup
 * (sent once the loop runs); nothing when no peer is named. */
int  resolve_start(struct engine *e);
void resolve_stop(struct engine *e);

/* What status shows of a named peer. */
struct resolve_info {
	const char *name;
	time_t      resolved;       /* realtime of the last answer; 0 never */
	unsigned    ttl;            /* seconds until the next lookup was
	                               set, clamped */
	time_t      next;           /* realtime of the next lookup */
	uint64_t    lookups, failures, moves;
	unsigned    failing;        /* failures in a row */
	const char *error;          /* the last failure's, "" none */
};
/* 0 and info if p is named, else -1. */
int  resolve_peer_info(const struct peer *p, struct resolve_info *info);

#endif
