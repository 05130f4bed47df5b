/* Outer sockets: one UDP socket per outer family if any peer uses UDP
 * (RFC 3948), one raw ESP socket per family if any peer uses protocol 50,
 * each with a kernel filter that lets only its static peers' sources
 * through (site.conf(5) socket-filter). */
#include "src/engine/engine_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "src/datapath/datapath.h"
#include "src/net/sock_filter.h"

/* Which families a peer may use: its endpoint's, or for a dynamic or
 * named peer the `outer` family, or both when that is unset. */
static void
peer_families(const struct engine *e, const struct peer *p, bool *v4, bool *v6)
{
	sa_family_t af;

	if (p->conf->dynamic || p->conf->endpoint_name != NULL)
		af = e->cf->site.outer.ss_family;
	else
		af = p->endpoint.sa.sa_family;
	*v4 = af == AF_INET || af == AF_UNSPEC;
	*v6 = af == AF_INET6 || af == AF_UNSPEC;
}

/* Bursts from many peers arrive faster than one thread decrypts them;
 * a larger receive buffer absorbs them instead of dropping (the default
 * rmem_max is about 200 KiB). Not much more: a deep queue is latency.
 * Root may exceed rmem_max with *FORCE. */
#define OUTER_SOCKBUF (1024 * 1024)

static void
grow_buffers(int fd)
{
	int sz = OUTER_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

const char *
outer_sock_name(const struct outer_sock *s)
{
	if (s->kind == OUTER_UDP)
		return s->af == AF_INET ? "udp4" : "udp6";
	return s->af == AF_INET ? "esp4" : "esp6";
}

const char *
outer_filter_name(enum osock_filter f)
{
	static const char *const names[] = {
		[OSF_NONE] = "none", [OSF_ON] = "on", [OSF_OFF] = "off",
		[OSF_DYNAMIC] = "dynamic", [OSF_TOO_MANY] = "too_many",
		[OSF_ERROR] = "error",
	};

	if ((unsigned)f >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[f];
}

const char *
outer_gro_name(enum osock_gro g)
{
	static const char *const names[] = {
		[OSG_OFF] = "off", [OSG_ON] = "on", [OSG_REFUSED] = "refused",
	};

	if ((unsigned)g >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[g];
}

/* UDP GRO on s when udp-gro asks for it; a kernel that refuses leaves
 * the socket reading datagram by datagram. The buffer for the runs is
 * shared by the engine's sockets (one callback runs at a time). */
static int
outer_gro(struct engine *e, struct outer_sock *s)
{
	s->gro = OSG_OFF;
	if (s->kind != OUTER_UDP || !e->cf->site.udp_gro)
		return 0;
	if (sock_udp_gro(s->fd, true) == -1) {
		s->gro = OSG_REFUSED;
		log_info("%s socket: no UDP GRO (%s), datagrams are read one "
		    "by one", outer_sock_name(s), strerror(errno));
		return 0;
	}
	if (e->gro_in == NULL &&
	    (e->gro_in = malloc((size_t)OUTER_GRO_MSGS *
	    SOCK_GRO_MSG_MAX)) == NULL) {
		log_warn("UDP GRO buffer");
		return -1;
	}
	s->gro = OSG_ON;
	log_debug("%s socket: UDP GRO on", outer_sock_name(s));
	return 0;
}

/* Whether p's packets may arrive on s. */
static bool
peer_uses(const struct engine *e, const struct peer *p,
    const struct outer_sock *s)
{
	bool v4, v6;

	if ((p->conf->transport == TRANSPORT_UDP) != (s->kind == OUTER_UDP))
		return false;
	peer_families(e, p, &v4, &v6);
	return s->af == AF_INET ? v4 : v6;
}

/* The filter s should have now, attached (or removed): the sources of
 * the static peers that use it. A dynamic peer may turn up from
 * anywhere, so a socket it may use has none and inbound.c checks the
 * static peers' sources there (peer_source_ok), as it always does.
 * Logged when the answer changes, so a reload does not repeat it. */
static void
outer_filter(struct engine *e, struct outer_sock *s)
{
	struct sockaddr_storage *addrs = NULL;
	enum osock_filter was = s->filter, now = OSF_ON;
	size_t i, n = 0, naddrs = 0;
	int err = 0;

	for (i = 0; i < e->npeers; i++)
		if (e->peers[i].conf->dynamic && peer_uses(e, &e->peers[i], s))
			now = OSF_DYNAMIC;
	if (!e->cf->site.socket_filter)
		now = OSF_OFF;
	if (now == OSF_ON) {
		if ((addrs = calloc(e->npeers + 1, sizeof(*addrs))) == NULL)
			now = OSF_ERROR;
		/* A named peer's address, once resolved (resolve.c sets
		 * the filters again whenever it moves). */
		for (i = 0; addrs != NULL && i < e->npeers; i++)
			if (peer_uses(e, &e->peers[i], s) &&
			    e->peers[i].have_endpoint &&
			    e->peers[i].endpoint.sa.sa_family == s->af)
				sockaddr_inet_get(&e->peers[i].endpoint,
				    &addrs[n++]);
	}
	if (now == OSF_ON && sock_filter_attach(s->fd, s->af, addrs, n,
	    &naddrs) == -1) {
		err = errno;
		/* ENOMEM: the kernel's optmem_max, which holds programs. */
		now = err == E2BIG || err == ENOMEM ? OSF_TOO_MANY : OSF_ERROR;
	}
	free(addrs);
	if (now != OSF_ON && sock_filter_detach(s->fd) == -1)
		log_warn("%s socket: removing its filter", outer_sock_name(s));
	s->filter = now;
	s->filter_addrs = now == OSF_ON ? naddrs : 0;
	if (now == was)
		return;
	switch (now) {
	case OSF_ON:
		log_info("%s socket: the kernel passes only the sources of its "
		    "%zu static peer addresses", outer_sock_name(s), naddrs);
		break;
	case OSF_TOO_MANY:
		log_info("%s socket: no kernel filter, %zu static peer "
		    "addresses are too many for one (%s); their sources are "
		    "checked in vpntund only", outer_sock_name(s), n,
		    strerror(err));
		break;
	case OSF_ERROR:
		log_warnx("%s socket: no kernel filter: %s", outer_sock_name(s),
		    strerror(err != 0 ? err : ENOMEM));
		break;
	case OSF_DYNAMIC:
		log_debug("%s socket: no kernel filter, dynamic peers may use "
		    "it", outer_sock_name(s));
		break;
	default:
		log_debug("%s socket: no kernel filter (socket-filter no)",
		    outer_sock_name(s));
		break;
	}
}

void
outer_filter_all(struct engine *e)
{
	int k;

	for (k = 0; k < OSOCK_MAX; k++)
		if (e->socks[k].fd >= 0)
			outer_filter(e, &e->socks[k]);
}

static int
open_one(struct engine *e, int idx, bool required)
{
	struct outer_sock *s = &e->socks[idx];
	const struct site_conf *site = &e->cf->site;
	const struct sockaddr_storage *local;

	local = site->outer.ss_family == s->af ? &site->outer : NULL;
	if (s->kind == OUTER_UDP)
		s->fd = sock_udp_open(s->af, local, site->port);
	else
		s->fd = sock_esp_open(s->af, local);
	if (s->fd == -1) {
		if (required) {
			log_warnx("cannot open the %s %s socket",
			    s->af == AF_INET ? "IPv4" : "IPv6",
			    s->kind == OUTER_UDP ? "UDP" : "ESP");
			return -1;
		}
		/* Only dynamic peers might have used it. */
		log_info("no %s %s socket: dynamic peers must use the other "
		    "family", s->af == AF_INET ? "IPv4" : "IPv6",
		    s->kind == OUTER_UDP ? "UDP" : "ESP");
		return 0;
	}
	grow_buffers(s->fd);
	s->gso = s->kind == OUTER_UDP && site->udp_gso;
	if (outer_gro(e, s) == -1)
		return -1;
	outer_filter(e, s);
	s->ev = event_new(e->base, s->fd, EV_READ | EV_PERSIST, outer_read_cb, s);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1) {
		log_warnx("event for an outer socket");
		return -1;
	}
	return 0;
}

int
outer_open(struct engine *e)
{
	bool want[OSOCK_MAX] = { false }, need[OSOCK_MAX] = { false };
	bool v4, v6;
	size_t i;
	int base, k;

	for (i = 0; i < e->npeers; i++) {
		const struct peer *p = &e->peers[i];

		peer_families(e, p, &v4, &v6);
		base = p->conf->transport == TRANSPORT_UDP ? OSOCK_UDP4 :
		    OSOCK_ESP4;
		want[base] |= v4;
		want[base + 1] |= v6;
		/* A static peer needs its family; a dynamic one either. */
		if (!(v4 && v6)) {
			need[base] |= v4;
			need[base + 1] |= v6;
		} else if (!need[base] && !need[base + 1]) {
			need[base] = true;
		}
	}
	for (k = 0; k < OSOCK_MAX; k++) {
		if (!want[k])
			continue;
		if (open_one(e, k, need[k]) == -1)
			return -1;
	}
	return 0;
}

void
outer_close(struct engine *e)
{
	int k;

	for (k = OSOCK_MAX - 1; k >= 0; k--) {
		if (e->socks[k].ev != NULL)
			event_free(e->socks[k].ev);
		e->socks[k].ev = NULL;
		if (e->socks[k].fd >= 0)
			close(e->socks[k].fd);
		e->socks[k].fd = -1;
		e->socks[k].filter = OSF_NONE;
		e->socks[k].filter_addrs = 0;
		e->socks[k].gro = OSG_OFF;
	}
	free(e->gro_in);
	e->gro_in = NULL;
}
