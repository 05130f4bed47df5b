/* The tun side of the pipeline: reads, with TCP and UDP super-packets
 * cut into tunnel-sized packets when offloads are on, and writes, with
 * in-order TCP segments of one flow coalesced into one super-packet per
 * received batch, and UDP datagrams of one flow too when the tun took
 * USO (src/net/offload.h has the rules for both).
 *
 * Without offloads a read is one IP packet and a write is one. With
 * them every read and write carries a struct virtio_net_hdr in front;
 * a read lands in the buffer the packet goes on in, and only what does
 * not fit there (a super-packet) spills into a 64 KiB buffer of its own
 * and is segmented from it. Reads and writes go through the device's
 * ops (src/net/dev.h). */
#include "src/datapath/datapath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "src/datapath/qos.h"
#include "src/net/offload.h"

/* A super-packet: its header, the part read into a packet buffer (moved
 * here when it spills), the rest. */
#define TUN_BIG_SIZE (VNET_HDR_LEN + OFFLOAD_PKT_MAX)

struct tun_io {
	bool              vnet;         /* offloads on: headers everywhere */
	unsigned          gro_flags;    /* GRO_UDP4/6: the tun took USO4/6 */
	uint8_t          *big;          /* TUN_BIG_SIZE: reads that spill */
	uint8_t          *gro_buf;      /* TUN_BIG_SIZE: coalesced writes */
	struct gro_batch  gro;
	bool              gro_open;     /* writes are being collected */
};

int
tun_io_init(struct engine *e, const struct tun_offload *offl)
{
	struct tun_io *t;
	bool vnet = offl->vnet_hdr;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->vnet = vnet;
	/* A kernel that takes USO also builds UDP_L4 writes into
	 * segmentable packets (both came with Linux 6.2). */
	if (offl->features & TUN_OFFLOAD_USO4)
		t->gro_flags |= GRO_UDP4;
	if (offl->features & TUN_OFFLOAD_USO6)
		t->gro_flags |= GRO_UDP6;
	if (vnet && ((t->big = malloc(TUN_BIG_SIZE)) == NULL ||
	    (t->gro_buf = malloc(TUN_BIG_SIZE)) == NULL)) {
		free(t->big);
		free(t);
		return -1;
	}
	e->tunio = t;
	return 0;
}

void
tun_io_free(struct engine *e)
{
	if (e->tunio == NULL)
		return;
	free(e->tunio->big);
	free(e->tunio->gro_buf);
	free(e->tunio);
	e->tunio = NULL;
}

static void
read_error(struct engine *e, ssize_t n)
{
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		log_ratelimited(&e->lim_tun, LOG_LVL_WARN, "%s: read: %s",
		    e->tun_name, strerror(errno));
}

/* Cuts what the kernel handed over in big into packets for the tunnel;
 * returns how many. */
static size_t
segment(struct engine *e, size_t len)
{
	struct tun_io *t = e->tunio;
	struct vnet_info vi;
	struct seg_iter it;
	struct pkt *pk;
	size_t n = 0, mtu;

	if (offload_parse_vnet(t->big, len, &vi) == -1) {
		e->drops[SITE_DROP_MALFORMED]++;
		log_ratelimited(&e->lim_malformed, LOG_LVL_DEBUG,
		    "%s: %zu bytes: %s", e->tun_name, len, vi.why);
		return 0;
	}
	mtu = vi.af == AF_INET ? e->mtu_v4 : e->mtu;
	if (offload_seg_init(&it, &vi, mtu) == -1) {
		e->drops[SITE_DROP_TOO_BIG]++;
		return 0;
	}
	if (vi.kind == OFFLOAD_GSO)
		e->offl.super_in++;
	for (;;) {
		/* Taken each time: a queued or sent packet keeps its
		 * buffer. */
		pk = outbound_buf(e);
		pkt_reset(pk);
		if (offload_segment_next(&it, pkt_data(pk), PKT_MTU_MAX,
		    &pk->len) != 1)
			break;
		n++;
		outbound_packet(e, pk);
	}
	if (vi.kind == OFFLOAD_GSO)
		e->offl.segments_out += n;
	return n;
}

/* One read with offloads: 0 when there is nothing more to read, else the
 * packets it made (at least 1, so the budget moves on). */
static size_t
read_vnet(struct engine *e)
{
	struct tun_io *t = e->tunio;
	uint8_t hdr[VNET_HDR_LEN];
	struct iovec iov[3];
	struct vnet_hdr vh;
	struct pkt *pk;
	ssize_t n;
	size_t plen, head;

	pk = outbound_buf(e);
	pkt_reset(pk);
	iov[0] = (struct iovec){ hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ pkt_data(pk), PKT_MTU_MAX };
	iov[2] = (struct iovec){ t->big + VNET_HDR_LEN + PKT_MTU_MAX,
	    TUN_BIG_SIZE - VNET_HDR_LEN - PKT_MTU_MAX };
	n = dev_readv(&e->tun, iov, 3);
	if (n <= 0) {
		read_error(e, n);
		return 0;
	}
	if ((size_t)n < sizeof(hdr)) {
		e->drops[SITE_DROP_MALFORMED]++;
		return 1;
	}
	plen = (size_t)n - sizeof(hdr);
	vnet_hdr_get(&vh, hdr);
	if (vh.gso_type == VNET_GSO_NONE && !(vh.flags & VNET_F_NEEDS_CSUM) &&
	    plen <= PKT_MTU_MAX) {
		/* The common small packet: nothing to do, nothing moved. */
		pk->len = plen;
		outbound_packet(e, pk);
		return 1;
	}
	head = plen < PKT_MTU_MAX ? plen : PKT_MTU_MAX;
	memcpy(t->big, hdr, sizeof(hdr));
	memcpy(t->big + VNET_HDR_LEN, pkt_data(pk), head);
	n = (ssize_t)segment(e, VNET_HDR_LEN + plen);
	return n > 0 ? (size_t)n : 1;
}

void
tun_read_cb(int fd, short what, void *arg)
{
	struct engine *e = arg;
	struct pkt *pk;
	ssize_t n;
	size_t done = 0, got;

	(void)fd;
	(void)what;
	while (done < ENGINE_BUDGET) {
		if (e->tunio->vnet) {
			if ((got = read_vnet(e)) == 0)
				break;
			done += got;
			continue;
		}
		pk = outbound_buf(e);
		pkt_reset(pk);
		n = dev_read(&e->tun, pkt_data(pk), PKT_MTU_MAX);
		if (n <= 0) {
			read_error(e, n);
			break;
		}
		pk->len = (size_t)n;
		outbound_packet(e, pk);
		done++;
	}
	/* The whole batch is queued before the scheduler picks, so that
	 * priorities hold among packets that arrived together. */
	if (e->qos != NULL)
		qos_run(e);
}

static int
write_one(struct engine *e, const uint8_t *hdr, const uint8_t *d, size_t len)
{
	static const uint8_t none[VNET_HDR_LEN];
	struct iovec iov[2];
	ssize_t n;
	size_t want = len;
	int k = 0;

	if (e->tunio != NULL && e->tunio->vnet) {
		iov[k++] = (struct iovec){ (void *)(uintptr_t)(hdr != NULL ?
		    hdr : none), VNET_HDR_LEN };
		want += VNET_HDR_LEN;
	}
	iov[k++] = (struct iovec){ (void *)(uintptr_t)d, len };
	n = dev_writev(&e->tun, iov, k);
	if (n == -1 || (size_t)n != want) {
		log_ratelimited(&e->lim_tun, LOG_LVL_WARN, "%s: write of %zu "
		    "bytes: %s", e->tun_name, len,
		    n == -1 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

int
tun_write(struct engine *e, const uint8_t *d, size_t len)
{
	struct tun_io *t = e->tunio;

	if (t == NULL || !t->gro_open)
		return write_one(e, NULL, d, len);
	/* Held until tun_flush: the buffer lives as long as the batch. */
	if (gro_add(&t->gro, d, len) == -1) {
		tun_flush(e);
		t->gro_open = true;
		gro_init(&t->gro, TUN_BIG_SIZE, t->gro_flags);
		if (gro_add(&t->gro, d, len) == -1)
			return write_one(e, NULL, d, len);
	}
	return 0;
}

void
tun_collect(struct engine *e)
{
	struct tun_io *t = e->tunio;

	if (t == NULL || !t->vnet)
		return;
	t->gro_open = true;
	gro_init(&t->gro, TUN_BIG_SIZE, t->gro_flags);
}

void
tun_flush(struct engine *e)
{
	struct tun_io *t = e->tunio;
	struct gro_out o;

	if (t == NULL || !t->gro_open)
		return;
	t->gro_open = false;
	while (gro_next(&t->gro, &o, t->gro_buf, TUN_BIG_SIZE) == 1) {
		if (o.count > 1) {
			e->offl.super_out++;
			e->offl.segments_in += o.count;
			if (o.proto == IPPROTO_UDP) {
				e->offl.udp_super_out++;
				e->offl.udp_segments_in += o.count;
			}
		}
		(void)write_one(e, o.vnet, o.pkt, o.len);
	}
}
