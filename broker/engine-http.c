/*
 * The control API's HTTP server: TLS listeners ("api") and the local unix
 * socket ("api_unix"), who the client is (mutual TLS, bearer token, peer
 * uid), the limits, the routing table, and the replies.
 *
 * Why not evhttp: libevent 2.1's evhttp answers oversized bodies, bad
 * heads and timeouts itself with HTML pages (we answer JSON, always), has
 * no callback between the head and the body on the server side (we refuse
 * a client without credentials, an unknown path or a request over
 * max_concurrent before buffering up to max_body bytes of its body), and
 * counts as "in flight" only requests whose body has fully arrived.  So
 * this is a small HTTP/1.1 server of our own on bufferevents: the request
 * head goes through the proxy's strict parser (proxy-http.c, hp_parse),
 * bodies need Content-Length (chunked is refused with 411), one request
 * per connection is served at a time (pipelined bytes wait in the input
 * buffer, bounded by the head limit).
 *
 * A connection's life: HANDSHAKE (TLS) -> HEAD -> BODY -> HANDLING (the
 * handler has the request) -> reply -> HEAD again (keep-alive), or
 * CLOSING (the reply drains, then the connection is freed).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "broker/audit.h"
#include "broker/engine.h"
#include "broker/proxy-http.h"
#include "broker/proxy-tls.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define ENGINE_LISTENERS_MAX	8
#define ENGINE_SEGS_MAX		8	/* path segments a route may have */
#define ENGINE_PATH_MAX		2048
#define ENGINE_QUERY_MAX	32	/* parameters in a query string */
#define ENGINE_DEF_CONCURRENT	64
#define ENGINE_DEF_TIMEOUT	30	/* seconds to receive a request */
#define ENGINE_DEF_HEAD		32768
#define ENGINE_CONNS_MAX	4096	/* more are closed at accept */
#define ENGINE_LINGER_MAX	(1024 * 1024)	/* bytes dropped at close */
#define ENGINE_LINGER_SECS	2	/* seconds a closing connection waits */

/* The routing table: every endpoint of docs/api.md (and docs/api/openapi.yaml). */
static const struct engine_route engine_routes[] = {
	{ ENGINE_GET, "/v1/health", engine_self_health, 0 },
	{ ENGINE_GET, "/metrics", engine_metrics_reply, 0 },

	{ ENGINE_GET, "/v1/networks", engine_registry_list, 0 },
	{ ENGINE_GET, "/v1/networks/{}", engine_registry_get, 0 },
	{ ENGINE_PUT, "/v1/networks/{}", engine_registry_put,
	    ENGINE_ROUTE_BODY },
	{ ENGINE_DELETE, "/v1/networks/{}", engine_registry_delete, 0 },

	{ ENGINE_GET, "/v1/providers", engine_registry_list, 0 },
	{ ENGINE_GET, "/v1/providers/{}", engine_registry_get, 0 },
	{ ENGINE_PUT, "/v1/providers/{}", engine_registry_put,
	    ENGINE_ROUTE_BODY | ENGINE_ROUTE_YAML },
	{ ENGINE_DELETE, "/v1/providers/{}", engine_registry_delete, 0 },

	{ ENGINE_GET, "/v1/appliances", engine_registry_list, 0 },
	{ ENGINE_GET, "/v1/appliances/{}", engine_registry_get, 0 },
	{ ENGINE_PUT, "/v1/appliances/{}", engine_registry_put,
	    ENGINE_ROUTE_BODY },
	{ ENGINE_DELETE, "/v1/appliances/{}", engine_registry_delete, 0 },
	{ ENGINE_POST, "/v1/appliances/{}/operations/{}/{}", engine_op_run,
	    ENGINE_ROUTE_BODY },
	{ ENGINE_GET, "/v1/appliances/{}/health", engine_health_get, 0 },
	{ ENGINE_POST, "/v1/appliances/{}/health", engine_health_run,
	    ENGINE_ROUTE_BODY },
	{ ENGINE_POST, "/v1/appliances/{}/bootstrap", engine_bootstrap_start,
	    ENGINE_ROUTE_BODY },
	{ ENGINE_GET, "/v1/appliances/{}/bootstrap", engine_bootstrap_get, 0 },
	{ ENGINE_GET, "/v1/appliances/{}/hostkeys", engine_hostkeys_get, 0 },
	{ ENGINE_DELETE, "/v1/appliances/{}/hostkeys", engine_hostkeys_delete,
	    0 },

	{ ENGINE_GET, "/v1/jobs/{}", engine_job_get, 0 },

	{ ENGINE_GET, "/v1/users", engine_registry_list, 0 },
	{ ENGINE_GET, "/v1/users/{}", engine_registry_get, 0 },
	{ ENGINE_PUT, "/v1/users/{}", engine_registry_put, ENGINE_ROUTE_BODY },
	{ ENGINE_DELETE, "/v1/users/{}", engine_registry_delete, 0 },
};
#define ENGINE_NROUTES	(sizeof(engine_routes) / sizeof(engine_routes[0]))

static const char *const engine_method_names[] = {
	[ENGINE_GET] = "GET",
	[ENGINE_PUT] = "PUT",
	[ENGINE_POST] = "POST",
	[ENGINE_DELETE] = "DELETE",
};

enum engine_conn_state {
	EC_HANDSHAKE = 1,
	EC_HEAD,
	EC_BODY,
	EC_HANDLING,
	EC_CLOSING,
};

struct engine_http;

struct engine_conn {
	TAILQ_ENTRY(engine_conn) link;
	struct engine_http	*h;
	struct bufferevent	*bev;
	struct event		*timer;
	enum engine_conn_state	 state;
	int			 tls;
	int			 local;
	uid_t			 uid;		/* local: the peer's uid */
	char			 source[80];
	char			 cert_id[128];	/* "cert:SHA256:..." or "" */
	char			 cert_subject[256];
	struct engine_req	*req;		/* being received or handled */
	size_t			 lingered;
	int			 flushed;	/* closing: the answer is out */
};

struct engine_req {
	struct engine		*e;
	struct engine_conn	*conn;		/* NULL once the client left */
	enum engine_method	 method;	/* 0: not one we know */
	const char		*method_name;
	const struct engine_route *route;
	struct hp_req		 hp;
	char			*path;		/* without the query */
	char			*query;		/* raw, or NULL */
	json_t			*qcache;	/* decoded query parameters */
	char			*segs[ENGINE_SEGS_MAX];
	size_t			 nsegs;
	const char		*params[ENGINE_MAX_PARAMS];
	char			*body;
	size_t			 body_len;
	long long		 want;		/* Content-Length */
	json_t			*json;
	enum engine_client_kind	 kind;
	char			 client[160];
	const char		*credential;
	struct timespec		 t0;
	void			(*on_gone)(void *);
	void			*gone_arg;
	int			 close_after;
	int			 counted;	/* in h->inflight */
	const char		*error;		/* the error code answered */
};

struct engine_listener {
	struct engine_http	*h;
	struct evconnlistener	*lev;
	struct event		*ev_pause;
	char			 name[16];
	int			 tls;
};

struct engine_http {
	struct engine		*e;
	SSL_CTX			*ctx;
	unsigned char		 tls_md[SHA256_DIGEST_LENGTH];	/* of ctx's */
	struct engine_listener	 listeners[ENGINE_LISTENERS_MAX];
	size_t			 nlisteners;
	TAILQ_HEAD(, engine_conn) conns;
	size_t			 nconns;
	size_t			 inflight;
	/* From the settings. */
	size_t			 max_body;
	size_t			 max_concurrent;
	int			 timeout;
	struct hp_limits	 limits;
	int			 stopping;
	void			(*stop_cb)(struct engine *);
};

static void	engine_conn_free(struct engine_conn *);
static void	engine_conn_head(struct engine_conn *);
static void	engine_conn_body(struct engine_conn *);
static void	engine_reply_raw(struct engine_req *, int, const char *,
		    const char *, size_t, const char *);

static const char *
engine_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* The error code of a status the server itself answers. */
static const char *
engine_status_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 408: return "request_timeout";
	case 411: return "length_required";
	case 413: return "body_too_large";
	case 414: return "uri_too_long";
	case 431: return "headers_too_large";
	case 501: return "not_implemented";
	case 505: return "http_version_not_supported";
	default: return "error";
	}
}

/* ---- The request: accessors for handlers. ---- */

enum engine_method
engine_req_method(const struct engine_req *req)
{
	return req->method;
}

const char *
engine_req_path(const struct engine_req *req)
{
	return req->path != NULL ? req->path : "-";
}

/*
 * Percent-decode s[0..len) (and '+' as space when plus); NULL when the
 * result would hold a NUL, a control character or a bad escape.
 */
static char *
engine_decode(const char *s, size_t len, int plus)
{
	char *out = xmalloc(len + 1), c;
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%') {
			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			hi = str_hexval((unsigned char)s[i + 1]);
			lo = str_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if ((unsigned char)c < 0x20 || c == 0x7f) {
			free(out);
			return NULL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

const char *
engine_req_query(const struct engine_req *creq, const char *key)
{
	struct engine_req *req = (struct engine_req *)creq;
	const char *p, *amp, *eq;
	char *k, *v;
	size_t n = 0;

	if (req->query == NULL)
		return NULL;
	if (req->qcache == NULL) {
		/* Decoded once, on first use; the first of a repeated key wins. */
		req->qcache = json_object();
		for (p = req->query; *p != '\0' && n < ENGINE_QUERY_MAX;
		    p = *amp ? amp + 1 : amp, n++) {
			amp = p + strcspn(p, "&");
			eq = memchr(p, '=', (size_t)(amp - p));
			k = engine_decode(p, (size_t)((eq ? eq : amp) - p), 1);
			v = eq ? engine_decode(eq + 1, (size_t)(amp - eq - 1),
			    1) : xstrdup("");
			if (k != NULL && v != NULL && *k != '\0' &&
			    json_object_get(req->qcache, k) == NULL)
				json_object_set_new(req->qcache, k,
				    json_string(v));
			free(k);
			free(v);
		}
	}
	return json_string_value(json_object_get(req->qcache, key));
}

const char *
engine_req_header(const struct engine_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->hp.nheaders; i++)
		if (strcasecmp(req->hp.headers[i].name, name) == 0)
			return req->hp.headers[i].value;
	return NULL;
}

const void *
engine_req_body(const struct engine_req *req, size_t *len)
{
	*len = req->body_len;
	return req->body_len > 0 ? req->body : NULL;
}

json_t *
engine_req_json(struct engine_req *req)
{
	json_error_t err;
	json_t *j;

	if (req->json != NULL)
		return req->json;
	if (req->body_len == 0) {
		engine_reply_error(req, 400, "invalid_json", NULL,
		    "a JSON object is required as the request body");
		return NULL;
	}
	/* Duplicate keys are refused: which one would win is a guess. */
	j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		engine_reply_error(req, 400, "invalid_json", json_pack(
		    "[{s:i, s:i, s:s}]", "line", err.line, "column",
		    err.column, "message", err.text),
		    "the body is not valid JSON: line %d, column %d: %s",
		    err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		engine_reply_error(req, 400, "invalid_json", NULL,
		    "the body must be a JSON object");
		return NULL;
	}
	req->json = j;
	return j;
}

enum engine_client_kind
engine_req_client_kind(const struct engine_req *req)
{
	return req->kind;
}

const char *
engine_req_client(const struct engine_req *req)
{
	return req->client[0] != '\0' ? req->client : "-";
}

void
engine_req_on_gone(struct engine_req *req, void (*cb)(void *), void *arg)
{
	req->on_gone = cb;
	req->gone_arg = arg;
}

/* ---- Replies. ---- */

static void
engine_req_free(struct engine_req *req)
{
	size_t i;

	hp_req_free(&req->hp);
	free(req->path);
	free(req->query);
	json_decref(req->qcache);
	for (i = 0; i < req->nsegs; i++)
		free(req->segs[i]);
	if (req->body != NULL) {
		/* Bodies can carry credentials (cs_data, user hashes). */
		explicit_bzero(req->body, req->body_len);
		free(req->body);
	}
	json_decref(req->json);
	free(req);
}

static long long
engine_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* All connections closed while stopping: tell the role. */
static void
engine_http_check_stopped(struct engine_http *h)
{
	void (*cb)(struct engine *);

	if (!h->stopping || h->nconns != 0 || h->inflight != 0 ||
	    h->stop_cb == NULL)
		return;
	cb = h->stop_cb;
	h->stop_cb = NULL;
	cb(h->e);
}

/*
 * The answer is out.  When closing, do not close at once: unread bytes
 * (a refused body) would make the kernel send a reset, which can destroy
 * the answer before the client read it.  Say we are done writing (plain
 * sockets), then read and drop until the client closes, ENGINE_LINGER_MAX
 * bytes or ENGINE_LINGER_SECS, whichever comes first.
 */
static void
engine_conn_drained(struct bufferevent *bev, void *arg)
{
	struct engine_conn *c = arg;
	struct timeval tv = { ENGINE_LINGER_SECS, 0 };

	if (c->state != EC_CLOSING || c->flushed ||
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	c->flushed = 1;
	if (!c->tls)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
	evtimer_add(c->timer, &tv);
}

/* Arm the connection's timer: the request must arrive within timeout. */
static void
engine_conn_arm(struct engine_conn *c)
{
	struct timeval tv = { c->h->timeout, 0 };

	evtimer_add(c->timer, &tv);
}

/*
 * Send one response and finish the request.  extra: more header lines,
 * each ending in CRLF, or NULL.
 */
static void
engine_reply_raw(struct engine_req *req, int status, const char *ctype,
    const char *body, size_t len, const char *extra)
{
	struct engine_http *h = req->e->http;
	struct engine_conn *c = req->conn;
	struct audit_rec ar;
	struct evbuffer *out;
	char cls[16];

	audit_rec_init(&ar, "api");
	ar.user = req->client[0] != '\0' ? req->client : NULL;
	ar.credential = req->credential;
	ar.source = c != NULL ? c->source : NULL;
	if (req->path != NULL) {
		ar.method = req->method_name;
		ar.path = req->path;
	}
	ar.reason = req->error;
	ar.status = status;
	ar.duration_ms = engine_ms_since(&req->t0);
	ar.outcome = status < 400 ? "allowed" : status == 401 ||
	    status == 403 ? "denied" : "error";
	if (c == NULL) {
		ar.outcome = "closed";
		ar.reason = "client went away before the reply";
	}
	audit_write(&ar);
	snprintf(cls, sizeof(cls), "%dxx", (status / 100) % 10);
	engine_metric_inc(req->e, "api_requests", cls, 1);
	if (req->counted) {
		h->inflight--;
		req->counted = 0;
	}
	if (c != NULL) {
		out = bufferevent_get_output(c->bev);
		evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
		    engine_reason(status));
		if (status != 204 && status != 304)
			evbuffer_add_printf(out, "Content-Type: %s\r\n"
			    "Content-Length: %zu\r\n",
			    ctype != NULL ? ctype : "application/json", len);
		evbuffer_add_printf(out, "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n");
		if (extra != NULL)
			evbuffer_add(out, extra, strlen(extra));
		if (req->close_after || h->stopping)
			evbuffer_add_printf(out, "Connection: close\r\n");
		evbuffer_add(out, "\r\n", 2);
		if (len > 0 && status != 204)
			evbuffer_add(out, body, len);
		c->req = NULL;
		if (req->close_after || h->stopping) {
			c->state = EC_CLOSING;
			bufferevent_setwatermark(c->bev, EV_READ, 0,
			    ENGINE_LINGER_MAX);
			evtimer_del(c->timer);
			engine_conn_arm(c);	/* a client that never reads */
		} else {
			c->state = EC_HEAD;
			bufferevent_setwatermark(c->bev, EV_READ, 0,
			    h->limits.head + 1);
			bufferevent_enable(c->bev, EV_READ);
			engine_conn_arm(c);
			/* Pipelined bytes: handled from the loop, not here. */
			if (evbuffer_get_length(bufferevent_get_input(c->bev))
			    > 0)
				bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS |
				    BEV_TRIG_DEFER_CALLBACKS);
		}
	}
	engine_req_free(req);
	engine_http_check_stopped(h);
}

void
engine_reply_json(struct engine_req *req, int status, json_t *body)
{
	char *text = NULL;

	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(body);
	}
	if (body != NULL && text == NULL) {
		engine_reply_error(req, 500, "internal", NULL,
		    "cannot encode the answer");
		return;
	}
	if (text != NULL) {
		/* A trailing newline: friendlier to curl and shells. */
		size_t n = strlen(text);
		char *t = xmalloc(n + 2);

		memcpy(t, text, n);
		t[n] = '\n';
		t[n + 1] = '\0';
		free(text);
		text = t;
	}
	engine_reply_raw(req, status, "application/json", text,
	    text != NULL ? strlen(text) : 0, NULL);
	free(text);
}

void
engine_reply_text(struct engine_req *req, int status,
    const char *content_type, const char *text, size_t len)
{
	engine_reply_raw(req, status, content_type, text, len, NULL);
}

/* engine_reply_error() with extra header lines. */
static void
engine_reply_errorv(struct engine_req *req, int status, const char *code,
    json_t *details, const char *extra, const char *fmt, va_list ap)
{
	char *msg, *text;
	json_t *o;

	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	req->error = code;
	o = json_pack("{s:s, s:s, s:o}", "error", code, "message", msg,
	    "details", details != NULL ? details : json_array());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(msg);
	if (text == NULL)
		fatal("json_dumps");
	engine_reply_raw(req, status, "application/json", text, strlen(text),
	    extra);
	free(text);
}

void
engine_reply_error(struct engine_req *req, int status, const char *code,
    json_t *details, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	engine_reply_errorv(req, status, code, details, NULL, fmt, ap);
	va_end(ap);
}

static void
engine_reply_error_hdr(struct engine_req *req, int status, const char *code,
    const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
engine_reply_error_hdr(struct engine_req *req, int status, const char *code,
    const char *extra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	engine_reply_errorv(req, status, code, NULL, extra, fmt, ap);
	va_end(ap);
}

/* ---- Authentication. ---- */

/* Identity of the verified client certificate, after the handshake. */
static void
engine_conn_cert(struct engine_conn *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	X509 *x;
	size_t o;

	if (ssl == NULL || (x = SSL_get1_peer_certificate(ssl)) == NULL)
		return;
	/* VERIFY_PEER: a certificate that did not verify ended the handshake. */
	if (SSL_get_verify_result(ssl) == X509_V_OK &&
	    X509_digest(x, EVP_sha256(), md, &mdlen) == 1) {
		o = (size_t)snprintf(c->cert_id, sizeof(c->cert_id),
		    "cert:SHA256:");
		for (i = 0; i < mdlen && o + 3 < sizeof(c->cert_id); i++)
			o += (size_t)snprintf(c->cert_id + o,
			    sizeof(c->cert_id) - o, "%02x", md[i]);
		X509_NAME_oneline(X509_get_subject_name(x), c->cert_subject,
		    sizeof(c->cert_subject));
	}
	X509_free(x);
}

/*
 * Who is calling, from the connection and the Authorization header.
 * Returns 0, or the status of the refusal (already answered).
 */
static int
engine_authenticate(struct engine_req *req)
{
	struct engine_conn *c = req->conn;
	unsigned char md[32];
	char hex[65];
	const char *auth, *tok;
	json_t *t, *uids;
	size_t i;
	int found = 0;

	if (c->local) {
		uids = json_object_get(req->e->settings, "local_uids");
		found = c->uid == 0;
		for (i = 0; !found && i < json_array_size(uids); i++)
			found = json_integer_value(json_array_get(uids, i)) ==
			    (json_int_t)c->uid;
		snprintf(req->client, sizeof(req->client), "uid:%lu",
		    (unsigned long)c->uid);
		req->kind = ENGINE_CLIENT_LOCAL;
		req->credential = "peer-uid";
		if (!found) {
			req->close_after = 1;
			engine_reply_error(req, 403, "forbidden", NULL,
			    "uid %lu may not use the API socket; add the user "
			    "to api.local_users", (unsigned long)c->uid);
			return 403;
		}
		return 0;
	}
	if (c->cert_id[0] != '\0') {
		snprintf(req->client, sizeof(req->client), "%s", c->cert_id);
		req->kind = ENGINE_CLIENT_CERT;
		req->credential = c->cert_subject;
		return 0;
	}
	if ((auth = engine_req_header(req, "Authorization")) == NULL) {
		engine_reply_error_hdr(req, 401, "unauthenticated",
		    "WWW-Authenticate: Bearer realm=\"vnf-broker\"\r\n",
		    "no credentials: present a client certificate or "
		    "\"Authorization: Bearer TOKEN\"");
		return 401;
	}
	if (strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
		engine_reply_error_hdr(req, 401, "unauthenticated",
		    "WWW-Authenticate: Bearer realm=\"vnf-broker\"\r\n",
		    "the Authorization header must be \"Bearer TOKEN\"");
		return 401;
	}
	tok = auth + 7;
	while (*tok == ' ')
		tok++;
	SHA256((const unsigned char *)tok, strlen(tok), md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	/* Every token is compared, in constant time, whatever matched. */
	json_array_foreach(json_object_get(req->e->settings, "tokens"), i,
	    t) {
		const char *want = json_string_value(json_object_get(t,
		    "sha256"));

		if (want != NULL && strlen(want) == 64 &&
		    CRYPTO_memcmp(want, hex, 64) == 0 && !found) {
			found = 1;
			snprintf(req->client, sizeof(req->client), "token:%s",
			    json_string_value(json_object_get(t, "name")));
		}
	}
	explicit_bzero(md, sizeof(md));
	explicit_bzero(hex, sizeof(hex));
	if (!found) {
		engine_reply_error_hdr(req, 401, "unauthenticated",
		    "WWW-Authenticate: Bearer realm=\"vnf-broker\", "
		    "error=\"invalid_token\"\r\n",
		    "the bearer token is not valid");
		return 401;
	}
	req->kind = ENGINE_CLIENT_TOKEN;
	req->credential = "bearer-token";
	return 0;
}

/* ---- Routing. ---- */

/* Split the path into decoded segments; -1 when it cannot be. */
static int
engine_req_split(struct engine_req *req)
{
	const char *p = req->path, *slash;
	char *seg;

	if (p[0] != '/')
		return -1;
	p++;
	while (*p != '\0') {
		slash = p + strcspn(p, "/");
		if (slash == p || req->nsegs == ENGINE_SEGS_MAX)
			return -1;
		if ((seg = engine_decode(p, (size_t)(slash - p), 0)) == NULL)
			return -1;
		if (strchr(seg, '/') != NULL || strcmp(seg, ".") == 0 ||
		    strcmp(seg, "..") == 0) {
			free(seg);
			return -1;
		}
		req->segs[req->nsegs++] = seg;
		p = *slash ? slash + 1 : slash;
		if (*slash && *p == '\0')
			return -1;	/* a trailing slash */
	}
	return 0;
}

/* Does route path rp match the request's segments?  Fills params. */
static int
engine_route_match(struct engine_req *req, const char *rp)
{
	const char *params[ENGINE_MAX_PARAMS] = { NULL };
	const char *p = rp + 1, *slash;
	size_t i = 0, np = 0, n;

	while (*p != '\0') {
		slash = p + strcspn(p, "/");
		n = (size_t)(slash - p);
		if (i == req->nsegs)
			return 0;
		if (n == 2 && memcmp(p, "{}", 2) == 0) {
			if (np == ENGINE_MAX_PARAMS)
				return 0;
			params[np++] = req->segs[i];
		} else if (strlen(req->segs[i]) != n ||
		    memcmp(req->segs[i], p, n) != 0)
			return 0;
		i++;
		p = *slash ? slash + 1 : slash;
	}
	if (i != req->nsegs)
		return 0;
	memcpy(req->params, params, sizeof(params));
	return 1;
}

/*
 * Find the route: 0 and req->route set, or the refusal's status
 * (answered): 404 for an unknown path, 405 with Allow for a known path.
 */
static int
engine_route(struct engine_req *req)
{
	char allow[128] = "", extra[160];
	size_t i, n;

	for (i = 0; i < ENGINE_NROUTES; i++) {
		if (!engine_route_match(req, engine_routes[i].path))
			continue;
		if (req->method == engine_routes[i].method) {
			req->route = &engine_routes[i];
			return 0;
		}
		n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "",
		    engine_method_names[engine_routes[i].method]);
	}
	if (allow[0] == '\0') {
		engine_reply_error(req, 404, "not_found", NULL,
		    "no such path: %s (the API is under /v1)", req->path);
		return 404;
	}
	snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	engine_reply_error_hdr(req, 405, "method_not_allowed", extra,
	    "%s is not allowed on %s; allowed: %s", req->method_name,
	    req->path, allow);
	return 405;
}

/* Is the media type (before any ';') the wanted one? */
static int
engine_media_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' ||
	    ct[n] == ';' || ct[n] == ' ');
}

/* ---- Reading requests. ---- */

/* A request head arrived (or could not be parsed): make its request. */
static struct engine_req *
engine_req_new(struct engine_conn *c)
{
	struct engine_req *req = xcalloc(1, sizeof(*req));

	req->e = c->h->e;
	req->conn = c;
	req->want = -1;
	req->method_name = "-";
	clock_gettime(CLOCK_MONOTONIC, &req->t0);
	c->req = req;
	return req;
}

static void
engine_conn_head(struct engine_conn *c)
{
	struct engine_http *h = c->h;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in), i;
	struct engine_req *req;
	enum hp_result r;
	const char *ct, *q, *exp;
	char *head;
	int keep;

	if (len == 0)
		return;
	if (len > h->limits.head + 1)
		len = h->limits.head + 1;
	head = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
	req = engine_req_new(c);
	r = hp_parse(&req->hp, head, len, &h->limits);
	if (r == HP_MORE) {
		hp_req_free(&req->hp);
		c->req = NULL;
		free(req);
		return;
	}
	req->close_after = 1;	/* until the head is known to be good */
	if (r == HP_ERROR) {
		engine_reply_error(req, req->hp.status,
		    engine_status_code(req->hp.status), NULL,
		    "bad request head: %s", req->hp.error);
		return;
	}
	evbuffer_drain(in, req->hp.head_len);
	req->method_name = req->hp.method;
	for (i = 1; i < sizeof(engine_method_names) /
	    sizeof(engine_method_names[0]); i++)
		if (strcmp(req->hp.method, engine_method_names[i]) == 0)
			req->method = (enum engine_method)i;
	if (req->hp.form != HP_FORM_ORIGIN) {
		engine_reply_error(req, 400, "bad_request", NULL,
		    "the request target must be a path such as /v1/health");
		return;
	}
	q = strchr(req->hp.target, '?');
	req->path = q ? xstrndup(req->hp.target, (size_t)(q -
	    req->hp.target)) : xstrdup(req->hp.target);
	if (q != NULL)
		req->query = xstrdup(q + 1);
	keep = !(req->hp.version == 10 || ((q = engine_req_header(req,
	    "Connection")) != NULL && strcasecmp(q, "close") == 0));
	req->want = req->hp.content_length;
	/* Refusals before the body leave its bytes unread: close then. */
	req->close_after = !keep || req->want > 0;
	if (h->stopping) {
		req->close_after = 1;
		engine_reply_error(req, 503, "stopping", NULL,
		    "the broker is stopping");
		return;
	}
	if (strlen(req->path) > ENGINE_PATH_MAX ||
	    engine_req_split(req) != 0) {
		engine_reply_error(req, 400, "bad_request", NULL,
		    "malformed path (empty, \".\" or \"..\" segments, a "
		    "trailing slash, bad escapes, or too long)");
		return;
	}
	/*
	 * From here on the request counts against max_concurrent.  Who and
	 * where come first: a client without credentials learns 401, not
	 * how busy the server is.
	 */
	req->counted = 1;
	h->inflight++;
	if (engine_authenticate(req) != 0 || engine_route(req) != 0)
		return;
	if (h->inflight > h->max_concurrent) {
		req->close_after = 1;
		engine_reply_error_hdr(req, 429, "too_many_requests",
		    "Retry-After: 1\r\n", "more than %zu requests in "
		    "flight; retry later", h->max_concurrent);
		return;
	}
	req->close_after = !keep;
	if (req->hp.chunked) {
		req->close_after = 1;
		engine_reply_error(req, 411, "length_required", NULL,
		    "send the body with Content-Length, not chunked");
		return;
	}
	if (req->want > 0 && (size_t)req->want > h->max_body) {
		req->close_after = 1;
		engine_reply_error(req, 413, "body_too_large", json_pack(
		    "[{s:I}]", "max_body", (json_int_t)h->max_body),
		    "the body is %lld bytes; at most %zu are accepted "
		    "(api.max_body)", req->want, h->max_body);
		return;
	}
	if (req->want > 0 && (req->route->flags & ENGINE_ROUTE_BODY)) {
		const char *want = (req->route->flags & ENGINE_ROUTE_YAML) ?
		    "application/yaml" : "application/json";

		ct = engine_req_header(req, "Content-Type");
		if (ct == NULL || !engine_media_is(ct, want)) {
			req->close_after = 1;
			engine_reply_error(req, 415, "unsupported_media_type",
			    NULL, "Content-Type must be %s here, not %s",
			    want, ct != NULL ? ct : "(none)");
			return;
		}
	}
	if (req->want > 0) {
		if ((exp = engine_req_header(req, "Expect")) != NULL &&
		    strcasecmp(exp, "100-continue") == 0)
			evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "HTTP/1.1 100 Continue\r\n\r\n");
		req->body = xmalloc((size_t)req->want + 1);
		bufferevent_setwatermark(c->bev, EV_READ, 0,
		    (size_t)req->want + h->limits.head + 1);
	}
	c->state = EC_BODY;
	engine_conn_body(c);
}

/* Gather the body; when complete, hand the request to its handler. */
static void
engine_conn_body(struct engine_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct engine_req *req = c->req;
	size_t n;

	if (req->want > 0) {
		n = evbuffer_get_length(in);
		if (n > (size_t)req->want - req->body_len)
			n = (size_t)req->want - req->body_len;
		evbuffer_remove(in, req->body + req->body_len, n);
		req->body_len += n;
		if (req->body_len < (size_t)req->want)
			return;
		req->body[req->body_len] = '\0';
	}
	c->state = EC_HANDLING;
	evtimer_del(c->timer);
	/* Pipelined bytes wait; reading goes on only to notice a close. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, c->h->limits.head + 1);
	req->route->handler(req->e, req, req->params);
}

static void
engine_conn_read(struct bufferevent *bev, void *arg)
{
	struct engine_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;

	switch (c->state) {
	case EC_HANDSHAKE:
	case EC_HEAD:
		c->state = EC_HEAD;
		engine_conn_head(c);
		break;
	case EC_BODY:
		engine_conn_body(c);
		break;
	case EC_CLOSING:
		n = evbuffer_get_length(in);
		evbuffer_drain(in, n);
		c->lingered += n;
		if (c->lingered > ENGINE_LINGER_MAX)
			engine_conn_free(c);
		break;
	case EC_HANDLING:
		break;
	}
}

static void
engine_conn_audit_tls(struct engine_conn *c, const char *why)
{
	struct audit_rec ar;

	audit_rec_init(&ar, "api");
	ar.source = c->source;
	ar.outcome = "denied";
	ar.reason = why;
	audit_write(&ar);
	engine_metric_inc(c->h->e, "api_tls_failures", NULL, 1);
}

static void
engine_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct engine_conn *c = arg;
	unsigned long e;
	char why[256];

	if (what & BEV_EVENT_CONNECTED) {
		c->state = EC_HEAD;
		engine_conn_cert(c);
		return;
	}
	if (c->state == EC_HANDSHAKE && (what & BEV_EVENT_ERROR) &&
	    (e = bufferevent_get_openssl_error(bev)) != 0) {
		snprintf(why, sizeof(why), "TLS handshake failed: %s",
		    ERR_reason_error_string(e) ? ERR_reason_error_string(e) :
		    "unknown error");
		log_debug("%s: %s", c->source, why);
		engine_conn_audit_tls(c, why);
	}
	engine_conn_free(c);
}

static void
engine_conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct engine_conn *c = arg;
	struct engine_req *req;

	if (c->state == EC_CLOSING || (c->state == EC_HEAD &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0) ||
	    c->state == EC_HANDSHAKE) {
		engine_conn_free(c);	/* idle, or a client that never reads */
		return;
	}
	if (c->state == EC_HEAD) {
		req = engine_req_new(c);
		req->close_after = 1;
		engine_reply_error(req, 408, "request_timeout", NULL,
		    "the request head did not arrive within %d s",
		    c->h->timeout);
	} else if (c->state == EC_BODY) {
		c->req->close_after = 1;
		engine_reply_error(c->req, 408, "request_timeout", NULL,
		    "the body did not arrive within %d s (%zu of %lld "
		    "bytes)", c->h->timeout, c->req->body_len, c->req->want);
	}
}

static void
engine_conn_free(struct engine_conn *c)
{
	struct engine_http *h = c->h;
	struct engine_req *req = c->req;

	if (req != NULL) {
		req->conn = NULL;
		c->req = NULL;
		if (c->state == EC_HANDLING) {
			/* The handler still owns it; its reply is dropped. */
			if (req->on_gone != NULL)
				req->on_gone(req->gone_arg);
		} else
			engine_reply_error(req, 400, "incomplete_request",
			    NULL, "the client went away before the request "
			    "was complete");	/* audited, not sent */
	}
	TAILQ_REMOVE(&h->conns, c, link);
	h->nconns--;
	event_free(c->timer);
	bufferevent_free(c->bev);
	free(c);
	engine_http_check_stopped(h);
}

/* ---- Accepting. ---- */

static void
engine_on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct engine_listener *el = arg;
	struct engine_http *h = el->h;
	struct engine_conn *c;
	struct ucred uc;
	socklen_t ul = sizeof(uc);
	char host[64] = "?", port[8] = "?";
	SSL *ssl;

	if (h->nconns >= ENGINE_CONNS_MAX || h->stopping) {
		log_warn("%s: %zu connections: refusing more", el->name,
		    h->nconns);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->h = h;
	c->tls = el->tls;
	if (sa->sa_family == AF_UNIX) {
		c->local = 1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == -1) {
			log_warn("api_unix: SO_PEERCRED: %s", strerror(errno));
			close(fd);
			free(c);
			return;
		}
		c->uid = uc.uid;
		snprintf(c->source, sizeof(c->source), "unix:pid=%ld",
		    (long)uc.pid);
	} else {
		getnameinfo(sa, (socklen_t)salen, host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(c->source, sizeof(c->source), sa->sa_family ==
		    AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
	}
	if (c->tls) {
		if ((ssl = SSL_new(h->ctx)) == NULL) {
			log_error("SSL_new failed");
			close(fd);
			free(c);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(h->e->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
		c->state = EC_HANDSHAKE;
	} else {
		c->bev = bufferevent_socket_new(h->e->base, fd,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		c->state = EC_HEAD;
	}
	if (c->bev == NULL) {
		log_error("%s: cannot make a bufferevent", el->name);
		close(fd);
		free(c);
		return;
	}
	c->timer = evtimer_new(h->e->base, engine_conn_timeout, c);
	TAILQ_INSERT_TAIL(&h->conns, c, link);
	h->nconns++;
	bufferevent_setcb(c->bev, engine_conn_read, engine_conn_drained,
	    engine_conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, h->limits.head + 1);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	engine_conn_arm(c);
}

static void
engine_on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct engine_listener *el = arg;

	if (el->lev != NULL)
		evconnlistener_enable(el->lev);
}

static void
engine_on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct engine_listener *el = arg;
	struct timeval tv = { 1, 0 };

	/* EMFILE: pause a second instead of spinning on the queued peer. */
	log_warn("accept on %s: %s; accepting again in 1 s", el->name,
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if (el->ev_pause == NULL)
		el->ev_pause = evtimer_new(el->h->e->base,
		    engine_on_accept_resume, el);
	evconnlistener_disable(lev);
	evtimer_add(el->ev_pause, &tv);
}

/* ---- The server. ---- */

int
engine_http_new(struct engine *e, char **cause)
{
	struct engine_http *h = xcalloc(1, sizeof(*h));

	h->e = e;
	TAILQ_INIT(&h->conns);
	h->max_body = ENGINE_MAX_BODY;
	h->max_concurrent = ENGINE_DEF_CONCURRENT;
	h->timeout = ENGINE_DEF_TIMEOUT;
	h->limits = hp_default_limits;
	h->limits.head = ENGINE_DEF_HEAD;
	e->http = h;
	*cause = NULL;
	return 0;
}

/* An integer setting, or def. */
static long long
engine_setting(struct engine *e, const char *key, long long def)
{
	json_t *v = json_object_get(e->settings, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* A digest of the TLS material in the settings, to notice a change. */
static void
engine_tls_digest(struct engine *e, unsigned char md[SHA256_DIGEST_LENGTH])
{
	static const char *const keys[] = { "tls_certificate_pem",
	    "tls_key_pem", "client_ca_pem" };
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	const char *v;
	size_t i;

	if (mc == NULL || EVP_DigestInit_ex(mc, EVP_sha256(), NULL) != 1)
		fatal("EVP_DigestInit_ex");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_string_value(json_object_get(e->settings, keys[i]));
		EVP_DigestUpdate(mc, v != NULL ? v : "", v != NULL ?
		    strlen(v) + 1 : 1);
	}
	EVP_DigestFinal_ex(mc, md, NULL);
	EVP_MD_CTX_free(mc);
}

void
engine_http_settings(struct engine *e)
{
	struct engine_http *h = e->http;
	unsigned char md[SHA256_DIGEST_LENGTH];
	SSL_CTX *ctx;
	char *cause = NULL;

	h->max_body = (size_t)engine_setting(e, "max_body", ENGINE_MAX_BODY);
	h->max_concurrent = (size_t)engine_setting(e, "max_concurrent",
	    ENGINE_DEF_CONCURRENT);
	h->timeout = (int)engine_setting(e, "request_timeout",
	    ENGINE_DEF_TIMEOUT);
	h->limits.head = (size_t)engine_setting(e, "max_header_size",
	    ENGINE_DEF_HEAD);
	if (h->limits.request_line > h->limits.head)
		h->limits.request_line = h->limits.head;
	/*
	 * New connections take new TLS material; live ones keep theirs.
	 * Views arrive after every registry change: rebuild only when the
	 * certificate, key or client CA changed (a self-signed certificate
	 * made at start must not change with every PUT).
	 */
	engine_tls_digest(e, md);
	if (h->ctx != NULL && memcmp(md, h->tls_md, sizeof(md)) != 0) {
		if ((ctx = proxy_tls_context(e->settings, &cause)) == NULL) {
			log_error("api TLS: %s; keeping the previous "
			    "certificate", cause);
			free(cause);
			return;
		}
		SSL_CTX_free(h->ctx);
		h->ctx = ctx;
		memcpy(h->tls_md, md, sizeof(md));
		log_info("api TLS material changed: new connections use it");
	}
}

void
engine_http_listener(struct engine *e, const char *name, int fd)
{
	struct engine_http *h = e->http;
	struct engine_listener *el;
	char *cause = NULL;
	int tls = strcmp(name, "api") == 0;

	if (h->nlisteners == ENGINE_LISTENERS_MAX ||
	    (!tls && strcmp(name, "api_unix") != 0)) {
		log_warn("listener %s: not ours or too many; closed", name);
		close(fd);
		return;
	}
	if (tls && h->ctx == NULL) {
		if ((h->ctx = proxy_tls_context(e->settings, &cause)) ==
		    NULL) {
			log_error("api TLS listener disabled: %s", cause);
			free(cause);
			close(fd);
			return;
		}
		engine_tls_digest(e, h->tls_md);
	}
	evutil_make_socket_nonblocking(fd);
	el = &h->listeners[h->nlisteners];
	el->h = h;
	el->tls = tls;
	snprintf(el->name, sizeof(el->name), "%s", name);
	/* backlog 0: the parent has called listen() already */
	el->lev = evconnlistener_new(e->base, engine_on_accept, el,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (el->lev == NULL) {
		log_error("listener %s: cannot watch it", name);
		close(fd);
		return;
	}
	evconnlistener_set_error_cb(el->lev, engine_on_accept_error);
	h->nlisteners++;
	log_info("serving %s%s", name, tls ? " (TLS)" : "");
}

static void
engine_http_close_listeners(struct engine_http *h)
{
	size_t i;

	for (i = 0; i < h->nlisteners; i++) {
		if (h->listeners[i].lev != NULL)
			evconnlistener_free(h->listeners[i].lev);
		if (h->listeners[i].ev_pause != NULL)
			event_free(h->listeners[i].ev_pause);
		memset(&h->listeners[i], 0, sizeof(h->listeners[i]));
	}
	h->nlisteners = 0;
}

void
engine_http_stop(struct engine *e, void (*cb)(struct engine *))
{
	struct engine_http *h = e->http;
	struct engine_conn *c, *next;

	h->stopping = 1;
	h->stop_cb = cb;
	engine_http_close_listeners(h);
	/* Idle connections go now; the others finish their request. */
	for (c = TAILQ_FIRST(&h->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->req == NULL && (c->state == EC_HANDSHAKE ||
		    c->state == EC_HEAD))
			engine_conn_free(c);
	}
	log_info("stopping: %zu request%s in flight", h->inflight,
	    h->inflight == 1 ? "" : "s");
	engine_http_check_stopped(h);
}

void
engine_http_free(struct engine *e)
{
	struct engine_http *h = e->http;

	if (h == NULL)
		return;
	h->stop_cb = NULL;
	engine_http_close_listeners(h);
	while (!TAILQ_EMPTY(&h->conns))
		engine_conn_free(TAILQ_FIRST(&h->conns));
	if (h->ctx != NULL)
		SSL_CTX_free(h->ctx);
	free(h);
	e->http = NULL;
}
