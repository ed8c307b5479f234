/*
 * GET and DELETE /v1/appliances/NAME/hostkeys: the SSH host keys the
 * engine trusted on first use for an appliance (see ops_hostkey() in
 * engine-jobs.c), and forgetting them when an appliance's key changed on
 * purpose (reinstalled, regenerated): the next connection trusts the key
 * it finds, as ssh-keygen -R then ssh would.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "broker/engine.h"
#include "broker/engine-ops-int.h"
#include "broker/priv-proto.h"
#include "broker/role.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

static int
hostkeys_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* keys ("HOST:PORT" -> fp) as a list of {address, port, fingerprint}. */
static json_t *
hostkeys_list(json_t *keys)
{
	json_t *list = json_array(), *v;
	const char *addr, *colon;
	const char **names;
	size_t i, n = json_object_size(keys);

	/* By address, so that two answers compare. */
	names = xcalloc(n + 1, sizeof(*names));
	i = 0;
	json_object_foreach(keys, addr, v)
		names[i++] = addr;
	qsort(names, n, sizeof(*names), hostkeys_cmp);
	for (i = 0; i < n; i++) {
		addr = names[i];
		colon = strrchr(addr, ':');
		if (colon == NULL)
			continue;
		json_array_append_new(list, json_pack("{s:s%, s:i, s:O}",
		    "address", addr, (size_t)(colon - addr), "port",
		    atoi(colon + 1), "fingerprint", json_object_get(keys,
		    addr)));
	}
	free(names);
	return list;
}

void
engine_hostkeys_get(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_ops *ops = e->ops;
	json_t *list;

	if (ops_req_appliance(e, req, params[0]) == NULL)
		return;
	pthread_mutex_lock(&ops->mu);
	list = hostkeys_list(json_object_get(ops->hostkeys, params[0]));
	pthread_mutex_unlock(&ops->mu);
	engine_reply_json(req, 200, json_pack("{s:s, s:o}", "appliance",
	    params[0], "hostkeys", list));
}

struct hostkeys_del {
	struct engine_req *req;
	char		 client[128];
	char		 name[64];
	json_t		*forgotten;	/* the list the answer shows */
};

/* The parent removed the record (or had none). */
static void
hostkeys_del_reply(int code, const char *msg, void *arg)
{
	struct hostkeys_del *d = arg;

	if (code == 0 || code == VB_ENOTFOUND) {
		log_info("%s: appliance %s: %zu SSH host keys forgotten",
		    d->client, d->name, json_array_size(d->forgotten));
		engine_reply_json(d->req, 200, json_pack("{s:s, s:O}",
		    "appliance", d->name, "forgotten", d->forgotten));
	} else
		engine_reply_error(d->req, 502, "parent_failed", NULL,
		    "the host keys of %s are forgotten by the engine but "
		    "still in the state directory (the next start would "
		    "load them): %s", d->name, msg != NULL ? msg :
		    err_str(code));
	json_decref(d->forgotten);
	free(d);
}

void
engine_hostkeys_delete(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_ops *ops = e->ops;
	struct priv_state st;
	struct hostkeys_del *d;
	json_t *keys;
	long h;

	if (ops_req_appliance(e, req, params[0]) == NULL)
		return;
	d = xcalloc(1, sizeof(*d));
	d->req = req;
	str_copy(d->client, engine_req_client(req), sizeof(d->client));
	str_copy(d->name, params[0], sizeof(d->name));
	pthread_mutex_lock(&ops->mu);
	keys = json_object_get(ops->hostkeys, params[0]);
	d->forgotten = hostkeys_list(keys);
	json_object_del(ops->hostkeys, params[0]);
	pthread_mutex_unlock(&ops->mu);
	/* A save the workers queued before this goes first. */
	ops_saves_flush(ops);
	memset(&st, 0, sizeof(st));
	str_copy(st.kind, "hostkey", sizeof(st.kind));
	str_copy(st.name, params[0], sizeof(st.name));
	h = role_request(e->rt, PRIV_STATE_DEL, &st, sizeof(st), -1,
	    hostkeys_del_reply, d);
	if (h < 0) {
		engine_reply_error(req, 502, "parent_failed", NULL, "cannot "
		    "reach the parent: %s", err_str((int)h));
		json_decref(d->forgotten);
		free(d);
	}
}
