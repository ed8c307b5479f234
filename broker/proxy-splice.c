/*
 * The byte pump between a client and its target, in the manner of
 * libevent's sample/le-proxy.c: what one side reads is moved (not copied)
 * to the other side's output; when that output holds PROXY_HIGH_WATER
 * bytes the reading side stops until the writing side drains to half of
 * it.  So a fast sender never fills memory behind a slow receiver.
 *
 * A plain tunnel (CONNECT on the plain listener) is handed to the
 * splice(2) pump of proxy-pump.c once its 200 is sent; what follows is
 * for TLS clients and for the fallback.
 *
 * A tunnel (CONNECT) passes bytes both ways until both directions have
 * ended; an end of stream on one side is passed on as a half-close
 * (shutdown(SHUT_WR)) once what was queued is written.  A TLS client
 * cannot be half-closed here: when the target ends, the client is closed
 * once the output is written.
 *
 * A forwarded request (absolute form) sends the rewritten head and exactly
 * one body (Content-Length or chunked, walked by hp_chunk_scan), then
 * reads no more from the client; the response is passed back until the
 * target closes (the request said Connection: close).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "broker/proxy.h"
#include "common/log.h"

static void	proxy_half_close(struct proxy_conn *, struct bufferevent *);

static struct bufferevent *
proxy_peer(struct proxy_conn *pc, struct bufferevent *bev)
{
	return bev == pc->cli ? pc->srv : pc->cli;
}

/* The status of a forwarded response, from its first line. */
static void
proxy_peek_status(struct proxy_conn *pc, struct evbuffer *in)
{
	unsigned char *p;

	if (evbuffer_get_length(in) < 12)
		return;
	p = evbuffer_pullup(in, 12);
	if (p != NULL && memcmp(p, "HTTP/1.", 7) == 0 && p[8] == ' ' &&
	    p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' &&
	    p[11] >= '0' && p[11] <= '9')
		pc->upstream_status = (p[9] - '0') * 100 + (p[10] - '0') * 10 +
		    (p[11] - '0');
	else
		pc->upstream_status = -1;
}

/* Both directions over: free.  Returns 1 when pc is gone. */
static int
proxy_maybe_done(struct proxy_conn *pc)
{
	struct evbuffer *cout = bufferevent_get_output(pc->cli);

	if (pc->state == PC_FORWARD) {
		if (pc->srv_eof && evbuffer_get_length(cout) == 0) {
			proxy_conn_free(pc);
			return 1;
		}
		return 0;
	}
	if (pc->tls && pc->srv_eof && evbuffer_get_length(cout) == 0) {
		proxy_conn_free(pc);
		return 1;
	}
	if (pc->cli_eof && pc->srv_shut && pc->srv_eof && pc->cli_shut) {
		proxy_conn_free(pc);
		return 1;
	}
	return 0;
}

static void
proxy_half_close(struct proxy_conn *pc, struct bufferevent *bev)
{
	if (bev == pc->cli) {
		if (pc->cli_shut || pc->tls)
			return;
		pc->cli_shut = 1;
	} else {
		if (pc->srv_shut)
			return;
		pc->srv_shut = 1;
	}
	shutdown(bufferevent_getfd(bev), SHUT_WR);
}

/* Move what src has read to its peer's output, with backpressure. */
static void
proxy_pump(struct proxy_conn *pc, struct bufferevent *src)
{
	struct bufferevent *dst = proxy_peer(pc, src);
	struct evbuffer *in = bufferevent_get_input(src);
	struct evbuffer *out = bufferevent_get_output(dst);
	size_t n;

	if ((n = evbuffer_get_length(in)) == 0)
		return;
	if (src == pc->cli) {
		pc->up += (long long)n;
		role_stat_add(RS_BYTES_UP, (int64_t)n);
	} else {
		if (pc->state == PC_FORWARD && pc->upstream_status == 0)
			proxy_peek_status(pc, in);
		pc->down += (long long)n;
		role_stat_add(RS_BYTES_DOWN, (int64_t)n);
	}
	proxy_conn_touch(pc);
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) >= PROXY_HIGH_WATER)
		bufferevent_disable(src, EV_READ);
}

static void
proxy_splice_read(struct bufferevent *bev, void *arg)
{
	proxy_pump(arg, bev);
}

/*
 * dst wrote and its output is at or under the low mark: let its source
 * read again, and pass on an end of stream once everything is written.
 */
static void
proxy_splice_write(struct bufferevent *dst, void *arg)
{
	struct proxy_conn *pc = arg;
	struct bufferevent *src = proxy_peer(pc, dst);
	size_t left = evbuffer_get_length(bufferevent_get_output(dst));
	int src_eof = src == pc->cli ? pc->cli_eof : pc->srv_eof;

	if (!src_eof && left < PROXY_HIGH_WATER &&
	    !(src == pc->cli && pc->state == PC_FORWARD && pc->body_done))
		bufferevent_enable(src, EV_READ);
	if (left == 0 && src_eof)
		proxy_half_close(pc, dst);
	proxy_maybe_done(pc);
}

static void
proxy_splice_event(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *pc = arg;
	struct bufferevent *dst = proxy_peer(pc, bev);

	if (what & BEV_EVENT_EOF) {
		if (bev == pc->cli && pc->state == PC_FORWARD &&
		    !pc->body_done) {
			pc->outcome = "closed";
			pc->reason = "client ended the request body early";
			proxy_conn_free(pc);
			return;
		}
		if (bev == pc->cli) {
			if (pc->state != PC_FORWARD)
				proxy_pump(pc, bev);
			pc->cli_eof = 1;
		} else {
			proxy_pump(pc, bev);
			pc->srv_eof = 1;
		}
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(dst)) == 0)
			proxy_half_close(pc, dst);
		proxy_maybe_done(pc);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		pc->reason = bev == pc->cli ? "client connection error" :
		    "target connection error";
		proxy_conn_free(pc);
	}
}

/*
 * Bigger single reads and writes than libevent's 16 KiB: fewer system
 * calls and callbacks per byte on a fast tunnel, still bounded.
 */
static void
proxy_big_io(struct proxy_conn *pc)
{
	bufferevent_set_max_single_read(pc->cli, PROXY_IO_MAX);
	bufferevent_set_max_single_write(pc->cli, PROXY_IO_MAX);
	bufferevent_set_max_single_read(pc->srv, PROXY_IO_MAX);
	bufferevent_set_max_single_write(pc->srv, PROXY_IO_MAX);
}

/*
 * The bufferevent pump for a tunnel: for a TLS client, or a plain one
 * whose sockets splice(2) cannot serve (proxy-pump.c hands them back,
 * maybe with a direction already ended).
 */
void
proxy_splice_classic(struct proxy_conn *pc)
{
	proxy_big_io(pc);
	bufferevent_setwatermark(pc->cli, EV_READ, 0, 0);
	bufferevent_setwatermark(pc->cli, EV_WRITE, PROXY_HIGH_WATER / 2, 0);
	bufferevent_setwatermark(pc->srv, EV_WRITE, PROXY_HIGH_WATER / 2, 0);
	bufferevent_setcb(pc->cli, proxy_splice_read, proxy_splice_write,
	    proxy_splice_event, pc);
	bufferevent_setcb(pc->srv, proxy_splice_read, proxy_splice_write,
	    proxy_splice_event, pc);
	/* Bytes the client sent right after its CONNECT go through too. */
	proxy_pump(pc, pc->cli);
	bufferevent_enable(pc->cli, EV_WRITE | (pc->cli_eof ? 0 : EV_READ));
	bufferevent_enable(pc->srv, EV_WRITE | (pc->srv_eof ? 0 : EV_READ));
	if (pc->cli_eof &&
	    evbuffer_get_length(bufferevent_get_output(pc->srv)) == 0)
		proxy_half_close(pc, pc->srv);
	if (pc->srv_eof &&
	    evbuffer_get_length(bufferevent_get_output(pc->cli)) == 0)
		proxy_half_close(pc, pc->cli);
	(void)proxy_maybe_done(pc);
}

/* As much of buf as the socket takes now, without blocking. */
static size_t
proxy_send_now(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n > 0 ? (size_t)n : 0;
}

/*
 * A CONNECT succeeded.  A plain client gets the 200 straight away and
 * the fast pump (proxy-pump.c); a TLS client, or a plain one the pump
 * cannot take, the bufferevent pump.
 */
void
proxy_splice_start(struct proxy_conn *pc)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct evbuffer *cout = bufferevent_get_output(pc->cli);
	struct timeval tv = { pc->px->set.idle_timeout, 0 };
	size_t sent = 0;

	pc->state = PC_TUNNEL;
	pc->status = 200;
	pc->outcome = "allowed";
	proxy_conn_count_tunnel(pc);
	proxy_conn_touch(pc);
	evtimer_del(pc->ev_timer);
	evtimer_add(pc->ev_timer, &tv);
	if (!pc->tls && evbuffer_get_length(cout) == 0)
		sent = proxy_send_now(bufferevent_getfd(pc->cli), ok,
		    sizeof(ok) - 1);
	if (sent == sizeof(ok) - 1 && proxy_pump_start(pc) == 0)
		return;
	evbuffer_add(cout, ok + sent, sizeof(ok) - 1 - sent);
	proxy_splice_classic(pc);
}

/*
 * Move up to the end of the one request body to the target.  Returns -1
 * when the body was malformed and pc is gone.
 */
static int
proxy_forward_body(struct proxy_conn *pc)
{
	struct evbuffer *in = bufferevent_get_input(pc->cli);
	struct evbuffer *out = bufferevent_get_output(pc->srv);
	struct evbuffer_iovec vec[16];
	size_t n, take = 0, used;
	int i, nv, rc = 0;

	if (pc->body_done) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	}
	n = evbuffer_get_length(in);
	if (pc->body_chunked) {
		nv = evbuffer_peek(in, -1, NULL, vec, 16);
		if (nv > 16)
			nv = 16;
		for (i = 0; i < nv; i++) {
			rc = hp_chunk_scan(&pc->chunk, vec[i].iov_base,
			    vec[i].iov_len, &used);
			take += used;
			if (rc != 0)
				break;
		}
		if (rc < 0) {
			pc->outcome = "denied";
			pc->reason = "malformed chunked request body";
			proxy_conn_free(pc);
			return -1;
		}
		if (rc == 1)
			pc->body_done = 1;
	} else {
		take = (long long)n < pc->body_left ? n : (size_t)pc->body_left;
		pc->body_left -= (long long)take;
		if (pc->body_left == 0)
			pc->body_done = 1;
	}
	pc->up += (long long)take;
	role_stat_add(RS_BYTES_UP, (int64_t)take);
	proxy_conn_touch(pc);
	evbuffer_remove_buffer(in, out, take);
	if (pc->body_done) {
		/* Nothing after the body: one request per connection. */
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(pc->cli, EV_READ);
	} else if (evbuffer_get_length(out) >= PROXY_HIGH_WATER)
		bufferevent_disable(pc->cli, EV_READ);
	return 0;
}

static void
proxy_forward_read(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *pc = arg;

	if (bev == pc->cli)
		(void)proxy_forward_body(pc);
	else
		proxy_pump(pc, bev);
}

void
proxy_forward_start(struct proxy_conn *pc)
{
	struct hp_req *r = &pc->req;
	struct evbuffer *out = bufferevent_get_output(pc->srv);
	size_t i;

	pc->state = PC_FORWARD;
	pc->outcome = "allowed";
	pc->status = 200;
	proxy_conn_count_tunnel(pc);
	/* The origin form, the target's authority as Host, no hop-by-hop. */
	evbuffer_add_printf(out, "%s %s HTTP/1.%d\r\nHost: %s\r\n", r->method,
	    r->path, r->version == 11 ? 1 : 0, r->authority);
	for (i = 0; i < r->nheaders; i++) {
		if (r->headers[i].flags & (HP_HDR_HOP | HP_HDR_HOST))
			continue;
		if (strcasecmp(r->headers[i].name, "via") == 0)
			continue;
		evbuffer_add_printf(out, "%s: %s\r\n", r->headers[i].name,
		    r->headers[i].value);
	}
	evbuffer_add_printf(out, "Via: 1.%d vnf-broker\r\n"
	    "Connection: close\r\n\r\n", r->version == 11 ? 1 : 0);
	if (r->chunked) {
		pc->body_chunked = 1;
		hp_chunk_init(&pc->chunk);
	} else if (r->content_length > 0)
		pc->body_left = r->content_length;
	else
		pc->body_done = 1;

	proxy_big_io(pc);
	bufferevent_setwatermark(pc->cli, EV_READ, 0, 0);
	bufferevent_setwatermark(pc->cli, EV_WRITE, PROXY_HIGH_WATER / 2, 0);
	bufferevent_setwatermark(pc->srv, EV_WRITE, PROXY_HIGH_WATER / 2, 0);
	bufferevent_setcb(pc->cli, proxy_forward_read, proxy_splice_write,
	    proxy_splice_event, pc);
	bufferevent_setcb(pc->srv, proxy_forward_read, proxy_splice_write,
	    proxy_splice_event, pc);
	if (proxy_forward_body(pc) != 0)
		return;
	if (!pc->body_done)
		bufferevent_enable(pc->cli, EV_READ);
	bufferevent_enable(pc->cli, EV_WRITE);
	bufferevent_enable(pc->srv, EV_READ | EV_WRITE);
	proxy_conn_touch(pc);
	{
		struct timeval tv = { pc->px->set.idle_timeout, 0 };

		evtimer_add(pc->ev_timer, &tv);
	}
}
