/*
 * Health checks: tcp connect, HTTP status, command output.  See
 * provider/health.h.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "provider/health.h"
#include "provider/http.h"
#include "provider/runner-int.h"

#define HEALTH_QUOTE	200	/* bytes of an answer quoted in a reason */

/* Did an SSH or socket failure code mean the appliance never answered? */
static int
unreached(int rc)
{
	switch (-rc) {
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ECONNRESET:
	case ECONNABORTED:
		return 1;
	default:
		return 0;
	}
}

static int
check_timeout(const struct prov_target *t, const struct prov_check *chk)
{
	int ms = (chk->timeout > 0 ? chk->timeout : PROV_DEFAULT_CHECK_TIMEOUT)
	    * 1000;

	if (t->timeout_ms > 0 && t->timeout_ms < ms)
		ms = t->timeout_ms;
	return ms;
}

static const char *
kind_name(enum prov_check_kind k)
{
	switch (k) {
	case PROV_CHECK_COMMAND:
		return "command";
	case PROV_CHECK_HTTP:
		return "http";
	case PROV_CHECK_OPERATION:
		return "operation";
	default:
		return "tcp";
	}
}

static int
do_tcp(const struct prov_target *t, const struct prov_conn *conn,
    const struct prov_check *chk, json_t *env, int timeout, int *reached,
    char **reason)
{
	char *host = NULL, *cause = NULL;
	int fd;

	if (conn != NULL && prov_text_render(&conn->host, TPL_CTX_HEADER, env,
	    "connection host", &host, reason) != 0)
		return -1;
	if (host == NULL || *host == '\0') {
		free(host);
		host = xstrdup(t->address ? t->address : "");
	}
	errno = 0;
	fd = t->open_socket(t->socket_arg, host, chk->port, timeout, &cause);
	if (fd == -1) {
		*reason = xasprintf("connect %s:%d: %s", host, chk->port,
		    cause ? cause : strerror(errno ? errno : EIO));
		*reached = 0;
		free(cause);
		free(host);
		return -1;
	}
	close(fd);
	*reached = 1;
	free(host);
	return 0;
}

static int
do_http(const struct prov_target *t, const struct prov_conn *conn,
    const struct prov_check *chk, json_t *env, int timeout, json_t *secrets,
    int *reached, char **reason)
{
	struct prov_http_req hr;
	struct prov_http_resp resp;
	struct prov_run_sock sock = { .t = t, .timeout_ms = timeout };
	struct prov_http_header *h = NULL;
	char *url = NULL, *full = NULL, *user = NULL, *pass = NULL;
	char *host = NULL, *cause = NULL, *v;
	char *tok = NULL, *pin = NULL;
	size_t i, nh = 0;
	int rc = -1, hrc;

	memset(&resp, 0, sizeof(resp));
	if (prov_text_render(&chk->url, TPL_CTX_URL, env, "url", &url,
	    reason) != 0)
		goto out;
	if (url == NULL) {
		*reason = xstrdup("no url");
		goto out;
	}
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		if (conn == NULL || conn->proto == PROV_PROTO_SSH) {
			*reason = xasprintf("url %s is relative and the check "
			    "has no http connection", url);
			goto out;
		}
		if (prov_text_render(&conn->host, TPL_CTX_HEADER, env,
		    "connection host", &host, reason) != 0)
			goto out;
		full = xasprintf("%s://%s:%d%s%s", conn->proto ==
		    PROV_PROTO_HTTP ? "http" : "https", host && *host ? host :
		    (t->address ? t->address : ""), prov_run_port(conn),
		    url[0] == '/' ? "" : "/", url);
	} else
		full = xstrdup(url);
	prov_http_req_init(&hr);
	hr.method = chk->method ? chk->method : "GET";
	hr.url = full;
	hr.total_timeout_ms = timeout;
	hr.connect_timeout_ms = timeout;
	hr.ca_file = t->ca_file;
	hr.open_socket = prov_run_http_socket;
	hr.open_socket_arg = &sock;
	if (conn != NULL && conn->proto != PROV_PROTO_SSH) {
		if (!conn->verify_ssl)
			hr.verify_tls = PROV_HTTP_VERIFY_OFF;
		h = xcalloc(conn->nheaders + 1, sizeof(*h));
		for (i = 0; i < conn->nheaders; i++) {
			if (prov_text_render(&conn->headers[i].value,
			    TPL_CTX_HEADER, env, "connection headers", &v,
			    reason) != 0)
				goto out;
			h[nh].name = conn->headers[i].name;
			h[nh++].value = v;
			if (prov_is_secret_name(conn->headers[i].name) ||
			    strcasecmp(conn->headers[i].name,
			    "Authorization") == 0)
				prov_run_secret_add(secrets, v);
		}
		hr.headers = h;
		hr.nheaders = nh;
		if (prov_text_render(&conn->pinned_sha256, TPL_CTX_HEADER, env,
		    "pinned_sha256", &pin, reason) != 0)
			goto out;
		if (pin != NULL && *pin != '\0')
			hr.pinned_sha256 = pin;
		if (conn->auth.kind == PROV_AUTH_BEARER ||
		    conn->auth.kind == PROV_AUTH_API_KEY) {
			if (prov_text_render(&conn->auth.token, TPL_CTX_HEADER,
			    env, "token", &tok, reason) != 0)
				goto out;
			prov_run_secret_add(secrets, tok);
			hr.auth.kind = conn->auth.kind == PROV_AUTH_BEARER ?
			    PROV_HTTP_AUTH_BEARER : PROV_HTTP_AUTH_HEADER;
			hr.auth.token = tok ? tok : "";
			hr.auth.header = conn->auth.header;
			hr.auth.value = tok ? tok : "";
		}
		if (conn->auth.kind == PROV_AUTH_BASIC) {
			if (prov_text_render(&conn->username, TPL_CTX_HEADER, env,
			    "username", &user, reason) != 0 ||
			    prov_text_render(&conn->password, TPL_CTX_HEADER, env,
			    "password", &pass, reason) != 0)
				goto out;
			prov_run_secret_add(secrets, pass);
			hr.auth.kind = PROV_HTTP_AUTH_BASIC;
			hr.auth.username = user ? user : "";
			hr.auth.password = pass ? pass : "";
		}
	}
	hrc = prov_http_do(&hr, &resp, &cause);
	if (hrc != 0) {
		*reached = hrc == -EPROTO || hrc == -E2BIG;
		*reason = xstrdup(cause ? cause : "http: failed");
		goto out;
	}
	*reached = 1;
	if (!prov_run_status_ok(chk->expected_status, chk->nexpected_status,
	    resp.status)) {
		*reason = xasprintf("%s %s: HTTP status %ld, not the expected "
		    "one: %.*s%s", hr.method, full, resp.status,
		    (int)(resp.body_len > HEALTH_QUOTE ? HEALTH_QUOTE :
		    resp.body_len), resp.body ? resp.body : "",
		    resp.body_len > HEALTH_QUOTE ? "..." : "");
		goto out;
	}
	rc = 0;
out:
	prov_http_resp_free(&resp);
	for (i = 0; i < nh; i++)
		freezero_str((char *)(uintptr_t)h[i].value);
	free(h);
	free(url);
	free(full);
	free(host);
	free(user);
	freezero_str(pass);
	freezero_str(tok);
	free(pin);
	free(cause);
	return rc;
}

static int
do_command(const struct prov_target *t, const struct prov_conn *conn,
    const struct prov_check *chk, json_t *env, const char *password,
    int timeout, json_t *secrets, json_t *res, int *reached, char **reason)
{
	struct sshx_conn *c = NULL;
	struct sshx_result r;
	json_t *out;
	char *cmd = NULL, *want = NULL, *cause = NULL, *pass = NULL;
	size_t n;
	int rc = -1, src;

	memset(&r, 0, sizeof(r));
	if (conn == NULL || conn->proto != PROV_PROTO_SSH) {
		*reason = xstrdup("no ssh connection for a command check");
		goto out;
	}
	if (prov_text_render(&chk->command, TPL_CTX_CLI, env, "command", &cmd,
	    reason) != 0 || prov_text_render(&chk->expected_output, TPL_CTX_TEXT,
	    env, "expected_output", &want, reason) != 0)
		goto out;
	src = prov_run_ssh_connect(t, conn, env, password, timeout, &c, NULL,
	    &pass, &cause);
	prov_run_secret_add(secrets, pass);
	if (src != 0) {
		*reached = !unreached(src);
		*reason = xstrdup(cause ? cause : "ssh: connect failed");
		goto out;
	}
	*reached = 1;
	if (sshx_exec_timeout(c, cmd, timeout, &r, &cause) != 0) {
		*reason = xasprintf("%s: %s", cmd, cause ? cause : "failed");
		goto out;
	}
	n = r.outlen > PROV_HEALTH_MAX_OUTPUT ? PROV_HEALTH_MAX_OUTPUT :
	    r.outlen;
	if ((out = json_stringn(r.out ? r.out : "", n)) == NULL)
		out = json_null();	/* cut inside a character, or binary */
	json_object_set_new(res, "output", out);
	if (r.exit_status != 0) {
		*reason = xasprintf("%s: exit status %d%s%.*s", cmd,
		    r.exit_status, r.errlen ? ": " : "", (int)(r.errlen > 200 ?
		    200 : r.errlen), r.err ? r.err : "");
		goto out;
	}
	if (want != NULL && *want != '\0' && (r.out == NULL ||
	    strstr(r.out, want) == NULL)) {
		*reason = xasprintf("%s: the output does not contain \"%s\"",
		    cmd, want);
		goto out;
	}
	rc = 0;
out:
	sshx_result_clear(&r);
	sshx_close(c);
	free(cmd);
	free(want);
	freezero_str(pass);
	free(cause);
	return rc;
}

/*
 * operation: SERVICE.OPERATION run as the engine runs it (its connection,
 * auth of any kind, body, judging), with no input and no callback; it
 * passes when the operation succeeds.  conn, when given (bootstrap's
 * initial connection), replaces the operation's.
 */
static int
do_operation(const struct prov_dict *dict, const struct prov_target *t,
    const struct prov_check *chk, json_t *cs_data,
    const struct prov_conn *conn, const char *password, int *reached,
    char **reason)
{
	struct prov_run_req rq;
	json_t *res = NULL, *st;
	const char *e;
	size_t i;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.service = chk->op_service;
	rq.operation = chk->op_name;
	rq.cs_data = cs_data;
	rq.conn = conn;
	rq.password = password;
	rq.no_callback = 1;
	rc = prov_run_op(dict, t, &rq, &res) == 0 ? 0 : -1;
	/* Reached: the appliance answered something. */
	json_array_foreach(json_object_get(res, "steps"), i, st)
		if (json_object_get(st, "http_status") != NULL ||
		    json_object_get(st, "exit_status") != NULL ||
		    (json_is_string(json_object_get(st, "step")) &&
		    strcmp(json_string_value(json_object_get(st, "step")),
		    "connect") == 0 && json_is_string(json_object_get(st,
		    "status")) && strcmp(json_string_value(json_object_get(st,
		    "status")), "success") == 0))
			*reached = 1;
	if (rc != 0) {
		e = json_string_value(json_object_get(res, "error"));
		*reason = xasprintf("%s.%s: %s", chk->op_service,
		    chk->op_name, e != NULL ? e : "failed");
	}
	json_decref(res);
	return rc;
}

int
prov_health_check(const struct prov_dict *dict, const struct prov_target *t,
    const struct prov_check *chk, json_t *cs_data,
    const struct prov_conn *conn, const char *password, json_t **result)
{
	json_t *res, *env, *secrets;
	char *reason = NULL, *m;
	long long start = prov_run_now_ms();
	int rc = -1, reached = 0, timeout = check_timeout(t, chk);

	if (conn == NULL)
		conn = chk->conn;
	if (conn == NULL && chk->kind == PROV_CHECK_OPERATION)
		;	/* the operation's own */
	else if (conn == NULL)
		conn = prov_run_first_conn(dict, chk->kind ==
		    PROV_CHECK_COMMAND ? PROV_PROTO_SSH : PROV_PROTO_HTTPS);
	if (conn == NULL && chk->kind != PROV_CHECK_COMMAND)
		conn = prov_run_first_conn(dict, PROV_PROTO_HTTP);
	if (conn == NULL && chk->kind == PROV_CHECK_TCP && dict->nconns > 0)
		conn = &dict->conns[0];
	env = prov_run_env(NULL, cs_data);
	secrets = prov_run_secrets(cs_data, NULL);
	if (password != NULL)
		prov_run_secret_add(secrets, password);
	res = json_pack("{s:s, s:s}", "name", chk->name ? chk->name :
	    "ready_test", "kind", kind_name(chk->kind));
	switch (chk->kind) {
	case PROV_CHECK_TCP:
		rc = do_tcp(t, conn, chk, env, timeout, &reached, &reason);
		break;
	case PROV_CHECK_HTTP:
		rc = do_http(t, conn, chk, env, timeout, secrets, &reached,
		    &reason);
		break;
	case PROV_CHECK_COMMAND:
		rc = do_command(t, conn, chk, env, password, timeout, secrets,
		    res, &reached, &reason);
		break;
	case PROV_CHECK_OPERATION:
		rc = do_operation(dict, t, chk, cs_data, conn, password,
		    &reached, &reason);
		break;
	}
	json_object_set_new(res, "status", json_string(rc == 0 ? "pass" :
	    "fail"));
	json_object_set_new(res, "reached", json_boolean(reached));
	json_object_set_new(res, "elapsed_ms", json_integer(prov_run_now_ms() -
	    start));
	if (reason != NULL) {
		prov_run_secrets_sort(secrets);
		m = prov_run_mask_str(reason, secrets);
		json_object_set_new(res, "reason", json_string(m));
		free(m);
	} else
		json_object_set_new(res, "reason", json_null());
	prov_run_secrets_sort(secrets);
	prov_run_mask(res, secrets);
	*result = res;
	free(reason);
	json_decref(secrets);
	json_decref(env);
	return rc;
}

int
prov_health_run(const struct prov_dict *dict, const struct prov_target *t,
    json_t *cs_data, const char *only, json_t **result)
{
	struct prov_check implicit;
	const struct prov_check *chk;
	json_t *res, *checks, *reasons, *c;
	long long start = prov_run_now_ms();
	size_t i, n, npass = 0, nreached = 0, nrun = 0;
	const char *status;

	*result = NULL;
	checks = json_array();
	reasons = json_array();
	n = dict->nchecks;
	memset(&implicit, 0, sizeof(implicit));
	if (n == 0) {
		implicit.name = (char *)(uintptr_t)"reachability";
		implicit.kind = PROV_CHECK_TCP;
		implicit.conn = dict->nconns > 0 ? &dict->conns[0] : NULL;
		implicit.port = prov_run_port(implicit.conn);
		if (implicit.port == 0)
			implicit.port = 22;
		implicit.timeout = PROV_DEFAULT_CHECK_TIMEOUT;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		chk = dict->nchecks > 0 ? &dict->checks[i] : &implicit;
		if (only != NULL && strcmp(only, chk->name) != 0)
			continue;
		nrun++;
		if (prov_health_check(dict, t, chk, cs_data, NULL, NULL,
		    &c) == 0)
			npass++;
		else
			json_array_append_new(reasons, json_sprintf("%s: %s",
			    chk->name, json_string_value(json_object_get(c,
			    "reason"))));
		if (json_is_true(json_object_get(c, "reached")))
			nreached++;
		json_array_append_new(checks, c);
	}
	if (only != NULL && nrun == 0) {
		json_decref(checks);
		json_decref(reasons);
		return -ENOENT;
	}
	if (npass == nrun)
		status = "healthy";
	else if (nreached == 0)
		status = "unreachable";
	else
		status = "degraded";
	res = json_pack("{s:s, s:s?, s:I, s:o, s:o}", "status", status,
	    "appliance", t->name, "elapsed_ms",
	    (json_int_t)(prov_run_now_ms() - start), "reasons", reasons,
	    "checks", checks);
	*result = res;
	return npass == nrun ? 0 : -1;
}
