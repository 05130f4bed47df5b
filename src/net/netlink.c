/* rtnetlink requests with acknowledgements. Every request carries
 * NLM_F_ACK and a fresh sequence number; the answer is read until the
 * NLMSG_ERROR with that sequence number arrives, and its error code becomes
 * errno. Every nlmsghdr is length-checked before its payload is read. */
#include "src/net/netlink.h"
#include "util/log.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* Our requests are a header, one fixed struct and a few small attributes. */
#define NL_REQ_MAX   512
/* Answers to non-dump requests: one link message (a few KiB) plus an ACK. */
#define NL_RECV_MAX  32768
/* A kernel that does not answer within this time is treated as failed. */
#define NL_TIMEOUT_S 5

struct nl_req {
	union {
		struct nlmsghdr hdr;
		uint8_t         buf[NL_REQ_MAX];
	} u;
};

/* Called for each non-error answer message carrying our sequence number. */
typedef int (*nl_cb)(const struct nlmsghdr *, void *);

int
nl_open(struct nl *nl)
{
	struct sockaddr_nl sa;
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int one = 1, saved;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd == -1) {
		log_warn("netlink: socket");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		saved = errno;
		log_warn("netlink: bind/timeout");
		close(nl->fd);
		nl->fd = -1;
		errno = saved;
		return -1;
	}
	/* Optional: small ACKs and the kernel's reason text; not fatal. */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Start away from zero so answers to a previous process's socket with
	 * the same port id cannot be mistaken for ours. */
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

void
nl_close(struct nl *nl)
{
	if (nl->fd != -1)
		close(nl->fd);
	nl->fd = -1;
}

static void
req_init(struct nl_req *r, uint16_t type, uint16_t flags, const void *fixed,
    size_t fixedlen)
{
	memset(r, 0, sizeof(*r));
	r->u.hdr.nlmsg_len = NLMSG_LENGTH(fixedlen);
	r->u.hdr.nlmsg_type = type;
	r->u.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(&r->u.hdr), fixed, fixedlen);
}

static int
req_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->u.hdr.nlmsg_len);
	struct rtattr rta;

	if (len > NL_REQ_MAX || off + RTA_SPACE(len) > sizeof(r->u.buf)) {
		log_warnx("netlink: request full: %zu + %zu > %zu", off,
		    (size_t)RTA_SPACE(len), sizeof(r->u.buf));
		errno = ENOBUFS;
		return -1;
	}
	rta.rta_len = RTA_LENGTH(len);
	rta.rta_type = type;
	memcpy(r->u.buf + off, &rta, sizeof(rta));
	memcpy(r->u.buf + off + RTA_LENGTH(0), data, len);
	r->u.hdr.nlmsg_len = off + RTA_SPACE(len);
	return 0;
}

static int
req_attr_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	return req_attr(r, type, &v, sizeof(v));
}

/* The kernel's explanation (NLMSGERR_ATTR_MSG) of a failed request, if the
 * extended ACK carries one; only for the log. */
static void
log_ext_ack(const struct nlmsghdr *h, size_t off)
{
	const uint8_t *p = (const uint8_t *)h;
	struct rtattr rta;
	size_t alen;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (off + sizeof(rta) <= h->nlmsg_len) {
		memcpy(&rta, p + off, sizeof(rta));
		alen = rta.rta_len;
		if (alen < sizeof(rta) || alen > h->nlmsg_len - off)
			return;
		if (rta.rta_type == NLMSGERR_ATTR_MSG && alen > sizeof(rta))
			log_debug("netlink: kernel says: %.*s",
			    (int)(alen - sizeof(rta)), p + off + sizeof(rta));
		off += RTA_ALIGN(alen);
	}
}

/* Handles one answer message; returns 1 when the request is finished
 * (*err = 0, or -1 with errno set), 0 to keep reading. A failing callback
 * sets *cberr but reading goes on to the ACK so the socket stays in step. */
static int
handle_msg(const struct nlmsghdr *h, uint32_t seq, nl_cb cb, void *arg,
    int *err, int *cberr)
{
	struct nlmsgerr e;
	size_t skip;

	if (h->nlmsg_seq != seq) {
		log_debug("netlink: stale answer seq %u (want %u)",
		    h->nlmsg_seq, seq);
		return 0;
	}
	switch (h->nlmsg_type) {
	case NLMSG_ERROR:
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e))) {
			log_warnx("netlink: short error message: %u < %zu",
			    h->nlmsg_len, (size_t)NLMSG_LENGTH(sizeof(e)));
			errno = EPROTO;
			*err = -1;
			return 1;
		}
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
		if (e.error == 0) {
			*err = 0;
			return 1;
		}
		/* Extended ACK TLVs follow the echoed request (only its header
		 * when NLM_F_CAPPED). */
		skip = NLMSG_LENGTH(sizeof(e));
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			skip = NLMSG_ALIGN(NLMSG_HDRLEN + sizeof(int) +
			    e.msg.nlmsg_len);
		log_ext_ack(h, skip);
		errno = e.error < 0 ? -e.error : EPROTO;
		*err = -1;
		return 1;
	case NLMSG_DONE:
		*err = 0;
		return 1;
	case NLMSG_NOOP:
		return 0;
	case NLMSG_OVERRUN:
		errno = ENOBUFS;
		*err = -1;
		return 1;
	default:
		if (cb != NULL && *cberr == 0 && cb(h, arg) == -1)
			*cberr = errno ? errno : EPROTO;
		return 0;
	}
}

/* Sends r and waits for its ACK. Later batching could put several requests
 * in one send; the sequence check already allows that. */
static int
nl_transact(struct nl *nl, struct nl_req *r, nl_cb cb, void *arg)
{
	uint8_t buf[NL_RECV_MAX] __attribute__((aligned(4)));
	struct sockaddr_nl sa;
	struct iovec iov;
	struct msghdr msg;
	const struct nlmsghdr *h;
	ssize_t n;
	size_t off;
	int err = 0, cberr = 0;

	r->u.hdr.nlmsg_seq = ++nl->seq;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(nl->fd, r->u.buf, r->u.hdr.nlmsg_len, 0,
	    (struct sockaddr *)&sa, sizeof(sa)) == -1)
		return -1;
	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_name = &sa;
		msg.msg_namelen = sizeof(sa);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = recvmsg(nl->fd, &msg, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			log_warnx("netlink: answer truncated at %zu", sizeof(buf));
			errno = EMSGSIZE;
			return -1;
		}
		if (msg.msg_namelen < sizeof(sa) || sa.nl_pid != 0)
			continue;       /* not from the kernel */
		for (off = 0; (size_t)n - off >= sizeof(*h);) {
			h = (const struct nlmsghdr *)(buf + off);
			if (h->nlmsg_len < sizeof(*h) ||
			    h->nlmsg_len > (size_t)n - off) {
				log_warnx("netlink: bad message length %u "
				    "(%zu left)", h->nlmsg_len, (size_t)n - off);
				errno = EPROTO;
				return -1;
			}
			if (handle_msg(h, nl->seq, cb, arg, &err, &cberr)) {
				if (err == 0 && cberr != 0) {
					errno = cberr;
					return -1;
				}
				return err;
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
			if (off > (size_t)n)
				break;
		}
	}
}

static int
link_index_cb(const struct nlmsghdr *h, void *arg)
{
	struct ifinfomsg ifi;

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifi))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&ifi, NLMSG_DATA(h), sizeof(ifi));
	*(int *)arg = ifi.ifi_index;
	return 0;
}

int
nl_link_index(struct nl *nl, const char *ifname)
{
	struct nl_req r;
	struct ifinfomsg ifi;
	size_t n = ifname != NULL ? strlen(ifname) : 0;
	int index = 0;

	if (n == 0 || n >= IFNAMSIZ) {
		errno = EINVAL;
		return -1;
	}
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	req_init(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	if (req_attr(&r, IFLA_IFNAME, ifname, n + 1) == -1)
		return -1;
	if (nl_transact(nl, &r, link_index_cb, &index) == -1)
		return -1;
	if (index <= 0) {
		errno = ENODEV;
		return -1;
	}
	return index;
}

static void
link_msg(struct nl_req *r, uint16_t type, int ifindex, unsigned flags,
    unsigned change)
{
	struct ifinfomsg ifi;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = flags;
	ifi.ifi_change = change;
	req_init(r, type, 0, &ifi, sizeof(ifi));
}

int
nl_link_set_mtu(struct nl *nl, int ifindex, unsigned mtu)
{
	struct nl_req r;

	link_msg(&r, RTM_NEWLINK, ifindex, 0, 0);
	if (req_attr_u32(&r, IFLA_MTU, mtu) == -1)
		return -1;
	return nl_transact(nl, &r, NULL, NULL);
}

int
nl_link_set_up(struct nl *nl, int ifindex, bool up)
{
	struct nl_req r;

	/* ifi_change limits the change to IFF_UP; other flags stay. */
	link_msg(&r, RTM_NEWLINK, ifindex, up ? IFF_UP : 0, IFF_UP);
	return nl_transact(nl, &r, NULL, NULL);
}

int
nl_link_del(struct nl *nl, int ifindex)
{
	struct nl_req r;

	link_msg(&r, RTM_DELLINK, ifindex, 0, 0);
	return nl_transact(nl, &r, NULL, NULL);
}

static int
addr_len(sa_family_t af, uint8_t prefixlen)
{
	int len;

	if (af == AF_INET)
		len = 4;
	else if (af == AF_INET6)
		len = 16;
	else
		return -1;
	if (prefixlen > len * 8)
		return -1;
	return len;
}

int
nl_addr_add(struct nl *nl, int ifindex, sa_family_t af, const void *addr,
    uint8_t prefixlen)
{
	struct nl_req r;
	struct ifaddrmsg ifa;
	int len;

	if ((len = addr_len(af, prefixlen)) == -1 || ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = af;
	ifa.ifa_prefixlen = prefixlen;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = ifindex;
	/* No duplicate address detection on a point-to-point tun: the
	 * address must be usable at once (RFC 4862 5.4 allows skipping). */
	if (af == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	/* REPLACE makes a restart with the same address succeed. */
	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa,
	    sizeof(ifa));
	if (af == AF_INET && req_attr(&r, IFA_LOCAL, addr, len) == -1)
		return -1;
	if (req_attr(&r, IFA_ADDRESS, addr, len) == -1)
		return -1;
	return nl_transact(nl, &r, NULL, NULL);
}

static int
route_msg(struct nl_req *r, uint16_t type, uint16_t flags, int ifindex,
    sa_family_t af, const void *dst, uint8_t prefixlen)
{
	struct rtmsg rtm;
	uint8_t net[16];
	int len, i;

	if ((len = addr_len(af, prefixlen)) == -1 || ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	/* The kernel refuses IPv4 prefixes with host bits set; the route is
	 * to the network, so clear them. */
	memcpy(net, dst, len);
	for (i = 0; i < len; i++) {
		if (prefixlen >= (i + 1) * 8)
			continue;
		if (prefixlen <= i * 8)
			net[i] = 0;
		else
			net[i] &= (uint8_t)(0xff << (8 - (prefixlen - i * 8)));
	}
	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = af;
	rtm.rtm_dst_len = prefixlen;
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = RT_SCOPE_LINK;
	rtm.rtm_type = RTN_UNICAST;
	req_init(r, type, flags, &rtm, sizeof(rtm));
	if (req_attr(r, RTA_DST, net, len) == -1 ||
	    req_attr_u32(r, RTA_OIF, (uint32_t)ifindex) == -1)
		return -1;
	return 0;
}

int
nl_route_add(struct nl *nl, int ifindex, sa_family_t af, const void *dst,
    uint8_t prefixlen)
{
	struct nl_req r;

	/* EXCL, not REPLACE: a route the operator installed for the same
	 * prefix must not be taken over (and then deleted at our exit). The
	 * caller sees EEXIST and leaves that route alone. */
	if (route_msg(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifindex,
	    af, dst, prefixlen) == -1)
		return -1;
	return nl_transact(nl, &r, NULL, NULL);
}

int
nl_route_del(struct nl *nl, int ifindex, sa_family_t af, const void *dst,
    uint8_t prefixlen)
{
	struct nl_req r;

	if (route_msg(&r, RTM_DELROUTE, 0, ifindex, af, dst, prefixlen) == -1)
		return -1;
	return nl_transact(nl, &r, NULL, NULL);
}
