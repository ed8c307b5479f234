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
#include "broker/priv-proto.h"
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
static void	app_boot_load(struct ops_app *, json_t *);

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

/*
 * A new appliance's host keys, from its record in the view (the parent
 * checked it).  Keys the engine holds already are kept: they are newer
 * than a view that was sent before their save.
 */
static void
app_hostkeys_load(struct ops_app *a, json_t *rec)
{
	struct engine_ops *ops = a->ops;
	json_t *keys = json_object_get(rec, "keys");

	if (json_object_size(keys) == 0)
		return;
	pthread_mutex_lock(&ops->mu);
	if (json_object_get(ops->hostkeys, a->name) == NULL)
		json_object_set_new(ops->hostkeys, a->name,
		    json_deep_copy(keys));
	pthread_mutex_unlock(&ops->mu);
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
			app_boot_load(a, json_object_get(json_object_get(
			    ops->e->view, "bootstraps"), name));
			app_hostkeys_load(a, json_object_get(json_object_get(
			    ops->e->view, "hostkeys"), name));
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
		/* Its host keys went with it in the parent too. */
		pthread_mutex_lock(&ops->mu);
		json_object_del(ops->hostkeys, a->name);
		pthread_mutex_unlock(&ops->mu);
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
 *
 * The parent keeps one record per appliance (broker/parent-state.c):
 * {name, job, started, finished, progress, result}.  The engine reads the
 * records of the first view it gets (a new appliance's later), resumes
 * those not finished, and writes one after every step of a bootstrap
 * (engine-jobs.c, boot_save) and when it ends (ops_boot_finished).
 */

/* Take over what a record of the parent says (rec may be NULL). */
static void
app_boot_load(struct ops_app *a, json_t *rec)
{
	json_t *progress, *result;
	const char *job;

	if (!json_is_object(rec) ||
	    (job = json_string_value(json_object_get(rec, "job"))) == NULL)
		return;
	free(a->boot_id);
	a->boot_id = xstrdup(job);
	a->boot_started = (time_t)json_integer_value(json_object_get(rec,
	    "started"));
	progress = json_object_get(rec, "progress");
	json_decref(a->boot_state);
	a->boot_state = json_object_size(progress) > 0 ?
	    json_deep_copy(progress) : NULL;
	result = json_object_get(rec, "result");
	json_decref(a->boot_result);
	a->boot_result = json_is_object(result) ? json_deep_copy(result) :
	    NULL;
	a->boot_unfinished = !json_is_true(json_object_get(rec, "finished"));
}

/*
 * A bootstrap job for a (view object app), resuming a->boot_state.  NULL
 * with *status, *code and *msg when it cannot run.
 */
static struct ops_job *
app_boot_job(struct ops_app *a, json_t *app, int *status, const char **code,
    char **msg)
{
	struct engine_ops *ops = a->ops;
	struct ops_job *j;

	if ((j = ops_job_new(ops, OPS_BOOT, app, status, code, msg)) == NULL)
		return NULL;
	if (!j->prov->dict->bootstrap.present) {
		*status = 409;
		*code = "conflict";
		*msg = xasprintf("provider %s has no bootstrap section",
		    j->prov->name);
		ops_prov_unref(ops, j->prov);
		j->prov = NULL;
		ops_job_free(j);
		return NULL;
	}
	/* Resume from what was saved (this engine's or an earlier one's). */
	if (a->boot_state != NULL)
		j->boot_state = json_deep_copy(a->boot_state);
	return j;
}

void
ops_boots_resume(struct engine_ops *ops)
{
	struct ops_app *a;
	struct ops_job *j;
	const char *code, *phase;
	json_t *app;
	char *msg = NULL;
	int status, rc;

	TAILQ_FOREACH(a, &ops->apps, entry) {
		if (!a->boot_unfinished || a->boot != NULL)
			continue;
		if ((app = engine_appliance(ops->e, a->name)) == NULL)
			continue;
		if ((j = app_boot_job(a, app, &status, &code, &msg)) == NULL) {
			log_error("bootstrap of %s: not resumed: %s (a POST "
			    "of .../bootstrap resumes it)", a->name, msg);
			free(msg);
			msg = NULL;
			continue;
		}
		j->boot_started = a->boot_started;
		phase = json_string_value(json_object_get(a->boot_state,
		    "phase"));
		if ((rc = ops_job_submit(ops, j, 1, &msg)) != 0) {
			log_error("bootstrap of %s: not resumed: %s", a->name,
			    msg != NULL ? msg : "queue full");
			free(msg);
			msg = NULL;
			continue;
		}
		a->boot = j;
		a->boot_resumed = 1;
		a->boot_unfinished = 0;
		log_info("bootstrap of %s: resumed as job %s (was %s, at phase "
		    "%s)", a->name, j->id, a->boot_id, phase != NULL ? phase :
		    "reachable");
		free(a->boot_id);
		a->boot_id = xstrdup(j->id);
	}
}

/* A record's text, within what the parent takes: a result too large
 * loses its steps' results, then its steps (the progress is what
 * matters for resuming). */
static char *
boot_record_text(struct ops_job *j, json_t *progress, json_t *result)
{
	json_t *rec, *res, *st;
	char *text;
	size_t i;
	int pass;

	res = json_deep_copy(result);
	for (pass = 0;; pass++) {
		rec = ops_boot_record(j, progress, 1, res);
		text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(rec);
		if (text == NULL || strlen(text) <= PRIV_STATE_MAX || pass == 2)
			break;
		freezero_str(text);
		text = NULL;
		if (pass == 0)
			json_array_foreach(json_object_get(res, "steps"), i, st)
				json_object_del(st, "result");
		else
			json_object_set_new(res, "steps", json_array());
	}
	json_decref(res);
	if (text != NULL && strlen(text) > PRIV_STATE_MAX) {
		freezero_str(text);
		text = NULL;
	}
	return text;
}

/*
 * The bootstrap rotated credentials (the result's cs_data): later jobs
 * must use them.  An appliance registered through the API is written
 * again with them (the parent pushes the new view); one of broker.yaml
 * cannot be written from here, so the log says what to change.
 */
static void
boot_rotated_creds(struct engine_ops *ops, struct ops_app *a, json_t *res)
{
	json_t *app = engine_appliance(ops->e, a->name), *cs, *upd, *v, *o;
	const char *k, *origin;
	char keys[256], *text;
	size_t n = 0;

	upd = json_object_get(res, "cs_data");
	if (app == NULL || json_object_size(upd) == 0)
		return;
	cs = json_object_get(app, "cs_data");
	keys[0] = '\0';
	json_object_foreach(upd, k, v) {
		if (json_equal(json_object_get(cs, k), v))
			continue;
		if (strlen(keys) + strlen(k) + 3 < sizeof(keys))
			snprintf(keys + strlen(keys), sizeof(keys) -
			    strlen(keys), "%s%s", n > 0 ? ", " : "", k);
		n++;
	}
	if (n == 0)
		return;
	origin = json_string_value(json_object_get(app, "origin"));
	if (origin == NULL || strcmp(origin, "state") != 0) {
		log_warn("bootstrap of %s rotated cs_data %s, but the appliance "
		    "is defined in broker.yaml: put the new value%s (the "
		    "bootstrap result's cs_data) in its cs_data there and "
		    "reload, or later operations use the old one%s", a->name,
		    keys, n == 1 ? "" : "s", n == 1 ? "" : "s");
		return;
	}
	o = json_deep_copy(app);
	json_object_del(o, "origin");
	if (!json_is_object(json_object_get(o, "cs_data")))
		json_object_set_new(o, "cs_data", json_object());
	json_object_update(json_object_get(o, "cs_data"), upd);
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		return;
	ops_state_put(ops, "appliance", a->name, text);
	freezero_str(text);
	log_info("bootstrap of %s rotated cs_data %s: the registered appliance "
	    "is updated", a->name, keys);
}

void
ops_boot_finished(struct engine_ops *ops, struct ops_app *a,
    struct ops_job *j)
{
	const char *st = json_string_value(json_object_get(j->result,
	    "status"));
	char *text;

	a->boot = NULL;
	json_decref(a->boot_result);
	a->boot_result = json_incref(j->result);
	pthread_mutex_lock(&ops->mu);
	json_decref(a->boot_state);
	a->boot_state = j->boot_state != NULL ?
	    json_deep_copy(j->boot_state) : NULL;
	pthread_mutex_unlock(&ops->mu);
	/*
	 * A bootstrap cut short because this engine is stopping did not
	 * finish: its record stays as the last save left it, so the next
	 * start resumes it.
	 */
	if (ops->stopping)
		return;
	if ((text = boot_record_text(j, a->boot_state, j->result)) == NULL)
		log_error("bootstrap of %s: its result is too large to keep",
		    a->name);
	else {
		ops_state_put(ops, "bootstrap", a->name, text);
		freezero_str(text);
	}
	if (st != NULL && strcmp(st, "success") == 0)
		boot_rotated_creds(ops, a, j->result);
}

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
	if ((j = app_boot_job(a, app, &status, &code, &msg)) == NULL) {
		engine_reply_error(req, status, code, NULL, "%s", msg);
		free(msg);
		return;
	}
	j->boot_started = time(NULL);
	if ((rc = ops_job_submit(ops, j, 1, &msg)) != 0) {
		ops_reply_submit_error(req, rc, msg);
		return;
	}
	a->boot = j;
	a->boot_started = j->boot_started;
	a->boot_resumed = 0;
	a->boot_unfinished = 0;
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
	json_t *o, *progress = NULL, *secrets;
	const char *state;

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
	if (a->boot != NULL)
		state = ops_job_state_name(__atomic_load_n(&a->boot->state,
		    __ATOMIC_ACQUIRE));
	else
		state = a->boot_unfinished ? "interrupted" : "done";
	o = json_pack("{s:s, s:s, s:s, s:b}", "appliance", a->name, "job",
	    a->boot_id, "state", state, "resumed", a->boot_resumed);
	if (a->boot_started > 0)
		json_object_set_new(o, "started",
		    json_integer((json_int_t)a->boot_started));
	if (progress != NULL) {
		/* The saved progress may hold a pending password. */
		secrets = prov_run_secrets(NULL, progress);
		prov_run_mask(progress, secrets);
		json_decref(secrets);
		json_object_set_new(o, "progress", progress);
	}
	if (a->boot == NULL && a->boot_result != NULL)
		json_object_set_new(o, "result",
		    ops_mask_cs(json_deep_copy(a->boot_result)));
	engine_reply_json(req, 200, o);
}
