/*
 * Audit: one JSON line per decision or finished connection, written to
 * the sink the parent gave the role (ROLE_AUDIT_FD: the audit_log file, or
 * stderr).  Every decision, allow or deny, is recorded.  Secrets never go
 * here: credentials appear only as fingerprints.
 *
 * A field left NULL (strings) or negative (numbers) is omitted.
 */
#ifndef VB_BROKER_AUDIT_H
#define VB_BROKER_AUDIT_H

#include <stdint.h>

struct audit_rec {
	const char	*event;		/* "auth", "channel", "tunnel", "request" */
	const char	*user;
	const char	*credential;	/* key/cert fingerprint, "password", ... */
	const char	*key_id;	/* certificate key id */
	const char	*source;	/* client address:port */
	const char	*target;	/* as the client named it */
	const char	*method;	/* control API: the request's method */
	const char	*path;		/* ... and its path */
	const char	*network;
	const char	*address;
	long		 port;
	long long	 bytes_up;	/* client to target */
	long long	 bytes_down;	/* target to client */
	long long	 duration_ms;
	long		 status;	/* HTTP status, when there is one */
	const char	*outcome;	/* "allowed", "denied", "error", "closed" */
	const char	*reason;
};

/* Initialise a record with every field unset. */
void	audit_rec_init(struct audit_rec *rec, const char *event);
/* Write one line; the role name is added.  Never blocks for long. */
void	audit_write(const struct audit_rec *rec);
/* The descriptor audit lines go to (tests may point it elsewhere). */
void	audit_set_fd(int fd);
void	audit_set_role(const char *role);

#endif
