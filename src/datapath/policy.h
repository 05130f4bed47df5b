/* Traffic selectors (RFC 4301 4.4.1 in spirit): which peer an outgoing
 * packet belongs to, whether an incoming one may come out of a peer's SA,
 * and the site's excludes. Pure functions over the parsed config. */
#ifndef VPNTUND_POLICY_H
#define VPNTUND_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "qos/match.h"
#include "qos/match_cache.h"

/* The outbound policies of all peers compiled into one matcher (the
 * rules that select QoS classes and filters select tunnels too):
 * local is the source prefix, remote the destination, and the rules are
 * ordered by remote prefix length, longest first and otherwise as
 * written, so that the first match is policy_lookup_out()'s answer. */
struct policy_table {
	struct matcher *m;
	struct match_cache *cache;      /* m's answers per address pair */
	uint32_t       *peer;           /* compiled rule -> peer index */
	size_t          n;
};

/* 0, or -1 on allocation failure (logged). */
int  policy_table_init(struct policy_table *t, const struct peer_conf *peers,
    size_t npeers);
void policy_table_free(struct policy_table *t);
/* As policy_lookup_out(), through the compiled matcher. */
long policy_table_lookup(const struct policy_table *t, sa_family_t af,
    const void *src, const void *dst);

/* The linear reference for policy_table_lookup(): the index of the peer whose policy has local containing src and remote
 * containing dst, the longest remote prefix winning (a central router
 * picks its peer by destination); -1 if none. src and dst are 4 or 16
 * bytes of family af. */
long policy_lookup_out(const struct peer_conf *peers, size_t npeers,
    sa_family_t af, const void *src, const void *dst);

/* True if one of the peer's policies has remote containing src and local
 * containing dst: a remote site may only speak for its own networks. */
bool policy_allows_in(const struct peer_conf *pc, sa_family_t af,
    const void *src, const void *dst);

/* True if src or dst lies in one of the site's excludes. */
bool policy_excluded(const struct site_conf *site, sa_family_t af,
    const void *src, const void *dst);

#endif
