/*
 * The `ssh:` section of broker.yaml and the syntax of users'
 * ssh_authorized_keys, checked in the parent for the jump host role.
 *
 * Every setting the role uses is written into its settings JSON with its
 * value or default, so the role never guesses (ssh-settings.h names them).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/conf-int.h"
#include "broker/ssh-authkeys.h"
#include "broker/ssh-settings.h"

/* Numeric settings: name, range, default.  The role reads the same names. */
static const struct {
	const char	*name;
	long long	 min, max, def;
	const char	*unit;
} ssh_conf_ints[] = {
	{ "login_grace_time", 1, 600, SSHR_DEF_LOGIN_GRACE, "seconds" },
	{ "max_auth_tries", 1, 100, SSHR_DEF_AUTH_TRIES, "attempts" },
	{ "max_startups", 1, 100000, SSHR_DEF_STARTUPS, "connections" },
	{ "max_startups_per_source", 1, 100000, SSHR_DEF_STARTUPS_SOURCE,
	    "connections" },
	{ "max_sessions_per_user", 1, 1000000, SSHR_DEF_SESSIONS_USER,
	    "sessions" },
	{ "max_channels_per_session", 1, 10000, SSHR_DEF_CHANNELS,
	    "channels" },
	{ "keepalive_interval", 0, 3600, SSHR_DEF_KEEPALIVE, "seconds" },
	{ "keepalive_count_max", 1, 100, SSHR_DEF_KEEPALIVE_MAX, "probes" },
	{ "idle_timeout", 0, 2592000, SSHR_DEF_IDLE, "seconds" },
	{ "session_timeout", 0, 31536000, SSHR_DEF_SESSION_TIMEOUT,
	    "seconds" },
	{ "connect_timeout", 1, 300, SSHR_DEF_CONNECT_TIMEOUT, "seconds" },
};

json_t *
ssh_conf_parse(struct cfg_ctx *c, const struct ynode *map)
{
	static const char *const keys[] = { "login_grace_time",
	    "max_auth_tries", "max_startups", "max_startups_per_source",
	    "max_sessions_per_user", "max_channels_per_session",
	    "keepalive_interval", "keepalive_count_max", "idle_timeout",
	    "session_timeout", "connect_timeout", "trusted_user_ca_keys",
	    "console", "password_authentication", NULL };
	static const char *const bools[] = { "console",
	    "password_authentication", NULL };
	const struct ynode *v;
	struct sshr_authkey k;
	json_t *set, *cas;
	char path[96], *cause;
	long long n;
	size_t i, errs = c->d->nerrors;

	if (cfg_want(c, map, "ssh", YNODE_MAP) == -1)
		return NULL;
	cfg_check_keys(c, map, "ssh", keys);
	set = json_object();
	for (i = 0; i < sizeof(ssh_conf_ints) / sizeof(ssh_conf_ints[0]); i++) {
		n = ssh_conf_ints[i].def;
		snprintf(path, sizeof(path), "ssh.%s", ssh_conf_ints[i].name);
		if ((v = ynode_get(map, ssh_conf_ints[i].name)) != NULL &&
		    ynode_int(v, ssh_conf_ints[i].min, ssh_conf_ints[i].max,
		    &n) == -1)
			cfg_error(c, v, path, "expected %s from %lld to %lld, "
			    "found \"%s\"", ssh_conf_ints[i].unit,
			    ssh_conf_ints[i].min, ssh_conf_ints[i].max,
			    v->str ? v->str : ynode_type_name(v->type));
		json_object_set_new(set, ssh_conf_ints[i].name,
		    json_integer(n));
	}
	/* Switches, off unless written true. */
	for (i = 0; bools[i] != NULL; i++) {
		int on = 0;

		snprintf(path, sizeof(path), "ssh.%s", bools[i]);
		if ((v = ynode_get(map, bools[i])) != NULL &&
		    ynode_bool(v, &on) == -1)
			cfg_error(c, v, path, "expected true or false, found "
			    "\"%s\"", v->str ? v->str :
			    ynode_type_name(v->type));
		json_object_set_new(set, bools[i], json_boolean(on));
	}
	cas = json_array();
	if ((v = ynode_get(map, "trusted_user_ca_keys")) != NULL &&
	    cfg_want(c, v, "ssh.trusted_user_ca_keys", YNODE_SEQ) == 0) {
		for (i = 0; i < v->n; i++) {
			const char *s;

			snprintf(path, sizeof(path),
			    "ssh.trusted_user_ca_keys[%zu]", i);
			if ((s = cfg_string(c, v->items[i], path)) == NULL)
				continue;
			if (sshr_pubkey_parse(s, &k, &cause) == -1) {
				cfg_error(c, v->items[i], path, "%s (expected "
				    "a CA public key line such as "
				    "\"ssh-ed25519 AAAA... ca@example\")", cause);
				free(cause);
			} else
				json_array_append_new(cas, json_string(s));
			sshr_authkey_clear(&k);
		}
	}
	json_object_set_new(set, "trusted_user_ca_keys", cas);
	if (c->d->nerrors != errs) {
		json_decref(set);
		return NULL;
	}
	return set;
}

void
ssh_conf_check_keys(struct cfg_ctx *c, const struct ynode *seq,
    const char *path)
{
	struct sshr_authkey k;
	char sub[160], *cause;
	size_t i;

	for (i = 0; i < seq->n; i++) {
		if (seq->items[i]->type != YNODE_SCALAR)
			continue;	/* conf_names() reported it */
		snprintf(sub, sizeof(sub), "%s.ssh_authorized_keys[%zu]", path,
		    i);
		if (sshr_authkey_parse(seq->items[i]->str, &k, &cause) == -1) {
			cfg_error(c, seq->items[i], sub, "%s", cause);
			free(cause);
		}
		sshr_authkey_clear(&k);
	}
}
