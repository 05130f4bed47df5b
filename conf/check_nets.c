/* Where the site's addresses and the peers' policies may lie. An address
 * of the tun belongs to one of the site's networks. An excluded network is
 * a private LAN of the site kept out of the VPN: the engine drops every
 * packet from or to it (src/datapath/policy.c), so a tunnel or funnel side
 * that lies inside one could never carry a packet and is a mistake. A side
 * that holds an exclude stays allowed: that is how an exclude cuts a hole
 * in a wider tunnel. Two prefixes overlap only by one holding the other,
 * so these two cases are all there are. */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

#define PFX_STR (INET6_ADDRSTRLEN + 8)

/* Whether p lies inside (or equals) within. */
static bool
inside(const struct prefix *p, const struct prefix *within)
{
	return p->af == within->af && p->len >= within->len &&
	    prefix_contains(within, p->af, p->addr.b);
}

int
site_addresses_inside(struct lexer *lx, const struct site_conf *s,
    const struct site_extra *sx)
{
	char a[PFX_STR], n[PFX_STR], list[8 * (PFX_STR + 2)];
	struct prefix host;
	size_t i, j;

	for (i = 0; i < s->naddresses; i++) {
		/* Only written ones: the defaults are host 1 of each network. */
		if (sx->address_line[i] == 0)
			continue;
		host = s->addresses[i];
		host.len = (uint8_t)addr_bits(host.af);
		for (j = 0; j < s->nnetworks; j++)
			if (inside(&host, &s->networks[j]))
				break;
		if (j < s->nnetworks)
			continue;
		list[0] = '\0';
		for (j = 0; j < s->nnetworks; j++) {
			if (j > 0)
				strcat(list, ", ");
			strcat(list, prefix_ntop(&s->networks[j], n, sizeof(n)));
		}
		conf_err(lx, sx->address_file[i], sx->address_line[i],
		    "address %s lies outside the site's networks (%s); "
		    "expected an address inside a \"network\" of the site",
		    prefix_ntop(&s->addresses[i], a, sizeof(a)), list);
		return -1;
	}
	return 0;
}

/* The exclude that side lies inside, or -1. */
static int
excluded_by(const struct site_conf *s, const struct prefix *side)
{
	size_t i;

	for (i = 0; i < s->nexcludes; i++)
		if (inside(side, &s->excludes[i]))
			return (int)i;
	return -1;
}

int
policies_not_excluded(struct lexer *lx, const struct config *cf,
    const struct peer_extra *px, const struct site_extra *sx)
{
	char l[PFX_STR], r[PFX_STR], e[PFX_STR];
	const struct peer_conf *pc;
	const struct policy_conf *pol;
	const char *file, *kind, *which;
	size_t i, j;
	int x, line;

	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		for (j = 0; j < pc->npolicies; j++) {
			pol = &pc->policies[j];
			which = "local";
			if ((x = excluded_by(&cf->site, &pol->local)) == -1) {
				which = "remote";
				x = excluded_by(&cf->site, &pol->remote);
			}
			if (x == -1)
				continue;
			if (!pol->implied) {
				file = px[i].policy_file[j];
				kind = pol->funnel ? "funnel" : "tunnel";
			} else {
				file = px[i].file;
				kind = "the default tunnel";
			}
			line = pol->line;
			conf_err(lx, file, line, "peer \"%s\": %s %s <-> %s: its "
			    "%s side lies inside exclude %s (%s:%d), which never "
			    "enters the VPN; expected prefixes outside every "
			    "excluded network", pc->name, kind,
			    prefix_ntop(&pol->local, l, sizeof(l)),
			    prefix_ntop(&pol->remote, r, sizeof(r)), which,
			    prefix_ntop(&cf->site.excludes[x], e, sizeof(e)),
			    sx->exclude_file[x], sx->exclude_line[x]);
			return -1;
		}
	}
	return 0;
}
