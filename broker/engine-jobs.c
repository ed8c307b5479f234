/*
 * engine-jobs.c: the engine's job machinery: jobs made, queued on the
 * runner's pool (key: the appliance), run on a worker, and finished on
 * the loop; the workers' mailbox; sockets in an appliance's network,
 * asked of the parent on the loop for a worker; writes to the state
 * directory (a bootstrap's progress), likewise.  The design is in the
 * comment at the top of engine-ops.c.
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
#include "broker/state-records.h"
#include "common/diag.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/bootstrap.h"
#include "provider/dict.h"
#include "provider/health.h"
#include "provider/runner.h"
#include "provider/schema.h"


/* Settings (api:) with defaults. */
long
ops_setting(struct engine *e, const char *key, long def)
{
	json_t *v = e->settings != NULL ? json_object_get(e->settings, key) :
	    NULL;

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (long)json_integer_value(v);
	return def;
}

void
ops_wakeup(struct engine_ops *ops)
{
	char c = 1;
	ssize_t n;

	do
		n = write(ops->wake[1], &c, 1);
	while (n == -1 && errno == EINTR);
	/* EAGAIN: the pipe is full, so the loop is woken already. */
}

/*
 * Sockets: the worker side (ops_socket) and the loop side (sock_serve).
 */

/* When a worker waiting ms from now gives up (pthread_cond_timedwait's). */
static void
ops_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Drop one reference (mu held); the last closes and frees. */
void
ops_sockreq_unref(struct ops_sockreq *sr)
{
	if (--sr->refs > 0)
		return;
	if (sr->fd != -1)
		close(sr->fd);
	pthread_cond_destroy(&sr->cv);
	free(sr->appliance);
	free(sr->network);
	free(sr->address);
	free(sr->msg);
	free(sr);
}

/* Loop thread: the parent's answer. */
static void
sock_reply(int fd, const char *msg, void *arg)
{
	struct ops_sockreq *sr = arg;
	struct engine_ops *ops = sr->ops;

	pthread_mutex_lock(&ops->mu);
	if (sr->abandoned) {
		if (fd >= 0)
			close(fd);
	} else {
		sr->fd = fd;
		if (fd < 0)
			sr->msg = xstrdup(msg != NULL ? msg :
			    "the parent gave no socket");
	}
	sr->done = 1;
	pthread_cond_signal(&sr->cv);
	ops_sockreq_unref(sr);
	pthread_mutex_unlock(&ops->mu);
}

/* Is host (an address literal) inside prefix "ADDR/LEN"? */
static int
addr_in_prefix(int domain, const void *host, const char *prefix)
{
	unsigned char net[16];
	const unsigned char *h = host;
	char buf[INET6_ADDRSTRLEN + 8], *slash, *ep;
	long bits;
	int len = domain == AF_INET ? 4 : 16, i;

	if (prefix == NULL || strlen(prefix) >= sizeof(buf))
		return 0;
	strcpy(buf, prefix);
	if ((slash = strchr(buf, '/')) == NULL)
		return 0;
	*slash++ = '\0';
	bits = strtol(slash, &ep, 10);
	if (*ep != '\0' || bits < 0 || bits > len * 8)
		return 0;
	if (inet_pton(domain, buf, net) != 1)
		return 0;
	for (i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char m = bits >= 8 ? 0xff :
		    (unsigned char)(0xff << (8 - bits));

		if ((h[i] & m) != (net[i] & m))
			return 0;
	}
	return 1;
}

/*
 * May an operation of this appliance connect to host?  Its own address,
 * or an address inside one of its network's prefixes (addresses or
 * routes): never another network, never a name.
 */
static int
sock_allowed(struct engine *e, const struct ops_sockreq *sr, char **why)
{
	unsigned char h[16], a[16];
	json_t *net, *v, *r;
	size_t i;

	if (inet_pton(sr->domain, sr->host, h) != 1) {
		*why = xasprintf("%s is not an address literal", sr->host);
		return 0;
	}
	if (sr->address != NULL && inet_pton(sr->domain, sr->address, a) == 1 &&
	    memcmp(a, h, sr->domain == AF_INET ? 4 : 16) == 0)
		return 1;
	if ((net = engine_network(e, sr->network)) != NULL) {
		json_array_foreach(json_object_get(net, "addresses"), i, v)
			if (addr_in_prefix(sr->domain, h,
			    json_string_value(v)))
				return 1;
		json_array_foreach(json_object_get(net, "routes"), i, r)
			if (addr_in_prefix(sr->domain, h,
			    json_string_value(json_object_get(r, "to"))))
				return 1;
	}
	*why = xasprintf("%s is outside network %s of appliance %s", sr->host,
	    sr->network, sr->appliance);
	return 0;
}

/* Loop thread: ask the parent for the sockets workers wait for. */
static void
sock_serve(struct engine_ops *ops, struct ops_sockreq *sr)
{
	char *why = NULL;
	long h;

	if (sr->abandoned)
		goto unref;
	if (ops->stopping) {
		sr->msg = xstrdup("the engine is stopping");
		goto fail;
	}
	if (!sock_allowed(ops->e, sr, &why)) {
		sr->msg = why;
		goto fail;
	}
	pthread_mutex_lock(&ops->mu);
	sr->refs++;
	pthread_mutex_unlock(&ops->mu);
	h = role_socket(ops->e->rt, sr->network, sr->domain, sock_reply, sr);
	if (h > 0) {
		sr->handle = h;
		goto unref;
	}
	pthread_mutex_lock(&ops->mu);
	sr->refs--;
	pthread_mutex_unlock(&ops->mu);
	sr->msg = xasprintf("cannot ask the parent for a socket in %s "
	    "(too many requests in flight, or the channel is down)",
	    sr->network);
fail:
	pthread_mutex_lock(&ops->mu);
	sr->done = 1;
	pthread_cond_signal(&sr->cv);
	ops_sockreq_unref(sr);
	pthread_mutex_unlock(&ops->mu);
	return;
unref:
	pthread_mutex_lock(&ops->mu);
	ops_sockreq_unref(sr);
	pthread_mutex_unlock(&ops->mu);
}

/* Connect fd to host:port within timeout_ms; leaves it blocking. */
static int
sock_connect(int fd, int domain, const char *host, int port, int timeout_ms,
    char **cause)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct pollfd pfd;
	socklen_t sl, len;
	int fl, err = 0, rc;

	memset(&ss, 0, sizeof(ss));
	if (domain == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		*cause = xasprintf("fcntl: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				rc = poll(&pfd, 1, timeout_ms);
			while (rc == -1 && errno == EINTR);
			if (rc == 1) {
				sl = sizeof(err);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
				    &sl) == -1)
					err = errno;
			} else
				err = rc == 0 ? ETIMEDOUT : errno;
		}
	}
	if (err != 0) {
		*cause = xasprintf("connect %s:%d: %s", host, port,
		    err == ETIMEDOUT ? "timed out" : strerror(err));
		return -1;
	}
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return 0;
}

/*
 * Worker thread: a socket for one appliance from the parent, connected
 * to host:port when connect_it (the runner's open_socket), or not (its
 * open_socket_raw: libcurl connects it).
 */
static int
ops_socket_get(void *arg, const char *host, int port, int timeout_ms,
    int connect_it, char **cause)
{
	struct ops_job *j = arg;
	struct engine_ops *ops = j->ops;
	struct ops_sockreq *sr;
	struct in6_addr a6;
	struct timespec ts;
	int fd, rc = 0, domain;

	*cause = NULL;
	if (timeout_ms <= 0)
		timeout_ms = OPS_SOCKET_TIMEOUT_MS;
	if (host == NULL)
		host = j->address;
	if (host == NULL || strlen(host) >= INET6_ADDRSTRLEN) {
		*cause = xstrdup("no address to connect to");
		return -1;
	}
	sr = xcalloc(1, sizeof(*sr));
	if (inet_pton(AF_INET, host, &a6) == 1)
		sr->domain = AF_INET;
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		sr->domain = AF_INET6;
	else {
		free(sr);
		*cause = xasprintf("%s: not an address literal (the engine "
		    "resolves no names in guest networks)", host);
		return -1;
	}
	strcpy(sr->host, host);
	domain = sr->domain;
	sr->ops = ops;
	sr->appliance = xstrdup(j->appliance);
	sr->network = xstrdup(j->network);
	sr->address = j->address != NULL ? xstrdup(j->address) : NULL;
	sr->fd = -1;
	sr->refs = 2;
	pthread_cond_init(&sr->cv, NULL);

	ops_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&ops->mu);
	if (ops->closed) {
		/* No loop to serve it: fail now, not after the timeout. */
		sr->refs = 1;
		ops_sockreq_unref(sr);
		pthread_mutex_unlock(&ops->mu);
		*cause = xstrdup("the engine is stopping");
		return -1;
	}
	if (ops->sock_tail != NULL)
		ops->sock_tail->next = sr;
	else
		ops->sock_head = sr;
	ops->sock_tail = sr;
	pthread_mutex_unlock(&ops->mu);
	ops_wakeup(ops);

	pthread_mutex_lock(&ops->mu);
	while (!sr->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&sr->cv, &ops->mu, &ts);
	if (!sr->done) {
		sr->abandoned = 1;
		*cause = xasprintf("no socket in network %s from the parent "
		    "within %d ms", j->network, timeout_ms);
		fd = -1;
	} else if (sr->fd < 0) {
		*cause = xasprintf("no socket in network %s: %s", j->network,
		    sr->msg != NULL ? sr->msg : "refused");
		fd = -1;
	} else {
		fd = sr->fd;
		sr->fd = -1;
	}
	ops_sockreq_unref(sr);
	pthread_mutex_unlock(&ops->mu);
	if (fd == -1)
		return -1;
	if (connect_it &&
	    sock_connect(fd, domain, host, port, timeout_ms, cause) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
ops_socket(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	return ops_socket_get(arg, host, port, timeout_ms, 1, cause);
}

static int
ops_socket_raw(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	return ops_socket_get(arg, host, port, timeout_ms, 0, cause);
}

/* Worker thread: callbacks to the management server, from our own
 * namespace, to an address literal. */
static int
ops_callback_socket(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	struct in6_addr a;
	int domain, fd;

	(void)arg;
	if (timeout_ms <= 0)
		timeout_ms = OPS_SOCKET_TIMEOUT_MS;
	if (inet_pton(AF_INET, host, &a) == 1)
		domain = AF_INET;
	else if (inet_pton(AF_INET6, host, &a) == 1)
		domain = AF_INET6;
	else {
		*cause = xasprintf("%s: callbacks go to an address literal",
		    host);
		return -1;
	}
	if ((fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	if (sock_connect(fd, domain, host, port, timeout_ms, cause) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Jobs.
 */

/*
 * Writes to the parent (PRIV_STATE_PUT) on behalf of workers and of the
 * loop: a bootstrap's progress after each step, its record when it ends,
 * an appliance whose credentials it rotated.
 *
 * A bootstrap's save must mean "on disk" before its next action runs (a
 * restart resumes from it and must not repeat what ran).  The worker
 * cannot talk to the parent (the role runtime is the loop's), so it
 * queues the write on the mailbox and waits on the request's condition
 * variable until the parent's PRIV_OK or PRIV_ERROR, as ops_socket()
 * waits for a socket.  The parent answers after its fsync and rename.
 */

/* Drop one reference (mu held); the last frees, zeroing the text. */
static void
savereq_unref(struct ops_savereq *sr)
{
	if (--sr->refs > 0)
		return;
	freezero_str(sr->text);
	free(sr->msg);
	pthread_cond_destroy(&sr->cv);
	free(sr);
}

/* text is taken over. */
static struct ops_savereq *
savereq_new(struct engine_ops *ops, const char *kind, const char *name,
    char *text, int refs)
{
	struct ops_savereq *sr;

	sr = xcalloc(1, sizeof(*sr));
	sr->ops = ops;
	str_copy(sr->kind, kind, sizeof(sr->kind));
	str_copy(sr->name, name, sizeof(sr->name));
	sr->text = text;
	sr->refs = refs;
	pthread_cond_init(&sr->cv, NULL);
	return sr;
}

/* Queue sr on the mailbox for the loop (mu held; the caller wakes it). */
static void
savereq_queue(struct engine_ops *ops, struct ops_savereq *sr)
{
	if (ops->save_tail != NULL)
		ops->save_tail->next = sr;
	else
		ops->save_head = sr;
	ops->save_tail = sr;
}

/* The answer (mu held): wake the worker, drop the loop's reference. */
static void
savereq_complete(struct ops_savereq *sr, int code, const char *msg)
{
	if (code != 0 && sr->nowait)
		log_warn("%s %s: not saved: %s", sr->kind, sr->name,
		    msg != NULL ? msg : err_str(code));
	sr->done = 1;
	sr->code = code;
	if (code != 0)
		sr->msg = xstrdup(msg != NULL ? msg : err_str(code));
	pthread_cond_signal(&sr->cv);
	savereq_unref(sr);
}

static void
saves_sent_unlink(struct engine_ops *ops, struct ops_savereq *sr)
{
	if (sr->sprev != NULL)
		sr->sprev->snext = sr->snext;
	else
		ops->saves_sent = sr->snext;
	if (sr->snext != NULL)
		sr->snext->sprev = sr->sprev;
	sr->sprev = sr->snext = NULL;
}

/* Loop thread: the parent answered a write. */
static void
save_reply(int code, const char *msg, void *arg)
{
	struct ops_savereq *sr = arg;
	struct engine_ops *ops = sr->ops;

	saves_sent_unlink(ops, sr);
	pthread_mutex_lock(&ops->mu);
	savereq_complete(sr, code, msg);
	pthread_mutex_unlock(&ops->mu);
}

/* Loop thread: send one write to the parent. */
static void
save_serve(struct engine_ops *ops, struct ops_savereq *sr)
{
	struct priv_state st;
	size_t len = strlen(sr->text);
	char buf[128];
	long h;
	int fd;

	memset(&st, 0, sizeof(st));
	str_copy(st.kind, sr->kind, sizeof(st.kind));
	str_copy(st.name, sr->name, sizeof(st.name));
	st.size = len;
	if ((fd = ipc_memfd("vnf-broker-state", sr->text, len)) < 0) {
		snprintf(buf, sizeof(buf), "memfd: %s", err_str(fd));
		goto fail;
	}
	h = role_request(ops->e->rt, PRIV_STATE_PUT, &st, sizeof(st), fd,
	    save_reply, sr);
	close(fd);
	if (h < 0) {
		snprintf(buf, sizeof(buf), "cannot reach the parent: %s",
		    err_str((int)h));
		goto fail;
	}
	/* The memfd has it: keep no copy of a secret longer than needed. */
	pthread_mutex_lock(&ops->mu);
	freezero_str(sr->text);
	sr->text = NULL;
	pthread_mutex_unlock(&ops->mu);
	sr->snext = ops->saves_sent;
	if (sr->snext != NULL)
		sr->snext->sprev = sr;
	ops->saves_sent = sr;
	return;
fail:
	pthread_mutex_lock(&ops->mu);
	savereq_complete(sr, -EIO, buf);
	pthread_mutex_unlock(&ops->mu);
}

void
ops_state_put(struct engine_ops *ops, const char *kind, const char *name,
    const char *text)
{
	struct ops_savereq *sr;

	if (ops->closed)
		return;
	sr = savereq_new(ops, kind, name, xstrdup(text), 1);
	sr->nowait = 1;
	save_serve(ops, sr);
}

void
ops_saves_close(struct engine_ops *ops)
{
	struct ops_savereq *sr;

	pthread_mutex_lock(&ops->mu);
	ops->closed = 1;
	while ((sr = ops->save_head) != NULL) {
		ops->save_head = sr->next;
		savereq_complete(sr, -ESHUTDOWN, "the engine is stopping");
	}
	ops->save_tail = NULL;
	/* Sent, never to be answered: the loop is gone. */
	while ((sr = ops->saves_sent) != NULL) {
		saves_sent_unlink(ops, sr);
		savereq_complete(sr, -ESHUTDOWN, "the engine is stopping");
	}
	pthread_mutex_unlock(&ops->mu);
}

/* The text of appliance's host key record (keys: "HOST:PORT" -> fp). */
static char *
ops_hostkey_record(const char *appliance, json_t *keys)
{
	json_t *r;
	char *text;

	r = json_pack("{s:s, s:O}", "name", appliance, "keys", keys);
	text = r != NULL ? json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(r);
	return text;
}

/*
 * SSH host keys: trusted on first use and kept in the state directory
 * (hostkeys/APPLIANCE.json, through the parent), so a restart of the
 * engine or of vnf-brokerd still refuses a changed key.  ops->hostkeys
 * holds them by appliance, then "HOST:PORT"; the first view loads them
 * (ops_apps_reload).  A dictionary that pins keys (pinned_sha256) does
 * not come here.
 *
 * Worker thread.  The key is used at once; its save is queued for the
 * loop in order with every other write and not waited for: a failed save
 * is logged, and the key is then remembered until the engine ends, as
 * before there was a state directory.
 */
static int
ops_hostkey(void *arg, const char *host, int port, const char *fp,
    char **known)
{
	struct ops_job *j = arg;
	struct engine_ops *ops = j->ops;
	struct ops_savereq *sr = NULL;
	json_t *keys;
	const char *k;
	char addr[STATE_HOSTKEY_ADDR_MAX + 8], *text;
	int rc = 0;

	*known = NULL;
	snprintf(addr, sizeof(addr), "%s:%d", host, port);
	/* libssh's fingerprints are "SHA256:" and 43 characters. */
	if (strlen(addr) > STATE_HOSTKEY_ADDR_MAX ||
	    strlen(fp) >= STATE_HOSTKEY_FP_MAX) {
		log_warn("appliance %s: host key of %.64s not recorded: the "
		    "address or the fingerprint is too long", j->appliance,
		    addr);
		return -1;
	}
	pthread_mutex_lock(&ops->mu);
	if ((keys = json_object_get(ops->hostkeys, j->appliance)) == NULL) {
		keys = json_object();
		json_object_set_new(ops->hostkeys, j->appliance, keys);
	}
	if ((k = json_string_value(json_object_get(keys, addr))) != NULL) {
		*known = xstrdup(k);
		/* sshx refuses it; the log says what to do if it is right. */
		if (strcmp(k, fp) != 0)
			log_warn("appliance %s: %s offers host key %s, not the "
			    "recorded %s; refused.  If the appliance was "
			    "reinstalled, check the new key on its console "
			    "and forget the old one: vnf-brokerctl hostkeys "
			    "%s --forget", j->appliance, addr, fp, k,
			    j->appliance);
	} else if (json_object_size(keys) >= STATE_HOSTKEYS_MAX) {
		log_warn("appliance %s: host key of %s refused: %d keys are "
		    "recorded already (forget them: DELETE "
		    "/v1/appliances/%s/hostkeys)", j->appliance, addr,
		    STATE_HOSTKEYS_MAX, j->appliance);
		rc = -1;
	} else {
		json_object_set_new(keys, addr, json_string(fp));
		text = ops_hostkey_record(j->appliance, keys);
		if (!ops->closed && text != NULL) {
			sr = savereq_new(ops, "hostkey", j->appliance, text,
			    1);
			sr->nowait = 1;
			savereq_queue(ops, sr);
		} else
			free(text);
	}
	pthread_mutex_unlock(&ops->mu);
	if (sr != NULL)
		ops_wakeup(ops);
	return rc;
}

json_t *
ops_boot_record(struct ops_job *j, json_t *progress, int finished,
    json_t *result)
{
	json_t *r;

	r = json_pack("{s:s, s:s, s:I, s:b}", "name", j->appliance, "job",
	    j->id, "started", (json_int_t)j->boot_started, "finished",
	    finished);
	json_object_set_new(r, "progress", json_is_object(progress) ?
	    json_deep_copy(progress) : json_object());
	if (result != NULL)
		json_object_set_new(r, "result", json_deep_copy(result));
	return r;
}

static int
boot_load(void *arg, json_t **state, char **cause)
{
	struct ops_job *j = arg;

	(void)cause;
	pthread_mutex_lock(&j->ops->mu);
	/* An empty record (ended before its first save) starts afresh. */
	*state = json_object_size(j->boot_state) > 0 ?
	    json_deep_copy(j->boot_state) : NULL;
	pthread_mutex_unlock(&j->ops->mu);
	return 0;
}

/*
 * Worker thread: the bootstrap's store->save.  Returns once the parent
 * wrote the record (0), or refused or failed it, or did not answer in
 * time (-1 with *cause: the bootstrap fails at this step, never goes on
 * unsaved).  The wait is bounded by the bootstrap's deadline, within
 * OPS_SAVE_MIN_S and OPS_SAVE_MAX_S.
 */
static int
boot_save(void *arg, json_t *state, char **cause)
{
	struct ops_job *j = arg;
	struct engine_ops *ops = j->ops;
	struct ops_savereq *sr;
	struct timespec ts;
	long long left;
	json_t *rec;
	char *text;
	int rc = 0, wrc = 0, wait_s;

	rec = ops_boot_record(j, state, 0, NULL);
	text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rec);
	if (text == NULL) {
		*cause = xstrdup("the progress cannot be encoded");
		return -1;
	}
	if (strlen(text) > PRIV_STATE_MAX) {
		*cause = xasprintf("the progress is %zu bytes, more than the "
		    "%d the state directory takes", strlen(text),
		    PRIV_STATE_MAX);
		freezero_str(text);
		return -1;
	}
	left = (j->boot_deadline - prov_run_now_ms()) / 1000;
	wait_s = left < OPS_SAVE_MIN_S ? OPS_SAVE_MIN_S :
	    left > OPS_SAVE_MAX_S ? OPS_SAVE_MAX_S : (int)left;
	sr = savereq_new(ops, "bootstrap", j->appliance, text, 2);
	ops_deadline(&ts, wait_s * 1000);

	pthread_mutex_lock(&ops->mu);
	if (ops->closed) {
		sr->refs = 1;
		savereq_unref(sr);
		pthread_mutex_unlock(&ops->mu);
		*cause = xstrdup("not saved: the engine is stopping");
		return -1;
	}
	savereq_queue(ops, sr);
	pthread_mutex_unlock(&ops->mu);
	ops_wakeup(ops);

	pthread_mutex_lock(&ops->mu);
	while (!sr->done && wrc != ETIMEDOUT)
		wrc = pthread_cond_timedwait(&sr->cv, &ops->mu, &ts);
	if (!sr->done) {
		*cause = xasprintf("not saved: the parent did not confirm the "
		    "write within %d s", wait_s);
		rc = -1;
	} else if (sr->code != 0) {
		*cause = xasprintf("not saved in the state directory: %s",
		    sr->msg != NULL ? sr->msg : err_str(sr->code));
		rc = -1;
	} else {
		/* What GET .../bootstrap shows while it runs. */
		json_decref(j->boot_state);
		j->boot_state = json_deep_copy(state);
	}
	savereq_unref(sr);
	pthread_mutex_unlock(&ops->mu);
	return rc;
}

/* Worker thread: run one job. */
static json_t *
job_run(void *arg, int cancel)
{
	struct ops_job *j = arg;
	struct prov_run_req rq;
	struct prov_boot_store store;
	struct prov_boot_opts bo;
	json_t *res = NULL;

	if (cancel)
		return NULL;
	__atomic_store_n(&j->state, OPS_RUNNING, __ATOMIC_RELEASE);
	switch (j->kind) {
	case OPS_OP:
		memset(&rq, 0, sizeof(rq));
		rq.service = j->service;
		rq.operation = j->operation;
		rq.data = j->data;
		rq.cs_data = j->cs_data;
		prov_run_op(j->prov->dict, &j->t, &rq, &res);
		break;
	case OPS_HEALTH:
		prov_health_run(j->prov->dict, &j->t, j->cs_data, NULL, &res);
		break;
	case OPS_BOOT:
		store.load = boot_load;
		store.save = boot_save;
		store.arg = j;
		memset(&bo, 0, sizeof(bo));
		bo.deadline_s = j->op_timeout_s > 0 ? j->op_timeout_s : 0;
		j->boot_deadline = prov_run_now_ms() + (long long)
		    (bo.deadline_s > 0 ? bo.deadline_s :
		    PROV_BOOT_DEADLINE_S) * 1000;
		bo.store = &store;
		prov_boot_run(j->prov->dict, &j->t, j->cs_data, &bo, &res);
		break;
	}
	if (res == NULL)
		res = json_pack("{s:s, s:s}", "status", "failed", "error",
		    "the job gave no result");
	return res;
}

/* Worker thread: hand the result to the loop. */
static void
job_done(void *arg, json_t *result)
{
	struct ops_job *j = arg;
	struct engine_ops *ops = j->ops;

	pthread_mutex_lock(&ops->mu);
	j->result = result;
	j->dnext = NULL;
	if (ops->done_tail != NULL)
		ops->done_tail->dnext = j;
	else
		ops->done_head = j;
	ops->done_tail = j;
	pthread_mutex_unlock(&ops->mu);
	ops_wakeup(ops);
}

const char *
ops_job_state_name(int st)
{
	switch (st) {
	case OPS_QUEUED:
		return "queued";
	case OPS_RUNNING:
		return "running";
	default:
		return "done";
	}
}

static const char *
job_kind_name(enum ops_kind k)
{
	switch (k) {
	case OPS_OP:
		return "operation";
	case OPS_HEALTH:
		return "health";
	default:
		return "bootstrap";
	}
}

/* Mask the secrets of a bootstrap result (its cs_data holds the rotated
 * credentials in clear). */
json_t *
ops_mask_cs(json_t *res)
{
	json_t *cs = json_object_get(res, "cs_data"), *v;
	const char *k;

	json_object_foreach(cs, k, v)
		if (prov_is_secret_name(k))
			json_object_set_new(cs, k, json_string(PROV_RUN_MASK));
	return res;
}

/* The job as answered by GET /v1/jobs/{id}; a new object. */
json_t *
ops_job_json(struct ops_job *j)
{
	int st = __atomic_load_n(&j->state, __ATOMIC_ACQUIRE);
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", j->id, "kind",
	    job_kind_name(j->kind), "state", ops_job_state_name(st), "appliance",
	    j->appliance, "created", (json_int_t)j->created);
	if (j->service != NULL)
		json_object_set_new(o, "service", json_string(j->service));
	if (j->operation != NULL)
		json_object_set_new(o, "operation", json_string(j->operation));
	json_object_set_new(o, "href", json_sprintf("/v1/jobs/%s", j->id));
	if (st == OPS_DONE && j->result != NULL) {
		json_object_set_new(o, "finished", json_integer(j->finished));
		json_object_set_new(o, "result",
		    ops_mask_cs(json_deep_copy(j->result)));
	}
	return o;
}

static void
job_reply_202(struct ops_job *j)
{
	struct engine_req *req = j->req;

	j->req = NULL;
	engine_reply_json(req, 202, json_pack("{s:o}", "job", ops_job_json(j)));
}

static void
job_wait_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct ops_job *j = arg;

	(void)fd;
	(void)ev;
	if (j->req != NULL)
		job_reply_202(j);
}

/* Drop the oldest finished jobs past api.max_jobs. */
static void
jobs_trim(struct engine_ops *ops)
{
	size_t max = (size_t)ops_setting(ops->e, "max_jobs", OPS_MAX_JOBS);
	struct ops_job *j, *tmp;

	TAILQ_FOREACH_SAFE(j, &ops->jobs, entry, tmp) {
		if (ops->njobs_done <= max)
			break;
		if (j->state != OPS_DONE || j->req != NULL)
			continue;
		TAILQ_REMOVE(&ops->jobs, j, entry);
		ops->njobs_done--;
		ops_job_free(j);
	}
}

struct ops_app *
ops_app_lookup(struct engine_ops *ops, const char *name)
{
	struct ops_app *a;

	TAILQ_FOREACH(a, &ops->apps, entry)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* Record a health result: the state and the bounded history. */
void
ops_app_health_result(struct ops_app *a, json_t *res)
{
	const char *st = json_string_value(json_object_get(res, "status"));

	a->hstate = st != NULL && strcmp(st, "healthy") == 0 ? "healthy" :
	    "unhealthy";
	json_decref(a->last);
	a->last = json_deep_copy(res);
	json_object_set_new(a->last, "time", json_integer(time(NULL)));
	if (json_array_size(a->history) >= OPS_HISTORY)
		json_array_remove(a->history, 0);
	json_array_append_new(a->history, json_pack("{s:I, s:s, s:O}", "time",
	    (json_int_t)time(NULL), "status", st != NULL ? st : "failed",
	    "elapsed_ms", json_object_get(res, "elapsed_ms") != NULL ?
	    json_object_get(res, "elapsed_ms") : json_null()));
}

/* Loop thread: one finished job. */
static void
job_finish(struct engine_ops *ops, struct ops_job *j)
{
	struct ops_app *a = ops_app_lookup(ops, j->appliance);

	j->finished = time(NULL);
	__atomic_store_n(&j->state, OPS_DONE, __ATOMIC_RELEASE);
	if (j->wait_ev != NULL)
		event_del(j->wait_ev);
	if (j->kind == OPS_HEALTH && a != NULL) {
		a->health_queued = 0;
		ops_app_health_result(a, j->result);
	}
	if (j->kind == OPS_BOOT && a != NULL && a->boot == j)
		ops_boot_finished(ops, a, j);
	if (j->kind == OPS_OP)
		engine_metric_inc(ops->e, "operations", json_is_string(
		    json_object_get(j->result, "status")) ? json_string_value(
		    json_object_get(j->result, "status")) : "failed", 1);
	log_info("job %s %s %s%s%s%s%s: %s", j->id, job_kind_name(j->kind),
	    j->appliance, j->service ? " " : "", j->service ? j->service : "",
	    j->operation ? "." : "", j->operation ? j->operation : "",
	    json_string_value(json_object_get(j->result, "status")) ?: "?");
	ops_prov_unref(ops, j->prov);
	j->prov = NULL;
	if (j->req != NULL) {
		struct engine_req *req = j->req;

		j->req = NULL;
		engine_reply_json(req, 200, ops_mask_cs(json_deep_copy(j->result)));
	}
	if (!j->listed) {
		ops_job_free(j);
		return;
	}
	ops->njobs_done++;
	jobs_trim(ops);
}

/* Loop thread, before a scrape: the gauges of jobs and health states. */
void
engine_ops_metrics(struct engine *e)
{
	struct engine_ops *ops = e->ops;
	struct ops_app *a;
	struct ops_job *j;
	double healthy = 0, unhealthy = 0, unknown = 0, queued = 0, running = 0;
	int st;

	if (ops == NULL)
		return;
	TAILQ_FOREACH(a, &ops->apps, entry) {
		if (a->hstate != NULL && strcmp(a->hstate, "healthy") == 0)
			healthy++;
		else if (a->hstate != NULL &&
		    strcmp(a->hstate, "unhealthy") == 0)
			unhealthy++;
		else
			unknown++;
	}
	TAILQ_FOREACH(j, &ops->jobs, entry) {
		st = __atomic_load_n(&j->state, __ATOMIC_ACQUIRE);
		if (st == OPS_QUEUED)
			queued++;
		else if (st == OPS_RUNNING)
			running++;
	}
	engine_metric_set(e, "health_states", "healthy", healthy);
	engine_metric_set(e, "health_states", "unhealthy", unhealthy);
	engine_metric_set(e, "health_states", "unknown", unknown);
	engine_metric_set(e, "jobs", "queued", queued);
	engine_metric_set(e, "jobs", "running", running);
}

/* Loop thread: send the writes taken off the mailbox, in order. */
static void
ops_saves_serve(struct engine_ops *ops, struct ops_savereq *saves)
{
	struct ops_savereq *sv;

	while ((sv = saves) != NULL) {
		saves = sv->next;
		sv->next = NULL;
		save_serve(ops, sv);
	}
}

void
ops_saves_flush(struct engine_ops *ops)
{
	struct ops_savereq *saves;

	pthread_mutex_lock(&ops->mu);
	saves = ops->save_head;
	ops->save_head = ops->save_tail = NULL;
	pthread_mutex_unlock(&ops->mu);
	ops_saves_serve(ops, saves);
}

/* Loop thread: the workers' mailbox. */
void
ops_wake_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct engine_ops *ops = arg;
	struct ops_job *done, *j;
	struct ops_sockreq *socks, *sr;
	struct ops_savereq *saves;
	char buf[256];

	(void)ev;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&ops->mu);
	done = ops->done_head;
	ops->done_head = ops->done_tail = NULL;
	socks = ops->sock_head;
	ops->sock_head = ops->sock_tail = NULL;
	saves = ops->save_head;
	ops->save_head = ops->save_tail = NULL;
	pthread_mutex_unlock(&ops->mu);
	while ((sr = socks) != NULL) {
		socks = sr->next;
		sock_serve(ops, sr);
	}
	ops_saves_serve(ops, saves);
	while ((j = done) != NULL) {
		done = j->dnext;
		job_finish(ops, j);
	}
}

void
ops_job_free(struct ops_job *j)
{
	if (j == NULL)
		return;
	if (j->wait_ev != NULL)
		event_free(j->wait_ev);
	free(j->appliance);
	free(j->network);
	free(j->address);
	free(j->service);
	free(j->operation);
	json_decref(j->data);
	json_decref(j->cs_data);
	json_decref(j->boot_state);
	json_decref(j->result);
	free(j);
}

/*
 * A new job for appliance app (a view object): checks the provider.
 * Returns NULL with *status and *code and *msg (allocated) set.
 */
struct ops_job *
ops_job_new(struct engine_ops *ops, enum ops_kind kind, json_t *app,
    int *status, const char **code, char **msg)
{
	const char *name = json_string_value(json_object_get(app, "name"));
	const char *pname = json_string_value(json_object_get(app, "provider"));
	const char *net = json_string_value(json_object_get(app, "network"));
	const char *addr = json_string_value(json_object_get(app, "address"));
	struct ops_prov *p;
	struct ops_job *j;
	json_t *cs;

	if (pname == NULL) {
		*status = 409;
		*code = "conflict";
		*msg = xasprintf("appliance %s has no provider", name);
		return NULL;
	}
	if ((p = ops_prov_lookup(ops, pname)) == NULL) {
		*status = 409;
		*code = "conflict";
		*msg = xasprintf("appliance %s: provider %s is not registered",
		    name, pname);
		return NULL;
	}
	if (p->dict == NULL) {
		*status = 409;
		*code = "conflict";
		*msg = xasprintf("appliance %s: provider %s does not compile: "
		    "%s", name, pname, p->error);
		return NULL;
	}
	if (net == NULL) {
		*status = 409;
		*code = "conflict";
		*msg = xasprintf("appliance %s has no network", name);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->ops = ops;
	j->kind = kind;
	snprintf(j->id, sizeof(j->id), "%s-%" PRIu64, ops->start, ++ops->seq);
	j->appliance = xstrdup(name);
	j->network = xstrdup(net);
	j->address = addr != NULL ? xstrdup(addr) : NULL;
	cs = json_object_get(app, "cs_data");
	j->cs_data = json_is_object(cs) ? json_deep_copy(cs) : json_object();
	if (addr != NULL && json_object_get(j->cs_data, "mgmt_ip") == NULL)
		json_object_set_new(j->cs_data, "mgmt_ip", json_string(addr));
	j->prov = p;
	p->refs++;
	j->created = time(NULL);
	j->op_timeout_s = (int)ops_setting(ops->e, "operation_timeout",
	    OPS_OP_TIMEOUT);
	j->t.name = j->appliance;
	j->t.address = j->address;
	j->t.open_socket = ops_socket;
	j->t.open_socket_raw = ops_socket_raw;
	j->t.socket_arg = j;
	j->t.hostkey_cb = ops_hostkey;
	j->t.hostkey_arg = j;
	j->t.callback_socket = ops_callback_socket;
	j->t.conns = prov_run_pool_conns(ops->pool);
	return j;
}

/* Queue j; on failure j is freed and *msg says why (429 or 503). */
int
ops_job_submit(struct engine_ops *ops, struct ops_job *j, int listed,
    char **msg)
{
	int rc;

	if (ops->stopping || ops->pool == NULL) {
		*msg = xstrdup("the engine is stopping");
		rc = 503;
		goto fail;
	}
	rc = prov_run_pool_submit(ops->pool, j->appliance, job_run, j,
	    job_done, j, msg);
	if (rc != 0) {
		rc = rc == -EAGAIN ? 429 : 503;
		goto fail;
	}
	j->listed = listed;
	if (listed)
		TAILQ_INSERT_TAIL(&ops->jobs, j, entry);
	return 0;
fail:
	ops_prov_unref(ops, j->prov);
	j->prov = NULL;
	ops_job_free(j);
	return rc;
}

/* Answer now when done within wait seconds, else 202 {job}. */
void
ops_job_wait(struct engine_ops *ops, struct ops_job *j, struct engine_req *req,
    long wait)
{
	struct timeval tv;

	if (wait == 0) {
		engine_reply_json(req, 202, json_pack("{s:o}", "job",
		    ops_job_json(j)));
		return;
	}
	/*
	 * A client that goes away cancels nothing: the request stays valid
	 * until our reply (then dropped), and the job runs on.
	 */
	j->req = req;
	j->wait_ev = evtimer_new(ops->e->base, job_wait_timeout, j);
	tv.tv_sec = wait;
	tv.tv_usec = 0;
	evtimer_add(j->wait_ev, &tv);
}

void
ops_reply_submit_error(struct engine_req *req, int rc, char *msg)
{
	if (rc == 429)
		engine_reply_error(req, 429, "too_many_requests", NULL,
		    "%s", msg != NULL ? msg : "queue full");
	else
		engine_reply_error(req, 503, "stopping", NULL, "%s",
		    msg != NULL ? msg : "the engine is stopping");
	free(msg);
}

/* The wait a client asked for: query ?wait=, body "wait", or api.wait. */
int
ops_req_wait(struct engine *e, struct engine_req *req, json_t *body, long *wait)
{
	const char *q = engine_req_query(req, "wait");
	json_t *w = body != NULL ? json_object_get(body, "wait") : NULL;
	char *ep;
	long v;

	*wait = ops_setting(e, "wait", OPS_WAIT);
	if (q != NULL) {
		errno = 0;
		v = strtol(q, &ep, 10);
		if (*q == '\0' || *ep != '\0' || errno != 0 || v < 0 ||
		    v > OPS_MAX_WAIT) {
			engine_reply_error(req, 400, "invalid_field",
			    json_pack("[{s:s, s:s}]", "field", "wait",
			    "message", "expected seconds from 0 to 3600"),
			    "?wait=%s: expected seconds from 0 to %d", q,
			    OPS_MAX_WAIT);
			return -1;
		}
		*wait = v;
	} else if (w != NULL) {
		if (!json_is_integer(w) || json_integer_value(w) < 0 ||
		    json_integer_value(w) > OPS_MAX_WAIT) {
			engine_reply_error(req, 400, "invalid_field",
			    json_pack("[{s:s, s:s}]", "field", "wait",
			    "message", "expected seconds from 0 to 3600"),
			    "wait: expected an integer from 0 to %d",
			    OPS_MAX_WAIT);
			return -1;
		}
		*wait = (long)json_integer_value(w);
	}
	return 0;
}

/* The appliance named in the path, or a 404 answered. */
json_t *
ops_req_appliance(struct engine *e, struct engine_req *req, const char *name)
{
	json_t *a = engine_appliance(e, name);

	if (a == NULL)
		engine_reply_error(req, 404, "not_found", NULL,
		    "no appliance \"%s\"", name);
	return a;
}
