/* The order of the peers' policies for outbound packets (config.h). */
#include <stdint.h>
#include <stdlib.h>

#include "conf/config.h"

struct ranked {
	struct policy_ref ref;
	uint8_t           len;          /* the remote prefix's length */
	size_t            seq;          /* as written: a stable sort */
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct policy_ref *
policy_order(const struct peer_conf *peers, size_t npeers, size_t *np)
{
	const struct policy_conf *pol;
	struct policy_ref *out;
	struct ranked *r;
	size_t max = 0, n = 0, i, j;

	for (i = 0; i < npeers; i++)
		max += peers[i].npolicies;
	r = calloc(max > 0 ? max : 1, sizeof(*r));
	out = calloc(max > 0 ? max : 1, sizeof(*out));
	if (r == NULL || out == NULL) {
		free(r);
		free(out);
		return NULL;
	}
	for (i = 0; i < npeers; i++) {
		for (j = 0; j < peers[i].npolicies; j++) {
			pol = &peers[i].policies[j];
			/* A pair of two families can never match a packet. */
			if (pol->local.af != pol->remote.af)
				continue;
			r[n].ref.peer = i;
			r[n].ref.idx = j;
			r[n].len = pol->remote.len;
			r[n].seq = n;
			n++;
		}
	}
	qsort(r, n, sizeof(*r), ranked_cmp);
	for (i = 0; i < n; i++)
		out[i] = r[i].ref;
	free(r);
	*np = n;
	return out;
}
