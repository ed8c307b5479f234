/*
 * The jump host role (vnf-broker-ssh): internals shared by its files.
 *
 *   ssh-main.c     start-up, settings, host keys, listeners, limits
 *   ssh-session.c  one client connection: libssh driven from libevent,
 *                  key exchange, messages, timers, teardown
 *   ssh-auth.c     who is this (authorized keys, certificates)
 *   ssh-splice.c   direct-tcpip: the target socket and the byte pump
 *   ssh-console.c  the read-only troubleshooting console (a `shell` on a
 *                  session channel, when ssh.console is on)
 *
 * Everything runs in one libevent loop.  libssh sessions are
 * non-blocking; a session's descriptor wakes the loop and the session is
 * then driven by ssh_handle_key_exchange() or ssh_message_get(), which
 * poll it with a zero timeout.  libssh calls back into us (channel data,
 * EOF, close) only from inside those calls and from ssh_channel_write();
 * callbacks set flags and move bytes, they never free anything.  Objects
 * die in sshr_session_pump(), after libssh has returned.
 *
 * Ownership: the server owns its sessions; a session owns its libssh
 * session (which owns the client descriptor) and its tunnels; a tunnel
 * owns its target descriptor, its pending open message and its channel;
 * a console owns its channel and its probes, a probe its descriptor.
 */
#ifndef VB_BROKER_SSH_ROLE_H
#define VB_BROKER_SSH_ROLE_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <jansson.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <time.h>

#include "broker/access.h"
#include "broker/role.h"
#include "broker/role-stats.h"
#include "broker/ssh-authkeys.h"
#include "broker/ssh-settings.h"

/* glibc's sys/queue.h lacks the BSD _SAFE iterators. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define SSHR_ADDR_MAX		48	/* a printable address */
#define SSHR_PEER_MAX		(SSHR_ADDR_MAX + 8)	/* "[v6]:port" */
#define SSHR_USER_MAX		64
#define SSHR_FP_MAX		64	/* "SHA256:" + 43 */
#define SSHR_KEYID_MAX		128
#define SSHR_REASON_MAX		200
#define SSHR_MESSAGE_MAX	512	/* a disconnect message */
#define SSHR_IO_CHUNK		(64 * 1024)	/* one read from a target */

struct sshr_server;
struct sshr_session;
struct sshr_console;

/* What the credential allows, decided at authentication. */
struct sshr_grant {
	int			 port_forwarding;
	struct sshr_permitopen	*permitopen;	/* NULL: no narrowing */
	size_t			 npermitopen;
};

enum sshr_tunnel_state {
	SSHR_T_SOCKET,		/* waiting for the parent's socket */
	SSHR_T_CONNECT,		/* non-blocking connect in progress */
	SSHR_T_OPEN,		/* channel open, pumping */
	SSHR_T_DEAD,		/* to be freed by the pump */
};

struct sshr_tunnel {
	TAILQ_ENTRY(sshr_tunnel) entry;
	struct sshr_session	*s;
	enum sshr_tunnel_state	 state;
	ssh_message		 open_msg;	/* until accepted or refused */
	ssh_channel		 ch;
	struct ssh_channel_callbacks_struct cb;
	struct target		 t;
	char			 host[ACCESS_NAME_MAX + 1];	/* as asked */
	long			 sock_req;	/* role_socket() handle, or 0 */
	int			 fd;
	struct event		*ev_rd;		/* target readable */
	struct event		*ev_wr;		/* target writable / connected */
	int			 rd_on, wr_on;
	/* client -> target */
	unsigned char		*up;		/* taken from libssh, unwritten */
	size_t			 up_len, up_off;
	size_t			 ssh_pending;	/* left in libssh's buffer */
	int			 client_eof;	/* EOF from the client */
	int			 target_shut;	/* we shut the target's write side */
	/* target -> client */
	int			 target_eof;	/* EOF sent to the client */
	int			 client_closed;	/* CLOSE from the client */
	int			 failed;	/* error: tear down */
	int			 counted;	/* in RS_TUNNELS_OPEN */
	char			 why[SSHR_REASON_MAX];	/* why it ended */
	long long		 bytes_up, bytes_down;
	struct timespec		 started;
};
TAILQ_HEAD(sshr_tunnels, sshr_tunnel);

enum sshr_session_state {
	SSHR_S_KEX,
	SSHR_S_AUTH,
	SSHR_S_OPEN,
};

struct sshr_session {
	TAILQ_ENTRY(sshr_session) entry;
	struct sshr_server	*srv;
	enum sshr_session_state	 state;
	ssh_session		 ss;
	int			 fd;		/* owned by ss */
	struct event		*ev_rd, *ev_wr, *ev_timer;
	int			 wr_on;
	int			 dead;		/* close at the next pump */
	int			 in_pump;
	char			 why[SSHR_MESSAGE_MAX];	/* disconnect reason */
	char			 peer[SSHR_PEER_MAX];	/* "addr:port" */
	char			 addr[SSHR_ADDR_MAX];	/* printable address */
	/* authentication */
	int			 auth_tries;
	int			 counted_source;	/* in the per-source count */
	char			 user[SSHR_USER_MAX];	/* once authenticated */
	char			 cred[SSHR_FP_MAX + 16];	/* fingerprint */
	char			 key_id[SSHR_KEYID_MAX];
	struct sshr_grant	 grant;
	/* channels */
	struct sshr_tunnels	 tunnels;
	size_t			 ntunnels;
	struct sshr_console	*console;	/* at most one */
	/* what libssh read from the client: liveness for keepalives */
	struct ssh_counter_struct rx;
	uint64_t		 rx_seen;
	/* times (CLOCK_MONOTONIC seconds) */
	time_t			 t_start, t_rx, t_data, t_keepalive;
	struct timespec		 started;	/* for the audit's duration */
};
TAILQ_HEAD(sshr_sessions, sshr_session);

/* Unauthenticated connections from one address. */
struct sshr_source {
	char		addr[SSHR_ADDR_MAX];
	long		count;
};

struct sshr_server {
	struct role_rt		*rt;
	struct event_base	*base;
	struct sshr_settings	 set;
	ssh_bind		 bind;
	struct access		*access;
	json_t			*users;		/* borrowed from the config */
	json_t			*appliances;	/* borrowed from the config */
	/* trusted CA keys: decoded blobs */
	struct sshr_authkey	*cas;
	size_t			 ncas;
	struct event		*ev_listen[8];
	size_t			 nlisten;
	struct event		*ev_accept_pause;	/* out of descriptors */
	struct sshr_sessions	 sessions;
	size_t			 nsessions;
	long			 nunauth;	/* not yet authenticated */
	struct sshr_source	*sources;
	size_t			 nsources;
	json_t			*per_user;	/* user -> open sessions */
	int			 ready;
	int			 stopping;
};

/* ssh-main.c */
time_t	sshr_now(void);
/* Copy client-supplied text for logs: control characters become '?'. */
void	sshr_printable(char *dst, const char *src, size_t size);
void	sshr_source_add(struct sshr_server *srv, const char *addr, long n);
long	sshr_source_count(struct sshr_server *srv, const char *addr);
long	sshr_user_sessions(struct sshr_server *srv, const char *user, long n);
void	sshr_server_session_gone(struct sshr_server *srv);

/* ssh-session.c */
/* 0, or -errno when no session could be made (the descriptor is closed). */
int	sshr_session_new(struct sshr_server *srv, int fd, const char *addr,
	    const char *peer);
void	sshr_session_pump(struct sshr_session *s);
void	sshr_session_close(struct sshr_session *s, const char *why);
/* Refuse a channel open with reason (the client is told, see docs). */
void	sshr_session_refuse(struct sshr_session *s, ssh_message msg,
	    const char *reason);
void	sshr_session_update_events(struct sshr_session *s);

/* ssh-auth.c: decide on an offered key; fills s->cred, key_id, grant. */
enum sshr_auth_result {
	SSHR_AUTH_OK,
	SSHR_AUTH_DENIED,
};
enum sshr_auth_result sshr_auth_key(struct sshr_session *s,
	    const char *user, ssh_key key, const char **reason);
/* A password against the user's ssh_password_hash; fills s->cred, grant. */
enum sshr_auth_result sshr_auth_password(struct sshr_session *s,
	    const char *user, const char *password, const char **reason);
void	sshr_grant_clear(struct sshr_grant *g);

/* ssh-splice.c */
void	sshr_tunnel_open(struct sshr_session *s, ssh_message msg);
/* Move what can move; called after libssh returns. */
void	sshr_tunnel_service(struct sshr_tunnel *t);
void	sshr_tunnel_free(struct sshr_tunnel *t);
void	sshr_tunnel_audit(struct sshr_tunnel *t, const char *outcome,
	    const char *reason);
/* Does the key's permitopen= allow t (host as the client wrote it)? */
int	sshr_permitopen_ok(const struct sshr_grant *g, const char *host,
	    const struct target *t);
/* Tunnels not being torn down. */
size_t	sshr_tunnels_live(struct sshr_session *s);

/* ssh-console.c */
/* A session channel was asked for: open the console, or refuse (takes msg). */
void	sshr_console_open(struct sshr_session *s, ssh_message msg);
/* A request on the console's channel (pty, shell, exec...); takes msg. */
void	sshr_console_request(struct sshr_console *c, ssh_message msg);
ssh_channel sshr_console_channel(const struct sshr_console *c);
/* Move what can move; called after libssh returns. */
void	sshr_console_service(struct sshr_console *c);
int	sshr_console_dead(const struct sshr_console *c);
void	sshr_console_free(struct sshr_console *c);

#endif
