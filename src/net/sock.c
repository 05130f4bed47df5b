/* Outer sockets: ESP in UDP (RFC 3948) and raw IP protocol 50: opening
 * them and naming addresses. Sending and receiving are in sock_io.c. */
#include "src/net/sock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
set_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == -1) {
		log_warn("socket option %s", what);
		return -1;
	}
	return 0;
}

socklen_t
sockaddr_len(sa_family_t af)
{
	if (af == AF_INET)
		return sizeof(struct sockaddr_in);
	if (af == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

void
sockaddr_inet_set(union sockaddr_inet *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET)
		memcpy(&a->sin, ss, sizeof(a->sin));
	else if (ss->ss_family == AF_INET6)
		memcpy(&a->sin6, ss, sizeof(a->sin6));
	else
		a->sa.sa_family = AF_UNSPEC;
}

void
sockaddr_inet_get(const union sockaddr_inet *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->sa.sa_family == AF_INET)
		memcpy(ss, &a->sin, sizeof(a->sin));
	else if (a->sa.sa_family == AF_INET6)
		memcpy(ss, &a->sin6, sizeof(a->sin6));
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
		memcpy(ss, local, sockaddr_len(af));
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
	if (bind(fd, (struct sockaddr *)&ss, sockaddr_len(af)) == -1) {
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
