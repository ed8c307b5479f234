/*
 * I-Regexp (RFC 9485) to PCRE2.
 *
 * A parser for the RFC's ABNF that writes the equivalent PCRE2 pattern as
 * it goes, so anything PCRE2 would read differently (a possessive "a*+",
 * "\d", "(?", a back-reference) is refused here as not I-Regexp rather
 * than passed through.  Literal ASCII punctuation and control characters
 * are written as \x{..}, which means the same thing inside and outside a
 * class; '.' becomes [^\n\r] as RFC 9485 section 5.3 says; groups become
 * non-capturing.  Anchoring is added by jp_regex_compile().
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/jsonpath-int.h"

/* Deepest group nesting accepted (PCRE2's own limit is 250). */
#define RX_MAX_DEPTH 200

struct rx {
	const char	*s;
	size_t		 len;
	size_t		 p;
	u_int		 depth;
	char		*out;
	size_t		 n;
	size_t		 cap;
};

#define RX_PEEK(r) ((r)->p < (r)->len ? (u_char)(r)->s[(r)->p] : -1)

static int	rx_regexp(struct rx *);

static int
rx_emit(struct rx *r, const char *s, size_t len)
{
	char	*no;
	size_t	 ncap;

	if (r->cap - r->n < len + 1) {
		ncap = r->cap == 0 ? 64 : r->cap;
		while (ncap - r->n < len + 1)
			ncap *= 2;
		if ((no = realloc(r->out, ncap)) == NULL)
			return (-ENOMEM);
		r->out = no;
		r->cap = ncap;
	}
	memcpy(r->out + r->n, s, len);
	r->n += len;
	r->out[r->n] = '\0';
	return (0);
}

/* One literal character, safe anywhere in a PCRE2 pattern. */
static int
rx_emit_char(struct rx *r, uint32_t c, const char *raw, size_t rawlen)
{
	char	buf[16];

	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80)
		return (rx_emit(r, raw, rawlen));
	snprintf(buf, sizeof buf, "\\x{%x}", (u_int)c);
	return (rx_emit(r, buf, strlen(buf)));
}

/* "{" charProp "}" after \p or \P, copied as it is if valid. */
static int
rx_property(struct rx *r, int negated)
{
	static const char *const subs[] = {
		"L", "lmotu", "M", "cen", "N", "dlo", "P", "cdefios",
		"Z", "lps", "S", "ckmo", "C", "cfno", NULL
	};
	char	 buf[8];
	size_t	 i;
	int	 cat, sub = 0;

	if (RX_PEEK(r) != '{')
		return (-EINVAL);
	r->p++;
	cat = RX_PEEK(r);
	for (i = 0; subs[i] != NULL; i += 2) {
		if (cat == subs[i][0])
			break;
	}
	if (subs[i] == NULL)
		return (-EINVAL);
	r->p++;
	if (RX_PEEK(r) != '}') {
		sub = RX_PEEK(r);
		if (sub == -1 || sub == 0 || strchr(subs[i + 1], sub) == NULL)
			return (-EINVAL);
		r->p++;
	}
	if (RX_PEEK(r) != '}')
		return (-EINVAL);
	r->p++;
	if (sub != 0)
		snprintf(buf, sizeof buf, "\\%c{%c%c}", negated ? 'P' : 'p',
		    cat, sub);
	else
		snprintf(buf, sizeof buf, "\\%c{%c}", negated ? 'P' : 'p',
		    cat);
	return (rx_emit(r, buf, strlen(buf)));
}

/* After a '\': a SingleCharEsc, giving its character. */
static int
rx_single_escape(struct rx *r, uint32_t *c)
{
	int	ch = RX_PEEK(r);

	if (ch == -1)
		return (-EINVAL);
	switch (ch) {
	case 'n':
		*c = '\n';
		break;
	case 'r':
		*c = '\r';
		break;
	case 't':
		*c = '\t';
		break;
	case '(': case ')': case '*': case '+': case '-': case '.': case '?':
	case '[': case '\\': case ']': case '^': case '{': case '|': case '}':
		*c = ch;
		break;
	default:
		return (-EINVAL);
	}
	r->p++;
	return (0);
}

/* A CCchar: a character other than [ ] \ -, or a SingleCharEsc. */
static int
rx_ccchar(struct rx *r, uint32_t *c)
{
	size_t	k;
	int	ch = RX_PEEK(r);

	if (ch == -1 || ch == '[' || ch == ']' || ch == '-')
		return (-EINVAL);
	if (ch == '\\') {
		r->p++;
		return (rx_single_escape(r, c));
	}
	if ((k = jp_utf8_decode(r->s + r->p, r->len - r->p, c)) == 0)
		return (-EINVAL);
	r->p += k;
	return (0);
}

static int
rx_emit_cp(struct rx *r, uint32_t c)
{
	char	buf[16];

	if (c >= 0x80) {
		snprintf(buf, sizeof buf, "\\x{%x}", (u_int)c);
		return (rx_emit(r, buf, strlen(buf)));
	}
	buf[0] = c;
	return (rx_emit_char(r, c, buf, 1));
}

/* charClassExpr: "[" ["^"] ("-" / CCE1) *CCE1 ["-"] "]". */
static int
rx_class(struct rx *r)
{
	uint32_t	lo, hi;
	int		ch, first = 1, error;

	r->p++;
	if ((error = rx_emit(r, "[", 1)) != 0)
		return (error);
	if (RX_PEEK(r) == '^') {
		r->p++;
		if ((error = rx_emit(r, "^", 1)) != 0)
			return (error);
	}
	for (;;) {
		ch = RX_PEEK(r);
		if (ch == -1)
			return (-EINVAL);
		if (ch == ']') {
			if (first)
				return (-EINVAL);
			r->p++;
			return (rx_emit(r, "]", 1));
		}
		if (ch == '-') {
			/* Literal only first or last. */
			if (!first && (r->p + 1 >= r->len ||
			    r->s[r->p + 1] != ']'))
				return (-EINVAL);
			r->p++;
			first = 0;
			if ((error = rx_emit(r, "\\x{2d}", 6)) != 0)
				return (error);
			continue;
		}
		first = 0;
		if (ch == '\\' && r->p + 1 < r->len &&
		    (r->s[r->p + 1] == 'p' || r->s[r->p + 1] == 'P')) {
			r->p += 2;
			if ((error = rx_property(r, r->s[r->p - 1] == 'P')) != 0)
				return (error);
			continue;
		}
		if ((error = rx_ccchar(r, &lo)) != 0)
			return (error);
		if (RX_PEEK(r) == '-' && r->p + 1 < r->len &&
		    r->s[r->p + 1] != ']') {
			r->p++;
			if ((error = rx_ccchar(r, &hi)) != 0)
				return (error);
			if (hi < lo)
				return (-EINVAL);
			if ((error = rx_emit_cp(r, lo)) != 0 ||
			    (error = rx_emit(r, "-", 1)) != 0 ||
			    (error = rx_emit_cp(r, hi)) != 0)
				return (error);
		} else if ((error = rx_emit_cp(r, lo)) != 0)
			return (error);
	}
}

/* QuantExact: 1*DIGIT, at most 65535 (PCRE2's limit). */
static int
rx_quant_exact(struct rx *r, u_long *v)
{
	int	ch;

	if (!((ch = RX_PEEK(r)) >= '0' && ch <= '9'))
		return (-EINVAL);
	*v = 0;
	while ((ch = RX_PEEK(r)) >= '0' && ch <= '9') {
		*v = *v * 10 + (ch - '0');
		if (*v > 65535)
			return (-EINVAL);
		r->p++;
	}
	return (0);
}

/* An optional quantifier after an atom. */
static int
rx_quantifier(struct rx *r)
{
	char	buf[32];
	u_long	lo, hi;
	int	ch = RX_PEEK(r), error;

	if (ch == '*' || ch == '+' || ch == '?') {
		r->p++;
		buf[0] = ch;
		return (rx_emit(r, buf, 1));
	}
	if (ch != '{')
		return (0);
	r->p++;
	if ((error = rx_quant_exact(r, &lo)) != 0)
		return (error);
	if (RX_PEEK(r) == '}') {
		r->p++;
		snprintf(buf, sizeof buf, "{%lu}", lo);
		return (rx_emit(r, buf, strlen(buf)));
	}
	if (RX_PEEK(r) != ',')
		return (-EINVAL);
	r->p++;
	if (RX_PEEK(r) == '}') {
		r->p++;
		snprintf(buf, sizeof buf, "{%lu,}", lo);
		return (rx_emit(r, buf, strlen(buf)));
	}
	if ((error = rx_quant_exact(r, &hi)) != 0)
		return (error);
	if (RX_PEEK(r) != '}' || hi < lo)
		return (-EINVAL);
	r->p++;
	snprintf(buf, sizeof buf, "{%lu,%lu}", lo, hi);
	return (rx_emit(r, buf, strlen(buf)));
}

/* piece = atom [quantifier] */
static int
rx_piece(struct rx *r)
{
	uint32_t	c;
	size_t		k;
	int		ch = RX_PEEK(r), error;

	switch (ch) {
	case '(':
		if (r->depth >= RX_MAX_DEPTH)
			return (-EINVAL);
		r->depth++;
		r->p++;
		if ((error = rx_emit(r, "(?:", 3)) != 0 ||
		    (error = rx_regexp(r)) != 0)
			return (error);
		if (RX_PEEK(r) != ')')
			return (-EINVAL);
		r->p++;
		r->depth--;
		if ((error = rx_emit(r, ")", 1)) != 0)
			return (error);
		break;
	case '.':
		r->p++;
		if ((error = rx_emit(r, "[^\\n\\r]", 7)) != 0)
			return (error);
		break;
	case '[':
		if ((error = rx_class(r)) != 0)
			return (error);
		break;
	case '\\':
		r->p++;
		if (RX_PEEK(r) == 'p' || RX_PEEK(r) == 'P') {
			r->p++;
			error = rx_property(r, r->s[r->p - 1] == 'P');
		} else if ((error = rx_single_escape(r, &c)) == 0)
			error = rx_emit_cp(r, c);
		if (error != 0)
			return (error);
		break;
	case '^':
	case '$':
		/*
		 * RFC 9485's XSD semantics read these as ordinary characters,
		 * but its ECMAScript and PCRE mappings (section 5) leave them
		 * anchors, and so do the compliance suite and what provider
		 * authors write (search(@.name, '^eth')).  Anchors they are:
		 * \A and \z, so that '$' never matches before a final newline.
		 * An anchor takes no quantifier.
		 */
		r->p++;
		return (rx_emit(r, ch == '^' ? "\\A" : "\\z", 2));
	case ')': case '*': case '+': case '?': case ']': case '{': case '|':
	case '}':
		return (-EINVAL);
	default:
		k = jp_utf8_decode(r->s + r->p, r->len - r->p, &c);
		if (k == 0)
			return (-EINVAL);
		if ((error = rx_emit_char(r, c, r->s + r->p, k)) != 0)
			return (error);
		r->p += k;
		break;
	}
	return (rx_quantifier(r));
}

/* i-regexp = branch *( "|" branch ); branch = *piece */
static int
rx_regexp(struct rx *r)
{
	int	ch, error;

	for (;;) {
		while ((ch = RX_PEEK(r)) != -1 && ch != '|' && ch != ')') {
			if ((error = rx_piece(r)) != 0)
				return (error);
		}
		if (ch != '|')
			return (0);
		r->p++;
		if ((error = rx_emit(r, "|", 1)) != 0)
			return (error);
	}
}

int
jp_iregexp_to_pcre(const char *s, size_t len, char **out, size_t *outlen)
{
	struct rx	r;
	int		error;

	memset(&r, 0, sizeof r);
	r.s = s;
	r.len = len;
	*out = NULL;
	*outlen = 0;
	if ((error = rx_emit(&r, "", 0)) != 0)
		goto out;
	if ((error = rx_regexp(&r)) != 0)
		goto out;
	if (r.p != len) {
		error = -EINVAL;	/* an unbalanced ')' */
		goto out;
	}
	*out = r.out;
	*outlen = r.n;
	r.out = NULL;
out:
	free(r.out);
	return (error);
}
