/* The tun device: MTU choice, addresses, link state, routes to the peers'
 * networks, and the up/down hooks. The device and its configuration are
 * the ops' (src/net/dev.h: rtnetlink for the kernel's tun); closing it
 * removes the device. */
#include "src/engine/engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/datapath/datapath.h"
#include "src/datapath/icmp.h"
#include "src/net/hook.h"

/* Host bits cleared: what the kernel wants as a route destination. */
static void
prefix_mask(struct prefix *p)
{
	size_t n = p->af == AF_INET ? 4 : 16, i;
	unsigned bits = p->len;

	for (i = 0; i < n; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		p->addr.b[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

static bool
prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->af == b->af && a->len == b->len &&
	    memcmp(a->addr.b, b->addr.b, a->af == AF_INET ? 4 : 16) == 0;
}

static bool
site_has_v6(const struct config *cf)
{
	size_t i, j;

	for (i = 0; i < cf->site.naddresses; i++)
		if (cf->site.addresses[i].af == AF_INET6)
			return true;
	for (i = 0; i < cf->npeers; i++)
		for (j = 0; j < cf->peers[i].npolicies; j++)
			if (cf->peers[i].policies[j].remote.af == AF_INET6)
				return true;
	return false;
}

/* site.mtu, or outer_mtu less the worst overhead over all peers. A
 * dynamic peer may turn up over either family unless `outer` pins one, so
 * it counts with the larger IPv6 header. */
static unsigned
choose_mtu(struct engine *e)
{
	const struct site_conf *site = &e->cf->site;
	size_t worst = 0, oh, i;
	unsigned mtu, floor;
	const char *why = "derived";

	if (site->mtu != 0) {
		log_info("tun MTU %u (configured)", site->mtu);
		return site->mtu;
	}
	for (i = 0; i < e->npeers; i++) {
		oh = peer_worst_overhead(&e->peers[i]);
		if (oh > worst)
			worst = oh;
	}
	mtu = site->outer_mtu > worst ? site->outer_mtu - (unsigned)worst : 0;
	floor = site_has_v6(e->cf) ? IPV6_MIN_MTU : 576;
	if (mtu < floor) {
		why = "raised to the minimum; larger packets rely on outer "
		    "fragmentation";
		mtu = floor;
	}
	if (mtu > PKT_MTU_MAX)
		mtu = PKT_MTU_MAX;
	log_info("tun MTU %u (outer MTU %u, worst-case overhead %zu: %s)",
	    mtu, site->outer_mtu, worst, why);
	return mtu;
}

/* qos `tunnel-mtu`: small packets at the source keep the
 * serialisation delay of the uplink low. The tun MTU is at most
 * tunnel-mtu; a site with IPv6 keeps the tun at IPv6's minimum of 1280
 * (below it Linux removes IPv6 from the device) and holds IPv4 to
 * tunnel-mtu by ICMP too-big and MSS clamping instead (e->mtu_v4). */
static void
apply_tunnel_mtu(struct engine *e)
{
	unsigned t = e->cf->qos.tunnel_mtu;

	e->mtu_v4 = e->mtu;
	if (t == 0 || t >= e->mtu)
		return;
	e->mtu_v4 = t;
	if (site_has_v6(e->cf) && t < IPV6_MIN_MTU) {
		if (e->mtu > IPV6_MIN_MTU)
			e->mtu = IPV6_MIN_MTU;
		log_info("tunnel-mtu %u: tun MTU %u for IPv6, IPv4 held to "
		    "%u", t, e->mtu, t);
		return;
	}
	e->mtu = t;
	log_info("tun MTU %u (tunnel-mtu)", t);
}

static bool
route_on_link(const struct site_conf *site, const struct prefix *r)
{
	size_t i;

	for (i = 0; i < site->naddresses; i++) {
		const struct prefix *a = &site->addresses[i];

		if (a->af == r->af && a->len <= r->len &&
		    prefix_contains(a, r->af, r->addr.b))
			return true;
	}
	return false;
}

/* A route candidate and where it came in the config. */
struct route_at {
	struct prefix p;
	size_t        at;
};

/* By prefix, and equal prefixes in config order. */
static int
route_at_cmp(const void *va, const void *vb)
{
	const struct route_at *a = va, *b = vb;
	int c;

	if (a->p.af != b->p.af)
		return a->p.af < b->p.af ? -1 : 1;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	if ((c = memcmp(a->p.addr.b, b->p.addr.b, a->p.af == AF_INET ?
	    4 : 16)) != 0)
		return c;
	return a->at < b->at ? -1 : a->at > b->at;
}

/* Leaves the first of each prefix in e->routes, in config order: sorted,
 * so that thousands of peers are not compared pairwise. */
static int
dedup_routes(struct engine *e)
{
	struct route_at *s;
	bool *dup;
	size_t i, n;

	if (e->nroutes < 2)
		return 0;
	s = calloc(e->nroutes, sizeof(*s));
	dup = calloc(e->nroutes, sizeof(*dup));
	if (s == NULL || dup == NULL) {
		free(s);
		free(dup);
		return -1;
	}
	for (i = 0; i < e->nroutes; i++) {
		s[i].p = e->routes[i];
		s[i].at = i;
	}
	qsort(s, e->nroutes, sizeof(*s), route_at_cmp);
	for (i = 1; i < e->nroutes; i++)
		if (prefix_equal(&s[i - 1].p, &s[i].p))
			dup[s[i].at] = true;
	for (n = 0, i = 0; i < e->nroutes; i++)
		if (!dup[i])
			e->routes[n++] = e->routes[i];
	e->nroutes = n;
	free(s);
	free(dup);
	return 0;
}

/* Every peer's remote prefixes, once, host bits cleared, leaving out
 * those the tun addresses already make on-link. */
static int
collect_routes(struct engine *e)
{
	const struct site_conf *site = &e->cf->site;
	size_t max = 0, i, j;
	struct prefix r;

	for (i = 0; i < e->cf->npeers; i++)
		max += e->cf->peers[i].npolicies;
	e->routes = calloc(max > 0 ? max : 1, sizeof(*e->routes));
	if (e->routes == NULL)
		return -1;
	for (i = 0; i < e->cf->npeers; i++) {
		for (j = 0; j < e->cf->peers[i].npolicies; j++) {
			r = e->cf->peers[i].policies[j].remote;
			prefix_mask(&r);
			if (!route_on_link(site, &r))
				e->routes[e->nroutes++] = r;
		}
	}
	return dedup_routes(e);
}

char *
prefix_list(const struct prefix *p, size_t n)
{
	char one[INET6_ADDRSTRLEN + 8], *s;
	size_t len = 0, i;

	s = calloc(n * sizeof(one) + 1, 1);
	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		prefix_ntop(&p[i], one, sizeof(one));
		len += (size_t)snprintf(s + len, sizeof(one) + 1, "%s%s",
		    i > 0 ? " " : "", one);
	}
	return s;
}

static void
run_hook(struct engine *e, const char *event, const char *script)
{
	const struct site_conf *site = &e->cf->site;
	char ev[64], name[64], tun[64], mtu[64], *addrs, *routes;
	char *a_env = NULL, *r_env = NULL;
	int rc;

	if (script[0] == '\0')
		return;
	addrs = prefix_list(site->addresses, site->naddresses);
	routes = prefix_list(e->routes, e->nroutes);
	if (addrs == NULL || routes == NULL ||
	    asprintf(&a_env, "VPNTUND_ADDRESSES=%s", addrs) == -1 ||
	    asprintf(&r_env, "VPNTUND_ROUTES=%s", routes) == -1) {
		log_warn("%s hook", event);
		a_env = r_env = NULL;
		goto out;
	}
	snprintf(ev, sizeof(ev), "VPNTUND_EVENT=%s", event);
	snprintf(name, sizeof(name), "VPNTUND_SITE=%s", site->name);
	snprintf(tun, sizeof(tun), "VPNTUND_TUN=%s", e->tun_name);
	snprintf(mtu, sizeof(mtu), "VPNTUND_MTU=%u", e->mtu);
	{
		char *envp[] = { ev, name, tun, mtu, a_env, r_env,
		    "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

		log_info("running %s hook %s", event, script);
		rc = hook_run(script, envp);
		if (rc != 0)
			log_warnx("%s hook %s exited with %d", event, script, rc);
	}
out:
	free(a_env);
	free(r_env);
	free(addrs);
	free(routes);
}

int
device_open(struct engine *e)
{
	const struct site_conf *site = &e->cf->site;
	char buf[INET6_ADDRSTRLEN + 8];
	struct dev *d = &e->tun;
	size_t i;

	e->mtu = choose_mtu(e);
	apply_tunnel_mtu(e);
	if (collect_routes(e) == -1) {
		log_warn("routes");
		return -1;
	}
	if (dev_open(d, site->tun, site->tun_offload, e->tun_name) == -1) {
		log_warnx("cannot create tun device %s", site->tun);
		return -1;
	}
	if (tun_io_init(e, &d->offl) == -1) {
		log_warn("%s: buffers", e->tun_name);
		return -1;
	}
	if (dev_set_mtu(d, e->mtu) == -1) {
		log_warn("%s: set MTU %u", e->tun_name, e->mtu);
		return -1;
	}
	for (i = 0; i < site->naddresses; i++) {
		const struct prefix *a = &site->addresses[i];

		if (dev_addr_add(d, a->af, a->addr.b, a->len) == -1 &&
		    errno != EEXIST) {
			log_warn("%s: add address %s", e->tun_name,
			    prefix_ntop(a, buf, sizeof(buf)));
			return -1;
		}
	}
	if (dev_set_up(d, true) == -1) {
		log_warn("%s: set up", e->tun_name);
		return -1;
	}
	for (i = 0; i < e->nroutes; i++) {
		const struct prefix *r = &e->routes[i];

		if (dev_route_add(d, r->af, r->addr.b, r->len) == -1) {
			/* Routes that could not be added are not ours to
			 * delete on exit. */
			log_warn("%s: route %s", e->tun_name,
			    prefix_ntop(r, buf, sizeof(buf)));
			if (errno != EEXIST) {
				e->nroutes = i;         /* those we added */
				return -1;
			}
			e->routes[i--] = e->routes[--e->nroutes];
			continue;
		}
		log_debug("route %s dev %s", prefix_ntop(r, buf, sizeof(buf)),
		    e->tun_name);
	}
	log_info("%s up, MTU %u, %zu route%s", e->tun_name, e->mtu,
	    e->nroutes, e->nroutes == 1 ? "" : "s");
	run_hook(e, "up", site->up);
	e->up_ran = true;
	return 0;
}

void
device_close(struct engine *e)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t i;

	if (e->up_ran)
		run_hook(e, "down", e->cf->site.down);
	e->up_ran = false;
	for (i = 0; dev_is_open(&e->tun) && i < e->nroutes; i++) {
		const struct prefix *r = &e->routes[i];

		if (dev_route_del(&e->tun, r->af, r->addr.b, r->len) == -1 &&
		    errno != ESRCH)
			log_warn("%s: delete route %s", e->tun_name,
			    prefix_ntop(r, buf, sizeof(buf)));
	}
	free(e->routes);
	e->routes = NULL;
	e->nroutes = 0;
	/* Not persistent: closing removes the device. */
	dev_close(&e->tun);
	tun_io_free(e);
}
