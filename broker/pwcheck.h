/*
 * Password hash checks off the event loop.
 *
 * A modern hash (yescrypt, bcrypt) costs milliseconds by design; a role
 * has one event loop, so a burst of logins would stall every tunnel.
 * pwcheck runs crypt_r(3) on a worker thread and calls back on the loop.
 * The queue is bounded: a full one refuses at once (-EBUSY) instead of
 * letting wrong-password floods build an unbounded backlog.
 */
#ifndef BROKER_PWCHECK_H
#define BROKER_PWCHECK_H

#include <stddef.h>

struct event_base;
struct pwcheck;

/* ok: 1 the password matches, 0 it does not (or the hash is unusable). */
typedef void (*pwcheck_cb)(int ok, void *arg);

#define PWCHECK_QUEUE_MAX	64	/* checks waiting or running */
#define PWCHECK_INPUT_MAX	1024	/* bytes of password, of hash */

struct pwcheck	*pwcheck_new(struct event_base *base, size_t queue_max);
/*
 * Check pass against hash; cb(ok, arg) runs later on the loop, never from
 * inside this call.  Returns a handle > 0, or -EBUSY (queue full),
 * -EINVAL (input too long).  The password is copied, and the copy is
 * zeroed as soon as it has been hashed.
 */
long		 pwcheck_submit(struct pwcheck *pw, const char *pass,
		    const char *hash, pwcheck_cb cb, void *arg);
/* The callback will not run (the caller is going away). */
void		 pwcheck_cancel(struct pwcheck *pw, long handle);
/* Checks in the queue or running. */
size_t		 pwcheck_pending(const struct pwcheck *pw);
/* Stops the worker after its current check; pending callbacks never run. */
void		 pwcheck_free(struct pwcheck *pw);

/* The check itself, synchronous: 1 match, 0 not. */
int		 pwcheck_verify(const char *pass, const char *hash);

#endif
