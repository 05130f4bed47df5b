/* rtnetlink configuration of the tun device: addresses, MTU, link state
 * and routes. No shelling out to ip(8). Each call opens nothing: the
 * caller owns one NETLINK_ROUTE socket from nl_open(). */
#ifndef VPNTUND_NETLINK_H
#define VPNTUND_NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct nl {
	int      fd;
	uint32_t seq;
};

int  nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/* All return 0 or -1 with errno set from the kernel's answer. */
int nl_link_index(struct nl *nl, const char *ifname);   /* >0 or -1 */
int nl_link_set_mtu(struct nl *nl, int ifindex, unsigned mtu);
int nl_link_set_up(struct nl *nl, int ifindex, bool up);
/* addr is 4 or 16 bytes of family af. */
int nl_addr_add(struct nl *nl, int ifindex, sa_family_t af, const void *addr,
    uint8_t prefixlen);
int nl_route_add(struct nl *nl, int ifindex, sa_family_t af, const void *dst,
    uint8_t prefixlen);
int nl_route_del(struct nl *nl, int ifindex, sa_family_t af, const void *dst,
    uint8_t prefixlen);
/* Deletes a link (used to remove a persistent tun on exit). */
int nl_link_del(struct nl *nl, int ifindex);

#endif
