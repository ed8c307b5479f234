/*
 * The proxy's HTTP/1.x request-head parser: strict enough to face the
 * Internet.  It depends on libc only, so unit tests and the fuzz target
 * (tests/fuzz/fuzz-proxy-http.c) drive it without an event loop.
 *
 * Use: hp_parse() on everything received so far (from the first byte of
 * the request).  HP_MORE: call again with more bytes.  HP_DONE: the head
 * is r->head_len bytes long and r describes it; the bytes after it are the
 * body or tunnel data.  HP_ERROR: answer r->status with r->error (a static
 * one-line reason) and close.  hp_req_free() releases what HP_DONE filled.
 *
 * Refused (400 unless said): a request line over the limit (414), a head
 * over its size or header count limit (431), a bare CR or bare LF, an empty
 * line before the request line, obs-fold, whitespace before a colon, a
 * control character or DEL anywhere, a non-token method or header name, a
 * version other than HTTP/1.0 or HTTP/1.1 (505 for HTTP/2+), more than one
 * Host, Proxy-Authorization or Transfer-Encoding, Content-Length values
 * that are not digits or disagree, Content-Length with Transfer-Encoding,
 * a transfer coding other than "chunked" (501), Transfer-Encoding on
 * HTTP/1.0, HTTP/1.1 without Host, a CONNECT that is not host:port, has a
 * body, or whose Host names another authority, userinfo in a URL, a
 * fragment, an absolute URL of a scheme other than http.
 */
#ifndef VB_BROKER_PROXY_HTTP_H
#define VB_BROKER_PROXY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HP_HOST_MAX		255	/* a host name as written */
#define HP_HEADERS_HARD_MAX	1024	/* whatever the configured limit */
#define HP_METHOD_MAX		32

struct hp_limits {
	size_t	request_line;	/* bytes before its CRLF */
	size_t	head;		/* the whole head, final CRLF included */
	size_t	headers;	/* header fields */
};

/* Defaults: 8 KiB request line, 32 KiB head, 100 fields. */
extern const struct hp_limits hp_default_limits;

enum hp_result {
	HP_MORE = 0,
	HP_DONE,
	HP_ERROR,
};

enum hp_form {
	HP_FORM_ORIGIN = 1,	/* /path?query */
	HP_FORM_ABSOLUTE,	/* http://host[:port]/path */
	HP_FORM_AUTHORITY,	/* host:port (CONNECT) */
};

#define HP_HDR_HOP	0x1	/* hop-by-hop: not forwarded */
#define HP_HDR_HOST	0x2	/* Host: replaced when forwarding */

struct hp_header {
	const char	*name;		/* NUL-terminated, inside r->raw */
	const char	*value;		/* without surrounding whitespace */
	unsigned	 flags;
};

struct hp_req {
	char		*raw;		/* a private copy of the head */
	size_t		 head_len;	/* bytes of the head in the input */
	int		 status;	/* on HP_ERROR */
	const char	*error;		/* on HP_ERROR: static, one line */

	const char	*method;
	const char	*target;	/* as written */
	int		 version;	/* 10 or 11 */
	enum hp_form	 form;
	int		 connect;	/* method is CONNECT */
	char		 host[HP_HOST_MAX + 1];	/* of the target, no brackets */
	char		 authority[HP_HOST_MAX + 8]; /* host[:port] as written */
	uint16_t	 port;		/* of the target (80 by default) */
	const char	*path;		/* origin form to send upstream */
	char		*path_alloc;	/* when path had to be made */

	struct hp_header *headers;
	size_t		 nheaders;
	long long	 content_length;	/* -1: none */
	int		 chunked;
	const char	*host_header;	/* NULL: none */
	const char	*proxy_auth;	/* Proxy-Authorization, or NULL */
};

/* Parse buf[0..len); see above.  r is overwritten (call hp_req_free()). */
enum hp_result hp_parse(struct hp_req *r, const char *buf, size_t len,
	    const struct hp_limits *lim);
void	hp_req_free(struct hp_req *r);

/* The reason phrase of a status the proxy sends ("Bad Request"). */
const char *hp_reason(int status);

/*
 * Walk a chunked body as it passes through, without decoding it, so the
 * proxy forwards exactly one body and nothing after it.  Each line (chunk
 * size with extensions, trailer field) is limited to HP_CHUNK_LINE_MAX and
 * the trailer section to HP_TRAILER_MAX.
 */
#define HP_CHUNK_LINE_MAX	4096
#define HP_TRAILER_MAX		16384

struct hp_chunk {
	int		 state;
	uint64_t	 left;		/* bytes of chunk data still to come */
	size_t		 line;		/* bytes of the current line */
	size_t		 trailer;	/* bytes of trailer so far */
	int		 digits;
};

void	hp_chunk_init(struct hp_chunk *c);
/*
 * Scan len bytes: returns 1 when the body ends inside them (*used is how
 * many belong to it), 0 when all are body and more is to come, -1 when
 * the encoding is malformed.
 */
int	hp_chunk_scan(struct hp_chunk *c, const char *p, size_t len,
	    size_t *used);

#endif
