/* Outbound SAs: keying at start, lifetimes and epoch switches, the state
 * file's reservations for manual keying (see sa.h). */
#include "src/datapath/datapath.h"

#include <inttypes.h>
#include <string.h>

#include "crypto/crypto.h"

static const char *const out_drop_names[SA_OUT_DROP_MAX] = {
	[SA_OUT_UNSYNCED] = "unsynced",
	[SA_OUT_LIFETIME] = "lifetime",
	[SA_OUT_STATE] = "state",
};

const char *
sa_out_drop_name(enum sa_out_drop d)
{
	if ((unsigned)d >= SA_OUT_DROP_MAX)
		return "unknown";
	return out_drop_names[d];
}

static void
kind_keys(struct peer_conf *pc, enum sa_kind kind, struct sa_keys **out,
    struct sa_keys **in, uint32_t *spi_out, uint32_t *spi_in)
{
	if (kind == SA_TAP) {
		*out = pc->tap_key_out;
		*in = pc->tap_key_in;
		*spi_out = pc->tap_spi_out;
		*spi_in = pc->tap_spi_in;
	} else {
		*out = pc->key_out;
		*in = pc->key_in;
		*spi_out = pc->spi_out;
		*spi_in = pc->spi_in;
	}
}

/* Manual keying: numbers resume above the state file's marks. An SA
 * without them cannot tell what it sent and received before: it starts
 * only when told to (-R), so a lost file never passes for a first start.
 * With replay-window 0 nothing received is refused, so there is no
 * inbound mark to keep or to miss: only the outbound one. */
static int
manual_state(struct engine *e, struct peer *p, struct sa_out *o,
    struct sa_in *in)
{
	uint64_t out_mark, in_mark = 0, ahead = e->cf->site.state_ahead;
	bool have_out, have_in = true, window = p->conf->replay_window != 0;

	o->mark = state_sa_get(e->state, STATE_OUT, o->esp.spi);
	if (window)
		in->mark = state_sa_get(e->state, STATE_IN,
		    in->cur->esp.spi);
	if (o->mark == NULL || (window && in->mark == NULL))
		return -1;
	have_out = state_sa_loaded(o->mark, &out_mark);
	if (window)
		have_in = state_sa_loaded(in->mark, &in_mark);
	if ((!have_out || !have_in) && !e->fresh_state) {
		log_warnx("%s:%d: peer \"%s\" (keying manual): the state file "
		    "%s has no marks for its SA 0x%08x/0x%08x, so it cannot "
		    "tell what it sent and received before; restore the file, "
		    "or if the SAs are new on both ends start once with -R",
		    e->cf->file, p->conf->line, p->conf->name,
		    e->cf->site.state_file, o->esp.spi, in->cur->esp.spi);
		return -1;
	}
	if (!have_out || !have_in)
		log_warnx("peer %s: SA 0x%08x/0x%08x starts afresh (-R): "
		    "sequence numbers from 1, any number accepted once",
		    p->conf->name, o->esp.spi, in->cur->esp.spi);
	o->esp.seq = out_mark;
	o->packets = out_mark;
	state_sa_set(o->mark, out_mark > UINT64_MAX - ahead ?
	    UINT64_MAX : out_mark + ahead);
	if (!window)
		return 0;
	/* Whatever arrived before the restart stays refused. */
	if (have_in)
		replay_set_floor(&in->cur->esp.replay, in_mark);
	state_sa_set(in->mark, in_mark > UINT64_MAX - ahead ?
	    UINT64_MAX : in_mark + ahead);
	return 0;
}

int
sa_init(struct engine *e, struct peer *p, enum sa_kind kind)
{
	struct peer_conf *pc = (struct peer_conf *)(uintptr_t)p->conf;
	struct sa_out *o = peer_out(p, kind);
	struct sa_in *in = peer_in(p, kind);
	struct sa_keys *kout, *kin;
	uint32_t spi_out, spi_in;
	int rc;

	kind_keys(pc, kind, &kout, &kin, &spi_out, &spi_in);
	rc = sa_root_init(&o->root, pc, &pc->suite_out, kout, spi_out,
	    p->derived);
	if (sa_root_init(&in->root, pc, &pc->suite_in, kin, spi_in,
	    p->derived) == -1 ||
	    rc == -1)
		return -1;
	if (p->derived) {
		/* A fresh epoch at every start: keys no earlier start used,
		 * whatever became of files and clocks. The peer learns it
		 * by asking (sync.h). Its cipher context waits for the
		 * first packet (out_key): most peers of a large site send
		 * nothing for long, and the root's PRK is kept anyway. */
		if (crypto_random_u64(&o->epoch) == -1)
			return -1;
		o->esp.spi = sa_root_spi(&o->root, o->epoch);
		o->esp.esn = pc->esn;
		o->key_pending = true;
		return 0;
	}
	if (sa_root_key(&o->root, 0, true, &o->esp) == -1 ||
	    sa_in_key_cur(in, 0) == -1)
		return -1;
	in->ready = true;
	/* The same key at every start: AEAD and CTR IVs get a random
	 * base, so they do not repeat even when sequence numbers do. */
	if (cipher_counter_iv(pc->suite_out.cipher) &&
	    crypto_random_u64(&o->esp.iv_base) == -1)
		return -1;
	return manual_state(e, p, o, in);
}

void
sa_free(struct peer *p, enum sa_kind kind)
{
	struct sa_out *o = peer_out(p, kind);
	struct sa_in *in = peer_in(p, kind);

	esp_sa_clear(&o->esp);
	sa_in_free(in);
	sa_root_wipe(&o->root);
	sa_root_wipe(&in->root);
}

bool
sa_out_ready(const struct peer *p)
{
	return !p->derived || p->sync.answered;
}

/* Bytes under the key for an inner packet of len: payload, padding, pad
 * length and next header. */
static uint64_t
cipher_bytes(const struct peer *p, size_t len)
{
	size_t block = p->conf->suite_out.cipher->block;

	return (len + 2 + block - 1) / block * block;
}

/* Keys a derived SA's epoch for its first packet: only the epoch
 * sa_init drew, once, so its sequence numbers (and IVs) begin at 1
 * under a key nothing was sent with. */
static int
out_key(struct sa_out *o)
{
	if (sa_root_key(&o->root, o->epoch, true, &o->esp) == -1)
		return -1;
	o->key_pending = false;
	return 0;
}

static int
next_epoch(struct peer *p, struct sa_out *o)
{
	uint64_t e = o->epoch + 1;

	if (sa_root_key(&o->root, e, true, &o->esp) == -1)
		return -1;
	log_info("peer %s: SA 0x%08x: epoch %016" PRIx64 " after %" PRIu64
	    " packets, %" PRIu64 " bytes; SPI now 0x%08x", p->conf->name,
	    o->root.spi, e, o->packets, o->bytes, o->esp.spi);
	o->epoch = e;
	o->packets = 0;
	o->bytes = 0;
	o->soft_logged = false;
	o->switches++;
	return 0;
}

static int
drop(struct sa_out *o, enum sa_out_drop why)
{
	o->drops[why]++;
	return -1;
}

/* The lifetime of o before a packet of ct bytes under its key. */
static int
lifetime(struct peer *p, struct sa_out *o, uint64_t ct)
{
	const struct peer_conf *pc = p->conf;

	if (o->packets >= pc->life_packets || o->bytes + ct > pc->life_bytes) {
		if (p->derived) {
			/* In step with the peer, which holds the next
			 * epoch's keys and tells it by the SPI. */
			if (next_epoch(p, o) == -1)
				return -1;
		} else {
			if (!o->spent)
				log_warnx("peer %s: SA 0x%08x reached its hard "
				    "lifetime (%" PRIu64 " packets, %" PRIu64
				    " bytes): not sending on it; configure a "
				    "new key on both ends", pc->name,
				    o->esp.spi, o->packets, o->bytes);
			o->spent = true;
			return drop(o, SA_OUT_LIFETIME);
		}
	}
	if (!o->soft_logged && (o->packets + 1 >= pc->life_packets_soft ||
	    o->bytes + ct >= pc->life_bytes_soft)) {
		o->soft_logged = true;
		log_warnx("peer %s: SA 0x%08x passed its soft lifetime (%"
		    PRIu64 " packets, %" PRIu64 " bytes)%s", pc->name,
		    o->esp.spi, o->packets + 1, o->bytes + ct, p->derived ?
		    ": the next epoch begins at the hard one" :
		    ": it stops at the hard one; prepare a new key");
	}
	return 0;
}

int
sa_out_encap(struct peer *p, enum sa_kind kind, struct pkt *pk,
    uint8_t next_header)
{
	struct sa_out *o = peer_out(p, kind);
	uint64_t ct;

	if (!sa_out_ready(p))
		return drop(o, SA_OUT_UNSYNCED);
	if (o->key_pending && out_key(o) == -1)
		return -1;
	ct = cipher_bytes(p, pk->len);
	if (lifetime(p, o, ct) == -1)
		return -1;
	/* Manual keying: only numbers the state file holds reserved. One
	 * line when that starts and one when it ends, whatever the rate:
	 * the writer logs the reason. */
	if (o->mark != NULL && !state_sa_allow(o->mark, o->esp.seq + 1)) {
		if (o->blocked++ == 0)
			log_warnx("peer %s: SA 0x%08x: the state file has not "
			    "reserved sequence number %" PRIu64 ": not sending "
			    "until it has", p->conf->name, o->esp.spi,
			    o->esp.seq + 1);
		return drop(o, SA_OUT_STATE);
	}
	if (o->blocked > 0) {
		log_info("peer %s: SA 0x%08x: sending again after %" PRIu64
		    " packets dropped for the state file", p->conf->name,
		    o->esp.spi, o->blocked);
		o->blocked = 0;
	}
	if (esp_encap(&o->esp, pk, next_header) == -1)
		return -1;
	o->packets++;
	o->bytes += ct;
	liveness_sent(p);
	return 0;
}
