/* The messages between the packet process and its privileged parent
 * (privsep.h). Every message is one SOCK_SEQPACKET datagram of exactly
 * its struct's size; strings are NUL-terminated within their arrays. */
#ifndef VPNTUND_ENGINE_PRIVSEP_MSG_H
#define VPNTUND_ENGINE_PRIVSEP_MSG_H

#include <limits.h>
#include <stdint.h>

#include "src/control/liveness.h"

enum priv_type {
	PRIV_HOOK = 1,          /* child -> parent, no answer */
	PRIV_OPEN,              /* child -> parent, answered by ... */
	PRIV_OPENED,            /* ... this, with the descriptor if error 0 */
};

struct priv_hook {
	uint32_t type;
	uint32_t up;            /* 1 peer-up, 0 peer-down */
	uint32_t peer;          /* index in the configuration */
	char     endpoint[PEER_ENDPOINT_TEXT];
};

struct priv_open {
	uint32_t type;
	int32_t  flags;         /* only O_NOFOLLOW is taken from here */
	char     path[PATH_MAX];
};

struct priv_opened {
	uint32_t type;
	int32_t  error;         /* errno, 0 with a descriptor */
};

#endif
