/* Internals shared by conf/setkey.c (setkey's statements) and
 * conf/setkey_shell.c (the shell script around them). */
#ifndef VPNTUND_SETKEY_INT_H
#define VPNTUND_SETKEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/setkey.h"

#define SK_TOKEN_MAX      1024
#define SETKEY_ITEMS_MAX  100000

enum sk_tok { SK_EOF, SK_SEMI, SK_WORD, SK_STRING };

struct sk_token {
	enum sk_tok type;
	int         line;
	char        text[SK_TOKEN_MAX];
	size_t      len;
};

struct sk_parser {
	const char           *name;
	const char           *text;       /* setkey input, lines numbered
	                                     as in the file */
	size_t                len, pos;
	int                   line;
	int                   stmt_line;  /* where the statement began */
	struct setkey_script *s;
	struct conf_error    *err;
	bool                  failed;
};

void  sk_err(struct sk_parser *, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int   sk_note(struct sk_parser *, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void *sk_grow(struct sk_parser *, void **arr, size_t *n, size_t size,
	    int line);
int   sk_check_var(struct sk_parser *, int line, const char *text);
int   sk_parse_addr(const char *s, struct prefix *out);
int   sk_number(const char *s, bool hex, uint64_t max, uint64_t *out);

/* setkey_shell.c: whether text is a shell script running setkey with a
 * here-document; the here-documents' lines into out (as long as text),
 * every other line blanked, and the gif and route lines into p->s. */
bool  sk_shell_is_script(const char *text);
int   sk_shell_extract(struct sk_parser *, const char *text, char *out);

#endif
