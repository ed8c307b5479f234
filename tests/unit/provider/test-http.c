/*
 * Tests for provider/http.c against real servers: python3 http.server
 * (tests/integration/lib/http-server.py) on 127.0.0.1, plain and with TLS
 * on a self-signed certificate that openssl(1) makes here.  Exits 77 (a
 * skip) without python3 or openssl.  log_msg is wrapped (-Wl,--wrap) so
 * the verify_tls warning can be read.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <curl/curl.h>

#include "common/log.h"
#include "provider/http.h"

#ifndef HTTP_SRCDIR
#define HTTP_SRCDIR "."
#endif

extern char **environ;

static char	 tmpdir[] = "/tmp/test-http.XXXXXX";
static char	 cert[64], key[64];
static char	 pin[64];
static pid_t	 pids[3];
static int	 plain_port, tls_port, count_port;
static char	 last_warn[1024];
static int	 sock_calls, connected_calls;

void	__wrap_log_msg(enum log_level, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

void
__wrap_log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	va_list	ap;

	if (level != LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(last_warn, sizeof(last_warn), fmt, ap);
	va_end(ap);
}

/* Runs a command line through sh; 0 if it exited 0. */
static int
sh(const char *cmd)
{
	int	st = system(cmd);

	return (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1);
}

/* Starts http-server.py (TLS if tls) and returns the port it printed. */
static int
start_server(int tls, pid_t *pid)
{
	posix_spawn_file_actions_t	 fa;
	const char			*py = getenv("PYTHON3");
	char				 script[1024], line[32];
	char				*argv[5];
	int				 p[2];
	ssize_t				 n;
	size_t				 got = 0;

	snprintf(script, sizeof(script), "%s/tests/integration/lib/"
	    "http-server.py", HTTP_SRCDIR);
	argv[0] = (char *)(py != NULL ? py : "python3");
	argv[1] = script;
	argv[2] = tls ? cert : NULL;
	argv[3] = tls ? key : NULL;
	argv[4] = NULL;
	if (pipe(p) != 0)
		return (-1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	if (posix_spawnp(pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return (-1);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	while (got < sizeof(line) - 1 &&
	    (n = read(p[0], line + got, 1)) == 1 && line[got] != '\n')
		got++;
	line[got] = '\0';
	close(p[0]);
	return (atoi(line));
}

/* The base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
static int
compute_pin(const char *path, char *out)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH], *der = NULL;
	X509		*x;
	FILE		*f;
	int		 len;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return (-1);
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	X509_free(x);
	if (len <= 0)
		return (-1);
	SHA256(der, (size_t)len, md);
	OPENSSL_free(der);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
	return (0);
}

static int
setup(void **state)
{
	char	cmd[512];

	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
	    "/CN=fw01.test -addext subjectAltName=DNS:fw01.test,IP:127.0.0.1 "
	    "-keyout %s -out %s 2>/dev/null", key, cert);
	if (sh(cmd) != 0 || compute_pin(cert, pin) != 0)
		return (-1);
	plain_port = start_server(0, &pids[0]);
	tls_port = start_server(1, &pids[1]);
	count_port = start_server(0, &pids[2]);
	if (plain_port <= 0 || tls_port <= 0 || count_port <= 0)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];
	size_t	i;

	for (i = 0; i < 3; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGTERM);
			waitpid(pids[i], NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return (sh(cmd));
}

/* The test's open_socket: names go to 127.0.0.1; counts calls. */
struct sockarg {
	int	connect;	/* 1: connect here; 0: leave unconnected */
	int	fail;
	int	last_family;
	char	last_host[256];
};

static int
open_socket(void *arg, const char *host, int port, int family, char **cause)
{
	struct sockarg		*sa = arg;
	struct sockaddr_in	 sin;
	int			 fd;

	sock_calls++;
	if (sa->connect && !sa->fail)
		connected_calls++;
	sa->last_family = family;
	snprintf(sa->last_host, sizeof(sa->last_host), "%s", host);
	if (sa->fail) {
		*cause = strdup("no route in namespace vnf-7");
		return (-1);
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (!sa->connect)
		return (fd);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		if (asprintf(cause, "connect: %s", strerror(errno)) == -1)
			*cause = NULL;
		close(fd);
		return (-1);
	}
	return (fd);
}

static char *
url(const char *scheme, const char *host, int port, const char *path)
{
	static char	buf[4][1024];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s://%s:%d%s", scheme, host, port,
	    path);
	return (buf[i]);
}

/* Runs req; on success returns the parsed /echo body (or NULL). */
static json_t *
run_ok(struct prov_http_req *req, struct prov_http_resp *resp)
{
	char	*cause = NULL;
	int	 rc;

	rc = prov_http_do(req, resp, &cause);
	if (rc != 0)
		fprintf(stderr, "prov_http_do: %d %s\n", rc, cause);
	assert_int_equal(rc, 0);
	assert_null(cause);
	return (json_loadb(resp->body, resp->body_len, 0, NULL));
}

/* Runs req expecting error; the cause must hold want. */
static void
run_fail(struct prov_http_req *req, int error, const char *want)
{
	struct prov_http_resp	 resp;
	char			*cause = NULL;
	int			 rc;

	rc = prov_http_do(req, &resp, &cause);
	if (rc != error || cause == NULL || strstr(cause, want) == NULL)
		fprintf(stderr, "got %d \"%s\", want %d \"%s\"\n", rc,
		    cause != NULL ? cause : "(null)", error, want);
	assert_int_equal(rc, error);
	assert_non_null(cause);
	assert_non_null(strstr(cause, want));
	/* No secret of the test ever shows in a cause. */
	assert_null(strstr(cause, "hunter2"));
	assert_null(strstr(cause, "tok-secret"));
	assert_null(resp.body);
	assert_null(resp.headers);
	free(cause);
}

static const char *
hdr(json_t *echo, const char *name)
{
	return (json_string_value(json_object_get(json_object_get(echo,
	    "headers"), name)));
}

static void
test_get_post(void **state)
{
	struct prov_http_header	 h[2] = {
		{ "X-Trace", "t-1" }, { "Content-Type", "application/json" } };
	struct prov_http_req	 req;
	struct prov_http_resp	 resp;
	json_t			*e;

	prov_http_req_init(&req);
	req.url = url("http", "127.0.0.1", plain_port, "/echo?a=1");
	req.headers = h;
	req.nheaders = 1;
	e = run_ok(&req, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(json_string_value(json_object_get(e, "method")),
	    "GET");
	assert_string_equal(json_string_value(json_object_get(e, "path")),
	    "/echo?a=1");
	assert_string_equal(hdr(e, "x-trace"), "t-1");
	assert_non_null(strstr(hdr(e, "user-agent"), "vnf-broker/"));
	assert_string_equal(json_string_value(json_object_get(resp.headers,
	    "content-type")), "application/json");
	assert_string_equal(json_string_value(json_object_get(resp.headers,
	    "x-multi")), "a, b");
	assert_int_equal(resp.redirects, 0);
	assert_true(resp.elapsed_ms >= 0);
	json_decref(e);
	prov_http_resp_free(&resp);

	req.body = "{\"rule\": 1}";
	req.body_len = strlen(req.body);
	req.nheaders = 2;
	e = run_ok(&req, &resp);
	assert_string_equal(json_string_value(json_object_get(e, "method")),
	    "POST");
	assert_string_equal(json_string_value(json_object_get(e, "body")),
	    "{\"rule\": 1}");
	assert_string_equal(hdr(e, "content-type"), "application/json");
	assert_null(hdr(e, "expect"));
	json_decref(e);
	prov_http_resp_free(&resp);

	req.method = "PUT";
	e = run_ok(&req, &resp);
	assert_string_equal(json_string_value(json_object_get(e, "method")),
	    "PUT");
	assert_string_equal(json_string_value(json_object_get(e, "body")),
	    "{\"rule\": 1}");
	json_decref(e);
	prov_http_resp_free(&resp);

	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	e = run_ok(&req, &resp);
	assert_string_equal(json_string_value(json_object_get(e, "method")),
	    "DELETE");
	json_decref(e);
	prov_http_resp_free(&resp);

	/* A 4xx is a response, not an error. */
	prov_http_req_init(&req);
	req.url = url("http", "127.0.0.1", plain_port, "/status?code=404");
	run_ok(&req, &resp);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body, "status");
	prov_http_resp_free(&resp);
}

static void
test_auth_kinds(void **state)
{
	struct prov_http_req	 req;
	struct prov_http_resp	 resp;
	json_t			*e;

	prov_http_req_init(&req);
	req.url = url("http", "127.0.0.1", plain_port, "/echo");
	e = run_ok(&req, &resp);
	assert_null(hdr(e, "authorization"));
	json_decref(e);
	prov_http_resp_free(&resp);

	req.auth.kind = PROV_HTTP_AUTH_BASIC;
	req.auth.username = "admin";
	req.auth.password = "hunter2";
	e = run_ok(&req, &resp);
	/* base64("admin:hunter2") */
	assert_string_equal(hdr(e, "authorization"),
	    "Basic YWRtaW46aHVudGVyMg==");
	json_decref(e);
	prov_http_resp_free(&resp);

	req.auth.kind = PROV_HTTP_AUTH_BEARER;
	req.auth.token = "tok-secret";
	e = run_ok(&req, &resp);
	assert_string_equal(hdr(e, "authorization"), "Bearer tok-secret");
	json_decref(e);
	prov_http_resp_free(&resp);

	req.auth.kind = PROV_HTTP_AUTH_HEADER;
	req.auth.header = "X-API-Key";
	req.auth.value = "tok-secret";
	e = run_ok(&req, &resp);
	assert_string_equal(hdr(e, "x-api-key"), "tok-secret");
	assert_null(hdr(e, "authorization"));
	json_decref(e);
	prov_http_resp_free(&resp);
}

static void
test_tls(void **state)
{
	struct prov_http_req	 req;
	struct prov_http_resp	 resp;
	struct sockarg		 sa = { .connect = 1 };
	char			 badpin[80];
	json_t			*e;

	/* Verification on, the self-signed certificate unknown. */
	prov_http_req_init(&req);
	req.url = url("https", "127.0.0.1", tls_port, "/echo");
	last_warn[0] = '\0';
	run_fail(&req, -EPROTO, "http: TLS: the certificate of 127.0.0.1:");
	assert_string_equal(last_warn, "");

	/* Trusted through ca_file, by address and by name. */
	req.ca_file = cert;
	e = run_ok(&req, &resp);
	assert_int_equal(resp.status, 200);
	json_decref(e);
	prov_http_resp_free(&resp);
	req.url = url("https", "fw01.test", tls_port, "/echo");
	req.open_socket = open_socket;
	req.open_socket_arg = &sa;
	e = run_ok(&req, &resp);
	assert_true(strncmp(hdr(e, "host"), "fw01.test:", 10) == 0);
	json_decref(e);
	prov_http_resp_free(&resp);

	/* Verification off: works, and says so naming the host. */
	prov_http_req_init(&req);
	req.url = url("https", "127.0.0.1", tls_port, "/echo");
	req.verify_tls = PROV_HTTP_VERIFY_OFF;
	e = run_ok(&req, &resp);
	json_decref(e);
	prov_http_resp_free(&resp);
	assert_non_null(strstr(last_warn, "verification is off"));
	assert_non_null(strstr(last_warn, "127.0.0.1"));

	/* The pinned key, right and wrong. */
	req.pinned_sha256 = pin;
	e = run_ok(&req, &resp);
	json_decref(e);
	prov_http_resp_free(&resp);
	snprintf(badpin, sizeof(badpin), "sha256//%s", pin);
	badpin[8] = badpin[8] == 'A' ? 'B' : 'A';
	req.pinned_sha256 = badpin;
	run_fail(&req, -EPROTO, "does not match the pinned SHA-256");
	/* Verification on, no CA file: the pin alone is the trust, and a
	 * wrong one still fails. */
	req.verify_tls = PROV_HTTP_VERIFY_ON;
	req.pinned_sha256 = pin;
	e = run_ok(&req, &resp);
	json_decref(e);
	prov_http_resp_free(&resp);
	req.pinned_sha256 = badpin;
	run_fail(&req, -EPROTO, "does not match the pinned SHA-256");
	/* Pinning with verification on and a CA file too. */
	req.verify_tls = PROV_HTTP_VERIFY_ON;
	req.ca_file = cert;
	req.pinned_sha256 = pin;
	e = run_ok(&req, &resp);
	json_decref(e);
	prov_http_resp_free(&resp);
	req.pinned_sha256 = "sha256//not base64!";
	run_fail(&req, -EINVAL, "pinned_sha256 must be base64");
}

static void
test_limits(void **state)
{
	struct prov_http_req	 req;
	struct prov_http_resp	 resp;
	char			 path[64];

	prov_http_req_init(&req);
	/* 8 MiB is fine, one byte more is refused (announced length). */
	snprintf(path, sizeof(path), "/big?n=%u", PROV_HTTP_MAX_RESPONSE);
	req.url = url("http", "127.0.0.1", plain_port, path);
	run_ok(&req, &resp);
	assert_int_equal(resp.body_len, PROV_HTTP_MAX_RESPONSE);
	prov_http_resp_free(&resp);
	snprintf(path, sizeof(path), "/big?n=%u", PROV_HTTP_MAX_RESPONSE + 1);
	req.url = url("http", "127.0.0.1", plain_port, path);
	run_fail(&req, -E2BIG, "http: response too large:");
	/* No length announced: refused while it streams in. */
	req.max_response_bytes = 1000;
	req.url = url("http", "127.0.0.1", plain_port, "/stream?n=5000");
	run_fail(&req, -E2BIG, "the body from 127.0.0.1:");
	req.url = url("http", "127.0.0.1", plain_port, "/stream?n=1000");
	run_ok(&req, &resp);
	assert_int_equal(resp.body_len, 1000);
	prov_http_resp_free(&resp);
}

static void
test_redirects(void **state)
{
	struct prov_http_req	 req;
	struct prov_http_resp	 resp;
	char			 path[256];
	json_t			*e;

	/* Off by default: the 302 is the answer. */
	prov_http_req_init(&req);
	req.url = url("http", "127.0.0.1", plain_port,
	    "/redirect?to=/echo");
	run_ok(&req, &resp);
	assert_int_equal(resp.status, 302);
	assert_string_equal(json_string_value(json_object_get(resp.headers,
	    "location")), "/echo");
	prov_http_resp_free(&resp);

	/* On: a POST after 302 becomes a GET; same origin keeps auth. */
	req.follow_redirects = 1;
	req.body = "x";
	req.body_len = 1;
	req.auth.kind = PROV_HTTP_AUTH_BEARER;
	req.auth.token = "tok-secret";
	e = run_ok(&req, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.redirects, 1);
	assert_string_equal(json_string_value(json_object_get(e, "method")),
	    "GET");
	assert_string_equal(hdr(e, "authorization"), "Bearer tok-secret");
	assert_non_null(strstr(resp.url, "/echo"));
	json_decref(e);
	prov_http_resp_free(&resp);

	/* 307 keeps the method and body. */
	req.url = url("http", "127.0.0.1", plain_port,
	    "/redirect?to=/echo&code=307");
	e = run_ok(&req, &resp);
	assert_string_equal(json_string_value(json_object_get(e, "method")),
	    "POST");
	assert_string_equal(json_string_value(json_object_get(e, "body")),
	    "x");
	json_decref(e);
	prov_http_resp_free(&resp);

	/* Another origin gets no credentials. */
	snprintf(path, sizeof(path), "/redirect?to=http://127.0.0.1:%d/echo",
	    count_port);
	req.url = url("http", "127.0.0.1", plain_port, path);
	e = run_ok(&req, &resp);
	assert_null(hdr(e, "authorization"));
	json_decref(e);
	prov_http_resp_free(&resp);

	/* A loop stops after 5. */
	req.url = url("http", "127.0.0.1", plain_port, "/loop");
	run_fail(&req, -ELOOP, "http: redirect: more than 5 redirects");
}

/* A port nothing listens on: bound, then closed. */
static int
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static void
test_connect_and_timeouts(void **state)
{
	struct prov_http_req	 req;
	struct sockarg		 sa = { .fail = 1 };
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	char			 want[128];
	int			 port, lfd, cfd[4], i;

	prov_http_req_init(&req);
	port = closed_port();
	req.url = url("http", "127.0.0.1", port, "/echo");
	req.auth.kind = PROV_HTTP_AUTH_BASIC;
	req.auth.username = "admin";
	req.auth.password = "hunter2";
	snprintf(want, sizeof(want), "http: connect: 127.0.0.1:%d: "
	    "Connection refused", port);
	run_fail(&req, -ECONNREFUSED, want);

	/* The caller's socket failed: its words are in the cause. */
	req.open_socket = open_socket;
	req.open_socket_arg = &sa;
	req.url = url("http", "fw01.test", port, "/echo");
	snprintf(want, sizeof(want), "http: connect: fw01.test:%d: no route "
	    "in namespace vnf-7", port);
	run_fail(&req, -ECONNREFUSED, want);

	/* No complete answer in time. */
	prov_http_req_init(&req);
	req.url = url("http", "127.0.0.1", plain_port, "/slow?ms=3000");
	req.total_timeout_ms = 300;
	run_fail(&req, -ETIMEDOUT, "http: timeout: no complete response "
	    "from 127.0.0.1:");

	/* A listener whose queue is full drops SYNs: connect times out. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	for (i = 0; i < 4; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(cfd[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(100000);
	req.url = url("http", "127.0.0.1", ntohs(sin.sin_port), "/echo");
	req.connect_timeout_ms = 300;
	req.total_timeout_ms = 5000;
	run_fail(&req, -ETIMEDOUT, "http: timeout: connecting to 127.0.0.1:");
	for (i = 0; i < 4; i++)
		close(cfd[i]);
	close(lfd);
}

static void
test_open_socket_every_connection(void **state)
{
	struct prov_http_req	 req;
	struct prov_http_resp	 resp;
	struct sockarg		 sa = { .connect = 1 };
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	json_t			*e;
	long			 before, served;
	int			 extra;

	/* The server's count so far, this request's connection included. */
	prov_http_req_init(&req);
	req.url = url("http", "127.0.0.1", count_port, "/count");
	run_ok(&req, &resp);
	before = strtol(resp.body, NULL, 10);
	prov_http_resp_free(&resp);

	sock_calls = connected_calls = 0;
	req.open_socket = open_socket;
	req.open_socket_arg = &sa;

	/* A name that DNS does not know: only the callback can reach it. */
	req.url = url("http", "fw01.invalid", count_port, "/echo");
	e = run_ok(&req, &resp);
	assert_string_equal(sa.last_host, "fw01.invalid");
	assert_int_equal(sa.last_family, AF_UNSPEC);
	json_decref(e);
	prov_http_resp_free(&resp);

	req.body = "b";
	req.body_len = 1;
	e = run_ok(&req, &resp);
	json_decref(e);
	prov_http_resp_free(&resp);

	/* An address literal: its family. */
	req.url = url("http", "127.0.0.1", count_port, "/echo");
	e = run_ok(&req, &resp);
	assert_int_equal(sa.last_family, AF_INET);
	json_decref(e);
	prov_http_resp_free(&resp);

	/* A redirect is a new connection, through the callback too. */
	req.follow_redirects = 1;
	req.body = NULL;
	req.body_len = 0;
	req.url = url("http", "fw01.invalid", count_port,
	    "/redirect?to=/echo");
	e = run_ok(&req, &resp);
	assert_int_equal(resp.redirects, 1);
	json_decref(e);
	prov_http_resp_free(&resp);

	/* Unconnected socket for a literal: the executor connects it. */
	sa.connect = 0;
	req.url = url("http", "127.0.0.1", count_port, "/echo");
	e = run_ok(&req, &resp);
	json_decref(e);
	prov_http_resp_free(&resp);

	/* The server counted every connection, this one included; the
	 * callback made each of them. */
	sa.connect = 1;
	req.url = url("http", "127.0.0.1", count_port, "/count");
	run_ok(&req, &resp);
	served = strtol(resp.body, NULL, 10) - before;
	prov_http_resp_free(&resp);
	assert_int_equal(sock_calls, 7);
	assert_int_equal(connected_calls, 6);
	/* libcurl 7.88 connects a connected socket again (see http.c):
	 * the server sees those twice, on the same callback sockets. */
	extra = cv->version_num >= 0x075800 && cv->version_num < 0x080000 ?
	    connected_calls : 0;
	assert_int_equal(served, sock_calls + extra);

	/* Unconnected socket for a name: refused, nothing resolved. */
	sa.connect = 0;
	req.url = url("http", "fw01.invalid", count_port, "/echo");
	run_fail(&req, -ECONNREFUSED, "unconnected socket for a host name");
}

static void
test_bad_requests(void **state)
{
	struct prov_http_header	 h[1] = { { "X-Evil", "a\r\nX-Injected: tok-secret" } };
	struct prov_http_req	 req;

	prov_http_req_init(&req);
	req.url = url("http", "fw01.test", plain_port, "/echo");
	run_fail(&req, -EINVAL, "fw01.test is a name and no open_socket was "
	    "given");
	req.url = "ftp://127.0.0.1/x";
	run_fail(&req, -EINVAL, "the URL must start http:// or https://");
	req.url = "http://admin:hunter2@127.0.0.1/x";
	run_fail(&req, -EINVAL, "credentials in the URL are not allowed");
	req.url = "http://[::1/x";
	run_fail(&req, -EINVAL, "http: request: invalid URL");
	req.url = url("http", "127.0.0.1", plain_port, "/echo");
	req.headers = h;
	req.nheaders = 1;
	run_fail(&req, -EINVAL, "header 1 (X-Evil) has an invalid name or a "
	    "line break");
	req.nheaders = 0;
	req.method = "get me";
	run_fail(&req, -EINVAL, "invalid method");
	req.method = NULL;
	req.auth.kind = PROV_HTTP_AUTH_BEARER;
	req.auth.token = "tok-secret\n";
	run_fail(&req, -EINVAL, "bearer auth needs a token");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_post),
		cmocka_unit_test(test_auth_kinds),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_connect_and_timeouts),
		cmocka_unit_test(test_open_socket_every_connection),
		cmocka_unit_test(test_bad_requests),
	};

	if (sh("command -v openssl >/dev/null 2>&1") != 0 ||
	    sh("command -v \"${PYTHON3:-python3}\" >/dev/null 2>&1") != 0) {
		printf("test-http: needs openssl and python3 (skipped)\n");
		return (77);
	}
	return (cmocka_run_group_tests(tests, setup, teardown));
}
