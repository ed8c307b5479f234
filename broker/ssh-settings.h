/*
 * The jump host's settings: the `ssh:` section of broker.yaml, checked by
 * the parent (ssh-conf.c) and handed to the role as JSON ("settings"),
 * where ssh-main.c reads them into struct sshr_settings.  The defaults
 * live here, once, for both.
 */
#ifndef VB_BROKER_SSH_SETTINGS_H
#define VB_BROKER_SSH_SETTINGS_H

#define SSHR_DEF_LOGIN_GRACE		30	/* seconds to authenticate */
#define SSHR_DEF_AUTH_TRIES		6	/* per connection */
#define SSHR_DEF_STARTUPS		100	/* unauthenticated, overall */
#define SSHR_DEF_STARTUPS_SOURCE	10	/* unauthenticated, per address */
#define SSHR_DEF_SESSIONS_USER		1000	/* connections per user */
#define SSHR_DEF_CHANNELS		16	/* open channels per session */
#define SSHR_DEF_KEEPALIVE		15	/* seconds; 0: none */
#define SSHR_DEF_KEEPALIVE_MAX		3	/* unanswered intervals */
#define SSHR_DEF_IDLE			3600	/* no data in any channel; 0: none */
#define SSHR_DEF_SESSION_TIMEOUT	86400	/* whole session; 0: none */
#define SSHR_DEF_CONNECT_TIMEOUT	10	/* to a target */

struct sshr_settings {
	long	login_grace_time;
	long	max_auth_tries;
	long	max_startups;
	long	max_startups_per_source;
	long	max_sessions_per_user;
	long	max_channels_per_session;
	long	keepalive_interval;
	long	keepalive_count_max;
	long	idle_timeout;
	long	session_timeout;
	long	connect_timeout;
	int	console;		/* read-only console on `shell` */
	int	password_authentication;	/* ssh_password_hash */
};

#endif
