/* Policy lookup (see policy.h): the compiled matcher of qos/match.h for
 * the daemon, and the linear scan it is tested against. */
#include "src/datapath/policy.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

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

int
policy_table_init(struct policy_table *t, const struct peer_conf *peers,
    size_t npeers)
{
	struct policy_ref *order;
	struct match_rule *rules = NULL;
	const struct policy_conf *pol;
	size_t n = 0, i;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if ((order = policy_order(peers, npeers, &n)) == NULL)
		goto out;
	rules = calloc(n > 0 ? n : 1, sizeof(*rules));
	t->peer = calloc(n > 0 ? n : 1, sizeof(*t->peer));
	if (rules == NULL || t->peer == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct match_rule *r = &rules[i];

		pol = &peers[order[i].peer].policies[order[i].idx];
		r->af = pol->remote.af;
		r->src = pol->local;
		r->dst = pol->remote;
		r->proto = -1;
		r->sport_hi = r->dport_hi = 65535;
		r->icmp_type = -1;
		r->iface = MATCH_IF_ANY;
		r->result = (uint32_t)order[i].peer;
		t->peer[i] = (uint32_t)order[i].peer;
	}
	t->n = n;
	t->m = matcher_compile(rules, n);
	t->cache = match_cache_new(MATCH_CACHE_ENTRIES);
	if (t->m != NULL && t->cache != NULL)
		rc = 0;
out:
	if (rc == -1) {
		log_warnx("policies: out of memory compiling %zu policies", n);
		policy_table_free(t);
	}
	free(rules);
	free(order);
	return rc;
}

void
policy_table_free(struct policy_table *t)
{
	matcher_free(t->m);
	match_cache_free(t->cache);
	free(t->peer);
	memset(t, 0, sizeof(*t));
}

long
policy_table_lookup(const struct policy_table *t, sa_family_t af,
    const void *src, const void *dst)
{
	struct match_pkt mp;
	size_t alen = af == AF_INET ? 4 : 16;
	long r;

	if (t->m == NULL || (af != AF_INET && af != AF_INET6))
		return -1;
	/* Only addresses count: a packet without ports or ICMP type. */
	memset(&mp, 0, sizeof(mp));
	mp.af = af;
	memcpy(mp.src, src, alen);
	memcpy(mp.dst, dst, alen);
	mp.icmp_type = -1;
	mp.iface = MATCH_IF_TUN;
	r = match_cache_lookup(t->cache, t->m, &mp);
	if (r < 0 || (size_t)r >= t->n)
		return -1;
	return (long)t->peer[r];
}
