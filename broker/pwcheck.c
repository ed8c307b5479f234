/*
 * Password hash checks on a worker thread (see pwcheck.h).
 *
 * One worker: a role is one process on a small VM, and one thread busy
 * hashing is what the design allows a role to spend on logins.  Jobs move
 * queue -> running -> done under one mutex; the worker writes a byte to a
 * pipe for each finished job and the loop's read event delivers them one
 * at a time, so a callback may cancel any other job (even one finished in
 * the same batch) and it will not be called.
 */
#include "config.h"

#include <sys/queue.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "broker/pwcheck.h"
#include "common/log.h"
#include "common/xmalloc.h"

struct pwjob {
	TAILQ_ENTRY(pwjob)	 entry;
	long			 id;
	char			*pass;
	size_t			 passlen;
	char			*hash;
	pwcheck_cb		 cb;	/* NULL once cancelled */
	void			*arg;
	int			 ok;
};
TAILQ_HEAD(pwjobs, pwjob);

struct pwcheck {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	pthread_t		 thread;
	int			 started;
	int			 stop;
	struct pwjobs		 queue;
	struct pwjob		*running;
	struct pwjobs		 done;
	size_t			 count;		/* queue + running + done */
	size_t			 max;
	long			 next_id;
	int			 pipe[2];
	struct event		*ev;
};

static void
pwjob_free(struct pwjob *j)
{
	if (j == NULL)
		return;
	if (j->pass != NULL) {
		explicit_bzero(j->pass, j->passlen);
		free(j->pass);
	}
	free(j->hash);
	free(j);
}

int
pwcheck_verify(const char *pass, const char *hash)
{
	struct crypt_data *cd;
	const char *res;
	size_t n = strlen(hash);
	int ok;

	cd = xcalloc(1, sizeof(*cd));
	res = crypt_r(pass, hash, cd);
	ok = res != NULL && res[0] != '*' && strlen(res) == n &&
	    CRYPTO_memcmp(res, hash, n) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static void *
pwcheck_worker(void *arg)
{
	struct pwcheck *pw = arg;
	struct pwjob *j;
	char c = 1;
	int ok;

	pthread_mutex_lock(&pw->mtx);
	for (;;) {
		while (!pw->stop && TAILQ_EMPTY(&pw->queue))
			pthread_cond_wait(&pw->cond, &pw->mtx);
		if (pw->stop)
			break;
		j = TAILQ_FIRST(&pw->queue);
		TAILQ_REMOVE(&pw->queue, j, entry);
		pw->running = j;
		pthread_mutex_unlock(&pw->mtx);

		ok = pwcheck_verify(j->pass, j->hash);
		explicit_bzero(j->pass, j->passlen);

		pthread_mutex_lock(&pw->mtx);
		pw->running = NULL;
		j->ok = ok;
		TAILQ_INSERT_TAIL(&pw->done, j, entry);
		/* A full pipe already holds a wake-up; nothing is lost. */
		if (write(pw->pipe[1], &c, 1) == -1 && errno != EAGAIN)
			log_warn("pwcheck: waking the loop: %s",
			    strerror(errno));
	}
	pthread_mutex_unlock(&pw->mtx);
	return NULL;
}

static void
pwcheck_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct pwcheck *pw = arg;
	struct pwjob *j;
	char buf[64];
	pwcheck_cb cb;
	void *cbarg;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	for (;;) {
		pthread_mutex_lock(&pw->mtx);
		if ((j = TAILQ_FIRST(&pw->done)) != NULL) {
			TAILQ_REMOVE(&pw->done, j, entry);
			pw->count--;
		}
		pthread_mutex_unlock(&pw->mtx);
		if (j == NULL)
			break;
		cb = j->cb;
		cbarg = j->arg;
		if (cb != NULL)
			cb(j->ok, cbarg);
		pwjob_free(j);
	}
}

struct pwcheck *
pwcheck_new(struct event_base *base, size_t queue_max)
{
	struct pwcheck *pw;
	sigset_t all, old;
	int r;

	pw = xcalloc(1, sizeof(*pw));
	pthread_mutex_init(&pw->mtx, NULL);
	pthread_cond_init(&pw->cond, NULL);
	TAILQ_INIT(&pw->queue);
	TAILQ_INIT(&pw->done);
	pw->max = queue_max > 0 ? queue_max : PWCHECK_QUEUE_MAX;
	pw->next_id = 1;
	if (pipe2(pw->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pwcheck: pipe: %s", strerror(errno));
	pw->ev = event_new(base, pw->pipe[0], EV_READ | EV_PERSIST,
	    pwcheck_deliver, pw);
	if (pw->ev == NULL || event_add(pw->ev, NULL) != 0)
		fatal("pwcheck: cannot watch the worker's pipe");
	/* Signals belong to the loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&pw->thread, NULL, pwcheck_worker, pw);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		fatal("pwcheck: cannot start the worker: %s", strerror(r));
	pw->started = 1;
	return pw;
}

long
pwcheck_submit(struct pwcheck *pw, const char *pass, const char *hash,
    pwcheck_cb cb, void *arg)
{
	struct pwjob *j;
	size_t lp = strlen(pass), lh = strlen(hash);
	long id;

	if (lp > PWCHECK_INPUT_MAX || lh > PWCHECK_INPUT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&pw->mtx);
	if (pw->count >= pw->max) {
		pthread_mutex_unlock(&pw->mtx);
		return -EBUSY;
	}
	pthread_mutex_unlock(&pw->mtx);
	j = xcalloc(1, sizeof(*j));
	j->passlen = lp + 1;
	j->pass = xmalloc(j->passlen);
	memcpy(j->pass, pass, j->passlen);
	j->hash = xstrdup(hash);
	j->cb = cb;
	j->arg = arg;
	pthread_mutex_lock(&pw->mtx);
	id = j->id = pw->next_id++;
	if (pw->next_id <= 0)
		pw->next_id = 1;
	TAILQ_INSERT_TAIL(&pw->queue, j, entry);
	pw->count++;
	pthread_cond_signal(&pw->cond);
	pthread_mutex_unlock(&pw->mtx);
	return id;
}

void
pwcheck_cancel(struct pwcheck *pw, long handle)
{
	struct pwjob *j;

	if (handle <= 0)
		return;
	pthread_mutex_lock(&pw->mtx);
	TAILQ_FOREACH(j, &pw->queue, entry)
		if (j->id == handle) {
			TAILQ_REMOVE(&pw->queue, j, entry);
			pw->count--;
			pthread_mutex_unlock(&pw->mtx);
			pwjob_free(j);
			return;
		}
	if (pw->running != NULL && pw->running->id == handle)
		pw->running->cb = NULL;
	TAILQ_FOREACH(j, &pw->done, entry)
		if (j->id == handle)
			j->cb = NULL;
	pthread_mutex_unlock(&pw->mtx);
}

size_t
pwcheck_pending(const struct pwcheck *pw)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&pw->mtx);
	n = pw->count;
	pthread_mutex_unlock((pthread_mutex_t *)&pw->mtx);
	return n;
}

void
pwcheck_free(struct pwcheck *pw)
{
	struct pwjob *j;

	if (pw == NULL)
		return;
	if (pw->started) {
		pthread_mutex_lock(&pw->mtx);
		pw->stop = 1;
		pthread_cond_signal(&pw->cond);
		pthread_mutex_unlock(&pw->mtx);
		pthread_join(pw->thread, NULL);
	}
	while ((j = TAILQ_FIRST(&pw->queue)) != NULL) {
		TAILQ_REMOVE(&pw->queue, j, entry);
		pwjob_free(j);
	}
	while ((j = TAILQ_FIRST(&pw->done)) != NULL) {
		TAILQ_REMOVE(&pw->done, j, entry);
		pwjob_free(j);
	}
	if (pw->ev != NULL)
		event_free(pw->ev);
	close(pw->pipe[0]);
	close(pw->pipe[1]);
	pthread_cond_destroy(&pw->cond);
	pthread_mutex_destroy(&pw->mtx);
	free(pw);
}
