/*
 * JSONPath (RFC 9535): the parser.
 *
 * A recursive descent over the RFC's ABNF, one function per rule, with
 * the well-typedness rules of section 2.4.3 checked as each filter
 * expression is built, so a compiled expression needs no further checks
 * when it runs.  Evaluation is in jsonpath-eval.c.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/jsonpath-int.h"

struct jp_parser {
	const char	*s;
	size_t		 len;
	size_t		 p;
	u_int		 depth;
	size_t		 nslots;
	int		 error;
	char		*cause;
};

static int	parse_query(struct jp_parser *, int, struct jp_query **);
static int	parse_or(struct jp_parser *, struct jp_node **);

#define PEEK(ps) ((ps)->p < (ps)->len ? (u_char)(ps)->s[(ps)->p] : -1)
#define ISDIGIT(c) ((c) >= '0' && (c) <= '9')
#define ISALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define ISBLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/* The 1-based character (not byte) position of byte offset off. */
static size_t
jp_charpos(const char *s, size_t off)
{
	size_t	i, n = 1;

	for (i = 0; i < off; i++) {
		if (((u_char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

/* Record a parse error at byte offset off; the first one wins. */
static int __attribute__((format(printf, 4, 5)))
jp_perr(struct jp_parser *ps, size_t off, int error, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (ps->error != 0)
		return (ps->error);
	ps->error = error;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg != NULL) {
		if (asprintf(&ps->cause, "jsonpath: at %zu: %s",
		    jp_charpos(ps->s, off), msg) == -1)
			ps->cause = NULL;
		free(msg);
	}
	return (error);
}

static int
jp_pnomem(struct jp_parser *ps)
{
	return (jp_perr(ps, ps->p, -ENOMEM, "out of memory"));
}

size_t
jp_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const u_char	*u = (const u_char *)s;
	uint32_t	 c;
	size_t		 n, i;

	if (len == 0)
		return (0);
	if (u[0] < 0x80) {
		*cp = u[0];
		return (1);
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
	} else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (u[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return (0);
	*cp = c;
	return (n);
}

static size_t
jp_utf8_encode(char *out, uint32_t c)
{
	u_char	*u = (u_char *)out;

	if (c < 0x80) {
		u[0] = c;
		return (1);
	}
	if (c < 0x800) {
		u[0] = 0xc0 | (c >> 6);
		u[1] = 0x80 | (c & 0x3f);
		return (2);
	}
	if (c < 0x10000) {
		u[0] = 0xe0 | (c >> 12);
		u[1] = 0x80 | ((c >> 6) & 0x3f);
		u[2] = 0x80 | (c & 0x3f);
		return (3);
	}
	u[0] = 0xf0 | (c >> 18);
	u[1] = 0x80 | ((c >> 12) & 0x3f);
	u[2] = 0x80 | ((c >> 6) & 0x3f);
	u[3] = 0x80 | (c & 0x3f);
	return (4);
}

static void
skip_blank(struct jp_parser *ps)
{
	while (ps->p < ps->len && ISBLANK(ps->s[ps->p]))
		ps->p++;
}

static int
jp_grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void	**vp = pp, *nv;
	size_t	  ncap;

	if (n < *cap)
		return (0);
	ncap = *cap == 0 ? 4 : *cap * 2;
	nv = reallocarray(*vp, ncap, size);
	if (nv == NULL)
		return (-ENOMEM);
	*vp = nv;
	*cap = ncap;
	return (0);
}

void
jp_node_free(struct jp_node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	jp_node_free(n->a);
	jp_node_free(n->b);
	if (n->lit != NULL)
		json_decref(n->lit);
	jp_query_free(n->query);
	for (i = 0; i < n->nargs; i++)
		jp_node_free(n->args[i]);
	free(n->args);
	if (n->re != NULL)
		pcre2_code_free(n->re);
	free(n);
}

void
jp_query_free(struct jp_query *q)
{
	struct jp_seg	*seg;
	size_t		 i, j;

	if (q == NULL)
		return;
	for (i = 0; i < q->nsegs; i++) {
		seg = &q->segs[i];
		for (j = 0; j < seg->nsels; j++) {
			free(seg->sels[j].name);
			jp_node_free(seg->sels[j].filter);
		}
		free(seg->sels);
	}
	free(q->segs);
	free(q);
}

static struct jp_node *
node_new(struct jp_parser *ps, enum jp_ntype type, size_t off)
{
	struct jp_node	*n;

	if ((n = calloc(1, sizeof *n)) == NULL) {
		jp_pnomem(ps);
		return (NULL);
	}
	n->type = type;
	n->pos = off;
	return (n);
}

/*
 * A string literal, either quote; the decoded UTF-8 is returned in a new
 * buffer (NUL-terminated, but it may hold NUL bytes from \u0000).
 */
static int
parse_string(struct jp_parser *ps, char **out, size_t *outlen)
{
	const char	*s = ps->s;
	char		 quote = s[ps->p], *buf;
	size_t		 n = 0, start = ps->p, k;
	uint32_t	 c, lo;
	int		 ch, error = 0, i;

	/* Escapes only shrink, so the rest of the input bounds the output. */
	if ((buf = malloc(ps->len - ps->p + 1)) == NULL)
		return (jp_pnomem(ps));
	ps->p++;
	for (;;) {
		if ((ch = PEEK(ps)) == -1) {
			error = jp_perr(ps, start, -EINVAL,
			    "unterminated string: expected closing %c", quote);
			goto out;
		}
		if (ch == quote) {
			ps->p++;
			break;
		}
		if (ch < 0x20) {
			error = jp_perr(ps, ps->p, -EINVAL,
			    "control character U+%04X in string: "
			    "expected it escaped", ch);
			goto out;
		}
		if (ch != '\\') {
			k = jp_utf8_decode(s + ps->p, ps->len - ps->p, &c);
			memcpy(buf + n, s + ps->p, k);
			n += k;
			ps->p += k;
			continue;
		}
		ps->p++;
		switch (ch = PEEK(ps)) {
		case 'b':
			buf[n++] = '\b';
			break;
		case 'f':
			buf[n++] = '\f';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case '/':
		case '\\':
			buf[n++] = ch;
			break;
		case '\'':
		case '"':
			if (ch != quote) {
				error = jp_perr(ps, ps->p - 1, -EINVAL,
				    "invalid escape \\%c in a %s-quoted string",
				    ch, quote == '"' ? "double" : "single");
				goto out;
			}
			buf[n++] = ch;
			break;
		case 'u':
			c = 0;
			for (i = 0; i < 4; i++) {
				ps->p++;
				ch = PEEK(ps);
				if (ISDIGIT(ch))
					c = c * 16 + (ch - '0');
				else if (ch >= 'a' && ch <= 'f')
					c = c * 16 + (ch - 'a' + 10);
				else if (ch >= 'A' && ch <= 'F')
					c = c * 16 + (ch - 'A' + 10);
				else {
					error = jp_perr(ps, ps->p, -EINVAL,
					    "expected four hex digits after \\u");
					goto out;
				}
			}
			if (c >= 0xdc00 && c <= 0xdfff) {
				error = jp_perr(ps, ps->p - 5, -EINVAL,
				    "low surrogate \\u%04X without a high one",
				    (u_int)c);
				goto out;
			}
			if (c >= 0xd800 && c <= 0xdbff) {
				lo = 0;
				if (ps->p + 6 < ps->len &&
				    s[ps->p + 1] == '\\' && s[ps->p + 2] == 'u') {
					for (i = 3; i < 7; i++) {
						ch = (u_char)s[ps->p + i];
						if (ISDIGIT(ch))
							lo = lo * 16 + (ch - '0');
						else if (ch >= 'a' && ch <= 'f')
							lo = lo * 16 + (ch - 'a' + 10);
						else if (ch >= 'A' && ch <= 'F')
							lo = lo * 16 + (ch - 'A' + 10);
						else {
							lo = 0;
							break;
						}
					}
				}
				if (lo < 0xdc00 || lo > 0xdfff) {
					error = jp_perr(ps, ps->p - 5, -EINVAL,
					    "high surrogate \\u%04X: expected a "
					    "low surrogate \\uDC00-\\uDFFF after it",
					    (u_int)c);
					goto out;
				}
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				ps->p += 6;
			}
			n += jp_utf8_encode(buf + n, c);
			break;
		default:
			error = jp_perr(ps, ps->p - 1, -EINVAL, "invalid escape: "
			    "expected one of \\b \\f \\n \\r \\t \\/ \\\\ \\%c "
			    "\\uXXXX", quote);
			goto out;
		}
		ps->p++;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
out:
	free(buf);
	return (error);
}

/* An index or slice bound: "0" / ["-"] DIGIT1 *DIGIT, within +-(2^53-1). */
static int
parse_int(struct jp_parser *ps, int64_t *out, const char *what)
{
	size_t	start = ps->p;
	int64_t	v = 0;
	int	neg = 0, big = 0;

	if (PEEK(ps) == '-') {
		neg = 1;
		ps->p++;
	}
	if (!ISDIGIT(PEEK(ps)))
		return (jp_perr(ps, ps->p, -EINVAL, "expected a digit in %s",
		    what));
	if (PEEK(ps) == '0') {
		if (neg)
			return (jp_perr(ps, start, -EINVAL,
			    "-0 is not a valid %s", what));
		ps->p++;
		if (ISDIGIT(PEEK(ps)))
			return (jp_perr(ps, start, -EINVAL,
			    "leading zero in %s", what));
		*out = 0;
		return (0);
	}
	while (ISDIGIT(PEEK(ps))) {
		if (!big)
			v = v * 10 + (ps->s[ps->p] - '0');
		if (v > JP_MAX_INT)
			big = 1;
		ps->p++;
	}
	if (big)
		return (jp_perr(ps, start, -EINVAL, "%s out of range: expected "
		    "at most 2^53-1 in magnitude", what));
	*out = neg ? -v : v;
	return (0);
}

/* member-name-shorthand: name-first *name-char. */
static int
parse_shorthand(struct jp_parser *ps, struct jp_sel *sel)
{
	size_t		start = ps->p, k;
	uint32_t	c;
	int		ch;

	while ((ch = PEEK(ps)) != -1) {
		if (ch >= 0x80) {
			k = jp_utf8_decode(ps->s + ps->p, ps->len - ps->p, &c);
			ps->p += k;
		} else if (ISALPHA(ch) || ch == '_' ||
		    (ISDIGIT(ch) && ps->p != start))
			ps->p++;
		else
			break;
	}
	if (ps->p == start)
		return (jp_perr(ps, start, -EINVAL, "expected a member name "
		    "(a letter, '_' or non-ASCII character first) or '*'"));
	sel->type = JP_SEL_NAME;
	sel->namelen = ps->p - start;
	if ((sel->name = strndup(ps->s + start, sel->namelen)) == NULL)
		return (jp_pnomem(ps));
	return (0);
}

/* Replace *np by a node usable as a logical-expr, or fail (2.4.3). */
static int
as_logical(struct jp_parser *ps, struct jp_node **np)
{
	struct jp_node	*n = *np, *w;

	switch (n->type) {
	case JP_N_OR:
	case JP_N_AND:
	case JP_N_NOT:
	case JP_N_EXIST:
	case JP_N_CMP:
		return (0);
	case JP_N_LITERAL:
		return (jp_perr(ps, n->pos, -EINVAL, "a literal must be "
		    "compared: expected a comparison operator after it"));
	case JP_N_QUERY:
		break;
	case JP_N_FUNC:
		if (n->func->result == JP_T_LOGICAL)
			return (0);
		if (n->func->result == JP_T_VALUE)
			return (jp_perr(ps, n->pos, -EINVAL, "the result of "
			    "%s() must be compared: expected a comparison "
			    "operator after the call", n->func->name));
		break;
	}
	if ((w = node_new(ps, JP_N_EXIST, n->pos)) == NULL)
		return (ps->error);
	w->a = n;
	*np = w;
	return (0);
}

/* A side of a comparison: literal, singular query or value function. */
static int
check_comparable(struct jp_parser *ps, const struct jp_node *n)
{
	switch (n->type) {
	case JP_N_LITERAL:
		return (0);
	case JP_N_QUERY:
		if (n->query->singular)
			return (0);
		return (jp_perr(ps, n->pos, -EINVAL, "a non-singular query "
		    "cannot be compared: expected one name or index per "
		    "segment, with no blank space inside brackets"));
	case JP_N_FUNC:
		if (n->func->result == JP_T_VALUE)
			return (0);
		return (jp_perr(ps, n->pos, -EINVAL, "the result of %s() "
		    "cannot be compared", n->func->name));
	default:
		return (jp_perr(ps, n->pos, -EINVAL, "expected a literal, "
		    "singular query or function call to compare"));
	}
}

/* Check argument i of a call against its declared type (2.4.3). */
static int
check_arg(struct jp_parser *ps, struct jp_node *call, size_t i)
{
	const struct jp_func	*f = call->func;
	struct jp_node		*a = call->args[i];

	switch (f->args[i]) {
	case JP_T_VALUE:
		if (a->type == JP_N_LITERAL ||
		    (a->type == JP_N_QUERY && a->query->singular) ||
		    (a->type == JP_N_FUNC && a->func->result == JP_T_VALUE))
			return (0);
		return (jp_perr(ps, a->pos, -EINVAL, "argument %zu of %s() "
		    "must be a value: expected a literal, a singular query "
		    "(one name or index per segment, no blank space inside "
		    "brackets) or a function returning a value", i + 1,
		    f->name));
	case JP_T_NODES:
		if (a->type == JP_N_QUERY ||
		    (a->type == JP_N_FUNC && a->func->result == JP_T_NODES))
			return (0);
		return (jp_perr(ps, a->pos, -EINVAL, "argument %zu of %s() "
		    "must be a query", i + 1, f->name));
	case JP_T_LOGICAL:
		return (as_logical(ps, &call->args[i]));
	}
	return (0);
}

/* function-expr, at the '(' after the name at off. */
static int
parse_call(struct jp_parser *ps, size_t off, struct jp_node **out)
{
	const struct jp_func	*f;
	struct jp_node		*n, *arg;
	size_t			 cap = 0, i;
	int			 error, ch;

	f = jp_func_find(ps->s + off, ps->p - off);
	if (f == NULL)
		return (jp_perr(ps, off, -EINVAL, "unknown function '%.*s': "
		    "expected length, count, match, search or value",
		    (int)(ps->p - off), ps->s + off));
	if ((n = node_new(ps, JP_N_FUNC, off)) == NULL)
		return (ps->error);
	n->func = f;
	ps->p++;
	skip_blank(ps);
	if (PEEK(ps) != ')') {
		for (;;) {
			if ((error = parse_or(ps, &arg)) != 0)
				goto fail;
			if (jp_grow(&n->args, &cap, n->nargs,
			    sizeof *n->args) != 0) {
				jp_node_free(arg);
				error = jp_pnomem(ps);
				goto fail;
			}
			n->args[n->nargs++] = arg;
			skip_blank(ps);
			if ((ch = PEEK(ps)) == ')')
				break;
			if (ch != ',') {
				error = jp_perr(ps, ps->p, -EINVAL, "expected "
				    "',' or ')' in the arguments of %s()",
				    f->name);
				goto fail;
			}
			ps->p++;
			skip_blank(ps);
		}
	}
	ps->p++;
	if (n->nargs != f->nargs) {
		error = jp_perr(ps, off, -EINVAL, "%s() takes %zu argument%s, "
		    "not %zu", f->name, f->nargs, f->nargs == 1 ? "" : "s",
		    n->nargs);
		goto fail;
	}
	for (i = 0; i < n->nargs; i++) {
		if ((error = check_arg(ps, n, i)) != 0)
			goto fail;
	}
	if (f->regex) {
		arg = n->args[1];
		if (arg->type == JP_N_LITERAL && json_is_string(arg->lit)) {
			error = jp_regex_compile(json_string_value(arg->lit),
			    json_string_length(arg->lit),
			    strcmp(f->name, "match") == 0, &n->re);
			if (error == -ENOMEM) {
				error = jp_pnomem(ps);
				goto fail;
			}
			n->re_invalid = error != 0;
		} else
			n->slot = ps->nslots++;
	}
	*out = n;
	return (0);

fail:
	jp_node_free(n);
	return (error);
}

/* number = (int / "-0") [ frac ] [ exp ] */
static int
parse_number(struct jp_parser *ps, json_t **out)
{
	size_t		 start = ps->p;
	char		*buf, *end;
	double		 d;
	long long	 ll;
	int		 real = 0, error = 0;

	if (PEEK(ps) == '-')
		ps->p++;
	if (!ISDIGIT(PEEK(ps)))
		return (jp_perr(ps, ps->p, -EINVAL, "expected a digit"));
	if (PEEK(ps) == '0') {
		ps->p++;
		if (ISDIGIT(PEEK(ps)))
			return (jp_perr(ps, start, -EINVAL,
			    "leading zero in number"));
	} else {
		while (ISDIGIT(PEEK(ps)))
			ps->p++;
	}
	if (PEEK(ps) == '.') {
		ps->p++;
		if (!ISDIGIT(PEEK(ps)))
			return (jp_perr(ps, ps->p, -EINVAL,
			    "expected a digit after '.' in number"));
		while (ISDIGIT(PEEK(ps)))
			ps->p++;
		real = 1;
	}
	if (PEEK(ps) == 'e' || PEEK(ps) == 'E') {
		ps->p++;
		if (PEEK(ps) == '+' || PEEK(ps) == '-')
			ps->p++;
		if (!ISDIGIT(PEEK(ps)))
			return (jp_perr(ps, ps->p, -EINVAL,
			    "expected a digit in the exponent"));
		while (ISDIGIT(PEEK(ps)))
			ps->p++;
		real = 1;
	}
	if ((buf = strndup(ps->s + start, ps->p - start)) == NULL)
		return (jp_pnomem(ps));
	errno = 0;
	if (!real) {
		ll = strtoll(buf, &end, 10);
		if (errno == 0) {
			*out = json_integer(ll);
			goto done;
		}
	}
	errno = 0;
	d = strtod(buf, &end);
	if (!isfinite(d)) {
		error = jp_perr(ps, start, -EINVAL, "number out of range");
		goto out;
	}
	*out = json_real(d);
done:
	if (*out == NULL)
		error = jp_pnomem(ps);
out:
	free(buf);
	return (error);
}

/* A comparable or test operand: literal, query or function call. */
static int
parse_primary(struct jp_parser *ps, struct jp_node **out)
{
	struct jp_node	*n;
	size_t		 start = ps->p, len;
	char		*str;
	const char	*w;
	int		 ch, error;

	ch = PEEK(ps);
	if (ch == '$' || ch == '@') {
		if ((n = node_new(ps, JP_N_QUERY, start)) == NULL)
			return (ps->error);
		ps->p++;
		if ((error = parse_query(ps, ch == '@', &n->query)) != 0) {
			jp_node_free(n);
			return (error);
		}
		*out = n;
		return (0);
	}
	if ((n = node_new(ps, JP_N_LITERAL, start)) == NULL)
		return (ps->error);
	if (ch == '"' || ch == '\'') {
		if ((error = parse_string(ps, &str, &len)) != 0)
			goto fail;
		n->lit = json_stringn_nocheck(str, len);
		free(str);
		if (n->lit == NULL) {
			error = jp_pnomem(ps);
			goto fail;
		}
	} else if (ch == '-' || ISDIGIT(ch)) {
		if ((error = parse_number(ps, &n->lit)) != 0)
			goto fail;
	} else if (ch >= 'a' && ch <= 'z') {
		while ((ch = PEEK(ps)) != -1 &&
		    ((ch >= 'a' && ch <= 'z') || ch == '_' || ISDIGIT(ch)))
			ps->p++;
		if (ch == '(') {
			jp_node_free(n);
			return (parse_call(ps, start, out));
		}
		w = ps->s + start;
		len = ps->p - start;
		if (len == 4 && memcmp(w, "true", 4) == 0)
			n->lit = json_true();
		else if (len == 5 && memcmp(w, "false", 5) == 0)
			n->lit = json_false();
		else if (len == 4 && memcmp(w, "null", 4) == 0)
			n->lit = json_null();
		else {
			error = jp_perr(ps, start, -EINVAL, "unexpected '%.*s': "
			    "expected true, false, null or a function call "
			    "(name followed by '(')", (int)len, w);
			goto fail;
		}
	} else {
		error = jp_perr(ps, start, -EINVAL, "expected a query ('@' or "
		    "'$'), a literal, a function call, '!' or '('");
		goto fail;
	}
	*out = n;
	return (0);

fail:
	jp_node_free(n);
	return (error);
}

static int
parse_cmpop(struct jp_parser *ps, enum jp_cmpop *op)
{
	const char	*s = ps->s + ps->p;
	size_t		 left = ps->len - ps->p;

	if (left >= 2 && s[1] == '=') {
		switch (s[0]) {
		case '=':
			*op = JP_EQ;
			break;
		case '!':
			*op = JP_NE;
			break;
		case '<':
			*op = JP_LE;
			break;
		case '>':
			*op = JP_GE;
			break;
		default:
			return (-1);
		}
		ps->p += 2;
		return (0);
	}
	if (left >= 1 && (s[0] == '<' || s[0] == '>')) {
		*op = s[0] == '<' ? JP_LT : JP_GT;
		ps->p++;
		return (0);
	}
	if (left >= 1 && s[0] == '=')
		return (jp_perr(ps, ps->p, -EINVAL, "expected '==' "
		    "(comparison), not '='"));
	return (-1);
}

/* paren-expr after any '!': "(" S logical-expr S ")". */
static int
parse_paren(struct jp_parser *ps, struct jp_node **out)
{
	struct jp_node	*n;
	int		 error;

	ps->p++;
	skip_blank(ps);
	if ((error = parse_or(ps, &n)) != 0)
		return (error);
	skip_blank(ps);
	if (PEEK(ps) != ')') {
		jp_node_free(n);
		return (jp_perr(ps, ps->p, -EINVAL, "expected ')' or a "
		    "logical operator"));
	}
	ps->p++;
	if ((error = as_logical(ps, &n)) != 0) {
		jp_node_free(n);
		return (error);
	}
	*out = n;
	return (0);
}

/*
 * basic-expr: paren-expr, comparison-expr or test-expr.  A bare operand is
 * returned as it is; the caller decides whether it may stand alone.
 */
static int
parse_basic(struct jp_parser *ps, struct jp_node **out)
{
	struct jp_node	*n = NULL, *a = NULL, *b = NULL;
	enum jp_cmpop	 op = JP_EQ;
	size_t		 start = ps->p, save;
	int		 error;

	if (PEEK(ps) == '!') {
		ps->p++;
		skip_blank(ps);
		if (PEEK(ps) == '(')
			error = parse_paren(ps, &a);
		else {
			if ((error = parse_primary(ps, &a)) == 0 &&
			    a->type == JP_N_LITERAL)
				error = jp_perr(ps, a->pos, -EINVAL, "expected "
				    "a query, a function call or '(' after "
				    "'!'");
			if (error == 0)
				error = as_logical(ps, &a);
		}
		if (error != 0)
			goto fail;
		if ((n = node_new(ps, JP_N_NOT, start)) == NULL)
			goto fail;
		n->a = a;
		*out = n;
		return (0);
	}
	if (PEEK(ps) == '(')
		return (parse_paren(ps, out));

	if ((error = parse_primary(ps, &a)) != 0)
		goto fail;
	save = ps->p;
	skip_blank(ps);
	if (parse_cmpop(ps, &op) != 0) {
		if (ps->error != 0)
			goto fail;
		ps->p = save;
		*out = a;
		return (0);
	}
	skip_blank(ps);
	if ((error = parse_primary(ps, &b)) != 0)
		goto fail;
	if ((error = check_comparable(ps, a)) != 0 ||
	    (error = check_comparable(ps, b)) != 0)
		goto fail;
	if ((n = node_new(ps, JP_N_CMP, start)) == NULL)
		goto fail;
	n->op = op;
	n->a = a;
	n->b = b;
	*out = n;
	return (0);

fail:
	jp_node_free(a);
	jp_node_free(b);
	return (ps->error);
}

/* logical-and-expr or logical-or-expr, by op ("&&" or "||"). */
static int
parse_binary(struct jp_parser *ps, int and, struct jp_node **out)
{
	struct jp_node	*l = NULL, *r = NULL, *n;
	const char	*op = and ? "&&" : "||";
	size_t		 save, opos;
	int		 error;

	if (and)
		error = parse_basic(ps, &l);
	else
		error = parse_binary(ps, 1, &l);
	if (error != 0)
		return (error);
	for (;;) {
		save = ps->p;
		skip_blank(ps);
		if (ps->len - ps->p < 2 || memcmp(ps->s + ps->p, op, 2) != 0) {
			ps->p = save;
			break;
		}
		opos = ps->p;
		ps->p += 2;
		skip_blank(ps);
		if (and)
			error = parse_basic(ps, &r);
		else
			error = parse_binary(ps, 1, &r);
		if (error != 0)
			goto fail;
		if ((error = as_logical(ps, &l)) != 0 ||
		    (error = as_logical(ps, &r)) != 0)
			goto fail;
		if ((n = node_new(ps, and ? JP_N_AND : JP_N_OR, opos)) == NULL)
			goto fail;
		n->a = l;
		n->b = r;
		l = n;
		r = NULL;
	}
	*out = l;
	return (0);

fail:
	jp_node_free(l);
	jp_node_free(r);
	return (ps->error);
}

/* logical-expr; every nesting passes here, so the depth is kept here. */
static int
parse_or(struct jp_parser *ps, struct jp_node **out)
{
	int	error;

	if (ps->depth >= JP_MAX_DEPTH)
		return (jp_perr(ps, ps->p, -E2BIG, "expression nested deeper "
		    "than %d levels", JP_MAX_DEPTH));
	ps->depth++;
	error = parse_binary(ps, 0, out);
	ps->depth--;
	return (error);
}

/* One selector inside brackets. */
static int
parse_selector(struct jp_parser *ps, struct jp_sel *sel)
{
	int	ch, error;

	ch = PEEK(ps);
	if (ch == '\'' || ch == '"') {
		sel->type = JP_SEL_NAME;
		return (parse_string(ps, &sel->name, &sel->namelen));
	}
	if (ch == '*') {
		sel->type = JP_SEL_WILD;
		ps->p++;
		return (0);
	}
	if (ch == '?') {
		sel->type = JP_SEL_FILTER;
		ps->p++;
		skip_blank(ps);
		if ((error = parse_or(ps, &sel->filter)) != 0)
			return (error);
		return (as_logical(ps, &sel->filter));
	}
	if (ch != ':' && ch != '-' && !ISDIGIT(ch))
		return (jp_perr(ps, ps->p, -EINVAL, "expected a selector: a "
		    "quoted name, '*', an index, a slice or '?' filter"));

	if (ch != ':') {
		if ((error = parse_int(ps, &sel->start, "index")) != 0)
			return (error);
		sel->has_start = 1;
		skip_blank(ps);
		if (PEEK(ps) != ':') {
			sel->type = JP_SEL_INDEX;
			sel->index = sel->start;
			return (0);
		}
	}
	sel->type = JP_SEL_SLICE;
	sel->step = 1;
	ps->p++;
	skip_blank(ps);
	ch = PEEK(ps);
	if (ch == '-' || ISDIGIT(ch)) {
		if ((error = parse_int(ps, &sel->end, "slice end")) != 0)
			return (error);
		sel->has_end = 1;
		skip_blank(ps);
	}
	if (PEEK(ps) == ':') {
		ps->p++;
		skip_blank(ps);
		ch = PEEK(ps);
		if (ch == '-' || ISDIGIT(ch)) {
			if ((error = parse_int(ps, &sel->step,
			    "slice step")) != 0)
				return (error);
		}
	}
	return (0);
}

/* bracketed-selection: "[" S selector *(S "," S selector) S "]". */
static int
parse_bracket(struct jp_parser *ps, struct jp_seg *seg)
{
	size_t	cap = 0, start;
	int	error, ch;

	ps->p++;
	start = ps->p;
	skip_blank(ps);
	seg->blank |= ps->p != start;
	for (;;) {
		if (jp_grow(&seg->sels, &cap, seg->nsels,
		    sizeof *seg->sels) != 0)
			return (jp_pnomem(ps));
		memset(&seg->sels[seg->nsels], 0, sizeof *seg->sels);
		seg->nsels++;
		error = parse_selector(ps, &seg->sels[seg->nsels - 1]);
		if (error != 0)
			return (error);
		start = ps->p;
		skip_blank(ps);
		seg->blank |= ps->p != start;
		if ((ch = PEEK(ps)) == ']')
			break;
		if (seg->sels[seg->nsels - 1].type == JP_SEL_FILTER &&
		    (ch == '=' || ch == '!' || ch == '<' || ch == '>'))
			return (jp_perr(ps, ps->p, -EINVAL, "expected ']', ',' "
			    "or a logical operator: a parenthesized or negated "
			    "expression cannot be compared (write !(a == b), "
			    "not !a == b)"));
		if (ch != ',')
			return (jp_perr(ps, ps->p, -EINVAL, "expected ']' or "
			    "',' after the selector"));
		ps->p++;
		skip_blank(ps);
	}
	ps->p++;
	return (0);
}

/* One segment, at '[', '.' or '..'. */
static int
parse_segment(struct jp_parser *ps, struct jp_seg *seg)
{
	int	ch;

	if (PEEK(ps) == '[')
		return (parse_bracket(ps, seg));
	ps->p++;
	if (PEEK(ps) == '.') {
		seg->descendant = 1;
		ps->p++;
		if (PEEK(ps) == '[')
			return (parse_bracket(ps, seg));
	}
	if ((seg->sels = calloc(1, sizeof *seg->sels)) == NULL)
		return (jp_pnomem(ps));
	seg->nsels = 1;
	ch = PEEK(ps);
	if (ch == '*') {
		seg->sels[0].type = JP_SEL_WILD;
		ps->p++;
		return (0);
	}
	if (ch == -1 || !(ISALPHA(ch) || ch == '_' || ch >= 0x80))
		return (jp_perr(ps, ps->p, -EINVAL, "expected a member name, "
		    "'*'%s after '%s'", seg->descendant ? " or '['" : "",
		    seg->descendant ? ".." : "."));
	return (parse_shorthand(ps, &seg->sels[0]));
}

/* segments after '$' or '@'. */
static int
parse_query(struct jp_parser *ps, int relative, struct jp_query **out)
{
	struct jp_query	*q;
	struct jp_seg	*seg;
	size_t		 cap = 0, save, i;
	int		 error = 0, ch;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return (jp_pnomem(ps));
	q->relative = relative;
	for (;;) {
		save = ps->p;
		skip_blank(ps);
		ch = PEEK(ps);
		if (ch != '[' && ch != '.') {
			ps->p = save;
			break;
		}
		if (jp_grow(&q->segs, &cap, q->nsegs, sizeof *q->segs) != 0) {
			error = jp_pnomem(ps);
			goto fail;
		}
		seg = &q->segs[q->nsegs++];
		memset(seg, 0, sizeof *seg);
		if ((error = parse_segment(ps, seg)) != 0)
			goto fail;
	}
	q->singular = 1;
	for (i = 0; i < q->nsegs; i++) {
		seg = &q->segs[i];
		if (seg->descendant || seg->nsels != 1 || seg->blank ||
		    (seg->sels[0].type != JP_SEL_NAME &&
		    seg->sels[0].type != JP_SEL_INDEX))
			q->singular = 0;
	}
	*out = q;
	return (0);

fail:
	jp_query_free(q);
	return (error);
}

int
jp_compilen(const char *expr, size_t len, struct jp_expr **out, char **cause)
{
	struct jp_parser	 ps;
	struct jp_expr		*e = NULL;
	struct jp_query		*q = NULL;
	size_t			 i, k;
	uint32_t		 c;
	int			 error;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	memset(&ps, 0, sizeof ps);
	ps.s = expr;
	ps.len = len;

	if (len > JP_MAX_EXPR) {
		error = -E2BIG;
		if (cause != NULL && asprintf(cause, "jsonpath: expression is "
		    "%zu bytes, longer than the limit of %d", len,
		    JP_MAX_EXPR) == -1)
			*cause = NULL;
		return (error);
	}
	for (i = 0; i < len; i += k) {
		if ((k = jp_utf8_decode(expr + i, len - i, &c)) == 0) {
			error = jp_perr(&ps, i, -EINVAL, "invalid UTF-8");
			goto out;
		}
	}
	if (len == 0 || expr[0] != '$') {
		error = jp_perr(&ps, 0, -EINVAL, "expected '$' at the start "
		    "of the query");
		goto out;
	}
	ps.p = 1;
	if ((error = parse_query(&ps, 0, &q)) != 0)
		goto out;
	if (ps.p != len) {
		i = ps.p;
		skip_blank(&ps);
		if (ps.p == len)
			error = jp_perr(&ps, i, -EINVAL, "blank space at the "
			    "end of the query");
		else
			error = jp_perr(&ps, ps.p, -EINVAL, "expected '.', "
			    "'..', '[' or the end of the query");
		goto out;
	}
	if ((e = calloc(1, sizeof *e)) == NULL ||
	    (e->src = malloc(len + 1)) == NULL) {
		error = jp_pnomem(&ps);
		goto out;
	}
	memcpy(e->src, expr, len);
	e->src[len] = '\0';
	e->query = q;
	e->nslots = ps.nslots;
	q = NULL;
	*out = e;
	e = NULL;
	error = 0;

out:
	jp_query_free(q);
	jp_free(e);
	if (error != 0 && cause != NULL) {
		*cause = ps.cause;
		ps.cause = NULL;
	}
	free(ps.cause);
	return (error);
}

int
jp_compile(const char *expr, struct jp_expr **out, char **cause)
{
	return (jp_compilen(expr, strlen(expr), out, cause));
}

void
jp_free(struct jp_expr *e)
{
	if (e == NULL)
		return;
	jp_query_free(e->query);
	free(e->src);
	free(e);
}

const char *
jp_source(const struct jp_expr *e)
{
	return (e->src);
}

int
jp_is_singular(const struct jp_expr *e)
{
	return (e->query->singular);
}
