/*
 * engine-ops.c: operations, jobs, the health schedule and bootstrap of the
 * engine role.
 *
 * Everything the API asks of an appliance becomes a job on the provider
 * runner's pool (provider/runner.h), keyed by the appliance's name: one
 * appliance's jobs run one at a time in submission order, different
 * appliances in parallel.  Operations, health checks (scheduled or asked
 * for) and bootstraps share that one queue per appliance, so a health
 * check never runs in the middle of a configuration change.
 *
 * THREADS.  Workers never touch the view, a request or the role runtime.
 * They talk to the loop through one mailbox (a mutex, three lists and a
 * pipe the loop watches):
 *
 *	- a finished job is put on the done list; the loop answers the
 *	  waiting client, keeps the result and drops the provider reference;
 *	- a worker that needs a socket in the appliance's network puts a
 *	  socket request on the socket list and waits on its condition
 *	  variable (with the connection's timeout); the loop checks the host
 *	  against the network and asks the parent (role_socket); the reply's
 *	  callback hands the descriptor over.  A worker that gave up leaves
 *	  the request marked abandoned, and the late descriptor is closed;
 *	- a bootstrap's save puts a write on the save list and waits the same
 *	  way, for the parent's answer to PRIV_STATE_PUT (role_request).
 *
 * A pipe rather than event_active() from a worker: it needs no
 * evthread_use_pthreads() before the base is made (the role runtime makes
 * the base), and a full pipe is harmless since one byte already wakes the
 * loop.
 *
 * JOBS.  Every job has an id "START-SEQ": START is random per start of the
 * engine, SEQ counts.  The engine keeps no state across a restart (it has
 * no state directory), so a well-formed id of another START names a job
 * of an engine that died or was restarted: it answers a failed job saying
 * so, never 404, since the operation may have run.  Finished jobs are kept
 * up to api.max_jobs, oldest dropped first.
 *
 * PROVIDERS.  Each provider YAML of the view is compiled once; a new view
 * recompiles only the texts that changed.  A job holds a reference to the
 * compiled dictionary it started with, so replacing or deleting a provider
 * never pulls it from under a running operation.  References are counted
 * on the loop thread only (taken at submit, dropped when the done list is
 * processed).
 *
 * FILES.  engine-ops.c (this one: providers, the operation and job
 * handlers, life cycle), engine-jobs.c (the job machinery and sockets),
 * engine-health.c (health schedule, bootstrap); engine-ops-int.h between
 * them.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "broker/engine.h"
#include "broker/engine-ops-int.h"
#include "broker/role.h"
#include "common/diag.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "provider/bootstrap.h"
#include "provider/dict.h"
#include "provider/health.h"
#include "provider/runner.h"
#include "provider/schema.h"

/*
 * Providers.
 */

void
ops_prov_unref(struct engine_ops *ops, struct ops_prov *p)
{
	if (p == NULL || --p->refs > 0)
		return;
	if (p->listed)
		TAILQ_REMOVE(&ops->provs, p, entry);
	prov_dict_free(p->dict);
	free(p->name);
	free(p->yaml);
	free(p->error);
	free(p);
}

struct ops_prov *
ops_prov_lookup(struct engine_ops *ops, const char *name)
{
	struct ops_prov *p;

	TAILQ_FOREACH(p, &ops->provs, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* Compile what changed in the view's providers; drop what is gone. */
void
ops_provs_reload(struct engine_ops *ops)
{
	json_t *list = ops->e->view != NULL ?
	    json_object_get(ops->e->view, "providers") : NULL;
	struct ops_prov *p, *tmp;
	struct diags d;
	const char *name, *yaml;
	char file[128];
	json_t *v;

	json_object_foreach(list, name, v) {
		yaml = json_string_value(json_object_get(v, "yaml"));
		if (yaml == NULL)
			continue;
		p = ops_prov_lookup(ops, name);
		if (p != NULL && strcmp(p->yaml, yaml) == 0)
			continue;
		if (p != NULL) {
			/* Replaced: running jobs keep the old one. */
			TAILQ_REMOVE(&ops->provs, p, entry);
			p->listed = 0;
			ops_prov_unref(ops, p);
		}
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		p->yaml = xstrdup(yaml);
		p->refs = 1;
		p->listed = 1;
		snprintf(file, sizeof(file), "provider %s", name);
		diags_init(&d, file);
		p->dict = prov_dict_parse(yaml, strlen(yaml), file, &d);
		if (p->dict == NULL) {
			p->error = diags_first_error(&d);
			if (p->error == NULL)
				p->error = xstrdup("does not compile");
			log_warn("provider %s: %s", name, p->error);
		} else
			log_info("provider %s compiled", name);
		diags_free(&d);
		TAILQ_INSERT_TAIL(&ops->provs, p, entry);
	}
	TAILQ_FOREACH_SAFE(p, &ops->provs, entry, tmp) {
		if (json_object_get(list, p->name) != NULL)
			continue;
		TAILQ_REMOVE(&ops->provs, p, entry);
		p->listed = 0;
		ops_prov_unref(ops, p);
	}
}

/* Is the data valid for svc?  Else answer 422 with every problem. */
static int
req_check_data(struct engine_req *req, const struct prov_service *svc,
    json_t *data)
{
	json_t *errors = NULL, *ok, *item, *all;
	size_t i;

	if (svc->schema == NULL)
		return 0;
	/* schema_validate() gives an errors array even when data is valid. */
	if (json_is_object(data)) {
		if ((ok = schema_validate(svc->schema, data, &errors)) != NULL) {
			json_decref(ok);
			json_decref(errors);
			return 0;
		}
	} else {
		all = json_array();
		json_array_foreach(data, i, item) {
			if (!json_is_object(item)) {
				json_array_append_new(all, json_sprintf(
				    "[%zu]: expected an object", i));
				continue;
			}
			if ((ok = schema_validate(svc->schema, item,
			    &errors)) != NULL) {
				json_decref(ok);
				json_decref(errors);
				errors = NULL;
				continue;
			}
			{
				json_t *m;
				size_t k;

				json_array_foreach(errors, k, m)
					json_array_append_new(all,
					    json_sprintf("[%zu].%s", i,
					    json_string_value(m)));
			}
			json_decref(errors);
			errors = NULL;
		}
		if (json_array_size(all) == 0) {
			json_decref(all);
			return 0;
		}
		errors = all;
	}
	engine_reply_error(req, 422, "invalid_object", errors != NULL ?
	    errors : json_array(), "data does not match service %s: %s",
	    svc->name, json_string_value(json_array_get(errors, 0)) ?:
	    "invalid");
	return -1;
}

void
engine_op_run(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_ops *ops = e->ops;
	const struct prov_service *svc;
	const struct prov_op *op;
	struct ops_prov *p;
	struct ops_job *j;
	json_t *app, *body = NULL, *data, *names, *v, *empty;
	const char *k, *code, *pname;
	size_t len, i;
	char *msg = NULL;
	long wait;
	int status, rc;

	if ((app = ops_req_appliance(e, req, params[0])) == NULL)
		return;
	if (engine_req_body(req, &len) != NULL && len > 0 &&
	    (body = engine_req_json(req)) == NULL)
		return;
	json_object_foreach(body, k, v)
		if (strcmp(k, "data") != 0 && strcmp(k, "wait") != 0) {
			engine_reply_error(req, 400, "invalid_field",
			    json_pack("[{s:s, s:s}]", "field", k, "message",
			    "unknown field (expected data, wait)"),
			    "%s: unknown field (expected data, wait)", k);
			return;
		}
	data = body != NULL ? json_object_get(body, "data") : NULL;
	if (data != NULL && !json_is_object(data) && !json_is_array(data)) {
		engine_reply_error(req, 400, "invalid_field", json_pack(
		    "[{s:s, s:s}]", "field", "data", "message",
		    "expected an object or a list of objects"),
		    "data: expected an object or a list of objects");
		return;
	}
	if (ops_req_wait(e, req, body, &wait) == -1)
		return;
	pname = json_string_value(json_object_get(app, "provider"));
	p = pname != NULL ? ops_prov_lookup(ops, pname) : NULL;
	if (p != NULL && p->dict != NULL) {
		if ((svc = prov_service_find(p->dict, params[1])) == NULL) {
			names = json_array();
			for (i = 0; i < p->dict->nservices; i++)
				json_array_append_new(names, json_string(
				    p->dict->services[i].name));
			engine_reply_error(req, 404, "not_found", names,
			    "provider %s has no service \"%s\"", pname,
			    params[1]);
			return;
		}
		if ((op = prov_op_find(svc, params[2])) == NULL) {
			names = json_array();
			for (i = 0; i < svc->nops; i++)
				json_array_append_new(names, json_string(
				    svc->ops[i].name));
			engine_reply_error(req, 404, "not_found", names,
			    "service %s of provider %s has no operation "
			    "\"%s\"", svc->name, pname, params[2]);
			return;
		}
		empty = json_object();
		rc = req_check_data(req, svc, data != NULL ? data : empty);
		json_decref(empty);
		if (rc == -1)
			return;
	}
	if ((j = ops_job_new(ops, OPS_OP, app, &status, &code, &msg)) == NULL) {
		engine_reply_error(req, status, code, NULL, "%s", msg);
		free(msg);
		return;
	}
	j->service = xstrdup(params[1]);
	j->operation = xstrdup(params[2]);
	j->data = data != NULL ? json_deep_copy(data) : json_object();
	if ((rc = ops_job_submit(ops, j, 1, &msg)) != 0) {
		ops_reply_submit_error(req, rc, msg);
		return;
	}
	ops_job_wait(ops, j, req, wait);
}

/* Parse "START-SEQ"; 0 when well-formed. */
static int
job_id_parse(const char *id, char *start, size_t slen)
{
	const char *dash = strchr(id, '-');
	size_t i, n;

	if (dash == NULL || (n = (size_t)(dash - id)) == 0 || n >= slen)
		return -1;
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdef", id[i]) == NULL)
			return -1;
	if (dash[1] == '\0' || strspn(dash + 1, "0123456789") !=
	    strlen(dash + 1) || strlen(dash + 1) > 20)
		return -1;
	memcpy(start, id, n);
	start[n] = '\0';
	return 0;
}

void
engine_job_get(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_ops *ops = e->ops;
	struct ops_job *j;
	char start[sizeof(ops->start)];

	/* Linear: at most max_jobs finished plus the pool's queue limit,
	 * scanned only on a GET. */
	TAILQ_FOREACH(j, &ops->jobs, entry)
		if (strcmp(j->id, params[0]) == 0) {
			engine_reply_json(req, 200, ops_job_json(j));
			return;
		}
	if (job_id_parse(params[0], start, sizeof(start)) == 0 &&
	    strcmp(start, ops->start) != 0) {
		engine_reply_json(req, 200, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:{s:s, s:s}}", "id", params[0], "state", "failed",
		    "error", OPS_RESTARTED, "restarted", 1, "result", "status",
		    "failed", "error", OPS_RESTARTED));
		return;
	}
	engine_reply_error(req, 404, "not_found", NULL, "no job \"%s\" (done "
	    "jobs are kept up to api.max_jobs)", params[0]);
}

/*
 * Life cycle.
 */

int
engine_ops_new(struct engine *e, char **cause)
{
	struct engine_ops *ops;
	unsigned char rnd[6];
	size_t i;

	*cause = NULL;
	ops = xcalloc(1, sizeof(*ops));
	ops->e = e;
	TAILQ_INIT(&ops->provs);
	TAILQ_INIT(&ops->apps);
	TAILQ_INIT(&ops->jobs);
	pthread_mutex_init(&ops->mu, NULL);
	ops->hostkeys = json_object();
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

		memcpy(rnd, &t, sizeof(rnd));
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(ops->start + 2 * i, 3, "%02x", rnd[i]);
	if (pipe2(ops->wake, O_NONBLOCK | O_CLOEXEC) == -1) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		free(ops);
		return -1;
	}
	ops->wake_ev = event_new(e->base, ops->wake[0], EV_READ | EV_PERSIST,
	    ops_wake_cb, ops);
	event_add(ops->wake_ev, NULL);
	e->ops = ops;
	return 0;
}

void
engine_ops_reload(struct engine *e)
{
	struct engine_ops *ops = e->ops;
	struct prov_run_pool_opts po;
	char *cause = NULL;

	if (ops == NULL)
		return;
	if (ops->pool == NULL && !ops->stopping) {
		/* api.workers is read once: changing it needs a restart of
		 * the engine role. */
		memset(&po, 0, sizeof(po));
		po.workers = (int)ops_setting(e, "workers", PROV_RUN_WORKERS);
		if (po.workers < 1 || po.workers > 256)
			po.workers = PROV_RUN_WORKERS;
		if (prov_run_pool_new(&po, &ops->pool, &cause) != 0) {
			log_error("worker pool: %s", cause);
			free(cause);
		}
	}
	ops_provs_reload(ops);
	ops_apps_reload(ops);
	/* Once, with the first view: providers are compiled by now. */
	if (!ops->boots_loaded && ops->pool != NULL) {
		ops->boots_loaded = 1;
		ops_boots_resume(ops);
	}
}

void
engine_ops_stop(struct engine *e)
{
	struct engine_ops *ops = e->ops;
	struct ops_app *a;

	if (ops == NULL)
		return;
	ops->stopping = 1;
	TAILQ_FOREACH(a, &ops->apps, entry)
		if (a->timer != NULL)
			event_del(a->timer);
}

void
engine_ops_free(struct engine *e)
{
	struct engine_ops *ops = e->ops;
	struct ops_prov *p;
	struct ops_app *a;
	struct ops_job *j;
	struct ops_sockreq *sr;

	if (ops == NULL)
		return;
	ops->stopping = 1;
	/* The API server is gone with its requests: answer no one. */
	TAILQ_FOREACH(j, &ops->jobs, entry)
		j->req = NULL;
	/* Workers waiting for a write or a socket give up at once, and
	 * ask for none after this. */
	ops_saves_close(ops);
	pthread_mutex_lock(&ops->mu);
	while ((sr = ops->sock_head) != NULL) {
		ops->sock_head = sr->next;
		sr->msg = xstrdup("the engine is stopping");
		sr->done = 1;
		pthread_cond_signal(&sr->cv);
		ops_sockreq_unref(sr);
	}
	ops->sock_tail = NULL;
	pthread_mutex_unlock(&ops->mu);
	/* Running jobs finish, queued ones are cancelled; all end up on
	 * the done list. */
	prov_run_pool_free(ops->pool);
	ops->pool = NULL;
	ops_wake_cb(ops->wake[0], EV_READ, ops);
	while ((j = TAILQ_FIRST(&ops->jobs)) != NULL) {
		TAILQ_REMOVE(&ops->jobs, j, entry);
		ops_prov_unref(ops, j->prov);
		ops_job_free(j);
	}
	while ((a = TAILQ_FIRST(&ops->apps)) != NULL) {
		TAILQ_REMOVE(&ops->apps, a, entry);
		ops_app_free(a);
	}
	while ((p = TAILQ_FIRST(&ops->provs)) != NULL) {
		p->refs = 1;
		ops_prov_unref(ops, p);
	}
	event_free(ops->wake_ev);
	close(ops->wake[0]);
	close(ops->wake[1]);
	json_decref(ops->hostkeys);
	pthread_mutex_destroy(&ops->mu);
	free(ops);
	e->ops = NULL;
}

int
engine_ops_provider_busy(struct engine *e, const char *provider)
{
	struct ops_job *j;

	if (e->ops == NULL)
		return 0;
	TAILQ_FOREACH(j, &e->ops->jobs, entry)
		if (j->prov != NULL && strcmp(j->prov->name, provider) == 0)
			return 1;
	return 0;
}
