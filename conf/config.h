/* The parsed site.conf. Everything the daemon needs is here, checked as a
 * whole before anything starts (see config_load). */
#ifndef VPNTUND_CONFIG_H
#define VPNTUND_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "crypto/crypto.h"
#include "qos/cbq.h"
#include "qos/match.h"
#include "qos/meter.h"
#include "util/prefix.h"

#define CONF_NAME_MAX   32
#define CONF_PORT_DEFAULT 4500
#define CONF_HOST_MAX   254     /* a host name of 253 characters, NUL */
#define CONF_RESOLVERS_MAX 4
/* How often a named endpoint is resolved again: its answer's TTL,
 * clamped to these (site.conf(5), resolve-interval). */
#define CONF_RESOLVE_MIN_DEFAULT 30
#define CONF_RESOLVE_MAX_DEFAULT 3600
/* The control socket of a site block without `control`, and where
 * vpntunctl looks without -s or -c. */
#define CONF_CONTROL_DEFAULT "/run/vpntund/vpntund.sock"

enum site_role { ROLE_CENTRAL, ROLE_REMOTE };
enum transport { TRANSPORT_UDP, TRANSPORT_ESP };
/* Where an SA's keys come from (site.conf(5), KEYING AND RESTARTS):
 * derived from the key file per key epoch, in step with a vpntund peer;
 * or the key file's keys as they are, for peers that are not vpntund. */
enum keying { KEYING_DERIVED, KEYING_MANUAL };
/* What a receiver accepts in the ESP padding bytes (RFC 4303 2.4):
 * 1, 2, 3, ... only; those or all zero (KAME's -f zero-pad); anything
 * (-f random-pad). Senders always pad 1, 2, 3, ... */
enum padding { PADDING_STRICT, PADDING_ZERO, PADDING_ANY };

/* "central"/"remote" and "udp"/"esp", as written in site.conf. */
const char *role_name(enum site_role);
const char *transport_name(enum transport);
/* "strict", "zero" or "any". */
const char *padding_name(enum padding);

/* One traffic selector pair: packets from local to remote go out through
 * the peer's SA; packets arriving on its SA must come from remote to local. */
struct policy_conf {
	struct prefix local;
	struct prefix remote;
	bool          funnel;           /* written as `funnel` (paper 3.3) */
	bool          implied;          /* the default tunnel: none written */
	int           line;
};

/* The order in which outbound packets are matched against the peers'
 * policies: the longest remote prefix first, then as written; a pair of
 * two families never matches and is left out. The engine compiles its
 * policy table in this order and `vpntund -n -v` shows it. Returns the
 * policies so ordered (malloc'd, *n of them), or NULL if out of memory. */
struct policy_ref {
	size_t peer;                    /* index in the peers */
	size_t idx;                     /* in that peer's policies */
};
struct peer_conf;
struct policy_ref *policy_order(const struct peer_conf *peers, size_t npeers,
    size_t *n);

/* Keys of one SA, in the order RFC 4106 KEYMAT uses: cipher key, salt. */
struct sa_keys {
	uint8_t enc[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX];
	size_t  enc_len;                /* key + salt */
	uint8_t auth[CRYPTO_AUTHKEY_MAX];
	size_t  auth_len;
};

/* The transforms of one direction of a peer's SA pair. */
struct sa_suite {
	const struct cipher_info *cipher;
	size_t                    key_bits;   /* cipher key, without salt */
	const struct auth_info   *auth;
};

/* A field added to peer_conf or site_conf is one a reload must not
 * change unless the engine can apply it: list it in conf/reload.c. */
struct peer_conf {
	char                      name[CONF_NAME_MAX];
	int                       line;           /* where the block starts */
	enum site_role            role;           /* opposite of ours unless set */
	struct prefix             network;        /* its primary overlay network */
	bool                      dynamic;        /* endpoint learned from packets */
	struct sockaddr_storage   endpoint;       /* address and port, if not dynamic
	                                             (family AF_UNSPEC if named) */
	char                     *endpoint_name;  /* a host name the daemon
	                                             resolves, or NULL */
	enum transport            transport;
	uint16_t                  port;           /* UDP port of the peer */
	/* What we receive with and what we send with: the same unless
	 * `sa in` and `sa out` set each (sa_split). */
	struct sa_suite           suite_in;
	struct sa_suite           suite_out;
	bool                      allow_weak_cipher; /* des-cbc allowed */
	uint32_t                  spi_in;         /* SPI we receive with */
	uint32_t                  spi_out;        /* SPI we send with */
	bool                      spi_explicit;
	char                     *key_file;       /* set with have_key */
	/* `sa in` / `sa out` (keying manual): each direction its own key
	 * file of one block, instead of key_file's two. */
	bool                      sa_split;
	char                     *sa_key_file_in;
	char                     *sa_key_file_out;
	/* Filled by config_load, each allocated on its own, until the
	 * engine has keyed its SAs with them (config_drop_keys). */
	struct sa_keys           *key_in;
	struct sa_keys           *key_out;
	uint32_t                  replay_window;  /* packets; 0 = off */
	enum padding              padding;        /* default PADDING_STRICT */
	bool                      esn;
	enum keying               keying;         /* default KEYING_DERIVED */
	/* SA lifetimes (RFC 4301 4.4.2.1): at the hard limit a derived SA
	 * moves to its next key epoch and a manual one stops sending; the
	 * soft limit warns. Defaults depend on the cipher and esn. */
	uint64_t                  life_bytes, life_bytes_soft; /* hard, soft */
	uint64_t                  life_packets, life_packets_soft;
	unsigned                  keepalive;      /* seconds, 0 = off */
	unsigned                  dead;           /* seconds, 0 = never */
	struct policy_conf       *policies;
	size_t                    npolicies;
	/* The bridge: frames of the site's tap (EtherIP, next header 97). */
	bool                      bridge;         /* a bridge port (default:
	                                             yes when the site has a tap) */
	bool                      tap_sa;         /* frames on their own SA pair */
	char                     *tap_key_file;   /* set with tap_sa */
	struct sa_keys           *tap_key_in;     /* with tap_sa, as key_in */
	struct sa_keys           *tap_key_out;
	uint32_t                  tap_spi_in;     /* spi_derive_tap() */
	uint32_t                  tap_spi_out;
	/* SHA-256 of a per-process random salt and a pair of keys: outlives
	 * the keys, which the engine wipes once its SAs hold them, so that
	 * a reload can tell whether a key file changed (conf/reload.c). */
	uint8_t                   key_id[32];
	uint8_t                   tap_key_id[32];
};

struct site_conf {
	char                    name[CONF_NAME_MAX];
	enum site_role          role;
	char                    tun[IFNAMSIZ];
	struct prefix           networks[8];      /* overlay networks; [0] primary */
	size_t                  nnetworks;
	struct prefix           addresses[8];     /* tun addresses (addr/len) */
	size_t                  naddresses;
	struct prefix           excludes[16];     /* never enter the VPN */
	size_t                  nexcludes;
	struct sockaddr_storage outer;            /* bind address; family AF_UNSPEC = any */
	uint16_t                port;             /* local UDP port */
	unsigned                outer_mtu;        /* path MTU, default 1500 */
	unsigned                mtu;              /* tun MTU; 0 = derive */
	char                    up[PATH_MAX];     /* hook scripts, "" = none */
	char                    down[PATH_MAX];
	char                    peer_up[PATH_MAX];   /* a peer becomes up */
	char                    peer_down[PATH_MAX]; /* ... or down */
	unsigned                hook_timeout;     /* seconds, then killed */
	char                    state_file[PATH_MAX];
	uint64_t                state_ahead;      /* numbers reserved ahead */
	char                    control[PATH_MAX];
	bool                    log_syslog;
	int                     log_level;        /* enum log_level */
	bool                    socket_filter;    /* kernel filter on the
	                                             outer sockets (default) */
	/* The tap device and its learning bridge; tap[0] == '\0'
	 * means no tap (and no bridge). */
	char                    tap[IFNAMSIZ];
	unsigned                tap_mtu;          /* 0 = derive from the tunnel */
	int                     tap_line;         /* for errors found at start */
	bool                    bridge_all;       /* `bridge all`; else ipx */
	unsigned                bridge_age;       /* seconds */
	uint32_t                bridge_table;     /* entries */
	uint32_t                bridge_flood_rate;  /* frames/s per port, 0 = off */
	uint32_t                bridge_flood_burst;
	/* The fast path's kernel offloads, each on unless turned off. */
	bool                    udp_gso;          /* `udp-gso` */
	bool                    udp_gro;          /* `udp-gro` */
	bool                    tun_offload;      /* `tun-offload` */
	/* Named endpoints: DNS servers to ask instead of resolv.conf's,
	 * and the bounds on the interval between lookups, in seconds. */
	struct prefix           resolvers[CONF_RESOLVERS_MAX];
	size_t                  nresolvers;
	unsigned                resolve_min, resolve_max;
	/* `user`: after start-up the packet process runs as this user,
	 * without capabilities, under a seccomp filter; "" = stays root.
	 * uid and gid are set by config_resolve_user(). */
	char                    user[CONF_NAME_MAX];
	int                     user_line;
	uid_t                   uid;
	gid_t                   gid;
	/* The HTTP status server; family AF_UNSPEC = off. */
	struct sockaddr_storage monitor;
};

/* Filter and classification rules: one rule language, compiled
 * into one matcher. `out` rules see packets read from tun/tap before they
 * enter the tunnel; `in` rules see packets that arrived through it, after
 * decryption. The first matching rule decides; a packet no rule matches
 * passes, in the default class. */
enum rule_action { RULE_PASS, RULE_BLOCK };
enum rule_dir { RULE_DIR_ANY, RULE_DIR_IN, RULE_DIR_OUT };

struct rule_conf {
	struct match_rule match;        /* match.result = index of this rule */
	enum rule_action  action;
	enum rule_dir     dir;
	int               queue;        /* class index, -1 = default class */
	int               meter;        /* meter index, -1 = none */
	int               line;
};

struct meter_def {
	char              name[CONF_NAME_MAX];
	struct meter_conf conf;
	int               line;
};

/* The `qos` block: the scheduler of the uplink. */
struct qos_conf {
	bool                  enabled;
	uint64_t              bandwidth;          /* bits/s */
	unsigned              tunnel_mtu;         /* 0 = as derived */
	bool                  mss_clamp;          /* default: yes if tunnel_mtu */
	struct cbq_class_conf classes[CBQ_CLASSES_MAX];
	int                   class_line[CBQ_CLASSES_MAX];
	size_t                nclasses;
	int                   line;
	int                   bridge_class;       /* frames of the tap; -1 none */
};

/* A macro as it stood at the end of the file, address expressions
 * evaluated: what `vpntund -n -v` shows. */
#define CONF_VAR_VALUE_MAX 1040
struct conf_var {
	char name[64];
	char value[CONF_VAR_VALUE_MAX];   /* strings in double quotes */
};

struct config {
	char              file[PATH_MAX];
	struct site_conf  site;
	struct peer_conf *peers;
	size_t            npeers;
	struct qos_conf   qos;
	struct rule_conf *rules;
	size_t            nrules;
	struct meter_def *meters;
	size_t            nmeters;
	struct conf_var  *vars;           /* in the order first defined */
	size_t            nvars;
};

#define CONF_ERR_MAX 512
struct conf_error {
	char msg[CONF_ERR_MAX];           /* "file:line: expected ..." */
};

/* Parses, includes, resolves variables and address arithmetic, derives
 * SPIs, reads and checks key files, and checks the whole config. On error
 * returns -1 with err->msg set and nothing left allocated. */
int  config_load(const char *path, struct config *cf, struct conf_error *err)
    __attribute__((warn_unused_result));
/* The same parse and checks without reading any key file (the peers'
 * keys stay NULL): for vpntunctl -c, which wants the site block's
 * control path and has no business with the keys. */
int  config_load_nokeys(const char *path, struct config *cf,
    struct conf_error *err) __attribute__((warn_unused_result));
/* Parses from memory (tests); name is used in messages, key files are
 * resolved relative to base_dir. */
int  config_load_string(const char *name, const char *text, const char *base_dir,
    struct config *cf, struct conf_error *err) __attribute__((warn_unused_result));
/* Wipes keys and frees. */
void config_free(struct config *cf);

/* Looks up the site's `user` in the system's user database: done when
 * the daemon starts or checks the file on the router (vpntund -n), not
 * by config_load(), so that a file can be read where the user does not
 * exist. 0 (also with no user), or -1 with err set (file:line). */
int  config_resolve_user(struct config *cf, struct conf_error *err);

/* Every file the parser reads is opened with conf_open(path, flags),
 * flags being O_RDONLY with O_NONBLOCK, O_CLOEXEC and maybe O_NOFOLLOW:
 * open(2) unless conf_set_opener() named another function (NULL: back
 * to open(2)), which returns a descriptor or -1 with errno set. */
typedef int (*conf_open_fn)(const char *path, int flags, void *arg);
void conf_set_opener(conf_open_fn fn, void *arg);
int  conf_open(const char *path, int flags);
/* Whether conf_open() has opened the file of canonical path real with
 * open(2) (the files a privileged parent may open for its child). */
bool conf_opened_before(const char *real);
/* The canonical path of fd, opened from path: malloc'd, or NULL. */
char *conf_fd_path(int fd, const char *path);
/* Wipes and frees the peers' keys, leaving their fingerprints (key_id):
 * what the engine does once its SAs hold them. */
void config_drop_keys(struct config *cf);
/* Logs (log_warnx) what a loaded config allows but should not be
 * mistaken for safe: a CBC peer without integrity (auth none), a 64-bit
 * block cipher past the SWEET32 bound. For vpntund and vpntund -n. */
void config_warn(const struct config *cf);
/* Prints the configuration as loaded and resolved (vpntund -n -v):
 * macros, the site, each peer with its SPIs, the policies in the order
 * outbound packets meet them, QoS, meters and rules. Never key bytes. */
void config_show(FILE *out, const struct config *cf);
/* Whether a running daemon configured by old can take new by reloading
 * (conf/reload.c): 0 if new differs only in its rules, meters, the qos
 * block's bandwidth, classes and mss-clamp, and log-level; else -1 with
 * err->msg naming
 * the first other change ("file:line: peer \"x\": key changed; restart
 * vpntund to apply it"). */
int  config_reload_check(const struct config *old, const struct config *new,
    struct conf_error *err);

/* Bytes of one block of a key file (site.conf(5), KEY FILES): cipher key,
 * salt (AEAD), auth key (ai may be NULL: none). */
size_t keyfile_block_len(const struct cipher_info *ci, size_t key_bits,
    const struct auth_info *ai);
/* A cipher and auth as site.conf names them (conf/keygen.c): NULL names
 * and key_bits 0 take the defaults a peer block has; -1 with err->msg
 * for what a peer block would refuse. */
int  keyfile_suite(const char *cipher, size_t key_bits, const char *auth,
    const struct cipher_info **ci, size_t *bits, const struct auth_info **ai,
    struct conf_error *err);
/* Writes a new key file at path for the suite, from fresh random bytes:
 * two blocks (central -> remote, remote -> central) that config_load
 * reads. Mode 0600; refuses an existing path unless replace, which puts
 * a new file in its place at once (a temporary file renamed over it).
 * -1 with err->msg. */
int  keyfile_generate(const char *path, const struct cipher_info *ci,
    size_t key_bits, const struct auth_info *ai, bool replace,
    struct conf_error *err) __attribute__((warn_unused_result));

/* The documented SPI formula (docs/site.conf.5.md, "SPI derivation"):
 * the SPI of traffic from the site with network `from` and role from_role
 * to the site with network `to`. Never 0-255. */
uint32_t spi_derive(const struct prefix *from, enum site_role from_role,
    const struct prefix *to);
/* The same formula with its own label, "vpntund-spi-tap-v1": the SPI of
 * the dedicated tap SA (`tap-sa dedicated`) in the same direction. */
uint32_t spi_derive_tap(const struct prefix *from, enum site_role from_role,
    const struct prefix *to);
/* The same with the label "vpntund-spi-ctl-v1": the SPI of the control
 * channel over which derived keying synchronises after a restart. */
uint32_t spi_derive_ctl(const struct prefix *from, enum site_role from_role,
    const struct prefix *to);

/* Defaults of the bridge statements (docs/site.conf.5.md). */
#define CONF_BRIDGE_AGE_DEFAULT    300
#define CONF_BRIDGE_TABLE_DEFAULT  4096
#define CONF_BRIDGE_TABLE_MAX      262144
#define CONF_BRIDGE_RATE_DEFAULT   100
#define CONF_BRIDGE_BURST_DEFAULT  200

/* state-ahead: how far ahead of need the state file reserves sequence
 * numbers (a crash skips at most this many). */
#define CONF_STATE_AHEAD_DEFAULT   (1ULL << 20)
#define CONF_STATE_AHEAD_MIN       1024
#define CONF_STATE_AHEAD_MAX       (1ULL << 32)

/* Default of hook-timeout, seconds. */
#define CONF_HOOK_TIMEOUT_DEFAULT  10
/* Default of keepalive, seconds; dead defaults to 4 x keepalive. */
#define CONF_KEEPALIVE_DEFAULT     10

#endif
