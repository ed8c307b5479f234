/*
 * CLI output transforms with PCRE2: named groups to fields, one record per
 * match for tables, success and error patterns, terminal output cleaning.
 *
 * Matching uses the interpreter, not the JIT: the depth and heap limits
 * bound only the interpreter, and a CLI output is small enough that the
 * difference in speed does not matter next to the SSH round trip that
 * produced it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "provider/cli.h"

/* One group name and the groups that carry it (more than one only with
 * (?J) duplicate names), in group-number order. */
struct cli_name {
	char		*name;
	uint32_t	*groups;
	size_t		 ngroups;
};

struct cli_pattern {
	pcre2_code	*code;
	char		*source;
	struct cli_name	*names;
	size_t		 nnames;
};

/* Stores a formatted message in *cause when cause is not NULL. */
static void __attribute__((format(printf, 2, 3)))
set_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t	c;
	size_t		len, i;

	if (n == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return (0);
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return (0);
	return (len);
}

/* Characters (not bytes) in the first off bytes of s, plus one. */
static size_t
char_pos(const char *s, size_t off)
{
	size_t	i, n = 1;

	for (i = 0; i < off; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return (n);
}

/* Sorts name-table entries by group number. */
static int
cmp_entry(const void *a, const void *b)
{
	const unsigned char	*x = *(const unsigned char *const *)a;
	const unsigned char	*y = *(const unsigned char *const *)b;
	unsigned int		 gx = (x[0] << 8) | x[1], gy = (y[0] << 8) | y[1];

	return (gx < gy ? -1 : gx > gy);
}

/* Builds p->names from PCRE2's name table: distinct names in the order
 * their first group appears, each with all of its group numbers. */
static int
load_names(struct cli_pattern *p)
{
	const unsigned char	 *table, **ent = NULL;
	uint32_t		  count, size, i, j, g;
	struct cli_name		 *nm;
	int			  error = -ENOMEM;

	pcre2_pattern_info(p->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(p->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(p->code, PCRE2_INFO_NAMETABLE, &table);
	if (count == 0)
		return (0);
	if ((ent = calloc(count, sizeof(*ent))) == NULL ||
	    (p->names = calloc(count, sizeof(*p->names))) == NULL)
		goto out;
	for (i = 0; i < count; i++)
		ent[i] = table + (size_t)i * size;
	qsort(ent, count, sizeof(*ent), cmp_entry);
	for (i = 0; i < count; i++) {
		const char	*name = (const char *)ent[i] + 2;

		g = (ent[i][0] << 8) | ent[i][1];
		for (j = 0; j < p->nnames; j++)
			if (strcmp(p->names[j].name, name) == 0)
				break;
		nm = &p->names[j];
		if (j == p->nnames) {
			if ((nm->name = strdup(name)) == NULL ||
			    (nm->groups = calloc(count, sizeof(*nm->groups))) ==
			    NULL)
				goto out;
			p->nnames++;
		}
		nm->groups[nm->ngroups++] = g;
	}
	error = 0;
out:
	free(ent);
	return (error);
}

int
cli_compilen(const char *pattern, size_t len, unsigned int flags,
    struct cli_pattern **out, char **cause)
{
	struct cli_pattern	*p = NULL;
	pcre2_compile_context	*cctx = NULL;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 erroff;
	uint32_t		 opts;
	int			 errcode, error = -ENOMEM;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (len > CLI_MAX_PATTERN) {
		set_cause(cause, "cli: pattern is %zu bytes, more than the "
		    "limit of %u", len, CLI_MAX_PATTERN);
		return (-EINVAL);
	}
	if (memchr(pattern, '\0', len) != NULL) {
		set_cause(cause, "cli: pattern at %zu: NUL byte in the pattern",
		    char_pos(pattern, (size_t)((const char *)memchr(pattern,
		    '\0', len) - pattern)));
		return (-EINVAL);
	}
	if (flags & ~(unsigned int)(CLI_CASELESS | CLI_DOTALL |
	    CLI_EXTENDED)) {
		set_cause(cause, "cli: unknown pattern flags 0x%x", flags);
		return (-EINVAL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->source = strndup(pattern, len)) == NULL ||
	    (cctx = pcre2_compile_context_create(NULL)) == NULL)
		goto fail;
	/* Terminal output ends lines with CR LF as often as with LF. */
	pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
	pcre2_set_parens_nest_limit(cctx, 64);
	/* Auto-callouts count the work of a whole call: see step_cb(). */
	opts = PCRE2_UTF | PCRE2_MULTILINE | PCRE2_AUTO_CALLOUT |
	    PCRE2_NEVER_BACKSLASH_C;
	if (flags & CLI_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & CLI_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & CLI_EXTENDED)
		opts |= PCRE2_EXTENDED;
	p->code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &errcode,
	    &erroff, cctx);
	if (p->code == NULL) {
		if (errcode == PCRE2_ERROR_NOMEMORY)
			goto fail;
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", errcode);
		set_cause(cause, "cli: pattern at %zu: %s",
		    char_pos(pattern, erroff > len ? len : erroff),
		    (const char *)msg);
		error = -EINVAL;
		goto fail;
	}
	if ((error = load_names(p)) != 0)
		goto fail;
	pcre2_compile_context_free(cctx);
	*out = p;
	return (0);
fail:
	if (error == -ENOMEM && cause != NULL && *cause == NULL)
		set_cause(cause, "cli: out of memory");
	pcre2_compile_context_free(cctx);
	cli_pattern_free(p);
	return (error);
}

int
cli_compile(const char *pattern, unsigned int flags, struct cli_pattern **out,
    char **cause)
{
	return (cli_compilen(pattern, strlen(pattern), flags, out, cause));
}

void
cli_pattern_free(struct cli_pattern *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nnames; i++) {
		free(p->names[i].name);
		free(p->names[i].groups);
	}
	free(p->names);
	pcre2_code_free(p->code);
	free(p->source);
	free(p);
}

const char *
cli_pattern_source(const struct cli_pattern *p)
{
	return (p->source);
}

size_t
cli_pattern_nnames(const struct cli_pattern *p)
{
	return (p->nnames);
}

/* Everything one call needs: limits in force, PCRE2 contexts, counters. */
struct cli_run {
	struct cli_limits	 lim;
	pcre2_match_context	*mctx;
	pcre2_match_data	*md;
	size_t			 attempts;
	size_t			 output;
	char			*copy;	/* the text with invalid UTF-8 as '?' */
	size_t			 steps;
};

/*
 * PCRE2's match limit counts the work at one start position and starts
 * again at the next, so a pattern that backtracks a little less than the
 * limit at every position of a long output would run for hours.  Every
 * pattern is compiled with PCRE2_AUTO_CALLOUT, which calls this before
 * each item it tries: counting those calls bounds the work of a whole
 * cli_* call, at about twice the time of a plain match (measured on an 8
 * MB table), which for CLI output is nothing next to fetching it.
 */
static int
step_cb(pcre2_callout_block *b, void *arg)
{
	struct cli_run	*r = arg;

	return (++r->steps > r->lim.max_steps ? PCRE2_ERROR_CALLOUT : 0);
}

/*
 * Output is searched as UTF-8.  PCRE2 would check the whole rest of the
 * subject on every call (quadratic over a table of many records), so the
 * text is checked once here and every call passes PCRE2_NO_UTF_CHECK;
 * text that is not valid UTF-8 is searched as a copy in which each
 * invalid byte reads '?'.  Offsets are unchanged.
 */
static void	run_free(struct cli_run *);

static int
run_text(struct cli_run *r, const char **text, size_t len)
{
	const unsigned char	*s = (const unsigned char *)*text;
	size_t			 i = 0, k;

	while (i < len && (k = utf8_seq(s + i, len - i)) != 0)
		i += k;
	if (i == len)
		return (0);
	if ((r->copy = malloc(len + 1)) == NULL)
		return (-ENOMEM);
	memcpy(r->copy, s, len);
	while (i < len) {
		if ((k = utf8_seq(s + i, len - i)) == 0) {
			r->copy[i++] = '?';
			continue;
		}
		i += k;
	}
	r->copy[len] = '\0';
	*text = r->copy;
	return (0);
}

static int
run_init(struct cli_run *r, const struct cli_pattern *p,
    const struct cli_limits *limits, const char **text, size_t len,
    char **cause)
{
	memset(r, 0, sizeof(*r));
	if (limits != NULL)
		r->lim = *limits;
	if (r->lim.max_input == 0)
		r->lim.max_input = CLI_MAX_INPUT;
	if (r->lim.max_records == 0)
		r->lim.max_records = CLI_MAX_RECORDS;
	if (r->lim.max_output == 0)
		r->lim.max_output = CLI_MAX_OUTPUT;
	if (r->lim.match_limit == 0)
		r->lim.match_limit = CLI_MATCH_LIMIT;
	if (r->lim.depth_limit == 0)
		r->lim.depth_limit = CLI_DEPTH_LIMIT;
	if (r->lim.heap_limit_kib == 0)
		r->lim.heap_limit_kib = CLI_HEAP_LIMIT_KIB;
	if (r->lim.max_attempts == 0)
		r->lim.max_attempts = CLI_MAX_ATTEMPTS;
	if (r->lim.max_steps == 0)
		r->lim.max_steps = CLI_MAX_STEPS;
	if (len > r->lim.max_input) {
		set_cause(cause, "cli: output is %zu bytes, more than the "
		    "limit of %zu", len, r->lim.max_input);
		return (-E2BIG);
	}
	if (run_text(r, text, len) != 0 ||
	    (r->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (p != NULL && (r->md = pcre2_match_data_create_from_pattern(
	    p->code, NULL)) == NULL)) {
		run_free(r);
		set_cause(cause, "cli: out of memory");
		return (-ENOMEM);
	}
	pcre2_set_match_limit(r->mctx, r->lim.match_limit);
	pcre2_set_depth_limit(r->mctx, r->lim.depth_limit);
	pcre2_set_heap_limit(r->mctx, r->lim.heap_limit_kib);
	pcre2_set_callout(r->mctx, step_cb, r);
	return (0);
}

static void
run_free(struct cli_run *r)
{
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	free(r->copy);
	r->md = NULL;
	r->mctx = NULL;
	r->copy = NULL;
}

/* Switches match data to pattern p (cli_check runs several patterns). */
static int
run_use(struct cli_run *r, const struct cli_pattern *p, char **cause)
{
	pcre2_match_data_free(r->md);
	if ((r->md = pcre2_match_data_create_from_pattern(p->code, NULL)) ==
	    NULL) {
		set_cause(cause, "cli: out of memory");
		return (-ENOMEM);
	}
	return (0);
}

/*
 * One pcre2_match(): 1 on a match (offsets in the match data), 0 on none,
 * or a negative code with a cause.
 */
static int
run_match(struct cli_run *r, const struct cli_pattern *p, const char *text,
    size_t len, size_t off, uint32_t opts, char **cause)
{
	PCRE2_UCHAR	msg[256];
	PCRE2_SIZE	*ov;
	int		rc;

	if (r->attempts++ >= r->lim.max_attempts) {
		set_cause(cause, "cli: pattern /%s/ gave up after %zu match "
		    "attempts", p->source, r->lim.max_attempts);
		return (-E2BIG);
	}
	rc = pcre2_match(p->code, (PCRE2_SPTR)text, len, off,
	    opts | PCRE2_NO_UTF_CHECK, r->md,
	    r->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return (0);
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
		pcre2_get_error_message(rc, msg, sizeof(msg));
		set_cause(cause, "cli: pattern /%s/ gave up on this output: "
		    "%s (it backtracks too much; anchor it or make it more "
		    "specific)", p->source, (const char *)msg);
		return (-E2BIG);
	case PCRE2_ERROR_CALLOUT:
		set_cause(cause, "cli: pattern /%s/ gave up after %zu steps "
		    "on this output (it backtracks too much; anchor it or make "
		    "it more specific)", p->source, r->lim.max_steps);
		return (-E2BIG);
	case PCRE2_ERROR_NOMEMORY:
		set_cause(cause, "cli: out of memory");
		return (-ENOMEM);
	}
	if (rc < 0) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		set_cause(cause, "cli: pattern /%s/: %s", p->source,
		    (const char *)msg);
		return (-EINVAL);
	}
	ov = pcre2_get_ovector_pointer(r->md);
	if (ov[0] > ov[1]) {
		/* \K in an assertion can put the start after the end. */
		set_cause(cause, "cli: pattern /%s/: \\K moved the match start "
		    "past its end", p->source);
		return (-EINVAL);
	}
	return (1);
}

/* The fields of the match in r->md as a new object, or NULL. */
static int
make_fields(struct cli_run *r, const struct cli_pattern *p, const char *text,
    json_t **fields, char **cause)
{
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(r->md);
	uint32_t	 npairs = pcre2_get_ovector_count(r->md);
	json_t		*obj, *v;
	size_t		 i, j, n;
	uint32_t	 g;

	if ((obj = json_object()) == NULL)
		goto nomem;
	for (i = 0; i < p->nnames; i++) {
		v = NULL;
		for (j = 0; j < p->names[i].ngroups && v == NULL; j++) {
			g = p->names[i].groups[j];
			if (g >= npairs || ov[2 * g] == PCRE2_UNSET)
				continue;
			n = ov[2 * g + 1] - ov[2 * g];
			if (n > r->lim.max_output - r->output) {
				json_decref(obj);
				set_cause(cause, "cli: captured text passed "
				    "the limit of %zu bytes", r->lim.max_output);
				return (-E2BIG);
			}
			r->output += n;
			/* Valid UTF-8: see run_text(). */
			if ((v = json_stringn(text + ov[2 * g], n)) == NULL)
				goto nomem;
		}
		if (v == NULL && (v = json_null()) == NULL)
			goto nomem;
		if (json_object_set_new(obj, p->names[i].name, v) != 0)
			goto nomem;
	}
	*fields = obj;
	return (0);
nomem:
	json_decref(obj);
	set_cause(cause, "cli: out of memory");
	return (-ENOMEM);
}

int
cli_match(const struct cli_pattern *p, const char *text, size_t len,
    const struct cli_limits *limits, json_t **fields, char **cause)
{
	struct cli_run	r;
	int		error;

	*fields = NULL;
	if (cause != NULL)
		*cause = NULL;
	if ((error = run_init(&r, p, limits, &text, len, cause)) != 0)
		return (error);
	error = run_match(&r, p, text, len, 0, 0, cause);
	if (error == 0) {
		set_cause(cause, "cli: pattern /%s/ does not match the output",
		    p->source);
		error = -ENOENT;
	} else if (error == 1)
		error = make_fields(&r, p, text, fields, cause);
	run_free(&r);
	return (error);
}

/* The offset one character after off (CR LF counts as one). */
static size_t
next_char(const char *text, size_t len, size_t off)
{
	if (off >= len)
		return (len + 1);
	if (text[off] == '\r' && off + 1 < len && text[off + 1] == '\n')
		return (off + 2);
	off++;
	while (off < len && ((unsigned char)text[off] & 0xc0) == 0x80)
		off++;
	return (off);
}

int
cli_records(const struct cli_pattern *p, const char *text, size_t len,
    const struct cli_limits *limits, json_t **records, char **cause)
{
	struct cli_run	 r;
	json_t		*arr = NULL, *rec;
	PCRE2_SIZE	*ov;
	size_t		 off = 0;
	uint32_t	 opts = 0;
	int		 error;

	*records = NULL;
	if (cause != NULL)
		*cause = NULL;
	if ((error = run_init(&r, p, limits, &text, len, cause)) != 0)
		return (error);
	if ((arr = json_array()) == NULL)
		goto nomem;
	ov = pcre2_get_ovector_pointer(r.md);
	/* The pcre2demo(3) loop: after an empty match, try a non-empty one
	 * at the same place before moving on one character. */
	while (off <= len) {
		error = run_match(&r, p, text, len, off, opts, cause);
		if (error < 0)
			goto out;
		if (error == 0) {
			if (opts == 0)
				break;
			off = next_char(text, len, off);
			opts = 0;
			continue;
		}
		if (ov[1] > ov[0]) {
			if (json_array_size(arr) >= r.lim.max_records) {
				set_cause(cause, "cli: pattern /%s/ matched "
				    "more than %zu records", p->source,
				    r.lim.max_records);
				error = -E2BIG;
				goto out;
			}
			if ((error = make_fields(&r, p, text, &rec, cause)) !=
			    0)
				goto out;
			if (json_array_append_new(arr, rec) != 0)
				goto nomem;
		}
		opts = ov[1] == ov[0] ? PCRE2_NOTEMPTY_ATSTART |
		    PCRE2_ANCHORED : 0;
		/* Never go backwards (a lookbehind with \K cannot make the
		 * end precede the start offset, but be sure). */
		off = ov[1] > off ? ov[1] : off;
	}
	*records = arr;
	arr = NULL;
	error = 0;
	goto out;
nomem:
	set_cause(cause, "cli: out of memory");
	error = -ENOMEM;
out:
	json_decref(arr);
	run_free(&r);
	return (error);
}

/*
 * A copy of text[0..n) safe to put in JSON and logs: cut to at most max
 * bytes at a character boundary, invalid UTF-8 and control characters
 * other than TAB each replaced by '?'.
 */
static char *
safe_copy(const char *text, size_t n, size_t max)
{
	const unsigned char	*s = (const unsigned char *)text;
	char			*out, *o;
	size_t			 i = 0, k;

	if ((out = o = malloc((n < max ? n : max) + 1)) == NULL)
		return (NULL);
	while (i < n) {
		k = utf8_seq(s + i, n - i);
		if (k == 0 || (k == 1 && s[i] < 0x20 && s[i] != '\t') ||
		    (k == 1 && s[i] == 0x7f) ||
		    (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			if ((size_t)(o - out) + 1 > max)
				break;
			*o++ = '?';
			i += k == 0 ? 1 : k;
			continue;
		}
		if ((size_t)(o - out) + k > max)
			break;
		memcpy(o, s + i, k);
		o += k;
		i += k;
	}
	*o = '\0';
	return (out);
}

/* Fills v->line, v->line_no and v->context for the match at off. */
static int
locate(const char *text, size_t len, size_t off, struct cli_verdict *v)
{
	size_t	 start, end, cstart, i, nl;
	char	*ctx;

	start = off;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	end = off;
	while (end < len && text[end] != '\n')
		end++;
	v->line_no = 1;
	for (i = 0; i < start; i++)
		if (text[i] == '\n')
			v->line_no++;
	/* The line without its CR when it ends CR LF; a match starting at
	 * the LF itself belongs to the line the LF ends. */
	if ((v->line = safe_copy(text + start, end > start &&
	    text[end - 1] == '\r' ? end - start - 1 : end - start,
	    CLI_MAX_LINE)) == NULL)
		return (-ENOMEM);
	cstart = start;
	for (nl = 0; nl < CLI_CONTEXT_LINES && cstart > 0; nl++) {
		cstart--;
		while (cstart > 0 && text[cstart - 1] != '\n')
			cstart--;
	}
	if (cstart == start)
		return (0);
	/* Line by line, so each CR before a LF is dropped rather than
	 * shown as '?' by safe_copy(). */
	if ((ctx = malloc(CLI_CONTEXT_LINES * (CLI_MAX_LINE + 1) + 1)) == NULL)
		return (-ENOMEM);
	ctx[0] = '\0';
	i = cstart;
	while (i < start) {
		size_t	 e = i, n;
		char	*l;

		while (e < start && text[e] != '\n')
			e++;
		n = e - i;
		if (n > 0 && text[i + n - 1] == '\r')
			n--;
		if ((l = safe_copy(text + i, n, CLI_MAX_LINE)) == NULL) {
			free(ctx);
			return (-ENOMEM);
		}
		if (ctx[0] != '\0')
			strcat(ctx, "\n");
		strcat(ctx, l);
		free(l);
		i = e + 1;
	}
	v->context = ctx;
	return (0);
}

int
cli_check(const struct cli_pattern *success,
    const struct cli_pattern *const *errors, size_t nerrors, const char *text,
    size_t len, const struct cli_limits *limits, struct cli_verdict *v,
    char **cause)
{
	struct cli_run	 r;
	PCRE2_SIZE	*ov;
	size_t		 i;
	int		 error;

	memset(v, 0, sizeof(*v));
	v->error_index = -1;
	if (cause != NULL)
		*cause = NULL;
	if ((error = run_init(&r, NULL, limits, &text, len, cause)) != 0)
		return (error);
	for (i = 0; i < nerrors; i++) {
		if ((error = run_use(&r, errors[i], cause)) != 0)
			goto out;
		error = run_match(&r, errors[i], text, len, 0, 0, cause);
		if (error < 0)
			goto out;
		if (error == 0)
			continue;
		ov = pcre2_get_ovector_pointer(r.md);
		v->error_index = (int)i;
		if (locate(text, len, ov[0], v) != 0 ||
		    asprintf(&v->reason, "error pattern %zu /%s/ matched "
		    "line %zu: %s", i + 1, errors[i]->source, v->line_no,
		    v->line) == -1)
			goto nomem;
		error = 0;
		goto out;
	}
	if (success != NULL) {
		if ((error = run_use(&r, success, cause)) != 0)
			goto out;
		error = run_match(&r, success, text, len, 0, 0, cause);
		if (error < 0)
			goto out;
		if (error == 0) {
			if (asprintf(&v->reason, "success pattern /%s/ not "
			    "found in the output", success->source) == -1)
				goto nomem;
			goto out;
		}
	}
	v->ok = 1;
	error = 0;
	goto out;
nomem:
	v->reason = NULL;
	set_cause(cause, "cli: out of memory");
	error = -ENOMEM;
out:
	if (error < 0)
		cli_verdict_clear(v);
	run_free(&r);
	return (error < 0 ? error : 0);
}

void
cli_verdict_clear(struct cli_verdict *v)
{
	free(v->line);
	free(v->context);
	free(v->reason);
	memset(v, 0, sizeof(*v));
	v->error_index = -1;
}

/* One screen cell of the line being assembled: a character's bytes. */
struct cell {
	unsigned char	n;
	char		b[4];
};

/* The line buffer of a one-line terminal. */
struct term {
	struct cell	*cells;
	size_t		 ncells, cap, cursor;
	char		*out;
	size_t		 outlen, outcap;
	unsigned int	 flags;
};

static int
term_put(struct term *t, const char *b, size_t n)
{
	struct cell	*c;
	size_t		 newcap;

	while (t->cursor >= t->cap) {
		newcap = t->cap == 0 ? 128 : t->cap * 2;
		if ((c = reallocarray(t->cells, newcap, sizeof(*c))) == NULL)
			return (-ENOMEM);
		t->cells = c;
		t->cap = newcap;
	}
	while (t->ncells < t->cursor) {
		t->cells[t->ncells].n = 1;
		t->cells[t->ncells++].b[0] = ' ';
	}
	c = &t->cells[t->cursor++];
	c->n = (unsigned char)n;
	memcpy(c->b, b, n);
	if (t->cursor > t->ncells)
		t->ncells = t->cursor;
	return (0);
}

/* Appends the line (and a newline if nl) to the output; empties it. */
static int
term_flush(struct term *t, int nl)
{
	size_t	 i, n = t->ncells, need = 1;
	char	*o;

	if (t->flags & CLI_CLEAN_TRIM)
		while (n > 0 && t->cells[n - 1].n == 1 &&
		    (t->cells[n - 1].b[0] == ' ' ||
		    t->cells[n - 1].b[0] == '\t'))
			n--;
	for (i = 0; i < n; i++)
		need += t->cells[i].n;
	if (t->outlen + need + 1 > t->outcap) {
		size_t newcap = (t->outlen + need + 1) * 2;

		if ((o = realloc(t->out, newcap)) == NULL)
			return (-ENOMEM);
		t->out = o;
		t->outcap = newcap;
	}
	for (i = 0; i < n; i++) {
		memcpy(t->out + t->outlen, t->cells[i].b, t->cells[i].n);
		t->outlen += t->cells[i].n;
	}
	if (nl)
		t->out[t->outlen++] = '\n';
	t->ncells = t->cursor = 0;
	return (0);
}

/* Applies a CSI sequence's final byte with its first parameter. */
static void
term_csi(struct term *t, unsigned char final, size_t param, int have)
{
	size_t	i;

	switch (final) {
	case 'D':	/* cursor back */
		param = have && param > 0 ? param : 1;
		t->cursor = param > t->cursor ? 0 : t->cursor - param;
		break;
	case 'C':	/* cursor forward, never past the text */
		param = have && param > 0 ? param : 1;
		t->cursor += param;
		if (t->cursor > t->ncells)
			t->cursor = t->ncells;
		break;
	case 'G':	/* cursor to column */
		param = have && param > 0 ? param - 1 : 0;
		t->cursor = param > t->ncells ? t->ncells : param;
		break;
	case 'K':	/* erase in line */
		if (!have || param == 0) {
			if (t->cursor < t->ncells)
				t->ncells = t->cursor;
		} else if (param == 1) {
			for (i = 0; i < t->cursor && i < t->ncells; i++) {
				t->cells[i].n = 1;
				t->cells[i].b[0] = ' ';
			}
		} else if (param == 2)
			t->ncells = t->cursor = 0;
		break;
	}
}

int
cli_clean(const char *in, size_t len, unsigned int flags, char **out,
    size_t *outlen)
{
	const unsigned char	*s = (const unsigned char *)in;
	struct term		 t;
	size_t			 i = 0, k, param;
	int			 have, first, error = -ENOMEM, cr_last = 0;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	memset(&t, 0, sizeof(t));
	t.flags = flags;
	if ((t.out = malloc(len + 1)) == NULL)
		return (-ENOMEM);
	t.outcap = len + 1;
	while (i < len) {
		cr_last = 0;
		if (s[i] == 0x1b) {
			i++;
			if (i >= len)
				break;
			if (s[i] == '[') {
				/* CSI: parameters, intermediates, final; only
				 * the first parameter matters here. */
				i++;
				param = 0;
				have = 0;
				first = 1;
				while (i < len && s[i] >= 0x30 && s[i] <= 0x3f) {
					if (s[i] == ';')
						first = 0;
					else if (first && s[i] >= '0' &&
					    s[i] <= '9') {
						if (param < 100000)
							param = param * 10 +
							    (s[i] - '0');
						have = 1;
					}
					i++;
				}
				while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
					i++;
				if (i < len && s[i] >= 0x40 && s[i] <= 0x7e) {
					term_csi(&t, s[i], param, have);
					i++;
				}
			} else if (s[i] == ']' || s[i] == 'P' || s[i] == 'X' ||
			    s[i] == '^' || s[i] == '_') {
				/* OSC, DCS, SOS, PM, APC: up to BEL or ST. */
				i++;
				while (i < len && s[i] != 0x07 &&
				    !(s[i] == 0x1b && i + 1 < len &&
				    s[i + 1] == '\\'))
					i++;
				i += i < len && s[i] == 0x07 ? 1 : 2;
			} else {
				/* Two-byte sequences, with intermediates. */
				while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
					i++;
				if (i < len && s[i] >= 0x30 && s[i] <= 0x7e)
					i++;
			}
			continue;
		}
		switch (s[i]) {
		case '\n':
			if (term_flush(&t, 1) != 0)
				goto out;
			i++;
			continue;
		case '\r':
			t.cursor = 0;
			cr_last = 1;
			i++;
			continue;
		case '\b':
			if (t.cursor > 0)
				t.cursor--;
			i++;
			continue;
		case '\t':
			break;
		default:
			if (s[i] < 0x20 || s[i] == 0x7f) {
				i++;
				continue;
			}
		}
		k = utf8_seq(s + i, len - i);
		if (k == 0)
			k = 1;
		if (term_put(&t, (const char *)s + i, k) != 0)
			goto out;
		i += k;
	}
	if (t.ncells > 0 || cr_last)
		if (term_flush(&t, cr_last) != 0)
			goto out;
	t.out[t.outlen] = '\0';
	*out = t.out;
	if (outlen != NULL)
		*outlen = t.outlen;
	t.out = NULL;
	error = 0;
out:
	free(t.cells);
	free(t.out);
	return (error);
}
