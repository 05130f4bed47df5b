/* ipac: the IP address calculator of the paper's section 6.3, for IPv4
 * and IPv6, for scripts that generate configuration.
 *
 *   ipac [-46q] [-f field[,field]...] [-n count] expression...
 *   ipac [-46q] -c outer expression...
 *
 * The expression is site.conf's (site.conf(5), ADDRESSES AND ADDRESS
 * EXPRESSIONS), evaluated by the code the config parser uses
 * (conf/expr.c), so `ipac 10.1.0.0/24 + 256` says what `$home + 256`
 * means in a config. The arguments are joined with spaces. ipac adds
 * integer addresses (decimal or 0x hex) where an address may start a
 * term, stepping by networks (-n), and containment (-c). Output is one
 * key=value a line, or the values of -f alone. Exit 0, 1 for "no" (-c),
 * 2 for usage and expression errors. See docs/ipac.1.md. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/addrexpr.h"

#define EXIT_NO    1
#define EXIT_USAGE 2

#define TEXT_MAX   4096
#define NUM_BYTES  17               /* 2^128 needs 129 bits */
#define DEC_MAX    48

static void
usage(void)
{
	fprintf(stderr, "usage: ipac [-46q] [-f field[,field]...] [-n count] "
	    "expression...\n"
	    "       ipac [-46q] -c outer expression...\n");
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ipac: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* Big-endian unsigned integers of NUM_BYTES bytes: counts of addresses
 * (2^128 for ::/0) and the decimal form of an IPv6 address. */
struct num {
	uint8_t b[NUM_BYTES];
};

static void
num_from_addr(struct num *n, const struct prefix *p)
{
	size_t bytes = addr_bits(p->af) / 8;

	memset(n, 0, sizeof(*n));
	memcpy(n->b + NUM_BYTES - bytes, p->addr.b, bytes);
}

/* n = n * mul + add; -1 on overflow of bits bits. */
static int
num_mul_add(struct num *n, unsigned mul, unsigned add, unsigned bits)
{
	unsigned carry = add;
	size_t i, top = NUM_BYTES - bits / 8;

	for (i = NUM_BYTES; i-- > 0; ) {
		unsigned v = n->b[i] * mul + carry;

		n->b[i] = (uint8_t)v;
		carry = v >> 8;
	}
	if (carry != 0)
		return -1;
	for (i = 0; i < top; i++)
		if (n->b[i] != 0)
			return -1;
	return 0;
}

static bool
num_is_zero(const struct num *n)
{
	size_t i;

	for (i = 0; i < NUM_BYTES; i++)
		if (n->b[i] != 0)
			return false;
	return true;
}

static const char *
num_dec(const struct num *in, char *buf, size_t len)
{
	struct num n = *in;
	char tmp[DEC_MAX];
	size_t k = 0, i;

	do {
		unsigned rem = 0;

		for (i = 0; i < NUM_BYTES; i++) {
			unsigned v = rem << 8 | n.b[i];

			n.b[i] = (uint8_t)(v / 10);
			rem = v % 10;
		}
		tmp[k++] = (char)('0' + rem);
	} while (!num_is_zero(&n) && k < sizeof(tmp));
	for (i = 0; i < k && i + 1 < len; i++)
		buf[i] = tmp[k - 1 - i];
	buf[i] = '\0';
	return buf;
}

/* 2^e - sub (sub 0, 1 or 2; e <= 128). */
static void
num_pow2_minus(struct num *n, unsigned e, unsigned sub)
{
	size_t i;

	memset(n, 0, sizeof(*n));
	n->b[NUM_BYTES - 1 - e / 8] = (uint8_t)(1u << (e % 8));
	for (; sub > 0; sub--)
		for (i = NUM_BYTES; i-- > 0; )
			if (n->b[i]-- != 0)
				break;
}

/* A decimal or 0x hex integer, into an address of family af (AF_UNSPEC:
 * IPv4 if it fits 32 bits, else IPv6). 1 if s is no integer, -1 if it is
 * one too large, 0 with p set. */
static int
int_addr(const char *s, sa_family_t af, struct prefix *p)
{
	unsigned base = 10, bits = af == AF_INET ? 32 : 128;
	const char *c = s;
	struct num n;

	memset(&n, 0, sizeof(n));
	if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X')) {
		base = 16;
		c += 2;
	}
	if (*c == '\0')
		return 1;
	for (; *c != '\0'; c++) {
		unsigned d;

		if (isdigit((unsigned char)*c))
			d = (unsigned)(*c - '0');
		else if (base == 16 && isxdigit((unsigned char)*c))
			d = (unsigned)(tolower((unsigned char)*c) - 'a' + 10);
		else
			return 1;
		if (num_mul_add(&n, base, d, bits) == -1)
			return -1;
	}
	if (af == AF_UNSPEC) {
		struct num v4 = n;

		af = num_mul_add(&v4, 1, 0, 32) == 0 ? AF_INET : AF_INET6;
	}
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->len = (uint8_t)addr_bits(af);
	memcpy(p->addr.b, n.b + NUM_BYTES - p->len / 8, p->len / 8);
	return 0;
}

static bool
word_char(int c)
{
	return isalnum(c) || c == '.' || c == ':' || c == '_' || c == '-';
}

/* The expression with every integer that starts a term (at the start,
 * or after '(') written as an address; numbers after + - / and ',' stay
 * numbers. The lexer's word characters decide where a word ends. */
static void
rewrite_ints(const char *in, sa_family_t af, char *out, size_t len)
{
	char word[TEXT_MAX], a[INET6_ADDRSTRLEN];
	struct prefix p;
	int prev = '(';
	size_t o = 0, n;
	int rc;

	while (*in != '\0') {
		if (!word_char((unsigned char)*in) || *in == '-') {
			if (!isspace((unsigned char)*in))
				prev = (unsigned char)*in;
			if (o + 1 >= len)
				die("expression too long");
			out[o++] = *in++;
			continue;
		}
		for (n = 0; word_char((unsigned char)in[n]); n++)
			;
		if (n >= sizeof(word))
			die("expression too long");
		memcpy(word, in, n);
		word[n] = '\0';
		in += n;
		if (prev == '(' && (rc = int_addr(word, af, &p)) != 1) {
			if (rc == -1)
				die("%s does not fit in an %s address", word,
				    af == AF_INET ? "IPv4" : "IPv6");
			inet_ntop(p.af, p.addr.b, a, sizeof(a));
			snprintf(word, sizeof(word), "%s", a);
		}
		prev = 'w';
		n = strlen(word);
		if (o + n + 1 >= len)
			die("expression too long");
		memcpy(out + o, word, n);
		o += n;
	}
	out[o] = '\0';
}

static void
eval(int argc, char **argv, sa_family_t af, struct addr_value *v)
{
	char text[TEXT_MAX], expr[TEXT_MAX], err[600];
	size_t o = 0, n;
	int i;

	if (argc == 0)
		usage();
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (o + n + 2 > sizeof(text))
			die("expression too long");
		if (i > 0)
			text[o++] = ' ';
		memcpy(text + o, argv[i], n);
		o += n;
	}
	text[o] = '\0';
	/* The config's lexer would end the expression at a '#' unseen. */
	if (strchr(text, '#') != NULL)
		die("%s: unexpected character '#'", text);
	rewrite_ints(text, af, expr, sizeof(expr));
	if (addr_expr_eval(expr, "ipac", v, err, sizeof(err)) == -1)
		die("%s", err);
	if (af != AF_UNSPEC && v->p.af != af)
		die("%s is not an %s address", text, af == AF_INET ? "IPv4" :
		    "IPv6");
	/* A bare address is a /32 or /128 (as where a config wants a
	 * prefix); mask() gives an address. */
	if (!v->has_len)
		v->p.len = (uint8_t)addr_bits(v->p.af);
}

/* Moves p by count networks of its length, host bits kept: the address
 * shifted right by the host bits, plus or minus count, shifted back. */
static int
step_networks(struct prefix *p, long long count)
{
	unsigned bits = addr_bits(p->af), host = bits - p->len, i;
	struct prefix q = *p;
	uint64_t n = count < 0 ? 0 - (uint64_t)count : (uint64_t)count;

	if (count == 0)
		return 0;
	if (p->len == 0)
		return -1;
	/* q = p >> host: bit i of q is bit i - host of p (from the top). */
	memset(q.addr.b, 0, sizeof(q.addr.b));
	for (i = host; i < bits; i++)
		if (p->addr.b[(i - host) / 8] & (0x80u >> ((i - host) % 8)))
			q.addr.b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	if (addr_add(&q, n, count < 0) == -1)
		return -1;
	/* Carry into the bits the shift left free leaves the space. */
	for (i = 0; i < host; i++)
		if (q.addr.b[i / 8] & (0x80u >> (i % 8)))
			return -1;
	for (i = 0; i < p->len; i++) {
		uint8_t bit = (uint8_t)(0x80u >> (i % 8));

		if (q.addr.b[(i + host) / 8] & (0x80u >> ((i + host) % 8)))
			p->addr.b[i / 8] |= bit;
		else
			p->addr.b[i / 8] &= (uint8_t)~bit;
	}
	return 0;
}

static const char *
addr_str(const struct prefix *p, char *buf, size_t len)
{
	return inet_ntop(p->af, p->addr.b, buf, (socklen_t)len);
}

/* One output field: the value into buf, or NULL if the family has none. */
typedef const char *(*field_fn)(const struct prefix *, char *, size_t);

static const char *
f_family(const struct prefix *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s", p->af == AF_INET ? "inet" : "inet6");
	return buf;
}

static const char *
f_address(const struct prefix *p, char *buf, size_t len)
{
	return addr_str(p, buf, len);
}

static const char *
f_full(const struct prefix *p, char *buf, size_t len)
{
	size_t i, o = 0;

	if (p->af != AF_INET6)
		return NULL;
	for (i = 0; i < 16; i += 2)
		o += (size_t)snprintf(buf + o, len - o, "%s%02x%02x",
		    i > 0 ? ":" : "", p->addr.b[i], p->addr.b[i + 1]);
	return buf;
}

static const char *
f_length(const struct prefix *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u", p->len);
	return buf;
}

static const char *
f_prefix(const struct prefix *p, char *buf, size_t len)
{
	return prefix_ntop(p, buf, len);
}

static const char *
f_netmask(const struct prefix *p, char *buf, size_t len)
{
	struct prefix m;

	len_to_mask(p->af, p->len, &m);
	return addr_str(&m, buf, len);
}

static const char *
f_hostmask(const struct prefix *p, char *buf, size_t len)
{
	struct prefix m;
	size_t i;

	len_to_mask(p->af, p->len, &m);
	for (i = 0; i < 16; i++)
		m.addr.b[i] = (uint8_t)~m.addr.b[i];
	return addr_str(&m, buf, len);
}

static const char *
f_network(const struct prefix *p, char *buf, size_t len)
{
	struct prefix n = *p;

	prefix_network(&n);
	return prefix_ntop(&n, buf, len);
}

/* The last address of the prefix: all host bits set. */
static void
last_of(const struct prefix *p, struct prefix *l)
{
	unsigned i;

	*l = *p;
	for (i = p->len; i < addr_bits(p->af); i++)
		l->addr.b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

static const char *
f_broadcast(const struct prefix *p, char *buf, size_t len)
{
	struct prefix l;

	if (p->af != AF_INET)
		return NULL;
	last_of(p, &l);
	return addr_str(&l, buf, len);
}

/* Usable hosts: IPv4 leaves out the network and broadcast addresses,
 * IPv6 the subnet-router anycast address (RFC 4291 2.6.1); point-to-point
 * prefixes (/31, RFC 3021; /127, RFC 6164) and single addresses use all. */
static unsigned
reserved(const struct prefix *p)
{
	unsigned host = addr_bits(p->af) - p->len;

	if (host <= 1)
		return 0;
	return p->af == AF_INET ? 2 : 1;
}

static const char *
f_first(const struct prefix *p, char *buf, size_t len)
{
	struct prefix n = *p;

	prefix_network(&n);
	if (reserved(p) > 0)
		(void)addr_add(&n, 1, false);
	return addr_str(&n, buf, len);
}

static const char *
f_last(const struct prefix *p, char *buf, size_t len)
{
	struct prefix l;

	last_of(p, &l);
	if (reserved(p) == 2)
		(void)addr_add(&l, 1, true);
	return addr_str(&l, buf, len);
}

static const char *
f_addresses(const struct prefix *p, char *buf, size_t len)
{
	struct num n;

	num_pow2_minus(&n, addr_bits(p->af) - p->len, 0);
	return num_dec(&n, buf, len);
}

static const char *
f_hosts(const struct prefix *p, char *buf, size_t len)
{
	struct num n;

	num_pow2_minus(&n, addr_bits(p->af) - p->len, reserved(p));
	return num_dec(&n, buf, len);
}

static const char *
f_hex(const struct prefix *p, char *buf, size_t len)
{
	size_t i, o;

	o = (size_t)snprintf(buf, len, "0x");
	for (i = 0; i < addr_bits(p->af) / 8; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", p->addr.b[i]);
	return buf;
}

static const char *
f_decimal(const struct prefix *p, char *buf, size_t len)
{
	struct num n;

	num_from_addr(&n, p);
	return num_dec(&n, buf, len);
}

static const struct field {
	const char *name;
	field_fn    fn;
} fields[] = {
	{ "family",    f_family },
	{ "address",   f_address },
	{ "full",      f_full },
	{ "length",    f_length },
	{ "prefix",    f_prefix },
	{ "netmask",   f_netmask },
	{ "hostmask",  f_hostmask },
	{ "network",   f_network },
	{ "broadcast", f_broadcast },
	{ "first",     f_first },
	{ "last",      f_last },
	{ "addresses", f_addresses },
	{ "hosts",     f_hosts },
	{ "hex",       f_hex },
	{ "decimal",   f_decimal },
	{ NULL,        NULL },
};

static const struct field *
field_by_name(const char *name)
{
	const struct field *f;

	for (f = fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* -f a,b -f c: the fields in the order asked. */
static size_t
parse_fields(char *list, const struct field **sel, size_t n, size_t max)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((sel[n] = field_by_name(tok)) == NULL)
			die("unknown field \"%s\"", tok);
		if (++n == max)
			die("too many fields");
	}
	return n;
}

static long long
parse_count(const char *s)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == LLONG_MIN)
		die("-n %s: expected a whole number of networks", s);
	return v;
}

int
main(int argc, char *argv[])
{
	const struct field *sel[64];
	struct addr_value v, outer;
	sa_family_t af = AF_UNSPEC;
	const char *outer_text = NULL, *val;
	char buf[128];
	long long count = 0;
	bool quiet = false, have_count = false;
	size_t nsel = 0, i;
	int ch;

	/* '+': options come first; "-" and "- 1" belong to expressions. */
	opterr = 0;
	while ((ch = getopt(argc, argv, "+46c:f:n:q")) != -1) {
		switch (ch) {
		case '4':
			af = AF_INET;
			break;
		case '6':
			af = AF_INET6;
			break;
		case 'c':
			outer_text = optarg;
			break;
		case 'f':
			nsel = parse_fields(optarg, sel, nsel, 64);
			break;
		case 'n':
			count = parse_count(optarg);
			have_count = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			if (strchr("cfn", optopt) != NULL)
				fprintf(stderr, "ipac: option -%c needs an "
				    "argument\n", optopt);
			else
				fprintf(stderr, "ipac: unknown option -%c\n",
				    optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (outer_text != NULL && (nsel > 0 || have_count))
		usage();
	eval(argc, argv, af, &v);
	if (outer_text != NULL) {
		char *one[1] = { (char *)outer_text };
		bool yes;

		eval(1, one, af, &outer);
		yes = outer.p.af == v.p.af && outer.p.len <= v.p.len &&
		    prefix_contains(&outer.p, v.p.af, v.p.addr.b);
		if (!quiet)
			printf("contains=%s\n", yes ? "yes" : "no");
		return yes ? 0 : EXIT_NO;
	}
	if (have_count && step_networks(&v.p, count) == -1)
		die("%s moved by %lld networks of /%u leaves the %s address space",
		    prefix_ntop(&v.p, buf, sizeof(buf)), count, v.p.len,
		    v.p.af == AF_INET ? "IPv4" : "IPv6");
	if (quiet)
		return 0;
	if (nsel > 0) {
		for (i = 0; i < nsel; i++) {
			if ((val = sel[i]->fn(&v.p, buf, sizeof(buf))) == NULL)
				die("%s has no %s", v.p.af == AF_INET ? "IPv4" :
				    "IPv6", sel[i]->name);
			printf("%s\n", val);
		}
		return 0;
	}
	for (i = 0; fields[i].name != NULL; i++)
		if ((val = fields[i].fn(&v.p, buf, sizeof(buf))) != NULL)
			printf("%s=%s\n", fields[i].name, val);
	return 0;
}
