/* What a running daemon may take from a new site.conf (vpntund(8),
 * RELOADING): the rules, the meters, the qos block's bandwidth, classes
 * and mss-clamp, and the site's log-level and socket-filter. Everything
 * else made the tunnels and the devices as they are: the site block, the
 * peers with their keys, SPIs and policies, and tunnel-mtu (the tun's
 * MTU). Applying a change there means new SAs or a new device, which is
 * a restart, so config_reload_check() names the first such change
 * instead of half-applying it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

enum kind {
	K_MEM,          /* bytes, compared as they are */
	K_STR,          /* a NUL-terminated array */
	K_PSTR,         /* a char *, NULL or a string */
	K_PFX,          /* one struct prefix */
	K_PFXS,         /* an array of them, counted by the size_t at aux */
	K_SOCK,         /* a struct sockaddr_storage */
	K_POLICIES,     /* a peer's policies and npolicies */
};

struct field {
	const char *name;       /* as site.conf spells the statement */
	size_t      off, size;
	enum kind   kind;
	size_t      aux;
};

#define F(st, m, name, kind) \
	{ name, offsetof(struct st, m), sizeof(((struct st *)0)->m), kind, 0 }
#define FA(st, m, n, name) \
	{ name, offsetof(struct st, m), sizeof(((struct st *)0)->m[0]), \
	    K_PFXS, offsetof(struct st, n) }

static const struct field site_fields[] = {
	F(site_conf, role, "role", K_MEM),
	F(site_conf, tun, "tun", K_STR),
	FA(site_conf, networks, nnetworks, "network"),
	FA(site_conf, addresses, naddresses, "address"),
	FA(site_conf, excludes, nexcludes, "exclude"),
	F(site_conf, outer, "outer", K_SOCK),
	F(site_conf, port, "port", K_MEM),
	F(site_conf, outer_mtu, "outer-mtu", K_MEM),
	F(site_conf, mtu, "mtu", K_MEM),
	F(site_conf, up, "up", K_STR),
	F(site_conf, down, "down", K_STR),
	F(site_conf, peer_up, "peer-up", K_STR),
	F(site_conf, peer_down, "peer-down", K_STR),
	F(site_conf, hook_timeout, "hook-timeout", K_MEM),
	F(site_conf, state_file, "state-file", K_STR),
	F(site_conf, state_ahead, "state-ahead", K_MEM),
	F(site_conf, control, "control", K_STR),
	F(site_conf, log_syslog, "log", K_MEM),
	/* (log-level and socket-filter are reloadable: the engine sets
	 * them.) */
	F(site_conf, tap, "tap", K_STR),
	F(site_conf, tap_mtu, "tap mtu", K_MEM),
	F(site_conf, bridge_all, "bridge", K_MEM),
	F(site_conf, bridge_age, "bridge-age", K_MEM),
	F(site_conf, bridge_table, "bridge-table", K_MEM),
	F(site_conf, bridge_flood_rate, "bridge-flood", K_MEM),
	F(site_conf, bridge_flood_burst, "bridge-flood burst", K_MEM),
	F(site_conf, udp_gso, "udp-gso", K_MEM),
	F(site_conf, udp_gro, "udp-gro", K_MEM),
	F(site_conf, tun_offload, "tun-offload", K_MEM),
	FA(site_conf, resolvers, nresolvers, "resolver"),
	F(site_conf, resolve_min, "resolve-interval", K_MEM),
	F(site_conf, resolve_max, "resolve-interval", K_MEM),
	F(site_conf, user, "user", K_STR),
	/* Its socket is opened before the daemon drops its privileges. */
	F(site_conf, monitor, "monitor", K_SOCK),
};

static const struct field peer_fields[] = {
	F(peer_conf, role, "role", K_MEM),
	F(peer_conf, network, "network", K_PFX),
	F(peer_conf, dynamic, "endpoint", K_MEM),
	F(peer_conf, endpoint, "endpoint", K_SOCK),
	F(peer_conf, endpoint_name, "endpoint", K_PSTR),
	F(peer_conf, transport, "transport", K_MEM),
	F(peer_conf, port, "transport port", K_MEM),
	/* (sa_change names `sa in` and `sa out` for these.) */
	F(peer_conf, suite_in.cipher, "cipher", K_MEM),
	F(peer_conf, suite_in.key_bits, "cipher keysize", K_MEM),
	F(peer_conf, suite_in.auth, "auth", K_MEM),
	F(peer_conf, suite_out.cipher, "cipher", K_MEM),
	F(peer_conf, suite_out.key_bits, "cipher keysize", K_MEM),
	F(peer_conf, suite_out.auth, "auth", K_MEM),
	F(peer_conf, spi_in, "spi", K_MEM),
	F(peer_conf, spi_out, "spi", K_MEM),
	/* The keys, not the file's name: a key moved to another file with
	 * the same bytes changes nothing. The running config's own keys are
	 * wiped once the SAs hold them: their fingerprint is not. */
	F(peer_conf, key_id, "key", K_MEM),
	F(peer_conf, replay_window, "replay-window", K_MEM),
	F(peer_conf, padding, "padding", K_MEM),
	F(peer_conf, esn, "esn", K_MEM),
	F(peer_conf, keying, "keying", K_MEM),
	F(peer_conf, life_bytes, "lifetime bytes", K_MEM),
	F(peer_conf, life_bytes_soft, "lifetime bytes soft", K_MEM),
	F(peer_conf, life_packets, "lifetime packets", K_MEM),
	F(peer_conf, life_packets_soft, "lifetime packets soft", K_MEM),
	F(peer_conf, keepalive, "keepalive", K_MEM),
	F(peer_conf, dead, "dead", K_MEM),
	{ "tunnel or funnel", offsetof(struct peer_conf, policies), 0,
	    K_POLICIES, 0 },
	F(peer_conf, bridge, "bridge", K_MEM),
	F(peer_conf, tap_sa, "tap-sa", K_MEM),
	F(peer_conf, tap_key_id, "tap-sa key", K_MEM),
	F(peer_conf, tap_spi_in, "tap-sa", K_MEM),
	F(peer_conf, tap_spi_out, "tap-sa", K_MEM),
};

static bool
prefix_same(const struct prefix *a, const struct prefix *b)
{
	size_t n;

	if (a->af != b->af || a->len != b->len)
		return false;
	/* Only the family's bytes: the rest of the union is not set. */
	n = a->af == AF_INET6 ? 16 : a->af == AF_INET ? 4 : 0;
	return memcmp(a->addr.b, b->addr.b, n) == 0;
}

static bool
sock_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
	return true;
}

static bool
policies_same(const struct peer_conf *a, const struct peer_conf *b)
{
	size_t i;

	if (a->npolicies != b->npolicies)
		return false;
	/* In order: the policy table breaks ties as written. */
	for (i = 0; i < a->npolicies; i++)
		if (!prefix_same(&a->policies[i].local, &b->policies[i].local) ||
		    !prefix_same(&a->policies[i].remote,
		    &b->policies[i].remote) ||
		    a->policies[i].funnel != b->policies[i].funnel)
			return false;
	return true;
}

static bool
field_same(const struct field *f, const void *a, const void *b)
{
	const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
	const char *sa, *sb;
	size_t n, i;

	switch (f->kind) {
	case K_MEM:
		return memcmp(pa, pb, f->size) == 0;
	case K_STR:
		return strncmp(pa, pb, f->size) == 0;
	case K_PSTR:
		memcpy(&sa, pa, sizeof(sa));
		memcpy(&sb, pb, sizeof(sb));
		if (sa == NULL || sb == NULL)
			return sa == sb;
		return strcmp(sa, sb) == 0;
	case K_PFX:
		return prefix_same((const void *)pa, (const void *)pb);
	case K_PFXS:
		memcpy(&n, (const char *)a + f->aux, sizeof(n));
		memcpy(&i, (const char *)b + f->aux, sizeof(i));
		if (n != i)
			return false;
		for (i = 0; i < n; i++)
			if (!prefix_same((const void *)(pa + i * f->size),
			    (const void *)(pb + i * f->size)))
				return false;
		return true;
	case K_SOCK:
		return sock_same((const void *)pa, (const void *)pb);
	case K_POLICIES:
		return policies_same(a, b);
	}
	return false;
}

/* The first field of n that differs, or NULL. */
static const struct field *
first_change(const struct field *fields, size_t n, const void *a,
    const void *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!field_same(&fields[i], a, b))
			return &fields[i];
	return NULL;
}

/* The peer of cf called name; at index hint first, where a file that
 * kept its order has it, so that a reload of many peers is not
 * quadratic. */
static const struct peer_conf *
peer_named(const struct config *cf, const char *name, size_t hint)
{
	size_t i;

	if (hint < cf->npeers && strcmp(cf->peers[hint].name, name) == 0)
		return &cf->peers[hint];
	for (i = 0; i < cf->npeers; i++)
		if (strcmp(cf->peers[i].name, name) == 0)
			return &cf->peers[i];
	return NULL;
}

#define RESTART "; restart vpntund to apply it"

static bool
suite_same(const struct sa_suite *a, const struct sa_suite *b)
{
	return a->cipher == b->cipher && a->key_bits == b->key_bits &&
	    a->auth == b->auth;
}

/* With `sa in` and `sa out` the SPIs, suites and keys are theirs: the
 * statement that changed, or NULL. */
static const char *
sa_change(const struct peer_conf *a, const struct peer_conf *b)
{
	if (a->sa_split != b->sa_split)
		return "sa";
	if (!a->sa_split)
		return NULL;
	if (a->spi_in != b->spi_in || !suite_same(&a->suite_in, &b->suite_in))
		return "sa in";
	if (a->spi_out != b->spi_out ||
	    !suite_same(&a->suite_out, &b->suite_out))
		return "sa out";
	if (memcmp(a->key_id, b->key_id, sizeof(a->key_id)) != 0)
		return "sa key";
	return NULL;
}

static int __attribute__((format(printf, 2, 3)))
refuse(struct conf_error *err, const char *fmt, ...)
{
	va_list ap;

	/* Truncated if it must be: a path may be longer than a message. */
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
config_reload_check(const struct config *old, const struct config *new,
    struct conf_error *err)
{
	const struct field *f;
	const struct peer_conf *np, *op;
	const char *what;
	size_t i;

	if (strcmp(old->site.name, new->site.name) != 0)
		return refuse(err, "%s: the site's name changed" RESTART,
		    new->file);
	if ((f = first_change(site_fields, sizeof(site_fields) /
	    sizeof(site_fields[0]), &old->site, &new->site)) != NULL)
		return refuse(err, "%s: site \"%s\": %s changed" RESTART,
		    new->file, new->site.name, f->name);
	for (i = 0; i < new->npeers; i++) {
		np = &new->peers[i];
		if ((op = peer_named(old, np->name, i)) == NULL)
			return refuse(err, "%s:%d: peer \"%s\" is new" RESTART,
			    new->file, np->line, np->name);
		if ((what = sa_change(op, np)) != NULL)
			return refuse(err, "%s:%d: peer \"%s\": %s changed"
			    RESTART, new->file, np->line, np->name, what);
		if ((f = first_change(peer_fields, sizeof(peer_fields) /
		    sizeof(peer_fields[0]), op, np)) != NULL)
			return refuse(err, "%s:%d: peer \"%s\": %s changed"
			    RESTART, new->file, np->line, np->name, f->name);
	}
	/* Names are unique in each file, so every new peer found in old
	 * and as many peers on both sides means none is gone. */
	for (i = 0; old->npeers != new->npeers && i < old->npeers; i++)
		if (peer_named(new, old->peers[i].name, i) == NULL)
			return refuse(err, "%s: peer \"%s\" is gone" RESTART,
			    new->file, old->peers[i].name);
	/* The tun's MTU was set from tunnel-mtu at start. */
	if (old->qos.tunnel_mtu != new->qos.tunnel_mtu)
		return new->qos.enabled ?
		    refuse(err, "%s:%d: qos: tunnel-mtu changed" RESTART,
		    new->file, new->qos.line) :
		    refuse(err, "%s: qos: tunnel-mtu changed" RESTART,
		    new->file);
	return 0;
}
