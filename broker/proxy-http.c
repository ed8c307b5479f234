/*
 * The proxy's request-head parser (see proxy-http.h for what it refuses).
 *
 * Two passes: the first walks the bytes received so far to find the end of
 * the head, refusing bad line endings, control characters and oversize
 * input as soon as they arrive; the second works on a private copy of the
 * complete head, cut into NUL-terminated pieces.  A head is at most a few
 * tens of KiB and is scanned again on each read until it is complete; that
 * quadratic worst case is bounded by the head limit, and simpler than
 * keeping state between reads.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/proxy-http.h"

const struct hp_limits hp_default_limits = { 8192, 32768, 100 };

/* Never forwarded, whatever Connection says (RFC 9110 7.6.1). */
static const char *const hp_hop_names[] = { "connection", "keep-alive",
    "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
    "upgrade", NULL };

static enum hp_result
hp_fail(struct hp_req *r, int status, const char *error)
{
	r->status = status;
	r->error = error;
	return HP_ERROR;
}

/* tchar of RFC 9110 5.6.2. */
static int
hp_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
hp_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

const char *
hp_reason(int status)
{
	switch (status) {
	case 200:
		return "Connection established";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Error";
}

/*
 * First pass: find the empty line ending the head in what has arrived,
 * refusing what can be refused already.
 */
static enum hp_result
hp_find_end(struct hp_req *r, const char *buf, size_t len,
    const struct hp_limits *lim)
{
	size_t i, start = 0, nlines = 0, max;
	size_t maxlines = lim->headers < HP_HEADERS_HARD_MAX ?
	    lim->headers : HP_HEADERS_HARD_MAX;
	unsigned char c;

	max = len < lim->head ? len : lim->head;
	for (i = 0; i < max; i++) {
		c = (unsigned char)buf[i];
		if (c == '\r') {
			if (i + 1 == len)
				break;
			if (buf[i + 1] != '\n')
				return hp_fail(r, 400, "bare CR in the request "
				    "head");
			continue;
		}
		if (c == '\n') {
			if (i == 0 || buf[i - 1] != '\r')
				return hp_fail(r, 400, "a line ends with LF "
				    "alone; CRLF is required");
			if (i - 1 == start) {
				if (nlines == 0)
					return hp_fail(r, 400, "empty line "
					    "before the request line");
				r->head_len = i + 1;
				return HP_DONE;
			}
			if (++nlines > maxlines + 1)
				return hp_fail(r, 431, "too many header fields");
			start = i + 1;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return hp_fail(r, 400, "control character in the "
			    "request head");
		if (nlines == 0 && i - start >= lim->request_line)
			return hp_fail(r, 414, "request line too long");
	}
	if (len >= lim->head)
		return hp_fail(r, 431, "request head too large");
	return HP_MORE;
}

/*
 * host[:port] or [v6]:port into host (without brackets) and *port.
 * Returns 1 with a port, 0 without, -1 when malformed.
 */
static int
hp_authority(const char *s, char *host, size_t hostsz, uint16_t *port)
{
	const char *p, *h;
	unsigned long v;
	size_t n, i;

	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL)
			return -1;
		h = s + 1;
		n = (size_t)(p - h);
		for (i = 0; i < n; i++)
			if (!hp_digit((unsigned char)h[i]) &&
			    strchr("abcdefABCDEF:.", h[i]) == NULL)
				return -1;
		p++;
	} else {
		h = s;
		for (p = s; *p != '\0' && *p != ':'; p++) {
			unsigned char c = (unsigned char)*p;

			if (!hp_digit(c) && !(c >= 'a' && c <= 'z') &&
			    !(c >= 'A' && c <= 'Z') && c != '-' && c != '.' &&
			    c != '_')
				return -1;
		}
		n = (size_t)(p - h);
	}
	if (n == 0 || n >= hostsz)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (*p == '\0')
		return 0;
	if (*p != ':' || p[1] == '\0')
		return -1;
	for (v = 0, i = 1; p[i] != '\0'; i++) {
		if (!hp_digit((unsigned char)p[i]) || i > 5)
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 1;
}

/* The request line, NUL-terminated in place. */
static enum hp_result
hp_request_line(struct hp_req *r, char *line)
{
	char *sp, *v;
	size_t i;

	for (i = 0; hp_tchar((unsigned char)line[i]); i++)
		;
	if (i == 0 || line[i] != ' ')
		return hp_fail(r, 400, "malformed method in the request line");
	if (i > HP_METHOD_MAX)
		return hp_fail(r, 400, "method too long");
	line[i] = '\0';
	r->method = line;
	r->target = line + i + 1;
	if ((sp = strchr(r->target, ' ')) == NULL || sp == r->target)
		return hp_fail(r, 400, "malformed request line");
	*sp = '\0';
	for (i = 0; r->target[i] != '\0'; i++) {
		unsigned char c = (unsigned char)r->target[i];

		if (c <= 0x20 || c >= 0x7f)
			return hp_fail(r, 400, "invalid character in the "
			    "request target");
		if (c == '#')
			return hp_fail(r, 400, "fragment in the request "
			    "target");
	}
	v = sp + 1;
	if (strncmp(v, "HTTP/", 5) != 0 || !hp_digit((unsigned char)v[5]) ||
	    v[6] != '.' || !hp_digit((unsigned char)v[7]) || v[8] != '\0')
		return hp_fail(r, 400, "malformed HTTP version");
	if (v[5] == '1' && v[7] == '1')
		r->version = 11;
	else if (v[5] == '1' && v[7] == '0')
		r->version = 10;
	else
		return hp_fail(r, 505, "only HTTP/1.0 and HTTP/1.1 are "
		    "supported");
	return HP_DONE;
}

/* Where the request goes: authority, absolute or origin form. */
static enum hp_result
hp_target(struct hp_req *r)
{
	const char *t = r->target, *rest;
	char auth[sizeof(r->authority)];
	size_t n;
	int rc;

	r->connect = strcmp(r->method, "CONNECT") == 0;
	if (r->connect) {
		if (hp_authority(t, r->host, sizeof(r->host), &r->port) != 1 ||
		    strlen(t) >= sizeof(r->authority))
			return hp_fail(r, 400, "CONNECT needs host:port");
		strcpy(r->authority, t);
		r->form = HP_FORM_AUTHORITY;
		return HP_DONE;
	}
	if (t[0] == '/') {
		r->form = HP_FORM_ORIGIN;
		r->path = t;
		return HP_DONE;
	}
	if (strncasecmp(t, "http://", 7) != 0) {
		if (strstr(t, "://") != NULL)
			return hp_fail(r, 400, "only http:// URLs are "
			    "forwarded; use CONNECT for others");
		return hp_fail(r, 400, "a proxy request needs an absolute "
		    "http:// URL or CONNECT");
	}
	t += 7;
	n = strcspn(t, "/?");
	if (n == 0 || n >= sizeof(auth))
		return hp_fail(r, 400, "malformed host in the URL");
	memcpy(auth, t, n);
	auth[n] = '\0';
	if (strchr(auth, '@') != NULL)
		return hp_fail(r, 400, "user information in the URL is "
		    "refused");
	r->port = 80;
	if ((rc = hp_authority(auth, r->host, sizeof(r->host), &r->port)) < 0)
		return hp_fail(r, 400, "malformed host in the URL");
	strcpy(r->authority, auth);
	r->form = HP_FORM_ABSOLUTE;
	rest = t + n;
	if (*rest == '/')
		r->path = rest;
	else if (*rest == '\0')
		r->path = "/";
	else {
		/* "http://h?q": the origin form is "/?q". */
		n = strlen(rest);
		if ((r->path_alloc = malloc(n + 2)) == NULL)
			return hp_fail(r, 500, "out of memory");
		r->path_alloc[0] = '/';
		memcpy(r->path_alloc + 1, rest, n + 1);
		r->path = r->path_alloc;
	}
	return HP_DONE;
}

/* Content-Length: 1*DIGIT, possibly a list; every value must agree. */
static enum hp_result
hp_content_length(struct hp_req *r, const char *v)
{
	long long n;
	int digits;

	for (;;) {
		for (n = 0, digits = 0; hp_digit((unsigned char)*v); v++) {
			if (++digits > 15)
				return hp_fail(r, 400, "Content-Length too "
				    "large");
			n = n * 10 + (*v - '0');
		}
		if (digits == 0)
			return hp_fail(r, 400, "malformed Content-Length");
		if (r->content_length != -1 && r->content_length != n)
			return hp_fail(r, 400, "conflicting Content-Length "
			    "values");
		r->content_length = n;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			return HP_DONE;
		if (*v != ',')
			return hp_fail(r, 400, "malformed Content-Length");
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
	}
}

/* Check each token of Connection and mark the fields it names. */
static enum hp_result
hp_connection(struct hp_req *r, const char *v)
{
	char tok[64];
	size_t n, i;

	for (;;) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (*v == '\0')
			return HP_DONE;
		for (n = 0; hp_tchar((unsigned char)v[n]); n++)
			;
		if (n == 0 || (v[n] != '\0' && v[n] != ',' && v[n] != ' ' &&
		    v[n] != '\t'))
			return hp_fail(r, 400, "malformed Connection field");
		if (n >= sizeof(tok))
			return hp_fail(r, 400, "Connection option too long");
		memcpy(tok, v, n);
		tok[n] = '\0';
		/* Dropping these would change how the message is framed. */
		if (strcasecmp(tok, "content-length") == 0 ||
		    strcasecmp(tok, "transfer-encoding") == 0 ||
		    strcasecmp(tok, "host") == 0)
			return hp_fail(r, 400, "Connection names a field that "
			    "frames the message");
		for (i = 0; i < r->nheaders; i++)
			if (strcasecmp(r->headers[i].name, tok) == 0)
				r->headers[i].flags |= HP_HDR_HOP;
		v += n;
	}
}

/* One header field line, NUL-terminated in place. */
static enum hp_result
hp_field(struct hp_req *r, char *line)
{
	struct hp_header *h;
	char *colon, *v, *end;
	size_t i;

	if (line[0] == ' ' || line[0] == '\t')
		return hp_fail(r, 400, "obsolete line folding is refused");
	for (i = 0; hp_tchar((unsigned char)line[i]); i++)
		;
	if (line[i] != ':')
		return hp_fail(r, 400, i > 0 && (line[i] == ' ' ||
		    line[i] == '\t') ? "whitespace before a colon in a header "
		    "field" : "malformed header field name");
	if (i == 0)
		return hp_fail(r, 400, "empty header field name");
	colon = line + i;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	h = &r->headers[r->nheaders++];
	h->name = line;
	h->value = v;
	h->flags = 0;
	for (i = 0; hp_hop_names[i] != NULL; i++)
		if (strcasecmp(line, hp_hop_names[i]) == 0)
			h->flags |= HP_HDR_HOP;

	if (strcasecmp(line, "host") == 0) {
		if (r->host_header != NULL)
			return hp_fail(r, 400, "more than one Host field");
		r->host_header = v;
		h->flags |= HP_HDR_HOST;
	} else if (strcasecmp(line, "content-length") == 0)
		return hp_content_length(r, v);
	else if (strcasecmp(line, "transfer-encoding") == 0) {
		if (r->chunked)
			return hp_fail(r, 400, "more than one "
			    "Transfer-Encoding field");
		if (strcasecmp(v, "chunked") != 0)
			return hp_fail(r, 501, "only the chunked transfer "
			    "coding is supported");
		r->chunked = 1;
	} else if (strcasecmp(line, "proxy-authorization") == 0) {
		if (r->proxy_auth != NULL)
			return hp_fail(r, 400, "more than one "
			    "Proxy-Authorization field");
		r->proxy_auth = v;
	}
	return HP_DONE;
}

/* Whole-message rules, once every field is known. */
static enum hp_result
hp_check(struct hp_req *r)
{
	char host[HP_HOST_MAX + 1];
	uint16_t port = 0;
	enum hp_result res;
	size_t i;
	int rc;

	if (r->chunked && r->content_length != -1)
		return hp_fail(r, 400, "Content-Length together with "
		    "Transfer-Encoding");
	if (r->chunked && r->version == 10)
		return hp_fail(r, 400, "Transfer-Encoding in an HTTP/1.0 "
		    "request");
	if (r->version == 11 && r->host_header == NULL)
		return hp_fail(r, 400, "HTTP/1.1 request without Host");
	if (r->host_header != NULL) {
		rc = hp_authority(r->host_header, host, sizeof(host), &port);
		if (rc < 0)
			return hp_fail(r, 400, "malformed Host field");
		if (r->connect && (strcasecmp(host, r->host) != 0 ||
		    (rc == 1 && port != r->port)))
			return hp_fail(r, 400, "Host disagrees with the "
			    "CONNECT target");
	}
	if (r->connect && (r->chunked || r->content_length > 0))
		return hp_fail(r, 400, "CONNECT with a body");
	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, "connection") != 0 &&
		    strcasecmp(r->headers[i].name, "proxy-connection") != 0)
			continue;
		if ((res = hp_connection(r, r->headers[i].value)) != HP_DONE)
			return res;
	}
	return HP_DONE;
}

enum hp_result
hp_parse(struct hp_req *r, const char *buf, size_t len,
    const struct hp_limits *lim)
{
	enum hp_result res;
	size_t maxh;
	char *line, *cr;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	if ((res = hp_find_end(r, buf, len, lim)) != HP_DONE)
		return res;
	if ((r->raw = malloc(r->head_len + 1)) == NULL)
		return hp_fail(r, 500, "out of memory");
	memcpy(r->raw, buf, r->head_len);
	r->raw[r->head_len] = '\0';
	maxh = lim->headers < HP_HEADERS_HARD_MAX ? lim->headers :
	    HP_HEADERS_HARD_MAX;
	if ((r->headers = calloc(maxh + 1, sizeof(*r->headers))) == NULL)
		return hp_fail(r, 500, "out of memory");

	/* Every line ends with CRLF (the first pass checked): cut there. */
	line = r->raw;
	cr = strchr(line, '\r');
	*cr = '\0';
	if ((res = hp_request_line(r, line)) != HP_DONE)
		return res;
	for (line = cr + 2; *line != '\r'; line = cr + 2) {
		cr = strchr(line, '\r');
		*cr = '\0';
		if (r->nheaders == maxh)
			return hp_fail(r, 431, "too many header fields");
		if ((res = hp_field(r, line)) != HP_DONE)
			return res;
	}
	if ((res = hp_target(r)) != HP_DONE)
		return res;
	return hp_check(r);
}

void
hp_req_free(struct hp_req *r)
{
	free(r->raw);
	free(r->headers);
	free(r->path_alloc);
	r->raw = NULL;
	r->headers = NULL;
	r->path_alloc = NULL;
	r->nheaders = 0;
}

enum {
	HC_SIZE = 0, HC_EXT, HC_SIZE_LF, HC_DATA, HC_DATA_CR, HC_DATA_LF,
	HC_TRAILER_START, HC_TRAILER, HC_TRAILER_LF, HC_END_LF, HC_DONE
};

void
hp_chunk_init(struct hp_chunk *c)
{
	memset(c, 0, sizeof(*c));
	c->state = HC_SIZE;
}

static int
hp_xdigit(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
hp_chunk_scan(struct hp_chunk *c, const char *p, size_t len, size_t *used)
{
	size_t i = 0, n;
	unsigned char ch;
	int x;

	while (i < len) {
		if (c->state == HC_DONE) {
			*used = i;
			return 1;
		}
		if (c->state == HC_DATA) {
			n = len - i;
			if ((uint64_t)n > c->left)
				n = (size_t)c->left;
			c->left -= n;
			i += n;
			if (c->left == 0)
				c->state = HC_DATA_CR;
			continue;
		}
		ch = (unsigned char)p[i++];
		switch (c->state) {
		case HC_SIZE:
			if (++c->line > HP_CHUNK_LINE_MAX)
				return -1;
			if ((x = hp_xdigit(ch)) >= 0) {
				if (++c->digits > 16)
					return -1;
				c->left = (c->left << 4) | (uint64_t)x;
				break;
			}
			if (c->digits == 0)
				return -1;
			if (ch == ';')
				c->state = HC_EXT;
			else if (ch == '\r')
				c->state = HC_SIZE_LF;
			else
				return -1;
			break;
		case HC_EXT:
			if (++c->line > HP_CHUNK_LINE_MAX)
				return -1;
			if (ch == '\r')
				c->state = HC_SIZE_LF;
			else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -1;
			break;
		case HC_SIZE_LF:
			if (ch != '\n')
				return -1;
			c->line = 0;
			c->digits = 0;
			c->state = c->left == 0 ? HC_TRAILER_START : HC_DATA;
			break;
		case HC_DATA_CR:
			if (ch != '\r')
				return -1;
			c->state = HC_DATA_LF;
			break;
		case HC_DATA_LF:
			if (ch != '\n')
				return -1;
			c->state = HC_SIZE;
			break;
		case HC_TRAILER_START:
			if (ch == '\r') {
				c->state = HC_END_LF;
				break;
			}
			if (ch == ' ' || ch == '\t' || ch == '\n')
				return -1;
			c->state = HC_TRAILER;
			/* FALLTHROUGH */
		case HC_TRAILER:
			if (++c->trailer > HP_TRAILER_MAX)
				return -1;
			if (ch == '\r')
				c->state = HC_TRAILER_LF;
			else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -1;
			break;
		case HC_TRAILER_LF:
			if (ch != '\n')
				return -1;
			c->state = HC_TRAILER_START;
			break;
		case HC_END_LF:
			if (ch != '\n')
				return -1;
			c->state = HC_DONE;
			break;
		}
	}
	*used = i;
	return c->state == HC_DONE ? 1 : 0;
}
