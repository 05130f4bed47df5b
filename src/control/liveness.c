/* Peer liveness and the engine's once-a-second tick (see liveness.h). */
#include "src/control/control.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/datapath/datapath.h"
#include "src/engine/privsep.h"
#include "src/net/hook_runner.h"

#define NS 1000000000ULL

static const char *const state_names[] = {
	[LIVE_DOWN] = "down",
	[LIVE_UP] = "up",
	[LIVE_STALE] = "stale",
};

const char *
live_state_name(enum live_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[s];
}

uint64_t
engine_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * NS + (uint64_t)now.tv_nsec;
}

void
peer_hook_queue(struct engine *e, struct hook_runner *hr,
    const struct peer_conf *pc, bool up, const char *endpoint)
{
	const char *event = up ? "peer-up" : "peer-down";
	const char *script = up ? e->cf->site.peer_up : e->cf->site.peer_down;
	char ev[32], site[64], tun[64], name[64], ep[160], net[80], what[64];
	char netbuf[INET6_ADDRSTRLEN + 8];
	char *routes = NULL, *r_env = NULL;
	struct prefix *rp;
	size_t i;

	if (script[0] == '\0')
		return;
	if ((rp = calloc(pc->npolicies + 1, sizeof(*rp))) != NULL) {
		for (i = 0; i < pc->npolicies; i++)
			rp[i] = pc->policies[i].remote;
		routes = prefix_list(rp, pc->npolicies);
		free(rp);
	}
	if (routes == NULL || asprintf(&r_env, "VPNTUND_ROUTES=%s",
	    routes) == -1) {
		log_warn("%s hook of peer %s", event, pc->name);
		free(routes);
		return;
	}
	snprintf(ev, sizeof(ev), "VPNTUND_EVENT=%s", event);
	snprintf(site, sizeof(site), "VPNTUND_SITE=%s", e->cf->site.name);
	snprintf(tun, sizeof(tun), "VPNTUND_TUN=%s", e->tun_name);
	snprintf(name, sizeof(name), "VPNTUND_PEER=%s", pc->name);
	snprintf(ep, sizeof(ep), "VPNTUND_PEER_ENDPOINT=%s", endpoint);
	snprintf(net, sizeof(net), "VPNTUND_PEER_NETWORK=%s",
	    prefix_ntop(&pc->network, netbuf, sizeof(netbuf)));
	snprintf(what, sizeof(what), "%s %s", event, pc->name);
	{
		char *envp[] = { ev, site, tun, name, ep, net, r_env,
		    "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

		(void)hook_runner_run(hr, script, envp, what);
	}
	free(r_env);
	free(routes);
}

/* Queues the peer-up or peer-down hook (site.conf(5) HOOKS), or asks the
 * privileged parent to, after privilege separation. */
static void
run_hook(struct engine *e, struct peer *p, bool up)
{
	const char *script = up ? e->cf->site.peer_up : e->cf->site.peer_down;
	char epbuf[PEER_ENDPOINT_TEXT];
	struct sockaddr_storage ss;

	if (script[0] == '\0')
		return;
	epbuf[0] = '\0';
	if (p->have_endpoint) {
		sockaddr_inet_get(&p->endpoint, &ss);
		(void)sockaddr_ntop(&ss, epbuf, sizeof(epbuf));
	}
	if (e->priv_fd != -1)
		privsep_peer_hook(e, (size_t)(p - e->peers), up, epbuf);
	else if (e->hooks != NULL)
		peer_hook_queue(e, e->hooks, p->conf, up, epbuf);
}

static void
set_state(struct engine *e, struct peer *p, enum live_state s)
{
	struct peer_live *l = &p->live;
	enum live_state was = l->state;

	if (s == was)
		return;
	l->state = s;
	l->since = time(NULL);
	l->changes++;
	log_info("peer %s: %s (was %s)", p->conf->name, live_state_name(s),
	    live_state_name(was));
	/* Stale is only a warning sign: the hooks see up and down. */
	if (s == LIVE_UP && was == LIVE_DOWN)
		run_hook(e, p, true);
	else if (s == LIVE_DOWN)
		run_hook(e, p, false);
}

void
liveness_heard(struct engine *e, struct peer *p)
{
	p->live.rx_ns = engine_now_ns();
	p->live.heard = true;
	if (p->live.state != LIVE_UP)
		set_state(e, p, LIVE_UP);
}

void
liveness_sent(struct peer *p)
{
	p->live.tx_ns = engine_now_ns();
}

static void
peer_tick(struct engine *e, struct peer *p, uint64_t now)
{
	const struct peer_conf *pc = p->conf;
	struct peer_live *l = &p->live;
	uint64_t ka = (uint64_t)pc->keepalive * NS, silent;

	sync_tick(e, p, now);
	sa_in_tick(p, now);
	/* Half a tick early rather than a whole tick late: the last send
	 * happened a moment after the tick that is now a second old. */
	if (ka > 0 && now - l->tx_ns + NS / 2 >= ka && sa_out_ready(p) &&
	    peer_sock(p) != NULL) {
		l->keepalives_out++;
		transmit_dummy(e, p);
	}
	if (!l->heard)
		return;
	silent = now - l->rx_ns;
	if (pc->dead > 0 && silent >= (uint64_t)pc->dead * NS)
		set_state(e, p, LIVE_DOWN);
	else if (ka > 0 && silent >= 2 * ka && l->state == LIVE_UP)
		set_state(e, p, LIVE_STALE);
}

static void
tick_cb(int fd, short what, void *arg)
{
	struct engine *e = arg;
	uint64_t now = engine_now_ns();
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < e->npeers; i++)
		peer_tick(e, &e->peers[i], now);
	if (e->hints_dirty)
		hints_write(e);
}

int
liveness_start(struct engine *e)
{
	struct timeval one = { 1, 0 };
	uint64_t now = engine_now_ns();
	size_t i;

	for (i = 0; i < e->npeers; i++) {
		e->peers[i].live.state = LIVE_DOWN;
		e->peers[i].live.since = time(NULL);
		/* Nothing sent yet: the first keepalive waits a full
		 * interval, the first request goes at once (sync_start). */
		e->peers[i].live.tx_ns = now;
	}
	if (e->cf->site.peer_up[0] != '\0' || e->cf->site.peer_down[0] != '\0') {
		e->hooks = hook_runner_new(e->base, e->cf->site.hook_timeout);
		if (e->hooks == NULL)
			return -1;
	}
	e->tick = event_new(e->base, -1, EV_PERSIST, tick_cb, e);
	if (e->tick == NULL || event_add(e->tick, &one) == -1)
		return -1;
	return 0;
}

void
liveness_stop(struct engine *e)
{
	if (e->tick != NULL)
		event_free(e->tick);
	e->tick = NULL;
	/* A move heard since the last tick is the latest news a restart
	 * can start from. */
	if (e->hints_dirty)
		hints_write(e);
	if (e->hooks != NULL)
		hook_runner_free(e->hooks);
	e->hooks = NULL;
}
