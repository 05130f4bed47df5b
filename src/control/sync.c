/* Restart synchronisation of derived keying (see sync.h). */
#include "src/engine/engine_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"

#define SYNC_RETRY_FIRST_NS  (1000000000ULL)    /* then doubled ... */
#define SYNC_RETRY_MAX_NS    (8000000000ULL)    /* ... up to this */
#define SYNC_POKE_NS         (1000000000ULL)    /* pokes: once a second */
#define SYNC_TOKENS          4                  /* answers in a burst */
#define SYNC_TOKEN_NS        (250000000ULL)     /* one more each */
/* The HMAC contexts of a control channel (OpenSSL's, some 750 bytes
 * each) are made when a packet needs them and dropped once it has been
 * quiet this long: most peers use the channel only around a start, and
 * a peer asked every few seconds needs no context in between. Packets
 * in a burst, forged ones included, find the context there. */
#define SYNC_MAC_IDLE_NS     (2000000000ULL)

int
sync_peer_init(struct engine *e, struct peer *p)
{
	const struct peer_conf *pc = p->conf;
	const struct site_conf *s = &e->cf->site;
	struct peer_sync *y = &p->sync;

	if (!p->derived)
		return 0;
	y->spi_out = spi_derive_ctl(&s->networks[0], s->role, &pc->network);
	y->spi_in = spi_derive_ctl(&pc->network, pc->role, &s->networks[0]);
	y->tokens = SYNC_TOKENS;
	return 0;
}

static void
macs_drop(struct peer_sync *y)
{
	crypto_hmac_free(y->mac_out);
	crypto_hmac_free(y->mac_in);
	y->mac_out = y->mac_in = NULL;
}

void
sync_peer_free(struct peer *p)
{
	macs_drop(&p->sync);
}

/* The context of one direction, made if the channel was quiet, with a
 * key derived for it from the SA's root (keying.h) and wiped at once;
 * NULL if that fails (the caller counts or logs). */
static struct crypto_hmac *
mac(struct peer *p, bool out)
{
	struct peer_sync *y = &p->sync;
	struct crypto_hmac **h = out ? &y->mac_out : &y->mac_in;
	uint8_t key[CRYPTO_HMAC_LEN];

	y->mac_used_ns = engine_now_ns();
	if (*h == NULL && sa_root_ctl_key(out ? &p->out.root : &p->in.root,
	    out ? y->spi_out : y->spi_in, key) == 0) {
		*h = crypto_hmac_new(key, sizeof(key));
		crypto_wipe(key, sizeof(key));
	}
	return *h;
}

static void
send_msg(struct engine *e, struct peer *p, const struct sync_msg *m,
    const struct sockaddr_storage *to)
{
	struct peer_sync *y = &p->sync;
	struct outer_sock *s = peer_sock_to(p, to);
	struct crypto_hmac *h = mac(p, true);
	uint8_t buf[SYNC_MSG_MAX];
	char a[128];
	size_t n = 0;

	(void)e;
	if (h != NULL)
		n = sync_encode(m, y->spi_out, ++y->seq, h, buf, sizeof(buf));
	/* A peer out of reach fails at every retry: said once when it
	 * starts and once when it ends, so thousands of such peers do not
	 * fill the log. */
	if (n == 0 || s == NULL) {
		if (y->send_fails++ == 0)
			log_warnx("peer %s: cannot send a synchronisation %s "
			    "(said once until one leaves)", p->conf->name,
			    m->type == SYNC_REQUEST ? "request" : "answer");
		return;
	}
	if (sock_send(s->fd, s->kind, to, 0, buf, n) == -1) {
		int err = errno;

		if (y->send_fails++ == 0)
			log_warnx("peer %s: send to %s: %s (said once until a "
			    "synchronisation packet leaves)", p->conf->name,
			    sockaddr_ntop(to, a, sizeof(a)), strerror(err));
		return;
	}
	if (y->send_fails > 0)
		log_info("peer %s: synchronisation packets leave again, to %s, "
		    "after %" PRIu64 " that did not", p->conf->name,
		    sockaddr_ntop(to, a, sizeof(a)), y->send_fails);
	y->send_fails = 0;
}

static void
ask(struct engine *e, struct peer *p, const struct sockaddr_storage *to)
{
	struct peer_sync *y = &p->sync;
	struct sync_msg m;
	uint64_t now = engine_now_ns();

	memset(&m, 0, sizeof(m));
	m.type = SYNC_REQUEST;
	m.start_id = e->start_id;
	/* A new nonce for every request: an answer to an earlier one, or a
	 * replayed answer, proves nothing about now. */
	if (crypto_random(y->nonce, sizeof(y->nonce)) == -1)
		return;
	memcpy(m.nonce, y->nonce, sizeof(m.nonce));
	if (!y->asking) {
		y->tries = 0;
		y->retry_ns = now + SYNC_RETRY_FIRST_NS;
	}
	y->asking = true;
	sockaddr_inet_set(&y->ask_to, to);
	y->asked_ns = now;
	y->requests_out++;
	send_msg(e, p, &m, to);
}

void
sync_start(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->npeers; i++) {
		struct peer *p = &e->peers[i];
		struct sockaddr_storage to;

		if (!p->derived)
			continue;
		if (p->have_endpoint)
			sockaddr_inet_get(&p->endpoint, &to);
		else if (p->sync.hint)
			sockaddr_inet_get(&p->sync.ask_to, &to);
		else
			continue;
		ask(e, p, &to);
	}
}

void
sync_endpoint_moved(struct engine *e, struct peer *p)
{
	struct sockaddr_storage to;

	if (!p->derived || !p->have_endpoint)
		return;
	sockaddr_inet_get(&p->endpoint, &to);
	ask(e, p, &to);
}

void
sync_tick(struct engine *e, struct peer *p, uint64_t now_ns)
{
	struct peer_sync *y = &p->sync;
	struct sockaddr_storage to;
	uint64_t wait;

	if ((y->mac_out != NULL || y->mac_in != NULL) &&
	    now_ns - y->mac_used_ns >= SYNC_MAC_IDLE_NS)
		macs_drop(y);
	if (!y->asking || now_ns < y->retry_ns)
		return;
	y->tries++;
	wait = SYNC_RETRY_FIRST_NS << (y->tries < 4 ? y->tries : 3);
	if (wait > SYNC_RETRY_MAX_NS)
		wait = SYNC_RETRY_MAX_NS;
	y->retry_ns = now_ns + wait;
	/* A dynamic peer may have moved since: ask where it was last seen. */
	sockaddr_inet_get(p->have_endpoint ? &p->endpoint : &y->ask_to, &to);
	ask(e, p, &to);
}

void
sync_poke(struct engine *e, struct peer *p, const struct sockaddr_storage *src)
{
	struct peer_sync *y = &p->sync;
	uint64_t now = engine_now_ns();

	if (!p->derived || (y->requests_out > 0 &&
	    now - y->asked_ns < SYNC_POKE_NS))
		return;
	/* src is not authenticated: the request goes there, but nothing
	 * moves until an answer proves itself. */
	ask(e, p, src);
}

static bool
take_token(struct peer_sync *y)
{
	uint64_t now = engine_now_ns(), add;

	add = (now - y->tokens_ns) / SYNC_TOKEN_NS;
	if (add > 0) {
		y->tokens = add + y->tokens > SYNC_TOKENS ? SYNC_TOKENS :
		    y->tokens + (unsigned)add;
		y->tokens_ns = now;
	}
	if (y->tokens == 0)
		return false;
	y->tokens--;
	return true;
}

static void
answer(struct engine *e, struct peer *p, const struct sync_msg *req,
    const struct sockaddr_storage *src)
{
	struct peer_sync *y = &p->sync;
	struct sync_msg m;
	int k;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_ANSWER;
	memcpy(m.nonce, req->nonce, sizeof(m.nonce));
	m.start_id = e->start_id;
	for (k = 0; k < SA_KINDS; k++) {
		if (k == SA_TAP && p->tap == NULL)
			continue;
		m.sa[m.nsa].kind = k == SA_TAP ? SYNC_KIND_TAP : SYNC_KIND_MAIN;
		m.sa[m.nsa].epoch = peer_out(p, k)->epoch;
		/* Everything we sent so far is below it. */
		m.sa[m.nsa].next_seq = peer_out(p, k)->esp.seq + 1;
		m.nsa++;
	}
	if (!y->answered)
		log_info("peer %s: told our epochs; sending", p->conf->name);
	y->answered = true;
	y->answers_out++;
	send_msg(e, p, &m, src);
}

static void
on_request(struct engine *e, struct peer *p, const struct sync_msg *m,
    const struct sockaddr_storage *src)
{
	struct peer_sync *y = &p->sync;

	y->requests_in++;
	if (!take_token(y)) {
		y->limited++;
		return;
	}
	answer(e, p, m, src);
	/* A peer that started anew has new epochs: learn them, now, even if
	 * a request of ours is still out (it may have gone to where the
	 * peer was, or before it was up). The start id is only a hint here
	 * (requests may be replays); the answer we get is what counts. */
	if (!y->know_peer || m->start_id != y->peer_start)
		ask(e, p, src);
}

static void
on_answer(struct engine *e, struct peer *p, const struct sync_msg *m,
    const struct sockaddr_storage *src)
{
	struct peer_sync *y = &p->sync;
	enum sa_kind kind;
	char a[128];
	size_t i;

	if (!y->asking || CRYPTO_memcmp(m->nonce, y->nonce,
	    sizeof(y->nonce)) != 0) {
		y->stale++;
		return;
	}
	y->asking = false;
	y->answers_in++;
	y->know_peer = true;
	y->peer_start = m->start_id;
	y->last_sync = time(NULL);
	for (i = 0; i < m->nsa; i++) {
		kind = m->sa[i].kind == SYNC_KIND_TAP ? SA_TAP : SA_MAIN;
		if (kind == SA_TAP && p->tap == NULL) {
			log_ratelimited(&y->lim, LOG_LVL_WARN, "peer %s: it has "
			    "a dedicated tap SA and we do not (tap-sa)",
			    p->conf->name);
			continue;
		}
		if (sa_in_install(p, kind, m->sa[i].epoch,
		    m->sa[i].next_seq) == -1)
			continue;
		log_info("peer %s: synchronised with %s: its SA 0x%08x at "
		    "epoch %016" PRIx64 ", accepting from %" PRIu64,
		    p->conf->name, sockaddr_ntop(src, a, sizeof(a)),
		    peer_in(p, kind)->root.spi, m->sa[i].epoch, m->sa[i].next_seq);
	}
	/* Fresh and authentic: the peer is where it answered from. */
	peer_learn_endpoint(p, src);
	liveness_heard(e, p);
}

void
sync_input(struct engine *e, struct peer *p, struct pkt *pk,
    const struct sockaddr_storage *src)
{
	struct peer_sync *y = &p->sync;
	struct crypto_hmac *h;
	struct sync_msg m;
	const char *why;

	if (!p->derived) {
		y->rejected++;
		return;
	}
	if ((h = mac(p, false)) == NULL) {
		y->rejected++;
		log_ratelimited(&y->lim, LOG_LVL_WARN, "peer %s: no HMAC "
		    "context for the control channel", p->conf->name);
		return;
	}
	if (sync_decode(pkt_data(pk), pk->len, h, &m, &why) == -1) {
		y->rejected++;
		log_ratelimited(&y->lim, LOG_LVL_DEBUG, "peer %s: control "
		    "packet refused: %s", p->conf->name, why);
		return;
	}
	if (m.type == SYNC_REQUEST)
		on_request(e, p, &m, src);
	else
		on_answer(e, p, &m, src);
}
