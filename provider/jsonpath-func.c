/*
 * JSONPath (RFC 9535) function extensions: length(), count(), match(),
 * search() and value(), section 2.4.  One table gives each function's
 * name and declared types, which the parser checks, and its body.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "provider/jsonpath-int.h"

/* length(ValueType) -> ValueType: characters, elements or members. */
static int
fn_length(struct jp_ctx *ctx, const struct jp_node *call, struct jp_fval *args,
    struct jp_fval *out)
{
	const char	*s;
	json_t		*v = args[0].v;
	size_t		 n, i, len;

	if (json_is_string(v)) {
		s = json_string_value(v);
		len = json_string_length(v);
		for (i = n = 0; i < len; i++) {
			if (((u_char)s[i] & 0xc0) != 0x80)
				n++;
		}
	} else if (json_is_array(v))
		n = json_array_size(v);
	else if (json_is_object(v))
		n = json_object_size(v);
	else
		return (0);	/* Nothing */
	if ((out->owned = json_integer(n)) == NULL)
		return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
	out->v = out->owned;
	return (0);
}

/* count(NodesType) -> ValueType. */
static int
fn_count(struct jp_ctx *ctx, const struct jp_node *call, struct jp_fval *args,
    struct jp_fval *out)
{
	if ((out->owned = json_integer(args[0].nodes.n)) == NULL)
		return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
	out->v = out->owned;
	return (0);
}

/* value(NodesType) -> ValueType: the value of a lone node, else Nothing. */
static int
fn_value(struct jp_ctx *ctx, const struct jp_node *call, struct jp_fval *args,
    struct jp_fval *out)
{
	if (args[0].nodes.n == 1)
		out->v = args[0].nodes.v[0].v;
	return (0);
}

/* match() and search(ValueType, ValueType) -> LogicalType. */
static int
fn_regex(struct jp_ctx *ctx, const struct jp_node *call, struct jp_fval *args,
    struct jp_fval *out)
{
	return (jp_regex_match(ctx, call, args[0].v, args[1].v, &out->logical));
}

static const struct jp_func jp_funcs[] = {
	{ .name = "length", .result = JP_T_VALUE, .nargs = 1,
	  .args = { JP_T_VALUE }, .eval = fn_length },
	{ .name = "count", .result = JP_T_VALUE, .nargs = 1,
	  .args = { JP_T_NODES }, .eval = fn_count },
	{ .name = "match", .result = JP_T_LOGICAL, .nargs = 2,
	  .args = { JP_T_VALUE, JP_T_VALUE }, .regex = 1, .eval = fn_regex },
	{ .name = "search", .result = JP_T_LOGICAL, .nargs = 2,
	  .args = { JP_T_VALUE, JP_T_VALUE }, .regex = 1, .eval = fn_regex },
	{ .name = "value", .result = JP_T_VALUE, .nargs = 1,
	  .args = { JP_T_NODES }, .eval = fn_value },
};

const struct jp_func *
jp_func_find(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof jp_funcs / sizeof jp_funcs[0]; i++) {
		if (strlen(jp_funcs[i].name) == len &&
		    memcmp(jp_funcs[i].name, name, len) == 0)
			return (&jp_funcs[i]);
	}
	return (NULL);
}

/*
 * Compile an I-Regexp for match() (the whole string) or search() (any
 * substring).  Returns -EINVAL if it is not a valid I-Regexp, which the
 * caller turns into LogicalFalse as RFC 9535 section 2.4.6 says.
 *
 * Patterns are run with pcre2_dfa_match(), which keeps every alternative
 * alive at once instead of backtracking, so the time of a match grows
 * with the subject times the pattern, never exponentially.  search() is
 * therefore anchored behind a [\s\S]* prefix: one pass over the subject,
 * rather than one attempt per starting position.
 */
int
jp_regex_compile(const char *pat, size_t len, int whole, pcre2_code **out)
{
	const char	*pre = whole ? "" : "[\\s\\S]*";
	const char	*post = whole ? ")\\z" : ")";
	char		*p = NULL, *w = NULL;
	size_t		 plen, wlen, prelen, postlen, erroff;
	uint32_t	 opts;
	int		 error, errcode;

	*out = NULL;
	if ((error = jp_iregexp_to_pcre(pat, len, &p, &plen)) != 0)
		return (error);
	prelen = strlen(pre);
	postlen = strlen(post);
	wlen = prelen + 3 + plen + postlen;
	if ((w = malloc(wlen)) == NULL) {
		error = -ENOMEM;
		goto out;
	}
	memcpy(w, pre, prelen);
	memcpy(w + prelen, "(?:", 3);
	memcpy(w + prelen + 3, p, plen);
	memcpy(w + prelen + 3 + plen, post, postlen);
	/* Anchored at the start; match() also at the very end (\z). */
	opts = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C | PCRE2_NO_AUTO_CAPTURE |
	    PCRE2_ANCHORED;
	*out = pcre2_compile((PCRE2_SPTR)w, wlen, opts, &errcode, &erroff,
	    NULL);
	if (*out == NULL)
		error = errcode == PCRE2_ERROR_HEAP_FAILED ? -ENOMEM : -EINVAL;
out:
	free(w);
	free(p);
	return (error);
}
