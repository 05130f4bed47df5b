/* Sending and receiving ESP on the outer sockets, in batches: one
 * sendmmsg(2) or recvmmsg(2) moves up to SOCK_BATCH_MAX datagrams.
 *
 * Each packet carries its own outer TOS / traffic class in a control
 * message, so DSCP and ECN can differ per packet in one batch without a
 * setsockopt per send. */
#include "src/net/sock.h"
#include "util/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <string.h>

/* Enough for IP_TOS or IPV6_TCLASS and UDP_SEGMENT / UDP_GRO, with room
 * for one unexpected message. */
#define SOCK_CMSG_SPACE  (3 * CMSG_SPACE(sizeof(int)))
#define IPV4_HDR_MIN     20
#define ESP_HDR_MIN      8      /* SPI + sequence number */

union sock_cmsgbuf {
	struct cmsghdr hdr;
	uint8_t        buf[SOCK_CMSG_SPACE];
};

/* Fills msg for one datagram to dst with outer TOS tos. to, iov and cbuf
 * belong to the caller so that arrays of them can feed sendmmsg(2). */
static int
msg_prepare(struct msghdr *msg, struct iovec *iov, union sock_cmsgbuf *cbuf,
    struct sockaddr_storage *to, enum outer_kind kind,
    const struct sockaddr_storage *dst, uint8_t tos, const uint8_t *data,
    size_t len)
{
	struct cmsghdr *c;
	socklen_t tolen;
	int val = tos;

	if (dst == NULL || (tolen = sockaddr_len(dst->ss_family)) == 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(to, dst, tolen);
	/* A raw IPv6 socket takes sin6_port as the protocol number and
	 * refuses any other value (EINVAL); 0 means "this socket's". */
	if (kind == OUTER_ESP && to->ss_family == AF_INET6)
		((struct sockaddr_in6 *)to)->sin6_port = 0;
	memset(msg, 0, sizeof(*msg));
	memset(cbuf, 0, sizeof(*cbuf));
	iov->iov_base = (void *)(uintptr_t)data;
	iov->iov_len = len;
	msg->msg_name = to;
	msg->msg_namelen = tolen;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	/* Linux honours IP_TOS / IPV6_TCLASS as a control message on raw
	 * sockets as on UDP, ECN bits included (checked by test_net_sock),
	 * so no setsockopt(IP_TOS) per change is needed. */
	msg->msg_control = cbuf->buf;
	msg->msg_controllen = CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(msg);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	if (dst->ss_family == AF_INET) {
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TOS;
	} else {
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_TCLASS;
	}
	memcpy(CMSG_DATA(c), &val, sizeof(val));
	return 0;
}

/* Bytes and datagrams one UDP GSO message may carry: the kernel's limits
 * (UDP_MAX_SEGMENTS is 64 on older kernels; a datagram of 64 KiB less the
 * headers) with margin. */
#define GSO_SEGS_MAX    64
#define GSO_BYTES_MAX   (65535 - 40 - 8 - 64)

static bool
same_dst(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	socklen_t n = sockaddr_len(a->ss_family);

	return a->ss_family == b->ss_family && n > 0 && memcmp(a, b, n) == 0;
}

/* How many slots from i on one message carries: with GSO a run to one
 * destination with one TOS whose datagrams all have the first one's
 * length, save a shorter last one (the kernel cuts the message into
 * datagrams of the first one's length, UDP_SEGMENT). */
static size_t
gso_run(const struct sock_tx_slot *s, size_t i, size_t end)
{
	size_t k, total = s[i].len;

	if (s[i].kind != OUTER_UDP || s[i].dst == NULL || s[i].len == 0)
		return 1;
	for (k = i + 1; k < end && k - i < GSO_SEGS_MAX; k++) {
		if (s[k].kind != OUTER_UDP || s[k].dst == NULL ||
		    s[k].tos != s[i].tos || !same_dst(s[k].dst, s[i].dst) ||
		    s[k].len == 0 || s[k].len > s[i].len ||
		    total + s[k].len > GSO_BYTES_MAX)
			break;
		total += s[k].len;
		if (s[k].len < s[i].len)
			return k - i + 1;
	}
	return k - i;
}

/* Adds the UDP_SEGMENT control message behind the TOS one. */
static void
msg_add_segment(struct msghdr *msg, uint16_t size)
{
	struct cmsghdr *c = (struct cmsghdr *)((uint8_t *)msg->msg_control +
	    CMSG_SPACE(sizeof(int)));

	msg->msg_controllen = CMSG_SPACE(sizeof(int)) +
	    CMSG_SPACE(sizeof(uint16_t));
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
}

struct tx_batch {
	struct mmsghdr          msgs[SOCK_BATCH_MAX];
	struct iovec            iov[SOCK_BATCH_MAX];
	union sock_cmsgbuf      cbuf[SOCK_BATCH_MAX];
	struct sockaddr_storage addr[SOCK_BATCH_MAX];
	size_t                  first[SOCK_BATCH_MAX];  /* slot of each msg */
	size_t                  count[SOCK_BATCH_MAX];  /* slots in each */
};

/* Sends slots[from..to) with one sendmmsg, several slots per message
 * with GSO. Returns the index of the first slot not yet tried. A slot
 * the kernel refused gets its errno. When the first message was a GSO
 * one and the kernel refused it whole, nothing is consumed: *gso_refused
 * says how many slots it held and the caller sends them one by one. */
static size_t
send_run(int fd, struct sock_tx_slot *slots, size_t from, size_t to,
    bool gso, struct tx_batch *b, size_t *gso_refused,
    struct sock_tx_stats *st)
{
	size_t i, k, m, niov = 0, nmsg = 0, cnt;
	int sent;

	*gso_refused = 0;
	for (i = from; i < to && niov < SOCK_BATCH_MAX; i += cnt) {
		cnt = gso ? gso_run(slots, i, to) : 1;
		if (cnt > SOCK_BATCH_MAX - niov)
			cnt = SOCK_BATCH_MAX - niov;
		for (k = i; k < i + cnt; k++)
			slots[k].err = 0;
		if (msg_prepare(&b->msgs[nmsg].msg_hdr, &b->iov[niov],
		    &b->cbuf[nmsg], &b->addr[nmsg], slots[i].kind,
		    slots[i].dst, slots[i].tos, slots[i].data,
		    slots[i].len) == -1) {
			slots[i].err = errno;
			if (nmsg == 0) {
				cnt = 1;
				continue;
			}
			break;
		}
		if (cnt > 1) {
			for (k = 1; k < cnt; k++) {
				b->iov[niov + k].iov_base =
				    (void *)(uintptr_t)slots[i + k].data;
				b->iov[niov + k].iov_len = slots[i + k].len;
			}
			b->msgs[nmsg].msg_hdr.msg_iovlen = cnt;
			msg_add_segment(&b->msgs[nmsg].msg_hdr,
			    (uint16_t)slots[i].len);
		}
		b->first[nmsg] = i;
		b->count[nmsg] = cnt;
		niov += cnt;
		nmsg++;
	}
	if (nmsg == 0)
		return i;
	do
		sent = sendmmsg(fd, b->msgs, (unsigned)nmsg, 0);
	while (sent == -1 && errno == EINTR);
	st->calls++;
	if (sent == 0) {
		/* Not in sendmmsg(2)'s contract; taken as a full buffer. */
		sent = -1;
		errno = EAGAIN;
	}
	if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ENOBUFS)) {
		/* The send buffer is full: so it is for the rest of the run. */
		for (m = 0; m < nmsg; m++)
			for (k = 0; k < b->count[m]; k++)
				slots[b->first[m] + k].err = errno;
		return b->first[nmsg - 1] + b->count[nmsg - 1];
	}
	if (sent == -1) {
		if (b->count[0] > 1) {
			*gso_refused = b->count[0];
			return b->first[0];
		}
		/* The first message failed; the rest are tried again. */
		slots[b->first[0]].err = errno;
		return b->first[0] + 1;
	}
	for (m = 0; m < (size_t)sent; m++) {
		size_t want = 0;

		st->messages++;
		if (b->count[m] > 1)
			st->gso_messages++;
		for (k = 0; k < b->count[m]; k++)
			want += slots[b->first[m] + k].len;
		if (b->msgs[m].msg_len != want)
			for (k = 0; k < b->count[m]; k++)
				slots[b->first[m] + k].err = EMSGSIZE;
	}
	return b->first[sent - 1] + b->count[sent - 1];
}

/* Errors that say the kernel or the route cannot do UDP GSO at all (no
 * checksum offload on the way out, an old kernel), as opposed to this
 * message being too large for the path. */
static bool
gso_unsupported(int err)
{
	return err == EIO || err == EOPNOTSUPP || err == ENOPROTOOPT;
}

size_t
sock_send_batch(int fd, struct sock_tx_slot *slots, size_t n, bool *gso,
    struct sock_tx_stats *st)
{
	struct sock_tx_stats ignored;
	struct tx_batch b;
	size_t i = 0, j, end, refused, failed = 0;

	if (st == NULL)
		st = &ignored;
	while (i < n) {
		i = send_run(fd, slots, i, n, gso != NULL && *gso, &b,
		    &refused, st);
		if (refused == 0)
			continue;
		if (gso_unsupported(errno))
			*gso = false;
		/* The same datagrams one by one: each gets its own answer. */
		end = i + refused;
		while (i < end)
			i = send_run(fd, slots, i, end, false, &b, &j, st);
	}
	for (i = 0; i < n; i++)
		failed += slots[i].err != 0;
	st->datagrams += n - failed;
	return n - failed;
}

int
sock_send(int fd, enum outer_kind kind, const struct sockaddr_storage *dst,
    uint8_t tos, const uint8_t *esp, size_t len)
{
	struct sock_tx_slot s = {
		.data = esp, .len = len, .dst = dst, .tos = tos, .kind = kind,
	};

	if (sock_send_batch(fd, &s, 1, NULL, NULL) == 1)
		return 0;
	errno = s.err;
	return -1;
}

int
sock_send_keepalive(int fd, const struct sockaddr_storage *dst)
{
	static const uint8_t ka = 0xff;

	return sock_send(fd, OUTER_UDP, dst, 0, &ka, sizeof(ka));
}

/* Outer TOS / traffic class (0 if absent) and the UDP GRO segment size
 * (0 if the message is one datagram) from the control messages. */
static void
cmsg_read(struct msghdr *msg, uint8_t *tos, size_t *seg)
{
	struct cmsghdr *c;
	int val;

	*tos = 0;
	*seg = 0;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			if (c->cmsg_len >= CMSG_LEN(sizeof(int))) {
				memcpy(&val, CMSG_DATA(c), sizeof(val));
				*seg = val > 0 ? (size_t)val : 0;
			}
			continue;
		}
		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_TCLASS)))
			continue;
		/* IPv4 reports one byte, IPv6 an int. */
		if (c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&val, CMSG_DATA(c), sizeof(val));
			*tos = (uint8_t)val;
		} else if (c->cmsg_len >= CMSG_LEN(1)) {
			*tos = *(const uint8_t *)CMSG_DATA(c);
		}
	}
}

/* Raw IPv4 sockets deliver the IP header; validate it and find the ESP
 * payload behind it. */
static int
skip_ipv4(const uint8_t *buf, size_t n, size_t *off, size_t *len,
    uint8_t *tos)
{
	static struct log_limit lim;
	size_t ihl, tot;

	if (n < IPV4_HDR_MIN) {
		log_ratelimited(&lim, LOG_LVL_DEBUG,
		    "raw ESP: short IPv4 header: %zu < %d", n, IPV4_HDR_MIN);
		return -1;
	}
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = (size_t)buf[2] << 8 | buf[3];
	if ((buf[0] >> 4) != 4 || ihl < IPV4_HDR_MIN || ihl > n ||
	    tot < ihl || tot > n) {
		log_ratelimited(&lim, LOG_LVL_DEBUG,
		    "raw ESP: bad IPv4 header: version %u ihl %zu total %zu, "
		    "%zu received", buf[0] >> 4, ihl, tot, n);
		return -1;
	}
	*tos = buf[1];
	*off = ihl;
	*len = tot - ihl;
	return 0;
}

/* RFC 3948 2.2/2.3 demultiplexing of what follows the UDP header; on raw
 * sockets only the length and SPI checks apply. SPI 0 is reserved
 * (RFC 4303 2.1), so four zero bytes are never ESP. */
enum sock_rx
sock_rx_classify(enum outer_kind kind, const uint8_t *p, size_t len)
{
	static const uint8_t zero[4];

	if (kind == OUTER_UDP && len == 1 && p[0] == 0xff)
		return SOCK_RX_KEEPALIVE;
	if (len >= sizeof(zero) && memcmp(p, zero, sizeof(zero)) == 0)
		return SOCK_RX_NON_ESP;
	if (len < ESP_HDR_MIN)
		return SOCK_RX_NON_ESP;
	return SOCK_RX_ESP;
}

/* What one received datagram is, with its ESP bytes found; or with UDP
 * GRO a run of them, which sock_rx_next() splits. */
static void
rx_finish(enum outer_kind kind, sa_family_t af, struct sock_rx_slot *s,
    struct msghdr *msg, size_t n)
{
	static struct log_limit lim;
	size_t off = 0, len = n, seg;
	uint8_t t;

	s->esp_off = 0;
	s->esp_len = 0;
	s->len = n < s->cap ? n : s->cap;
	cmsg_read(msg, &t, &seg);
	s->seg = 0;
	s->tos = t;
	if (kind == OUTER_UDP && seg > 0 && seg < n && n <= s->cap) {
		/* A run cut short by the buffer loses its tail only. */
		if (msg->msg_flags & MSG_TRUNC) {
			log_ratelimited(&lim, LOG_LVL_DEBUG, "UDP GRO message "
			    "larger than %zu bytes: its tail is lost", s->cap);
			s->len -= s->len % seg;
		}
		s->seg = seg;
		s->what = SOCK_RX_GRO;
		return;
	}
	/* Larger than any packet we can decrypt in place: drop it whole. */
	if (msg->msg_flags & MSG_TRUNC) {
		log_ratelimited(&lim, LOG_LVL_DEBUG,
		    "outer datagram larger than %zu bytes", s->cap);
		s->what = SOCK_RX_NON_ESP;
		return;
	}
	if (kind == OUTER_ESP && af == AF_INET &&
	    skip_ipv4(s->buf, len, &off, &len, &t) == -1) {
		s->what = SOCK_RX_NON_ESP;
		return;
	}
	s->esp_off = off;
	s->esp_len = len;
	s->tos = t;
	s->what = sock_rx_classify(kind, s->buf + off, len);
}

bool
sock_rx_next(const struct sock_rx_slot *s, size_t *pos, enum sock_rx *what,
    size_t *off, size_t *len)
{
	size_t n;

	if (s->what != SOCK_RX_GRO || s->seg == 0 || s->len > s->cap ||
	    *pos >= s->len)
		return false;
	n = s->len - *pos;
	if (n > s->seg)
		n = s->seg;
	*off = *pos;
	*len = n;
	*what = sock_rx_classify(OUTER_UDP, s->buf + *pos, n);
	*pos += n;
	return true;
}

int
sock_udp_gro(int fd, bool on)
{
	int val = on;

	return setsockopt(fd, SOL_UDP, UDP_GRO, &val, sizeof(val));
}

int
sock_recv_batch(int fd, enum outer_kind kind, sa_family_t af,
    struct sock_rx_slot *slots, size_t n)
{
	struct mmsghdr msgs[SOCK_BATCH_MAX];
	struct iovec iov[SOCK_BATCH_MAX];
	union sock_cmsgbuf cbuf[SOCK_BATCH_MAX];
	size_t i;
	int got;

	if (n > SOCK_BATCH_MAX)
		n = SOCK_BATCH_MAX;
	memset(msgs, 0, n * sizeof(msgs[0]));
	for (i = 0; i < n; i++) {
		memset(&slots[i].src, 0, sizeof(slots[i].src));
		iov[i].iov_base = slots[i].buf;
		iov[i].iov_len = slots[i].cap;
		msgs[i].msg_hdr.msg_name = &slots[i].src;
		msgs[i].msg_hdr.msg_namelen = sizeof(slots[i].src);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_control = cbuf[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i].buf);
	}
	do
		got = recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
	while (got == -1 && errno == EINTR);
	if (got == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	for (i = 0; i < (size_t)got; i++)
		rx_finish(kind, af, &slots[i], &msgs[i].msg_hdr,
		    msgs[i].msg_len);
	return got;
}

enum sock_rx
sock_recv(int fd, enum outer_kind kind, sa_family_t af, uint8_t *buf,
    size_t cap, size_t *esp_off, size_t *esp_len,
    struct sockaddr_storage *src, uint8_t *tos)
{
	struct sock_rx_slot s = { .buf = buf, .cap = cap };
	int got;

	got = sock_recv_batch(fd, kind, af, &s, 1);
	if (got == -1)
		return SOCK_RX_ERROR;
	if (got == 0)
		return SOCK_RX_AGAIN;
	*esp_off = s.esp_off;
	*esp_len = s.esp_len;
	if (src != NULL)
		*src = s.src;
	if (tos != NULL)
		*tos = s.tos;
	return s.what;
}
