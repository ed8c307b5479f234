/*
 * The `api:` section of broker.yaml: the engine role's settings, checked
 * in the parent at load (with positions) and turned into the JSON the
 * role receives as its view's "settings".
 *
 * Like the proxy's section, the certificate, key and client CA files are
 * read here, while the parent is root, and travel to the role as PEM text
 * (KEY_pem) in its sealed configuration memfd.  The local users allowed on
 * the unix socket are resolved to uids here too (the role cannot read the
 * user database after it dropped privileges and may live in a sandbox).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/conf-int.h"
#include "common/xmalloc.h"

#define API_TOKENS_MAX	256
#define API_LOCAL_MAX	64

/* tokens: [{name, sha256}]: names unique, hashes 64 hex digits. */
static void
api_conf_tokens(struct cfg_ctx *c, const struct ynode *seq, json_t *out)
{
	static const char *const keys[] = { "name", "sha256", NULL };
	const struct ynode *t, *v;
	const char *name, *hex;
	char path[64], low[65];
	json_t *list = json_array(), *names = json_object();
	size_t i, j;

	if (cfg_want(c, seq, "api.tokens", YNODE_SEQ) == -1)
		goto out;
	if (seq->n > API_TOKENS_MAX) {
		cfg_error(c, seq, "api.tokens", "at most %d tokens",
		    API_TOKENS_MAX);
		goto out;
	}
	for (i = 0; i < seq->n; i++) {
		t = seq->items[i];
		snprintf(path, sizeof(path), "api.tokens[%zu]", i);
		if (cfg_want(c, t, path, YNODE_MAP) == -1)
			continue;
		cfg_check_keys(c, t, path, keys);
		name = hex = NULL;
		if ((v = ynode_get(t, "name")) == NULL)
			cfg_error(c, t, path, "name: missing (it names the "
			    "client in audit lines)");
		else if ((name = cfg_string(c, v, path)) != NULL &&
		    !conf_name_valid(name, 64)) {
			cfg_error(c, v, path, "name: \"%s\" is not a valid "
			    "name (letters, digits, '-', '_')", name);
			name = NULL;
		} else if (name != NULL &&
		    json_object_get(names, name) != NULL) {
			cfg_error(c, v, path, "name: \"%s\" given twice",
			    name);
			name = NULL;
		}
		if (name != NULL)
			json_object_set_new(names, name, json_true());
		if ((v = ynode_get(t, "sha256")) == NULL)
			cfg_error(c, t, path, "sha256: missing; give the "
			    "SHA-256 of the token in hex (printf %%s TOKEN "
			    "| sha256sum), never the token");
		else if ((hex = cfg_string(c, v, path)) != NULL) {
			for (j = 0; hex[j] != '\0' && j < 64 &&
			    isxdigit((unsigned char)hex[j]); j++)
				low[j] = (char)tolower((unsigned char)hex[j]);
			low[j] = '\0';
			if (j != 64 || hex[j] != '\0') {
				cfg_error(c, v, path, "sha256: expected 64 "
				    "hex digits");
				hex = NULL;
			}
		}
		if (name == NULL || hex == NULL)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s}", "name",
		    name, "sha256", low));
	}
out:
	json_object_set(out, "tokens", list);
	json_decref(list);
	json_decref(names);
}

/* local_users: [NAME]: resolved to uids now (uid 0 is always allowed). */
static void
api_conf_local_users(struct cfg_ctx *c, const struct ynode *seq,
    json_t *out)
{
	json_t *uids = json_array(), *names = json_array();
	const struct passwd *pw;
	const char *s;
	size_t i;

	if (cfg_want(c, seq, "api.local_users", YNODE_SEQ) == -1)
		goto out;
	if (seq->n > API_LOCAL_MAX) {
		cfg_error(c, seq, "api.local_users", "at most %d users",
		    API_LOCAL_MAX);
		goto out;
	}
	for (i = 0; i < seq->n; i++) {
		if ((s = cfg_string(c, seq->items[i], "api.local_users")) ==
		    NULL)
			continue;
		errno = 0;
		if ((pw = getpwnam(s)) == NULL) {
			cfg_error(c, seq->items[i], "api.local_users", "no "
			    "such user \"%s\"%s%s", s, errno ? ": " : "",
			    errno ? strerror(errno) : "");
			continue;
		}
		json_array_append_new(names, json_string(s));
		json_array_append_new(uids, json_integer(pw->pw_uid));
	}
out:
	json_object_set_new(out, "local_users", names);
	json_object_set_new(out, "local_uids", uids);
}

json_t *
api_conf_parse(struct cfg_ctx *c, const struct ynode *map)
{
	static const char *const keys[] = { "tls_certificate", "tls_key",
	    "client_ca", "tokens", "local_users", "socket", "max_body",
	    "max_concurrent", "max_jobs", "workers", "operation_timeout",
	    "wait", "request_timeout", "max_header_size", NULL };
	struct sockaddr_un sun;
	const struct ynode *v;
	size_t errs = c->d->nerrors;
	json_t *out;
	char *s;
	int cert, key;

	if (cfg_want(c, map, "api", YNODE_MAP) == -1)
		return NULL;
	cfg_check_keys(c, map, "api", keys);
	out = json_object();
	cert = cfg_pem(c, map, "api", "tls_certificate", out);
	key = cfg_pem(c, map, "api", "tls_key", out);
	if (cert != key)
		cfg_error(c, map, "api", "tls_certificate and tls_key go "
		    "together: give both, or neither for a self-signed "
		    "certificate");
	cfg_pem(c, map, "api", "client_ca", out);
	if ((v = ynode_get(map, "tokens")) != NULL)
		api_conf_tokens(c, v, out);
	if ((v = ynode_get(map, "local_users")) != NULL)
		api_conf_local_users(c, v, out);
	if ((v = ynode_get(map, "socket")) != NULL &&
	    (s = cfg_abspath(c, v, "api")) != NULL) {
		if (strlen(s) >= sizeof(sun.sun_path))
			cfg_error(c, v, "api", "socket: %s: longer than the "
			    "%zu bytes a unix socket path may have", s,
			    sizeof(sun.sun_path) - 1);
		else
			json_object_set_new(out, "socket", json_string(s));
		free(s);
	}
	cfg_int(c, map, "api", "max_body", 1024, 256LL * 1024 * 1024, "bytes",
	    out);
	cfg_int(c, map, "api", "max_concurrent", 1, 100000, "a count", out);
	cfg_int(c, map, "api", "max_jobs", 1, 1000000, "a count", out);
	cfg_int(c, map, "api", "workers", 1, 256, "a count", out);
	cfg_int(c, map, "api", "operation_timeout", 1, 86400, "seconds", out);
	cfg_int(c, map, "api", "wait", 0, 3600, "seconds", out);
	cfg_int(c, map, "api", "request_timeout", 1, 3600, "seconds", out);
	cfg_int(c, map, "api", "max_header_size", 1024, 1024 * 1024, "bytes",
	    out);
	if (c->d->nerrors != errs) {
		json_decref(out);
		return NULL;
	}
	return out;
}
