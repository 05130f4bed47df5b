/* The engine's state, shared by its three parts: src/engine (start,
 * stop, peers, devices and sockets), src/datapath (the packet path) and
 * src/control (control socket, status, reload, state file, liveness);
 * not for other modules. Each part's own functions are declared in its
 * header: src/datapath/datapath.h, src/control/control.h. */
#ifndef VPNTUND_ENGINE_INTERNAL_H
#define VPNTUND_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"
#include "ipx/bridge.h"
#include "src/engine/engine.h"
#include "src/control/liveness.h"
#include "src/datapath/policy.h"
#include "src/datapath/sa.h"
#include "src/datapath/sa_table.h"
#include "src/control/state.h"
#include "src/control/sync.h"
#include "src/esp/esp.h"
#include "src/net/dev.h"
#include "src/net/sock.h"
#include "util/log.h"
#include "util/pkt.h"

struct event;
struct event_base;
struct ctl;
struct monitor;
struct txq;
struct tun_io;
struct evbuffer;
struct eqos;
struct json;
struct hook_runner;
struct resolver;
struct resolve_peer;
struct drop_report;

/* Packets handled per event callback before yielding to the loop, so one
 * busy direction cannot starve the other: one recvmmsg from an outer
 * socket, or as many reads from tun. */
#define ENGINE_BUDGET SOCK_BATCH_MAX

/* Site-level drops: packets that never reached a peer's SA. */
enum site_drop {
	SITE_DROP_NO_SA,        /* inbound SPI unknown */
	SITE_DROP_MALFORMED,    /* not IP from tun, not ESP from outside */
	SITE_DROP_NO_POLICY,    /* no peer for the addresses, or excluded */
	SITE_DROP_TOO_BIG,      /* exceeds the tunnel or outer MTU */
	SITE_DROP_NO_ENDPOINT,  /* dynamic peer not heard from yet */
	SITE_DROP_FILTER,       /* blocked by an `out` rule */
	SITE_DROP_METER,        /* a meter's drop action */
	SITE_DROP_MAX
};
const char *site_drop_name(enum site_drop d);

/* Bridge drops. Frames read from the site's tap: */
enum br_site_drop {
	BR_SITE_NOT_SELECTED,   /* not IPX under `bridge ipx` */
	BR_SITE_TOO_BIG,        /* longer than what fits in the tunnel */
	BR_SITE_FLOOD,          /* over the tap's flood limit */
	BR_SITE_FILTER,         /* blocked by an `out` rule */
	BR_SITE_DROP_MAX
};
/* Frames that arrived from a peer (or, too_big, could not go to it): */
enum br_peer_drop {
	BR_PEER_NOT_SELECTED,
	BR_PEER_TOO_BIG,        /* relayed to this peer, does not fit */
	BR_PEER_ETHERIP,        /* bad EtherIP header or short frame */
	BR_PEER_FLOOD,          /* over this peer's flood limit */
	BR_PEER_NO_TAP,         /* no tap here, or the peer is no bridge port */
	BR_PEER_DROP_MAX
};
const char *br_site_drop_name(enum br_site_drop d);
const char *br_peer_drop_name(enum br_peer_drop d);

/* Ethernet frame bytes, without EtherIP. A frame from peer X relayed to
 * peer Y counts in on X and out on Y. */
struct peer_bridge_stats {
	uint64_t frames_in, bytes_in;
	uint64_t frames_out, bytes_out;
	uint64_t drops[BR_PEER_DROP_MAX];
};

struct peer_stats {
	uint64_t packets_in, bytes_in;          /* inner bytes */
	uint64_t packets_out, bytes_out;
	uint64_t drops[ESP_DROP_MAX];
	uint64_t drop_filter;                   /* blocked by an `in` rule */
	uint64_t drop_unsynced;                 /* no epoch of ours reads it yet */
	uint64_t drop_state;                    /* inbound number not yet durable */
	time_t   last_in;                       /* CLOCK_REALTIME; 0 = never */
};

/* What the SA table maps an inbound SPI to. */
struct spi_ref {
	struct peer  *peer;
	enum sa_kind  kind;
	bool          ctl;                      /* the control channel */
};

/* With `tap-sa dedicated` frames have their own SA pair, keyed like
 * the peer's (same cipher, so the same overhead); allocated only then. */
struct peer_tap {
	struct sa_out            out;
	struct sa_in             in;
	struct spi_ref           ref;
};

struct peer {
	struct engine           *eng;
	const struct peer_conf  *conf;
	bool                     derived;       /* keying derived */
	/* The SA pair of kind SA_MAIN; peer_out() and peer_in() reach
	 * either kind. */
	struct sa_out            out;
	struct sa_in             in;
	struct peer_tap         *tap;           /* NULL: no dedicated tap SA */
	struct spi_ref           ref, ref_ctl;  /* its SPIs, control channel */
	struct peer_sync         sync;
	struct peer_live         live;
	size_t                   esp_overhead;  /* esp_suite_overhead of its suite */
	bool                     integrity;     /* inbound SAs have an ICV */
	union sockaddr_inet      endpoint;
	bool                     have_endpoint;
	struct resolve_peer     *named;         /* endpoint HOSTNAME (resolve.c) */
	struct peer_stats        st;
	struct log_limit         lim_in, lim_out;
	bool                     bridge_port;
	struct peer_bridge_stats br;
};

/* p's SA of kind (SA_TAP: only when p->tap). Like strchr, it takes a
 * const peer so that status code can read through it too. */
static inline struct sa_out *
peer_out(const struct peer *p, enum sa_kind kind)
{
	return kind == SA_TAP ? &p->tap->out : (struct sa_out *)&p->out;
}

static inline struct sa_in *
peer_in(const struct peer *p, enum sa_kind kind)
{
	return kind == SA_TAP ? &p->tap->in : (struct sa_in *)&p->in;
}

/* The site's tap and its learning bridge (src/datapath/ebridge.c); NULL
 * without a tap. Ports are peer indices and BRIDGE_PORT_LOCAL. */
struct ebridge {
	struct bridge     *tab;
	enum bridge_mode   mode;
	struct dev         dev;         /* the tap */
	char               name[IFNAMSIZ];
	unsigned           mtu;         /* of the tap */
	size_t             frame_max;   /* longest frame every bridge peer's
	                                   tunnel carries */
	int                nonip_rule;  /* the `out` rule frames without IP
	                                   match; -1 none */
	struct event      *ev;
	struct pkt        *frame;       /* read buffer */
	bridge_port_t     *ports;       /* bridge_forward's answer, npeers + 1 */
	size_t             nports;
	uint64_t           drops[BR_SITE_DROP_MAX];
	struct log_limit   lim_tap, lim_moved;
};

/* One outer socket per (transport, family) in use. */
enum { OSOCK_UDP4, OSOCK_UDP6, OSOCK_ESP4, OSOCK_ESP6, OSOCK_MAX };
/* Its kernel filter (outer.c), or why it has none. */
enum osock_filter {
	OSF_NONE,                       /* not set up yet */
	OSF_ON,                         /* the static peers' sources only */
	OSF_OFF,                        /* socket-filter no */
	OSF_DYNAMIC,                    /* a dynamic peer may use it */
	OSF_TOO_MANY,                   /* more addresses than a program holds */
	OSF_ERROR,
};
/* UDP generic receive offload (outer.c): site.conf(5) udp-gro. */
enum osock_gro {
	OSG_OFF,                        /* udp-gro no, or raw ESP */
	OSG_ON,
	OSG_REFUSED,                    /* the kernel would not */
};
/* UDP GRO messages per recvmmsg, each SOCK_GRO_MSG_MAX bytes: as many
 * as a batch without GRO, so that datagrams the kernel did not coalesce
 * (many peers, small packets) cost no more calls than with udp-gro off.
 * The buffer is 4 MiB of address space, of which only what runs fill is
 * ever touched. */
#define OUTER_GRO_MSGS ENGINE_BUDGET
/* Messages per call while runs arrive: up to some 350 datagrams. */
#define OUTER_GRO_RUNS 8
struct outer_sock {
	struct engine     *eng;
	int                fd;          /* -1 if not open */
	enum outer_kind    kind;
	sa_family_t        af;
	struct event      *ev;
	enum osock_filter  filter;
	size_t             filter_addrs;        /* distinct, when OSF_ON */
	bool               gso;         /* UDP GSO: on, and the kernel takes it */
	struct sock_tx_stats tx;        /* what sending cost (status) */
	uint64_t           rx_calls;    /* recvmmsg calls that returned some */
	uint64_t           rx_datagrams;
	enum osock_gro     gro;
	bool               gro_runs_seen;       /* in the last call */
	uint64_t           rx_gro_messages;     /* runs of several datagrams */
	uint64_t           rx_gro_segments;     /* the datagrams they held */
};

struct engine {
	struct config       *cf;
	struct event_base   *base;
	struct state        *state;         /* NULL: no manual peers */
	bool                 state_missing; /* it was not there at start */
	bool                 fresh_state;   /* -R: marks may be missing */
	bool                 state_written; /* the start's write is done */
	bool                 hints_dirty;   /* a dynamic peer moved (hints.c) */
	struct log_limit     lim_hints;
	uint64_t             start_id;      /* random, per start (sync.h) */
	struct event        *tick;          /* liveness.c, once a second */
	struct drop_report  *drop_report;   /* drop_report.c */
	struct hook_runner  *hooks;         /* peer-up, peer-down */
	int                  priv_fd;       /* to the privileged parent;
	                                       -1: none (privsep.h) */
	struct peer         *peers;
	size_t               npeers;
	struct sa_table      spis;          /* inbound SPI -> struct peer */
	struct policy_table  pol;           /* outbound policies, compiled */
	struct eqos         *qos;           /* NULL: no rules and no qos block */
	struct ebridge      *br;            /* NULL: no tap */
	struct resolver     *res;           /* NULL: no named endpoints */

	/* The devices' ops (dev_ops_kernel unless a test set others). */
	const struct dev_ops *dev_ops;
	void                *dev_arg;
	struct dev           tun;
	char                 tun_name[IFNAMSIZ];
	unsigned             mtu;
	unsigned             mtu_v4;        /* IPv4 limit: tunnel-mtu may be
	                                       below IPv6's 1280 */
	struct prefix       *routes;        /* routes we added */
	size_t               nroutes;
	bool                 up_ran;

	struct outer_sock    socks[OSOCK_MAX];
	struct event        *tun_ev;
	struct event        *sig_ev[3];
	struct ctl          *ctl;
	struct monitor      *monitor;       /* HTTP status (monitor.h) */
	struct txq          *txq;           /* the send batch (txq.c) */
	struct tun_io       *tunio;         /* tun_io.c */
	struct {
		uint64_t     super_in;      /* super-packets read from tun */
		uint64_t     segments_out;  /* the packets cut from them */
		uint64_t     super_out;     /* coalesced writes to tun */
		uint64_t     segments_in;   /* the packets merged into them */
		uint64_t     udp_super_out; /* of those, UDP ones */
		uint64_t     udp_segments_in;
	}                    offl;

	/* Preallocated: no allocation per packet. */
	struct pkt          *pkt_out;       /* tun -> ESP */
	struct pkt          *pkt_in;        /* ESP -> tun: ENGINE_BUDGET
	                                       buffers, one recvmmsg */
	uint8_t             *gro_in;        /* OUTER_GRO_MSGS messages of
	                                       SOCK_GRO_MSG_MAX; NULL
	                                       without UDP GRO (outer.c) */
	struct pkt          *pkt_icmp;      /* ICMP errors back into tun */
	struct pkt          *pkt_scratch;   /* an AEAD packet's bytes while
	                                       two epochs are tried */
	struct pkt          *pkt_ctl;       /* keepalives */

	uint64_t             drops[SITE_DROP_MAX];
	struct timespec      started;       /* CLOCK_MONOTONIC */
	struct log_limit     lim_tun, lim_sock, lim_spi, lim_malformed;
	long long            icmp_sec;      /* ICMP errors sent this second */
	unsigned             icmp_count;

	/* Reloads (reload.c). */
	engine_loader        load;
	void                *load_arg;
	uint64_t             reloads_done, reloads_failed;
	char                 reload_last[CONF_ERR_MAX];    /* "ok" or why */
};

/* peer.c */
int  peers_init(struct engine *e);
void peers_free(struct engine *e);
/* The suite's name, "aes-cbc-128/hmac-sha1-96", in buf; made when
 * shown, not kept with each peer. */
#define PEER_SUITE_MAX 64
/* "cipher-bits/auth" of what it sends (peer_suite) and receives. */
const char *peer_suite(const struct peer *p, char *buf, size_t len);
const char *peer_suite_in(const struct peer *p, char *buf, size_t len);
/* The kind of SA frames travel on: the tap SA when dedicated. */
enum sa_kind peer_frame_kind(const struct peer *p);
/* The socket to reach p's current endpoint, or NULL. */
struct outer_sock *peer_sock(struct peer *p);
/* The socket of p's transport for the family of dst, or NULL. */
struct outer_sock *peer_sock_to(struct peer *p,
    const struct sockaddr_storage *dst);
/* Whether p's endpoint is at addr's address (any port). */
bool peer_endpoint_is(const struct peer *p, const struct sockaddr_storage *addr);
/* Moves p's endpoint to addr's address with its configured port, logged
 * (a named peer whose name now resolves elsewhere). */
void peer_move_endpoint(struct peer *p, const struct sockaddr_storage *addr);
/* Called after an ESP packet from src authenticated on p's SA. */
void peer_learn_endpoint(struct peer *p, const struct sockaddr_storage *src);
/* Whether src is p's endpoint (address, and port for udp). */
bool peer_at(const struct peer *p, const struct sockaddr_storage *src);
/* Whether src may send on p's SA before authentication (static peers:
 * their configured address; dynamic: anyone). */
bool peer_source_ok(const struct peer *p, const struct sockaddr_storage *src,
    enum outer_kind kind);
/* Outer IP (+ UDP) + ESP worst case for p, for the family given
 * (AF_UNSPEC: worst case, IPv6). */
size_t peer_overhead(const struct peer *p, sa_family_t outer_af);
/* peer_overhead for the family p's packets may take: its endpoint's, or
 * for a dynamic peer the one `outer` pins, else the larger IPv6 header
 * (it may turn up over either family). What MTUs are derived from. */
size_t peer_worst_overhead(const struct peer *p);
/* The same from the configuration alone, before any SA exists. */
size_t peer_conf_worst_overhead(const struct config *cf,
    const struct peer_conf *pc);

/* device.c */
int  device_open(struct engine *e);
void device_close(struct engine *e);
/* A space-separated list of prefixes in a fresh string (hooks). */
char *prefix_list(const struct prefix *p, size_t n);

/* outer.c */
int  outer_open(struct engine *e);
void outer_close(struct engine *e);
/* Sets each open socket's kernel filter as socket-filter now says. */
void outer_filter_all(struct engine *e);
/* "udp4", "udp6", "esp4", "esp6"; "on", "off", "dynamic", ... */
const char *outer_sock_name(const struct outer_sock *s);
const char *outer_gro_name(enum osock_gro g);
const char *outer_filter_name(enum osock_filter f);

#endif
