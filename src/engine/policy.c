/* Policy lookup (see policy.h). A linear scan: a few hundred policies cost
 * less than one cipher pass; a trie can replace it behind this interface. */
#include "src/engine/policy.h"

static bool
in_prefix(const struct prefix *p, sa_family_t af, const void *addr)
{
	return p->af == af && prefix_contains(p, af, addr);
}

long
policy_lookup_out(const struct peer_conf *peers, size_t npeers,
    sa_family_t af, const void *src, const void *dst)
{
	const struct policy_conf *pol;
	long best = -1;
	int best_len = -1;
	size_t i, j;

	for (i = 0; i < npeers; i++) {
		for (j = 0; j < peers[i].npolicies; j++) {
			pol = &peers[i].policies[j];
			if ((int)pol->remote.len <= best_len)
				continue;
			if (in_prefix(&pol->remote, af, dst) &&
			    in_prefix(&pol->local, af, src)) {
				best = (long)i;
				best_len = pol->remote.len;
			}
		}
	}
	return best;
}

bool
policy_allows_in(const struct peer_conf *pc, sa_family_t af,
    const void *src, const void *dst)
{
	const struct policy_conf *pol;
	size_t j;

	for (j = 0; j < pc->npolicies; j++) {
		pol = &pc->policies[j];
		if (in_prefix(&pol->remote, af, src) &&
		    in_prefix(&pol->local, af, dst))
			return true;
	}
	return false;
}

bool
policy_excluded(const struct site_conf *site, sa_family_t af,
    const void *src, const void *dst)
{
	size_t i;

	for (i = 0; i < site->nexcludes; i++) {
		if (in_prefix(&site->excludes[i], af, src) ||
		    in_prefix(&site->excludes[i], af, dst))
			return true;
	}
	return false;
}
