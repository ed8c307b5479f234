/*
 * engine-ops-int.h: what engine-ops.c, engine-jobs.c and engine-health.c
 * share (the engine role's operations, jobs, health and bootstrap).  Not
 * for the rest of the engine: broker/engine.h is its interface.
 *
 *	engine-ops.c	providers, the operation and job handlers, life cycle
 *	engine-jobs.c	the job machinery: submit, the workers' mailbox,
 *			sockets from the parent, results back on the loop,
 *			state writes (bootstrap progress) through the parent
 *	engine-health.c	the health schedule, health and bootstrap handlers,
 *			bootstrap records: resumed at start, kept when done
 *
 * Threads: see engine-ops.c.  Fields marked "under mu" are read and
 * written with engine_ops.mu held; everything else belongs to the loop
 * thread, except a job's target and inputs, which a worker reads while
 * the job runs (they do not change then).
 */
#ifndef VB_BROKER_ENGINE_OPS_INT_H
#define VB_BROKER_ENGINE_OPS_INT_H

#include <sys/queue.h>

#include <netinet/in.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "broker/engine.h"
#include "provider/runner.h"

#define OPS_WAIT		30	/* api.wait default, seconds */
#define OPS_MAX_WAIT		3600	/* largest "wait" a client may ask */
#define OPS_MAX_JOBS		1000	/* api.max_jobs default */
#define OPS_OP_TIMEOUT		120	/* api.operation_timeout default */
#define OPS_HISTORY		20	/* health results kept per appliance */
#define OPS_SOCKET_TIMEOUT_MS	10000	/* when the runner gives none */
#define OPS_HEALTH_FIRST_S	5	/* first scheduled check after start */
#define OPS_SAVE_MIN_S		5	/* a bootstrap save waits at least, */
#define OPS_SAVE_MAX_S		60	/* and at most this for the parent */

/* glibc's sys/queue.h lacks the BSD _SAFE iterators. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define OPS_RESTARTED	"the engine restarted while this job ran; the " \
			"operation may have been applied"

enum ops_kind {
	OPS_OP = 1,
	OPS_HEALTH,
	OPS_BOOT,
};

enum ops_state {
	OPS_QUEUED = 0,
	OPS_RUNNING,
	OPS_DONE,
};

struct ops_prov {
	TAILQ_ENTRY(ops_prov) entry;
	char		*name;
	char		*yaml;
	struct prov_dict *dict;		/* NULL: did not compile */
	char		*error;		/* why not */
	int		 refs;		/* the list's and the jobs' */
	int		 listed;	/* still in the view */
};
TAILQ_HEAD(ops_provs, ops_prov);

struct ops_app;

struct ops_job {
	TAILQ_ENTRY(ops_job) entry;	/* ops->jobs; not for scheduled
					   health checks */
	struct ops_job	*dnext;		/* the done list */
	struct engine_ops *ops;
	char		 id[48];
	enum ops_kind	 kind;
	int		 listed;	/* in ops->jobs */
	int		 state;		/* enum ops_state; atomic */
	char		*appliance;
	char		*network;
	char		*address;
	char		*service;
	char		*operation;
	json_t		*data;
	json_t		*cs_data;
	struct ops_prov	*prov;
	struct prov_target t;
	int		 op_timeout_s;
	json_t		*boot_state;	/* bootstrap progress (under mu) */
	time_t		 boot_started;	/* when the bootstrap first started */
	long long	 boot_deadline;	/* monotonic ms; set by the worker */
	json_t		*result;
	time_t		 created;
	time_t		 finished;
	struct engine_req *req;		/* waiting client, or NULL */
	struct event	*wait_ev;
};
TAILQ_HEAD(ops_jobs, ops_job);

struct ops_app {
	TAILQ_ENTRY(ops_app) entry;
	struct engine_ops *ops;
	char		*name;
	char		*provider;
	struct event	*timer;
	int		 interval;	/* seconds */
	int		 health_queued;	/* a health job is queued/running */
	const char	*hstate;	/* unknown, healthy, unhealthy */
	json_t		*last;		/* last health result, or NULL */
	json_t		*history;	/* [{time, status, elapsed_ms}] */
	struct ops_job	*boot;		/* bootstrap running, or NULL */
	char		*boot_id;	/* the last bootstrap's job id */
	json_t		*boot_state;	/* saved progress, or NULL */
	json_t		*boot_result;	/* the last bootstrap's result */
	time_t		 boot_started;	/* of the last bootstrap, or 0 */
	int		 boot_resumed;	/* resumed by the engine at start */
	int		 boot_unfinished; /* its record says not finished, and
					   no job runs it (not resumable) */
	int		 seen;
};
TAILQ_HEAD(ops_apps, ops_app);

struct ops_sockreq {
	struct ops_sockreq *next;
	struct engine_ops *ops;
	char		*appliance;
	char		*network;
	char		*address;
	char		 host[INET6_ADDRSTRLEN];
	int		 domain;
	int		 refs;		/* worker and loop; under mu */
	int		 done;
	int		 abandoned;
	int		 fd;
	char		*msg;
	long		 handle;
	pthread_cond_t	 cv;
};

/*
 * A write to the parent asked from a worker (a bootstrap's save) or from
 * the loop (a finished bootstrap, rotated credentials): kind/name and the
 * JSON text, sent as PRIV_STATE_PUT on the loop.  A worker waits on cv
 * for the answer; refs: the asker's and the loop's (under mu).  The text
 * may hold a password: it is zeroed when freed.
 */
struct ops_savereq {
	struct ops_savereq *next;	/* ops->save_head; then the sent list */
	struct ops_savereq *sprev, *snext;	/* ops->saves_sent (loop) */
	struct engine_ops *ops;
	char		 kind[16];
	char		 name[64];
	char		*text;
	int		 refs;
	int		 done;
	int		 code;		/* 0, or the parent's or our error */
	char		*msg;
	int		 nowait;	/* nobody waits: log a failure */
	pthread_cond_t	 cv;
};

struct engine_ops {
	struct engine	*e;
	struct prov_run_pool *pool;
	char		 start[20];	/* this start's id */
	uint64_t	 seq;
	struct ops_provs provs;
	struct ops_apps	 apps;
	struct ops_jobs	 jobs;
	size_t		 njobs_done;
	int		 stopping;
	int		 boots_loaded;	/* the first view's records were read */
	struct ops_savereq *saves_sent;	/* waiting for the parent (loop) */

	pthread_mutex_t	 mu;		/* guards what follows */
	struct ops_job	*done_head, *done_tail;
	struct ops_sockreq *sock_head, *sock_tail;
	struct ops_savereq *save_head, *save_tail;
	int		 closed;	/* the loop is gone: workers ask nothing */
	json_t		*hostkeys;	/* appliance -> "HOST:PORT" -> SHA256 */
	int		 wake[2];	/* pipe: workers write, loop reads */
	struct event	*wake_ev;
};

/* engine-jobs.c */
void	ops_sockreq_unref(struct ops_sockreq *);
long	ops_setting(struct engine *e, const char *key, long def);
void	ops_wakeup(struct engine_ops *ops);
void	ops_wake_cb(evutil_socket_t fd, short ev, void *arg);
/* A job for appliance app (view object); NULL with status, code, msg. */
struct ops_job *ops_job_new(struct engine_ops *ops, enum ops_kind kind,
	    json_t *app, int *status, const char **code, char **msg);
/* Queue j; 0, or 429/503 with msg (j freed). */
int	ops_job_submit(struct engine_ops *ops, struct ops_job *j, int listed,
	    char **msg);
/* Answer req with the result within wait seconds, else 202 {job}. */
void	ops_job_wait(struct engine_ops *ops, struct ops_job *j,
	    struct engine_req *req, long wait);
json_t	*ops_job_json(struct ops_job *j);
const char *ops_job_state_name(int st);
void	ops_job_free(struct ops_job *j);
json_t	*ops_mask_cs(json_t *res);
void	ops_reply_submit_error(struct engine_req *req, int rc, char *msg);
int	ops_req_wait(struct engine *e, struct engine_req *req, json_t *body,
	    long *wait);
json_t	*ops_req_appliance(struct engine *e, struct engine_req *req,
	    const char *name);
struct ops_app *ops_app_lookup(struct engine_ops *ops, const char *name);
void	ops_app_health_result(struct ops_app *a, json_t *res);
/* Loop: send kind/name (JSON text, copied) to the parent; the answer is
 * logged only.  For writes nobody waits for. */
void	ops_state_put(struct engine_ops *ops, const char *kind,
	    const char *name, const char *text);
/* Loop: send every write the workers queued, now (before a write of
 * the loop's own that must come after them). */
void	ops_saves_flush(struct engine_ops *ops);
/* Loop, at exit: every write still waiting fails ("stopping"). */
void	ops_saves_close(struct engine_ops *ops);

/* engine-ops.c */
void	ops_prov_unref(struct engine_ops *ops, struct ops_prov *p);
struct ops_prov *ops_prov_lookup(struct engine_ops *ops, const char *name);
void	ops_provs_reload(struct engine_ops *ops);

/* engine-health.c */
void	ops_apps_reload(struct engine_ops *ops);
void	ops_app_free(struct ops_app *a);
/* First view: resume every bootstrap whose record is not finished. */
void	ops_boots_resume(struct engine_ops *ops);
/* Loop: a bootstrap job ended; keep and persist its result. */
void	ops_boot_finished(struct engine_ops *ops, struct ops_app *a,
	    struct ops_job *j);
/* A bootstrap record (a new object): progress and, when finished, the
 * result.  Reads only what a job does not change while it runs. */
json_t	*ops_boot_record(struct ops_job *j, json_t *progress, int finished,
	    json_t *result);

#endif
