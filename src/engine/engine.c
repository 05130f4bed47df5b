/* Engine life cycle (see engine.h): prepare without devices, start them,
 * run the loop, undo in reverse order. */
#include "src/engine/engine_internal.h"

#include <event2/event.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/control/control.h"
#include "src/control/ctl.h"
#include "src/control/monitor.h"
#include "src/datapath/datapath.h"
#include "src/datapath/qos.h"
#include "src/engine/resolve.h"

static struct pkt *
pkt_alloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 64, n * sizeof(struct pkt)) != 0)
		return NULL;
	memset(p, 0, n * sizeof(struct pkt));
	return p;
}

int
engine_check_config(const struct config *cf)
{
	return ebridge_check_config(cf);
}

static bool fresh_state;

void
engine_set_fresh_state(bool fresh)
{
	fresh_state = fresh;
}

/* Only manual keying keeps sequence numbers in the state file: derived
 * keying begins new epochs at every start. */
static int
state_init(struct engine *e)
{
	const struct config *cf = e->cf;
	size_t i;

	for (i = 0; i < cf->npeers; i++)
		if (cf->peers[i].keying == KEYING_MANUAL)
			break;
	if (i == cf->npeers)
		return 0;
	if (state_open(&e->state, cf->site.state_file) == -1)
		return -1;
	e->state_missing = state_missing(e->state);
	if (e->state_missing)
		log_warnx("state file %s is missing%s", cf->site.state_file,
		    e->fresh_state ? ": manual SAs start afresh (-R)" : "");
	return 0;
}

/* A clean stop writes the exact marks: a restart then loses no number
 * and refuses exactly what was received. */
static void
state_stop(struct engine *e)
{
	struct peer *p;
	size_t i;
	int k;

	if (e->state == NULL)
		return;
	/* A start that failed before its first write leaves the file as
	 * it found it: it may even be another daemon's. */
	if (!e->state_written) {
		(void)state_close(e->state, false);
		e->state = NULL;
		return;
	}
	for (i = 0; e->peers != NULL && i < e->npeers; i++) {
		p = &e->peers[i];
		for (k = 0; k < SA_KINDS; k++) {
			struct sa_out *o;
			struct sa_in *in;

			if (k == SA_TAP && p->tap == NULL)
				continue;
			o = peer_out(p, k);
			in = peer_in(p, k);
			if (o->mark != NULL)
				state_sa_final(o->mark, o->esp.seq);
			if (in->mark != NULL && in->cur != NULL)
				state_sa_final(in->mark,
				    in->cur->esp.replay.top);
		}
	}
	(void)state_close(e->state, true);
	e->state = NULL;
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
	e->dev_ops = &dev_ops_kernel;
	e->priv_fd = -1;
	dev_init(&e->tun, DEV_TUN, e->dev_ops, NULL);
	for (k = 0; k < OSOCK_MAX; k++) {
		e->socks[k].eng = e;
		e->socks[k].fd = -1;
		e->socks[k].kind = k < OSOCK_ESP4 ? OUTER_UDP : OUTER_ESP;
		e->socks[k].af = (k & 1) ? AF_INET6 : AF_INET;
	}
	e->cf = cf;
	e->fresh_state = fresh_state;
	clock_gettime(CLOCK_MONOTONIC, &e->started);

	if ((e->pkt_out = pkt_alloc(1)) == NULL ||
	    (e->pkt_in = pkt_alloc(ENGINE_BUDGET)) == NULL ||
	    (e->pkt_icmp = pkt_alloc(1)) == NULL ||
	    (e->pkt_scratch = pkt_alloc(1)) == NULL ||
	    (e->pkt_ctl = pkt_alloc(1)) == NULL) {
		log_warn("engine buffers");
		goto fail;
	}
	if (crypto_random_u64(&e->start_id) == -1)
		goto fail;
	if ((e->base = event_base_new()) == NULL) {
		log_warnx("event_base_new failed");
		goto fail;
	}
	if (txq_init(e) == -1) {
		log_warn("send batch");
		goto fail;
	}
	/* The control socket before the SAs: it refuses to start when
	 * another daemon answers on it, before we reserve sequence numbers
	 * in a state file that daemon is using. Answers wait for the loop. */
	e->ctl = ctl_open(e->base, cf->site.control, status_handler, e);
	if (e->ctl == NULL || state_init(e) == -1)
		goto fail;
	if (peers_init(e) == -1)
		goto fail;
	/* The SAs hold the keys now (wiped in the config as they took
	 * them): the config's room for them goes too. */
	config_drop_keys(cf);
	/* One write for every SA's marks, before any device exists. */
	if (e->state != NULL) {
		if (state_write_now(e->state) == -1) {
			log_warnx("state file %s: cannot write it",
			    cf->site.state_file);
			goto fail;
		}
		e->state_written = true;
	}
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

void
engine_set_dev_ops(struct engine *e, const struct dev_ops *ops, void *arg)
{
	/* Before the devices exist: they are made by the ops they have. */
	if (dev_is_open(&e->tun) || (e->br != NULL &&
	    dev_is_open(&e->br->dev)))
		fatalx("engine_set_dev_ops after engine_start");
	e->dev_ops = ops;
	e->dev_arg = arg;
	dev_init(&e->tun, DEV_TUN, ops, arg);
	if (e->br != NULL)
		dev_init(&e->br->dev, DEV_TAP, ops, arg);
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

/* Loading the configuration and key files and keying the peers free
 * much of what they allocate, scattered through the heap, where glibc
 * keeps the pages. Returned now, they are not part of the resident size
 * the daemon runs with. */
static void
release_startup_heap(void)
{
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
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
	e->tun_ev = event_new(e->base, e->tun.fd, EV_READ | EV_PERSIST,
	    tun_read_cb, e);
	if (e->tun_ev == NULL || event_add(e->tun_ev, NULL) == -1) {
		log_warnx("event for %s", e->tun_name);
		return -1;
	}
	if (liveness_start(e) == -1) {
		log_warnx("liveness timer");
		return -1;
	}
	if (drop_report_start(e) == -1) {
		log_warnx("drop report timer");
		return -1;
	}
	if (monitor_start(e) == -1)
		return -1;
	hints_read(e);
	sync_start(e);
	if (resolve_start(e) == -1)
		return -1;
	log_info("site %s: %zu peer%s, tun %s%s%s", e->cf->site.name,
	    e->npeers, e->npeers == 1 ? "" : "s", e->tun_name,
	    e->br != NULL ? ", tap " : "", e->br != NULL ? e->br->name : "");
	release_startup_heap();
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
	/* After daemon(3): threads do not survive a fork. */
	if (e->state != NULL && state_writer_start(e->state,
	    e->cf->site.state_ahead) == -1) {
		log_warnx("state file writer");
		return -1;
	}
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
	liveness_stop(e);
	resolve_stop(e);
	drop_report_stop(e);
	ebridge_free(e);
	device_close(e);
	outer_close(e);
	monitor_stop(e);
	if (e->ctl != NULL)
		ctl_close(e->ctl);
	/* Before the base (its timer) and pkt_out (which it may own). */
	qos_free(e);
	policy_table_free(&e->pol);
	state_stop(e);
	peers_free(e);
	txq_free(e);
	if (e->base != NULL)
		event_base_free(e->base);
	free(e->pkt_ctl);
	free(e->pkt_scratch);
	free(e->pkt_icmp);
	free(e->pkt_in);
	free(e->pkt_out);
	if (e->cf != NULL)
		config_free(e->cf);
	free(e);
}
