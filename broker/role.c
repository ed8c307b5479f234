#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/priv-proto.h"
#include "broker/role-int.h"
#include "broker/role-stats.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define ROLE_STOP_GRACE	10	/* seconds from SIGTERM to exit */

struct role_pending {
	uint32_t	 id;
	role_socket_cb	 cb;	/* NULL once cancelled */
	role_request_cb	 rcb;	/* role_request(): the reply callback */
	void		*arg;
};

struct role_rt {
	char			*name;
	struct role_hooks	 hooks;
	struct event_base	*base;
	struct event		*ev_ipc;
	struct event		*ev_term;
	struct event		*ev_grace;
	json_t			*config;
	int			 have_config;
	int			 ready;
	int			 stopping;
	int			 draining;	/* replaced: PRIV_DRAIN */
	unsigned		 grace;		/* seconds from stop to exit */
	uint32_t		 next_id;
	/*
	 * Requests in flight, in the order sent.  The parent answers in order
	 * on one channel, so a small array searched from the front is enough.
	 */
	struct role_pending	*pending;
	size_t			 npending;
	struct role_spares	*spares;	/* sockets made ahead */
	int			 status;
};

static void	role_stop(struct role_rt *, unsigned, int);

static const struct ipc_type role_msgs[] = {
	{ PRIV_SOCKET_OK, "SOCKET_OK", 0, 0, 1 },
	{ PRIV_OK, "OK", 0, 0, 0 },
	{ PRIV_ERROR, "ERROR", sizeof(struct priv_error),
	    sizeof(struct priv_error), 0 },
	{ PRIV_CONFIG, "CONFIG", sizeof(struct priv_config),
	    sizeof(struct priv_config), 1 },
	{ PRIV_LISTENER, "LISTENER", sizeof(struct priv_listener),
	    sizeof(struct priv_listener), 1 },
	{ PRIV_STATS, "STATS", sizeof(struct priv_stats),
	    sizeof(struct priv_stats), 1 },
	{ PRIV_DRAIN, "DRAIN", sizeof(struct priv_drain),
	    sizeof(struct priv_drain), 0 },
};

/* Read a configuration memfd into JSON; the parent sealed it. */
static json_t *
role_read_config(int fd, uint64_t size, char **cause)
{
	json_error_t jerr;
	json_t *conf;
	void *p;

	if (size == 0 || size > ROLE_CONFIG_MAX) {
		*cause = xasprintf("configuration of %llu bytes out of range",
		    (unsigned long long)size);
		return NULL;
	}
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		*cause = xasprintf("mapping the configuration: %s",
		    strerror(errno));
		return NULL;
	}
	conf = json_loadb(p, (size_t)size, JSON_REJECT_DUPLICATES, &jerr);
	munmap(p, (size_t)size);
	if (conf == NULL || !json_is_object(conf)) {
		*cause = xasprintf("configuration from the parent: %s",
		    conf == NULL ? jerr.text : "not an object");
		json_decref(conf);
		return NULL;
	}
	return conf;
}

static void
role_maybe_ready(struct role_rt *rt)
{
	if (rt->ready || !rt->have_config)
		return;
	rt->ready = 1;
	if (rt->hooks.on_ready != NULL)
		rt->hooks.on_ready(rt, rt->hooks.arg);
}

static void
role_answer(struct role_rt *rt, const struct ipc_msg *msg)
{
	struct priv_error err;
	struct role_pending p;
	size_t i;

	for (i = 0; i < rt->npending; i++)
		if (rt->pending[i].id == msg->hdr.id)
			break;
	if (i == rt->npending) {
		/* a reply to nothing: the parent and we disagree; stop */
		fatal("reply to unknown request %u from the parent",
		    msg->hdr.id);
	}
	p = rt->pending[i];
	memmove(&rt->pending[i], &rt->pending[i + 1],
	    (rt->npending - i - 1) * sizeof(*rt->pending));
	rt->npending--;
	/* H2: state: a role_request() reply */
	if (p.rcb != NULL || msg->hdr.type == PRIV_OK) {
		if (msg->hdr.type == PRIV_SOCKET_OK) {
			close(msg->fd);
			if (p.rcb != NULL)
				p.rcb(VB_EPROTO, "unexpected socket", p.arg);
			return;
		}
		if (msg->hdr.type == PRIV_OK) {
			if (p.rcb != NULL)
				p.rcb(0, NULL, p.arg);
			else if (p.cb != NULL)
				p.cb(VB_EPROTO, "unexpected reply", p.arg);
			return;
		}
		memcpy(&err, msg->data, sizeof(err));
		err.message[sizeof(err.message) - 1] = '\0';
		p.rcb(err.code < 0 ? err.code : VB_EPROTO, err.message, p.arg);
		return;
	}
	if (msg->hdr.type == PRIV_SOCKET_OK) {
		if (p.cb != NULL)
			p.cb(msg->fd, NULL, p.arg);
		else
			close(msg->fd);
		return;
	}
	memcpy(&err, msg->data, sizeof(err));
	err.message[sizeof(err.message) - 1] = '\0';
	if (p.cb != NULL)
		p.cb(err.code < 0 ? err.code : VB_EPROTO, err.message, p.arg);
}

static void
role_on_ipc(evutil_socket_t fd, short what, void *arg)
{
	static struct ipc_msg msg;
	struct role_rt *rt = arg;
	const struct ipc_type *row;
	struct priv_config pc;
	struct priv_listener pl;
	struct priv_stats ps;
	struct priv_drain pd;
	const char *why;
	char *cause = NULL;
	json_t *conf;
	int n, i;

	for (i = 0; i < 64; i++) {
		n = ipc_recv(PRIV_FD, &msg);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			log_info("the parent closed the channel; stopping");
			event_del(rt->ev_ipc);
			rt->status = 0;
			if (!rt->stopping)
				raise(SIGTERM);
			return;
		}
		if (n == VB_ENOFD && msg.hdr.type == PRIV_SOCKET_OK) {
			/*
			 * Out of descriptors: that one request fails, the
			 * role and its other connections go on.
			 */
			struct ipc_msg lost = msg;
			struct priv_error e;

			log_warn("a socket from the parent was lost: %s",
			    err_str(n));
			memset(&e, 0, sizeof(e));
			e.code = -EMFILE;
			str_copy(e.message, "out of file descriptors",
			    sizeof(e.message));
			lost.hdr.type = PRIV_ERROR;
			lost.hdr.flags = 0;
			lost.hdr.len = sizeof(e);
			lost.fd = -1;
			memcpy(lost.data, &e, sizeof(e));
			role_answer(rt, &lost);
			continue;
		}
		if (n < 0)
			fatal("malformed message from the parent: %s",
			    err_str(n));
		if (ipc_check(&msg, role_msgs, sizeof(role_msgs) /
		    sizeof(role_msgs[0]), &row, &why) != 0)
			fatal("bad message from the parent: %s", why);
		switch (row->type) {
		case PRIV_SOCKET_OK:
		case PRIV_OK:
		case PRIV_ERROR:
			role_answer(rt, &msg);
			break;
		case PRIV_CONFIG:
			memcpy(&pc, msg.data, sizeof(pc));
			conf = role_read_config(msg.fd, pc.size, &cause);
			ipc_msg_clear(&msg);
			if (conf == NULL)
				fatal("%s", cause);
			json_decref(rt->config);
			rt->config = conf;
			/* a view follows every attach and detach */
			role_spares_flush(rt->spares);
			rt->have_config = 1;
			log_debug("configuration generation %u, %llu bytes",
			    pc.generation, (unsigned long long)pc.size);
			if (rt->hooks.on_config != NULL)
				rt->hooks.on_config(rt, conf, rt->hooks.arg);
			role_maybe_ready(rt);
			break;
		case PRIV_LISTENER:
			memcpy(&pl, msg.data, sizeof(pl));
			pl.name[sizeof(pl.name) - 1] = '\0';
			if (rt->hooks.on_listener != NULL)
				rt->hooks.on_listener(rt, pl.name, msg.fd,
				    rt->hooks.arg);
			else
				close(msg.fd);
			break;
		case PRIV_DRAIN:
			memcpy(&pd, msg.data, sizeof(pd));
			role_stop(rt, pd.seconds, 1);
			break;
		case PRIV_STATS:
			memcpy(&ps, msg.data, sizeof(ps));
			ps.role[sizeof(ps.role) - 1] = '\0';
			/* without counters the role still serves: warn only */
			if (role_stats_map(ps.role, msg.fd, ps.slot,
			    ps.slot != PRIV_STATS_RO, &cause) != 0) {
				log_warn("%s", cause);
				free(cause);
				cause = NULL;
			}
			ipc_msg_clear(&msg);
			break;
		}
	}
}

static void
role_on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct role_rt *rt = arg;

	log_warn("connections still open after %u s; exiting", rt->grace);
	event_base_loopexit(rt->base, NULL);
}

/*
 * Stop accepting and let what is open finish within grace seconds: at
 * shutdown (SIGTERM), or replaced by a new instance after SIGHUP
 * (PRIV_DRAIN, drain set).  A SIGTERM while draining means vnf-brokerd
 * itself stops: the drain is cut to the shutdown's grace.
 */
static void
role_stop(struct role_rt *rt, unsigned grace, int drain)
{
	struct timeval tv = { (time_t)grace, 0 };

	if (rt->stopping) {
		if (rt->draining && !drain && grace < rt->grace) {
			log_info("stopping: the drain ends in %u s", grace);
			rt->draining = 0;
			rt->grace = grace;
			evtimer_add(rt->ev_grace, &tv);
		}
		return;
	}
	rt->stopping = 1;
	rt->draining = drain;
	rt->grace = grace;
	if (drain)
		log_info("replaced: serving what is open for up to %u s", grace);
	else
		log_info("stopping");
	role_spares_stop(rt->spares);
	rt->ev_grace = evtimer_new(rt->base, role_on_grace, rt);
	evtimer_add(rt->ev_grace, &tv);
	if (rt->hooks.on_stop != NULL)
		rt->hooks.on_stop(rt, rt->hooks.arg);
	else
		event_base_loopexit(rt->base, NULL);
}

static void
role_on_term(evutil_socket_t sig, short what, void *arg)
{
	role_stop(arg, ROLE_STOP_GRACE, 0);
}

unsigned
role_draining(struct role_rt *rt)
{
	return rt->draining ? rt->grace : 0;
}

struct role_rt *
role_init(const char *name, const struct role_hooks *hooks, char **cause)
{
	struct role_rt *rt;
	struct rlimit rl;
	enum log_level level = LOG_LEVEL_INFO;
	const char *s;

	if ((s = getenv("VNF_BROKER_LOG_LEVEL")) != NULL)
		log_level_parse(s, &level);
	log_init(name, level, 0);
	if (fcntl(PRIV_FD, F_GETFD) == -1) {
		*cause = xasprintf("no privileged channel at descriptor %d: "
		    "roles are started by vnf-brokerd", PRIV_FD);
		return NULL;
	}
	if (fcntl(PRIV_FD, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(PRIV_FD, F_SETFD, FD_CLOEXEC) == -1) {
		*cause = xasprintf("channel: %s", strerror(errno));
		return NULL;
	}
	/*
	 * Every role runs as the same user, and exec made this one dumpable
	 * again: without this, one role could ptrace another and read its
	 * keys.  Non-dumpable also means no core file.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		*cause = xasprintf("PR_SET_DUMPABLE: %s", strerror(errno));
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Two descriptors per tunnel (client, target): take every one the
	 * hard limit allows.  A role that still runs out refuses the new
	 * connection, never the ones it has (VB_ENOFD below).
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	rt = xcalloc(1, sizeof(*rt));
	rt->name = xstrdup(name);
	rt->hooks = *hooks;
	rt->next_id = 1;
	if ((rt->base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	rt->ev_ipc = event_new(rt->base, PRIV_FD, EV_READ | EV_PERSIST,
	    role_on_ipc, rt);
	event_add(rt->ev_ipc, NULL);
	rt->ev_term = evsignal_new(rt->base, SIGTERM, role_on_term, rt);
	evsignal_add(rt->ev_term, NULL);
	rt->spares = role_spares_new(rt);
	return rt;
}

struct event_base *
role_base(struct role_rt *rt)
{
	return rt->base;
}

json_t *
role_config(struct role_rt *rt)
{
	return rt->config;
}

/* A spare socket if there is one, else the parent's. */
long
role_socket(struct role_rt *rt, const char *network, int domain,
    role_socket_cb cb, void *arg)
{
	long h;

	if ((h = role_spare_socket(rt->spares, network, domain, cb, arg)) > 0)
		return h;
	return role_socket_ask(rt, network, domain, cb, arg);
}

long
role_socket_ask(struct role_rt *rt, const char *network, int domain,
    role_socket_cb cb, void *arg)
{
	struct priv_socket_req req;
	int r;

	if (rt->npending >= ROLE_PENDING_MAX)
		return -EBUSY;
	memset(&req, 0, sizeof(req));
	if (str_copy(req.network, network, sizeof(req.network)) >=
	    sizeof(req.network))
		return -ENAMETOOLONG;
	req.domain = domain;
	req.type = SOCK_STREAM;
	/*
	 * The channel is non-blocking; a full send buffer means the parent
	 * is far behind, and refusing is better than blocking every session.
	 */
	if ((r = ipc_send(PRIV_FD, PRIV_SOCKET_REQ, rt->next_id, &req,
	    sizeof(req), -1)) != 0)
		return r;
	rt->pending = xreallocarray(rt->pending, rt->npending + 1,
	    sizeof(*rt->pending));
	rt->pending[rt->npending].id = rt->next_id;
	rt->pending[rt->npending].cb = cb;
	rt->pending[rt->npending].rcb = NULL;
	rt->pending[rt->npending].arg = arg;
	rt->npending++;
	if (++rt->next_id == 0)
		rt->next_id = 1;
	return (long)rt->pending[rt->npending - 1].id;
}

/* H2: state */
long
role_request(struct role_rt *rt, int type, const void *payload, size_t len,
    int fd, role_request_cb cb, void *arg)
{
	struct role_pending *p;
	int r;

	if (rt->npending >= ROLE_PENDING_MAX)
		return -EBUSY;
	if ((r = ipc_send(PRIV_FD, (uint16_t)type, rt->next_id, payload, len,
	    fd)) != 0)
		return r;
	rt->pending = xreallocarray(rt->pending, rt->npending + 1,
	    sizeof(*rt->pending));
	p = &rt->pending[rt->npending++];
	memset(p, 0, sizeof(*p));
	p->id = rt->next_id;
	p->rcb = cb;
	p->arg = arg;
	if (++rt->next_id == 0)
		rt->next_id = 1;
	return (long)p->id;
}
/* end H2: state */

void
role_socket_cancel(struct role_rt *rt, long handle)
{
	size_t i;

	if (handle >= ROLE_SPARE_HANDLE_BASE) {
		role_spare_cancel(rt->spares, handle);
		return;
	}
	for (i = 0; i < rt->npending; i++) {
		if ((long)rt->pending[i].id == handle) {
			rt->pending[i].cb = NULL;
			rt->pending[i].arg = NULL;
			return;
		}
	}
}

int
role_run(struct role_rt *rt)
{
	event_base_dispatch(rt->base);
	return rt->status;
}

void
role_exit(struct role_rt *rt)
{
	event_base_loopexit(rt->base, NULL);
}

void
role_free(struct role_rt *rt)
{
	if (rt == NULL)
		return;
	role_spares_free(rt->spares);
	if (rt->ev_grace != NULL)
		event_free(rt->ev_grace);
	event_free(rt->ev_term);
	event_free(rt->ev_ipc);
	event_base_free(rt->base);
	json_decref(rt->config);
	free(rt->pending);
	free(rt->name);
	free(rt);
}
