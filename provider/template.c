/*
 * Templates: the parser.
 *
 * Compiling is three passes over the source.  The first cuts it into
 * literal text and tags, parsing each tag by recursive descent as it goes
 * (so a "}}" inside a string literal does not end a tag).  The second
 * removes the line around control tags (if, else, end, for, range) that
 * stand alone on their line, so that a conditional block in a CLI script
 * leaves no empty lines behind.  The third nests the flat list into a tree
 * with an explicit stack, which bounds depth without recursion.
 * Rendering is in template-render.c.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/template-int.h"

enum tpl_tok {
	TOK_EOF,
	TOK_CLOSE,	/* }} */
	TOK_NAME,
	TOK_STRING,
	TOK_NUMBER,
	TOK_DOT,
	TOK_LBRACK,
	TOK_RBRACK,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_COMMA,
	TOK_PIPE,
	TOK_COLON,
	TOK_EQEQ,
	TOK_NE,
	TOK_BAD,
};

struct tok {
	enum tpl_tok	 t;
	size_t		 off;
	size_t		 len;
};

struct tpl_parser {
	const char		*s;
	size_t			 len;
	size_t			 p;
	struct tpl_error	*err;
	int			 failed;
	u_int			 cdepth;	/* condition nesting */
	u_int			 cnodes;	/* condition size */
};

/* What one tag is, before the tree is built. */
enum item_kind {
	ITEM_TEXT,
	ITEM_OUTPUT,
	ITEM_IF,
	ITEM_ELSEIF,
	ITEM_ELSE,
	ITEM_END,
	ITEM_FOR,
};

struct item {
	enum item_kind	 kind;
	size_t		 off;		/* of the text, or of "{{" */
	size_t		 end;		/* one past the text or "}}" */
	size_t		 lcut, rcut;	/* text trimmed by standalone tags */
	struct tpl_node	*node;		/* output, if, for */
	struct tpl_cond	*cond;		/* else if */
};

static const char *const tpl_filter_names[] = {
	"json", "url", "base64", "default", "upper", "lower", "trim", "join",
	"length", "network", "netmask", "wildcard", "prefixlen", NULL
};
static const u_int tpl_filter_minargs[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
    0, 0 };
static const u_int tpl_filter_maxargs[] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
    0, 0 };

static const char *const tpl_func_names[] = { "now", "uuid", NULL };

static const char *const tpl_keywords[] = {
	"if", "else", "end", "for", "in", "range", "not", "and", "or", "eq",
	"ne", NULL
};

static struct tpl_expr	*parse_expr(struct tpl_parser *);
static struct tpl_cond	*parse_or(struct tpl_parser *);
static void		 expr_free(struct tpl_expr *);
static void		 cond_free(struct tpl_cond *);
static void		 node_free(struct tpl_node *);

void
tpl_set_error(struct tpl_error *err, const char *src, int off,
    const char *fmt, ...)
{
	va_list	ap;
	int	i;

	if (err == NULL)
		return;
	err->offset = off;
	err->line = 0;
	err->column = 0;
	if (off >= 0 && src != NULL) {
		err->line = 1;
		err->column = 1;
		for (i = 0; i < off && src[i] != '\0'; i++) {
			if (src[i] == '\n') {
				err->line++;
				err->column = 1;
			} else if (((u_char)src[i] & 0xc0) != 0x80)
				err->column++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Record a parse error at byte offset off; the first one wins. */
static void __attribute__((format(printf, 3, 4)))
perr(struct tpl_parser *ps, size_t off, const char *fmt, ...)
{
	va_list	ap;
	char	buf[sizeof(((struct tpl_error *)NULL)->msg)];

	if (ps->failed)
		return;
	ps->failed = 1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tpl_set_error(ps->err, ps->s, (int)off, "%s", buf);
}

static int
is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Scan one token at ps->p without consuming it. */
static struct tok
peek(struct tpl_parser *ps)
{
	struct tok	 t;
	const char	*s = ps->s;
	size_t		 p = ps->p, n = ps->len;
	int		 q;

	while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' ||
	    s[p] == '\r'))
		p++;
	t.off = p;
	t.len = 1;
	if (p >= n) {
		t.t = TOK_EOF;
		t.len = 0;
		return t;
	}
	switch (s[p]) {
	case '}':
		if (p + 1 < n && s[p + 1] == '}') {
			t.t = TOK_CLOSE;
			t.len = 2;
		} else
			t.t = TOK_BAD;
		return t;
	case '.':
		t.t = TOK_DOT;
		return t;
	case '[':
		t.t = TOK_LBRACK;
		return t;
	case ']':
		t.t = TOK_RBRACK;
		return t;
	case '(':
		t.t = TOK_LPAREN;
		return t;
	case ')':
		t.t = TOK_RPAREN;
		return t;
	case ',':
		t.t = TOK_COMMA;
		return t;
	case '|':
		t.t = TOK_PIPE;
		return t;
	case ':':
		t.t = TOK_COLON;
		return t;
	case '=':
	case '!':
		if (p + 1 < n && s[p + 1] == '=') {
			t.t = s[p] == '=' ? TOK_EQEQ : TOK_NE;
			t.len = 2;
		} else
			t.t = TOK_BAD;
		return t;
	case '"':
	case '\'':
		q = s[p];
		t.t = TOK_STRING;
		for (p++; p < n && s[p] != q; p++) {
			if (s[p] == '\\' && p + 1 < n)
				p++;
		}
		if (p >= n) {
			t.t = TOK_BAD;	/* not closed */
			return t;
		}
		t.len = p + 1 - t.off;
		return t;
	}
	if (is_digit((u_char)s[p]) ||
	    (s[p] == '-' && p + 1 < n && is_digit((u_char)s[p + 1]))) {
		t.t = TOK_NUMBER;
		if (s[p] == '-')
			p++;
		while (p < n && is_digit((u_char)s[p]))
			p++;
		if (p + 1 < n && s[p] == '.' && is_digit((u_char)s[p + 1])) {
			for (p++; p < n && is_digit((u_char)s[p]); p++)
				;
		}
		if (p < n && (s[p] == 'e' || s[p] == 'E')) {
			size_t e = p + 1;

			if (e < n && (s[e] == '+' || s[e] == '-'))
				e++;
			if (e < n && is_digit((u_char)s[e])) {
				p = e;
				while (p < n && is_digit((u_char)s[p]))
					p++;
			}
		}
		t.len = p - t.off;
		return t;
	}
	if (is_name_start((u_char)s[p])) {
		t.t = TOK_NAME;
		while (p < n && is_name_char((u_char)s[p]))
			p++;
		t.len = p - t.off;
		return t;
	}
	t.t = TOK_BAD;
	return t;
}

static struct tok
next(struct tpl_parser *ps)
{
	struct tok t = peek(ps);

	ps->p = t.off + t.len;
	return t;
}

static int
tok_is(struct tpl_parser *ps, const struct tok *t, const char *word)
{
	return t->t == TOK_NAME && t->len == strlen(word) &&
	    memcmp(ps->s + t->off, word, t->len) == 0;
}

static int
is_keyword(struct tpl_parser *ps, const struct tok *t)
{
	size_t i;

	for (i = 0; tpl_keywords[i] != NULL; i++) {
		if (tok_is(ps, t, tpl_keywords[i]))
			return 1;
	}
	return 0;
}

/* A description of a token for "found ..." in messages. */
static const char *
tok_desc(struct tpl_parser *ps, const struct tok *t, char *buf, size_t size)
{
	int c;

	switch (t->t) {
	case TOK_EOF:
		return "the end of the template";
	case TOK_CLOSE:
		return "'}}'";
	case TOK_STRING:
		return "a string";
	case TOK_NUMBER:
		return "a number";
	case TOK_NAME:
		snprintf(buf, size, "'%.*s'", t->len > 40 ? 40 : (int)t->len,
		    ps->s + t->off);
		return buf;
	case TOK_BAD:
		c = (u_char)ps->s[t->off];
		if (c == '"' || c == '\'')
			return "a string that is not closed";
		if (c > 0x20 && c < 0x7f)
			snprintf(buf, size, "'%c'", c);
		else
			snprintf(buf, size, "byte 0x%02x", c);
		return buf;
	default:
		snprintf(buf, size, "'%.*s'", (int)t->len, ps->s + t->off);
		return buf;
	}
}

/* Fail with "expected WHAT, found TOKEN" at t. */
static void
expected(struct tpl_parser *ps, const struct tok *t, const char *what)
{
	char buf[64];

	perr(ps, t->off, "expected %s, found %s", what,
	    tok_desc(ps, t, buf, sizeof(buf)));
}

static int
expect(struct tpl_parser *ps, enum tpl_tok want, const char *what)
{
	struct tok t = next(ps);

	if (t.t != want) {
		expected(ps, &t, what);
		return -1;
	}
	return 0;
}

static int
read_hex4(const char *s, size_t p, size_t end, u_int *out)
{
	u_int	v = 0;
	size_t	i;
	int	h;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = str_hexval((u_char)s[p + i])) < 0)
			return -1;
		v = v << 4 | (u_int)h;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *d, u_int cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode a quoted string token into a JSON string, or NULL after perr. */
static json_t *
decode_string(struct tpl_parser *ps, const struct tok *t)
{
	const char	*s = ps->s;
	size_t		 p = t->off + 1, end = t->off + t->len - 1, n = 0;
	char		*buf;
	json_t		*v = NULL;
	u_int		 cp, lo;

	buf = xmalloc(t->len + 1);
	while (p < end) {
		if (s[p] != '\\') {
			buf[n++] = s[p++];
			continue;
		}
		p++;
		switch (s[p]) {
		case '\\':
		case '"':
		case '\'':
		case '/':
			buf[n++] = s[p++];
			continue;
		case 'n':
			buf[n++] = '\n';
			p++;
			continue;
		case 't':
			buf[n++] = '\t';
			p++;
			continue;
		case 'r':
			buf[n++] = '\r';
			p++;
			continue;
		case 'u':
			if (read_hex4(s, p + 1, end, &cp) != 0)
				break;
			p += 5;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				break;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - p < 6 || s[p] != '\\' ||
				    s[p + 1] != 'u' ||
				    read_hex4(s, p + 2, end, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					break;
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			n += put_utf8(buf + n, cp);
			continue;
		}
		perr(ps, p - 1, "invalid escape in string; use \\\\, \\\", "
		    "\\', \\n, \\t, \\r or \\uXXXX");
		goto out;
	}
	if ((v = json_stringn(buf, n)) == NULL)
		perr(ps, t->off, "string is not valid UTF-8");
out:
	free(buf);
	return v;
}

static json_t *
decode_number(struct tpl_parser *ps, const struct tok *t)
{
	char		 buf[64];
	char		*end;
	long long	 ll;
	double		 d;

	if (t->len >= sizeof(buf)) {
		perr(ps, t->off, "number is too long");
		return NULL;
	}
	memcpy(buf, ps->s + t->off, t->len);
	buf[t->len] = '\0';
	errno = 0;
	if (strpbrk(buf, ".eE") == NULL) {
		ll = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(ll);
	} else {
		d = strtod(buf, &end);
		if (errno == 0 && *end == '\0' && isfinite(d))
			return json_real(d);
	}
	perr(ps, t->off, "number %s is out of range", buf);
	return NULL;
}

static struct tpl_expr *
expr_new(enum tpl_expr_kind kind, size_t off)
{
	struct tpl_expr *e = xcalloc(1, sizeof(*e));

	e->kind = kind;
	e->off = (int)off;
	return e;
}

/* Append a step to e and to its text. */
static void
expr_add_step(struct tpl_expr *e, enum tpl_step_kind kind, const char *name,
    size_t namelen, long long index)
{
	struct tpl_step	*st;
	char		*text;

	e->steps = xreallocarray(e->steps, e->nsteps + 1, sizeof(*e->steps));
	st = &e->steps[e->nsteps++];
	st->kind = kind;
	st->name = NULL;
	st->index = index;
	if (kind == TPL_STEP_INDEX)
		text = xasprintf("%s[%lld]", e->text, index);
	else {
		st->name = xstrndup(name, namelen);
		if (e->kind == TPL_EXPR_DOT && e->nsteps == 1)
			text = xasprintf(".%s", st->name);
		else
			text = xasprintf("%s.%s", e->text, st->name);
	}
	free(e->text);
	e->text = text;
}

/* The steps after a root: .name, [n], ["name"]. */
static int
parse_steps(struct tpl_parser *ps, struct tpl_expr *e)
{
	struct tok	 t, u;
	json_t		*v;
	long long	 i;

	for (;;) {
		t = peek(ps);
		/* Steps are written without spaces: "eq .a .b" is two paths. */
		if (t.off != ps->p)
			return 0;
		if (t.t == TOK_DOT) {
			next(ps);
			u = next(ps);
			if (u.t != TOK_NAME) {
				expected(ps, &u, "a field name after '.'");
				return -1;
			}
			expr_add_step(e, TPL_STEP_FIELD, ps->s + u.off, u.len,
			    -1);
		} else if (t.t == TOK_LBRACK) {
			next(ps);
			u = next(ps);
			if (u.t == TOK_STRING) {
				if ((v = decode_string(ps, &u)) == NULL)
					return -1;
				if (strlen(json_string_value(v)) !=
				    json_string_length(v)) {
					json_decref(v);
					perr(ps, u.off, "field name contains "
					    "a NUL character");
					return -1;
				}
				expr_add_step(e, TPL_STEP_FIELD,
				    json_string_value(v), json_string_length(v),
				    -1);
				json_decref(v);
			} else if (u.t == TOK_NUMBER) {
				if ((v = decode_number(ps, &u)) == NULL)
					return -1;
				i = json_is_integer(v) ?
				    json_integer_value(v) : -1;
				json_decref(v);
				if (i < 0 || i > INT_MAX) {
					perr(ps, u.off, "a list index must be "
					    "a whole number from 0 to %d",
					    INT_MAX);
					return -1;
				}
				expr_add_step(e, TPL_STEP_INDEX, NULL, 0, i);
			} else {
				expected(ps, &u, "a list index or a quoted "
				    "field name after '['");
				return -1;
			}
			if (expect(ps, TOK_RBRACK, "']'") != 0)
				return -1;
		} else
			return 0;
	}
}

static struct tpl_expr *
parse_call(struct tpl_parser *ps, const struct tok *name)
{
	struct tpl_expr	*e, *arg;
	const char	*sug;
	char		 fname[64];
	size_t		 i, nargs = 0;
	struct tok	 t;

	snprintf(fname, sizeof(fname), "%.*s", (int)(name->len > 40 ? 40 :
	    name->len), ps->s + name->off);
	for (i = 0; tpl_func_names[i] != NULL; i++) {
		if (strcmp(fname, tpl_func_names[i]) == 0)
			break;
	}
	if (tpl_func_names[i] == NULL) {
		sug = str_suggest(fname, tpl_func_names);
		perr(ps, name->off, "unknown function '%s'%s%s%s; the "
		    "functions are now() and uuid()", fname,
		    sug != NULL ? " (did you mean '" : "",
		    sug != NULL ? sug : "", sug != NULL ? "()'?)" : "");
		return NULL;
	}
	next(ps);	/* ( */
	t = peek(ps);
	if (t.t != TOK_RPAREN) {
		for (;;) {
			if ((arg = parse_expr(ps)) == NULL)
				return NULL;
			expr_free(arg);
			nargs++;
			t = next(ps);
			if (t.t == TOK_RPAREN)
				break;
			if (t.t != TOK_COMMA) {
				expected(ps, &t, "',' or ')'");
				return NULL;
			}
		}
	} else
		next(ps);
	if (nargs != 0) {
		perr(ps, name->off, "%s() takes no arguments", fname);
		return NULL;
	}
	e = expr_new(TPL_EXPR_CALL, name->off);
	e->func = i == 0 ? TPL_FUNC_NOW : TPL_FUNC_UUID;
	e->text = xasprintf("%s()", fname);
	return e;
}

/* expr := path | call | STRING | NUMBER | true | false | null */
static struct tpl_expr *
parse_expr(struct tpl_parser *ps)
{
	struct tpl_expr	*e = NULL;
	struct tok	 t, u;
	json_t		*v;

	t = next(ps);
	switch (t.t) {
	case TOK_STRING:
		if ((v = decode_string(ps, &t)) == NULL)
			return NULL;
		e = expr_new(TPL_EXPR_CONST, t.off);
		e->value = v;
		e->text = xstrdup("a literal string");
		return e;
	case TOK_NUMBER:
		if ((v = decode_number(ps, &t)) == NULL)
			return NULL;
		e = expr_new(TPL_EXPR_CONST, t.off);
		e->value = v;
		e->text = xstrdup("a literal number");
		return e;
	case TOK_DOT:
		e = expr_new(TPL_EXPR_DOT, t.off);
		e->text = xstrdup(".");
		u = peek(ps);
		/* ".X" is written without a space; ". X" is not a field. */
		if (u.t == TOK_NAME && u.off == t.off + 1) {
			next(ps);
			expr_add_step(e, TPL_STEP_FIELD, ps->s + u.off, u.len,
			    -1);
		}
		break;
	case TOK_NAME:
		if (tok_is(ps, &t, "true") || tok_is(ps, &t, "false") ||
		    tok_is(ps, &t, "null")) {
			e = expr_new(TPL_EXPR_CONST, t.off);
			e->value = tok_is(ps, &t, "null") ? json_null() :
			    json_boolean(tok_is(ps, &t, "true"));
			e->text = xstrdup("a literal");
			return e;
		}
		if (is_keyword(ps, &t)) {
			expected(ps, &t, "a value (a name, a string or a "
			    "number)");
			return NULL;
		}
		if (peek(ps).t == TOK_LPAREN)
			return parse_call(ps, &t);
		e = expr_new(TPL_EXPR_PATH, t.off);
		e->root = xstrndup(ps->s + t.off, t.len);
		e->text = xstrdup(e->root);
		if (peek(ps).t == TOK_COLON) {
			/* NAME ":" NAME is NAME "." NAME. */
			next(ps);
			u = next(ps);
			if (u.t != TOK_NAME) {
				expected(ps, &u, "a field name after ':'");
				goto fail;
			}
			expr_add_step(e, TPL_STEP_FIELD, ps->s + u.off, u.len,
			    -1);
		}
		break;
	default:
		expected(ps, &t, "a value (a name, a string or a number)");
		return NULL;
	}
	if (parse_steps(ps, e) != 0)
		goto fail;
	return e;
fail:
	expr_free(e);
	return NULL;
}

static struct tpl_cond *
cond_new(struct tpl_parser *ps, enum tpl_cond_kind kind, size_t off)
{
	struct tpl_cond *c;

	if (++ps->cnodes > 256) {
		perr(ps, off, "condition is too long (more than 256 terms)");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	return c;
}

/* A comparison or a single value; "not" and parentheses nest. */
static struct tpl_cond *
parse_not(struct tpl_parser *ps)
{
	struct tpl_cond	*c = NULL, *sub;
	struct tpl_expr	*a = NULL, *b = NULL;
	struct tok	 t = peek(ps);
	enum tpl_cond_kind kind;

	if (tok_is(ps, &t, "not") || t.t == TOK_LPAREN) {
		if (++ps->cdepth > TPL_MAX_COND_DEPTH) {
			perr(ps, t.off, "condition nests too deeply (limit "
			    "%d)", TPL_MAX_COND_DEPTH);
			return NULL;
		}
		next(ps);
		if (t.t == TOK_LPAREN) {
			if ((sub = parse_or(ps)) == NULL)
				return NULL;
			if (expect(ps, TOK_RPAREN, "')'") != 0) {
				cond_free(sub);
				return NULL;
			}
			ps->cdepth--;
			return sub;
		}
		if ((sub = parse_not(ps)) == NULL)
			return NULL;
		if ((c = cond_new(ps, TPL_COND_NOT, t.off)) == NULL) {
			cond_free(sub);
			return NULL;
		}
		c->l = sub;
		ps->cdepth--;
		return c;
	}
	if (tok_is(ps, &t, "eq") || tok_is(ps, &t, "ne")) {
		next(ps);
		kind = tok_is(ps, &t, "eq") ? TPL_COND_EQ : TPL_COND_NE;
		if ((a = parse_expr(ps)) == NULL)
			goto fail;
		if ((b = parse_expr(ps)) == NULL)
			goto fail;
	} else {
		kind = TPL_COND_EXPR;
		if ((a = parse_expr(ps)) == NULL)
			goto fail;
		t = peek(ps);
		if (t.t == TOK_EQEQ || t.t == TOK_NE) {
			next(ps);
			kind = t.t == TOK_EQEQ ? TPL_COND_EQ : TPL_COND_NE;
			if ((b = parse_expr(ps)) == NULL)
				goto fail;
		}
	}
	if ((c = cond_new(ps, kind, t.off)) == NULL)
		goto fail;
	c->a = a;
	c->b = b;
	return c;
fail:
	expr_free(a);
	expr_free(b);
	return NULL;
}

static struct tpl_cond *
parse_and(struct tpl_parser *ps)
{
	struct tpl_cond	*l, *r, *c;
	struct tok	 t;

	if ((l = parse_not(ps)) == NULL)
		return NULL;
	for (;;) {
		t = peek(ps);
		if (!tok_is(ps, &t, "and"))
			return l;
		next(ps);
		if ((r = parse_not(ps)) == NULL ||
		    (c = cond_new(ps, TPL_COND_AND, t.off)) == NULL) {
			cond_free(l);
			cond_free(r);
			return NULL;
		}
		c->l = l;
		c->r = r;
		l = c;
	}
}

/* cond := and ( "or" and )*; and := not ( "and" not )* */
static struct tpl_cond *
parse_or(struct tpl_parser *ps)
{
	struct tpl_cond	*l, *r, *c;
	struct tok	 t;

	if ((l = parse_and(ps)) == NULL)
		return NULL;
	for (;;) {
		t = peek(ps);
		if (!tok_is(ps, &t, "or"))
			return l;
		next(ps);
		if ((r = parse_and(ps)) == NULL ||
		    (c = cond_new(ps, TPL_COND_OR, t.off)) == NULL) {
			cond_free(l);
			cond_free(r);
			return NULL;
		}
		c->l = l;
		c->r = r;
		l = c;
	}
}

static struct tpl_cond *
parse_cond(struct tpl_parser *ps, const struct tok *kw)
{
	struct tok t = peek(ps);
	char buf[64];

	ps->cdepth = 0;
	ps->cnodes = 0;
	if (t.t == TOK_CLOSE || t.t == TOK_EOF) {
		perr(ps, t.off, "expected a condition after '%.*s', found %s",
		    (int)kw->len, ps->s + kw->off, tok_desc(ps, &t, buf,
		    sizeof(buf)));
		return NULL;
	}
	return parse_or(ps);
}

/* ( "|" NAME [ "(" args ")" ] )* after an output expression. */
static int
parse_filters(struct tpl_parser *ps, struct tpl_node *n)
{
	struct tpl_filter	*f;
	struct tpl_expr		*arg;
	struct tok		 t;
	const char		*sug;
	char			 name[64];
	size_t			 i;

	while (peek(ps).t == TOK_PIPE) {
		next(ps);
		t = next(ps);
		if (t.t != TOK_NAME) {
			expected(ps, &t, "a filter name after '|'");
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s",
		    (int)(t.len > 40 ? 40 : t.len), ps->s + t.off);
		for (i = 0; tpl_filter_names[i] != NULL; i++) {
			if (strcmp(name, tpl_filter_names[i]) == 0)
				break;
		}
		if (tpl_filter_names[i] == NULL) {
			sug = str_suggest(name, tpl_filter_names);
			perr(ps, t.off, "unknown filter '%s'%s%s%s; the "
			    "filters are json, url, base64, default(x), upper, lower, "
			    "trim, join(sep), length, network, netmask, wildcard "
			    "and prefixlen", name,
			    sug != NULL ? " (did you mean '" : "",
			    sug != NULL ? sug : "", sug != NULL ? "'?)" : "");
			return -1;
		}
		n->filters = xreallocarray(n->filters, n->nfilters + 1,
		    sizeof(*n->filters));
		f = &n->filters[n->nfilters++];
		memset(f, 0, sizeof(*f));
		f->kind = (enum tpl_filter_kind)i;
		f->off = (int)t.off;
		if (peek(ps).t == TOK_LPAREN) {
			next(ps);
			if (peek(ps).t == TOK_RPAREN)
				next(ps);
			else for (;;) {
				if ((arg = parse_expr(ps)) == NULL)
					return -1;
				f->args = xreallocarray(f->args, f->nargs + 1,
				    sizeof(*f->args));
				f->args[f->nargs++] = arg;
				t = next(ps);
				if (t.t == TOK_RPAREN)
					break;
				if (t.t != TOK_COMMA) {
					expected(ps, &t, "',' or ')'");
					return -1;
				}
			}
		}
		if (f->nargs < tpl_filter_minargs[i] ||
		    f->nargs > tpl_filter_maxargs[i]) {
			if (tpl_filter_maxargs[i] == 0)
				perr(ps, f->off, "filter '%s' takes no "
				    "arguments", name);
			else
				perr(ps, f->off, "filter '%s' takes %s "
				    "argument, as in %s", name,
				    tpl_filter_minargs[i] == 0 ? "at most one" :
				    "one", i == TPL_FILTER_DEFAULT ?
				    "default(\"none\")" : "join(\",\")");
			return -1;
		}
	}
	return 0;
}

static struct tpl_node *
node_new(enum tpl_node_kind kind, size_t off)
{
	struct tpl_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->off = (int)off;
	return n;
}

/* Parse one tag whose "{{" is at ps->p - 2; fills it. */
static int
parse_tag(struct tpl_parser *ps, struct item *it)
{
	struct tok	 t, u;
	struct tpl_node	*n;

	t = peek(ps);
	if (tok_is(ps, &t, "if")) {
		next(ps);
		it->kind = ITEM_IF;
		it->node = n = node_new(TPL_NODE_IF, it->off);
		n->branches = xcalloc(1, sizeof(*n->branches));
		n->nbranches = 1;
		if ((n->branches[0].cond = parse_cond(ps, &t)) == NULL)
			return -1;
	} else if (tok_is(ps, &t, "else")) {
		next(ps);
		u = peek(ps);
		if (tok_is(ps, &u, "if")) {
			next(ps);
			it->kind = ITEM_ELSEIF;
			if ((it->cond = parse_cond(ps, &u)) == NULL)
				return -1;
		} else
			it->kind = ITEM_ELSE;
	} else if (tok_is(ps, &t, "end")) {
		next(ps);
		it->kind = ITEM_END;
	} else if (tok_is(ps, &t, "for")) {
		next(ps);
		it->kind = ITEM_FOR;
		it->node = n = node_new(TPL_NODE_FOR, it->off);
		u = next(ps);
		if (u.t != TOK_NAME || is_keyword(ps, &u)) {
			expected(ps, &u, "a loop variable name after 'for'");
			return -1;
		}
		n->var = xstrndup(ps->s + u.off, u.len);
		u = next(ps);
		if (!tok_is(ps, &u, "in")) {
			expected(ps, &u, "'in'");
			return -1;
		}
		if ((n->list = parse_expr(ps)) == NULL)
			return -1;
	} else if (tok_is(ps, &t, "range")) {
		next(ps);
		it->kind = ITEM_FOR;
		it->node = n = node_new(TPL_NODE_FOR, it->off);
		if ((n->list = parse_expr(ps)) == NULL)
			return -1;
	} else {
		if (t.t == TOK_CLOSE) {
			perr(ps, it->off, "empty tag: expected a value, a "
			    "condition or a loop between '{{' and '}}'");
			return -1;
		}
		it->kind = ITEM_OUTPUT;
		it->node = n = node_new(TPL_NODE_OUTPUT, it->off);
		if ((n->expr = parse_expr(ps)) == NULL)
			return -1;
		if (parse_filters(ps, n) != 0)
			return -1;
	}
	t = next(ps);
	if (t.t == TOK_CLOSE) {
		it->end = ps->p;
		return 0;
	}
	if (t.t == TOK_EOF)
		perr(ps, it->off, "'{{' is not closed: expected '}}'");
	else if (it->kind == ITEM_OUTPUT)
		expected(ps, &t, "'}}' or '|'");
	else if (it->kind == ITEM_IF || it->kind == ITEM_ELSEIF)
		expected(ps, &t, "'}}', 'and', 'or', '==' or '!='");
	else if (it->kind == ITEM_ELSE)
		expected(ps, &t, "'}}' or 'if' after 'else'");
	else
		expected(ps, &t, "'}}'");
	return -1;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Mark control tags that stand alone on their line (only blanks around
 * them) and cut those blanks and the line's newline from the text beside
 * them.  Decisions look at the untrimmed text, as Mustache does.
 */
static void
trim_standalone(const char *s, struct item *items, size_t n)
{
	struct item	*prev, *nxt;
	size_t		 i, j, k, left, right;

	for (i = 0; i < n; i++) {
		if (items[i].kind == ITEM_TEXT || items[i].kind == ITEM_OUTPUT)
			continue;
		prev = i > 0 ? &items[i - 1] : NULL;
		nxt = i + 1 < n ? &items[i + 1] : NULL;
		/* Blanks back to a newline or the start of the template. */
		if (prev != NULL && prev->kind != ITEM_TEXT)
			continue;
		left = 0;
		if (prev != NULL) {
			for (j = prev->end; j > prev->off && is_blank(s[j - 1]);
			    j--)
				;
			if (j > prev->off && s[j - 1] != '\n')
				continue;
			if (j == prev->off && i != 1)
				continue;	/* no newline: a tag before */
			left = prev->end - j;
		}
		/* Blanks forward to a newline or the end of the template. */
		if (nxt != NULL && nxt->kind != ITEM_TEXT)
			continue;
		right = 0;
		if (nxt != NULL) {
			for (k = nxt->off; k < nxt->end && is_blank(s[k]); k++)
				;
			if (k < nxt->end && s[k] == '\r' && k + 1 < nxt->end &&
			    s[k + 1] == '\n')
				k++;
			if (k < nxt->end && s[k] == '\n')
				k++;
			else if (k < nxt->end || i + 2 != n)
				continue;	/* text or a tag follows */
			right = k - nxt->off;
		}
		if (prev != NULL)
			prev->rcut = left;
		if (nxt != NULL)
			nxt->lcut = right;
	}
}

static void
body_add(struct tpl_body *b, struct tpl_node *n)
{
	if (b->n == b->cap) {
		b->cap = b->cap == 0 ? 8 : b->cap * 2;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	b->v[b->n++] = n;
}

/* The body new nodes go into, inside the innermost open block. */
static struct tpl_body *
open_body(struct tpl *t, struct tpl_node **stack, size_t depth)
{
	struct tpl_node *top;

	if (depth == 0)
		return &t->body;
	top = stack[depth - 1];
	if (top->kind == TPL_NODE_IF)
		return &top->branches[top->nbranches - 1].body;
	return &top->body;
}

static void
item_free(struct item *it)
{
	node_free(it->node);
	cond_free(it->cond);
	it->node = NULL;
	it->cond = NULL;
}

/* Nest the flat list into t's tree; items are consumed either way. */
static int
build_tree(struct tpl_parser *ps, struct tpl *t, struct item *items,
    size_t nitems)
{
	struct tpl_node	*stack[TPL_MAX_DEPTH], *top, *n;
	struct tpl_branch *br;
	size_t		 depth = 0, i, len;
	const char	*what;

	for (i = 0; i < nitems; i++) {
		struct item *it = &items[i];

		switch (it->kind) {
		case ITEM_TEXT:
			len = it->end - it->off - it->lcut - it->rcut;
			if (len == 0)
				continue;
			n = node_new(TPL_NODE_TEXT, it->off + it->lcut);
			n->text = t->src + it->off + it->lcut;
			n->len = len;
			body_add(open_body(t, stack, depth), n);
			break;
		case ITEM_OUTPUT:
			body_add(open_body(t, stack, depth), it->node);
			it->node = NULL;
			break;
		case ITEM_IF:
		case ITEM_FOR:
			if (depth == TPL_MAX_DEPTH) {
				perr(ps, it->off, "blocks nest too deeply "
				    "(limit %d if/for inside each other)",
				    TPL_MAX_DEPTH);
				goto fail;
			}
			body_add(open_body(t, stack, depth), it->node);
			stack[depth++] = it->node;
			it->node = NULL;
			break;
		case ITEM_ELSEIF:
		case ITEM_ELSE:
			what = it->kind == ITEM_ELSE ? "else" : "else if";
			top = depth > 0 ? stack[depth - 1] : NULL;
			if (top == NULL || top->kind != TPL_NODE_IF) {
				perr(ps, it->off, "'%s' without an open 'if'",
				    what);
				goto fail;
			}
			if (top->branches[top->nbranches - 1].cond == NULL) {
				perr(ps, it->off, "'%s' after 'else': an 'if' "
				    "has at most one 'else', and it comes last",
				    what);
				goto fail;
			}
			top->branches = xreallocarray(top->branches,
			    top->nbranches + 1, sizeof(*top->branches));
			br = &top->branches[top->nbranches++];
			memset(br, 0, sizeof(*br));
			br->cond = it->cond;
			it->cond = NULL;
			break;
		case ITEM_END:
			if (depth == 0) {
				perr(ps, it->off, "'end' without an open 'if' "
				    "or 'for'");
				goto fail;
			}
			depth--;
			break;
		}
	}
	if (depth > 0) {
		top = stack[depth - 1];
		perr(ps, (size_t)top->off, "'%s' is not closed: expected "
		    "{{ end }}", top->kind == TPL_NODE_IF ? "if" :
		    top->var != NULL ? "for" : "range");
		return -1;
	}
	return 0;
fail:
	for (; i < nitems; i++)
		item_free(&items[i]);
	return -1;
}

int
tpl_compile(const char *src, size_t len, struct tpl **out,
    struct tpl_error *err)
{
	struct tpl_parser	 ps;
	struct tpl		*t = NULL;
	struct item		*items = NULL;
	size_t			 nitems = 0, cap = 0, p = 0, i;
	const char		*q;
	int			 rc = -1;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.err = err;
	if (len > TPL_MAX_SOURCE) {
		tpl_set_error(err, NULL, -1, "template is %zu bytes; the limit "
		    "is %d", len, TPL_MAX_SOURCE);
		return -1;
	}
	if (memchr(src, '\0', len) != NULL) {
		tpl_set_error(err, src, (int)((const char *)memchr(src, '\0',
		    len) - src), "template contains a NUL byte");
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->src = xmalloc(len + 1);
	memcpy(t->src, src, len);
	t->src[len] = '\0';
	t->len = len;
	ps.s = t->src;
	ps.len = len;

	while (p < len) {
		if (nitems + 2 > cap) {
			cap = cap == 0 ? 16 : cap * 2;
			items = xreallocarray(items, cap, sizeof(*items));
		}
		q = NULL;
		if (len - p >= 2)
			q = memmem(t->src + p, len - p, "{{", 2);
		if (q == NULL) {
			memset(&items[nitems], 0, sizeof(*items));
			items[nitems].kind = ITEM_TEXT;
			items[nitems].off = p;
			items[nitems++].end = len;
			break;
		}
		if ((size_t)(q - t->src) > p) {
			memset(&items[nitems], 0, sizeof(*items));
			items[nitems].kind = ITEM_TEXT;
			items[nitems].off = p;
			items[nitems++].end = (size_t)(q - t->src);
		}
		memset(&items[nitems], 0, sizeof(*items));
		items[nitems].off = (size_t)(q - t->src);
		ps.p = items[nitems].off + 2;
		if (parse_tag(&ps, &items[nitems]) != 0) {
			item_free(&items[nitems]);
			goto out;
		}
		p = items[nitems++].end;
	}
	trim_standalone(t->src, items, nitems);
	if (build_tree(&ps, t, items, nitems) != 0) {
		nitems = 0;
		goto out;
	}
	nitems = 0;
	*out = t;
	t = NULL;
	rc = 0;
out:
	for (i = 0; i < nitems; i++)
		item_free(&items[i]);
	free(items);
	tpl_free(t);
	return rc;
}

static void
expr_free(struct tpl_expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nsteps; i++)
		free(e->steps[i].name);
	free(e->steps);
	free(e->root);
	free(e->text);
	json_decref(e->value);
	free(e);
}

static void
cond_free(struct tpl_cond *c)
{
	if (c == NULL)
		return;
	cond_free(c->l);
	cond_free(c->r);
	expr_free(c->a);
	expr_free(c->b);
	free(c);
}

static void
body_free(struct tpl_body *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		node_free(b->v[i]);
	free(b->v);
}

static void
node_free(struct tpl_node *n)
{
	size_t i, j;

	if (n == NULL)
		return;
	expr_free(n->expr);
	for (i = 0; i < n->nfilters; i++) {
		for (j = 0; j < n->filters[i].nargs; j++)
			expr_free(n->filters[i].args[j]);
		free(n->filters[i].args);
	}
	free(n->filters);
	for (i = 0; i < n->nbranches; i++) {
		cond_free(n->branches[i].cond);
		body_free(&n->branches[i].body);
	}
	free(n->branches);
	free(n->var);
	expr_free(n->list);
	body_free(&n->body);
	free(n);
}

void
tpl_free(struct tpl *t)
{
	if (t == NULL)
		return;
	body_free(&t->body);
	free(t->src);
	free(t);
}

int
tpl_has_tags(const char *src)
{
	return src != NULL && strstr(src, "{{") != NULL;
}

/* Names bound by enclosing loops while walking for tpl_vars(). */
struct vars_walk {
	const struct tpl	*t;
	tpl_var_cb		 cb;
	void			*arg;
	const char		*bound[TPL_MAX_DEPTH];
	size_t			 nbound;
	u_int			 ranges;	/* enclosing range blocks */
};

static void
vars_expr(struct vars_walk *w, const struct tpl_expr *e)
{
	struct tpl_error	 pos;
	const char		*root, *field = NULL;
	int			 index = -1;
	size_t			 i;

	if (e == NULL)
		return;
	if (e->kind == TPL_EXPR_DOT) {
		if (w->ranges > 0)
			return;		/* relative to a loop element */
		root = "get_data";
	} else if (e->kind == TPL_EXPR_PATH) {
		for (i = 0; i < w->nbound; i++) {
			if (strcmp(w->bound[i], e->root) == 0)
				return;
		}
		root = e->root;
	} else
		return;
	if (e->nsteps > 0 && e->steps[0].kind == TPL_STEP_INDEX) {
		index = (int)e->steps[0].index;
		if (e->nsteps > 1 && e->steps[1].kind == TPL_STEP_FIELD)
			field = e->steps[1].name;
	} else if (e->nsteps > 0)
		field = e->steps[0].name;
	tpl_set_error(&pos, w->t->src, e->off, "%s", "");
	w->cb(root, field, index, pos.line, pos.column, w->arg);
}

static void
vars_cond(struct vars_walk *w, const struct tpl_cond *c)
{
	if (c == NULL)
		return;
	vars_cond(w, c->l);
	vars_cond(w, c->r);
	vars_expr(w, c->a);
	vars_expr(w, c->b);
}

static void
vars_body(struct vars_walk *w, const struct tpl_body *b)
{
	const struct tpl_node	*n;
	size_t			 i, j, k;

	for (i = 0; i < b->n; i++) {
		n = b->v[i];
		switch (n->kind) {
		case TPL_NODE_TEXT:
			break;
		case TPL_NODE_OUTPUT:
			vars_expr(w, n->expr);
			for (j = 0; j < n->nfilters; j++) {
				for (k = 0; k < n->filters[j].nargs; k++)
					vars_expr(w, n->filters[j].args[k]);
			}
			break;
		case TPL_NODE_IF:
			for (j = 0; j < n->nbranches; j++) {
				vars_cond(w, n->branches[j].cond);
				vars_body(w, &n->branches[j].body);
			}
			break;
		case TPL_NODE_FOR:
			vars_expr(w, n->list);
			if (n->var != NULL)
				w->bound[w->nbound++] = n->var;
			else
				w->ranges++;
			vars_body(w, &n->body);
			if (n->var != NULL)
				w->nbound--;
			else
				w->ranges--;
			break;
		}
	}
}

void
tpl_vars(const struct tpl *t, tpl_var_cb cb, void *arg)
{
	struct vars_walk w;

	if (t == NULL || cb == NULL)
		return;
	memset(&w, 0, sizeof(w));
	w.t = t;
	w.cb = cb;
	w.arg = arg;
	vars_body(&w, &t->body);
}
