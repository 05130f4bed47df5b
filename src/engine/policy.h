/* Traffic selectors (RFC 4301 4.4.1 in spirit): which peer an outgoing
 * packet belongs to, whether an incoming one may come out of a peer's SA,
 * and the site's excludes. Pure functions over the parsed config. */
#ifndef VPNTUND_POLICY_H
#define VPNTUND_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "conf/config.h"

/* The index of the peer whose policy has local containing src and remote
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
