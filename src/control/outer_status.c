/* The fast path in `vpntunctl status`: the tun's offloads, and per
 * outer socket its kernel filter, what the kernel dropped on it (null if
 * it cannot say), and what sending and receiving cost in system calls,
 * with the UDP GSO and GRO runs. */
#include "src/control/control.h"

#include <event2/buffer.h>
#include <linux/if_tun.h>
#include <stdio.h>

#include "src/net/sock_filter.h"
#include "util/json.h"

/* The offloads the tun took, as site.conf(5) names them. */
static void
tun_features(const struct engine *e, char *buf, size_t len)
{
	static const struct { unsigned bit; const char *name; } f[] = {
		{ TUN_F_CSUM, "csum" }, { TUN_F_TSO4, "tso4" },
		{ TUN_F_TSO6, "tso6" },
		{ TUN_OFFLOAD_USO4, "uso4" }, { TUN_OFFLOAD_USO6, "uso6" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(f) / sizeof(f[0]) && n < len; i++)
		if (e->tun.offl.features & f[i].bit)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n > 0 ? " " : "", f[i].name);
}

void
outer_json(struct json *j, const struct engine *e)
{
	const struct outer_sock *s;
	uint32_t drops;
	char feat[64];
	int k;

	tun_features(e, feat, sizeof(feat));
	json_object_begin(j, "tun_offload");
	json_string(j, "features", feat);
	json_uint(j, "super_packets_read", e->offl.super_in);
	json_uint(j, "segments_made", e->offl.segments_out);
	json_uint(j, "super_packets_written", e->offl.super_out);
	json_uint(j, "segments_merged", e->offl.segments_in);
	json_uint(j, "udp_super_packets_written", e->offl.udp_super_out);
	json_uint(j, "udp_datagrams_merged", e->offl.udp_segments_in);
	json_object_end(j);
	json_array_begin(j, "outer_sockets");
	for (k = 0; k < OSOCK_MAX; k++) {
		s = &e->socks[k];
		if (s->fd < 0)
			continue;
		json_object_begin(j, NULL);
		json_string(j, "kind", outer_sock_name(s));
		json_bool(j, "filter", s->filter == OSF_ON);
		json_string(j, "filter_state", outer_filter_name(s->filter));
		json_uint(j, "filter_addrs", s->filter_addrs);
		if (sock_kernel_drops(s->fd, &drops) == 0)
			json_uint(j, "kernel_drops", drops);
		else
			json_null(j, "kernel_drops");
		json_bool(j, "gso", s->gso);
		json_uint(j, "send_calls", s->tx.calls);
		json_uint(j, "send_messages", s->tx.messages);
		json_uint(j, "send_gso_messages", s->tx.gso_messages);
		json_uint(j, "sent", s->tx.datagrams);
		json_uint(j, "receive_calls", s->rx_calls);
		json_uint(j, "received", s->rx_datagrams);
		json_string(j, "gro", outer_gro_name(s->gro));
		json_uint(j, "receive_gro_messages", s->rx_gro_messages);
		json_uint(j, "receive_gro_segments", s->rx_gro_segments);
		json_object_end(j);
	}
	json_array_end(j);
}

void
outer_text(const struct engine *e, struct evbuffer *out)
{
	const struct outer_sock *s;
	uint32_t drops;
	char feat[64];
	int k;

	tun_features(e, feat, sizeof(feat));
	evbuffer_add_printf(out, "tun offloads: %s; read %llu super-packets "
	    "into %llu packets, wrote %llu made of %llu (UDP: %llu made of "
	    "%llu)\n",
	    feat[0] != '\0' ? feat : "none",
	    (unsigned long long)e->offl.super_in,
	    (unsigned long long)e->offl.segments_out,
	    (unsigned long long)e->offl.super_out,
	    (unsigned long long)e->offl.segments_in,
	    (unsigned long long)e->offl.udp_super_out,
	    (unsigned long long)e->offl.udp_segments_in);
	for (k = 0; k < OSOCK_MAX; k++) {
		s = &e->socks[k];
		if (s->fd < 0)
			continue;
		evbuffer_add_printf(out, "socket %s: filter %s",
		    outer_sock_name(s), outer_filter_name(s->filter));
		if (s->filter == OSF_ON)
			evbuffer_add_printf(out, " (%zu addresses)",
			    s->filter_addrs);
		if (sock_kernel_drops(s->fd, &drops) == 0)
			evbuffer_add_printf(out, ", kernel drops %u", drops);
		evbuffer_add_printf(out, "; sent %llu in %llu calls "
		    "(%llu GSO messages%s), received %llu in %llu calls",
		    (unsigned long long)s->tx.datagrams,
		    (unsigned long long)s->tx.calls,
		    (unsigned long long)s->tx.gso_messages,
		    s->kind == OUTER_UDP && !s->gso ? ", GSO off" : "",
		    (unsigned long long)s->rx_datagrams,
		    (unsigned long long)s->rx_calls);
		if (s->kind == OUTER_UDP)
			evbuffer_add_printf(out, " (%llu GRO messages of %llu, "
			    "GRO %s)", (unsigned long long)s->rx_gro_messages,
			    (unsigned long long)s->rx_gro_segments,
			    outer_gro_name(s->gro));
		evbuffer_add_printf(out, "\n");
	}
}
