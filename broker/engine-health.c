/*
 * engine-health.c: the appliances the engine follows, their health
 * schedule and state, and the health and bootstrap handlers.  Health
 * checks and bootstraps are jobs (engine-jobs.c) in the appliance's own
 * queue, behind its operations.
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

static void	app_schedule(struct ops_app *, int);

/*
 * Health.
 */

/* The interval: the smallest of the checks', or the default. */
static int
dict_interval(const struct prov_dict *d)
{
	int iv = 0;
	size_t i;

	for (i = 0; d != NULL && i < d->nchecks; i++)
		if (d->checks[i].interval > 0 && (iv == 0 ||
		    d->checks[i].interval < iv))
			iv = d->checks[i].interval;
	return iv > 0 ? iv : PROV_DEFAULT_CHECK_INTERVAL;
}

/* Queue a health check of a; the job answers req when given. */
static int
app_health_submit(struct ops_app *a, struct engine_req *req, long wait)
{
	struct engine_ops *ops = a->ops;
	struct ops_job *j;
	json_t *app = engine_appliance(ops->e, a->name);
	const char *code;
	char *msg = NULL;
	int status, rc;

	if (app == NULL)
		return -1;
	if ((j = ops_job_new(ops, OPS_HEALTH, app, &status, &code, &msg)) ==
	    NULL) {
		if (req != NULL)
			engine_reply_error(req, status, code, NULL, "%s", msg);
		free(msg);
		return -1;
	}
	if ((rc = ops_job_submit(ops, j, req != NULL, &msg)) != 0) {
		if (req != NULL)
			ops_reply_submit_error(req, rc, msg);
		else {
			log_warn("health of %s: %s", a->name, msg);
			free(msg);
		}
		return -1;
	}
	a->health_queued = 1;
	if (req != NULL)
		ops_job_wait(ops, j, req, wait);
	return 0;
}

static void
app_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ops_app *a = arg;

	(void)fd;
	(void)ev;
	/* One at a time: a check still queued is not queued again. */
	if (!a->health_queued && !a->ops->stopping)
		app_health_submit(a, NULL, 0);
	app_schedule(a, a->interval);
}

static void
app_schedule(struct ops_app *a, int after)
{
	struct timeval tv;

	if (a->timer == NULL || a->ops->stopping)
		return;
	tv.tv_sec = after;
	tv.tv_usec = 0;
	evtimer_add(a->timer, &tv);
}

void
ops_app_free(struct ops_app *a)
{
	if (a->timer != NULL)
		event_free(a->timer);
	free(a->name);
	free(a->provider);
	free(a->boot_id);
	json_decref(a->last);
	json_decref(a->history);
	json_decref(a->boot_state);
	json_decref(a->boot_result);
	free(a);
}

/* Follow the view's appliances: new ones get a schedule. */
void
ops_apps_reload(struct engine_ops *ops)
{
	json_t *list = ops->e->view != NULL ?
	    json_object_get(ops->e->view, "appliances") : NULL, *v;
	struct ops_app *a, *tmp;
	struct ops_prov *p;
	const char *name, *pname;
	size_t i;
	int iv;

	TAILQ_FOREACH(a, &ops->apps, entry)
		a->seen = 0;
	json_array_foreach(list, i, v) {
		name = json_string_value(json_object_get(v, "name"));
		pname = json_string_value(json_object_get(v, "provider"));
		if (name == NULL)
			continue;
		if ((a = ops_app_lookup(ops, name)) == NULL) {
			a = xcalloc(1, sizeof(*a));
			a->ops = ops;
			a->name = xstrdup(name);
			a->hstate = "unknown";
			a->history = json_array();
			a->timer = evtimer_new(ops->e->base, app_timer_cb, a);
			TAILQ_INSERT_TAIL(&ops->apps, a, entry);
		}
		a->seen = 1;
		p = pname != NULL ? ops_prov_lookup(ops, pname) : NULL;
		iv = p != NULL && p->dict != NULL ? dict_interval(p->dict) : 0;
		if (pname == NULL || a->provider == NULL ||
		    strcmp(pname, a->provider) != 0 || iv != a->interval) {
			free(a->provider);
			a->provider = pname != NULL ? xstrdup(pname) : NULL;
			a->interval = iv;
			event_del(a->timer);
			if (iv > 0)
				app_schedule(a, iv < OPS_HEALTH_FIRST_S ? iv :
				    OPS_HEALTH_FIRST_S);
		}
	}
	TAILQ_FOREACH_SAFE(a, &ops->apps, entry, tmp) {
		if (a->seen)
			continue;
		TAILQ_REMOVE(&ops->apps, a, entry);
		if (ops->pool != NULL)
			prov_run_conns_forget(prov_run_pool_conns(ops->pool),
			    a->name);
		/* A bootstrap still running finds no app when it ends. */
		ops_app_free(a);
	}
}

void
engine_health_get(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct ops_app *a;

	if (ops_req_appliance(e, req, params[0]) == NULL)
		return;
	if ((a = ops_app_lookup(e->ops, params[0])) == NULL) {
		engine_reply_json(req, 200, json_pack("{s:s, s:s, s:n, s:[]}",
		    "appliance", params[0], "state", "unknown", "last",
		    "history"));
		return;
	}
	engine_reply_json(req, 200, json_pack("{s:s, s:s, s:O?, s:O, s:i}",
	    "appliance", a->name, "state", a->hstate, "last", a->last,
	    "history", a->history, "interval", a->interval));
}

void
engine_health_run(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct ops_app *a;
	long wait;

	if (ops_req_appliance(e, req, params[0]) == NULL)
		return;
	if (ops_req_wait(e, req, NULL, &wait) == -1)
		return;
	if ((a = ops_app_lookup(e->ops, params[0])) == NULL) {
		engine_reply_error(req, 409, "conflict", NULL, "appliance %s "
		    "is not ready for checks yet", params[0]);
		return;
	}
	app_health_submit(a, req, wait);
}

/*
 * Bootstrap.
 */

void
engine_bootstrap_start(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_ops *ops = e->ops;
	struct ops_app *a;
	struct ops_job *j;
	const char *code;
	json_t *app;
	char *msg = NULL;
	int status, rc;

	if ((app = ops_req_appliance(e, req, params[0])) == NULL)
		return;
	if ((a = ops_app_lookup(ops, params[0])) == NULL) {
		engine_reply_error(req, 409, "conflict", NULL, "appliance %s "
		    "is not ready yet", params[0]);
		return;
	}
	if (a->boot != NULL) {
		engine_reply_error(req, 409, "conflict", json_pack("[{s:s}]",
		    "job", a->boot->id), "a bootstrap of %s is already "
		    "running: job %s", a->name, a->boot->id);
		return;
	}
	if ((j = ops_job_new(ops, OPS_BOOT, app, &status, &code, &msg)) == NULL) {
		engine_reply_error(req, status, code, NULL, "%s", msg);
		free(msg);
		return;
	}
	if (!j->prov->dict->bootstrap.present) {
		engine_reply_error(req, 409, "conflict", NULL, "provider %s "
		    "has no bootstrap section", j->prov->name);
		ops_prov_unref(ops, j->prov);
		j->prov = NULL;
		ops_job_free(j);
		return;
	}
	/* Resume from what an earlier run of this engine saved. */
	if (a->boot_state != NULL)
		j->boot_state = json_deep_copy(a->boot_state);
	if ((rc = ops_job_submit(ops, j, 1, &msg)) != 0) {
		ops_reply_submit_error(req, rc, msg);
		return;
	}
	a->boot = j;
	free(a->boot_id);
	a->boot_id = xstrdup(j->id);
	engine_reply_json(req, 202, json_pack("{s:o}", "job", ops_job_json(j)));
}

void
engine_bootstrap_get(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_ops *ops = e->ops;
	struct ops_app *a;
	json_t *o, *progress = NULL;

	if (ops_req_appliance(e, req, params[0]) == NULL)
		return;
	a = ops_app_lookup(ops, params[0]);
	if (a == NULL || a->boot_id == NULL) {
		engine_reply_json(req, 200, json_pack("{s:s, s:s}",
		    "appliance", params[0], "state", "none"));
		return;
	}
	pthread_mutex_lock(&ops->mu);
	if (a->boot != NULL && a->boot->boot_state != NULL)
		progress = json_deep_copy(a->boot->boot_state);
	else if (a->boot_state != NULL)
		progress = json_deep_copy(a->boot_state);
	pthread_mutex_unlock(&ops->mu);
	o = json_pack("{s:s, s:s, s:s}", "appliance", a->name, "job",
	    a->boot_id, "state", a->boot != NULL ? ops_job_state_name(
	    __atomic_load_n(&a->boot->state, __ATOMIC_ACQUIRE)) : "done");
	if (progress != NULL) {
		/* The saved progress may hold a pending password. */
		prov_run_mask(progress, prov_run_secrets(NULL, progress));
		json_object_set_new(o, "progress", progress);
	}
	if (a->boot == NULL && a->boot_result != NULL)
		json_object_set_new(o, "result",
		    ops_mask_cs(json_deep_copy(a->boot_result)));
	engine_reply_json(req, 200, o);
}
