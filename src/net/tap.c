/* tap(4) device: the Ethernet sibling of tun.c, for the bridge. */
#include "src/net/tap.h"
#include "src/net/tun.h"

#include <linux/if_tun.h>

int
tap_open(const char *name, char actual[IFNAMSIZ])
{
	return tun_open_flags(name, IFF_TAP | IFF_NO_PI, actual);
}
