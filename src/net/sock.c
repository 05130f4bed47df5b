/* Outer sockets: ESP in UDP (RFC 3948) and raw IP protocol 50.
 *
 * Each packet carries its own outer TOS / traffic class in a control
 * message, so DSCP and ECN can differ per packet without a setsockopt per
 * send. The message setup (msg_prepare) and the classification of what was
 * received (rx_classify) work on one struct msghdr each, so a batch version
 * can fill an array of struct mmsghdr with the same helpers and call
 * sendmmsg(2) / recvmmsg(2) instead. */
#include "src/net/sock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Enough for IP_TOS or IPV6_TCLASS, with room for one unexpected message. */
#define SOCK_CMSG_SPACE  (2 * CMSG_SPACE(sizeof(int)))
#define IPV4_HDR_MIN     20
#define ESP_HDR_MIN      8      /* SPI + sequence number */

union sock_cmsgbuf {
	struct cmsghdr hdr;
	uint8_t        buf[SOCK_CMSG_SPACE];
};

static int
set_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == -1) {
		log_warn("socket option %s", what);
		return -1;
	}
	return 0;
}

static socklen_t
sa_len(sa_family_t af)
{
	if (af == AF_INET)
		return sizeof(struct sockaddr_in);
	if (af == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

/* Options common to UDP and raw ESP: receive the outer TOS, never
 * fragment locally (DF for IPv4; EMSGSIZE instead of fragments for IPv6),
 * so the engine learns the path MTU and shrinks the inner MTU instead. */
static int
set_common(int fd, sa_family_t af)
{
	if (af == AF_INET)
		return set_int(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS") |
		    set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO,
		    "IP_MTU_DISCOVER");
	return set_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS") |
	    set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO,
	    "IPV6_MTU_DISCOVER") |
	    set_int(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1, "IPV6_DONTFRAG");
}

/* Builds the bind address: local (same family) or the wildcard. */
static int
bind_addr(sa_family_t af, const struct sockaddr_storage *local, uint16_t port,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (local != NULL && local->ss_family != AF_UNSPEC) {
		if (local->ss_family != af) {
			log_warnx("socket: local address family %d != %d",
			    local->ss_family, af);
			errno = EAFNOSUPPORT;
			return -1;
		}
		memcpy(ss, local, sa_len(af));
	}
	ss->ss_family = af;
	if (af == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return 0;
}

static int
sock_open(sa_family_t af, int type, int proto,
    const struct sockaddr_storage *local, uint16_t port, const char *what)
{
	struct sockaddr_storage ss;
	char abuf[INET6_ADDRSTRLEN + 16];
	int fd, saved;

	if (af != AF_INET && af != AF_INET6) {
		log_warnx("%s socket: unsupported family %d", what, af);
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (bind_addr(af, local, port, &ss) == -1)
		return -1;
	fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd == -1) {
		log_warn("%s socket", what);
		return -1;
	}
	if (set_common(fd, af) != 0)
		goto fail;
	/* IPV6_V6ONLY keeps IPv4-mapped peers off the IPv6 socket. A raw
	 * socket counts as bound to its protocol from the start, so the
	 * kernel refuses the option there (EINVAL); it never sees IPv4. */
	if (type == SOCK_DGRAM &&
	    (set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") == -1 ||
	    (af == AF_INET6 &&
	    set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY") == -1)))
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sa_len(af)) == -1) {
		log_warn("%s socket: bind %s", what,
		    sockaddr_ntop(&ss, abuf, sizeof(abuf)));
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
sock_udp_open(sa_family_t af, const struct sockaddr_storage *local,
    uint16_t port)
{
	return sock_open(af, SOCK_DGRAM, IPPROTO_UDP, local, port, "UDP");
}

int
sock_esp_open(sa_family_t af, const struct sockaddr_storage *local)
{
	/* No IP_HDRINCL: the kernel writes the outer header, taking the TOS
	 * from the control message and setting DF from IP_MTU_DISCOVER. */
	return sock_open(af, SOCK_RAW, IPPROTO_ESP, local, 0, "raw ESP");
}

/* Fills msg for one datagram to dst with outer TOS tos. to, iov and cbuf
 * belong to the caller so that arrays of them can feed sendmmsg(2). */
static int
msg_prepare(struct msghdr *msg, struct iovec *iov, union sock_cmsgbuf *cbuf,
    struct sockaddr_storage *to, const struct sockaddr_storage *dst,
    uint8_t tos, const uint8_t *data, size_t len)
{
	struct cmsghdr *c;
	socklen_t tolen;
	int val = tos;

	if (dst == NULL || (tolen = sa_len(dst->ss_family)) == 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(to, dst, tolen);
	memset(msg, 0, sizeof(*msg));
	memset(cbuf, 0, sizeof(*cbuf));
	iov->iov_base = (void *)(uintptr_t)data;
	iov->iov_len = len;
	msg->msg_name = to;
	msg->msg_namelen = tolen;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
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

int
sock_send(int fd, enum outer_kind kind, const struct sockaddr_storage *dst,
    uint8_t tos, const uint8_t *esp, size_t len)
{
	struct sockaddr_storage to;
	union sock_cmsgbuf cbuf;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	/* Linux honours the IP_TOS / IPV6_TCLASS control message on raw
	 * sockets as on UDP, ECN bits included (checked by test_net_sock on
	 * 6.18), so no setsockopt(IP_TOS) per change is needed. */
	if (msg_prepare(&msg, &iov, &cbuf, &to, dst, tos, esp, len) == -1)
		return -1;
	/* A raw IPv6 socket takes sin6_port as the protocol number and
	 * refuses any other value (EINVAL); 0 means "this socket's". */
	if (kind == OUTER_ESP && to.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&to)->sin6_port = 0;
	do
		n = sendmsg(fd, &msg, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
sock_send_keepalive(int fd, const struct sockaddr_storage *dst)
{
	static const uint8_t ka = 0xff;

	return sock_send(fd, OUTER_UDP, dst, 0, &ka, sizeof(ka));
}

/* Outer TOS / traffic class from the control messages (0 if absent). */
static uint8_t
cmsg_tos(struct msghdr *msg)
{
	struct cmsghdr *c;
	int val;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_TCLASS)))
			continue;
		/* IPv4 reports one byte, IPv6 an int. */
		if (c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&val, CMSG_DATA(c), sizeof(val));
			return (uint8_t)val;
		}
		if (c->cmsg_len >= CMSG_LEN(1))
			return *(const uint8_t *)CMSG_DATA(c);
	}
	return 0;
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
static enum sock_rx
rx_classify(enum outer_kind kind, const uint8_t *p, size_t len)
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

enum sock_rx
sock_recv(int fd, enum outer_kind kind, sa_family_t af, uint8_t *buf,
    size_t cap, size_t *esp_off, size_t *esp_len,
    struct sockaddr_storage *src, uint8_t *tos)
{
	static struct log_limit lim;
	union sock_cmsgbuf cbuf;
	struct sockaddr_storage ignored;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;
	size_t off = 0, len;
	uint8_t t;

	if (src == NULL)
		src = &ignored;
	memset(src, 0, sizeof(*src));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = cap;
	msg.msg_name = src;
	msg.msg_namelen = sizeof(*src);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(fd, &msg, 0);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return SOCK_RX_AGAIN;
		return SOCK_RX_ERROR;
	}
	/* Larger than any packet we can decrypt in place: drop it whole. */
	if (msg.msg_flags & MSG_TRUNC) {
		log_ratelimited(&lim, LOG_LVL_DEBUG,
		    "outer datagram larger than %zu bytes", cap);
		return SOCK_RX_NON_ESP;
	}
	len = (size_t)n;
	t = cmsg_tos(&msg);
	if (kind == OUTER_ESP && af == AF_INET &&
	    skip_ipv4(buf, len, &off, &len, &t) == -1)
		return SOCK_RX_NON_ESP;
	*esp_off = off;
	*esp_len = len;
	if (tos != NULL)
		*tos = t;
	return rx_classify(kind, buf + off, len);
}

const char *
sockaddr_ntop(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char a[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE + 1];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (ss == NULL) {
		snprintf(buf, len, "(none)");
	} else if (ss->ss_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) != NULL) {
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) != NULL) {
		ifname[0] = '\0';
		if (sin6->sin6_scope_id != 0 &&
		    if_indextoname(sin6->sin6_scope_id, ifname + 1) != NULL)
			ifname[0] = '%';
		snprintf(buf, len, "[%s%s]:%u", a, ifname,
		    ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "(family %d)", ss->ss_family);
	}
	return buf;
}
