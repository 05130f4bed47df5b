/* The outer sockets in `vpntunctl status`: what sending and receiving
 * cost in system calls, and whether UDP GSO is in use. */
#include "src/engine/engine_internal.h"

#include <event2/buffer.h>

#include "util/json.h"

static const char *const sock_names[OSOCK_MAX] = {
	[OSOCK_UDP4] = "udp4", [OSOCK_UDP6] = "udp6",
	[OSOCK_ESP4] = "esp4", [OSOCK_ESP6] = "esp6",
};

void
outer_json(struct json *j, const struct engine *e)
{
	const struct outer_sock *s;
	int k;

	json_array_begin(j, "outer_sockets");
	for (k = 0; k < OSOCK_MAX; k++) {
		s = &e->socks[k];
		if (s->fd < 0)
			continue;
		json_object_begin(j, NULL);
		json_string(j, "socket", sock_names[k]);
		json_bool(j, "gso", s->gso);
		json_uint(j, "send_calls", s->tx.calls);
		json_uint(j, "send_messages", s->tx.messages);
		json_uint(j, "send_gso_messages", s->tx.gso_messages);
		json_uint(j, "sent", s->tx.datagrams);
		json_uint(j, "receive_calls", s->rx_calls);
		json_uint(j, "received", s->rx_datagrams);
		json_object_end(j);
	}
	json_array_end(j);
}

void
outer_text(const struct engine *e, struct evbuffer *out)
{
	const struct outer_sock *s;
	int k;

	for (k = 0; k < OSOCK_MAX; k++) {
		s = &e->socks[k];
		if (s->fd < 0)
			continue;
		evbuffer_add_printf(out, "socket %s: sent %llu in %llu calls "
		    "(%llu GSO messages%s), received %llu in %llu calls\n",
		    sock_names[k], (unsigned long long)s->tx.datagrams,
		    (unsigned long long)s->tx.calls,
		    (unsigned long long)s->tx.gso_messages,
		    s->kind == OUTER_UDP && !s->gso ? ", GSO off" : "",
		    (unsigned long long)s->rx_datagrams,
		    (unsigned long long)s->rx_calls);
	}
}
