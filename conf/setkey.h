/* setkey(8) input of FreeBSD/KAME, as `setkey -f` reads it or as the
 * here-documents of a shell script that runs `setkey -c <<END`: manual
 * SAs, security policies, and the gif(4) tunnels and routes of the
 * script. Read by `vpntunctl import-setkey` (conf/setkey_conv.c) and by
 * whatever else wants a KAME router's keys. Key bytes are wiped when the
 * script is freed. */
#ifndef VPNTUND_SETKEY_H
#define VPNTUND_SETKEY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "util/prefix.h"

#define SETKEY_ALG_MAX   24
#define SETKEY_NOTE_MAX  200
#define SETKEY_KEY_MAX   256         /* bytes: setkey takes 2048 bits */

enum setkey_proto {
	SETKEY_ESP,
	SETKEY_ESP_OLD,                 /* RFC 1827 */
	SETKEY_AH,
	SETKEY_IPCOMP,
	SETKEY_TCP,                     /* TCP-MD5, RFC 2385 */
};

enum setkey_mode { SETKEY_MODE_ANY, SETKEY_MODE_TRANSPORT, SETKEY_MODE_TUNNEL };

/* -f: what the sender puts in ESP padding. seq-pad (RFC 4303 2.4) is
 * KAME's default. */
enum setkey_pad { SETKEY_PAD_SEQ, SETKEY_PAD_ZERO, SETKEY_PAD_RANDOM };

struct setkey_sa {
	int               line;
	struct prefix     src, dst;     /* full-length prefixes */
	enum setkey_proto proto;
	uint32_t          spi;
	enum setkey_mode  mode;         /* -m */
	uint32_t          reqid;        /* -u, 0 = none */
	uint32_t          replay;       /* -r: window in bytes, 0 = off */
	enum setkey_pad   pad;          /* -f */
	bool              pad_given;
	bool              nocyclic;     /* -f nocyclic-seq */
	uint64_t          life_bytes, life_bytes_soft;    /* -bh, -bs */
	uint64_t          life_time, life_time_soft;      /* -lh, -ls */
	char              ealg[SETKEY_ALG_MAX];  /* as written, "" = none */
	char              aalg[SETKEY_ALG_MAX];
	char              calg[SETKEY_ALG_MAX];  /* -C */
	/* For ESP: vpntund's names (NULL for other protocols). key_bits is
	 * the cipher key without the nonce or salt that setkey's key
	 * carries at its end for aes-ctr and aes-gcm-16. */
	const char       *cipher;
	size_t            key_bits;
	const char       *auth;         /* "none" if no -A */
	bool              weak;         /* des-cbc: allow-weak-cipher */
	uint8_t           key[SETKEY_KEY_MAX];
	size_t            key_len;
	uint8_t           auth_key[SETKEY_KEY_MAX];
	size_t            auth_key_len;
};

enum setkey_dir { SETKEY_DIR_IN, SETKEY_DIR_OUT, SETKEY_DIR_FWD };
enum setkey_action {
	SETKEY_IPSEC, SETKEY_NONE, SETKEY_DISCARD, SETKEY_ENTRUST,
	SETKEY_BYPASS,
};

struct setkey_policy {
	int                line;
	struct prefix      src, dst;
	int                sport, dport;     /* -1 = any */
	int                proto;            /* upper layer, -1 = any */
	char               proto_name[16];   /* as written */
	enum setkey_dir    dir;
	enum setkey_action action;
	/* The first request of an ipsec policy; others are noted. */
	enum setkey_proto  req_proto;
	enum setkey_mode   mode;             /* transport or tunnel */
	struct prefix      tsrc, tdst;       /* tunnel endpoints */
	char               level[24];        /* require, use, unique[:id] */
};

/* `ifconfig gifN ... tunnel A B` of the script. */
struct setkey_gif {
	int           line;
	char          ifname[IFNAMSIZ];
	struct prefix src, dst;
};

/* `route add NET -interface gifN`. */
struct setkey_route {
	int           line;
	struct prefix net;
	char          ifname[IFNAMSIZ];
};

/* What was read but is not carried over, and why. */
struct setkey_note {
	int  line;
	char text[SETKEY_NOTE_MAX];
};

struct setkey_script {
	char                  name[PATH_MAX];   /* for messages */
	bool                  shell;            /* here-documents were read */
	struct setkey_sa     *sas;
	size_t                nsas;
	struct setkey_policy *policies;
	size_t                npolicies;
	struct setkey_gif    *gifs;
	size_t                ngifs;
	struct setkey_route  *routes;
	size_t                nroutes;
	struct setkey_note   *notes;
	size_t                nnotes;
};

/* Reads path: a setkey input file, or a shell script whose setkey input
 * is in `setkey -c <<END` here-documents. 0, or -1 with err->msg
 * "file:line: ..." and nothing left allocated. */
int  setkey_parse(const char *path, struct setkey_script *s,
    struct conf_error *err) __attribute__((warn_unused_result));
/* The same from memory; name is used in messages. */
int  setkey_parse_string(const char *name, const char *text,
    struct setkey_script *s, struct conf_error *err)
    __attribute__((warn_unused_result));
/* Wipes the keys and frees. */
void setkey_free(struct setkey_script *s);
/* vpntund's name of an ESP SA's auth: hmac-sha2-* are the RFC 4868
 * truncations unless sha2_96 (the 96-bit ones of older KAME). */
const char *setkey_auth_name(const struct setkey_sa *sa, bool sha2_96);

/* The site.conf for this router and its key files (conf/setkey_conv.c). */
struct setkey_import_opts {
	const struct prefix *local;     /* --local, or NULL */
	const struct prefix *network;   /* --network, or NULL */
	int                  role;      /* -1 = choose, else enum site_role */
	bool                 sha2_96;
	const char          *site_name; /* NULL: "imported" */
	const char          *source;    /* the file named in the header */
};

struct setkey_keyfile {
	char    name[64];               /* "keys/NAME.in" */
	uint8_t bytes[3 * SETKEY_KEY_MAX];
	size_t  len;
	char    comment[160];
};

struct setkey_import {
	char                  *conf;      /* site.conf's text */
	struct setkey_keyfile *keys;
	size_t                 nkeys;
	char                 **msgs;      /* what needs a look, for stderr */
	size_t                 nmsgs;
	size_t                 npeers;
};

int  setkey_convert(const struct setkey_script *s,
    const struct setkey_import_opts *o, struct setkey_import *out,
    struct conf_error *err) __attribute__((warn_unused_result));
void setkey_import_free(struct setkey_import *out);

#endif
