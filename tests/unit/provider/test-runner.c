/*
 * Unit tests of provider/runner.c and runner-pool.c: judging, transforms,
 * masking, failed results that name their step, and the worker pool's
 * ordering (one appliance at a time, in order; appliances in parallel)
 * and limits.  The pool is driven by a fake job: what is tested is the
 * ordering, not I/O (tests/integration/linux-vnf.sh does the I/O).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/diag.h"
#include "provider/dict.h"
#include "provider/runner.h"
#include "provider/runner-int.h"

static const char dict_yaml[] =
"name: unit\n"
"connections:\n"
"  api:\n"
"    type: http\n"
"    host: \"{{mgmt_ip}}\"\n"
"    port: 8080\n"
"    auth: {type: bearer, token: \"{{get_cs_data.api_token}}\"}\n"
"services:\n"
"  S:\n"
"    data:\n"
"      name: {type: string, pattern: '[a-z]+'}\n"
"      port: {type: port}\n"
"      secret_key: {type: string}\n"
"    judged:\n"
"      method: GET\n"
"      connection: api\n"
"      url: /x\n"
"      response:\n"
"        format: text\n"
"        success_pattern: '^commit complete'\n"
"        error_patterns: ['^% Invalid', '^Error: ']\n"
"    rows:\n"
"      method: GET\n"
"      connection: api\n"
"      url: /rows\n"
"      response:\n"
"        format: json\n"
"        transform:\n"
"          first: \"$.rows[0].id\"\n"
"          ids: \"$.rows[*].id\"\n"
"          missing: \"$.nothing\"\n"
"    table:\n"
"      method: GET\n"
"      connection: api\n"
"      url: /t\n"
"      response:\n"
"        format: text\n"
"        transform:\n"
"          intf: '^(?<name>eth\\d+)\\s+(?<ip>[\\d.]+)$'\n"
"          lines: parse_lines\n"
"          ip0: {expr: '^eth\\d+\\s+(?<ip>[\\d.]+)$', first: true}\n"
"          rec0: {expr: '^(?<name>eth\\d+)\\s+(?<ip>[\\d.]+)$', first: true}\n"
"          none: {expr: '^nothing (?<x>.)', first: true}\n"
"          port: {value: '{{ get_data.port }}'}\n"
"          label: {value: 'rule-{{ get_data.name }}'}\n"
"    plain:\n"
"      method: GET\n"
"      connection: api\n"
"      url: /p\n"
"    jsonwhole:\n"
"      method: GET\n"
"      connection: api\n"
"      url: /j\n"
"      response: {format: json}\n";

static struct prov_dict *
load_dict(void)
{
	struct prov_dict *dict;
	struct diags d;

	diags_init(&d, "unit.yaml");
	dict = prov_dict_parse(dict_yaml, strlen(dict_yaml), "unit.yaml", &d);
	if (dict == NULL)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_non_null(dict);
	return dict;
}

static const struct prov_response *
response_of(struct prov_dict *dict, const char *op)
{
	const struct prov_service *svc = prov_service_find(dict, "S");
	const struct prov_op *o;

	assert_non_null(svc);
	o = prov_op_find(svc, op);
	assert_non_null(o);
	return &o->response;
}

static void
test_status_ok(void **state)
{
	int exp[] = { 200, 404 };

	(void)state;
	assert_true(prov_run_status_ok(NULL, 0, 200));
	assert_true(prov_run_status_ok(NULL, 0, 204));
	assert_false(prov_run_status_ok(NULL, 0, 301));
	assert_false(prov_run_status_ok(NULL, 0, 500));
	assert_true(prov_run_status_ok(exp, 2, 404));
	assert_false(prov_run_status_ok(exp, 2, 201));
}

static void
test_judge(void **state)
{
	struct prov_dict *dict = load_dict();
	const struct prov_response *r = response_of(dict, "judged");
	const char *ok = "configure\ncommit complete\n";
	const char *err = "R1(config)#interface Gi9\n% Invalid input detected\n"
	    "commit complete\n";
	const char *none = "nothing to see\n";
	char *reason;

	(void)state;
	assert_int_equal(prov_run_judge(r, ok, strlen(ok), &reason), 1);
	assert_null(reason);
	/* An error wins even when the success text came too. */
	assert_int_equal(prov_run_judge(r, err, strlen(err), &reason), 0);
	assert_non_null(strstr(reason, "% Invalid input detected"));
	assert_non_null(strstr(reason, "line 2"));
	free(reason);
	assert_int_equal(prov_run_judge(r, none, strlen(none), &reason), 0);
	assert_non_null(strstr(reason, "success pattern"));
	free(reason);
	/* No patterns: anything is a success. */
	assert_int_equal(prov_run_judge(response_of(dict, "plain"), err,
	    strlen(err), &reason), 1);
	prov_dict_free(dict);
}

static void
test_transform_json(void **state)
{
	struct prov_dict *dict = load_dict();
	const char *doc = "{\"rows\": [{\"id\": 7}, {\"id\": 9}]}";
	json_t *data;
	char *cause = NULL, *s;

	(void)state;
	assert_int_equal(prov_run_transform(response_of(dict, "rows"), doc,
	    strlen(doc), NULL, &data, &cause), 0);
	s = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	/* Singular: the value or null; otherwise a list. */
	assert_string_equal(s, "{\"first\":7,\"ids\":[7,9],\"missing\":null}");
	free(s);
	json_decref(data);

	assert_int_equal(prov_run_transform(response_of(dict, "rows"),
	    "{\"rows\": [1, 2", 14, NULL, &data, &cause), -1);
	assert_null(data);
	assert_non_null(strstr(cause, "not JSON"));
	free(cause);
	cause = NULL;

	/* json without transforms: the document. */
	assert_int_equal(prov_run_transform(response_of(dict, "jsonwhole"),
	    "[1,2]", 5, NULL, &data, &cause), 0);
	assert_int_equal(json_array_size(data), 2);
	json_decref(data);

	/* No format: null (the result's raw keeps the text). */
	assert_int_equal(prov_run_transform(response_of(dict, "plain"),
	    "x", 1, NULL, &data, &cause), 0);
	assert_true(json_is_null(data));
	json_decref(data);
	prov_dict_free(dict);
}

static void
test_transform_text(void **state)
{
	struct prov_dict *dict = load_dict();
	const char *out = "eth0 10.0.0.1\r\n\neth1 10.0.1.1\nlo 127.0.0.1\n";
	json_t *data, *in = json_pack("{s:i, s:s}", "port", 8443, "name",
	    "web"), *env = prov_run_env(in, NULL);
	char *cause = NULL, *s;

	(void)state;
	assert_int_equal(prov_run_transform(response_of(dict, "table"), out,
	    strlen(out), env, &data, &cause), 0);
	s = json_dumps(json_object_get(data, "intf"), JSON_COMPACT);
	assert_string_equal(s, "[{\"name\":\"eth0\",\"ip\":\"10.0.0.1\"},"
	    "{\"name\":\"eth1\",\"ip\":\"10.0.1.1\"}]");
	free(s);
	s = json_dumps(json_object_get(data, "lines"), JSON_COMPACT);
	assert_string_equal(s, "[\"eth0 10.0.0.1\",\"eth1 10.0.1.1\","
	    "\"lo 127.0.0.1\"]");
	free(s);
	/* first: the first match; one named group is the value itself. */
	assert_string_equal(json_string_value(json_object_get(data, "ip0")),
	    "10.0.0.1");
	s = json_dumps(json_object_get(data, "rec0"), JSON_COMPACT);
	assert_string_equal(s, "{\"name\":\"eth0\",\"ip\":\"10.0.0.1\"}");
	free(s);
	assert_true(json_is_null(json_object_get(data, "none")));
	json_decref(data);

	/* value: without input, said; with it, one tag keeps its type. */
	assert_int_equal(prov_run_transform(response_of(dict, "table"), out,
	    strlen(out), NULL, &data, &cause), -1);
	assert_non_null(strstr(cause, "transform port: no operation input"));
	free(cause);
	cause = NULL;
	assert_int_equal(prov_run_transform(response_of(dict, "table"), out,
	    strlen(out), env, &data, &cause), 0);
	assert_int_equal(json_integer_value(json_object_get(data, "port")),
	    8443);
	assert_string_equal(json_string_value(json_object_get(data, "label")),
	    "rule-web");
	json_decref(data);
	json_decref(env);
	json_decref(in);
	prov_dict_free(dict);
}

static void
test_mask(void **state)
{
	json_t *cs, *data, *secrets, *v;
	char *m;

	(void)state;
	cs = json_pack("{s:s, s:s, s:s, s:{s:s}}", "username", "admin",
	    "password", "hunter22", "api_token", "hunter22-longer",
	    "nested", "secret_key", "xyzzy");
	data = json_pack("{s:s, s:s, s:i}", "name", "web", "new_password",
	    "ab", "pin_key", 123456);
	secrets = prov_run_secrets(cs, data);
	/* "ab" is too short to mask; longest first. */
	assert_int_equal(json_array_size(secrets), 4);
	assert_string_equal(json_string_value(json_array_get(secrets, 0)),
	    "hunter22-longer");
	m = prov_run_mask_str("tok=hunter22-longer pw=hunter22 k=xyzzy "
	    "pin=123456 user=admin", secrets);
	assert_string_equal(m, "tok=******** pw=******** k=******** "
	    "pin=******** user=admin");
	free(m);

	v = json_pack("{s:s, s:[s, {s:s}]}", "raw", "the password is hunter22",
	    "steps", "xyzzy!", "error", "login hunter22 refused");
	prov_run_mask(v, secrets);
	assert_string_equal(json_string_value(json_object_get(v, "raw")),
	    "the password is ********");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(v, "steps"), 0)), "********!");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(v, "steps"), 1), "error")),
	    "login ******** refused");
	json_decref(v);
	json_decref(secrets);
	json_decref(cs);
	json_decref(data);
}

/* A socket callback for failures that must name the connect step. */
static int
refuse_socket(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	int *calls = arg;

	(*calls)++;
	*cause = strdup("no route to the test appliance");
	errno = EHOSTUNREACH;
	return -1;
}

static const char *
step_field(json_t *res, size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(res, "steps"), i), k));
}

static void
test_run_failures(void **state)
{
	struct prov_dict *dict = load_dict();
	struct prov_target t;
	struct prov_run_req rq;
	json_t *res, *cs, *data;
	int calls = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.name = "fw-1";
	t.address = "192.0.2.10";
	t.open_socket = refuse_socket;
	t.socket_arg = &calls;
	t.timeout_ms = 2000;
	cs = json_pack("{s:s, s:s}", "mgmt_ip", "192.0.2.10", "api_token",
	    "tok-SECRET-1");
	memset(&rq, 0, sizeof(rq));
	rq.cs_data = cs;

	/* Unknown service and operation. */
	rq.service = "NOPE";
	rq.operation = "list";
	assert_int_equal(prov_run_op(dict, &t, &rq, &res), -1);
	assert_string_equal(json_string_value(json_object_get(res, "status")),
	    "failed");
	assert_non_null(strstr(json_string_value(json_object_get(res,
	    "error")), "validate: no service"));
	json_decref(res);

	/* Bad input: every field named, nothing sent. */
	rq.service = "S";
	rq.operation = "plain";
	data = json_pack("{s:s, s:i, s:s}", "name", "UPPER", "port", 70000,
	    "colour", "red");
	rq.data = data;
	assert_int_equal(prov_run_op(dict, &t, &rq, &res), -1);
	assert_string_equal(step_field(res, 0, "step"), "validate");
	assert_string_equal(step_field(res, 0, "status"), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(res,
	    "error")), "name:"));
	assert_non_null(strstr(json_string_value(json_object_get(res,
	    "error")), "port:"));
	assert_non_null(strstr(json_string_value(json_object_get(res,
	    "error")), "colour:"));
	assert_int_equal(json_array_size(json_object_get(res, "steps")), 1);
	assert_int_equal(calls, 0);
	json_decref(res);
	json_decref(data);

	/* The socket is refused: the http step fails, naming the cause;
	 * the bearer token never shows. */
	data = json_pack("{s:s, s:s}", "name", "web", "secret_key",
	    "data-SECRET-2");
	rq.data = data;
	assert_int_equal(prov_run_op(dict, &t, &rq, &res), -1);
	assert_int_equal(calls, 1);
	assert_string_equal(step_field(res, 1, "step"), "http");
	assert_string_equal(step_field(res, 1, "status"), "failed");
	assert_string_equal(step_field(res, 1, "request"),
	    "GET http://192.0.2.10:8080/p");
	assert_non_null(strstr(json_string_value(json_object_get(res,
	    "error")), "no route to the test appliance"));
	{
		char *s = json_dumps(res, 0);

		assert_null(strstr(s, "SECRET"));
		free(s);
	}
	json_decref(res);
	json_decref(data);
	json_decref(cs);
	prov_dict_free(dict);
}

/*
 * The pool.  Each fake job checks, when it starts, that no other job of
 * its key is running and that the key's previous job was the one
 * submitted just before it.
 */
#define NKEYS	10
#define NJOBS	100

struct order {
	pthread_mutex_t	 mu;
	int		 last[NKEYS];	/* seq of the last job run per key */
	int		 running[NKEYS];
	int		 concurrent, max_concurrent;
	int		 violations;
	int		 done;
	char		 keys[NKEYS][16];
};

struct fjob {
	struct order	*o;
	int		 key;
	int		 seq;		/* per key, from 0 */
	int		 cancelled;
};

static json_t *
fake_job(void *arg, int cancel)
{
	struct fjob *j = arg;
	struct order *o = j->o;
	struct timespec ts = { 0, (long)(100 + (j->seq * 7 + j->key * 13) % 900)
	    * 1000 };
	int k = j->key, seq = j->seq;

	if (cancel) {
		free(j);
		return NULL;
	}
	pthread_mutex_lock(&o->mu);
	if (o->running[k] != 0 || o->last[k] != seq - 1)
		o->violations++;
	o->running[k] = 1;
	if (++o->concurrent > o->max_concurrent)
		o->max_concurrent = o->concurrent;
	pthread_mutex_unlock(&o->mu);
	nanosleep(&ts, NULL);	/* 0.1-1 ms of "I/O" */
	pthread_mutex_lock(&o->mu);
	o->running[k] = 0;
	o->last[k] = seq;
	o->concurrent--;
	pthread_mutex_unlock(&o->mu);
	free(j);
	return json_pack("{s:s, s:i, s:i}", "status", "success", "key", k,
	    "seq", seq);
}

static void
fake_done(void *arg, json_t *res)
{
	struct order *o = arg;

	pthread_mutex_lock(&o->mu);
	o->done++;
	pthread_mutex_unlock(&o->mu);
	json_decref(res);
}

static void
test_pool_order(void **state)
{
	struct prov_run_pool_opts po = { .workers = 4 };
	struct prov_run_pool *p;
	struct order o;
	struct fjob *j;
	int i, k, seq[NKEYS];
	char *cause = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	pthread_mutex_init(&o.mu, NULL);
	for (k = 0; k < NKEYS; k++) {
		o.last[k] = -1;
		seq[k] = 0;
		snprintf(o.keys[k], sizeof(o.keys[k]), "appliance-%d", k);
	}
	assert_int_equal(prov_run_pool_new(&po, &p, &cause), 0);
	/* Interleaved, uneven: key i % 7 % NKEYS, so some get more. */
	for (i = 0; i < NJOBS; i++) {
		k = (i * 3 + i / 7) % NKEYS;
		j = calloc(1, sizeof(*j));
		j->o = &o;
		j->key = k;
		j->seq = seq[k]++;
		assert_int_equal(prov_run_pool_submit(p, o.keys[k], fake_job,
		    j, fake_done, &o, &cause), 0);
	}
	prov_run_pool_drain(p);
	assert_int_equal(prov_run_pool_pending(p), 0);
	prov_run_pool_free(p);
	assert_int_equal(o.done, NJOBS);
	assert_int_equal(o.violations, 0);
	for (k = 0; k < NKEYS; k++)
		assert_int_equal(o.last[k], seq[k] - 1);
	/* Different appliances did run side by side. */
	assert_true(o.max_concurrent > 1);
	assert_true(o.max_concurrent <= 4);
	pthread_mutex_destroy(&o.mu);
}

/* A job that blocks until released, to hold a worker. */
struct gate {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 started;
	int		 open;
	int		 cancelled;
	int		 answered;
	int		 answered_cancelled;
};

static json_t *
gate_job(void *arg, int cancel)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->mu);
	if (cancel) {
		g->cancelled++;
		pthread_mutex_unlock(&g->mu);
		return NULL;
	}
	g->started++;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	return json_pack("{s:s}", "status", "success");
}

static void
gate_done(void *arg, json_t *res)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->mu);
	g->answered++;
	if (strstr(json_string_value(json_object_get(res, "error")) ?
	    json_string_value(json_object_get(res, "error")) : "",
	    "cancelled") != NULL)
		g->answered_cancelled++;
	pthread_mutex_unlock(&g->mu);
	json_decref(res);
}

static void
test_pool_limits(void **state)
{
	struct prov_run_pool_opts po = { .workers = 1, .max_queued = 3,
	    .max_per_key = 2 };
	struct prov_run_pool *p;
	struct gate g;
	char *cause = NULL;

	(void)state;
	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	assert_int_equal(prov_run_pool_new(&po, &p, &cause), 0);
	assert_int_equal(prov_run_pool_submit(p, "a", gate_job, &g, gate_done,
	    &g, &cause), 0);
	pthread_mutex_lock(&g.mu);
	while (g.started == 0)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
	/* "a" runs; two more may wait for it, not three. */
	assert_int_equal(prov_run_pool_submit(p, "a", gate_job, &g, gate_done,
	    &g, &cause), 0);
	assert_int_equal(prov_run_pool_submit(p, "a", gate_job, &g, gate_done,
	    &g, &cause), 0);
	assert_int_equal(prov_run_pool_submit(p, "a", gate_job, &g, gate_done,
	    &g, &cause), -EAGAIN);
	assert_non_null(strstr(cause, "appliance a has 2 operations queued"));
	free(cause);
	cause = NULL;
	/* The total: 2 queued + 1 = 3, then refused for any key. */
	assert_int_equal(prov_run_pool_submit(p, "b", gate_job, &g, gate_done,
	    &g, &cause), 0);
	assert_int_equal(prov_run_pool_submit(p, "c", gate_job, &g, gate_done,
	    &g, &cause), -EAGAIN);
	assert_non_null(strstr(cause, "the limit"));
	free(cause);
	cause = NULL;
	/* Stop with three queued: they are answered "cancelled". */
	pthread_mutex_lock(&g.mu);
	g.open = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	prov_run_pool_free(p);
	assert_int_equal(g.answered, 4);
	assert_int_equal(g.started + g.cancelled, 4);
	assert_int_equal(g.answered_cancelled, g.cancelled);
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mu);
}

/*
 * Kept connections, through the token side (no SSH needed): a token is
 * found again with the same credentials only, forgotten with its
 * appliance, and dropped after the idle time.
 */
static void
test_conns(void **state)
{
	struct prov_run_conns *p;
	unsigned char a[PROV_RUN_CRED_LEN], b[PROV_RUN_CRED_LEN];
	const char *pa[] = { "secret-1", NULL }, *pb[] = { "secret-2", NULL };
	const char *pn[] = { NULL, "secret-1" };
	char *tok, *cause = NULL;
	int i;

	(void)state;
	prov_run_cred(a, pa, 2);
	prov_run_cred(b, pb, 2);
	assert_memory_not_equal(a, b, PROV_RUN_CRED_LEN);
	prov_run_cred(b, pn, 2);	/* NULL and order count */
	assert_memory_not_equal(a, b, PROV_RUN_CRED_LEN);
	prov_run_cred(b, pa, 2);
	assert_memory_equal(a, b, PROV_RUN_CRED_LEN);

	assert_int_equal(prov_run_conns_new(&(struct prov_run_conns_opts){
	    .idle_ms = 300 }, &p, &cause), 0);
	assert_null(prov_run_conns_token_get(p, "k1", a));
	prov_run_conns_token_set(p, "k1", "fw-1", a, "tok-1");
	prov_run_conns_token_set(p, "k2", "fw-2", a, "tok-2");
	assert_int_equal(prov_run_conns_count(p), 2);
	tok = prov_run_conns_token_get(p, "k1", a);
	assert_string_equal(tok, "tok-1");
	free(tok);
	/* One per key: a second set replaces. */
	prov_run_conns_token_set(p, "k1", "fw-1", a, "tok-1b");
	assert_int_equal(prov_run_conns_count(p), 2);
	tok = prov_run_conns_token_get(p, "k1", a);
	assert_string_equal(tok, "tok-1b");
	free(tok);
	/* Other credentials: not found, and the old entry is closed. */
	prov_run_cred(b, pb, 2);
	assert_null(prov_run_conns_token_get(p, "k1", b));
	assert_null(prov_run_conns_token_get(p, "k1", a));
	assert_int_equal(prov_run_conns_count(p), 1);
	/* Forget an appliance. */
	prov_run_conns_forget(p, "fw-2");
	assert_int_equal(prov_run_conns_count(p), 0);
	/* Set NULL forgets. */
	prov_run_conns_token_set(p, "k3", "fw-3", a, "tok-3");
	prov_run_conns_token_set(p, "k3", "fw-3", a, NULL);
	assert_int_equal(prov_run_conns_count(p), 0);
	/* The reaper closes what stays unused past idle_ms. */
	prov_run_conns_token_set(p, "k4", "fw-4", a, "tok-4");
	for (i = 0; i < 40 && prov_run_conns_count(p) > 0; i++)
		usleep(100 * 1000);
	assert_int_equal(prov_run_conns_count(p), 0);
	/* No SSH connection kept for a key: nothing to take. */
	{
		struct sshx_conn *c;
		struct sshx_cli *cli;
		char *home;

		assert_int_equal(prov_run_conns_ssh_take(p, "ssh\nx", a, &c,
		    &cli, &home), 0);
		assert_int_equal(prov_run_conns_ssh_take(NULL, "ssh\nx", a,
		    &c, &cli, &home), 0);
	}
	prov_run_conns_free(p);
	prov_run_conns_free(NULL);
}

/* The limit on kept entries: the one idle the longest goes. */
static void
test_conns_limit(void **state)
{
	struct prov_run_conns *p;
	unsigned char a[PROV_RUN_CRED_LEN];
	const char *pa[] = { "s" };
	char key[16], *tok;
	int i;

	(void)state;
	prov_run_cred(a, pa, 1);
	assert_int_equal(prov_run_conns_new(&(struct prov_run_conns_opts){
	    .max = 3 }, &p, NULL), 0);
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		prov_run_conns_token_set(p, key, "fw", a, key);
		usleep(2000);
	}
	assert_int_equal(prov_run_conns_count(p), 3);
	assert_null(prov_run_conns_token_get(p, "k0", a));
	assert_null(prov_run_conns_token_get(p, "k1", a));
	tok = prov_run_conns_token_get(p, "k4", a);
	assert_string_equal(tok, "k4");
	free(tok);
	prov_run_conns_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_ok),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_transform_json),
		cmocka_unit_test(test_transform_text),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_run_failures),
		cmocka_unit_test(test_conns),
		cmocka_unit_test(test_conns_limit),
		cmocka_unit_test(test_pool_order),
		cmocka_unit_test(test_pool_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
