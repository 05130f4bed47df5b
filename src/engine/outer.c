/* Outer sockets: one UDP socket per outer family if any peer uses UDP
 * (RFC 3948), one raw ESP socket per family if any peer uses protocol 50. */
#include "src/engine/engine_internal.h"

#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

/* Which families a peer may use: its endpoint's, or for a dynamic peer
 * the `outer` family, or both when that is unset. */
static void
peer_families(const struct engine *e, const struct peer *p, bool *v4, bool *v6)
{
	sa_family_t af;

	if (p->conf->dynamic)
		af = e->cf->site.outer.ss_family;
	else
		af = p->endpoint.ss_family;
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
	}
}
