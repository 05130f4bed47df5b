/* Peers: their SAs and SPIs, endpoints (static, or learned as in RFC 3948
 * NAT traversal) and overheads. */
#include "src/engine/engine_internal.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static const char *
suite_str(const struct sa_suite *su, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%zu/%s", su->cipher->name, su->key_bits,
	    su->auth != NULL ? su->auth->name : "none");
	return buf;
}

const char *
peer_suite(const struct peer *p, char *buf, size_t len)
{
	return suite_str(&p->conf->suite_out, buf, len);
}

const char *
peer_suite_in(const struct peer *p, char *buf, size_t len)
{
	return suite_str(&p->conf->suite_in, buf, len);
}

static uint16_t
inet_port(const union sockaddr_inet *a)
{
	if (a->sa.sa_family == AF_INET)
		return ntohs(a->sin.sin_port);
	if (a->sa.sa_family == AF_INET6)
		return ntohs(a->sin6.sin6_port);
	return 0;
}

static uint16_t
ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static void
inet_set_port(union sockaddr_inet *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->sin.sin_port = htons(port);
	else if (a->sa.sa_family == AF_INET6)
		a->sin6.sin6_port = htons(port);
}

static bool
inet_addr_equal(const union sockaddr_inet *a, const struct sockaddr_storage *b)
{
	if (a->sa.sa_family != b->ss_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(&a->sin6.sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

static int
sa_insert(struct engine *e, struct peer *p, uint32_t spi, struct spi_ref *ref,
    const char *what)
{
	struct spi_ref *other;

	if (sa_table_insert(&e->spis, spi, ref) == 0)
		return 0;
	other = sa_table_lookup(&e->spis, spi);
	log_warnx("peers %s and %s: same inbound SPI 0x%08x%s",
	    other != NULL ? other->peer->conf->name : "?", p->conf->name, spi,
	    what);
	return -1;
}

/* The SPIs an SA pair of p receives on: its base SPI, and with derived
 * keying the base with the low bit flipped (odd epochs). */
static int
sa_kind_insert(struct engine *e, struct peer *p, enum sa_kind kind)
{
	static const char *const what[SA_KINDS] = { "", " (tap SA)" };
	struct spi_ref *ref = kind == SA_TAP ? &p->tap->ref : &p->ref;
	uint32_t spi = peer_in(p, kind)->root.spi;

	ref->peer = p;
	ref->kind = kind;
	if (sa_insert(e, p, spi, ref, what[kind]) == -1)
		return -1;
	if (p->derived && sa_insert(e, p, spi ^ 1, ref, kind == SA_TAP ?
	    " (tap SA, odd epochs)" : " (odd epochs)") == -1)
		return -1;
	return 0;
}

static int
peer_init(struct engine *e, struct peer *p, struct peer_conf *pc)
{
	p->eng = e;
	p->conf = pc;
	p->derived = pc->keying == KEYING_DERIVED;
	if (sa_init(e, p, SA_MAIN) == -1)
		return -1;
	/* What we send costs the out suite's overhead; what we receive
	 * is authenticated, or not, by the in suite. */
	p->esp_overhead = esp_suite_overhead(pc->suite_out.cipher,
	    pc->suite_out.auth);
	p->integrity = suite_icv_len(pc->suite_in.cipher,
	    pc->suite_in.auth) > 0;
	p->bridge_port = pc->bridge;
	if (pc->tap_sa) {
		if ((p->tap = calloc(1, sizeof(*p->tap))) == NULL) {
			log_warn("peer %s: tap SA", pc->name);
			return -1;
		}
		if (sa_init(e, p, SA_TAP) == -1 ||
		    sa_kind_insert(e, p, SA_TAP) == -1)
			return -1;
	}
	if (sa_kind_insert(e, p, SA_MAIN) == -1)
		return -1;
	if (p->derived) {
		if (sync_peer_init(e, p) == -1)
			return -1;
		p->ref_ctl.peer = p;
		p->ref_ctl.ctl = true;
		if (sa_insert(e, p, p->sync.spi_in, &p->ref_ctl,
		    " (control channel)") == -1)
			return -1;
	}
	/* A named peer has no endpoint until its name resolves. */
	if (!pc->dynamic && pc->endpoint_name == NULL) {
		sockaddr_inet_set(&p->endpoint, &pc->endpoint);
		if (pc->transport == TRANSPORT_UDP &&
		    inet_port(&p->endpoint) == 0)
			inet_set_port(&p->endpoint, pc->port != 0 ? pc->port :
			    CONF_PORT_DEFAULT);
		p->have_endpoint = true;
	}
	return 0;
}

int
peers_init(struct engine *e)
{
	size_t i, nsa;

	e->npeers = e->cf->npeers;
	/* Derived peers receive on two SPIs per SA and a control SPI. */
	for (nsa = 0, i = 0; i < e->npeers; i++)
		nsa += (size_t)(1 + e->cf->peers[i].tap_sa) *
		    (e->cf->peers[i].keying == KEYING_DERIVED ? 2 : 1) + 1;
	e->peers = calloc(e->npeers > 0 ? e->npeers : 1, sizeof(*e->peers));
	if (e->peers == NULL || sa_table_init(&e->spis, nsa) == -1) {
		log_warn("peers");
		return -1;
	}
	for (i = 0; i < e->npeers; i++)
		if (peer_init(e, &e->peers[i], &e->cf->peers[i]) == -1)
			return -1;
	return 0;
}

void
peers_free(struct engine *e)
{
	struct peer *p;
	size_t i;

	for (i = 0; e->peers != NULL && i < e->npeers; i++) {
		p = &e->peers[i];
		sync_peer_free(p);
		sa_free(p, SA_MAIN);
		if (p->tap != NULL) {
			sa_free(p, SA_TAP);
			free(p->tap);
			p->tap = NULL;
		}
	}
	free(e->peers);
	e->peers = NULL;
	sa_table_free(&e->spis);
}

enum sa_kind
peer_frame_kind(const struct peer *p)
{
	return p->tap != NULL ? SA_TAP : SA_MAIN;
}

/* The socket of p's transport for family af, or NULL. */
static struct outer_sock *
peer_sock_af(struct peer *p, sa_family_t af)
{
	struct outer_sock *s;
	int i;

	i = p->conf->transport == TRANSPORT_UDP ? OSOCK_UDP4 : OSOCK_ESP4;
	if (af == AF_INET6)
		i++;
	else if (af != AF_INET)
		return NULL;
	s = &p->eng->socks[i];
	return s->fd >= 0 ? s : NULL;
}

struct outer_sock *
peer_sock_to(struct peer *p, const struct sockaddr_storage *dst)
{
	return peer_sock_af(p, dst->ss_family);
}

struct outer_sock *
peer_sock(struct peer *p)
{
	if (!p->have_endpoint)
		return NULL;
	return peer_sock_af(p, p->endpoint.sa.sa_family);
}

bool
peer_source_ok(const struct peer *p, const struct sockaddr_storage *src,
    enum outer_kind kind)
{
	if ((kind == OUTER_UDP) != (p->conf->transport == TRANSPORT_UDP))
		return false;
	if (p->conf->dynamic)
		return true;
	/* Behind NAT the port may change; the address may not. */
	return inet_addr_equal(&p->endpoint, src);
}

bool
peer_at(const struct peer *p, const struct sockaddr_storage *src)
{
	return p->have_endpoint && inet_addr_equal(&p->endpoint, src) &&
	    (p->conf->transport != TRANSPORT_UDP ||
	    inet_port(&p->endpoint) == ss_port(src));
}

void
peer_learn_endpoint(struct peer *p, const struct sockaddr_storage *src)
{
	struct sockaddr_storage ss;
	char was[128], now[128];
	bool udp = p->conf->transport == TRANSPORT_UDP;

	if (peer_at(p, src))
		return;
	if (!p->conf->dynamic && !inet_addr_equal(&p->endpoint, src))
		return;         /* peer_source_ok() has already refused it */
	if (p->have_endpoint) {
		sockaddr_inet_get(&p->endpoint, &ss);
		sockaddr_ntop(&ss, was, sizeof(was));
	} else
		snprintf(was, sizeof(was), "unknown");
	/* RFC 3948 3.5 spirit: answer where authenticated traffic comes
	 * from, so a NAT rebinding does not cut the tunnel. */
	sockaddr_inet_set(&p->endpoint, src);
	if (!udp)
		inet_set_port(&p->endpoint, 0);
	p->have_endpoint = true;
	p->eng->hints_dirty = true;
	sockaddr_inet_get(&p->endpoint, &ss);
	log_info("peer %s: endpoint %s (was %s)", p->conf->name,
	    sockaddr_ntop(&ss, now, sizeof(now)), was);
}

bool
peer_endpoint_is(const struct peer *p, const struct sockaddr_storage *addr)
{
	return p->have_endpoint && inet_addr_equal(&p->endpoint, addr);
}

void
peer_move_endpoint(struct peer *p, const struct sockaddr_storage *addr)
{
	const struct peer_conf *pc = p->conf;
	struct sockaddr_storage ss;
	char was[128], now[128];

	if (p->have_endpoint) {
		sockaddr_inet_get(&p->endpoint, &ss);
		sockaddr_ntop(&ss, was, sizeof(was));
	} else
		snprintf(was, sizeof(was), "unknown");
	/* The configured port: one a NAT gave the old address is not the
	 * new address's. */
	sockaddr_inet_set(&p->endpoint, addr);
	inet_set_port(&p->endpoint, pc->transport != TRANSPORT_UDP ? 0 :
	    pc->port != 0 ? pc->port : CONF_PORT_DEFAULT);
	p->have_endpoint = true;
	sockaddr_inet_get(&p->endpoint, &ss);
	log_info("peer %s: endpoint %s (%s, was %s)", pc->name,
	    sockaddr_ntop(&ss, now, sizeof(now)), pc->endpoint_name != NULL ?
	    pc->endpoint_name : "set", was);
}

static size_t
outer_header_len(sa_family_t af, enum transport t)
{
	return (af == AF_INET ? 20 : 40) + (t == TRANSPORT_UDP ? 8 : 0);
}

size_t
peer_overhead(const struct peer *p, sa_family_t outer_af)
{
	return outer_header_len(outer_af, p->conf->transport) +
	    p->esp_overhead;
}

size_t
peer_conf_worst_overhead(const struct config *cf, const struct peer_conf *pc)
{
	sa_family_t af = pc->endpoint.ss_family;

	if (pc->dynamic || pc->endpoint_name != NULL)
		af = cf->site.outer.ss_family != AF_UNSPEC ?
		    cf->site.outer.ss_family : AF_INET6;
	return outer_header_len(af, pc->transport) +
	    esp_suite_overhead(pc->suite_out.cipher, pc->suite_out.auth);
}

size_t
peer_worst_overhead(const struct peer *p)
{
	return peer_conf_worst_overhead(p->eng->cf, p->conf);
}
