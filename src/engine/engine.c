/* Engine life cycle (see engine.h): prepare without devices, start them,
 * run the loop, undo in reverse order. */
#include "src/engine/engine_internal.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "src/engine/ctl.h"
#include "src/engine/qos.h"

static struct pkt *
pkt_alloc(void)
{
	void *p;

	if (posix_memalign(&p, 64, sizeof(struct pkt)) != 0)
		return NULL;
	memset(p, 0, sizeof(struct pkt));
	return p;
}

void
engine_warn_config(const struct config *cf)
{
	const struct peer_conf *pc;
	size_t i;

	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		if (!pc->cipher->aead && (pc->auth == NULL ||
		    pc->auth->id == AUTH_NONE))
			log_warnx("peer %s: encryption without integrity (auth "
			    "none): packets are not authenticated", pc->name);
	}
}

int
engine_check_config(const struct config *cf)
{
	return ebridge_check_config(cf);
}

struct engine *
engine_new(struct config *cf)
{
	struct engine *e;
	int k;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_warn("engine");
		return NULL;
	}
	e->tun_fd = -1;
	for (k = 0; k < OSOCK_MAX; k++) {
		e->socks[k].eng = e;
		e->socks[k].fd = -1;
		e->socks[k].kind = k < OSOCK_ESP4 ? OUTER_UDP : OUTER_ESP;
		e->socks[k].af = (k & 1) ? AF_INET6 : AF_INET;
	}
	e->cf = cf;
	clock_gettime(CLOCK_MONOTONIC, &e->started);

	if ((e->pkt_out = pkt_alloc()) == NULL ||
	    (e->pkt_in = pkt_alloc()) == NULL ||
	    (e->pkt_icmp = pkt_alloc()) == NULL) {
		log_warn("engine buffers");
		goto fail;
	}
	if (state_open(&e->state, cf->site.state_file) == -1)
		goto fail;
	if (state_missing(e->state))
		log_warnx("state file %s not found: sequence numbers start "
		    "at 1 (a first start)", cf->site.state_file);
	if ((e->base = event_base_new()) == NULL) {
		log_warnx("event_base_new failed");
		goto fail;
	}
	/* The control socket before the SAs: it refuses to start when
	 * another daemon answers on it, before we reserve sequence numbers
	 * in a state file that daemon is using. Answers wait for the loop. */
	e->ctl = ctl_open(e->base, cf->site.control, status_handler, e);
	if (e->ctl == NULL)
		goto fail;
	if (peers_init(e) == -1)
		goto fail;
	if (policy_table_init(&e->pol, cf->peers, cf->npeers) == -1)
		goto fail;
	if (qos_init(e) == -1)
		goto fail;
	/* The tap's sizes are checked here, before any device exists. */
	if (ebridge_init(e) == -1)
		goto fail;
	return e;

fail:
	e->cf = NULL;           /* still the caller's */
	engine_free(e);
	return NULL;
}

static void
signal_cb(int sig, short what, void *arg)
{
	struct engine *e = arg;

	(void)what;
	if (sig == SIGHUP) {
		char msg[CONF_ERR_MAX + 64];

		log_info("SIGHUP: reloading %s", e->cf->file);
		(void)engine_reload(e, msg, sizeof(msg));
		return;
	}
	log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(e->base);
}

int
engine_start(struct engine *e)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;

	/* Signals first: a SIGTERM during start-up (say, while the up hook
	 * runs) then waits for the loop and tears down cleanly. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		e->sig_ev[i] = evsignal_new(e->base, sigs[i], signal_cb, e);
		if (e->sig_ev[i] == NULL || event_add(e->sig_ev[i], NULL) == -1) {
			log_warnx("signal event");
			return -1;
		}
	}
	if (outer_open(e) == -1)
		return -1;
	if (device_open(e) == -1 || ebridge_open(e) == -1)
		return -1;
	e->tun_ev = event_new(e->base, e->tun_fd, EV_READ | EV_PERSIST,
	    tun_read_cb, e);
	if (e->tun_ev == NULL || event_add(e->tun_ev, NULL) == -1) {
		log_warnx("event for %s", e->tun_name);
		return -1;
	}
	if (peers_start_keepalives(e) == -1) {
		log_warnx("keepalive timers");
		return -1;
	}
	log_info("site %s: %zu peer%s, tun %s%s%s", e->cf->site.name,
	    e->npeers, e->npeers == 1 ? "" : "s", e->tun_name,
	    e->br != NULL ? ", tap " : "", e->br != NULL ? e->br->name : "");
	return 0;
}

int
engine_after_fork(struct engine *e)
{
	if (event_reinit(e->base) == -1) {
		log_warnx("event_reinit failed");
		return -1;
	}
	return 0;
}

int
engine_run(struct engine *e)
{
	/* Here, after daemon(3): a thread would not survive the fork. */
	if (state_writer_start(e->state, PEER_SEQ_AHEAD) == -1)
		return -1;
	if (event_base_dispatch(e->base) == -1) {
		log_warnx("event loop failed");
		return -1;
	}
	return 0;
}

void
engine_free(struct engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = sizeof(e->sig_ev) / sizeof(e->sig_ev[0]); i > 0; i--)
		if (e->sig_ev[i - 1] != NULL)
			event_free(e->sig_ev[i - 1]);
	if (e->tun_ev != NULL)
		event_free(e->tun_ev);
	ebridge_free(e);
	device_close(e);
	outer_close(e);
	if (e->ctl != NULL)
		ctl_close(e->ctl);
	/* Before the base (its timer) and pkt_out (which it may own). */
	qos_free(e);
	policy_table_free(&e->pol);
	peers_free(e);
	if (e->base != NULL)
		event_base_free(e->base);
	free(e->pkt_icmp);
	free(e->pkt_in);
	free(e->pkt_out);
	(void)state_close(e->state, false);
	if (e->cf != NULL)
		config_free(e->cf);
	free(e);
}
