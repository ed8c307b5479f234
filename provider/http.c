/*
 * The HTTP(S) executor on libcurl (see http.h).
 *
 * Redirects are followed here, not by libcurl: each hop is a new request
 * whose URL is checked like the first (scheme, no credentials, sockets
 * from the caller, no name resolution), and credentials go only to the
 * origin they were given for.  libcurl's own FOLLOWLOCATION would resolve
 * a new host by DNS and forward auth by its own rules.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"
#include "provider/http.h"

/*
 * Where a name is mapped for libcurl when the caller's socket is already
 * connected: libcurl wants an address, but never connects to this one
 * (an unconnected socket for a name is refused in sockopt_cb).  192.0.2.1
 * is TEST-NET-1 (RFC 5737), routed nowhere.
 */
#define PLACEHOLDER_ADDR	"192.0.2.1"

/* One hop's parsed URL. */
struct target {
	char	*scheme;
	char	*host;		/* as in the URL, IPv6 with brackets */
	char	*bare;		/* without brackets */
	int	 port;
	int	 family;	/* AF_INET, AF_INET6 or AF_UNSPEC (a name) */
};

/* State shared with libcurl's callbacks during one hop. */
struct hop {
	const struct prov_http_req *req;
	struct target	 t;
	size_t		 max_body;
	char		*body;
	size_t		 body_len, body_cap;
	json_t		*headers;
	size_t		 header_bytes;
	int		 too_large;	/* body over the limit */
	int		 headers_too_large;
	int		 sockets;	/* open_socket calls */
	int		 connected;	/* a socket came connected */
	int		 reconnect;	/* ... and was disconnected for
					 * libcurl 7.88 (connects_anyway) */
	char		*sock_cause;	/* from open_socket or sockopt_cb */
	int		 nomem;
};

static pthread_once_t	init_once = PTHREAD_ONCE_INIT;
static CURLcode		init_rc = CURLE_FAILED_INIT;
/*
 * libcurl 7.88.0 and 7.88.1 (Debian 12's) call connect() even on a socket
 * the sockopt callback reported connected, which fails with EISCONN (curl
 * issue 10626, fixed in 8.0.0).  With those versions a connected socket
 * from the caller is disconnected (connect to AF_UNSPEC, which keeps it in
 * its network namespace) and libcurl connects it again to the same peer:
 * one extra TCP handshake, and the appliance sees the first connection
 * reset.  Callers that can should hand over unconnected sockets for
 * address literals.
 */
static int		connects_anyway;

static void __attribute__((format(printf, 2, 3)))
set_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	free(*cause);
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}

static void
global_init(void)
{
	const curl_version_info_data	*v;

	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	v = curl_version_info(CURLVERSION_NOW);
	connects_anyway = v->version_num >= 0x075800 &&
	    v->version_num < 0x080000;
}

int
prov_http_init(void)
{
	pthread_once(&init_once, global_init);
	return (init_rc == CURLE_OK ? 0 : -EIO);
}

void
prov_http_req_init(struct prov_http_req *req)
{
	memset(req, 0, sizeof(*req));
	req->connect_timeout_ms = PROV_HTTP_CONNECT_TIMEOUT_MS;
	req->total_timeout_ms = PROV_HTTP_TOTAL_TIMEOUT_MS;
	req->verify_tls = PROV_HTTP_VERIFY_ON;
	req->max_response_bytes = PROV_HTTP_MAX_RESPONSE;
}

void
prov_http_resp_free(struct prov_http_resp *resp)
{
	if (resp->headers != NULL)
		json_decref(resp->headers);
	free(resp->body);
	free(resp->url);
	memset(resp, 0, sizeof(*resp));
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
target_free(struct target *t)
{
	curl_free(t->scheme);
	curl_free(t->host);
	free(t->bare);
	memset(t, 0, sizeof(*t));
}

/* Parses and checks a URL: http or https, no user info, a host. */
static int
target_parse(const char *url, struct target *t, char **cause)
{
	CURLU		*u;
	CURLUcode	 uc;
	char		*port = NULL, *user = NULL;
	struct in6_addr	 a6;
	struct in_addr	 a4;
	size_t		 n;
	int		 error = -EINVAL;

	memset(t, 0, sizeof(*t));
	if (url == NULL || *url == '\0') {
		set_cause(cause, "http: request: no URL");
		return (-EINVAL);
	}
	if (strlen(url) > PROV_HTTP_MAX_URL) {
		set_cause(cause, "http: request: the URL is longer than %d "
		    "bytes", PROV_HTTP_MAX_URL);
		return (-EINVAL);
	}
	if ((u = curl_url()) == NULL) {
		set_cause(cause, "http: out of memory");
		return (-ENOMEM);
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		set_cause(cause, "http: request: invalid URL: %s",
		    curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &t->scheme, 0) != CURLUE_OK ||
	    (strcmp(t->scheme, "http") != 0 &&
	    strcmp(t->scheme, "https") != 0)) {
		set_cause(cause, "http: request: the URL must start http:// "
		    "or https://");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		set_cause(cause, "http: request: credentials in the URL are "
		    "not allowed; use auth");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &t->host, 0) != CURLUE_OK ||
	    *t->host == '\0') {
		set_cause(cause, "http: request: the URL has no host");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		set_cause(cause, "http: request: the URL has no port");
		goto out;
	}
	t->port = atoi(port);
	n = strlen(t->host);
	if (t->host[0] == '[' && n > 2) {
		if ((t->bare = strndup(t->host + 1, n - 2)) == NULL)
			goto nomem;
	} else if ((t->bare = strdup(t->host)) == NULL)
		goto nomem;
	/* A zone id ("fe80::1%25eth0") is not an address we can use. */
	if (inet_pton(AF_INET6, t->bare, &a6) == 1)
		t->family = AF_INET6;
	else if (inet_pton(AF_INET, t->bare, &a4) == 1)
		t->family = AF_INET;
	else if (t->host[0] == '[') {
		set_cause(cause, "http: request: %s is not an IPv6 address",
		    t->host);
		goto out;
	} else
		t->family = AF_UNSPEC;
	error = 0;
	goto out;
nomem:
	set_cause(cause, "http: out of memory");
	error = -ENOMEM;
out:
	curl_free(port);
	curl_free(user);
	curl_url_cleanup(u);
	if (error != 0)
		target_free(t);
	return (error);
}

/* A header name is an RFC 9110 token; a value has no CR, LF or NUL. */
static int
header_ok(const char *name, const char *value)
{
	const char	*p;

	if (name == NULL || *name == '\0' || value == NULL)
		return (0);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("!#$%&'*+-.^_`|~", *p) == NULL)
			return (0);
	for (p = value; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			return (0);
	return (1);
}

/* Method names: upper-case letters only (GET, POST, PATCH...). */
static int
method_ok(const char *m)
{
	if (*m == '\0' || strlen(m) > 16)
		return (0);
	for (; *m != '\0'; m++)
		if (*m < 'A' || *m > 'Z')
			return (0);
	return (1);
}

/* Checks everything in the request that does not depend on the hop. */
static int
req_check(const struct prov_http_req *req, char **cause)
{
	const struct prov_http_auth	*a = &req->auth;
	const char			*p;
	size_t				 i;

	if (req->method != NULL && !method_ok(req->method)) {
		set_cause(cause, "http: request: invalid method");
		return (-EINVAL);
	}
	if (req->body_len > 0 && req->body == NULL) {
		set_cause(cause, "http: request: body_len without a body");
		return (-EINVAL);
	}
	for (i = 0; i < req->nheaders; i++) {
		if (!header_ok(req->headers[i].name, req->headers[i].value)) {
			/* The value may be a secret: name only the header. */
			set_cause(cause, "http: request: header %zu (%s) has "
			    "an invalid name or a line break in its value",
			    i + 1, req->headers[i].name != NULL &&
			    header_ok(req->headers[i].name, "") ?
			    req->headers[i].name : "?");
			return (-EINVAL);
		}
	}
	switch (a->kind) {
	case PROV_HTTP_AUTH_NONE:
		break;
	case PROV_HTTP_AUTH_BASIC:
		if (a->username == NULL || a->password == NULL ||
		    strchr(a->username, ':') != NULL ||
		    !header_ok("x", a->username) ||
		    !header_ok("x", a->password)) {
			set_cause(cause, "http: request: basic auth needs a "
			    "username (without ':') and a password, neither "
			    "with a line break");
			return (-EINVAL);
		}
		break;
	case PROV_HTTP_AUTH_BEARER:
		if (a->token == NULL || *a->token == '\0' ||
		    !header_ok("x", a->token)) {
			set_cause(cause, "http: request: bearer auth needs a "
			    "token without a line break");
			return (-EINVAL);
		}
		break;
	case PROV_HTTP_AUTH_HEADER:
		if (!header_ok(a->header, a->value == NULL ? NULL : "") ||
		    !header_ok(a->header, a->value)) {
			set_cause(cause, "http: request: header auth needs a "
			    "header name and a value without a line break");
			return (-EINVAL);
		}
		break;
	default:
		set_cause(cause, "http: request: unknown auth kind %d",
		    (int)a->kind);
		return (-EINVAL);
	}
	if ((p = req->pinned_sha256) != NULL) {
		if (strncmp(p, "sha256//", 8) == 0)
			p += 8;
		if (*p == '\0' || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/=;") != strlen(p)) {
			set_cause(cause, "http: request: pinned_sha256 must be "
			    "base64 SHA-256 digests, as sha256//...");
			return (-EINVAL);
		}
	}
	return (0);
}

struct prov_http_keep {
	CURL	*c;
};

struct prov_http_keep *
prov_http_keep_new(void)
{
	return (calloc(1, sizeof(struct prov_http_keep)));
}

void
prov_http_keep_free(struct prov_http_keep *keep)
{
	if (keep == NULL)
		return;
	if (keep->c != NULL)
		curl_easy_cleanup(keep->c);
	free(keep);
}

/* libcurl's CURLOPT_OPENSOCKETFUNCTION: the caller makes the socket. */
static curl_socket_t
opensocket_cb(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *address)
{
	struct hop		*h = clientp;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			*cause = NULL;
	int			 fd;

	h->sockets++;
	fd = h->req->open_socket(h->req->open_socket_arg, h->t.bare,
	    h->t.port, h->t.family, &cause);
	if (fd < 0) {
		free(h->sock_cause);
		h->sock_cause = cause != NULL ? cause :
		    strdup("open_socket failed");
		return (CURL_SOCKET_BAD);
	}
	free(cause);
	h->connected = getpeername(fd, (struct sockaddr *)&ss, &sl) == 0;
	if (h->connected && connects_anyway) {
		struct sockaddr	unspec = { .sa_family = AF_UNSPEC };

		/* curl_sockaddr is the start of libcurl's own address
		 * storage, which is large enough for any address. */
		if (sl > sizeof(struct sockaddr_storage) ||
		    connect(fd, &unspec, sizeof(unspec)) != 0) {
			free(h->sock_cause);
			h->sock_cause = strdup("cannot reuse the socket from "
			    "open_socket with this libcurl");
			close(fd);
			return (CURL_SOCKET_BAD);
		}
		memcpy(&address->addr, &ss, sl);
		address->addrlen = sl;
		address->family = ss.ss_family;
		h->connected = 0;
		h->reconnect = 1;
	}
	return (fd);
}

/* libcurl's CURLOPT_SOCKOPTFUNCTION: skip connect() on a ready socket. */
static int
sockopt_cb(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	struct hop	*h = clientp;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return (CURL_SOCKOPT_OK);
	if (h->connected)
		return (CURL_SOCKOPT_ALREADY_CONNECTED);
	if (h->t.family == AF_UNSPEC && !h->reconnect) {
		free(h->sock_cause);
		h->sock_cause = strdup("open_socket returned an unconnected "
		    "socket for a host name, which the executor cannot "
		    "connect without resolving it");
		return (CURL_SOCKOPT_ERROR);
	}
	return (CURL_SOCKOPT_OK);
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *clientp)
{
	struct hop	*h = clientp;
	size_t		 n = size * nmemb, cap;
	char		*b;

	if (n > h->max_body - h->body_len) {
		h->too_large = 1;
		return (0);
	}
	if (h->body_len + n + 1 > h->body_cap) {
		cap = h->body_cap == 0 ? 4096 : h->body_cap;
		while (cap < h->body_len + n + 1)
			cap *= 2;
		if (cap > h->max_body + 1)
			cap = h->max_body + 1;
		if ((b = realloc(h->body, cap)) == NULL) {
			h->nomem = 1;
			return (0);
		}
		h->body = b;
		h->body_cap = cap;
	}
	memcpy(h->body + h->body_len, data, n);
	h->body_len += n;
	return (n);
}

static size_t
header_cb(char *data, size_t size, size_t nmemb, void *clientp)
{
	struct hop	*h = clientp;
	size_t		 n = size * nmemb, i, nlen;
	const char	*colon, *v, *end;
	char		*name = NULL, *joined;
	json_t		*old, *val;

	h->header_bytes += n;
	if (h->header_bytes > PROV_HTTP_MAX_HEADERS) {
		h->headers_too_large = 1;
		return (0);
	}
	/* A status line starts a response: an interim 1xx one's headers
	 * are dropped. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		json_object_clear(h->headers);
		return (n);
	}
	if ((colon = memchr(data, ':', n)) == NULL)
		return (n);
	nlen = (size_t)(colon - data);
	while (nlen > 0 && (data[nlen - 1] == ' ' || data[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 0)
		return (n);
	v = colon + 1;
	end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((name = malloc(nlen + 1)) == NULL)
		goto nomem;
	for (i = 0; i < nlen; i++)
		name[i] = (char)tolower((unsigned char)data[i]);
	name[nlen] = '\0';
	/* Header bytes are not always UTF-8; json_stringn refuses those. */
	if ((old = json_object_get(h->headers, name)) != NULL) {
		if (asprintf(&joined, "%s, %.*s", json_string_value(old),
		    (int)(end - v), v) == -1)
			goto nomem;
		val = json_string(joined);
		free(joined);
	} else
		val = json_stringn(v, (size_t)(end - v));
	if (val == NULL) {
		/* Not UTF-8 (or no memory): keep the name, hide the value. */
		val = json_string("");
	}
	if (val == NULL || json_object_set_new(h->headers, name, val) != 0)
		goto nomem;
	free(name);
	return (n);
nomem:
	free(name);
	h->nomem = 1;
	return (0);
}

/* Clears each line of a header list (auth values) before freeing it. */
static void
slist_free_secret(struct curl_slist *l)
{
	struct curl_slist	*p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* Appends "Name: value" to *l; a secret line is cleared on the way. */
static int
slist_add(struct curl_slist **l, const char *name, const char *prefix,
    const char *value)
{
	struct curl_slist	*n;
	char			*line;
	int			 len;

	if ((len = asprintf(&line, "%s: %s%s", name, prefix, value)) == -1)
		return (-ENOMEM);
	n = curl_slist_append(*l, line);
	explicit_bzero(line, (size_t)len);
	free(line);
	if (n == NULL)
		return (-ENOMEM);
	*l = n;
	return (0);
}

/* Has the request its own header name (case-insensitively)? */
static int
has_header(const struct prov_http_req *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return (1);
	return (0);
}

/* Turns a failed curl_easy_perform into an errno and a cause. */
static int
hop_error(CURL *c, CURLcode rc, struct hop *h, const char *errbuf,
    long timeout_ms, char **cause)
{
	const char	*detail = *errbuf != '\0' ? errbuf :
			    curl_easy_strerror(rc);
	curl_off_t	 ct = 0;
	long		 oserr = 0;

	curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &ct);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	if (h->nomem) {
		set_cause(cause, "http: out of memory");
		return (-ENOMEM);
	}
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		if (ct == 0 && !h->connected)
			set_cause(cause, "http: timeout: connecting to %s:%d "
			    "took more than %ld ms", h->t.host, h->t.port,
			    h->req->connect_timeout_ms);
		else
			set_cause(cause, "http: timeout: no complete response "
			    "from %s:%d within %ld ms", h->t.host, h->t.port,
			    timeout_ms);
		return (-ETIMEDOUT);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_ABORTED_BY_CALLBACK:
		if (h->sock_cause != NULL) {
			set_cause(cause, "http: connect: %s:%d: %s", h->t.host,
			    h->t.port, h->sock_cause);
			return (-ECONNREFUSED);
		}
		if (oserr != 0) {
			set_cause(cause, "http: connect: %s:%d: %s", h->t.host,
			    h->t.port, strerror((int)oserr));
			return (-(int)oserr);
		}
		set_cause(cause, "http: connect: %s:%d: %s", h->t.host,
		    h->t.port, detail);
		return (-ECONNREFUSED);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		set_cause(cause, "http: TLS: the certificate of %s:%d is not "
		    "trusted (%s); give a CA file, pin its key, or turn "
		    "verify_tls off", h->t.host, h->t.port, detail);
		return (-EPROTO);
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		set_cause(cause, "http: TLS: the public key of %s:%d does not "
		    "match the pinned SHA-256", h->t.host, h->t.port);
		return (-EPROTO);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
		set_cause(cause, "http: TLS: handshake with %s:%d failed: %s",
		    h->t.host, h->t.port, detail);
		return (-EPROTO);
	case CURLE_FILESIZE_EXCEEDED:
		set_cause(cause, "http: response too large: %s:%d announced "
		    "more than the limit of %zu bytes", h->t.host, h->t.port,
		    h->max_body);
		return (-E2BIG);
	case CURLE_WRITE_ERROR:
		if (h->headers_too_large) {
			set_cause(cause, "http: response too large: headers "
			    "from %s:%d pass %u bytes", h->t.host, h->t.port,
			    PROV_HTTP_MAX_HEADERS);
			return (-E2BIG);
		}
		if (h->too_large) {
			set_cause(cause, "http: response too large: the body "
			    "from %s:%d passed the limit of %zu bytes",
			    h->t.host, h->t.port, h->max_body);
			return (-E2BIG);
		}
		break;
	case CURLE_SEND_ERROR:
		set_cause(cause, "http: send: to %s:%d: %s", h->t.host,
		    h->t.port, detail);
		return (-EIO);
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		set_cause(cause, "http: receive: from %s:%d: %s", h->t.host,
		    h->t.port, detail);
		return (-EIO);
	default:
		break;
	}
	set_cause(cause, "http: %s:%d: %s", h->t.host, h->t.port, detail);
	return (-EIO);
}

/*
 * One request to url.  with_auth says whether credentials go along (the
 * first hop and same-origin redirects).  On success fills resp (status,
 * headers, body) and, if the answer is a redirect, *location.
 */
static int
hop_run(const struct prov_http_req *req, const char *url, const char *method,
    const void *body, size_t body_len, int with_auth, long timeout_ms,
    struct prov_http_resp *resp, char **location, struct target *tout,
    char **cause)
{
	const struct prov_http_auth	*a = &req->auth;
	struct hop			 h;
	struct curl_slist		*hdrs = NULL, *resolve = NULL;
	CURL				*c = NULL;
	CURLcode			 rc;
	char				 errbuf[CURL_ERROR_SIZE], *pin = NULL;
	char				*entry = NULL, *loc = NULL;
	const char			*p;
	size_t				 i;
	long				 status = 0;
	int				 error;

	memset(&h, 0, sizeof(h));
	*location = NULL;
	errbuf[0] = '\0';
	h.req = req;
	h.max_body = req->max_response_bytes != 0 ? req->max_response_bytes :
	    PROV_HTTP_MAX_RESPONSE;
	if ((error = target_parse(url, &h.t, cause)) != 0)
		return (error);
	if (req->open_socket == NULL && h.t.family == AF_UNSPEC) {
		set_cause(cause, "http: connect: %s is a name and no "
		    "open_socket was given; the executor never resolves names",
		    h.t.host);
		error = -EINVAL;
		goto out;
	}
	if ((h.headers = json_object()) == NULL)
		goto nomem;
	if (req->keep != NULL && req->keep->c != NULL) {
		/* Options back to defaults; live connections stay. */
		c = req->keep->c;
		curl_easy_reset(c);
	} else if ((c = curl_easy_init()) == NULL)
		goto nomem;
	else if (req->keep != NULL)
		req->keep->c = c;

#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(c, opt, val)) != CURLE_OK)		\
		goto setopt;						\
} while (0)
	SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* Never a proxy from the environment: the socket is the caller's. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_USERAGENT, "vnf-broker/" PACKAGE_VERSION);
	SET(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms > 0 ?
	    req->connect_timeout_ms : (long)PROV_HTTP_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h.max_body);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, &h);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, &h);

	if (req->open_socket != NULL) {
		SET(CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
		SET(CURLOPT_OPENSOCKETDATA, &h);
		SET(CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
		SET(CURLOPT_SOCKOPTDATA, &h);
		if (h.t.family == AF_UNSPEC) {
			/* libcurl must not ask DNS for the name. */
			if (asprintf(&entry, "%s:%d:%s", h.t.host, h.t.port,
			    PLACEHOLDER_ADDR) == -1) {
				entry = NULL;
				goto nomem;
			}
			if ((resolve = curl_slist_append(NULL, entry)) == NULL)
				goto nomem;
			SET(CURLOPT_RESOLVE, resolve);
		}
	}

	if (strcmp(h.t.scheme, "https") == 0) {
		if (req->verify_tls == PROV_HTTP_VERIFY_OFF) {
			log_warn("TLS certificate verification is off for %s%s",
			    h.t.host, req->pinned_sha256 != NULL ?
			    " (its pinned key is still checked)" : "");
			SET(CURLOPT_SSL_VERIFYPEER, 0L);
			SET(CURLOPT_SSL_VERIFYHOST, 0L);
		} else if (req->pinned_sha256 != NULL && req->ca_file == NULL) {
			/*
			 * A pin without a CA file is the trust: the key is
			 * exactly the one expected, so the chain and the name
			 * (a self-signed appliance has neither) are not asked.
			 */
			SET(CURLOPT_SSL_VERIFYPEER, 0L);
			SET(CURLOPT_SSL_VERIFYHOST, 0L);
		} else {
			SET(CURLOPT_SSL_VERIFYPEER, 1L);
			SET(CURLOPT_SSL_VERIFYHOST, 2L);
		}
		if (req->ca_file != NULL)
			SET(CURLOPT_CAINFO, req->ca_file);
		if (req->pinned_sha256 != NULL) {
			/* "sha256//a;sha256//b" for several. */
			size_t	 n = strlen(req->pinned_sha256) * 2 + 16;
			char	*o;

			if ((pin = o = malloc(n)) == NULL)
				goto nomem;
			p = req->pinned_sha256;
			if (strncmp(p, "sha256//", 8) == 0)
				p += 8;
			o += sprintf(o, "sha256//");
			for (; *p != '\0'; p++) {
				if (*p == ';') {
					o += sprintf(o, ";sha256//");
					if (strncmp(p + 1, "sha256//", 8) == 0)
						p += 8;
				} else
					*o++ = *p;
			}
			*o = '\0';
			SET(CURLOPT_PINNEDPUBLICKEY, pin);
		}
	}

	/* Method and body. */
	if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else if (body != NULL) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		SET(CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else
		SET(CURLOPT_CUSTOMREQUEST, method);

	/* Headers: the request's, then auth, and no 100-continue wait. */
	for (i = 0; i < req->nheaders; i++) {
		if (!with_auth && a->kind == PROV_HTTP_AUTH_HEADER &&
		    strcasecmp(req->headers[i].name, a->header) == 0)
			continue;
		if (!with_auth &&
		    strcasecmp(req->headers[i].name, "authorization") == 0)
			continue;
		if (slist_add(&hdrs, req->headers[i].name, "",
		    req->headers[i].value) != 0)
			goto nomem;
	}
	if (!has_header(req, "Expect") && slist_add(&hdrs, "Expect", "", "")
	    != 0)
		goto nomem;
	if (with_auth) {
		switch (a->kind) {
		case PROV_HTTP_AUTH_BASIC:
			SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			SET(CURLOPT_USERNAME, a->username);
			SET(CURLOPT_PASSWORD, a->password);
			break;
		case PROV_HTTP_AUTH_BEARER:
			if (slist_add(&hdrs, "Authorization", "Bearer ",
			    a->token) != 0)
				goto nomem;
			break;
		case PROV_HTTP_AUTH_HEADER:
			if (slist_add(&hdrs, a->header, "", a->value) != 0)
				goto nomem;
			break;
		default:
			break;
		}
	}
	SET(CURLOPT_HTTPHEADER, hdrs);
#undef SET

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		error = hop_error(c, rc, &h, errbuf, timeout_ms, cause);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300 && status < 400 &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc != NULL && (*location = strdup(loc)) == NULL)
		goto nomem;
	resp->status = status;
	resp->headers = h.headers;
	h.headers = NULL;
	if (h.body == NULL && (h.body = malloc(1)) == NULL)
		goto nomem;
	h.body[h.body_len] = '\0';
	resp->body = h.body;
	resp->body_len = h.body_len;
	h.body = NULL;
	if ((resp->url = strdup(url)) == NULL)
		goto nomem;
	*tout = h.t;
	memset(&h.t, 0, sizeof(h.t));
	error = 0;
	goto out;
setopt:
	set_cause(cause, "http: request: libcurl refused an option: %s",
	    curl_easy_strerror(rc));
	error = -EINVAL;
	goto out;
nomem:
	set_cause(cause, "http: out of memory");
	error = -ENOMEM;
out:
	if (c != NULL && req->keep == NULL)
		curl_easy_cleanup(c);
	else if (c != NULL) {
		/* Nothing of this request's stack may outlive it. */
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c, CURLOPT_RESOLVE, NULL);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
		/* libcurl's copies of the credentials, gone now. */
		curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, NULL);
	}
	slist_free_secret(hdrs);
	curl_slist_free_all(resolve);
	free(entry);
	free(pin);
	free(h.body);
	free(h.sock_cause);
	if (h.headers != NULL)
		json_decref(h.headers);
	target_free(&h.t);
	return (error);
}

/* Same scheme, host and port: credentials may follow a redirect. */
static int
same_origin(const struct target *a, const struct target *b)
{
	return (strcmp(a->scheme, b->scheme) == 0 &&
	    strcasecmp(a->host, b->host) == 0 && a->port == b->port);
}

int
prov_http_do(const struct prov_http_req *req, struct prov_http_resp *resp,
    char **cause)
{
	struct target	 first, cur, next;
	const char	*method;
	const void	*body;
	size_t		 body_len;
	char		*url = NULL, *location = NULL;
	long		 start = now_ms(), total, left;
	int		 error, with_auth = 1, hops = 0;

	memset(resp, 0, sizeof(*resp));
	memset(&first, 0, sizeof(first));
	memset(&cur, 0, sizeof(cur));
	if (cause != NULL)
		*cause = NULL;
	if (prov_http_init() != 0) {
		set_cause(cause, "http: libcurl failed to initialize");
		return (-EIO);
	}
	if ((error = req_check(req, cause)) != 0)
		return (error);
	body = req->body;
	body_len = req->body_len;
	method = req->method != NULL ? req->method : body != NULL ? "POST" :
	    "GET";
	total = req->total_timeout_ms > 0 ? req->total_timeout_ms :
	    PROV_HTTP_TOTAL_TIMEOUT_MS;
	if ((url = strdup(req->url != NULL ? req->url : "")) == NULL) {
		set_cause(cause, "http: out of memory");
		return (-ENOMEM);
	}
	for (;;) {
		left = total - (now_ms() - start);
		if (left <= 0) {
			set_cause(cause, "http: timeout: redirects took more "
			    "than %ld ms", total);
			error = -ETIMEDOUT;
			goto out;
		}
		prov_http_resp_free(resp);
		error = hop_run(req, url, method, body, body_len, with_auth,
		    left, resp, &location, &cur, cause);
		if (error != 0)
			goto out;
		if (hops == 0) {
			first = cur;
			memset(&cur, 0, sizeof(cur));
		}
		if (!req->follow_redirects || location == NULL)
			break;
		if (++hops > PROV_HTTP_MAX_REDIRECTS) {
			set_cause(cause, "http: redirect: more than %d "
			    "redirects", PROV_HTTP_MAX_REDIRECTS);
			error = -ELOOP;
			goto out;
		}
		if ((error = target_parse(location, &next, cause)) != 0) {
			char *c = cause != NULL ? *cause : NULL;

			if (c != NULL) {
				*cause = NULL;
				set_cause(cause, "http: redirect: %s",
				    strncmp(c, "http: ", 6) == 0 ? c + 6 : c);
				free(c);
			}
			error = -ELOOP;
			goto out;
		}
		if (strcmp(first.scheme, "https") == 0 &&
		    strcmp(next.scheme, "http") == 0) {
			set_cause(cause, "http: redirect: from https to plain "
			    "http (%s) refused", next.host);
			target_free(&next);
			error = -ELOOP;
			goto out;
		}
		/* Credentials stay with the origin they were given for. */
		with_auth = same_origin(&first, &next);
		target_free(&next);
		/* What browsers and libcurl do: 303 always, and 301 or 302
		 * after a POST, become a GET without the body. */
		if ((resp->status == 303 && strcmp(method, "HEAD") != 0) ||
		    ((resp->status == 301 || resp->status == 302) &&
		    strcmp(method, "POST") == 0)) {
			method = "GET";
			body = NULL;
			body_len = 0;
		}
		free(url);
		url = location;
		location = NULL;
		target_free(&cur);
	}
	resp->redirects = hops;
	error = 0;
out:
	if (error != 0)
		prov_http_resp_free(resp);
	else
		resp->elapsed_ms = now_ms() - start;
	free(url);
	free(location);
	target_free(&first);
	target_free(&cur);
	return (error);
}
