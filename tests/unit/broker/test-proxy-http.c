/* Unit tests for broker/proxy-http.c: the proxy's request-head parser. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "broker/proxy-http.h"

/* Parse s whole; return the result, r filled. */
static enum hp_result
parse(struct hp_req *r, const char *s)
{
	return hp_parse(r, s, strlen(s), &hp_default_limits);
}

/* s must be refused with status; the reason must mention what. */
static void
refused(const char *s, int status, const char *what)
{
	struct hp_req r;

	assert_int_equal(parse(&r, s), HP_ERROR);
	assert_int_equal(r.status, status);
	assert_non_null(r.error);
	if (what != NULL && strstr(r.error, what) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", r.error, what);
	hp_req_free(&r);
}

static const char *
header(const struct hp_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static void
test_connect(void **state)
{
	static const char s[] = "CONNECT pfsense-001:443 HTTP/1.1\r\n"
	    "Host: pfsense-001:443\r\nProxy-Authorization: Basic b3BzOng=\r\n"
	    "User-Agent: curl/7.88.1\r\n\r\nTLSDATA";
	struct hp_req r;

	assert_int_equal(parse(&r, s), HP_DONE);
	assert_int_equal(r.head_len, strlen(s) - strlen("TLSDATA"));
	assert_true(r.connect);
	assert_int_equal(r.form, HP_FORM_AUTHORITY);
	assert_string_equal(r.host, "pfsense-001");
	assert_int_equal(r.port, 443);
	assert_string_equal(r.authority, "pfsense-001:443");
	assert_string_equal(r.proxy_auth, "Basic b3BzOng=");
	assert_int_equal(r.version, 11);
	assert_int_equal(r.content_length, -1);
	hp_req_free(&r);
}

static void
test_connect_forms(void **state)
{
	struct hp_req r;

	assert_int_equal(parse(&r, "CONNECT 10.1.1.5.guest-42.vnf.internal:22 "
	    "HTTP/1.1\r\nHost: 10.1.1.5.guest-42.vnf.internal\r\n\r\n"),
	    HP_DONE);
	assert_string_equal(r.host, "10.1.1.5.guest-42.vnf.internal");
	assert_int_equal(r.port, 22);
	hp_req_free(&r);
	assert_int_equal(parse(&r, "CONNECT [fd00::5]:443 HTTP/1.0\r\n\r\n"),
	    HP_DONE);
	assert_string_equal(r.host, "fd00::5");
	assert_int_equal(r.version, 10);
	hp_req_free(&r);
	/* Host compares without regard to case. */
	assert_int_equal(parse(&r, "CONNECT VNF-A:443 HTTP/1.1\r\n"
	    "Host: vnf-a:443\r\n\r\n"), HP_DONE);
	hp_req_free(&r);
	refused("CONNECT vnf-a HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400,
	    "host:port");
	refused("CONNECT vnf-a:0 HTTP/1.1\r\nHost: vnf-a:0\r\n\r\n", 400, NULL);
	refused("CONNECT vnf-a:65536 HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400,
	    NULL);
	refused("CONNECT user@vnf-a:443 HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400,
	    NULL);
	refused("CONNECT /x HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400, NULL);
}

static void
test_connect_host_mismatch(void **state)
{
	refused("CONNECT vnf-a:443 HTTP/1.1\r\nHost: vnf-b:443\r\n\r\n", 400,
	    "Host disagrees");
	refused("CONNECT vnf-a:443 HTTP/1.1\r\nHost: vnf-a:22\r\n\r\n", 400,
	    "Host disagrees");
	refused("CONNECT vnf-a:443 HTTP/1.1\r\nHost: vnf-a:443\r\n"
	    "Host: vnf-b:443\r\n\r\n", 400, "more than one Host");
	refused("CONNECT vnf-a:443 HTTP/1.1\r\n\r\n", 400, "without Host");
	refused("CONNECT vnf-a:443 HTTP/1.1\r\nHost: vnf-a:443\r\n"
	    "Content-Length: 5\r\n\r\nhello", 400, "CONNECT with a body");
	refused("CONNECT vnf-a:443 HTTP/1.1\r\nHost: vnf-a:443\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400, "CONNECT with a body");
}

static void
test_absolute(void **state)
{
	static const char s[] = "POST http://vnf-a:8080/api/v1?x=1 HTTP/1.1\r\n"
	    "Host: elsewhere\r\nConnection: keep-alive, X-Secret\r\n"
	    "X-Secret: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 5\r\n"
	    "Proxy-Connection: keep-alive\r\nTE: trailers\r\n"
	    "Upgrade: websocket\r\nAccept:   */*  \r\n\r\nhello";
	struct hp_req r;
	size_t i;

	assert_int_equal(parse(&r, s), HP_DONE);
	assert_int_equal(r.form, HP_FORM_ABSOLUTE);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.host, "vnf-a");
	assert_int_equal(r.port, 8080);
	assert_string_equal(r.authority, "vnf-a:8080");
	assert_string_equal(r.path, "/api/v1?x=1");
	assert_int_equal(r.content_length, 5);
	assert_string_equal(header(&r, "accept"), "*/*");
	for (i = 0; i < r.nheaders; i++) {
		const char *n = r.headers[i].name;
		int hop = strcasecmp(n, "connection") == 0 ||
		    strcasecmp(n, "x-secret") == 0 ||
		    strcasecmp(n, "keep-alive") == 0 ||
		    strcasecmp(n, "proxy-connection") == 0 ||
		    strcasecmp(n, "te") == 0 || strcasecmp(n, "upgrade") == 0;

		assert_int_equal(!!(r.headers[i].flags & HP_HDR_HOP), hop);
	}
	hp_req_free(&r);

	assert_int_equal(parse(&r, "GET http://10.1.1.5.guest-42 HTTP/1.0\r\n"
	    "\r\n"), HP_DONE);
	assert_int_equal(r.port, 80);
	assert_string_equal(r.path, "/");
	hp_req_free(&r);
	assert_int_equal(parse(&r, "GET HTTP://vnf-a?q=1 HTTP/1.1\r\n"
	    "Host: vnf-a\r\n\r\n"), HP_DONE);
	assert_string_equal(r.path, "/?q=1");
	hp_req_free(&r);
	refused("GET https://vnf-a/ HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400,
	    "CONNECT");
	refused("GET http://user:pw@vnf-a/ HTTP/1.1\r\nHost: vnf-a\r\n\r\n",
	    400, "user information");
	refused("GET http:///x HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400, NULL);
	refused("GET http://vnf-a/#frag HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400,
	    "fragment");
	refused("GET vnf-a:80 HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400, NULL);
	refused("OPTIONS * HTTP/1.1\r\nHost: vnf-a\r\n\r\n", 400, NULL);
}

static void
test_origin(void **state)
{
	struct hp_req r;

	assert_int_equal(parse(&r, "GET /proxy.pac HTTP/1.1\r\n"
	    "Host: broker:3128\r\n\r\n"), HP_DONE);
	assert_int_equal(r.form, HP_FORM_ORIGIN);
	assert_string_equal(r.path, "/proxy.pac");
	assert_string_equal(r.host_header, "broker:3128");
	hp_req_free(&r);
}

static void
test_incomplete(void **state)
{
	static const char s[] = "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n";
	struct hp_req r;
	size_t i;

	/* Every strict prefix asks for more, whole it is done. */
	for (i = 0; i < strlen(s); i++) {
		assert_int_equal(hp_parse(&r, s, i, &hp_default_limits),
		    HP_MORE);
		hp_req_free(&r);
	}
	assert_int_equal(parse(&r, s), HP_DONE);
	hp_req_free(&r);
}

static void
test_line_endings(void **state)
{
	refused("GET http://a/ HTTP/1.1\nHost: a\n\n", 400, "LF alone");
	refused("GET http://a/ HTTP/1.1\r\nHost: a\n\r\n", 400, "LF alone");
	refused("GET http://a/ HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400,
	    "bare CR");
	refused("GET http://a/ HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", 400,
	    "bare CR");
	refused("\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "empty line");
}

static void
test_obs_fold(void **state)
{
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n",
	    400, "folding");
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n",
	    400, "folding");
	refused("GET http://a/ HTTP/1.1\r\n Host: a\r\n\r\n", 400, "folding");
}

static void
test_invalid_chars(void **state)
{
	static const char nul[] = "GET http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "X: a\0b\r\n\r\n";
	struct hp_req r;

	assert_int_equal(hp_parse(&r, nul, sizeof(nul) - 1,
	    &hp_default_limits), HP_ERROR);
	assert_int_equal(r.status, 400);
	hp_req_free(&r);
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400,
	    "control");
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n", 400,
	    "control");
	refused("GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n", 400,
	    "whitespace before a colon");
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", 400,
	    "header field name");
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 400, NULL);
	refused("GET http://a/ HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400,
	    NULL);
	refused("G(T http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "method");
	refused("GET  http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, NULL);
	refused("GET http://a/ HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "version");
	refused("GET http://a/\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "request target");
	refused("GET\thttp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, NULL);
	refused("GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n", 400,
	    "malformed Host");
	refused("GET http://a\"b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, NULL);
	/* UTF-8 (obs-text) in a value passes through. */
	assert_int_equal(parse(&r, "GET http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "X-Name: caf\xc3\xa9\r\n\r\n"), HP_DONE);
	hp_req_free(&r);
}

static void
test_versions(void **state)
{
	refused("GET http://a/ HTTP/2.0\r\nHost: a\r\n\r\n", 505, NULL);
	refused("GET http://a/ HTTP/1.2\r\nHost: a\r\n\r\n", 505, NULL);
	refused("GET http://a/ HTTP/1\r\nHost: a\r\n\r\n", 400, "version");
	refused("GET http://a/ http/1.1\r\nHost: a\r\n\r\n", 400, "version");
	refused("GET http://a/\r\nHost: a\r\n\r\n", 400, NULL);
	refused("GET http://a/ HTTP/1.1\r\n\r\n", 400, "without Host");
}

static void
test_content_length(void **state)
{
	struct hp_req r;

	assert_int_equal(parse(&r, "POST http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"), HP_DONE);
	assert_int_equal(r.content_length, 3);
	hp_req_free(&r);
	assert_int_equal(parse(&r, "POST http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 7, 7\r\n\r\n"), HP_DONE);
	assert_int_equal(r.content_length, 7);
	hp_req_free(&r);
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Content-Length: 4\r\n\r\n", 400, "conflicting");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4"
	    "\r\n\r\n", 400, "conflicting");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: -1"
	    "\r\n\r\n", 400, "Content-Length");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10"
	    "\r\n\r\n", 400, "Content-Length");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "\r\n\r\n", 400, "Content-Length");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "99999999999999999999\r\n\r\n", 400, "too large");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: +5"
	    "\r\n\r\n", 400, NULL);
}

static void
test_transfer_encoding(void **state)
{
	struct hp_req r;

	assert_int_equal(parse(&r, "POST http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: Chunked\r\n\r\n"), HP_DONE);
	assert_true(r.chunked);
	hp_req_free(&r);
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400, "Content-Length together");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\nContent-Length: 4\r\n\r\n", 400, NULL);
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    "more than one");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "gzip, chunked\r\n\r\n", 501, "chunked");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "xchunked\r\n\r\n", 501, NULL);
	refused("POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n", 400, "HTTP/1.0");
	/* Dropping a framing field as hop-by-hop would desynchronise. */
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Connection: Content-Length\r\n\r\nabc", 400, "frames");
	refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\nConnection: close, transfer-encoding\r\n\r\n", 400,
	    "frames");
}

static void
test_duplicates(void **state)
{
	refused("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nProxy-Authorization: "
	    "Basic eA==\r\nProxy-Authorization: Basic eQ==\r\n\r\n", 400,
	    "Proxy-Authorization");
}

static void
test_limits(void **state)
{
	struct hp_limits lim = { 64, 256, 4 };
	char big[70000];
	struct hp_req r;
	size_t n;

	/* Request line: 414 as soon as the limit passes, even unfinished. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET http://a/", 13);
	assert_int_equal(hp_parse(&r, big, 100, &lim), HP_ERROR);
	assert_int_equal(r.status, 414);
	hp_req_free(&r);
	/* Exactly at the limit is fine. */
	n = (size_t)snprintf(big, sizeof(big), "GET http://a/%0*d HTTP/1.1"
	    "\r\nHost: a\r\n\r\n", (int)(64 - strlen("GET http://a/ HTTP/1.1")),
	    0);
	assert_int_equal(hp_parse(&r, big, n, &lim), HP_DONE);
	hp_req_free(&r);
	/* Header count. */
	assert_int_equal(hp_parse(&r, "GET http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "A: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", 59, &lim), HP_ERROR);
	assert_int_equal(r.status, 431);
	hp_req_free(&r);
	assert_int_equal(hp_parse(&r, "GET http://a/ HTTP/1.1\r\nHost: a\r\n"
	    "A: 1\r\nB: 1\r\nC: 1\r\n\r\n", 53, &lim), HP_DONE);
	hp_req_free(&r);
	/* Head size, with no end in sight. */
	n = (size_t)snprintf(big, sizeof(big), "GET http://a/ HTTP/1.1\r\n"
	    "X: %0200d\r\nY: %0200d", 0, 0);
	assert_int_equal(hp_parse(&r, big, n, &lim), HP_ERROR);
	assert_int_equal(r.status, 431);
	hp_req_free(&r);
	/* Default limits: a 40 KiB header. */
	n = (size_t)snprintf(big, sizeof(big), "GET http://a/ HTTP/1.1\r\n"
	    "Host: a\r\nX: %040000d\r\n\r\n", 0);
	assert_int_equal(hp_parse(&r, big, n, &hp_default_limits), HP_ERROR);
	assert_int_equal(r.status, 431);
	hp_req_free(&r);
	/* Method length. */
	refused("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA http://a/ HTTP/1.1"
	    "\r\nHost: a\r\n\r\n", 400, "method too long");
}

/* Feed s to the chunk walker in pieces of step bytes. */
static int
chunks(const char *s, size_t len, size_t step, size_t *body)
{
	struct hp_chunk c;
	size_t off = 0, used, n;
	int rc = 0;

	hp_chunk_init(&c);
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = hp_chunk_scan(&c, s + off, n, &used);
		off += used;
		if (rc != 0)
			break;
	}
	*body = off;
	return rc;
}

static void
test_chunked(void **state)
{
	static const char ok[] = "5\r\nhello\r\n1;ext=1\r\n!\r\n"
	    "0\r\nTrailer: x\r\n\r\nGET http://next/ HTTP/1.1\r\n";
	size_t body, step;

	for (step = 1; step <= sizeof(ok); step++) {
		assert_int_equal(chunks(ok, strlen(ok), step, &body), 1);
		assert_int_equal(body, strlen(ok) -
		    strlen("GET http://next/ HTTP/1.1\r\n"));
	}
	assert_int_equal(chunks("0\r\n\r\n", 5, 5, &body), 1);
	assert_int_equal(body, 5);
	assert_int_equal(chunks("5\r\nhel", 6, 6, &body), 0);
	assert_int_equal(chunks("5\nhello\r\n0\r\n\r\n", 14, 14, &body), -1);
	assert_int_equal(chunks("5\r\nhelloX\r\n", 11, 11, &body), -1);
	assert_int_equal(chunks("g\r\n", 3, 3, &body), -1);
	assert_int_equal(chunks(" 5\r\n", 4, 4, &body), -1);
	assert_int_equal(chunks("11111111111111111\r\n", 19, 19, &body), -1);
	assert_int_equal(chunks("0\r\n folded\r\n\r\n", 15, 15, &body), -1);
	assert_int_equal(chunks("0\r\nX: 1\n\r\n", 10, 10, &body), -1);
}

static void
test_reason(void **state)
{
	assert_string_equal(hp_reason(407), "Proxy Authentication Required");
	assert_string_equal(hp_reason(504), "Gateway Timeout");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_connect_forms),
		cmocka_unit_test(test_connect_host_mismatch),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_obs_fold),
		cmocka_unit_test(test_invalid_chars),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_transfer_encoding),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
