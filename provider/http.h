/*
 * The HTTP(S) executor: one request per call on libcurl's easy interface,
 * blocking, with connect and total timeouts.  The engine runs calls on its
 * worker threads; each call has its own handle and shares nothing.
 *
 *	struct prov_http_req	req;
 *	struct prov_http_resp	resp;
 *	char			*cause;
 *
 *	prov_http_req_init(&req);
 *	req.method = "POST";
 *	req.url = "https://fw01/api/firewall/filter/addRule";
 *	req.body = json; req.body_len = strlen(json);
 *	req.auth.kind = PROV_HTTP_AUTH_BASIC;
 *	req.auth.username = key; req.auth.password = secret;
 *	req.open_socket = engine_open_socket; req.open_socket_arg = appliance;
 *	if (prov_http_do(&req, &resp, &cause) != 0)
 *		... cause reads "http: connect: fw01:443: ..." and so on
 *	... resp.status, resp.headers, resp.body
 *	prov_http_resp_free(&resp);
 *
 * SOCKETS.  The executor never resolves a name.  When open_socket is set,
 * every connection (a redirect's too) is made by calling it with the host
 * as written in the URL (an appliance name or an address literal, without
 * brackets), the port, and the address family of a literal (AF_UNSPEC for
 * a name).  It returns a socket that is either connected, which is used
 * as it is, or never connected, which the executor connects to the URL's
 * address (a literal only: an unconnected socket for a name is an error).
 * It must not return a socket whose connect is still in progress.  On
 * failure it returns -1 and may set *cause (freed by the executor), which
 * becomes part of the "connect" error.  libcurl closes the socket.  When
 * open_socket is NULL, the URL's host must be an address literal, and the
 * executor connects a plain socket to it.
 *
 * Returns 0 when a response arrived, whatever its status (a 4xx or 5xx is
 * for the caller to judge), or a negative code with a cause naming the
 * step:
 *	-EINVAL		"http: request: ..." (bad URL, header, method...);
 *	-ECONNREFUSED etc.  "http: connect: HOST:PORT: ..." (the errno);
 *	-ETIMEDOUT	"http: timeout: ...";
 *	-EPROTO		"http: TLS: ..." (verification, pin, handshake);
 *	-E2BIG		"http: response too large: ...";
 *	-EIO		"http: send: ...", "http: receive: ...", others;
 *	-ELOOP		"http: redirect: ..." (too many, or refused).
 * No cause or log line ever holds a password, token or auth header value.
 */
#ifndef VB_PROVIDER_HTTP_H
#define VB_PROVIDER_HTTP_H

#include <stddef.h>

#include <jansson.h>

#define PROV_HTTP_CONNECT_TIMEOUT_MS	10000
#define PROV_HTTP_TOTAL_TIMEOUT_MS	30000
#define PROV_HTTP_MAX_RESPONSE		(8u * 1024 * 1024)
/* Bytes of response headers, all lines together. */
#define PROV_HTTP_MAX_HEADERS		(64u * 1024)
#define PROV_HTTP_MAX_REDIRECTS		5
#define PROV_HTTP_MAX_URL		8192

/* verify_tls: 0 is the default, which is on. */
#define PROV_HTTP_VERIFY_ON		1
#define PROV_HTTP_VERIFY_OFF		(-1)

typedef int (*prov_http_open_socket_fn)(void *arg, const char *host,
    int port, int family, char **cause);

enum prov_http_auth_kind {
	PROV_HTTP_AUTH_NONE = 0,
	PROV_HTTP_AUTH_BASIC,		/* username, password */
	PROV_HTTP_AUTH_BEARER,		/* token */
	PROV_HTTP_AUTH_HEADER,		/* header: value (an API key) */
};

struct prov_http_auth {
	enum prov_http_auth_kind kind;
	const char	*username;
	const char	*password;
	const char	*token;
	const char	*header;
	const char	*value;
};

struct prov_http_header {
	const char	*name;
	const char	*value;
};

/*
 * A request; the executor only reads it, and keeps no pointer into it
 * after prov_http_do() returns.  Zero fields mean the defaults above.
 */
struct prov_http_req {
	const char	*method;	/* NULL: GET, or POST with a body */
	const char	*url;		/* http:// or https:// */
	const struct prov_http_header *headers;
	size_t		 nheaders;
	const void	*body;
	size_t		 body_len;
	long		 connect_timeout_ms;
	long		 total_timeout_ms;	/* the whole call, redirects
						 * included */
	int		 verify_tls;	/* PROV_HTTP_VERIFY_ON (0) or _OFF */
	/* SHA-256 of the server's SubjectPublicKeyInfo, base64, with or
	 * without "sha256//"; several may be joined by ';'. */
	const char	*pinned_sha256;
	const char	*ca_file;	/* PEM; NULL: the system's CAs */
	struct prov_http_auth auth;
	size_t		 max_response_bytes;
	int		 follow_redirects;	/* nonzero: up to 5 */
	prov_http_open_socket_fn open_socket;
	void		*open_socket_arg;
	/*
	 * Kept between requests (NULL: a new libcurl handle, and so a new
	 * connection, each time): its open connections are reused when the
	 * next request goes to the same place with the same TLS settings.
	 * One request at a time per keep.
	 */
	struct prov_http_keep *keep;
};

/* A libcurl handle kept for reuse; free closes its connections. */
struct prov_http_keep	*prov_http_keep_new(void);
void			 prov_http_keep_free(struct prov_http_keep *keep);

/*
 * The response of the last request made (after redirects).  Everything in
 * it is owned by the response: free it with prov_http_resp_free().
 */
struct prov_http_resp {
	long		 status;
	json_t		*headers;	/* object; names lower-cased, repeated
					 * headers joined by ", " */
	char		*body;		/* body_len bytes, then a NUL */
	size_t		 body_len;
	long		 elapsed_ms;	/* the whole call */
	int		 redirects;	/* how many were followed */
	char		*url;		/* the URL that answered */
};

/* Sets every field to its default. */
void	prov_http_req_init(struct prov_http_req *req);
/*
 * libcurl's global set-up; call once at start-up before threads.
 * prov_http_do() calls it too (once), for programs that did not.
 */
int	prov_http_init(void);
int	prov_http_do(const struct prov_http_req *req,
	    struct prov_http_resp *resp, char **cause);
void	prov_http_resp_free(struct prov_http_resp *resp);

#endif
