/*
 * Templates: rendering, filters and escaping.
 *
 * A render walks the tree once, appending to one buffer capped at
 * TPL_MAX_OUTPUT.  Every node executed, loop body entered and byte a
 * filter or comparison touches is counted against a budget, so a hostile
 * template or environment ends in a clear error, never a long stall.
 *
 * Escaping depends on where a value lands, and for JSON and URLs on what
 * the literal text before it said: the renderer follows the literal text
 * it writes (inside a JSON string or not; scheme, authority, path or
 * query of a URL) and escapes each value for that place.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/random.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/xmalloc.h"
#include "provider/template-int.h"

enum url_phase {
	URL_SCHEME,
	URL_AUTHORITY,
	URL_PATH,
	URL_QUERY,
};

/* A value already encoded for a context by a filter. */
enum raw_kind {
	RAW_NONE,
	RAW_JSON,	/* | json: a JSON text */
	RAW_URL,	/* | url: percent-encoded */
};

enum ev_status {
	EV_OK,
	EV_MISSING,
	EV_ERROR,
};

struct scope {
	const char	*name;		/* NULL: range, which moves the dot */
	json_t		*value;
};

struct rstate {
	const struct tpl	*t;
	enum tpl_ctx		 ctx;
	json_t			*env;
	struct tpl_error	*err;
	char			*buf;
	size_t			 len;
	size_t			 cap;
	size_t			 steps;
	size_t			 iters;
	size_t			 work;
	int			 failed;
	int			 in_str;	/* JSON: inside a string */
	int			 esc;		/* JSON: after a backslash */
	enum url_phase		 phase;
	struct scope		 scope[TPL_MAX_DEPTH];
	size_t			 nscope;
};

static int	render_body(struct rstate *, const struct tpl_body *);

static int __attribute__((format(printf, 3, 4)))
rerr(struct rstate *rs, int off, const char *fmt, ...)
{
	va_list	ap;
	char	buf[sizeof(((struct tpl_error *)NULL)->msg)];

	if (rs->failed)
		return -1;
	rs->failed = 1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tpl_set_error(rs->err, rs->t->src, off, "%s", buf);
	return -1;
}

static const char *
kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* Append n bytes to the output, within TPL_MAX_OUTPUT. */
static int
out_put(struct rstate *rs, int off, const char *p, size_t n)
{
	size_t ncap;

	if (n > TPL_MAX_OUTPUT - rs->len)
		return rerr(rs, off, "output would exceed %d bytes",
		    TPL_MAX_OUTPUT);
	if (rs->len + n + 1 > rs->cap) {
		ncap = rs->cap == 0 ? 256 : rs->cap;
		while (ncap < rs->len + n + 1)
			ncap *= 2;
		rs->buf = xreallocarray(rs->buf, ncap, 1);
		rs->cap = ncap;
	}
	memcpy(rs->buf + rs->len, p, n);
	rs->len += n;
	rs->buf[rs->len] = '\0';
	return 0;
}

static int
out_char(struct rstate *rs, int off, char c)
{
	return out_put(rs, off, &c, 1);
}

/* Charge n bytes of work to the render. */
static int
charge(struct rstate *rs, int off, size_t n)
{
	rs->work += n;
	if (rs->work > TPL_MAX_WORK)
		return rerr(rs, off, "template does too much work (more than "
		    "%d bytes through filters and comparisons)", TPL_MAX_WORK);
	return 0;
}

/* Follow literal or verbatim URL text to know where the next value lands. */
static void
url_advance(struct rstate *rs, const char *p, size_t n)
{
	size_t	i;
	char	c;

	for (i = 0; i < n; i++) {
		c = p[i];
		switch (rs->phase) {
		case URL_SCHEME:
			if (c == '?')
				rs->phase = URL_QUERY;
			else if (c == '#')
				rs->phase = URL_QUERY;
			else if (c == '/') {
				/* rs->buf already holds the byte p[i]. */
				size_t at = rs->len - n + i;

				if (at >= 2 && rs->buf[at - 1] == '/' &&
				    rs->buf[at - 2] == ':')
					rs->phase = URL_AUTHORITY;
				else if (at < 1 || rs->buf[at - 1] != ':')
					rs->phase = URL_PATH;
			} else {
				size_t at = rs->len - n + i;

				if (at >= 2 && rs->buf[at - 1] == '/' &&
				    rs->buf[at - 2] == ':')
					rs->phase = URL_PATH;
			}
			break;
		case URL_AUTHORITY:
			if (c == '/')
				rs->phase = URL_PATH;
			else if (c == '?' || c == '#')
				rs->phase = URL_QUERY;
			break;
		case URL_PATH:
			if (c == '?' || c == '#')
				rs->phase = URL_QUERY;
			break;
		case URL_QUERY:
			break;
		}
	}
}

/* Follow literal JSON text: are we inside a string literal? */
static void
json_advance(struct rstate *rs, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!rs->in_str) {
			if (p[i] == '"')
				rs->in_str = 1;
		} else if (rs->esc)
			rs->esc = 0;
		else if (p[i] == '\\')
			rs->esc = 1;
		else if (p[i] == '"')
			rs->in_str = 0;
	}
}

static int
emit_literal(struct rstate *rs, const struct tpl_node *n)
{
	if (out_put(rs, n->off, n->text, n->len) != 0)
		return -1;
	if (rs->ctx == TPL_CTX_JSON)
		json_advance(rs, n->text, n->len);
	else if (rs->ctx == TPL_CTX_URL)
		url_advance(rs, n->text, n->len);
	return 0;
}

struct dumpbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static int
dump_cb(const char *p, size_t n, void *arg)
{
	struct dumpbuf *d = arg;

	if (n > TPL_MAX_OUTPUT - d->len)
		return -1;
	if (d->len + n + 1 > d->cap) {
		while (d->len + n + 1 > d->cap)
			d->cap = d->cap == 0 ? 64 : d->cap * 2;
		d->p = xreallocarray(d->p, d->cap, 1);
	}
	memcpy(d->p + d->len, p, n);
	d->len += n;
	d->p[d->len] = '\0';
	return 0;
}

/* v as compact JSON text, at most TPL_MAX_OUTPUT bytes. */
static int
dump_json(struct rstate *rs, int off, const json_t *v, char **out,
    size_t *len)
{
	struct dumpbuf d = { NULL, 0, 0 };

	if (json_dump_callback(v, dump_cb, &d, JSON_COMPACT |
	    JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) != 0) {
		free(d.p);
		return rerr(rs, off, "value is too large to render (more "
		    "than %d bytes)", TPL_MAX_OUTPUT);
	}
	if (d.p == NULL)
		d.p = xstrdup("");
	*out = d.p;
	*len = d.len;
	return 0;
}

/* The text of a value: strings as they are, others as JSON, null empty. */
static int
value_text(struct rstate *rs, int off, const json_t *v, char **out,
    size_t *len)
{
	if (json_is_string(v)) {
		*len = json_string_length(v);
		*out = xmalloc(*len + 1);
		memcpy(*out, json_string_value(v), *len + 1);
		return 0;
	}
	if (json_is_null(v)) {
		*out = xstrdup("");
		*len = 0;
		return 0;
	}
	return dump_json(rs, off, v, out, len);
}

static const char *
char_name(u_char c, char *buf, size_t size)
{
	switch (c) {
	case '\n':
		return "a line feed (LF)";
	case '\r':
		return "a carriage return (CR)";
	case '\0':
		return "a NUL byte";
	case '\t':
		return "a tab";
	case 0x1b:
		return "an escape character (ESC)";
	}
	snprintf(buf, size, "control character 0x%02x", c);
	return buf;
}

/*
 * Refuse what would break out of one CLI line or header value: C0 controls
 * (a header allows a tab), DEL, and for CLI the C1 controls U+0080-U+009F.
 */
static int
check_line(struct rstate *rs, const struct tpl_node *n, const char *p,
    size_t len)
{
	char	buf[40];
	size_t	i;
	u_char	c;
	int	cli = rs->ctx == TPL_CTX_CLI;

	for (i = 0; i < len; i++) {
		c = (u_char)p[i];
		if ((c < 0x20 && !(c == '\t' && !cli)) || c == 0x7f) {
			return rerr(rs, n->expr->off, "%s contains %s, which "
			    "%s; refused", n->expr->text,
			    char_name(c, buf, sizeof(buf)), cli ?
			    "cannot be sent in one CLI line" :
			    "cannot be sent in an HTTP header value");
		}
		if (cli && c == 0xc2 && i + 1 < len &&
		    (u_char)p[i + 1] >= 0x80 && (u_char)p[i + 1] <= 0x9f) {
			return rerr(rs, n->expr->off, "%s contains control "
			    "character U+%04X, which cannot be sent in one CLI "
			    "line; refused", n->expr->text,
			    (u_char)p[i + 1]);
		}
	}
	return 0;
}

static int
is_unreserved(u_char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* Percent-encode p (form: space as '+', as HTML forms do). */
static int
put_encoded(struct rstate *rs, int off, const char *p, size_t len, int form)
{
	static const char hex[] = "0123456789ABCDEF";
	char	enc[3];
	size_t	i;
	u_char	c;

	for (i = 0; i < len; i++) {
		c = (u_char)p[i];
		if (form && c == ' ') {
			if (out_char(rs, off, '+') != 0)
				return -1;
		} else if (is_unreserved(c) && !(form && c == '~')) {
			if (out_char(rs, off, (char)c) != 0)
				return -1;
		} else if (form && c == '*') {
			if (out_char(rs, off, '*') != 0)
				return -1;
		} else {
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 0xf];
			if (out_put(rs, off, enc, 3) != 0)
				return -1;
		}
	}
	return 0;
}

/* May p stand as a whole absolute http(s) URL? */
static int
is_safe_url(const char *p, size_t len)
{
	static const char extra[] = "-._~:/?#[]@!$&'()*+,;=%";
	size_t i;

	if (!(len > 7 && strncasecmp(p, "http://", 7) == 0) &&
	    !(len > 8 && strncasecmp(p, "https://", 8) == 0))
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_unreserved((u_char)p[i]) &&
		    (p[i] == '\0' || strchr(extra, p[i]) == NULL))
			return 0;
	}
	return 1;
}

static int
emit_url(struct rstate *rs, const struct tpl_node *n, const char *p,
    size_t len, enum raw_kind raw)
{
	struct in6_addr	 a6;
	char		 tmp[INET6_ADDRSTRLEN + 1];
	size_t		 i;
	int		 off = n->expr->off, wrap;

	switch (rs->phase) {
	case URL_SCHEME:
		if (rs->len != 0)
			return rerr(rs, off, "%s would change the scheme of "
			    "the URL; refused", n->expr->text);
		if (!is_safe_url(p, len))
			return rerr(rs, off, "%s starts the URL, so it must be "
			    "an absolute http:// or https:// URL without "
			    "spaces or control characters; refused",
			    n->expr->text);
		if (out_put(rs, off, p, len) != 0)
			return -1;
		url_advance(rs, p, len);
		return 0;
	case URL_AUTHORITY:
		for (i = 0; i < len; i++) {
			if (!is_unreserved((u_char)p[i]) && p[i] != ':' &&
			    p[i] != '[' && p[i] != ']')
				return rerr(rs, off, "%s is not a host name, "
				    "address or port: it contains '%c'%s; "
				    "refused", n->expr->text,
				    p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?',
				    p[i] > 0x20 && p[i] < 0x7f ? "" :
				    " (a space or control character)");
		}
		/* An IPv6 literal needs brackets in a URL. */
		wrap = 0;
		if (len < sizeof(tmp) && memchr(p, ':', len) != NULL &&
		    (rs->len == 0 || rs->buf[rs->len - 1] != '[')) {
			memcpy(tmp, p, len);
			tmp[len] = '\0';
			wrap = inet_pton(AF_INET6, tmp, &a6) == 1;
		}
		if (wrap && out_char(rs, off, '[') != 0)
			return -1;
		if (out_put(rs, off, p, len) != 0)
			return -1;
		if (wrap && out_char(rs, off, ']') != 0)
			return -1;
		return 0;
	case URL_PATH:
	case URL_QUERY:
		if (raw == RAW_URL)
			return out_put(rs, off, p, len);
		return put_encoded(rs, off, p, len, 0);
	}
	return -1;
}

/* Write p as the content of a JSON string (without quotes). */
static int
put_json_escaped(struct rstate *rs, int off, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char	esc[6];
	size_t	i, start = 0;
	u_char	c;

	for (i = 0; i < len; i++) {
		c = (u_char)p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (out_put(rs, off, p + start, i - start) != 0)
			return -1;
		start = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			if (out_put(rs, off, esc, 6) != 0)
				return -1;
			continue;
		}
		if (out_put(rs, off, esc, 2) != 0)
			return -1;
	}
	return out_put(rs, off, p + start, len - start);
}

/* Write the final value of an output tag, escaped for the context. */
static int
emit_value(struct rstate *rs, const struct tpl_node *n, json_t *v,
    enum raw_kind raw)
{
	char	*text = NULL;
	size_t	 len;
	int	 rc = -1, off = n->expr->off;

	if (rs->ctx == TPL_CTX_JSON && !rs->in_str && raw != RAW_JSON) {
		if (dump_json(rs, off, v, &text, &len) != 0)
			goto out;
		rc = out_put(rs, off, text, len);
		goto out;
	}
	if (value_text(rs, off, v, &text, &len) != 0)
		goto out;
	switch (rs->ctx) {
	case TPL_CTX_TEXT:
		rc = out_put(rs, off, text, len);
		break;
	case TPL_CTX_JSON:
		if (rs->in_str)
			rc = put_json_escaped(rs, off, text, len);
		else
			rc = out_put(rs, off, text, len);	/* | json */
		break;
	case TPL_CTX_URL:
		rc = emit_url(rs, n, text, len, raw);
		break;
	case TPL_CTX_FORM:
		if (raw == RAW_URL)
			rc = out_put(rs, off, text, len);
		else
			rc = put_encoded(rs, off, text, len, 1);
		break;
	case TPL_CTX_HEADER:
	case TPL_CTX_CLI:
		if (check_line(rs, n, text, len) == 0)
			rc = out_put(rs, off, text, len);
		break;
	default:
		rc = rerr(rs, off, "unknown output context %d", (int)rs->ctx);
		break;
	}
out:
	free(text);
	return rc;
}

static int
func_now(struct rstate *rs, int off, json_t **out)
{
	struct tm	tm;
	time_t		now = time(NULL);
	char		buf[32];

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return rerr(rs, off, "now(): cannot format the time");
	*out = json_string(buf);
	return 0;
}

/* A random (version 4) UUID. */
static int
func_uuid(struct rstate *rs, int off, json_t **out)
{
	u_char	b[16];
	char	buf[40];
	size_t	got = 0;
	ssize_t	n;

	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rerr(rs, off, "uuid(): no random bytes: %s",
			    strerror(errno));
		got += (size_t)n;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, sizeof(buf), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
	    b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
	*out = json_string(buf);
	return 0;
}

/* The current data: the innermost range element, else get_data. */
static json_t *
current_dot(struct rstate *rs)
{
	size_t i;

	for (i = rs->nscope; i > 0; i--) {
		if (rs->scope[i - 1].name == NULL)
			return rs->scope[i - 1].value;
	}
	return json_object_get(rs->env, "get_data");
}

static enum ev_status
eval_path(struct rstate *rs, const struct tpl_expr *e, json_t **out)
{
	json_t		*cur = NULL;
	const struct tpl_step *st;
	size_t		 i;

	if (e->kind == TPL_EXPR_DOT) {
		cur = current_dot(rs);
		/* get_data as a one-item list: .X reads that item. */
		if (cur != NULL && json_is_array(cur) && e->nsteps > 0 &&
		    e->steps[0].kind == TPL_STEP_FIELD) {
			if (json_array_size(cur) != 1) {
				rerr(rs, e->off, "%s: the current data is a "
				    "list of %zu items, not one; write "
				    "get_data[N]%s or loop with range", e->text,
				    json_array_size(cur), e->text);
				return EV_ERROR;
			}
			cur = json_array_get(cur, 0);
		}
	} else {
		for (i = rs->nscope; i > 0; i--) {
			if (rs->scope[i - 1].name != NULL &&
			    strcmp(rs->scope[i - 1].name, e->root) == 0) {
				cur = rs->scope[i - 1].value;
				break;
			}
		}
		if (i == 0) {
			cur = json_object_get(rs->env, e->root);
			if (cur == NULL)
				cur = json_object_get(json_object_get(rs->env,
				    "get_cs_data"), e->root);
		}
	}
	for (i = 0; cur != NULL && i < e->nsteps; i++) {
		st = &e->steps[i];
		if (json_is_null(cur))
			return EV_MISSING;
		if (st->kind == TPL_STEP_FIELD) {
			if (!json_is_object(cur)) {
				rerr(rs, e->off, "cannot read %s: found %s "
				    "where an object with field '%s' was "
				    "expected", e->text, kind_name(cur),
				    st->name);
				return EV_ERROR;
			}
			cur = json_object_get(cur, st->name);
		} else {
			if (!json_is_array(cur)) {
				rerr(rs, e->off, "cannot read %s: found %s "
				    "where a list was expected", e->text,
				    kind_name(cur));
				return EV_ERROR;
			}
			cur = json_array_get(cur, (size_t)st->index);
		}
	}
	if (cur == NULL)
		return EV_MISSING;
	*out = json_incref(cur);
	return EV_OK;
}

/* Evaluate e: EV_OK with a new reference in *out, or missing, or error. */
static enum ev_status
eval_expr(struct rstate *rs, const struct tpl_expr *e, json_t **out)
{
	*out = NULL;
	switch (e->kind) {
	case TPL_EXPR_CONST:
		*out = json_incref(e->value);
		return EV_OK;
	case TPL_EXPR_CALL:
		if (e->func == TPL_FUNC_NOW)
			return func_now(rs, e->off, out) == 0 ? EV_OK :
			    EV_ERROR;
		return func_uuid(rs, e->off, out) == 0 ? EV_OK : EV_ERROR;
	case TPL_EXPR_PATH:
	case TPL_EXPR_DOT:
		return eval_path(rs, e, out);
	}
	return EV_ERROR;
}

static json_t *
text_value(char *text, size_t len)
{
	json_t *v = json_stringn_nocheck(text, len);

	free(text);
	return v;
}

static size_t
utf8_length(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (((u_char)p[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Join the items of a list with sep. */
static int
filter_join(struct rstate *rs, int off, json_t *v, const char *sep,
    size_t seplen, json_t **out)
{
	struct dumpbuf	 d = { NULL, 0, 0 };
	char		*text;
	size_t		 i, len;
	int		 rc = -1;

	if (!json_is_array(v))
		return rerr(rs, off, "join: expected a list, found %s",
		    kind_name(v));
	for (i = 0; i < json_array_size(v); i++) {
		if (value_text(rs, off, json_array_get(v, i), &text, &len) != 0)
			goto out;
		if (charge(rs, off, len + seplen) != 0 ||
		    (i > 0 && dump_cb(sep, seplen, &d) != 0) ||
		    dump_cb(text, len, &d) != 0) {
			free(text);
			rerr(rs, off, "join: result is too large");
			goto out;
		}
		free(text);
	}
	*out = json_stringn_nocheck(d.p != NULL ? d.p : "", d.len);
	rc = 0;
out:
	free(d.p);
	return rc;
}

static char *
base64_encode(const char *p, size_t len, size_t *outlen)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const u_char	*s = (const u_char *)p;
	char		*o, *d;
	size_t		 i;
	u_int		 v;

	d = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (u_int)s[i] << 16 | (u_int)s[i + 1] << 8 | s[i + 2];
		*d++ = tab[v >> 18];
		*d++ = tab[v >> 12 & 63];
		*d++ = tab[v >> 6 & 63];
		*d++ = tab[v & 63];
	}
	if (i < len) {
		v = (u_int)s[i] << 16;
		if (i + 1 < len)
			v |= (u_int)s[i + 1] << 8;
		*d++ = tab[v >> 18];
		*d++ = tab[v >> 12 & 63];
		*d++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*d++ = '=';
	}
	*d = '\0';
	*outlen = (size_t)(d - o);
	return o;
}

/*
 * An address with an optional prefix length ("10.1.2.3/24", "2001:db8::/32",
 * "10.1.2.3" as /32): family, the address bytes, the length.
 */
static int
cidr_split(const char *text, size_t len, int *af, u_char addr[16], int *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long n;

	if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		*af = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*af = AF_INET6;
	else
		return -1;
	*plen = *af == AF_INET ? 32 : 128;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		n = strtol(slash, &end, 10);
		if (*end != '\0' || n > *plen)
			return -1;
		*plen = (int)n;
	}
	return 0;
}

/* network, netmask, wildcard, prefixlen: from "address/length". */
static int
filter_cidr(struct rstate *rs, const struct tpl_filter *f, const char *text,
    size_t len, json_t **nv)
{
	static const char *const names[] = { "network", "netmask",
	    "wildcard", "prefixlen" };
	const char *name = names[f->kind - TPL_FILTER_NETWORK];
	u_char addr[16], mask[16];
	char out[INET6_ADDRSTRLEN];
	int af, plen, i, nbytes;

	if (cidr_split(text, len, &af, addr, &plen) != 0)
		return rerr(rs, f->off, "%s: expected an address with an "
		    "optional /length (10.1.2.0/24), found \"%.*s\"", name,
		    (int)(len > 64 ? 64 : len), text);
	if (f->kind == TPL_FILTER_PREFIXLEN) {
		*nv = json_integer(plen);
		return 0;
	}
	nbytes = af == AF_INET ? 4 : 16;
	for (i = 0; i < nbytes; i++) {
		int bits = plen - i * 8;

		mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 :
		    (u_char)(0xff << (8 - bits));
	}
	if (f->kind != TPL_FILTER_NETWORK && af != AF_INET)
		return rerr(rs, f->off, "%s: IPv4 only; an IPv6 prefix is "
		    "written with its length (prefixlen)", name);
	for (i = 0; i < nbytes; i++) {
		if (f->kind == TPL_FILTER_NETWORK)
			addr[i] &= mask[i];
		else if (f->kind == TPL_FILTER_NETMASK)
			addr[i] = mask[i];
		else
			addr[i] = (u_char)~mask[i];
	}
	inet_ntop(af, addr, out, sizeof(out));
	*nv = json_string(out);
	return 0;
}

/* Apply one filter to *v (a reference we own), replacing it. */
static int
apply_filter(struct rstate *rs, const struct tpl_filter *f, json_t **v,
    enum raw_kind *raw)
{
	struct dumpbuf	 d = { NULL, 0, 0 };
	json_t		*nv = NULL, *arg = NULL;
	char		*text = NULL, *enc;
	size_t		 len, i, a, b;
	int		 rc = -1;
	const char	*sep = ",";
	size_t		 seplen = 1;

	if (f->kind == TPL_FILTER_LENGTH) {
		if (json_is_string(*v))
			nv = json_integer((json_int_t)utf8_length(
			    json_string_value(*v), json_string_length(*v)));
		else if (json_is_array(*v))
			nv = json_integer((json_int_t)json_array_size(*v));
		else if (json_is_object(*v))
			nv = json_integer((json_int_t)json_object_size(*v));
		else
			return rerr(rs, f->off, "length: expected a string, "
			    "list or object, found %s", kind_name(*v));
		goto done;
	}
	if (f->kind == TPL_FILTER_JOIN) {
		if (f->nargs == 1) {
			if (eval_expr(rs, f->args[0], &arg) != EV_OK ||
			    !json_is_string(arg)) {
				json_decref(arg);
				return rerr(rs, f->off, "join: the separator "
				    "must be a string");
			}
			sep = json_string_value(arg);
			seplen = json_string_length(arg);
		}
		rc = filter_join(rs, f->off, *v, sep, seplen, &nv);
		json_decref(arg);
		if (rc != 0)
			return -1;
		goto done;
	}
	if (value_text(rs, f->off, *v, &text, &len) != 0)
		return -1;
	if (charge(rs, f->off, len) != 0)
		goto out;
	switch (f->kind) {
	case TPL_FILTER_JSON:
		free(text);
		text = NULL;
		if (dump_json(rs, f->off, *v, &text, &len) != 0)
			goto out;
		nv = text_value(text, len);
		text = NULL;
		*raw = RAW_JSON;
		json_decref(*v);
		*v = nv;
		return 0;
	case TPL_FILTER_URL:
		for (i = 0; i < len; i++) {
			if (is_unreserved((u_char)text[i]))
				rc = dump_cb(text + i, 1, &d);
			else {
				char e3[4];

				snprintf(e3, sizeof(e3), "%%%02X",
				    (u_char)text[i]);
				rc = dump_cb(e3, 3, &d);
			}
			if (rc != 0) {
				free(d.p);
				rerr(rs, f->off, "url: result is too large");
				goto out;
			}
		}
		nv = json_stringn_nocheck(d.p != NULL ? d.p : "", d.len);
		free(d.p);
		json_decref(*v);
		*v = nv;
		*raw = RAW_URL;
		rc = 0;
		goto out;
	case TPL_FILTER_BASE64:
		if (len > TPL_MAX_OUTPUT) {
			rerr(rs, f->off, "base64: value is too large");
			goto out;
		}
		enc = base64_encode(text, len, &len);
		nv = text_value(enc, len);
		break;
	case TPL_FILTER_UPPER:
	case TPL_FILTER_LOWER:
		for (i = 0; i < len; i++) {
			if (f->kind == TPL_FILTER_UPPER && text[i] >= 'a' &&
			    text[i] <= 'z')
				text[i] = (char)(text[i] - 'a' + 'A');
			else if (f->kind == TPL_FILTER_LOWER &&
			    text[i] >= 'A' && text[i] <= 'Z')
				text[i] = (char)(text[i] - 'A' + 'a');
		}
		nv = json_stringn_nocheck(text, len);
		break;
	case TPL_FILTER_NETWORK:
	case TPL_FILTER_NETMASK:
	case TPL_FILTER_WILDCARD:
	case TPL_FILTER_PREFIXLEN:
		if (filter_cidr(rs, f, text, len, &nv) != 0)
			goto out;
		break;
	case TPL_FILTER_TRIM:
		for (a = 0; a < len && (text[a] == ' ' || text[a] == '\t' ||
		    text[a] == '\n' || text[a] == '\r'); a++)
			;
		for (b = len; b > a && (text[b - 1] == ' ' ||
		    text[b - 1] == '\t' || text[b - 1] == '\n' ||
		    text[b - 1] == '\r'); b--)
			;
		nv = json_stringn_nocheck(text + a, b - a);
		break;
	default:
		rerr(rs, f->off, "internal error: filter %d", (int)f->kind);
		goto out;
	}
done:
	json_decref(*v);
	*v = nv;
	*raw = RAW_NONE;
	rc = 0;
out:
	free(text);
	return rc;
}

static int
render_output(struct rstate *rs, const struct tpl_node *n)
{
	json_t		*v = NULL;
	enum ev_status	 st;
	enum raw_kind	 raw = RAW_NONE;
	size_t		 i;
	int		 rc = -1;

	if ((st = eval_expr(rs, n->expr, &v)) == EV_ERROR)
		return -1;
	for (i = 0; i < n->nfilters; i++) {
		const struct tpl_filter *f = &n->filters[i];

		if (f->kind == TPL_FILTER_DEFAULT) {
			if (v != NULL && !json_is_null(v))
				continue;
			json_decref(v);
			v = NULL;
			st = eval_expr(rs, f->args[0], &v);
			if (st == EV_ERROR)
				goto out;
			if (st == EV_MISSING) {
				rerr(rs, f->args[0]->off, "%s is not set",
				    f->args[0]->text);
				goto out;
			}
			raw = RAW_NONE;
			continue;
		}
		if (v == NULL)
			continue;	/* a later default() may supply it */
		if (apply_filter(rs, f, &v, &raw) != 0)
			goto out;
	}
	if (v == NULL) {
		rerr(rs, n->expr->off, "%s is not set", n->expr->text);
		goto out;
	}
	rc = emit_value(rs, n, v, raw);
out:
	json_decref(v);
	return rc;
}

static int
truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_TRUE:
		return 1;
	default:
		return 0;
	}
}

/* Scalar equality for eq/ne; a string equals an integer it spells. */
static int
values_equal(struct rstate *rs, const json_t *a, const json_t *b, int *eq)
{
	char	buf[32];
	const json_t *s, *i;

	if (json_is_string(a) && json_is_string(b)) {
		if (charge(rs, -1, json_string_length(a)) != 0)
			return -1;
		*eq = json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
		return 0;
	}
	if (json_is_integer(a) && json_is_integer(b))
		*eq = json_integer_value(a) == json_integer_value(b);
	else if (json_is_number(a) && json_is_number(b))
		*eq = json_number_value(a) == json_number_value(b);
	else if ((json_is_string(a) && json_is_integer(b)) ||
	    (json_is_integer(a) && json_is_string(b))) {
		s = json_is_string(a) ? a : b;
		i = json_is_string(a) ? b : a;
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(i));
		*eq = strlen(buf) == json_string_length(s) &&
		    strcmp(buf, json_string_value(s)) == 0;
	} else
		*eq = json_typeof(a) == json_typeof(b) &&
		    (json_is_boolean(a) || json_is_null(a));
	return 0;
}

static int
eval_cond(struct rstate *rs, const struct tpl_cond *c, int *truth)
{
	json_t		*a = NULL, *b = NULL;
	enum ev_status	 st;
	int		 l, rc = -1, eq;

	switch (c->kind) {
	case TPL_COND_NOT:
		if (eval_cond(rs, c->l, &l) != 0)
			return -1;
		*truth = !l;
		return 0;
	case TPL_COND_AND:
	case TPL_COND_OR:
		if (eval_cond(rs, c->l, &l) != 0)
			return -1;
		if ((c->kind == TPL_COND_AND) != l) {
			*truth = l;
			return 0;
		}
		return eval_cond(rs, c->r, truth);
	case TPL_COND_EXPR:
		if ((st = eval_expr(rs, c->a, &a)) == EV_ERROR)
			return -1;
		*truth = st == EV_OK && truthy(a);
		json_decref(a);
		return 0;
	case TPL_COND_EQ:
	case TPL_COND_NE:
		if (eval_expr(rs, c->a, &a) == EV_ERROR ||
		    eval_expr(rs, c->b, &b) == EV_ERROR)
			goto out;
		if (a == NULL)
			a = json_null();
		if (b == NULL)
			b = json_null();
		if (json_is_object(a) || json_is_array(a) ||
		    json_is_object(b) || json_is_array(b)) {
			rerr(rs, json_is_object(a) || json_is_array(a) ?
			    c->a->off : c->b->off, "%s is %s; eq and ne "
			    "compare strings, numbers, booleans and null",
			    json_is_object(a) || json_is_array(a) ?
			    c->a->text : c->b->text, kind_name(
			    json_is_object(a) || json_is_array(a) ? a : b));
			goto out;
		}
		if (values_equal(rs, a, b, &eq) != 0)
			goto out;
		*truth = c->kind == TPL_COND_EQ ? eq : !eq;
		rc = 0;
		break;
	}
out:
	json_decref(a);
	json_decref(b);
	return rc;
}

static int
render_for(struct rstate *rs, const struct tpl_node *n)
{
	json_t		*list = NULL;
	enum ev_status	 st;
	size_t		 i;
	int		 rc = -1;

	if ((st = eval_expr(rs, n->list, &list)) == EV_ERROR)
		return -1;
	if (st == EV_MISSING || json_is_null(list)) {
		rc = 0;
		goto out;
	}
	if (!json_is_array(list)) {
		rerr(rs, n->list->off, "%s: %s is %s, not a list",
		    n->var != NULL ? "for" : "range", n->list->text,
		    kind_name(list));
		goto out;
	}
	for (i = 0; i < json_array_size(list); i++) {
		if (++rs->iters > TPL_MAX_ITERATIONS) {
			rerr(rs, n->off, "loops ran more than %d times in one "
			    "render", TPL_MAX_ITERATIONS);
			goto out;
		}
		rs->scope[rs->nscope].name = n->var;
		rs->scope[rs->nscope].value = json_array_get(list, i);
		rs->nscope++;
		rc = render_body(rs, &n->body);
		rs->nscope--;
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(list);
	return rc;
}

static int
render_body(struct rstate *rs, const struct tpl_body *b)
{
	const struct tpl_node	*n;
	size_t			 i, j;
	int			 truth;

	for (i = 0; i < b->n; i++) {
		n = b->v[i];
		if (++rs->steps > TPL_MAX_STEPS)
			return rerr(rs, n->off, "template takes too many steps "
			    "(more than %d)", TPL_MAX_STEPS);
		switch (n->kind) {
		case TPL_NODE_TEXT:
			if (emit_literal(rs, n) != 0)
				return -1;
			break;
		case TPL_NODE_OUTPUT:
			if (render_output(rs, n) != 0)
				return -1;
			break;
		case TPL_NODE_IF:
			for (j = 0; j < n->nbranches; j++) {
				truth = 1;
				if (n->branches[j].cond != NULL &&
				    eval_cond(rs, n->branches[j].cond,
				    &truth) != 0)
					return -1;
				if (truth) {
					if (render_body(rs,
					    &n->branches[j].body) != 0)
						return -1;
					break;
				}
			}
			break;
		case TPL_NODE_FOR:
			if (render_for(rs, n) != 0)
				return -1;
			break;
		}
	}
	return 0;
}

int
tpl_render(const struct tpl *t, enum tpl_ctx ctx, json_t *env, char **out,
    size_t *outlen, struct tpl_error *err)
{
	struct rstate	rs;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	memset(&rs, 0, sizeof(rs));
	rs.t = t;
	rs.ctx = ctx;
	rs.env = env;
	rs.err = err;
	rs.phase = URL_SCHEME;
	if (t == NULL) {
		tpl_set_error(err, NULL, -1, "no template");
		return -1;
	}
	if (env != NULL && !json_is_object(env)) {
		tpl_set_error(err, NULL, -1, "the environment must be an "
		    "object");
		return -1;
	}
	if ((int)ctx < TPL_CTX_TEXT || ctx > TPL_CTX_CLI) {
		tpl_set_error(err, NULL, -1, "unknown output context %d",
		    (int)ctx);
		return -1;
	}
	if (render_body(&rs, &t->body) != 0) {
		free(rs.buf);
		return -1;
	}
	if (rs.buf == NULL)
		rs.buf = xstrdup("");
	*out = rs.buf;
	if (outlen != NULL)
		*outlen = rs.len;
	return 0;
}
