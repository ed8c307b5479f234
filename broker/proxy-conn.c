/*
 * One client connection of the proxy, from accept to the start of the
 * splice: TLS handshake (on the TLS listener), the request head, the PAC
 * file, authentication, target resolution and grants, the socket from the
 * parent and the non-blocking connect.  Every refusal is a status with a
 * one-line body, then the connection is closed; every connection ends
 * with exactly one audit record.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "broker/audit.h"
#include "broker/proxy.h"
#include "broker/pwcheck.h"
#include "common/log.h"
#include "common/xmalloc.h"

static void	proxy_cli_read(struct bufferevent *, void *);
static void	proxy_cli_event(struct bufferevent *, short, void *);

static time_t
proxy_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

void
proxy_conn_touch(struct proxy_conn *pc)
{
	pc->last = proxy_now();
}

static void
proxy_timer(struct proxy_conn *pc, int secs)
{
	struct timeval tv = { secs, 0 };

	evtimer_add(pc->ev_timer, &tv);
}

static void
proxy_source(char *buf, size_t len, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "?");
}

void
proxy_conn_audit(struct proxy_conn *pc)
{
	struct audit_rec rec;
	struct timespec now;

	if (pc->audited)
		return;
	pc->audited = 1;
	/* A connection that never sent a request is not a decision. */
	if (!pc->have_req && pc->status == 0 && !pc->tls_failed)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	audit_rec_init(&rec, pc->tls_failed ? "handshake" : pc->have_req &&
	    pc->req.connect ? "tunnel" : "request");
	rec.user = pc->user[0] != '\0' ? pc->user : NULL;
	rec.credential = pc->user[0] != '\0' ? pc->credential : NULL;
	if (rec.credential != NULL && rec.credential == pc->cert_fp &&
	    pc->cert_subject[0] != '\0')
		rec.key_id = pc->cert_subject;
	rec.source = pc->source;
	if (pc->have_req && pc->req.authority[0] != '\0')
		rec.target = pc->req.authority;
	else if (pc->have_req && pc->req.path != NULL)
		rec.target = pc->req.path;
	if (pc->have_target) {
		rec.network = pc->target.network;
		rec.address = pc->target.address;
		rec.port = pc->target.port;
	}
	if (pc->state == PC_TUNNEL || pc->state == PC_FORWARD ||
	    pc->up > 0 || pc->down > 0) {
		rec.bytes_up = pc->up;
		rec.bytes_down = pc->down;
	}
	rec.duration_ms = (now.tv_sec - pc->start.tv_sec) * 1000LL +
	    (now.tv_nsec - pc->start.tv_nsec) / 1000000;
	rec.status = pc->upstream_status > 0 ? pc->upstream_status :
	    pc->status > 0 ? pc->status : -1;
	rec.outcome = pc->outcome != NULL ? pc->outcome : "closed";
	rec.reason = pc->reason;
	audit_write(&rec);
}

void
proxy_conn_count_tunnel(struct proxy_conn *pc)
{
	if (pc->tunnel_counted)
		return;
	pc->tunnel_counted = 1;
	role_stat_add(RS_TUNNELS, 1);
	role_stat_add(RS_TUNNELS_OPEN, 1);
}

void
proxy_conn_free(struct proxy_conn *pc)
{
	struct proxy *px = pc->px;

	proxy_conn_audit(pc);
	role_stat_add(RS_CONNS_OPEN, -1);
	if (pc->tunnel_counted)
		role_stat_add(RS_TUNNELS_OPEN, -1);
	if (pc->sockreq > 0)
		role_socket_cancel(px->rt, pc->sockreq);
	if (pc->pwjob > 0)
		pwcheck_cancel(px->pw, pc->pwjob);
	explicit_bzero(pc->pwmac, sizeof(pc->pwmac));
	if (pc->cli != NULL)
		bufferevent_free(pc->cli);
	if (pc->srv != NULL)
		bufferevent_free(pc->srv);
	proxy_pump_free(pc->pump);
	if (pc->ev_timer != NULL)
		event_free(pc->ev_timer);
	hp_req_free(&pc->req);
	TAILQ_REMOVE(&px->conns, pc, entry);
	px->nconns--;
	free(pc);
	proxy_conn_gone(px);
}

/* After a refusal: the response is out; half-close, then linger. */
static void
proxy_closing_write(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *pc = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0 ||
	    pc->cli_shut)
		return;
	if (pc->tls) {
		proxy_conn_free(pc);
		return;
	}
	/*
	 * Closing with unread bytes would send a reset that can destroy the
	 * response before the client reads it: read and drop for a while.
	 */
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	pc->cli_shut = 1;
}

void
proxy_conn_refuse(struct proxy_conn *pc, int status, const char *reason,
    const char *outcome)
{
	struct evbuffer *out = bufferevent_get_output(pc->cli);

	if (pc->sockreq > 0) {
		role_socket_cancel(pc->px->rt, pc->sockreq);
		pc->sockreq = 0;
	}
	if (pc->srv != NULL) {
		bufferevent_free(pc->srv);
		pc->srv = NULL;
	}
	pc->status = status;
	pc->reason = reason;
	pc->outcome = outcome;
	pc->state = PC_CLOSING;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
	    hp_reason(status));
	if (status == 407)
		evbuffer_add_printf(out, "Proxy-Authenticate: Basic "
		    "realm=\"vnf-broker\", charset=\"UTF-8\"\r\n");
	evbuffer_add_printf(out, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
	    strlen(reason) + 1, reason);
	bufferevent_setwatermark(pc->cli, EV_WRITE, 0, 0);
	bufferevent_setwatermark(pc->cli, EV_READ, 0, 0);
	bufferevent_setcb(pc->cli, proxy_cli_read, proxy_closing_write,
	    proxy_cli_event, pc);
	bufferevent_enable(pc->cli, EV_READ | EV_WRITE);
	proxy_timer(pc, PROXY_LINGER_SECS);
	log_debug("%s: %d %s", pc->source, status, reason);
}

/* The PAC file, for GET or HEAD /proxy.pac. */
static void
proxy_serve_pac(struct proxy_conn *pc)
{
	struct evbuffer *out = bufferevent_get_output(pc->cli);
	char *pac;

	pac = proxy_pac(pc->px, &pc->req, pc->tls);
	evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/x-ns-proxy-autoconfig\r\n"
	    "Content-Length: %zu\r\nCache-Control: max-age=300\r\n"
	    "Connection: close\r\n\r\n", strlen(pac));
	if (strcmp(pc->req.method, "HEAD") != 0)
		evbuffer_add(out, pac, strlen(pac));
	free(pac);
	pc->status = 200;
	pc->outcome = "allowed";
	pc->reason = "proxy.pac";
	pc->state = PC_CLOSING;
	bufferevent_setwatermark(pc->cli, EV_READ, 0, 0);
	bufferevent_setcb(pc->cli, proxy_cli_read, proxy_closing_write,
	    proxy_cli_event, pc);
	bufferevent_enable(pc->cli, EV_READ | EV_WRITE);
	proxy_timer(pc, PROXY_LINGER_SECS);
}

static int
proxy_is_pac(const struct hp_req *r)
{
	size_t n = strlen("/proxy.pac");

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return 0;
	return strncmp(r->path, "/proxy.pac", n) == 0 &&
	    (r->path[n] == '\0' || r->path[n] == '?');
}

static void
proxy_nodelay(struct bufferevent *bev)
{
	int one = 1;

	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
}

static void
proxy_srv_event(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *pc = arg;
	int e;

	if (what & BEV_EVENT_CONNECTED) {
		proxy_nodelay(pc->srv);
		proxy_nodelay(pc->cli);
		evtimer_del(pc->ev_timer);
		log_debug("%s: connected to %s %s port %u", pc->source,
		    pc->target.network, pc->target.address, pc->target.port);
		if (pc->req.connect)
			proxy_splice_start(pc);
		else
			proxy_forward_start(pc);
		return;
	}
	e = EVUTIL_SOCKET_ERROR();
	if (e == ECONNREFUSED)
		proxy_conn_refuse(pc, 502, "connection refused by the target",
		    "error");
	else if (e == ETIMEDOUT)
		proxy_conn_refuse(pc, 504, "timed out connecting to the target",
		    "error");
	else if (e == EHOSTUNREACH || e == ENETUNREACH)
		proxy_conn_refuse(pc, 502, "the target is unreachable",
		    "error");
	else
		proxy_conn_refuse(pc, 502, "cannot connect to the target",
		    "error");
}

/* The parent's answer: a socket inside the target's network. */
static void
proxy_on_socket(int fd, const char *msg, void *arg)
{
	struct proxy_conn *pc = arg;

	pc->sockreq = 0;
	if (fd < 0) {
		log_warn("%s: no socket in network %s: %s", pc->source,
		    pc->target.network, msg != NULL ? msg : "?");
		proxy_conn_refuse(pc, 502, "cannot open a socket in the "
		    "target's network", "error");
		return;
	}
	evutil_make_socket_nonblocking(fd);
	pc->srv = bufferevent_socket_new(pc->px->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (pc->srv == NULL) {
		close(fd);
		proxy_conn_refuse(pc, 502, "out of resources", "error");
		return;
	}
	bufferevent_setcb(pc->srv, NULL, NULL, proxy_srv_event, pc);
	pc->state = PC_CONNECTING;
	if (bufferevent_socket_connect(pc->srv,
	    (struct sockaddr *)&pc->target.sa, (int)pc->target.salen) != 0)
		proxy_conn_refuse(pc, 502, "cannot connect to the target",
		    "error");
}

/* A complete head: decide, then ask for a socket. */
static void
proxy_dispatch(struct proxy_conn *pc)
{
	struct proxy *px = pc->px;
	struct hp_req *r = &pc->req;
	const char *reason = NULL;
	int status;

	bufferevent_disable(pc->cli, EV_READ);
	if (r->form == HP_FORM_ORIGIN) {
		if (proxy_is_pac(r))
			proxy_serve_pac(pc);
		else
			proxy_conn_refuse(pc, 400, "a proxy request needs an "
			    "absolute http:// URL or CONNECT", "denied");
		return;
	}
	status = proxy_auth_check(px, pc, &reason);
	if (status != PROXY_AUTH_PENDING)
		proxy_conn_authed(pc, status, reason);
}

/* Authenticated (or refused): resolve, check the grant, ask for a socket. */
void
proxy_conn_authed(struct proxy_conn *pc, int status, const char *reason)
{
	struct proxy *px = pc->px;
	struct hp_req *r = &pc->req;
	enum access_result ar;

	if (status != 0) {
		proxy_conn_refuse(pc, status, reason, status == 503 ? "error" :
		    "denied");
		return;
	}
	ar = access_resolve(px->access, r->host, r->port, &pc->target, &reason);
	if (ar != ACCESS_OK) {
		proxy_conn_refuse(pc, 404, reason, "denied");
		return;
	}
	pc->have_target = 1;
	ar = access_check(px->access, pc->user, &pc->target, &reason);
	if (ar != ACCESS_OK) {
		proxy_conn_refuse(pc, ar == ACCESS_UNKNOWN_TARGET ? 404 : 403,
		    reason, "denied");
		return;
	}
	pc->state = PC_SOCKET;
	pc->sockreq = role_socket(px->rt, pc->target.network,
	    pc->target.sa.ss_family, proxy_on_socket, pc);
	if (pc->sockreq < 0) {
		pc->sockreq = 0;
		proxy_conn_refuse(pc, 503, "the broker is busy; try again",
		    "error");
		return;
	}
	proxy_timer(pc, px->set.connect_timeout);
}

static void
proxy_head(struct proxy_conn *pc)
{
	struct evbuffer *in = bufferevent_get_input(pc->cli);
	const struct hp_limits *lim = &pc->px->set.limits;
	enum hp_result res;
	size_t len;
	char *p;

	len = evbuffer_get_length(in);
	if (len > lim->head)
		len = lim->head;
	if ((p = (char *)evbuffer_pullup(in, (ssize_t)len)) == NULL)
		return;
	res = hp_parse(&pc->req, p, len, lim);
	if (res == HP_MORE)
		return;
	if (res == HP_ERROR) {
		proxy_conn_refuse(pc, pc->req.status, pc->req.error, "denied");
		return;
	}
	pc->have_req = 1;
	evbuffer_drain(in, pc->req.head_len);
	proxy_dispatch(pc);
}

static void
proxy_cli_read(struct bufferevent *bev, void *arg)
{
	struct proxy_conn *pc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;

	switch (pc->state) {
	case PC_HANDSHAKE:
	case PC_HEAD:
		pc->state = PC_HEAD;
		proxy_head(pc);
		break;
	case PC_CLOSING:
		n = evbuffer_get_length(in);
		evbuffer_drain(in, n);
		pc->lingered += n;
		if (pc->lingered > PROXY_LINGER_MAX)
			proxy_conn_free(pc);
		break;
	default:
		break;
	}
}

static void
proxy_cli_event(struct bufferevent *bev, short what, void *arg)
{
	struct proxy_conn *pc = arg;

	if (what & BEV_EVENT_CONNECTED) {
		/* The TLS handshake is done. */
		pc->state = PC_HEAD;
		proxy_auth_cert(pc->px, pc, bufferevent_openssl_get_ssl(bev));
		return;
	}
	if (pc->state == PC_HANDSHAKE && (what & BEV_EVENT_ERROR)) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		log_debug("%s: TLS handshake failed: %s", pc->source,
		    e ? ERR_reason_error_string(e) : "connection closed");
		pc->status = 0;
		/*
		 * A TLS error is a refusal worth a line (an old client, a
		 * certificate the CA did not sign); a peer that closed
		 * before speaking TLS (a port probe) is not.
		 */
		if (e != 0) {
			snprintf(pc->why, sizeof(pc->why), "TLS handshake "
			    "failed: %s", ERR_reason_error_string(e) ?
			    ERR_reason_error_string(e) : "unknown error");
			pc->reason = pc->why;
			pc->outcome = "denied";
			pc->tls_failed = 1;
		}
	}
	if (pc->state == PC_HEAD &&
	    evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		pc->outcome = "denied";
		pc->reason = "incomplete request head";
		pc->status = 400;
	} else if (pc->outcome == NULL) {
		pc->outcome = "closed";
		pc->reason = "client went away";
	}
	proxy_conn_free(pc);
}

static void
proxy_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_conn *pc = arg;
	time_t idle;

	switch (pc->state) {
	case PC_HANDSHAKE:
		proxy_conn_free(pc);
		break;
	case PC_HEAD:
		if (evbuffer_get_length(bufferevent_get_input(pc->cli)) == 0) {
			proxy_conn_free(pc);	/* nothing was asked */
			break;
		}
		proxy_conn_refuse(pc, 408, "request head not received in time",
		    "denied");
		break;
	case PC_SOCKET:
	case PC_CONNECTING:
		proxy_conn_refuse(pc, 504, "timed out connecting to the target",
		    "error");
		break;
	case PC_TUNNEL:
	case PC_FORWARD:
		idle = proxy_now() - pc->last;
		if (idle < pc->px->set.idle_timeout) {
			proxy_timer(pc, (int)(pc->px->set.idle_timeout - idle));
			break;
		}
		if (pc->outcome == NULL)
			pc->outcome = "allowed";
		pc->reason = "idle timeout";
		proxy_conn_free(pc);
		break;
	case PC_CLOSING:
		proxy_conn_free(pc);
		break;
	}
}

void
proxy_conn_accept(struct proxy *px, int fd, struct sockaddr *sa, int salen,
    int tls)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 21\r\nConnection: close\r\n\r\n"
	    "too many connections\n";
	struct proxy_conn *pc;
	SSL *ssl;

	if (px->stopping) {
		close(fd);
		return;
	}
	if (px->nconns >= px->set.max_connections) {
		struct audit_rec rec;
		char source[64];

		/* Plain listener only: a TLS client would not understand. */
		if (!tls)
			(void)send(fd, busy, sizeof(busy) - 1,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		proxy_source(source, sizeof(source), sa);
		audit_rec_init(&rec, "request");
		rec.source = source;
		rec.status = 503;
		rec.outcome = "denied";
		rec.reason = "too many connections";
		audit_write(&rec);
		return;
	}
	pc = xcalloc(1, sizeof(*pc));
	pc->px = px;
	pc->tls = tls;
	clock_gettime(CLOCK_MONOTONIC, &pc->start);
	proxy_conn_touch(pc);
	proxy_source(pc->source, sizeof(pc->source), sa);
	if (tls) {
		if ((ssl = SSL_new(px->tls)) == NULL) {
			close(fd);
			free(pc);
			return;
		}
		pc->cli = bufferevent_openssl_socket_new(px->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (pc->cli != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(pc->cli, 1);
		pc->state = PC_HANDSHAKE;
	} else {
		pc->cli = bufferevent_socket_new(px->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		pc->state = PC_HEAD;
	}
	if (pc->cli == NULL) {
		close(fd);
		free(pc);
		return;
	}
	pc->ev_timer = evtimer_new(px->base, proxy_on_timer, pc);
	TAILQ_INSERT_TAIL(&px->conns, pc, entry);
	px->nconns++;
	role_stat_add(RS_CONNS, 1);
	role_stat_add(RS_CONNS_OPEN, 1);
	bufferevent_setcb(pc->cli, proxy_cli_read, NULL, proxy_cli_event, pc);
	/* Never hold more than one head's worth while parsing. */
	bufferevent_setwatermark(pc->cli, EV_READ, 0, px->set.limits.head);
	bufferevent_enable(pc->cli, EV_READ);
	proxy_timer(pc, px->set.request_timeout);
}

void
proxy_conn_stop_idle(struct proxy *px)
{
	struct proxy_conn *pc, *next;

	for (pc = TAILQ_FIRST(&px->conns); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, entry);
		if (pc->state == PC_HANDSHAKE || (pc->state == PC_HEAD &&
		    evbuffer_get_length(bufferevent_get_input(pc->cli)) == 0))
			proxy_conn_free(pc);
	}
}
