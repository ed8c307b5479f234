/*
 * The runner's worker pool: a fixed set of threads, and one FIFO queue
 * per key (appliance).
 *
 * A key is "ready" when it has queued jobs and none running; ready keys
 * wait in one FIFO list.  A worker takes the first ready key, runs that
 * key's oldest job, and when it is done puts the key back at the end of
 * the ready list if more jobs wait.  So one appliance never has two jobs
 * at once and its jobs run in submission order, while different
 * appliances share the workers round-robin: a key with a long queue
 * cannot starve the others.  Keys with nothing queued or running are
 * freed, so memory follows the work, not the number of appliances ever
 * seen.
 *
 * One mutex guards everything.  That is on purpose: a job is an SSH or
 * HTTP round trip (milliseconds), against which a lock held for a few
 * list operations is noise.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "provider/runner.h"

#define POOL_BUCKETS	1024

struct pjob {
	struct pjob	*next;
	prov_run_job_fn	 fn;
	void		*job;
	prov_run_done_fn done;
	void		*arg;
};

struct pkey {
	char		*key;
	struct pkey	*hnext;		/* hash chain */
	struct pkey	*rnext;		/* ready list */
	struct pjob	*head, *tail;
	size_t		 n;		/* queued */
	int		 running;
	int		 ready;
};

struct prov_run_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;
	pthread_cond_t	 idle;
	pthread_t	*threads;
	int		 nthreads;
	struct pkey	*buckets[POOL_BUCKETS];
	struct pkey	*rhead, *rtail;
	size_t		 queued;
	size_t		 running;
	size_t		 max_queued;
	size_t		 max_per_key;
	int		 stopping;
	struct prov_run_conns *conns;	/* kept connections, or NULL */
};

static size_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h % POOL_BUCKETS;
}

static struct pkey *
key_find(struct prov_run_pool *p, const char *key, int create)
{
	size_t b = key_hash(key);
	struct pkey *k;

	for (k = p->buckets[b]; k != NULL; k = k->hnext)
		if (strcmp(k->key, key) == 0)
			return k;
	if (!create)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->key = xstrdup(key);
	k->hnext = p->buckets[b];
	p->buckets[b] = k;
	return k;
}

static void
key_remove(struct prov_run_pool *p, struct pkey *k)
{
	struct pkey **pp;

	for (pp = &p->buckets[key_hash(k->key)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == k) {
			*pp = k->hnext;
			break;
		}
	free(k->key);
	free(k);
}

static void
ready_push(struct prov_run_pool *p, struct pkey *k)
{
	k->ready = 1;
	k->rnext = NULL;
	if (p->rtail != NULL)
		p->rtail->rnext = k;
	else
		p->rhead = k;
	p->rtail = k;
	pthread_cond_signal(&p->work);
}

static json_t *
cancelled(void)
{
	return json_pack("{s:s, s:s, s:[]}", "status", "failed", "error",
	    "cancelled: the worker pool stopped before the operation ran",
	    "steps");
}

static void *
pool_worker(void *arg)
{
	struct prov_run_pool *p = arg;
	struct pkey *k;
	struct pjob *j;
	json_t *res;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && p->rhead == NULL)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stopping)
			break;
		k = p->rhead;
		p->rhead = k->rnext;
		if (p->rhead == NULL)
			p->rtail = NULL;
		k->ready = 0;
		j = k->head;
		k->head = j->next;
		if (k->head == NULL)
			k->tail = NULL;
		k->n--;
		p->queued--;
		k->running = 1;
		p->running++;
		pthread_mutex_unlock(&p->mu);

		res = j->fn(j->job, 0);
		if (res == NULL)
			res = json_pack("{s:s, s:s, s:[]}", "status", "failed",
			    "error", "the job gave no result", "steps");
		j->done(j->arg, res);
		free(j);

		pthread_mutex_lock(&p->mu);
		k->running = 0;
		p->running--;
		if (k->head != NULL)
			ready_push(p, k);
		else
			key_remove(p, k);
		if (p->queued == 0 && p->running == 0)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
prov_run_pool_new(const struct prov_run_pool_opts *o,
    struct prov_run_pool **out, char **cause)
{
	struct prov_run_pool *p;
	int i, n, rc;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	n = o != NULL && o->workers > 0 ? o->workers : PROV_RUN_WORKERS;
	p->max_queued = o != NULL && o->max_queued > 0 ? o->max_queued :
	    PROV_RUN_MAX_QUEUED;
	p->max_per_key = o != NULL && o->max_per_key > 0 ? o->max_per_key :
	    PROV_RUN_MAX_PER_KEY;
	if ((o == NULL || !o->no_reuse) && (rc = prov_run_conns_new(
	    &(struct prov_run_conns_opts){ .idle_ms = o != NULL ? o->idle_ms :
	    0 }, &p->conns, cause)) != 0) {
		prov_run_pool_free(p);
		return rc;
	}
	p->threads = xcalloc((size_t)n, sizeof(*p->threads));
	for (i = 0; i < n; i++) {
		if ((rc = pthread_create(&p->threads[i], NULL, pool_worker,
		    p)) != 0) {
			if (cause != NULL)
				*cause = xasprintf("runner: cannot start "
				    "worker %d of %d: %s", i + 1, n,
				    strerror(rc));
			p->nthreads = i;
			prov_run_pool_free(p);
			return -rc;
		}
		p->nthreads = i + 1;
	}
	*out = p;
	return 0;
}

int
prov_run_pool_submit(struct prov_run_pool *p, const char *key,
    prov_run_job_fn fn, void *job, prov_run_done_fn done, void *arg,
    char **cause)
{
	struct pkey *k;
	struct pjob *j;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		rc = -ESHUTDOWN;
		if (cause != NULL)
			*cause = xstrdup("runner: the worker pool is "
			    "stopping; refused");
		goto out;
	}
	if (p->queued >= p->max_queued) {
		rc = -EAGAIN;
		if (cause != NULL)
			*cause = xasprintf("runner: %zu operations are "
			    "queued, the limit; refused", p->queued);
		goto out;
	}
	k = key_find(p, key, 1);
	if (k->n >= p->max_per_key) {
		rc = -EAGAIN;
		if (cause != NULL)
			*cause = xasprintf("runner: appliance %s has %zu "
			    "operations queued, the limit; refused", key,
			    k->n);
		goto out;
	}
	j = xcalloc(1, sizeof(*j));
	j->fn = fn;
	j->job = job;
	j->done = done;
	j->arg = arg;
	if (k->tail != NULL)
		k->tail->next = j;
	else
		k->head = j;
	k->tail = j;
	k->n++;
	p->queued++;
	if (!k->running && !k->ready)
		ready_push(p, k);
out:
	pthread_mutex_unlock(&p->mu);
	return rc;
}

struct prov_run_conns *
prov_run_pool_conns(struct prov_run_pool *p)
{
	return p->conns;
}

size_t
prov_run_pool_pending(struct prov_run_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->queued + p->running;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
prov_run_pool_drain(struct prov_run_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->queued > 0 || p->running > 0)
		pthread_cond_wait(&p->idle, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void
prov_run_pool_free(struct prov_run_pool *p)
{
	struct pkey *k, *kn;
	struct pjob *j, *jn;
	size_t b;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* No thread is left: answer what never ran. */
	for (b = 0; b < POOL_BUCKETS; b++)
		for (k = p->buckets[b]; k != NULL; k = kn) {
			kn = k->hnext;
			for (j = k->head; j != NULL; j = jn) {
				jn = j->next;
				j->fn(j->job, 1);
				j->done(j->arg, cancelled());
				free(j);
			}
			free(k->key);
			free(k);
		}
	prov_run_conns_free(p->conns);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}

/* prov_run_submit: one operation as a job. */

struct opjob {
	const struct prov_dict		*dict;
	struct prov_target		 t;	/* a copy: conns may be set */
	struct prov_run_req		 rq;
};

static void
opjob_free(struct opjob *j)
{
	free((char *)(uintptr_t)j->rq.service);
	free((char *)(uintptr_t)j->rq.operation);
	freezero_str((char *)(uintptr_t)j->rq.password);
	json_decref(j->rq.data);
	json_decref(j->rq.cs_data);
	free(j);
}

static json_t *
opjob_run(void *arg, int cancel)
{
	struct opjob *j = arg;
	json_t *res = NULL;

	if (!cancel)
		prov_run_op(j->dict, &j->t, &j->rq, &res);
	opjob_free(j);
	return res;
}

int
prov_run_submit(struct prov_run_pool *p, const struct prov_dict *dict,
    const struct prov_target *t, const struct prov_run_req *rq,
    prov_run_done_fn done, void *arg, char **cause)
{
	struct opjob *j;
	int rc;

	j = xcalloc(1, sizeof(*j));
	j->dict = dict;
	j->t = *t;
	if (j->t.conns == NULL)
		j->t.conns = p->conns;
	j->rq = *rq;
	j->rq.service = xstrdup(rq->service);
	j->rq.operation = xstrdup(rq->operation);
	j->rq.password = rq->password ? xstrdup(rq->password) : NULL;
	j->rq.data = rq->data ? json_deep_copy(rq->data) : NULL;
	j->rq.cs_data = rq->cs_data ? json_deep_copy(rq->cs_data) : NULL;
	rc = prov_run_pool_submit(p, t->name ? t->name : "", opjob_run, j,
	    done, arg, cause);
	if (rc != 0)
		opjob_free(j);
	return rc;
}
