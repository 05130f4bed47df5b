/* A KAME router's setkey script as a site.conf (vpntunctl import-setkey):
 * one peer per remote endpoint with an SA each way (`sa in`, `sa out`,
 * keying manual, raw ESP as KAME sends it), its tunnel policies as
 * `tunnel` and `funnel`, and the gif(4) form (transport ESP between the
 * endpoints around IP-in-IP) as the tunnel it is on the wire. What does
 * not carry over becomes a comment; what needs a look, a message. */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/setkey.h"

#define CONV_PEERS_MAX  1024
#define CONV_POLS_MAX   256

struct cpol {
	struct prefix local, remote;
	int           out_line, in_line;
	int           route_line;       /* the gif form's route, or 0 */
	bool          tunnel;           /* else funnel */
	bool          widened;          /* had a protocol or port */
};

struct cpeer {
	char                    name[CONF_NAME_MAX];
	struct prefix           addr;
	const struct setkey_sa *in, *out;
	struct cpol             pols[CONV_POLS_MAX];
	size_t                  npols;
};

struct conv {
	const struct setkey_script      *s;
	const struct setkey_import_opts *o;
	struct setkey_import            *out;
	struct conf_error               *err;
	struct prefix                    local;
	struct prefix                    network;
	bool                             have_network;
	struct cpeer                    *peers;
	size_t                           npeers;
	bool                            *used;     /* notes, per policy */
	FILE                            *f;
	char                           **extra;    /* header comments */
	size_t                           nextra;
};

static void conv_err(struct conv *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static int msg(struct conv *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int extra(struct conv *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
conv_err(struct conv *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line > 0)
		n = snprintf(c->err->msg, sizeof(c->err->msg), "%s:%d: ",
		    c->s->name, line);
	else
		n = snprintf(c->err->msg, sizeof(c->err->msg), "%s: ",
		    c->s->name);
	if (n < 0 || (size_t)n >= sizeof(c->err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(c->err->msg + n, sizeof(c->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
vappend(char ***arr, size_t *n, const char *fmt, va_list ap)
{
	char **na, *m;

	if (vasprintf(&m, fmt, ap) == -1)
		return -1;
	if ((na = realloc(*arr, (*n + 1) * sizeof(*na))) == NULL) {
		free(m);
		return -1;
	}
	*arr = na;
	na[(*n)++] = m;
	return 0;
}

/* What needs a look, for the operator. */
static int
msg(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	int rv;

	va_start(ap, fmt);
	rv = vappend(&c->out->msgs, &c->out->nmsgs, fmt, ap);
	va_end(ap);
	return rv;
}

/* A comment for the header of site.conf. */
static int
extra(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	int rv;

	va_start(ap, fmt);
	rv = vappend(&c->extra, &c->nextra, fmt, ap);
	va_end(ap);
	return rv;
}

static bool
same_addr(const struct prefix *a, const struct prefix *b)
{
	size_t n = a->af == AF_INET ? 4 : 16;

	return a->af == b->af && memcmp(a->addr.b, b->addr.b, n) == 0;
}

static bool
same_prefix(const struct prefix *a, const struct prefix *b)
{
	return same_addr(a, b) && a->len == b->len;
}

static bool
is_host(const struct prefix *p)
{
	return p->len == (p->af == AF_INET ? 32 : 128);
}

/* The network of p: host bits cleared. */
static struct prefix
net_of(const struct prefix *p)
{
	struct prefix n = *p;
	size_t i, bits = n.af == AF_INET ? 32 : 128;

	for (i = n.len; i < bits; i++)
		n.addr.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return n;
}

static const char *
addr_str(const struct prefix *p, char *buf, size_t len)
{
	return inet_ntop(p->af, p->addr.b, buf, (socklen_t)len);
}

static const char *
pfx_str(const struct prefix *p, char *buf, size_t len)
{
	struct prefix n = net_of(p);

	return prefix_ntop(&n, buf, len);
}

static struct cpeer *
peer_of(struct conv *c, const struct prefix *addr)
{
	size_t i;

	for (i = 0; i < c->npeers; i++)
		if (same_addr(&c->peers[i].addr, addr))
			return &c->peers[i];
	return NULL;
}

/* Which end is this router: --local, else the source of the outbound
 * tunnels, else of the gif tunnels and outbound transport policies. */
static int
find_local(struct conv *c)
{
	const struct setkey_script *s = c->s;
	const struct prefix *found = NULL;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int line = 0;
	size_t i;

	if (c->o->local != NULL) {
		c->local = *c->o->local;
		return 0;
	}
	for (i = 0; i < s->npolicies; i++) {
		const struct setkey_policy *p = &s->policies[i];

		if (p->action != SETKEY_IPSEC || p->dir != SETKEY_DIR_OUT ||
		    p->req_proto != SETKEY_ESP)
			continue;
		if (p->mode == SETKEY_MODE_TUNNEL) {
			if (found != NULL && !same_addr(found, &p->tsrc)) {
				conv_err(c, p->line, "the outbound tunnels "
				    "start at %s (line %d) and at %s: give "
				    "--local ADDR, this router's address",
				    addr_str(found, a, sizeof(a)), line,
				    addr_str(&p->tsrc, b, sizeof(b)));
				return -1;
			}
			found = &p->tsrc;
			line = p->line;
		}
	}
	for (i = 0; found == NULL && i < s->ngifs; i++)
		found = &s->gifs[i].src;
	for (i = 0; found == NULL && i < s->npolicies; i++) {
		const struct setkey_policy *p = &s->policies[i];

		if (p->action == SETKEY_IPSEC && p->dir == SETKEY_DIR_OUT &&
		    p->mode == SETKEY_MODE_TRANSPORT && is_host(&p->src))
			found = &p->src;
	}
	if (found == NULL) {
		conv_err(c, 0, "no outbound tunnel policy says which end is "
		    "this router: give --local ADDR");
		return -1;
	}
	c->local = *found;
	c->local.len = c->local.af == AF_INET ? 32 : 128;
	return 0;
}

static void
peer_name(struct conv *c, struct cpeer *pe)
{
	char a[INET6_ADDRSTRLEN], *q;
	size_t i;
	int n;

	addr_str(&pe->addr, a, sizeof(a));
	for (q = a; *q != '\0'; q++)
		if (*q == '.' || *q == ':')
			*q = '-';
	n = snprintf(pe->name, sizeof(pe->name), "kame-%s", a);
	if (n < 0 || (size_t)n >= sizeof(pe->name))
		snprintf(pe->name, sizeof(pe->name), "peer%zu", c->npeers);
	for (i = 0; i + 1 < c->npeers; i++)
		if (strcmp(c->peers[i].name, pe->name) == 0)
			snprintf(pe->name, sizeof(pe->name), "peer%zu",
			    c->npeers);
}

/* One peer per remote endpoint, from the ESP SAs. */
static int
collect_peers(struct conv *c)
{
	const struct setkey_script *s = c->s;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct cpeer *pe, *np;
	const struct prefix *remote;
	bool out;
	size_t i;

	for (i = 0; i < s->nsas; i++) {
		const struct setkey_sa *sa = &s->sas[i];

		if (sa->proto != SETKEY_ESP)
			continue;
		if (same_addr(&sa->src, &c->local)) {
			out = true;
			remote = &sa->dst;
		} else if (same_addr(&sa->dst, &c->local)) {
			out = false;
			remote = &sa->src;
		} else {
			if (extra(c, "line %d: add %s %s esp 0x%x: not "
			    "carried over (neither end is this router, %s)",
			    sa->line, addr_str(&sa->src, a, sizeof(a)),
			    addr_str(&sa->dst, b, sizeof(b)), sa->spi,
			    addr_str(&c->local, b, sizeof(b))) == -1)
				return -1;
			continue;
		}
		/* RFC 3686 2 and RFC 4303 3.2, which vpntund enforces. */
		if (strcmp(sa->auth, "none") == 0 &&
		    (strcmp(sa->cipher, "aes-ctr") == 0 ||
		    strcmp(sa->cipher, "null") == 0)) {
			conv_err(c, sa->line, "-E %s without -A: vpntund "
			    "refuses %s without an integrity algorithm (%s); "
			    "expected -A", sa->ealg, sa->cipher,
			    strcmp(sa->cipher, "null") == 0 ?
			    "RFC 4303 3.2" : "RFC 3686 2");
			return -1;
		}
		if ((pe = peer_of(c, remote)) == NULL) {
			if (c->npeers == CONV_PEERS_MAX) {
				conv_err(c, sa->line, "more than %d peers",
				    CONV_PEERS_MAX);
				return -1;
			}
			np = realloc(c->peers, (c->npeers + 1) * sizeof(*np));
			if (np == NULL) {
				conv_err(c, sa->line, "out of memory");
				return -1;
			}
			c->peers = np;
			pe = &c->peers[c->npeers++];
			memset(pe, 0, sizeof(*pe));
			pe->addr = *remote;
			peer_name(c, pe);
		}
		if ((out ? pe->out : pe->in) != NULL) {
			conv_err(c, sa->line, "a second SA from %s to %s "
			    "(the first at line %d): vpntund keeps one SA "
			    "each way per peer; delete one",
			    addr_str(&sa->src, a, sizeof(a)),
			    addr_str(&sa->dst, b, sizeof(b)),
			    (out ? pe->out : pe->in)->line);
			return -1;
		}
		if (out)
			pe->out = sa;
		else
			pe->in = sa;
	}
	for (i = 0; i < c->npeers; i++) {
		pe = &c->peers[i];
		if (pe->in == NULL || pe->out == NULL) {
			const struct setkey_sa *sa = pe->in != NULL ? pe->in :
			    pe->out;

			conv_err(c, sa->line, "peer %s has an SA only from "
			    "%s to %s: expected an SA each way", pe->name,
			    addr_str(&sa->src, a, sizeof(a)),
			    addr_str(&sa->dst, b, sizeof(b)));
			return -1;
		}
	}
	if (c->npeers == 0) {
		conv_err(c, 0, "no esp SA to or from this router (%s): "
		    "nothing to import", addr_str(&c->local, a, sizeof(a)));
		return -1;
	}
	return 0;
}

static int
add_pol(struct conv *c, struct cpeer *pe, const struct prefix *l,
    const struct prefix *r, int out_line, int in_line, bool widened)
{
	struct cpol *cp;
	size_t i;

	for (i = 0; i < pe->npols; i++)
		if (same_prefix(&pe->pols[i].local, l) &&
		    same_prefix(&pe->pols[i].remote, r))
			return 0;       /* the same pair, other protocols */
	if (pe->npols == CONV_POLS_MAX) {
		conv_err(c, out_line, "peer %s: more than %d policies",
		    pe->name, CONV_POLS_MAX);
		return -1;
	}
	cp = &pe->pols[pe->npols++];
	cp->local = net_of(l);
	cp->remote = net_of(r);
	cp->out_line = out_line;
	cp->in_line = in_line;
	cp->widened = widened;
	return 0;
}

static const char *
action_note(enum setkey_action a)
{
	switch (a) {
	case SETKEY_NONE:
	case SETKEY_BYPASS:
		return "traffic outside the tunnels is the kernel's business";
	case SETKEY_DISCARD:
		return "write a block rule for it";
	case SETKEY_ENTRUST:
		return "vpntund's policies are all in site.conf";
	default:
		return "";
	}
}

/* The inbound half of an outbound tunnel policy. */
static const struct setkey_policy *
in_half(struct conv *c, const struct setkey_policy *o)
{
	size_t i;

	for (i = 0; i < c->s->npolicies; i++) {
		const struct setkey_policy *p = &c->s->policies[i];

		if (p->action == SETKEY_IPSEC && p->dir == SETKEY_DIR_IN &&
		    p->req_proto == SETKEY_ESP && p->mode == o->mode &&
		    same_prefix(&p->src, &o->dst) &&
		    same_prefix(&p->dst, &o->src) &&
		    (o->mode != SETKEY_MODE_TUNNEL ||
		    (same_addr(&p->tsrc, &o->tdst) &&
		    same_addr(&p->tdst, &o->tsrc))))
			return p;
	}
	return NULL;
}

static const struct setkey_gif *gif_of(struct conv *, const struct cpeer *);

static int
gif_policies(struct conv *c, struct cpeer *pe, const struct setkey_policy *o,
    const struct setkey_policy *in)
{
	const struct setkey_gif *g = gif_of(c, pe);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t i, n = 0;

	if (g == NULL)
		return extra(c, "line %d: a transport-mode policy from %s to "
		    "%s and no `ifconfig gifN ... tunnel %s %s`: not carried "
		    "over (vpntund has no transport mode; with a gif tunnel "
		    "it would be the gif form)", o->line,
		    addr_str(&c->local, a, sizeof(a)),
		    addr_str(&pe->addr, b, sizeof(b)),
		    addr_str(&c->local, a, sizeof(a)),
		    addr_str(&pe->addr, b, sizeof(b)));
	if (!c->have_network) {
		conv_err(c, g->line, "%s is the gif form of a tunnel to %s, "
		    "but nothing names this site's network: give --network "
		    "PREFIX", g->ifname, addr_str(&pe->addr, a, sizeof(a)));
		return -1;
	}
	for (i = 0; i < c->s->nroutes; i++) {
		const struct setkey_route *r = &c->s->routes[i];

		if (strcmp(r->ifname, g->ifname) != 0)
			continue;
		if (add_pol(c, pe, &c->network, &r->net, o->line,
		    in->line, false) == -1)
			return -1;
		pe->pols[pe->npols - 1].tunnel = true;
		pe->pols[pe->npols - 1].route_line = r->line;
		n++;
	}
	if (n == 0) {
		conv_err(c, g->line, "%s is the gif form of a tunnel to %s, "
		    "but no `route add NET -interface %s` names the networks "
		    "behind it: expected a route for each of peer %s's "
		    "networks", g->ifname, addr_str(&pe->addr, a, sizeof(a)),
		    g->ifname, pe->name);
		return -1;
	}
	return 0;
}

/* Every policy, to its peer or to a comment. */
static int
collect_policies(struct conv *c)
{
	const struct setkey_script *s = c->s;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	char l[64], r[64];
	struct cpeer *pe;
	size_t i, j;

	/* The site's network: the local side of the first tunnel. */
	if (c->o->network != NULL) {
		c->network = net_of(c->o->network);
		c->have_network = true;
	}
	for (i = 0; i < s->npolicies && !c->have_network; i++) {
		const struct setkey_policy *p = &s->policies[i];

		if (p->action == SETKEY_IPSEC && p->dir == SETKEY_DIR_OUT &&
		    p->req_proto == SETKEY_ESP &&
		    p->mode == SETKEY_MODE_TUNNEL &&
		    same_addr(&p->tsrc, &c->local) &&
		    peer_of(c, &p->tdst) != NULL && in_half(c, p) != NULL) {
			c->network = net_of(&p->src);
			c->have_network = true;
		}
	}
	if ((c->used = calloc(s->npolicies + 1, sizeof(bool))) == NULL) {
		conv_err(c, 0, "out of memory");
		return -1;
	}
	/* Inbound halves, wherever they stand in the file. */
	for (i = 0; i < s->npolicies; i++) {
		const struct setkey_policy *p = &s->policies[i], *in;

		if (p->action == SETKEY_IPSEC && p->dir == SETKEY_DIR_OUT &&
		    p->req_proto == SETKEY_ESP && (in = in_half(c, p)) != NULL)
			c->used[in - s->policies] = true;
	}
	for (i = 0; i < s->npolicies; i++) {
		const struct setkey_policy *p = &s->policies[i], *in;
		bool widened;

		if (c->used[i])
			continue;
		pfx_str(&p->src, l, sizeof(l));
		pfx_str(&p->dst, r, sizeof(r));
		if (p->action != SETKEY_IPSEC) {
			if (extra(c, "line %d: spdadd %s %s -P %s %s: not "
			    "carried over (%s)", p->line, l, r,
			    p->dir == SETKEY_DIR_IN ? "in" : "out",
			    p->action == SETKEY_NONE ? "none" :
			    p->action == SETKEY_DISCARD ? "discard" :
			    p->action == SETKEY_ENTRUST ? "entrust" :
			    "bypass", action_note(p->action)) == -1)
				return -1;
			continue;
		}
		if (p->dir == SETKEY_DIR_FWD || p->req_proto != SETKEY_ESP) {
			if (extra(c, "line %d: spdadd %s %s: not carried over "
			    "(%s)", p->line, l, r, p->dir == SETKEY_DIR_FWD ?
			    "-P fwd is Linux's; vpntund forwards what its "
			    "policies carry" : "vpntund's requests are "
			    "esp") == -1)
				return -1;
			continue;
		}
		if (p->dir == SETKEY_DIR_IN) {
			if (extra(c, "line %d: spdadd %s %s -P in: not "
			    "carried over (an inbound policy without its "
			    "outbound half; vpntund's tunnels go both ways)",
			    p->line, l, r) == -1)
				return -1;
			continue;
		}
		if (p->mode == SETKEY_MODE_TUNNEL &&
		    !same_addr(&p->tsrc, &c->local)) {
			if (extra(c, "line %d: spdadd %s %s: not carried over "
			    "(its tunnel starts at %s, not at this router)",
			    p->line, l, r, addr_str(&p->tsrc, a,
			    sizeof(a))) == -1)
				return -1;
			continue;
		}
		in = in_half(c, p);
		if (in == NULL) {
			if (extra(c, "line %d: spdadd %s %s -P out: not "
			    "carried over (an outbound policy without its "
			    "inbound half; vpntund's tunnels go both ways)",
			    p->line, l, r) == -1)
				return -1;
			continue;
		}
		if (p->mode == SETKEY_MODE_TUNNEL) {
			if ((pe = peer_of(c, &p->tdst)) == NULL) {
				conv_err(c, p->line, "the policy tunnels to "
				    "%s, for which the file adds no esp SA "
				    "(import-setkey carries manual SAs "
				    "only)", addr_str(&p->tdst, a, sizeof(a)));
				return -1;
			}
			widened = p->proto != -1 || p->sport != -1 ||
			    p->dport != -1;
			if (add_pol(c, pe, &p->src, &p->dst, p->line, in->line,
			    widened) == -1)
				return -1;
			continue;
		}
		/* Transport mode between the endpoints: the gif form,
		 * IP-in-IP (any, or protocol 4) inside ESP. */
		if (!is_host(&p->src) || !is_host(&p->dst) ||
		    !same_addr(&p->src, &c->local) ||
		    (pe = peer_of(c, &p->dst)) == NULL ||
		    (p->proto != -1 && p->proto != 4)) {
			if (extra(c, "line %d: spdadd %s %s %s -P out ... "
			    "esp/transport: not carried over (vpntund has no "
			    "transport mode)", p->line, l, r,
			    p->proto_name) == -1)
				return -1;
			continue;
		}
		if (gif_policies(c, pe, p, in) == -1)
			return -1;
	}
	/* Which is the tunnel, which are funnels. */
	for (i = 0; i < c->npeers; i++) {
		bool have_tunnel = false;

		pe = &c->peers[i];
		if (pe->npols == 0) {
			conv_err(c, pe->out->line, "peer %s (%s): no policy "
			    "names its networks: expected `spdadd` tunnel "
			    "policies to it, or the gif form (`ifconfig gifN "
			    "... tunnel`, `route add NET -interface gifN`)",
			    pe->name, addr_str(&pe->addr, b, sizeof(b)));
			return -1;
		}
		for (j = 0; j < pe->npols; j++) {
			if (pe->pols[j].tunnel)
				have_tunnel = true;
		}
		for (j = 0; j < pe->npols && !have_tunnel; j++)
			if (same_prefix(&pe->pols[j].local, &c->network)) {
				pe->pols[j].tunnel = true;
				have_tunnel = true;
			}
	}
	if (!c->have_network) {
		conv_err(c, 0, "nothing names this site's network: give "
		    "--network PREFIX");
		return -1;
	}
	return 0;
}

static int
role_of(struct conv *c)
{
	if (c->o->role != -1)
		return c->o->role;
	return c->npeers > 1 ? ROLE_CENTRAL : ROLE_REMOTE;
}

/* The replay window of vpntund from setkey's -r, bytes of bitmap. */
static int
replay_of(struct conv *c, const struct setkey_sa *sa, uint32_t *out)
{
	uint64_t pk;

	if (sa->replay == 0) {
		*out = 0;
		return 0;
	}
	pk = (uint64_t)sa->replay * 8;
	if (pk > 65536) {
		conv_err(c, sa->line, "-r %u: a window of %llu packets (%u "
		    "bytes of 8 bits), larger than vpntund's 65536: expected "
		    "-r 8192 or less", sa->replay, (unsigned long long)pk,
		    sa->replay);
		return -1;
	}
	if (pk < 64)
		pk = 64;
	*out = (uint32_t)((pk + 63) / 64 * 64);
	return 0;
}

static int
keyfile(struct conv *c, struct cpeer *pe, const struct setkey_sa *sa,
    const char *dir)
{
	struct setkey_keyfile *k, *nk;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int n;

	nk = realloc(c->out->keys, (c->out->nkeys + 1) * sizeof(*nk));
	if (nk == NULL) {
		conv_err(c, sa->line, "out of memory");
		return -1;
	}
	c->out->keys = nk;
	k = &nk[c->out->nkeys++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "keys/%s.%s", pe->name, dir);
	memcpy(k->bytes, sa->key, sa->key_len);
	memcpy(k->bytes + sa->key_len, sa->auth_key, sa->auth_key_len);
	k->len = sa->key_len + sa->auth_key_len;
	n = snprintf(k->comment, sizeof(k->comment), "line %d: esp 0x%x from "
	    "%s to %s: %zu bytes of %s key%s", sa->line, sa->spi,
	    addr_str(&sa->src, a, sizeof(a)), addr_str(&sa->dst, b,
	    sizeof(b)), sa->key_len, sa->cipher, sa->key_len * 8 !=
	    sa->key_bits ? (strcmp(sa->cipher, "aes-gcm") == 0 ?
	    " and salt" : " and nonce") : "");
	if (sa->auth_key_len != 0 && n > 0 && (size_t)n < sizeof(k->comment))
		snprintf(k->comment + n, sizeof(k->comment) - (size_t)n,
		    ", then %zu of %s key", sa->auth_key_len,
		    setkey_auth_name(sa, c->o->sha2_96));
	return 0;
}

static int
write_sa(struct conv *c, struct cpeer *pe, const struct setkey_sa *sa,
    const char *dir)
{
	const char *auth = setkey_auth_name(sa, c->o->sha2_96);

	fprintf(c->f, "\tsa %-3s spi 0x%08x cipher %s", dir, sa->spi,
	    sa->cipher);
	if (strcmp(sa->cipher, "null") != 0 &&
	    strcmp(sa->cipher, "3des-cbc") != 0 &&
	    strcmp(sa->cipher, "des-cbc") != 0)
		fprintf(c->f, " keysize %zu", sa->key_bits);
	fprintf(c->f, " auth %s key \"keys/%s.%s\"\t# add at line %d\n", auth,
	    pe->name, dir, sa->line);
	if (strcmp(auth, "none") == 0 && strcmp(sa->cipher, "aes-gcm") != 0 &&
	    msg(c, "peer %s: sa %s (line %d) has no integrity check (no "
	    "-A): anyone on the path can inject packets (site.conf(5), "
	    "auth none)", pe->name, dir, sa->line) == -1)
		return -1;
	if (strcmp(sa->cipher, "blowfish-cbc") == 0 && sa->key_bits < 128 &&
	    msg(c, "peer %s: sa %s (line %d): a %zu-bit blowfish key can be "
	    "found by trying them all", pe->name, dir, sa->line,
	    sa->key_bits) == -1)
		return -1;
	return keyfile(c, pe, sa, dir);
}

static const char *
pad_name(enum setkey_pad pad)
{
	return pad == SETKEY_PAD_ZERO ? "zero" : pad == SETKEY_PAD_RANDOM ?
	    "any" : "strict";
}

static int
write_lifetime(struct conv *c, struct cpeer *pe)
{
	uint64_t hard = pe->in->life_bytes, soft = pe->in->life_bytes_soft;

	/* One lifetime for the peer's SAs: the smaller of the two. */
	if (pe->out->life_bytes != 0 && (hard == 0 ||
	    pe->out->life_bytes < hard))
		hard = pe->out->life_bytes;
	if (pe->out->life_bytes_soft != 0 && (soft == 0 ||
	    pe->out->life_bytes_soft < soft))
		soft = pe->out->life_bytes_soft;
	if (hard == 0) {
		if (soft != 0)
			fprintf(c->f, "\t# -bs without -bh: not carried "
			    "over (a soft limit needs a hard one)\n");
		return 0;
	}
	if (hard < 4096) {
		conv_err(c, pe->in->life_bytes == hard ? pe->in->line :
		    pe->out->line, "-bh %llu: vpntund's smallest lifetime "
		    "is 4096 bytes", (unsigned long long)hard);
		return -1;
	}
	fprintf(c->f, "\tlifetime bytes %llu", (unsigned long long)hard);
	if (soft != 0 && soft <= hard)
		fprintf(c->f, " soft %llu", (unsigned long long)soft);
	fprintf(c->f, "\t# -bh/-bs: the smaller of the two SAs'\n");
	return 0;
}

/* The gif of a peer in the gif form. */
static const struct setkey_gif *
gif_of(struct conv *c, const struct cpeer *pe)
{
	size_t i;

	for (i = 0; i < c->s->ngifs; i++)
		if (same_addr(&c->s->gifs[i].src, &c->local) &&
		    same_addr(&c->s->gifs[i].dst, &pe->addr))
			return &c->s->gifs[i];
	return NULL;
}

static const char *
s_gif_name(struct conv *c, const struct cpeer *pe)
{
	return gif_of(c, pe)->ifname;
}

static int
s_gif_line(struct conv *c, const struct cpeer *pe)
{
	return gif_of(c, pe)->line;
}

static int
write_peer(struct conv *c, struct cpeer *pe)
{
	char a[INET6_ADDRSTRLEN], l[64], r[64];
	const struct setkey_sa *in = pe->in;
	uint32_t rw;
	size_t i;

	fprintf(c->f, "\npeer \"%s\" {\n", pe->name);
	fprintf(c->f, "\tendpoint %s\n", addr_str(&pe->addr, a, sizeof(a)));
	fprintf(c->f, "\ttransport esp\t\t# KAME sends raw ESP (IP protocol "
	    "50)\n\tkeying manual\n");
	fprintf(c->f, "\tnetwork %s\n", pfx_str(&pe->pols[0].remote, r,
	    sizeof(r)));
	if (pe->in->weak || pe->out->weak) {
		fprintf(c->f, "\tallow-weak-cipher yes\t# des-cbc: a 56-bit "
		    "key, found by trying them all\n");
		if (msg(c, "peer %s: des-cbc has a 56-bit key; "
		    "allow-weak-cipher yes is written", pe->name) == -1)
			return -1;
	}
	if (c->o->sha2_96 && (strncmp(in->auth, "hmac-sha", 8) == 0 &&
	    strcmp(in->auth, "hmac-sha1-96") != 0))
		fprintf(c->f, "\t# --sha2-96: hmac-sha2-* as the 96-bit "
		    "truncation of older KAME, not RFC 4868's\n");
	if (write_sa(c, pe, pe->out, "out") == -1 ||
	    write_sa(c, pe, pe->in, "in") == -1)
		return -1;
	if (replay_of(c, in, &rw) == -1)
		return -1;
	if (rw == 0) {
		fprintf(c->f, "\t# no -r at line %d: setkey's default, no "
		    "replay check; site.conf(5) replay-window\n"
		    "\treplay-window 0\n", in->line);
		if (msg(c, "peer %s: replay-window 0 (setkey's default): "
		    "replayed packets are delivered; give both ends a window "
		    "(-r on the KAME side, replay-window here)",
		    pe->name) == -1)
			return -1;
	} else
		fprintf(c->f, "\treplay-window %u\t# -r %u at line %d: %u "
		    "bytes, %llu packets, in steps of 64\n", rw, in->replay,
		    in->line, in->replay, (unsigned long long)in->replay * 8);
	fprintf(c->f, "\tpadding %s\t\t# -f %s at line %d%s\n",
	    pad_name(in->pad), in->pad == SETKEY_PAD_ZERO ? "zero-pad" :
	    in->pad == SETKEY_PAD_RANDOM ? "random-pad" : "seq-pad",
	    in->line, in->pad_given ? "" : " (setkey's default)");
	if (write_lifetime(c, pe) == -1)
		return -1;
	fprintf(c->f, "\t# keepalive: the default stays. vpntund's are ESP "
	    "dummy packets (next\n\t# header 59), which RFC 4303 2.6 "
	    "receivers discard; KAME sends none, so\n\t# the peer shows down "
	    "while it is silent. Should it answer them with\n\t# ICMP, "
	    "write keepalive 0.\n");
	for (i = 0; i < pe->npols; i++) {
		const struct cpol *cp = &pe->pols[i];

		fprintf(c->f, "\t%s %s <-> %s\t# ",
		    cp->tunnel ? "tunnel" : "funnel",
		    pfx_str(&cp->local, l, sizeof(l)),
		    pfx_str(&cp->remote, r, sizeof(r)));
		if (cp->route_line != 0)
			fprintf(c->f, "route at line %d, %s at %d, ",
			    cp->route_line, s_gif_name(c, pe), s_gif_line(c,
			    pe));
		fprintf(c->f, "spdadd at lines %d, %d%s\n", cp->out_line,
		    cp->in_line, cp->widened ? "; setkey's policy had a "
		    "protocol or ports: vpntund's are by address, narrow "
		    "it with rules" : "");
	}
	fprintf(c->f, "}\n");
	return 0;
}

static int
write_conf(struct conv *c)
{
	const char *name = c->o->site_name != NULL ? c->o->site_name :
	    "imported";
	char a[INET6_ADDRSTRLEN], n[64];
	struct prefix host;
	size_t i;
	int role = role_of(c);

	fprintf(c->f, "# site.conf(5) of vpntund, imported by vpntunctl "
	    "import-setkey from\n# %s: the manual SAs and policies of a KAME "
	    "router at %s.\n", c->o->source != NULL ? c->o->source :
	    c->s->name, addr_str(&c->local, a, sizeof(a)));
	fprintf(c->f, "# The first start needs `vpntund -R`: the state file "
	    "is new (site.conf(5),\n# KEYING AND RESTARTS). Keys are in "
	    "keys/, one file per SA, mode 600.\n");
	if (c->s->nnotes + c->nextra != 0)
		fprintf(c->f, "#\n# Not carried over:\n");
	for (i = 0; i < c->s->nnotes; i++)
		fprintf(c->f, "#   line %d: %s\n", c->s->notes[i].line,
		    c->s->notes[i].text);
	for (i = 0; i < c->nextra; i++)
		fprintf(c->f, "#   %s\n", c->extra[i]);

	host = net_of(&c->network);
	host.addr.b[(host.af == AF_INET ? 4 : 16) - 1] |= 1;
	fprintf(c->f, "\nsite \"%s\" {\n", name);
	fprintf(c->f, "\trole %s\n", role == ROLE_CENTRAL ? "central" :
	    "remote");
	fprintf(c->f, "\tnetwork %s\n", pfx_str(&c->network, n, sizeof(n)));
	fprintf(c->f, "\taddress %s/%u\t# host 1 of the network: check it\n",
	    addr_str(&host, a, sizeof(a)), host.len);
	fprintf(c->f, "\ttun vpn0\n\touter %s\n",
	    addr_str(&c->local, a, sizeof(a)));
	fprintf(c->f, "\tstate-file \"/var/lib/vpntund/%s.state\"\n}\n", name);
	if (msg(c, "site %s: address %s/%u is host 1 of %s: check it", name,
	    addr_str(&host, a, sizeof(a)), host.len,
	    pfx_str(&c->network, n, sizeof(n))) == -1)
		return -1;
	for (i = 0; i < c->npeers; i++)
		if (write_peer(c, &c->peers[i]) == -1)
			return -1;
	if (c->s->nnotes + c->nextra != 0 && msg(c, "not carried over: %zu "
	    "statements; see the comments at the top of site.conf",
	    c->s->nnotes + c->nextra) == -1)
		return -1;
	return 0;
}

void
setkey_import_free(struct setkey_import *out)
{
	size_t i;

	if (out->keys != NULL)
		OPENSSL_cleanse(out->keys, out->nkeys * sizeof(*out->keys));
	free(out->keys);
	free(out->conf);
	for (i = 0; i < out->nmsgs; i++)
		free(out->msgs[i]);
	free(out->msgs);
	memset(out, 0, sizeof(*out));
}

int
setkey_convert(const struct setkey_script *s,
    const struct setkey_import_opts *o, struct setkey_import *out,
    struct conf_error *err)
{
	struct conv c;
	size_t len, i;
	int rv = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.o = o;
	c.out = out;
	c.err = err;
	err->msg[0] = '\0';
	if (find_local(&c) == -1 || collect_peers(&c) == -1 ||
	    collect_policies(&c) == -1)
		goto out;
	if ((c.f = open_memstream(&out->conf, &len)) == NULL) {
		conv_err(&c, 0, "out of memory");
		goto out;
	}
	rv = write_conf(&c);
	if (fclose(c.f) == EOF && rv == 0) {
		conv_err(&c, 0, "out of memory");
		rv = -1;
	}
	c.f = NULL;
	if (rv == -1)
		goto out;
	out->npeers = c.npeers;
out:
	for (i = 0; i < c.nextra; i++)
		free(c.extra[i]);
	free(c.extra);
	free(c.used);
	free(c.peers);
	if (rv == -1)
		setkey_import_free(out);
	return rv;
}
