/*
 * The fast tunnel pump: CONNECT on the plain listener, once the 200 is
 * sent.  Bytes go from one socket to the other through a pipe with
 * splice(2), so they are never copied into this process (as HAProxy
 * does); libevent only says when a socket is readable or writable.
 *
 * Each direction (client to target, target to client) has its own pipe,
 * taken only while it holds bytes: a pipe is fetched when its source is
 * readable and given back as soon as it is drained, to a small pool of
 * empty pipes kept for the next one.  So an idle tunnel holds no pipe
 * (its cost is this struct and four events) and a busy one pays no
 * pipe(2) per chunk.
 *
 * Backpressure: a pipe's capacity bounds what is in flight.  While the
 * pipe of a direction is full, its source is not read; while it holds
 * bytes, its destination is watched for writability.  Events are
 * level-triggered and persistent, and added or deleted only when what we
 * want changes, so a flowing tunnel costs two splices and one epoll_wait
 * a chunk, without epoll_ctl.
 *
 * End of stream: when a source reads EOF and its pipe has drained, the
 * other side is half-closed (shutdown(SHUT_WR)); when both directions
 * have ended, the connection is freed (audit included) as before.  Byte
 * counters count what was read from each side, like the bufferevent pump.
 *
 * splice() on a descriptor that does not support it fails with EINVAL;
 * then, and when no pipe can be had, the tunnel goes back to the
 * bufferevent pump (proxy_splice_classic), with what a pipe still held
 * moved into the bufferevent's output.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "broker/proxy.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define PUMP_CLI	0	/* index of fd[], ev_*[]: the client */
#define PUMP_SRV	1	/* the target */
#define PUMP_UP		0	/* direction: client to target */
#define PUMP_DOWN	1	/* target to client */

/*
 * Asked of F_SETPIPE_SZ; the kernel may give less.  As much in flight as
 * the bufferevent pump allows (PROXY_HIGH_WATER); measured against 256
 * KiB, a third less CPU per GiB: fewer, larger splices.
 */
#define PROXY_PIPE_SIZE	PROXY_HIGH_WATER
#define PROXY_PIPE_POOL	16	/* empty pipes kept for reuse */

struct proxy_pipe {
	int		 fd[2];		/* -1: none held */
	size_t		 cap;		/* F_GETPIPE_SZ */
};

/*
 * Direction d reads fd[d] and writes fd[1 - d] through pipe[d]; ev_rd[i]
 * and ev_wr[i] watch fd[i].  The pump owns both sockets and its pipes.
 */
struct proxy_pump {
	struct proxy_conn	*pc;
	int			 fd[2];
	struct event		*ev_rd[2];
	struct event		*ev_wr[2];
	unsigned char		 on_rd[2];	/* added */
	unsigned char		 on_wr[2];
	unsigned char		 full[2];	/* pipe[d] is full */
	struct proxy_pipe	 pipe[2];
	size_t			 len[2];	/* bytes in pipe[d] */
};

/*
 * Empty pipes only.  A small pool is enough: a pipe is held only while
 * bytes are in flight, so the pool serves the tunnels moving data now.
 */
static struct proxy_pipe	proxy_pipes[PROXY_PIPE_POOL];
static size_t			proxy_npipes;

static void	proxy_pump_fallback(struct proxy_pump *);

static int
proxy_pipe_get(struct proxy_pipe *p)
{
	int sz;

	if (proxy_npipes > 0) {
		*p = proxy_pipes[--proxy_npipes];
		return 0;
	}
	if (pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) != 0) {
		p->fd[0] = p->fd[1] = -1;
		return -1;
	}
	/*
	 * Over fs.pipe-user-pages-soft, or above fs.pipe-max-size, this
	 * fails: the pipe keeps the size it has, which still works.
	 */
	(void)fcntl(p->fd[1], F_SETPIPE_SZ, PROXY_PIPE_SIZE);
	sz = fcntl(p->fd[1], F_GETPIPE_SZ);
	p->cap = sz > 0 ? (size_t)sz : 4096;
	return 0;
}

static void
proxy_pipe_close(struct proxy_pipe *p)
{
	if (p->fd[0] >= 0) {
		close(p->fd[0]);
		close(p->fd[1]);
	}
	p->fd[0] = p->fd[1] = -1;
}

/* An empty pipe back to the pool; a small one (the kernel's limit) not. */
static void
proxy_pipe_put(struct proxy_pipe *p)
{
	if (p->fd[0] < 0)
		return;
	if (proxy_npipes == PROXY_PIPE_POOL || p->cap < PROXY_PIPE_SIZE) {
		proxy_pipe_close(p);
		return;
	}
	proxy_pipes[proxy_npipes++] = *p;
	p->fd[0] = p->fd[1] = -1;
}

static const char *
proxy_pump_side_error(int side)
{
	return side == PUMP_CLI ? "client connection error" :
	    "target connection error";
}

/* Add or delete an event when what we want of it changes. */
static void
proxy_pump_want(struct event *ev, unsigned char *on, int want)
{
	if (want == *on)
		return;
	if (want)
		event_add(ev, NULL);
	else
		event_del(ev);
	*on = (unsigned char)want;
}

static int *
proxy_pump_eof(struct proxy_pump *pp, int d)
{
	return d == PUMP_UP ? &pp->pc->cli_eof : &pp->pc->srv_eof;
}

/*
 * Read what the source of direction d has into its pipe.  Returns -1
 * when pp is gone (closed, or handed back to the bufferevent pump).
 */
static int
proxy_pump_fill(struct proxy_pump *pp, int d)
{
	struct proxy_conn *pc = pp->pc;
	struct proxy_pipe *p = &pp->pipe[d];
	ssize_t n;

	if (p->fd[0] < 0 && proxy_pipe_get(p) != 0) {
		log_debug("%s: no pipe (%s): bufferevent pump", pc->source,
		    strerror(errno));
		proxy_pump_fallback(pp);
		return -1;
	}
	if (pp->len[d] >= p->cap) {
		pp->full[d] = 1;
		return 0;
	}
	n = splice(pp->fd[d], NULL, p->fd[1], NULL, p->cap - pp->len[d],
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		pp->len[d] += (size_t)n;
		if (d == PUMP_UP) {
			pc->up += n;
			role_stat_add(RS_BYTES_UP, n);
		} else {
			pc->down += n;
			role_stat_add(RS_BYTES_DOWN, n);
		}
		if (pp->len[d] >= p->cap)
			pp->full[d] = 1;
		proxy_conn_touch(pc);
		return 0;
	}
	if (n == 0) {
		*proxy_pump_eof(pp, d) = 1;
		return 0;
	}
	switch (errno) {
	case EAGAIN:
		/*
		 * Nothing to read, or the pipe is out of slots (small
		 * segments fill slots before bytes): with bytes waiting,
		 * take it as full until some are written, or a level-
		 * triggered read event would spin.
		 */
		if (pp->len[d] > 0)
			pp->full[d] = 1;
		return 0;
	case EINTR:
		return 0;
	case EINVAL:
		proxy_pump_fallback(pp);
		return -1;
	default:
		pc->reason = proxy_pump_side_error(d);
		proxy_conn_free(pc);
		return -1;
	}
}

/* Write what the pipe of direction d holds.  -1 when pp is gone. */
static int
proxy_pump_flush(struct proxy_pump *pp, int d)
{
	struct proxy_conn *pc = pp->pc;
	ssize_t n;

	if (pp->len[d] == 0)
		return 0;
	n = splice(pp->pipe[d].fd[0], NULL, pp->fd[1 - d], NULL, pp->len[d],
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		pp->len[d] -= (size_t)n;
		pp->full[d] = 0;
		return 0;
	}
	if (n == 0 || errno == EAGAIN || errno == EINTR)
		return 0;
	if (errno == EINVAL) {
		proxy_pump_fallback(pp);
		return -1;
	}
	pc->reason = proxy_pump_side_error(1 - d);
	proxy_conn_free(pc);
	return -1;
}

/*
 * After any progress: give drained pipes back, pass an end of stream on,
 * free the connection when both directions are over, and watch what
 * needs watching.  Returns -1 when pp is gone.
 */
static int
proxy_pump_settle(struct proxy_pump *pp)
{
	struct proxy_conn *pc = pp->pc;
	int d, eof;

	for (d = PUMP_UP; d <= PUMP_DOWN; d++) {
		if (pp->len[d] == 0) {
			proxy_pipe_put(&pp->pipe[d]);
			pp->full[d] = 0;
		}
	}
	if (pc->cli_eof && pp->len[PUMP_UP] == 0 && !pc->srv_shut) {
		shutdown(pp->fd[PUMP_SRV], SHUT_WR);
		pc->srv_shut = 1;
	}
	if (pc->srv_eof && pp->len[PUMP_DOWN] == 0 && !pc->cli_shut) {
		shutdown(pp->fd[PUMP_CLI], SHUT_WR);
		pc->cli_shut = 1;
	}
	if (pc->cli_eof && pc->srv_eof && pc->cli_shut && pc->srv_shut) {
		proxy_conn_free(pc);
		return -1;
	}
	for (d = PUMP_UP; d <= PUMP_DOWN; d++) {
		eof = *proxy_pump_eof(pp, d);
		proxy_pump_want(pp->ev_rd[d], &pp->on_rd[d],
		    !eof && !pp->full[d]);
		proxy_pump_want(pp->ev_wr[1 - d], &pp->on_wr[1 - d],
		    pp->len[d] > 0);
	}
	return 0;
}

/* A socket is readable: move what it has toward the other one. */
static void
proxy_pump_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_pump *pp = arg;
	int d = fd == pp->fd[PUMP_CLI] ? PUMP_UP : PUMP_DOWN;

	if (proxy_pump_fill(pp, d) != 0 || proxy_pump_flush(pp, d) != 0)
		return;
	(void)proxy_pump_settle(pp);
}

/* A socket is writable: drain the pipe that goes to it. */
static void
proxy_pump_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_pump *pp = arg;
	int d = fd == pp->fd[PUMP_SRV] ? PUMP_UP : PUMP_DOWN;

	if (proxy_pump_flush(pp, d) != 0)
		return;
	(void)proxy_pump_settle(pp);
}

void
proxy_pump_free(struct proxy_pump *pp)
{
	int i;

	if (pp == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (pp->ev_rd[i] != NULL)
			event_free(pp->ev_rd[i]);
		if (pp->ev_wr[i] != NULL)
			event_free(pp->ev_wr[i]);
		if (pp->len[i] == 0)
			proxy_pipe_put(&pp->pipe[i]);
		else
			proxy_pipe_close(&pp->pipe[i]);
		if (pp->fd[i] >= 0)
			close(pp->fd[i]);
	}
	free(pp);
}

/* Give the sockets (and what the pipes hold) back to bufferevents. */
static void
proxy_pump_fallback(struct proxy_pump *pp)
{
	struct proxy_conn *pc = pp->pc;
	struct event_base *base = pc->px->base;
	struct bufferevent *bev[2];
	int d, n;

	log_debug("%s: splice unusable: bufferevent pump", pc->source);
	pc->cli = bev[PUMP_CLI] = bufferevent_socket_new(base,
	    pp->fd[PUMP_CLI], BEV_OPT_CLOSE_ON_FREE);
	if (pc->cli != NULL)
		pp->fd[PUMP_CLI] = -1;
	pc->srv = bev[PUMP_SRV] = bufferevent_socket_new(base,
	    pp->fd[PUMP_SRV], BEV_OPT_CLOSE_ON_FREE);
	if (pc->srv != NULL)
		pp->fd[PUMP_SRV] = -1;
	if (pc->cli == NULL || pc->srv == NULL) {
		pc->reason = "out of resources";
		proxy_conn_free(pc);		/* frees pp too */
		return;
	}
	for (d = PUMP_UP; d <= PUMP_DOWN; d++) {
		while (pp->len[d] > 0) {
			n = evbuffer_read(bufferevent_get_output(bev[1 - d]),
			    pp->pipe[d].fd[0], (int)pp->len[d]);
			if (n <= 0)
				break;
			pp->len[d] -= (size_t)n;
		}
	}
	pc->pump = NULL;
	proxy_pump_free(pp);
	proxy_splice_classic(pc);
}

/*
 * Take a plain tunnel over from its bufferevents, once the 200 is sent.
 * Bytes the client sent after its CONNECT go first, through the pipe.
 * Returns -1, with the bufferevents untouched, when it cannot.
 */
int
proxy_pump_start(struct proxy_conn *pc)
{
	struct evbuffer *cin = bufferevent_get_input(pc->cli);
	struct proxy_pump *pp;
	size_t early = evbuffer_get_length(cin);
	unsigned char *p;
	int i;

	if (evbuffer_get_length(bufferevent_get_output(pc->srv)) > 0)
		return -1;
	pp = xcalloc(1, sizeof(*pp));
	pp->pc = pc;
	pp->fd[PUMP_CLI] = bufferevent_getfd(pc->cli);
	pp->fd[PUMP_SRV] = bufferevent_getfd(pc->srv);
	for (i = 0; i < 2; i++) {
		pp->pipe[i].fd[0] = pp->pipe[i].fd[1] = -1;
		pp->ev_rd[i] = event_new(pc->px->base, pp->fd[i],
		    EV_READ | EV_PERSIST, proxy_pump_on_read, pp);
		pp->ev_wr[i] = event_new(pc->px->base, pp->fd[i],
		    EV_WRITE | EV_PERSIST, proxy_pump_on_write, pp);
		if (pp->ev_rd[i] == NULL || pp->ev_wr[i] == NULL)
			goto fail;
	}
	if (early > 0) {
		if (proxy_pipe_get(&pp->pipe[PUMP_UP]) != 0 ||
		    early > pp->pipe[PUMP_UP].cap ||
		    (p = evbuffer_pullup(cin, (ssize_t)early)) == NULL ||
		    write(pp->pipe[PUMP_UP].fd[1], p, early) != (ssize_t)early)
			goto fail;
		pp->len[PUMP_UP] = early;
		pc->up += (long long)early;
		role_stat_add(RS_BYTES_UP, (int64_t)early);
	}

	/* From here on the pump owns the sockets. */
	for (i = 0; i < 2; i++) {
		struct bufferevent **bev = i == PUMP_CLI ? &pc->cli : &pc->srv;

		bufferevent_setfd(*bev, -1);
		bufferevent_free(*bev);
		*bev = NULL;
	}
	pc->pump = pp;
	if (proxy_pump_flush(pp, PUMP_UP) != 0)
		return 0;
	(void)proxy_pump_settle(pp);
	return 0;

fail:
	pp->fd[PUMP_CLI] = pp->fd[PUMP_SRV] = -1;	/* still the bevs' */
	proxy_pipe_close(&pp->pipe[PUMP_UP]);
	proxy_pump_free(pp);
	return -1;
}
