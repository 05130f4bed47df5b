/* Address expressions (the ipac idea from the paper): addresses and
 * prefixes, net(x), host(x, n), mask(x), x + n, x - n and x / len, left to
 * right. A prefix written 10.1.0.0/24 is just the address 10.1.0.0
 * re-prefixed by `/ 24`, which is why `/` also takes a netmask. */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

static int expr_term(struct lexer *, const char *, const char *,
    struct addr_value *);

/* Parentheses and calls recurse; a config is written by people, so a
 * small bound costs nothing and keeps hostile input off the stack limit. */
#define EXPR_NESTING_MAX 32

static int
expect(struct lexer *lx, enum tok type, const char *what, const char *ctx)
{
	struct token t;
	char d[CONF_TOKEN_MAX + 8];

	lex_next(lx, &t);
	if (t.type == type)
		return 0;
	if (t.type != T_ERROR)
		conf_errt(lx, &t, "expected %s in %s, got %s", what, ctx,
		    tok_describe(&t, d, sizeof(d)));
	return -1;
}

/* f(x) and f(x, n) for the three functions. */
static int
expr_call(struct lexer *lx, const struct token *fn, const char *after,
    struct addr_value *v)
{
	char ctx[64], d[CONF_TOKEN_MAX + 8], b[INET6_ADDRSTRLEN + 8];
	struct token t;
	uint64_t n = 0;
	unsigned bits, hostbits;

	copy_str(ctx, sizeof(ctx) - 2, fn->text);
	strcat(ctx, "()");
	if (expect(lx, T_LPAREN, "'('", ctx) == -1 ||
	    expr_parse(lx, ctx, "an address or prefix", v) == -1)
		return -1;
	bits = addr_bits(v->p.af);
	if (!v->has_len)
		v->p.len = (uint8_t)bits;
	if (strcmp(fn->text, "host") == 0) {
		if (expect(lx, T_COMMA, "','", ctx) == -1)
			return -1;
		lex_next(lx, &t);
		if (t.type == T_ERROR)
			return -1;
		if (t.type != T_WORD || parse_u64(t.text, 0, UINT64_MAX, &n)) {
			conf_errt(lx, &t, "expected a host number in host(), "
			    "got %s", tok_describe(&t, d, sizeof(d)));
			return -1;
		}
		hostbits = bits - v->p.len;
		if (hostbits < 64 && (n >> hostbits) != 0) {
			conf_errt(lx, &t, "host(%s, %llu): %llu does not fit in "
			    "a /%u", prefix_ntop(&v->p, b, sizeof(b)),
			    (unsigned long long)n, (unsigned long long)n,
			    v->p.len);
			return -1;
		}
	}
	if (expect(lx, T_RPAREN, "')'", ctx) == -1)
		return -1;
	if (strcmp(fn->text, "mask") == 0) {
		len_to_mask(v->p.af, v->p.len, &v->p);
		v->has_len = false;
		v->is_mask = true;
		return 0;
	}
	prefix_network(&v->p);
	v->has_len = true;
	v->is_mask = false;
	/* Cannot overflow: n fits in the host bits checked above. */
	if (n != 0 && addr_add(&v->p, n, false) == -1) {
		conf_errt(lx, fn, "host(): address overflow after \"%s\"", after);
		return -1;
	}
	return 0;
}

static int
expr_term(struct lexer *lx, const char *after, const char *noun,
    struct addr_value *v)
{
	char d[CONF_TOKEN_MAX + 8];
	struct token t;

	lex_next(lx, &t);
	memset(v, 0, sizeof(*v));
	switch (t.type) {
	case T_ERROR:
		return -1;
	case T_VALUE:
		*v = t.val;
		return 0;
	case T_LPAREN:
		if (expr_parse(lx, after, noun, v) == -1)
			return -1;
		return expect(lx, T_RPAREN, "')'", "expression");
	case T_WORD:
		if (addr_parse(t.text, &v->p) == 0)
			return 0;
		if ((strcmp(t.text, "net") == 0 || strcmp(t.text, "host") == 0 ||
		    strcmp(t.text, "mask") == 0) &&
		    lex_peek(lx)->type == T_LPAREN)
			return expr_call(lx, &t, after, v);
		break;
	default:
		break;
	}
	conf_errt(lx, &t, "expected %s after \"%s\", got %s", noun, after,
	    tok_describe(&t, d, sizeof(d)));
	return -1;
}

/* `/ 24` or `/ 255.255.255.0`: sets the prefix length, keeps host bits. */
static int
reprefix(struct lexer *lx, const char *after, struct addr_value *v)
{
	char d[CONF_TOKEN_MAX + 8];
	struct token t;
	struct prefix m;
	uint64_t len;
	unsigned bits = addr_bits(v->p.af);

	lex_next(lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type == T_WORD && parse_u64(t.text, 0, bits, &len) == 0) {
		v->p.len = (uint8_t)len;
	} else if ((t.type == T_WORD && addr_parse(t.text, &m) == 0) ||
	    (t.type == T_VALUE && (m = t.val.p, true))) {
		if (m.af != v->p.af || mask_to_len(&m, &v->p.len) == -1) {
			conf_errt(lx, &t, "netmask %s after \"%s\" is not a "
			    "contiguous %s netmask", tok_describe(&t, d,
			    sizeof(d)), after, v->p.af == AF_INET ? "IPv4" :
			    "IPv6");
			return -1;
		}
	} else {
		conf_errt(lx, &t, "expected a prefix length 0..%u or a netmask "
		    "after '/', got %s", bits, tok_describe(&t, d, sizeof(d)));
		return -1;
	}
	v->has_len = true;
	v->is_mask = false;
	return 0;
}

static int expr_rest(struct lexer *, const char *, struct addr_value *);

int
expr_parse(struct lexer *lx, const char *after, const char *noun,
    struct addr_value *v)
{
	int rc;

	if (lx->nesting >= EXPR_NESTING_MAX) {
		const struct token *pk = lex_peek(lx);

		conf_errt(lx, pk, "expression nested more than %d deep",
		    EXPR_NESTING_MAX);
		return -1;
	}
	lx->nesting++;
	rc = expr_term(lx, after, noun, v);
	if (rc == 0)
		rc = expr_rest(lx, after, v);
	lx->nesting--;
	return rc;
}

/* The `/ len`, `+ n` and `- n` that follow a term, left to right. */
static int
expr_rest(struct lexer *lx, const char *after, struct addr_value *v)
{
	char d[CONF_TOKEN_MAX + 8], b[INET6_ADDRSTRLEN + 8];
	const struct token *pk;
	struct token op, t;
	uint64_t n;

	for (;;) {
		pk = lex_peek(lx);
		if (pk->type == T_SLASH) {
			lex_next(lx, &op);
			if (reprefix(lx, after, v) == -1)
				return -1;
			continue;
		}
		if (pk->type != T_PLUS && pk->type != T_MINUS)
			return 0;
		lex_next(lx, &op);
		lex_next(lx, &t);
		if (t.type == T_ERROR)
			return -1;
		if (t.type != T_WORD || parse_u64(t.text, 0, UINT64_MAX, &n)) {
			conf_errt(lx, &t, "expected a number after '%s', got %s",
			    op.text, tok_describe(&t, d, sizeof(d)));
			return -1;
		}
		prefix_ntop(&v->p, b, sizeof(b));
		if (addr_add(&v->p, n, op.type == T_MINUS) == -1) {
			conf_errt(lx, &op, "%s %s %llu leaves the %s address "
			    "space", v->has_len ? b : strtok(b, "/"), op.text,
			    (unsigned long long)n,
			    v->p.af == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
	}
}

int
expr_prefix(struct lexer *lx, const char *after, struct prefix *out)
{
	struct addr_value v;
	const struct token *pk = lex_peek(lx);
	struct token at = *pk;

	if (expr_parse(lx, after, "an address or prefix", &v) == -1)
		return -1;
	if (v.is_mask) {
		conf_errt(lx, &at, "mask() gives an address, not a prefix, "
		    "after \"%s\"", after);
		return -1;
	}
	if (!v.has_len)
		v.p.len = (uint8_t)addr_bits(v.p.af);
	*out = v.p;
	return 0;
}

int
expr_address(struct lexer *lx, const char *after, struct prefix *out)
{
	char b[INET6_ADDRSTRLEN + 8];
	struct addr_value v;
	const struct token *pk = lex_peek(lx);
	struct token at = *pk;

	if (expr_parse(lx, after, "an address", &v) == -1)
		return -1;
	if (v.has_len && v.p.len != addr_bits(v.p.af)) {
		conf_errt(lx, &at, "expected an address without a prefix length "
		    "after \"%s\", got \"%s\"", after,
		    prefix_ntop(&v.p, b, sizeof(b)));
		return -1;
	}
	v.p.len = (uint8_t)addr_bits(v.p.af);
	*out = v.p;
	return 0;
}

int
addr_expr_eval(const char *text, const char *after, struct addr_value *out,
    char *err, size_t errlen)
{
	static const char name[] = "expression", eof[] = "got end of file";
	char d[CONF_TOKEN_MAX + 8];
	struct conf_error ce;
	struct lexer lx;
	struct token t;
	const char *msg;
	size_t skip;
	int rc = -1;

	memset(&ce, 0, sizeof(ce));
	if (lex_init_string(&lx, name, text, ".", &ce) == 0 &&
	    expr_parse(&lx, after, "an address or prefix", out) == 0) {
		/* One expression and nothing after it. */
		do
			lex_next(&lx, &t);
		while (t.type == T_EOS);
		if (t.type == T_EOF)
			rc = 0;
		else if (t.type != T_ERROR)
			conf_errt(&lx, &t, "expected the end of the expression, "
			    "got %s", tok_describe(&t, d, sizeof(d)));
	}
	lex_free(&lx);
	if (rc == 0)
		return 0;
	/* "expression:1: ": the line means nothing on a command line. */
	msg = ce.msg;
	skip = strlen(name);
	if (strncmp(msg, name, skip) == 0 && msg[skip] == ':') {
		msg = strchr(msg + skip + 1, ':');
		msg = msg != NULL ? msg + 1 + (msg[1] == ' ') : ce.msg;
	}
	/* The text has no file: what ends it is the end of the expression. */
	skip = strlen(msg);
	if (skip >= sizeof(eof) - 1 && strcmp(msg + skip - (sizeof(eof) - 1),
	    eof) == 0)
		snprintf(err, errlen, "%.*sgot nothing", (int)(skip -
		    (sizeof(eof) - 1)), msg);
	else
		snprintf(err, errlen, "%s", msg);
	return -1;
}
