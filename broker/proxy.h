/*
 * The HTTP(S) proxy role (vnf-broker-proxy): shared between its files.
 *
 *   proxy-main.c    role start-up, settings, listeners, accept, shutdown
 *   proxy-conn.c    one client connection: head, auth, target, connect
 *   proxy-splice.c  the byte pump: tunnels and forwarded requests
 *   proxy-pump.c    the fast tunnel pump: splice(2) through pipes
 *   proxy-auth.c    Basic credentials (crypt(3)) and client certificates
 *   proxy-tls.c     the TLS listener's context; a self-signed certificate
 *   proxy-pac.c     GET /proxy.pac
 *   proxy-http.c    the request-head parser (proxy-http.h)
 *
 * One libevent loop, no threads.  A connection owns both its bufferevents
 * (or, for a plain tunnel, its pump, which owns both sockets) and frees
 * itself (proxy_conn_free) when both directions are done.
 */
#ifndef VB_BROKER_PROXY_H
#define VB_BROKER_PROXY_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "broker/access.h"
#include "broker/proxy-http.h"
#include "broker/proxy-tls.h"
#include "broker/role-stats.h"
#include "broker/role.h"

#define PROXY_LISTENERS_MAX	16
#define PROXY_HIGH_WATER	(512 * 1024)	/* bytes queued toward a peer */
#define PROXY_IO_MAX		(128 * 1024)	/* one read or write */
#define PROXY_LINGER_MAX	(64 * 1024)	/* read and dropped after a refusal */
#define PROXY_LINGER_SECS	2
#define PROXY_USER_MAX		32
#define PROXY_AUTH_CACHE	256		/* verified credentials kept */

struct proxy_settings {
	int			 connect_timeout;	/* seconds */
	int			 idle_timeout;
	int			 request_timeout;
	int			 shutdown_grace;
	long			 max_connections;
	struct hp_limits	 limits;
	int			 auth_cache_ttl;
	int			 client_cert_required;
	char			*pac_proxy;		/* NULL: from Host */
};

struct proxy_cache_ent {
	char		 user[PROXY_USER_MAX + 1];
	unsigned char	 mac[32];	/* HMAC of user, password and hash */
	time_t		 expires;
};

struct proxy_listener {
	struct proxy		*px;
	struct evconnlistener	*lev;
	struct event		*ev_pause;	/* re-enables after EMFILE */
	int			 tls;
	char			 name[16];
};

struct proxy_conn;
struct proxy_pump;
TAILQ_HEAD(proxy_conns, proxy_conn);

struct proxy {
	struct role_rt		*rt;
	struct event_base	*base;
	struct access		*access;
	struct proxy_settings	 set;
	const char		*dns_suffix;	/* in conf, or NULL */
	json_t			*conf;		/* our reference */
	SSL_CTX			*tls;
	struct proxy_listener	 listeners[PROXY_LISTENERS_MAX];
	size_t			 nlisteners;
	struct proxy_conns	 conns;
	long			 nconns;
	int			 stopping;
	struct event		*ev_grace;
	struct pwcheck		*pw;		/* password hashes, off the loop */
	unsigned char		 cache_key[32];
	struct proxy_cache_ent	 cache[PROXY_AUTH_CACHE];
};

enum proxy_state {
	PC_HANDSHAKE = 0,	/* TLS to the client */
	PC_HEAD,		/* reading the request head */
	PC_SOCKET,		/* waiting for the parent's socket */
	PC_CONNECTING,		/* non-blocking connect */
	PC_TUNNEL,		/* CONNECT: bytes both ways */
	PC_FORWARD,		/* absolute form: one request, one response */
	PC_CLOSING,		/* refusal sent: flush, linger, close */
};

struct proxy_conn {
	TAILQ_ENTRY(proxy_conn)	 entry;
	struct proxy		*px;
	struct bufferevent	*cli;		/* NULL while pump runs */
	struct bufferevent	*srv;
	struct proxy_pump	*pump;		/* plain tunnel, or NULL */
	enum proxy_state	 state;
	int			 tls;
	char			 source[64];
	char			 user[PROXY_USER_MAX + 1];
	char			 cert_user[PROXY_USER_MAX + 1];
	const char		*credential;	/* "password", or cert_fp */
	char			 cert_fp[72];	/* SHA256:... of the certificate */
	char			 cert_subject[256];
	long			 pwjob;		/* pending pwcheck, or 0 */
	unsigned char		 pwmac[32];	/* its cache entry, if it matches */
	struct hp_req		 req;
	int			 have_req;
	struct target		 target;
	int			 have_target;
	long			 sockreq;	/* pending role_socket, or 0 */
	struct timespec		 start;
	time_t			 last;		/* activity, monotonic s */
	struct event		*ev_timer;
	long long		 up;		/* client to target */
	long long		 down;		/* target to client */
	int			 status;	/* sent to the client */
	int			 upstream_status; /* forwarded response */
	const char		*outcome;
	const char		*reason;
	/* forwarded request body */
	int			 body_chunked;
	long long		 body_left;
	struct hp_chunk		 chunk;
	int			 body_done;
	/* splice */
	int			 cli_eof;	/* client sent FIN / close_notify */
	int			 srv_eof;
	int			 cli_shut;	/* we half-closed toward it */
	int			 srv_shut;
	size_t			 lingered;
	int			 audited;
	int			 tunnel_counted;	/* in RS_TUNNELS_OPEN */
	int			 tls_failed;	/* audited as "handshake" */
	char			 why[160];	/* a reason made here */
};

/* proxy-main.c */
int	proxy_settings_load(struct proxy_settings *set, json_t *s,
	    char **cause);
void	proxy_settings_clear(struct proxy_settings *set);
void	proxy_conn_gone(struct proxy *px);

/* proxy-conn.c */
void	proxy_conn_accept(struct proxy *px, int fd, struct sockaddr *sa,
	    int salen, int tls);
void	proxy_conn_free(struct proxy_conn *pc);
void	proxy_conn_refuse(struct proxy_conn *pc, int status,
	    const char *reason, const char *outcome);
void	proxy_conn_touch(struct proxy_conn *pc);
void	proxy_conn_audit(struct proxy_conn *pc);
/* The connection to the VNF is up (a tunnel or a forward): count it. */
void	proxy_conn_count_tunnel(struct proxy_conn *pc);
/* A pending password check ended: status 0 (go on) or a refusal. */
void	proxy_conn_authed(struct proxy_conn *pc, int status,
	    const char *reason);
/* On stop: close connections that have not become tunnels yet. */
void	proxy_conn_stop_idle(struct proxy *px);

/* proxy-splice.c */
void	proxy_splice_start(struct proxy_conn *pc);
/* The bufferevent pump for a tunnel (TLS clients; splice unusable). */
void	proxy_splice_classic(struct proxy_conn *pc);
void	proxy_forward_start(struct proxy_conn *pc);

/* proxy-pump.c */
/*
 * A plain tunnel whose 200 is sent: the pump takes both sockets from
 * pc->cli and pc->srv (freed, set to NULL) and sets pc->pump.  Returns
 * -1, the bufferevents untouched, when it cannot.
 */
int	proxy_pump_start(struct proxy_conn *pc);
/* Closes both sockets and the pipes. */
void	proxy_pump_free(struct proxy_pump *pp);

/* proxy-auth.c */
void	proxy_auth_init(struct proxy *px);
/*
 * Who is this?  Fills pc->user and pc->credential and returns 0, or
 * returns the status to refuse with (407, 503) and sets *reason, or
 * returns PROXY_AUTH_PENDING: a password is being checked off the loop,
 * and proxy_conn_authed() will be called with the outcome.
 */
#define PROXY_AUTH_PENDING	(-1)
int	proxy_auth_check(struct proxy *px, struct proxy_conn *pc,
	    const char **reason);
/* After the TLS handshake: a verified client certificate's user, if any. */
void	proxy_auth_cert(struct proxy *px, struct proxy_conn *pc, SSL *ssl);

/* proxy-pac.c: the PAC file text (caller frees). */
char	*proxy_pac(struct proxy *px, const struct hp_req *req, int tls);

#endif
