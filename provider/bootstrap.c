/*
 * Bootstrap: the per-appliance state machine of provider/bootstrap.h.
 *
 * The state object saved after every step:
 *
 *	{"version": 1, "provider": "...", "phase": "actions",
 *	 "next_action": 1, "done": [{"index": 0, "action": "System.x"}],
 *	 "pending": {"index": 1, "password": "..."},
 *	 "password": "...", "cs_data": {"bootstrap_password": "..."},
 *	 "updated": "2026-11-27T22:40:01Z"}
 *
 * It holds the rotated password, so the store must be private (the
 * broker's state directory; vnf-provider writes its --state file 0600).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "provider/bootstrap.h"
#include "provider/health.h"
#include "provider/runner-int.h"

/* Each reachability probe waits at most this long. */
#define BOOT_PROBE_MS	5000

static const char *const phases[] = { "reachable", "connected", "actions",
    "ready", "done", NULL };

struct boot {
	const struct prov_dict		*dict;
	const struct prov_target	*t;
	const struct prov_boot_opts	*o;
	const struct prov_conn		*conn;	/* initial_connection */
	json_t				*state;
	json_t				*cs;	/* cs-data with the updates */
	json_t				*steps;
	char				*error;
	long long			 deadline;
	int				 delay;
	int				 resumed;
};

static const char *
state_str(const struct boot *b, const char *key)
{
	return json_string_value(json_object_get(b->state, key));
}

static int
phase_index(const char *p)
{
	int i;

	for (i = 0; p != NULL && phases[i] != NULL; i++)
		if (strcmp(phases[i], p) == 0)
			return i;
	return 0;
}

static void __attribute__((format(printf, 2, 3)))
boot_fail(struct boot *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	b->error = s != NULL ? s : xstrdup("failed");
}

static int
boot_save(struct boot *b)
{
	char when[32], *cause = NULL;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(b->state, "updated", json_string(when));
	if (b->o == NULL || b->o->store == NULL || b->o->store->save == NULL)
		return 0;
	if (b->o->store->save(b->o->store->arg, b->state, &cause) != 0) {
		boot_fail(b, "save: %s", cause ? cause : "cannot save the "
		    "bootstrap state");
		free(cause);
		return -1;
	}
	return 0;
}

static void
boot_phase(struct boot *b, const char *phase)
{
	if (phase_index(phase) > phase_index(state_str(b, "phase")))
		json_object_set_new(b->state, "phase", json_string(phase));
}

/* Sleep for the backoff, never past the deadline; 0 if time is left. */
static int
boot_wait(struct boot *b)
{
	long long left = b->deadline - prov_run_now_ms();
	struct timespec ts;
	int ms, max;

	if (left <= 0)
		return -1;
	ms = b->delay < left ? b->delay : (int)left;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	max = b->o && b->o->retry_max_ms > 0 ? b->o->retry_max_ms :
	    PROV_BOOT_RETRY_MAX_MS;
	b->delay = b->delay * 2 > max ? max : b->delay * 2;
	return prov_run_now_ms() < b->deadline ? 0 : -1;
}

static void
boot_delay_reset(struct boot *b)
{
	b->delay = b->o && b->o->retry_ms > 0 ? b->o->retry_ms :
	    PROV_BOOT_RETRY_MS;
}

static json_t *
step_new(struct boot *b, const char *fmt, ...)
{
	va_list ap;
	char *name;
	json_t *st;

	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) == -1)
		name = NULL;
	va_end(ap);
	st = json_pack("{s:s, s:s, s:i, s:i, s:n}", "step", name ? name : "?",
	    "status", "failed", "elapsed_ms", 0, "attempts", 0, "error");
	free(name);
	json_array_append_new(b->steps, st);
	return st;
}

static void
step_set(json_t *st, long long start, int attempts, const char *error)
{
	json_object_set_new(st, "status", json_string(error ? "failed" :
	    "success"));
	json_object_set_new(st, "elapsed_ms", json_integer(prov_run_now_ms() -
	    start));
	json_object_set_new(st, "attempts", json_integer(attempts));
	if (error != NULL)
		json_object_set_new(st, "error", json_string(error));
}

static json_t *
boot_env(struct boot *b)
{
	return prov_run_env(NULL, b->cs);
}

/* Phase 1: a TCP connect to initial_connection succeeds. */
static int
boot_reachable(struct boot *b)
{
	json_t *st, *env = boot_env(b);
	char *host = NULL, *cause = NULL;
	long long start = prov_run_now_ms(), left;
	int port, fd, attempts = 0, rc = -1, ms;

	st = step_new(b, "reachable");
	if (prov_text_render(&b->conn->host, TPL_CTX_HEADER, env,
	    "connection host", &host, &cause) != 0) {
		step_set(st, start, 0, cause);
		boot_fail(b, "reachable: %s", cause);
		goto out;
	}
	if (host == NULL || *host == '\0') {
		free(host);
		host = xstrdup(b->t->address ? b->t->address : "");
	}
	port = prov_run_port(b->conn);
	boot_delay_reset(b);
	for (;;) {
		attempts++;
		left = b->deadline - prov_run_now_ms();
		ms = left < BOOT_PROBE_MS ? (int)(left > 0 ? left : 1) :
		    BOOT_PROBE_MS;
		free(cause);
		cause = NULL;
		errno = 0;
		fd = b->t->open_socket(b->t->socket_arg, host, port, ms, &cause);
		if (fd != -1) {
			close(fd);
			break;
		}
		if (cause == NULL)
			cause = xstrdup(strerror(errno ? errno : EIO));
		if (boot_wait(b) != 0) {
			char *why = xasprintf("%s:%d not reachable within the "
			    "deadline after %d attempts: %s", host, port,
			    attempts, cause);

			step_set(st, start, attempts, why);
			boot_fail(b, "reachable: %s", why);
			free(why);
			goto out;
		}
	}
	step_set(st, start, attempts, NULL);
	boot_phase(b, "connected");
	rc = boot_save(b);
out:
	free(host);
	free(cause);
	json_decref(env);
	return rc;
}

/* The cs-data keys a connection's password template reads. */
static void
pass_var(const char *root, const char *field, int index, int line,
    int column, void *arg)
{
	json_t *keys = arg;

	(void)index;
	(void)line;
	(void)column;
	if (strcmp(root, "get_cs_data") == 0 && field != NULL)
		json_array_append_new(keys, json_string(field));
	else if (strcmp(root, "get_data") != 0 &&
	    strcmp(root, "get_cs_data") != 0 && strcmp(root, "response") != 0)
		json_array_append_new(keys, json_string(root));
}

/* A password change took effect: use it from now on, and say so. */
static void
boot_rotated(struct boot *b, const char *password)
{
	json_t *keys, *k, *upd;
	size_t i;

	json_object_set_new(b->state, "password", json_string(password));
	upd = json_object_get(b->state, "cs_data");
	if (!json_is_object(upd)) {
		upd = json_object();
		json_object_set_new(b->state, "cs_data", upd);
	}
	keys = json_array();
	if (b->conn->password.tpl != NULL)
		tpl_vars(b->conn->password.tpl, pass_var, keys);
	json_array_foreach(keys, i, k) {
		json_object_set_new(upd, json_string_value(k),
		    json_string(password));
		json_object_set_new(b->cs, json_string_value(k),
		    json_string(password));
	}
	json_decref(keys);
	json_object_del(b->state, "pending");
	/* Nothing logged in with the old password is used again. */
	prov_run_conns_forget(b->t->conns, b->t->name);
}

static void
boot_action_done(struct boot *b, size_t i)
{
	const struct prov_action *a = &b->dict->bootstrap.actions[i];
	json_t *done = json_object_get(b->state, "done");

	if (!json_is_array(done)) {
		done = json_array();
		json_object_set_new(b->state, "done", done);
	}
	json_array_append_new(done, json_pack("{s:I, s:s++}", "index",
	    (json_int_t)i, "action", a->service, ".", a->action));
	json_object_set_new(b->state, "next_action", json_integer(
	    (json_int_t)i + 1));
}

static int
ssh_try(struct boot *b, const char *password, char **cause)
{
	struct sshx_conn *c = NULL;
	json_t *env = boot_env(b);
	int rc, ms;

	ms = b->conn->timeout > 0 ? b->conn->timeout * 1000 :
	    PROV_DEFAULT_TIMEOUT * 1000;
	if (b->t->timeout_ms > 0)
		ms = b->t->timeout_ms;
	rc = prov_run_ssh_connect(b->t, b->conn, env, password, ms, &c, NULL,
	    NULL, cause);
	sshx_close(c);
	json_decref(env);
	return rc;
}

/* Phase 2: initial_connection logs in (ssh), resolving a pending change. */
static int
boot_connected(struct boot *b)
{
	json_t *st, *pending;
	char *cause = NULL, *cause2 = NULL;
	const char *pw;
	long long start = prov_run_now_ms();
	int attempts = 0, rc;

	if (b->conn->proto != PROV_PROTO_SSH) {
		boot_phase(b, "actions");
		return boot_save(b);
	}
	st = step_new(b, "connected");
	boot_delay_reset(b);
	for (;;) {
		attempts++;
		free(cause);
		cause = NULL;
		rc = ssh_try(b, state_str(b, "password"), &cause);
		if (rc == 0)
			break;
		pending = json_object_get(b->state, "pending");
		if (rc == -EPERM && pending != NULL &&
		    (pw = json_string_value(json_object_get(pending,
		    "password"))) != NULL) {
			/* Did the change go through before a restart? */
			if (ssh_try(b, pw, &cause2) == 0) {
				size_t i = (size_t)json_integer_value(
				    json_object_get(pending, "index"));
				char *p = xstrdup(pw);

				boot_rotated(b, p);
				freezero_str(p);
				boot_action_done(b, i);
				break;
			}
			free(cause2);
			cause2 = NULL;
		}
		if (rc == -EPERM || rc == -EINVAL || boot_wait(b) != 0) {
			step_set(st, start, attempts, cause);
			boot_fail(b, "connected: %s", cause ? cause : "failed");
			free(cause);
			return -1;
		}
	}
	free(cause);
	step_set(st, start, attempts, NULL);
	boot_phase(b, "actions");
	return boot_save(b);
}

/* A copy of v with string leaves rendered over get_cs_data. */
static json_t *
render_params(json_t *v, json_t *env, char **cause)
{
	json_t *out, *item, *sub;
	const char *k;
	char *s;
	size_t i;

	if (json_is_string(v)) {
		if (prov_run_src(json_string_value(v), TPL_CTX_TEXT, env,
		    "parameters", &s, cause) != 0)
			return NULL;
		out = json_string(s);
		freezero_str(s);
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, item) {
			if ((sub = render_params(item, env, cause)) == NULL) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, sub);
		}
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, item) {
			if ((sub = render_params(item, env, cause)) == NULL) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, sub);
		}
		return out;
	}
	return json_incref(v);
}

/* The new password an action sets, or NULL. */
static const char *
new_password(json_t *data)
{
	const char *k;
	json_t *v;
	char low[64];
	size_t i;

	if (json_is_array(data))
		data = json_array_get(data, 0);
	json_object_foreach(data, k, v) {
		for (i = 0; k[i] != '\0' && i < sizeof(low) - 1; i++)
			low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ?
			    k[i] - 'A' + 'a' : k[i]);
		low[i] = '\0';
		if (strstr(low, "new_pass") != NULL && json_is_string(v))
			return json_string_value(v);
	}
	return NULL;
}

/* Did an operation fail before reaching the appliance? */
static int
failed_unreached(json_t *res)
{
	json_t *st;
	const char *err;
	size_t i;

	json_array_foreach(json_object_get(res, "steps"), i, st) {
		if (strcmp(json_string_value(json_object_get(st, "step")),
		    "connect") != 0)
			continue;
		err = json_string_value(json_object_get(st, "error"));
		return err != NULL && (strstr(err, "connect") != NULL ||
		    strstr(err, "timeout") != NULL) &&
		    strstr(err, "authentication") == NULL &&
		    strstr(err, "host key") == NULL;
	}
	return 0;
}

/* Phase 3: initial_actions, from the first not yet done. */
static int
boot_actions(struct boot *b)
{
	const struct prov_action *a;
	struct prov_run_req rq;
	json_t *st, *data, *env, *res = NULL;
	const char *np;
	char *cause = NULL, *pw = NULL;
	long long start;
	size_t i;
	int tries, ok;

	i = (size_t)json_integer_value(json_object_get(b->state,
	    "next_action"));
	for (; i < b->dict->bootstrap.nactions; i++) {
		a = &b->dict->bootstrap.actions[i];
		start = prov_run_now_ms();
		st = step_new(b, "action %zu: %s.%s", i + 1, a->service,
		    a->action);
		env = boot_env(b);
		data = a->parameters != NULL ? render_params(a->parameters,
		    env, &cause) : json_object();
		json_decref(env);
		if (data == NULL) {
			step_set(st, start, 0, cause);
			boot_fail(b, "action %zu (%s.%s): %s", i + 1,
			    a->service, a->action, cause);
			free(cause);
			return -1;
		}
		if ((np = new_password(data)) != NULL) {
			pw = xstrdup(np);
			json_object_set_new(b->state, "pending", json_pack(
			    "{s:I, s:s}", "index", (json_int_t)i, "password",
			    pw));
			if (boot_save(b) != 0) {
				json_decref(data);
				freezero_str(pw);
				return -1;
			}
		}
		memset(&rq, 0, sizeof(rq));
		rq.service = a->service;
		rq.operation = a->action;
		rq.data = data;
		rq.cs_data = b->cs;
		rq.conn = b->conn;
		rq.password = state_str(b, "password");
		boot_delay_reset(b);
		for (tries = 1, ok = 0;; tries++) {
			json_decref(res);
			ok = prov_run_op(b->dict, b->t, &rq, &res) == 0;
			if (ok || tries >= PROV_BOOT_ACTION_TRIES ||
			    !failed_unreached(res) || boot_wait(b) != 0)
				break;
		}
		json_decref(data);
		step_set(st, start, tries, ok ? NULL :
		    json_string_value(json_object_get(res, "error")));
		json_object_set(st, "result", res);
		if (!ok) {
			boot_fail(b, "action %zu (%s.%s): %s", i + 1,
			    a->service, a->action, json_string_value(
			    json_object_get(res, "error")));
			json_decref(res);
			freezero_str(pw);
			return -1;
		}
		json_decref(res);
		res = NULL;
		if (pw != NULL) {
			boot_rotated(b, pw);
			freezero_str(pw);
			pw = NULL;
		}
		boot_action_done(b, i);
		if (boot_save(b) != 0)
			return -1;
	}
	boot_phase(b, "ready");
	return boot_save(b);
}

/* Phase 4: ready_test passes (retried until the deadline). */
static int
boot_ready(struct boot *b)
{
	const struct prov_check *rt = b->dict->bootstrap.ready_test;
	const struct prov_conn *conn = NULL;
	const char *pw = NULL;
	json_t *st, *c = NULL;
	long long start = prov_run_now_ms();
	int attempts = 0;

	if (rt != NULL) {
		st = step_new(b, "ready_test");
		if (rt->kind != PROV_CHECK_COMMAND ||
		    b->conn->proto == PROV_PROTO_SSH) {
			conn = b->conn;
			pw = state_str(b, "password");
		}
		boot_delay_reset(b);
		for (;;) {
			attempts++;
			json_decref(c);
			if (prov_health_check(b->dict, b->t, rt, b->cs, conn, pw,
			    &c) == 0)
				break;
			if (boot_wait(b) != 0) {
				step_set(st, start, attempts,
				    json_string_value(json_object_get(c,
				    "reason")));
				json_object_set_new(st, "result", c);
				boot_fail(b, "ready_test: %s", json_string_value(
				    json_object_get(c, "reason")));
				return -1;
			}
		}
		step_set(st, start, attempts, NULL);
		json_object_set_new(st, "result", c);
	}
	boot_phase(b, "done");
	return boot_save(b);
}

int
prov_boot_run(const struct prov_dict *dict, const struct prov_target *t,
    json_t *cs_data, const struct prov_boot_opts *o, json_t **result)
{
	struct boot b;
	json_t *res, *saved = NULL, *upd, *secrets, *v;
	const char *k;
	char *cause = NULL;
	int ok = 0, deadline_s;

	memset(&b, 0, sizeof(b));
	b.dict = dict;
	b.t = t;
	b.o = o;
	b.steps = json_array();
	b.cs = json_is_object(cs_data) ? json_deep_copy(cs_data) :
	    json_object();
	deadline_s = o != NULL && o->deadline_s > 0 ? o->deadline_s :
	    PROV_BOOT_DEADLINE_S;
	b.deadline = prov_run_now_ms() + (long long)deadline_s * 1000;

	if (o != NULL && o->store != NULL && o->store->load != NULL &&
	    o->store->load(o->store->arg, &saved, &cause) != 0) {
		boot_fail(&b, "load: %s", cause ? cause : "cannot read the "
		    "bootstrap state");
		b.state = json_object();
		goto done;
	}
	if (json_is_object(saved)) {
		b.state = saved;
		b.resumed = 1;
	} else {
		json_decref(saved);
		b.state = json_pack("{s:i, s:s, s:s, s:i}", "version", 1,
		    "provider", dict->name, "phase", "reachable",
		    "next_action", 0);
	}
	upd = json_object_get(b.state, "cs_data");
	json_object_foreach(upd, k, v)
		json_object_set(b.cs, k, v);

	if (!dict->bootstrap.present) {
		boot_fail(&b, "validate: %s has no bootstrap section",
		    dict->name);
		goto done;
	}
	b.conn = dict->bootstrap.initial_connection;
	if (b.conn == NULL)
		b.conn = prov_run_first_conn(dict, PROV_PROTO_SSH);
	if (b.conn == NULL && dict->nconns > 0)
		b.conn = &dict->conns[0];
	if (b.conn == NULL) {
		boot_fail(&b, "validate: no initial_connection and no "
		    "connection to bootstrap over");
		goto done;
	}
	if (strcmp(state_str(&b, "phase") ? state_str(&b, "phase") : "",
	    "done") == 0) {
		ok = 1;
		goto done;
	}
	if (boot_reachable(&b) != 0 || boot_connected(&b) != 0 ||
	    boot_actions(&b) != 0 || boot_ready(&b) != 0)
		goto done;
	ok = 1;
done:
	res = json_pack("{s:s, s:s?, s:s?, s:b, s:O}", "status", ok ?
	    "success" : "failed", "appliance", t->name, "phase",
	    state_str(&b, "phase"), "resumed", b.resumed, "steps", b.steps);
	if (ok && b.resumed && json_array_size(b.steps) == 0)
		json_object_set_new(res, "note", json_string("bootstrap was "
		    "already complete; nothing was done"));
	json_object_set_new(res, "error", b.error ? json_string(b.error) :
	    json_null());
	secrets = prov_run_secrets(b.cs, NULL);
	prov_run_secret_add(secrets, state_str(&b, "password"));
	prov_run_secret_add(secrets, json_string_value(json_object_get(
	    json_object_get(b.state, "pending"), "password")));
	prov_run_secrets_sort(secrets);
	v = json_deep_copy(res);
	json_decref(res);
	res = v;
	prov_run_mask(res, secrets);
	/* The updated values, in clear, for the management server. */
	upd = json_object_get(b.state, "cs_data");
	json_object_set_new(res, "cs_data", json_is_object(upd) ?
	    json_deep_copy(upd) : json_object());
	*result = res;
	json_decref(secrets);
	json_decref(b.state);
	json_decref(b.cs);
	json_decref(b.steps);
	free(b.error);
	free(cause);
	return ok ? 0 : -1;
}
