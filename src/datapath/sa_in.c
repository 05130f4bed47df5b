/* Inbound SAs: which epoch a packet belongs to, its decapsulation, and
 * what accepting it changes (see sa.h). */
#include "src/datapath/datapath.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* How long the previous epoch stays after a switch, for packets that
 * were under way. Its window still refuses replays. */
#define SA_PREV_GRACE_NS (10ULL * 1000000000ULL)

static void
slot_drop(struct sa_in_slot **s)
{
	if (*s == NULL)
		return;
	esp_sa_clear(&(*s)->esp);
	free(*s);
	*s = NULL;
}

/* *s keyed for epoch e with a fresh window, allocated if need be; on
 * failure dropped. */
static int
slot_key(struct sa_in *in, struct sa_in_slot **s, uint64_t e)
{
	if (*s == NULL && (*s = calloc(1, sizeof(**s))) == NULL) {
		log_warn("peer %s: SA 0x%08x", in->root.pc->name, in->root.spi);
		return -1;
	}
	if (sa_root_key(&in->root, e, false, &(*s)->esp) == -1) {
		slot_drop(s);
		return -1;
	}
	(*s)->epoch = e;
	return 0;
}

int
sa_in_key_cur(struct sa_in *in, uint64_t e)
{
	slot_drop(&in->next);
	slot_drop(&in->prev);
	return slot_key(in, &in->cur, e);
}

void
sa_in_free(struct sa_in *in)
{
	slot_drop(&in->cur);
	slot_drop(&in->next);
	slot_drop(&in->prev);
}

/* Keys the next epoch when a packet first needs it: most SAs never
 * switch, and an idle peer should cost no second cipher context. */
static int
next_slot(struct sa_in *in)
{
	uint64_t e = in->cur->epoch + 1;

	if (in->next != NULL && in->next->epoch == e)
		return 0;
	return slot_key(in, &in->next, e);
}

static int
try_slot(struct sa_in_slot *s, struct pkt *pk, uint8_t *nh, uint64_t *seq)
{
	return esp_decap(&s->esp, pk, nh, seq, false);
}

int
sa_in_decap(struct engine *e, struct peer *p, enum sa_kind kind, uint32_t spi,
    struct pkt *pk, uint8_t *nh, struct sa_in_hit *hit)
{
	struct sa_in *in = peer_in(p, kind);
	struct sa_in_slot *first, *second = NULL;
	size_t off = pk->off, len = pk->len;
	int r;

	hit->in = in;
	hit->slot = NULL;
	if (!in->ready || in->cur == NULL)
		return SA_IN_UNSYNCED;
	first = in->cur;
	if (p->derived && (spi ^ in->root.spi) != (in->cur->epoch & 1)) {
		/* The other parity: the next epoch, or packets of the
		 * previous one still under way. */
		if (next_slot(in) == -1)
			return ESP_DROP_DECRYPT;
		first = in->next;
		if (in->prev != NULL) {
			first = in->prev;
			second = in->next;
		}
	}
	if (second != NULL) {
		/* AEAD decrypts in place and wipes what fails, and without an
		 * ICV CBC decrypts before anything can fail: keep the bytes
		 * for the second try. Only while a previous epoch is kept. */
		if (off > PKT_BUFSZ || len > PKT_BUFSZ - off)
			return ESP_DROP_MALFORMED;
		memcpy(pkt_data(e->pkt_scratch), pkt_data(pk), len);
	}
	r = try_slot(first, pk, nh, &hit->seq);
	if (r != ESP_OK && second != NULL) {
		pk->off = off;
		pk->len = len;
		memcpy(pkt_data(pk), pkt_data(e->pkt_scratch), len);
		first = second;
		r = try_slot(first, pk, nh, &hit->seq);
	}
	if (r == ESP_OK)
		hit->slot = first;
	return r;
}

/* The peer's first packet of its next epoch: that epoch is now the
 * current one; the old one stays a while for stragglers. */
static void
promote(struct peer *p, struct sa_in *in)
{
	slot_drop(&in->prev);
	in->prev = in->cur;
	in->cur = in->next;
	in->next = NULL;
	in->prev_ns = engine_now_ns();
	in->switches++;
	log_info("peer %s: its SA 0x%08x moved to epoch %016" PRIx64,
	    p->conf->name, in->root.spi, in->cur->epoch);
}

bool
sa_in_durable(struct peer *p, const struct sa_in_hit *hit)
{
	struct sa_in *in = hit->in;

	if (in->mark == NULL || state_sa_allow(in->mark, hit->seq)) {
		if (in->blocked > 0) {
			log_info("peer %s: SA 0x%08x: accepting again after %"
			    PRIu64 " packets dropped for the state file",
			    p->conf->name, in->root.spi, in->blocked);
			in->blocked = 0;
		}
		return true;
	}
	p->st.drop_state++;
	if (in->blocked++ == 0)
		log_warnx("peer %s: SA 0x%08x: sequence number %" PRIu64 " is "
		    "not yet durable in the state file: dropping until it is",
		    p->conf->name, in->root.spi, hit->seq);
	return false;
}

bool
sa_in_accept(struct peer *p, struct sa_in_hit *hit)
{
	struct sa_in *in = hit->in;
	bool moved;

	moved = esp_accept(&hit->slot->esp, hit->seq);
	if (hit->slot == in->next)
		promote(p, in);
	return moved;
}

int
sa_in_install(struct peer *p, enum sa_kind kind, uint64_t epoch,
    uint64_t next_seq)
{
	struct sa_in *in = peer_in(p, kind);

	/* The same epoch as ours: the peer did not restart; our window is
	 * at least as good as the one the answer would give. Except without
	 * an ICV: a captured packet given a number far ahead may have
	 * pushed the window beyond anything the peer sent, and the peer's
	 * word, under the control channel's HMAC, brings it back. (With an
	 * ICV the top is never beyond what the peer sent, and lowering it
	 * would let what it delivered in again.) */
	if (in->ready && in->cur != NULL && in->cur->epoch == epoch) {
		struct replay *w = &in->cur->esp.replay;

		if (!p->integrity && next_seq > 0 && w->top > next_seq - 1) {
			log_warnx("peer %s: its SA 0x%08x had been pushed to %"
			    PRIu64 ", beyond what it sent (%" PRIu64 "): "
			    "a forged number (auth none); window set back",
			    p->conf->name, in->root.spi, w->top,
			    next_seq - 1);
			replay_set_floor(w, next_seq - 1);
		}
		return 0;
	}
	if (sa_in_key_cur(in, epoch) == -1) {
		in->ready = false;
		return -1;
	}
	/* Only what the peer sends from now on: anything sent before it
	 * answered, a capture included, stays out. */
	replay_set_floor(&in->cur->esp.replay, next_seq > 0 ? next_seq - 1 : 0);
	in->ready = true;
	in->switches++;
	return 0;
}

void
sa_in_tick(struct peer *p, uint64_t now_ns)
{
	int k;

	for (k = 0; k < SA_KINDS; k++) {
		struct sa_in *in;

		if (k == SA_TAP && p->tap == NULL)
			continue;
		in = peer_in(p, k);
		if (in->prev != NULL && now_ns - in->prev_ns >= SA_PREV_GRACE_NS)
			slot_drop(&in->prev);
	}
}
