/* Internals shared by the files of conf/: the token stream (lexer.c), the
 * address arithmetic (addr.c, expr.c), key files (keyfile.c) and the
 * whole-config pass (check.c). Not part of the config.h contract. */
#ifndef VPNTUND_CONF_INT_H
#define VPNTUND_CONF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/addrexpr.h"
#include "conf/config.h"

#define CONF_INCLUDE_MAX 8
#define CONF_TOKEN_MAX   1024

/* QoS bounds and defaults (docs/site.conf.5.md, QOS, METERS, RULES). */
#define CONF_RATE_MAX          100000000000ULL  /* 100Gbit, as cbq_new */
#define CONF_BYTES_MAX         4294967295ULL
#define CONF_LIMIT_PACKETS_MAX 16384            /* cbq's ring */
#define CONF_LIMIT_DEFAULT     50               /* packets */
#define CONF_PRIO_DEFAULT      4
#define CONF_METERS_MAX        1024
#define CONF_RULES_MAX         100000

/* SA lifetimes (site.conf(5), lifetime). 64-bit blocks: the SWEET32
 * bound; others: 2^38 bytes. Without esn the last sequence number is
 * 2^32 - 1, so the default leaves room below it. */
#define CONF_LIFE_BYTES_64BIT       (64ULL << 20)
#define CONF_LIFE_BYTES_64BIT_SOFT  (48ULL << 20)
#define CONF_LIFE_BYTES             (1ULL << 38)
#define CONF_LIFE_BYTES_SOFT        (192ULL << 30)
#define CONF_LIFE_PACKETS           4000000000ULL
#define CONF_LIFE_PACKETS_SOFT      3000000000ULL
#define CONF_LIFE_PACKETS_ESN       (1ULL << 40)
#define CONF_LIFE_PACKETS_ESN_SOFT  (3ULL << 38)
#define CONF_LIFE_BYTES_MIN         4096
#define CONF_LIFE_BYTES_MAX         (1ULL << 60)
#define CONF_LIFE_PACKETS_MIN       16
#define CONF_SEQ_MAX_NO_ESN         4294967295ULL

enum tok {
	T_EOF,
	T_EOS,          /* newline or ';' */
	T_LBRACE,
	T_RBRACE,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_EQ,
	T_PLUS,
	T_MINUS,
	T_SLASH,
	T_ARROW,        /* <-> */
	T_WORD,
	T_STRING,
	T_VALUE,        /* a macro that holds an evaluated address expression */
	T_ERROR,        /* the lexer has set the error message */
};

struct token {
	enum tok     type;
	int          line;
	const char  *file;          /* name for messages; lives in the lexer */
	const char  *dir;           /* directory of that file */
	char         text[CONF_TOKEN_MAX];
	struct addr_value val;           /* T_VALUE */
};

struct macro;
struct source;

struct lexer {
	struct source     *src;     /* innermost input, a stack */
	int                depth;
	int                nesting;     /* of ( ) and f( ) in an expression */
	struct macro      *macros;
	struct token       ahead[2];    /* lookahead, and one token put back */
	int                nahead;
	struct conf_error *err;
	bool               failed;
	char             **names;   /* every file name seen, freed at the end */
	size_t             nnames;
};

int   lex_init_string(struct lexer *, const char *name, const char *text,
	    const char *dir, struct conf_error *);
int   lex_init_file(struct lexer *, const char *path, struct conf_error *);
void  lex_free(struct lexer *);
int   lex_include(struct lexer *, const struct token *at, const char *path);
const struct token *lex_peek(struct lexer *);
void  lex_next(struct lexer *, struct token *);
void  lex_unget(struct lexer *, const struct token *);
int   lex_define(struct lexer *, const struct token *name, const struct token *tok,
	    const struct addr_value *val);
/* The macros defined, with their last values, into cf->vars. */
int   lex_export_macros(struct lexer *, struct config *cf);
/* The value as it would be written: an address without a length unless
 * one was written or kept. */
const char *value_str(const struct addr_value *, char *buf, size_t len);

/* Formats "file:line: msg" into the error, once: the first error wins. */
void  conf_err(struct lexer *, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void  conf_errt(struct lexer *, const struct token *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
const char *tok_describe(const struct token *, char *buf, size_t len);

/* addr.c: copy_str copies all of src or, if it does not fit, as much as
 * fits and returns -1. The address arithmetic is in conf/addrexpr.h. */
int   copy_str(char *dst, size_t len, const char *src);

/* expr.c: address expressions; `after` names the keyword and `noun` what
 * it wants ("an address or prefix"), for messages. */
int   expr_parse(struct lexer *, const char *after, const char *noun,
	    struct addr_value *out);
int   expr_prefix(struct lexer *, const char *after, struct prefix *out);
int   expr_address(struct lexer *, const char *after, struct prefix *out);

/* keyfile.c */
/* Fills pc->key_id and tap_key_id from its keys, once they are loaded.
 * -1 if the process has no random bytes for its salt. */
int   keyfile_fingerprint(struct peer_conf *pc);
/* Wipes and frees pc's keys. */
void  keyfile_drop(struct peer_conf *pc);
int   keyfile_load(struct lexer *, struct peer_conf *, const struct site_conf *,
	    const char *conf_file, int key_line);
int   keyfile_load_tap(struct lexer *, struct peer_conf *,
	    const struct site_conf *, const char *conf_file, int line);
struct peer_extra;
/* `sa in` and `sa out`: one block each, from their own files. */
int   keyfile_load_sa(struct lexer *, struct peer_conf *,
	    const struct peer_extra *);
/* Bytes of one direction's block (key files of two blocks: both
 * directions are the same suite). */
int   key_block_len(const struct peer_conf *);
int   suite_block_len(const struct sa_suite *);
/* A file vpntund trusts (a key file, a hook script) belongs to root or
 * to the user vpntund runs as; else an error naming what and path. */
int   check_owner(struct lexer *, const char *cfile, int line,
	    const char *what, const char *path, uid_t uid);

/* hostname.c: 0 if name is a host name vpntund may resolve (RFC 1123
 * syntax, at least one dot); else -1 and why, for a message. */
int   hostname_check(const char *name, char *why, size_t whylen);

/* spi.c: the OR rule of the formula, exposed for tests */
uint32_t spi_fixup(uint32_t raw);

/* check.c: defaults and the whole-config pass */
enum { LIFE_BYTES, LIFE_PACKETS };
struct peer_extra {
	const char *file;           /* where the peer block is */
	const char *key_file_conf;  /* where its key statement is */
	int         key_line;
	const char *key_dir;
	bool        have_network;
	const char *network_file;
	int         network_line;
	bool        have_endpoint;
	bool        have_role;
	bool        have_auth;
	const char *auth_file;
	const char *cipher_file;        /* where a peer-level statement is; */
	int         cipher_line;        /* line 0 = not written */
	const char *spi_file;
	int         spi_line;
	const char *replay_file;
	int         replay_line;
	/* `sa in` [SA_IN] and `sa out` [SA_OUT]: where (line 0 = not
	 * written) and whether it named its auth. */
	const char *sa_file[2];
	int         sa_line[2];
	bool        sa_have_auth[2];
	bool        have_keepalive;
	bool        have_key;
	bool        have_port;
	int         port_line;
	int         auth_line;
	int         keepalive_line;
	bool        have_dead;
	const char *dead_file;
	int         dead_line;
	bool        have_bridge;        /* `bridge yes|no` written */
	int         bridge_line;
	int         tap_sa_line;        /* 0 = no tap-sa statement */
	/* lifetime bytes [LIFE_BYTES] and packets [LIFE_PACKETS]: where
	 * written (line 0 = not), and whether with a soft limit */
	const char *life_file[2];
	int         life_line[2];
	bool        life_soft[2];
	const char *tap_key_conf;       /* where `tap-sa dedicated key` is */
	/* The file of each written tunnel or funnel, one per policy (its
	 * line is the policy's own); NULL for the default tunnel. */
	const char **policy_file;
};

/* keysep.c: no cipher key and no auth key on two SAs of the config;
 * -1 with an error naming both peers and key files, never the bytes. */
/* Every inbound SPI of the site, derived keying's included, distinct. */
int   spis_distinct(struct lexer *, const struct config *,
    const struct peer_extra *);
int   keys_distinct(struct lexer *, const struct config *,
	    const struct peer_extra *);

/* Where the site's bridge statements are, for the final pass
 * (check_bridge.c): they need a tap, which may come later in the block. */
struct bridge_extra {
	const char *file;               /* of the first bridge statement */
	int         line;               /* 0 = none */
	const char *kw;                 /* its keyword */
	bool        have_mode;
	const char *site_file;          /* of the tap statement */
};

/* What the QoS parts of the parse keep for the final pass (check_qos.c):
 * where each class, meter and rule was written, and the names a rule
 * refers to, resolved once everything has been read. */
struct class_extra {
	const char *file;
	char        parent[CONF_NAME_MAX];   /* "" = top level */
	int         parent_line;
	bool        have_rate;
	bool        have_ceil;
	bool        have_target;
	bool        have_interval;
	int         default_line;
	int         bridge_line;        /* the `bridge` class option */
};

struct rule_extra {
	const char *file;
	char        queue[CONF_NAME_MAX];    /* "" = none */
	int         queue_line;
	char        meter[CONF_NAME_MAX];
	int         meter_line;
};

struct qos_extra {
	bool                have_qos;
	const char         *file;            /* of the qos block */
	bool                have_bandwidth;
	bool                have_mss_clamp;
	struct class_extra  cls[CBQ_CLASSES_MAX];
	struct rule_extra  *rules;           /* one per cf->rules */
	size_t              rules_cap;
	const char        **meter_files;     /* one per cf->meters */
	size_t              meters_cap;
};

/* The site block's hook scripts, by statement. */
enum hook { HOOK_UP, HOOK_DOWN, HOOK_PEER_UP, HOOK_PEER_DOWN, HOOK_MAX };

/* Where the site block and its hook statements are, for the final pass:
 * the scripts are checked once the whole block is read. */
struct site_extra {
	const char *file;
	int         line;
	const char *hook_file[HOOK_MAX];
	int         hook_line[HOOK_MAX];
	/* Where each address and exclude statement is, by index. */
	const char *address_file[8];
	int         address_line[8];
	const char *exclude_file[16];
	int         exclude_line[16];
};

/* keys false: everything but reading the key files (config_load_nokeys). */
int   conf_finish(struct lexer *, struct config *, struct peer_extra *,
	    struct qos_extra *, const struct bridge_extra *,
	    const struct site_extra *, bool keys);
/* A peer's suite without cipher and auth statements; the auth default
 * depends on the cipher (an AEAD tag is its own integrity check). */
#define CONF_CIPHER_DEFAULT "blowfish-cbc"
const struct auth_info *conf_auth_default(const struct cipher_info *);

/* check_nets.c: every written address lies in a network of the site;
 * no tunnel or funnel side lies inside an exclude (once the peers'
 * default tunnels exist). */
int   site_addresses_inside(struct lexer *, const struct site_conf *,
	    const struct site_extra *);
int   policies_not_excluded(struct lexer *, const struct config *,
	    const struct peer_extra *, const struct site_extra *);

/* check_bridge.c: the tap, the bridge statements and the tap SAs, once
 * the peers are complete (their roles and networks known). */
int   bridge_finish(struct lexer *, struct config *, struct peer_extra *,
	    const struct qos_extra *, const struct bridge_extra *);
int   bridge_keys(struct lexer *, struct config *, struct peer_extra *);

/* parse.c: the parser state and the helpers every block handler uses
 * (parse_qos.c and parse_rule.c too). Each reads its own tokens and sets
 * an error that names kw, the keyword it follows. */
struct parser {
	struct lexer        lx;
	struct config      *cf;
	struct peer_extra  *px;
	size_t              cap;
	bool                have_site;
	struct site_extra   sx;
	struct peer_conf   *peer;       /* the block being read */
	struct peer_extra  *extra;
	struct qos_extra    qx;
	struct bridge_extra bx;
};

struct keyword {
	const char *name;
	int       (*fn)(struct parser *, const struct token *);
};

extern const char *const yesno[];
int   get_word(struct parser *, const struct token *kw, const char *what,
	    struct token *t);
int   get_string(struct parser *, const struct token *kw, const char *what,
	    char *out, size_t outlen);
int   get_number(struct parser *, const struct token *kw, uint64_t min,
	    uint64_t max, uint64_t *v);
int   get_choice(struct parser *, const struct token *kw,
	    const char *const *set, int *idx);
int   get_name(struct parser *, const struct token *kw, struct token *t);
/* An interface name that fits IFNAMSIZ and holds no ':' or '/'. */
int   get_ifname(struct parser *, const struct token *kw, char out[IFNAMSIZ]);
/* A path relative to the file that holds kw, in a string allocated into
 * *out (what *out held before is freed). */
int   get_path(struct parser *, const struct token *kw, const char *what,
	    char **out);
int   end_statement(struct parser *, const struct token *kw);
/* The next word of a statement's option list, read into t: its index in
 * the NULL-terminated opts, OPT_END at the end of the statement (nothing
 * read), or OPT_UNKNOWN for a word that is not an option. */
#define OPT_END     (-1)
#define OPT_UNKNOWN (-2)
int   next_option(struct parser *, const char *const *opts, struct token *t);
int   parse_block(struct parser *, const struct token *opener,
	    const char *kind, const struct keyword *kws);

/* A unit of a quantity (QUANTITIES in site.conf(5)), matched without
 * regard to case; a table ends with a NULL name. */
struct unit {
	const char *name;
	uint64_t    mult;
};

/* parse_qos.c: a whole number and its unit, if any: "128kbit", "0x10",
 * or "20" then "packets". A number too large for 64 bits comes back as
 * UINT64_MAX, which every caller's range refuses. shown gets the text
 * as written; *unit is NULL when none was. */
int   get_quantity(struct parser *, const struct token *kw, const char *what,
	    const struct unit *units, const char *unit_list, uint64_t *num,
	    const struct unit **unit, struct token *t, char *shown,
	    size_t shownlen);

/* parse.c: a cipher [keysize N], an auth, as the peer statements and
 * `sa` take them. */
int   get_cipher(struct parser *, const struct token *kw, struct sa_suite *);
int   get_auth(struct parser *, const struct token *kw, struct sa_suite *);

/* parse_sa.c: `sa in|out spi N cipher C [keysize B] auth A key "F"`,
 * and its checks once the peer block is read (check.c). */
enum { SA_IN, SA_OUT };
int   peer_sa(struct parser *, const struct token *kw);
int   sa_finish(struct lexer *, struct peer_conf *, struct peer_extra *);
/* What one SA's suite must satisfy, whichever statements set it: no
 * auth with AEAD, an auth with aes-ctr and null, a weak cipher only
 * with allow-weak-cipher. -1 with the error at the lines given. */
int   suite_check(struct lexer *, const struct peer_conf *,
	    const struct sa_suite *, const char *file, int auth_line,
	    int cipher_line);

/* parse_qos.c: the qos block and meter statements (top level). */
int   do_qos(struct parser *, const struct token *kw);
int   do_meter(struct parser *, const struct token *kw);
/* A rate with its unit (128kbit, 2Mb, 1000000), in bits/s. */
int   get_rate(struct parser *, const struct token *kw, uint64_t *bps);
/* "64kbit", "1500kbit", "2Mbit": the largest unit that divides exactly. */
const char *rate_str(uint64_t bps, char *buf, size_t len);
/* parse_rule.c: "udp", "icmp6" or the number of a protocol. */
const char *rule_proto_name(int proto, char *buf, size_t len);
/* A DSCP by name (ef, af41, cs1, be, va) or number 0..63. */
int   get_dscp(struct parser *, const struct token *kw, uint8_t *dscp);

/* parse_bridge.c: the tap and bridge statements of the site block and the
 * bridge and tap-sa statements of peer blocks. */
int   site_tap(struct parser *, const struct token *kw);
int   site_bridge(struct parser *, const struct token *kw);
int   site_bridge_age(struct parser *, const struct token *kw);
int   site_bridge_flood(struct parser *, const struct token *kw);
int   site_bridge_table(struct parser *, const struct token *kw);
int   peer_bridge(struct parser *, const struct token *kw);
int   peer_tap_sa(struct parser *, const struct token *kw);

/* parse_rule.c: pass and block rules (top level). */
int   do_rule(struct parser *, const struct token *kw);

/* check_qos.c: the class tree, checked when the qos block closes (and
 * by cbq_new), and the names rules refer to, resolved at the end. */
int   qos_check_classes(struct lexer *, struct qos_conf *, struct qos_extra *);
int   qos_finish(struct lexer *, struct config *, struct qos_extra *);

#endif
