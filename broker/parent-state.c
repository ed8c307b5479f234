/*
 * The parent's state directory: what was registered through the API.
 *
 *	state_dir/networks/NAME.json	a broker.yaml `networks` entry
 *	state_dir/providers/NAME.yaml	a provider dictionary, as uploaded
 *	state_dir/appliances/NAME.json	a broker.yaml `appliances` entry
 *	state_dir/users/NAME.json	a broker.yaml `users` entry
 *	state_dir/bootstraps/NAME.json	the engine's record of appliance
 *					NAME's bootstrap (below)
 *	state_dir/hostkeys/NAME.json	the SSH host keys the engine
 *					trusted on first use for NAME
 *
 * Every object is checked by the configuration parser itself, so a state
 * file and a broker.yaml entry cannot disagree; a provider is only size-
 * and UTF-8-checked here (the engine lints dictionaries: the parent never
 * parses them).  Files are written atomically (temporary file in the same
 * directory, fsync, rename, fsync of the directory), 0600 in 0700
 * directories.  In memory, p->state holds per kind an object by name:
 * networks {entry, error?}, providers the YAML text, appliances and users
 * their entry as the views hold it, bootstraps and hostkeys the record.
 *
 * Bootstrap and host key records are the engine's, not an operator's
 * (broker/state-records.h has their shapes).  A bootstrap record is the
 * bootstrap's saved progress (provider/bootstrap.c's state machine, which
 * may hold a rotated password not yet confirmed: a secret, hence 0600 like
 * the rest) and what the engine needs to resume it after a restart:
 *
 *	{"name": APPLIANCE, "job": "START-SEQ", "started": UNIX-TIME,
 *	 "finished": false, "progress": {...}, "result": {...}}
 *
 * A host key record is what the engine trusted on first use, by the
 * HOST:PORT it connected to:
 *
 *	{"name": APPLIANCE, "keys": {"198.18.5.10:22": "SHA256:..."}}
 *
 * The parent checks a record's shape, its size and that it names an
 * appliance it knows (broker.yaml's or a registered one), and never reads
 * a bootstrap's progress beyond "it is an object": the state machine is
 * the provider's business.  Deleting an appliance deletes its records.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/conf-int.h"
#include "broker/parent.h"
#include "broker/proxy-keys.h"
#include "broker/ssh-hostkeys.h"
#include "broker/state-records.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define STATE_FILE_MAX	(1024 * 1024)	/* = PRIV_STATE_MAX */

struct state_kind {
	const char	*kind;		/* "network" */
	const char	*dir;		/* "networks" */
	const char	*ext;		/* ".json" */
	size_t		 name_max;
	int		 engine_only;	/* in no other role's view */
};

/* In dependency order: what is loaded first may be named by the next. */
static const struct state_kind state_kinds[] = {
	{ "network", "networks", ".json", NETNS_NAME_MAX, 0 },
	{ "provider", "providers", ".yaml", 63, 1 },
	{ "appliance", "appliances", ".json", 63, 0 },
	{ "user", "users", ".json", 32, 0 },
	{ "bootstrap", "bootstraps", ".json", 63, 1 },
	{ "hostkey", "hostkeys", ".json", 63, 1 },
};
#define STATE_NKINDS	(sizeof(state_kinds) / sizeof(state_kinds[0]))

static const struct state_kind *
state_kind_find(const char *kind)
{
	size_t i;

	for (i = 0; i < STATE_NKINDS; i++)
		if (strcmp(state_kinds[i].kind, kind) == 0)
			return &state_kinds[i];
	return NULL;
}

/* The same rule as broker.yaml's names for that kind. */
static int
state_name_valid(const struct state_kind *k, const char *name)
{
	if (strcmp(k->kind, "network") == 0)
		return netns_name_valid(name);
	return conf_name_valid(name, k->name_max);
}

static json_t *
state_objects(struct parent *p, const char *kind)
{
	json_t *o;

	if (p->state == NULL)
		p->state = json_object();
	if ((o = json_object_get(p->state, kind)) == NULL) {
		o = json_object();
		json_object_set_new(p->state, kind, o);
	}
	return o;
}

/* Find name in one of the configuration view's lists. */
static json_t *
state_conf_find(json_t *list, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(list, i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}

/* Is kind/name defined in broker.yaml? */
static int
state_in_config(struct parent *p, const char *kind, const char *name)
{
	size_t i;

	if (strcmp(kind, "network") == 0) {
		for (i = 0; i < p->conf->nnetworks; i++)
			if (strcmp(p->conf->networks[i].name, name) == 0)
				return 1;
		return 0;
	}
	if (strcmp(kind, "appliance") == 0)
		return state_conf_find(json_object_get(p->conf->view,
		    "appliances"), name) != NULL;
	if (strcmp(kind, "user") == 0)
		return state_conf_find(json_object_get(p->conf->view, "users"),
		    name) != NULL;
	return 0;
}

/*
 * Every network an entry may name (broker.yaml's and registered ones):
 * only the names are filled in, which is all the parser compares.
 */
static struct netns_spec *
state_known_nets(struct parent *p, size_t *n)
{
	json_t *nets = state_objects(p, "network"), *v;
	struct netns_spec *specs;
	const char *name;
	size_t i = 0;

	specs = xcalloc(p->conf->nnetworks + json_object_size(nets) + 1,
	    sizeof(*specs));
	for (i = 0; i < p->conf->nnetworks; i++)
		str_copy(specs[i].name, p->conf->networks[i].name,
		    sizeof(specs[i].name));
	json_object_foreach(nets, name, v) {
		str_copy(specs[i].name, name, sizeof(specs[i].name));
		i++;
	}
	*n = i;
	return specs;
}

/* Every appliance name, as an object's keys (a new reference). */
static json_t *
state_known_appliances(struct parent *p)
{
	json_t *names = json_object(), *a;
	const char *name;
	size_t i;

	json_array_foreach(json_object_get(p->conf->view, "appliances"), i, a)
		json_object_set_new(names, json_string_value(json_object_get(a,
		    "name")), json_true());
	json_object_foreach(state_objects(p, "appliance"), name, a)
		json_object_set_new(names, name, json_true());
	return names;
}

/* Valid UTF-8 text without NUL bytes. */
static int
state_utf8_text(const unsigned char *s, size_t len)
{
	size_t i = 0, n, j;
	unsigned c;

	while (i < len) {
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		for (j = 1; j <= n; j++)
			if (i + j >= len || (s[i + j] & 0xc0) != 0x80)
				return 0;
		/* overlong three- and four-byte forms, surrogates, > U+10FFFF */
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] >= 0xa0) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] >= 0x90))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * An engine record (bootstrap, hostkey): its shape, then that it names an
 * appliance the parent knows.  A new reference, or NULL with *cause.
 */
static json_t *
state_check_record(struct parent *p, const char *kind, const char *name,
    const char *buf, size_t len, const char *file, char **cause)
{
	json_t *o, *apps;
	int ok;

	if ((o = state_record_check(kind, name, buf, len, file, cause)) ==
	    NULL)
		return NULL;
	apps = state_known_appliances(p);
	ok = json_object_get(apps, name) != NULL;
	json_decref(apps);
	if (!ok) {
		*cause = xasprintf("%s: appliance \"%s\" is neither in "
		    "broker.yaml nor registered", file, name);
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Check one object: returns what the in-memory state keeps for it (a new
 * reference), or NULL with *cause ("file:line:col: error: path: what").
 * For a network, *spec is filled in.
 */
static json_t *
state_check(struct parent *p, const struct state_kind *k, const char *name,
    const char *buf, size_t len, const char *file, struct netns_spec *spec,
    char **cause)
{
	struct netns_spec *nets;
	struct diags d;
	json_t *entry, *apps, *prov;
	const char *n;
	size_t nnets;

	if (len > STATE_FILE_MAX) {
		*cause = xasprintf("%s: %zu bytes, more than the %d allowed",
		    file, len, STATE_FILE_MAX);
		return NULL;
	}
	if (strcmp(k->kind, "provider") == 0) {
		if (len == 0 || !state_utf8_text((const unsigned char *)buf,
		    len)) {
			*cause = xasprintf("%s: a provider dictionary must be "
			    "non-empty UTF-8 text", file);
			return NULL;
		}
		return json_stringn(buf, len);
	}
	if (strcmp(k->kind, "bootstrap") == 0 ||
	    strcmp(k->kind, "hostkey") == 0)
		return state_check_record(p, k->kind, name, buf, len, file,
		    cause);
	diags_init(&d, file);
	nets = state_known_nets(p, &nnets);
	apps = state_known_appliances(p);
	entry = config_check_entry(k->kind, buf, len, file, nets, nnets, apps,
	    spec, &d);
	free(nets);
	json_decref(apps);
	if (entry == NULL) {
		*cause = diags_first_error(&d);
		if (*cause == NULL)
			*cause = xasprintf("%s: invalid %s", file, k->kind);
		diags_free(&d);
		return NULL;
	}
	diags_free(&d);
	n = json_string_value(json_object_get(entry, "name"));
	if (n == NULL || strcmp(n, name) != 0) {
		*cause = xasprintf("%s: name: \"%s\" does not match the %s's "
		    "name \"%s\"", file, n ? n : "", k->kind, name);
		json_decref(entry);
		return NULL;
	}
	if (strcmp(k->kind, "appliance") == 0 &&
	    (prov = json_object_get(entry, "provider")) != NULL &&
	    json_object_get(state_objects(p, "provider"),
	    json_string_value(prov)) == NULL) {
		*cause = xasprintf("%s: provider: \"%s\" is not registered",
		    file, json_string_value(prov));
		json_decref(entry);
		return NULL;
	}
	return entry;
}

/* Create (or check) a directory of ours: root-owned, 0700, no symlink. */
static int
state_dir(const char *path, char **cause)
{
	struct stat st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		*cause = xasprintf("%s: cannot create: %s", path,
		    strerror(errno));
		return -errno;
	}
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		*cause = xasprintf("%s: not a directory of ours with mode "
		    "0700", path);
		return VB_ENOTOWNED;
	}
	return 0;
}

static char *
state_path(struct parent *p, const struct state_kind *k, const char *name,
    const char *ext)
{
	return xasprintf("%s/%s/%s%s", p->conf->state_dir, k->dir, name, ext);
}

static int
state_fsync_dir(const char *dir)
{
	int fd, e = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	if (fsync(fd) == -1)
		e = -errno;
	close(fd);
	return e;
}

/* Write buf as kind/NAME.ext atomically, mode 0600. */
static int
state_write(struct parent *p, const struct state_kind *k, const char *name,
    const char *buf, size_t len, char **cause)
{
	char *dir, *tmp, *path;
	size_t off = 0;
	ssize_t n;
	int fd, e = 0;

	dir = xasprintf("%s/%s", p->conf->state_dir, k->dir);
	path = state_path(p, k, name, k->ext);
	tmp = xasprintf("%s/.%s%s.XXXXXX", dir, name, k->ext);
	if ((e = state_dir(dir, cause)) != 0)
		goto out;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		e = -errno;
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n == -1 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (e == 0 && (fchmod(fd, 0600) == -1 || fsync(fd) == -1))
		e = -errno;
	if (close(fd) == -1 && e == 0)
		e = -errno;
	if (e == 0 && rename(tmp, path) == -1)
		e = -errno;
	if (e != 0) {
		*cause = xasprintf("writing %s: %s", path, err_str(e));
		unlink(tmp);
		goto out;
	}
	if ((e = state_fsync_dir(dir)) != 0)
		*cause = xasprintf("%s: fsync: %s", dir, err_str(e));
out:
	free(dir);
	free(tmp);
	free(path);
	return e;
}

/* Remove kind/NAME.json and NAME.yaml; a missing file is no error. */
static int
state_unlink(struct parent *p, const struct state_kind *k, const char *name,
    char **cause)
{
	static const char *const exts[] = { ".json", ".yaml" };
	char *path, *dir;
	size_t i;
	int e = 0;

	for (i = 0; i < 2; i++) {
		path = state_path(p, k, name, exts[i]);
		if (unlink(path) == -1 && errno != ENOENT && e == 0) {
			e = -errno;
			*cause = xasprintf("%s: %s", path, strerror(errno));
		}
		free(path);
	}
	dir = xasprintf("%s/%s", p->conf->state_dir, k->dir);
	(void)state_fsync_dir(dir);
	free(dir);
	return e;
}

/* A registered network's spec, from its entry. */
static int
state_net_spec(struct parent *p, json_t *entry, struct netns_spec *spec)
{
	struct diags d;
	json_t *e;
	char *text;
	int r = -1;

	if ((text = json_dumps(entry, JSON_COMPACT)) == NULL)
		return -1;
	diags_init(&d, "(state)");
	e = config_check_entry("network", text, strlen(text), "(state)", NULL,
	    0, NULL, spec, &d);
	if (e != NULL)
		r = 0;
	json_decref(e);
	diags_free(&d);
	free(text);
	(void)p;
	return r;
}

/* Which appliance (config or state) uses network or provider? */
static const char *
state_used_by(struct parent *p, const char *key, const char *name)
{
	json_t *a;
	const char *n;
	size_t i;

	json_array_foreach(json_object_get(p->conf->view, "appliances"), i, a)
		if (strcmp(json_string_value(json_object_get(a, key)) ?
		    json_string_value(json_object_get(a, key)) : "", name) == 0)
			return json_string_value(json_object_get(a, "name"));
	json_object_foreach(state_objects(p, "appliance"), n, a)
		if (strcmp(json_string_value(json_object_get(a, key)) ?
		    json_string_value(json_object_get(a, key)) : "", name) == 0)
			return n;
	return NULL;
}

/* Put a network: attach (or re-attach when it changed), rolled back. */
static int
state_put_network(struct parent *p, const char *name, json_t *entry,
    const struct netns_spec *spec, char **cause)
{
	json_t *nets = state_objects(p, "network"), *old;
	struct netns_spec oldspec;
	char *c2 = NULL;
	int e, had = 0;

	old = json_object_get(nets, name);
	if (old != NULL && json_equal(json_object_get(old, "entry"), entry) &&
	    parent_net_find(p, name) != NULL)
		return 1;	/* the same, attached: nothing to do */
	if (parent_net_find(p, name) != NULL) {
		if (old == NULL || state_net_spec(p, json_object_get(old,
		    "entry"), &oldspec) != 0) {
			*cause = xasprintf("network \"%s\" is attached but not "
			    "registered", name);
			return VB_EEXIST;
		}
		if ((e = parent_net_detach(p, name, cause)) != 0)
			return e;
		had = 1;
	}
	if ((e = parent_net_attach(p, spec, cause)) != 0) {
		/* netns_attach() undid its half; put the old one back. */
		if (had && parent_net_attach(p, &oldspec, &c2) != 0) {
			log_error("network %s: restoring the old definition: "
			    "%s", name, c2);
			free(c2);
		}
		return e;
	}
	return 0;
}

int
parent_state_put(struct parent *p, const char *kind, const char *name,
    const char *buf, size_t len, char **cause)
{
	const struct state_kind *k;
	struct netns_spec spec;
	json_t *obj, *old, *rec;
	char *file, *c2 = NULL;
	int e, same;

	if ((k = state_kind_find(kind)) == NULL) {
		*cause = xasprintf("unknown kind \"%s\"", kind);
		return VB_ECONFIG;
	}
	if (!state_name_valid(k, name)) {
		*cause = xasprintf("\"%s\" is not a valid %s name", name, kind);
		return VB_ECONFIG;
	}
	if (state_in_config(p, kind, name)) {
		*cause = xasprintf("%s \"%s\" is defined in broker.yaml",
		    kind, name);
		return VB_ENOTOWNED;
	}
	file = xasprintf("%s/%s%s", k->dir, name, k->ext);
	memset(&spec, 0, sizeof(spec));
	obj = state_check(p, k, name, buf, len, file, &spec, cause);
	free(file);
	if (obj == NULL)
		return VB_ECONFIG;
	old = json_object_get(state_objects(p, kind), name);
	if (strcmp(kind, "network") == 0) {
		if ((e = state_put_network(p, name, obj, &spec, cause)) < 0) {
			json_decref(obj);
			return e;
		}
		same = e == 1;
		rec = json_pack("{s:o}", "entry", obj);
	} else {
		same = old != NULL && json_equal(old, obj);
		rec = obj;
	}
	if (same) {
		json_decref(rec);
		return 1;
	}
	if ((e = state_write(p, k, name, buf, len, cause)) != 0) {
		if (strcmp(kind, "network") == 0 &&
		    parent_net_detach(p, name, &c2) != 0) {
			log_error("%s", c2);
			free(c2);
		}
		json_decref(rec);
		return e;
	}
	json_object_set_new(state_objects(p, kind), name, rec);
	/* A bootstrap saves after every step: not worth a line each. */
	if (strcmp(kind, "bootstrap") == 0)
		log_debug("bootstrap %s saved", name);
	else if (strcmp(kind, "hostkey") == 0)
		log_info("host keys of appliance %s saved", name);
	else
		log_info("%s %s registered", kind, name);
	return 0;
}

/* Delete appliance name's record of kind, if it has one. */
static void
state_del_record(struct parent *p, const char *kind, const char *name)
{
	char *cause = NULL;

	if (json_object_get(state_objects(p, kind), name) == NULL)
		return;
	if (state_unlink(p, state_kind_find(kind), name, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
	json_object_del(state_objects(p, kind), name);
	log_info("%s %s deleted with its appliance", kind, name);
}

int
parent_state_del(struct parent *p, const char *kind, const char *name,
    char **cause)
{
	const struct state_kind *k;
	const char *user;
	int e;

	if ((k = state_kind_find(kind)) == NULL) {
		*cause = xasprintf("unknown kind \"%s\"", kind);
		return VB_ECONFIG;
	}
	if (state_in_config(p, kind, name)) {
		*cause = xasprintf("%s \"%s\" is defined in broker.yaml",
		    kind, name);
		return VB_ENOTOWNED;
	}
	if (json_object_get(state_objects(p, kind), name) == NULL) {
		*cause = xasprintf("no %s \"%s\"", kind, name);
		return VB_ENOTFOUND;
	}
	if ((strcmp(kind, "network") == 0 || strcmp(kind, "provider") == 0) &&
	    (user = state_used_by(p, kind, name)) != NULL) {
		*cause = xasprintf("%s \"%s\" is used by appliance \"%s\"",
		    kind, name, user);
		return -EBUSY;
	}
	if ((e = state_unlink(p, k, name, cause)) != 0)
		return e;
	if (strcmp(kind, "network") == 0 && parent_net_find(p, name) != NULL &&
	    (e = parent_net_detach(p, name, cause)) != 0)
		log_warn("%s", *cause);	/* the file is gone: so is it */
	if (e != 0) {
		free(*cause);
		*cause = NULL;
	}
	json_object_del(state_objects(p, kind), name);
	log_info("%s %s deleted", kind, name);
	/*
	 * Its bootstrap and host key records go with it: a record naming no
	 * appliance could not be loaded, and a later appliance of the same
	 * name is another machine.  A failure to remove a file is logged
	 * only (the appliance is gone; the next start skips the record).
	 */
	if (strcmp(kind, "appliance") == 0) {
		state_del_record(p, "bootstrap", name);
		state_del_record(p, "hostkey", name);
	}
	return 0;
}

/* Load one file; a bad one is reported and skipped. */
static void
state_load_one(struct parent *p, const struct state_kind *k, const char *dir,
    const char *fname)
{
	struct netns_spec spec;
	struct diags d;
	json_t *obj, *rec;
	char *path, *name, *buf = NULL, *cause = NULL;
	size_t len, nl = strlen(fname), el = strlen(k->ext);

	path = xasprintf("%s/%s", dir, fname);
	if (nl <= el || strcmp(fname + nl - el, k->ext) != 0) {
		log_warn("%s: ignored (state files are NAME%s)", path, k->ext);
		free(path);
		return;
	}
	name = xstrndup(fname, nl - el);
	if (!state_name_valid(k, name)) {
		log_error("%s: \"%s\" is not a valid %s name; skipped", path,
		    name, k->kind);
		goto out;
	}
	if (state_in_config(p, k->kind, name)) {
		log_error("%s: %s \"%s\" is defined in broker.yaml, which "
		    "wins; skipped", path, k->kind, name);
		goto out;
	}
	diags_init(&d, path);
	if (ydoc_read_file(path, STATE_FILE_MAX, &buf, &len, &d) == -1) {
		cause = diags_first_error(&d);
		diags_free(&d);
		log_error("%s; skipped", cause ? cause : path);
		goto out;
	}
	diags_free(&d);
	memset(&spec, 0, sizeof(spec));
	if ((obj = state_check(p, k, name, buf, len, path, &spec,
	    &cause)) == NULL) {
		log_error("%s; skipped", cause);
		goto out;
	}
	if (strcmp(k->kind, "network") == 0) {
		rec = json_pack("{s:o}", "entry", obj);
		if (parent_net_attach(p, &spec, &cause) != 0) {
			log_error("%s: network %s: %s", path, name, cause);
			json_object_set_new(rec, "error", json_string(cause));
		}
	} else
		rec = obj;
	json_object_set_new(state_objects(p, k->kind), name, rec);
	log_info("%s %s loaded from %s", k->kind, name, path);
out:
	free(cause);
	free(buf);
	free(name);
	free(path);
}

static int
state_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
parent_state_load(struct parent *p)
{
	struct dirent *de;
	char *dir, *cause = NULL, **names, tmpl[16];
	size_t i, j, n;
	DIR *dp;

	state_objects(p, "network");
	for (i = 0; i < STATE_NKINDS; i++) {
		dir = xasprintf("%s/%s", p->conf->state_dir,
		    state_kinds[i].dir);
		if (state_dir(dir, &cause) != 0)
			fatal("state_dir: %s", cause);
		if ((dp = opendir(dir)) == NULL)
			fatal("state_dir: %s: %s", dir, strerror(errno));
		names = NULL;
		n = 0;
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.') {
				/* .NAME.ext.XXXXXX: a crash left it behind */
				snprintf(tmpl, sizeof(tmpl), "%s.",
				    state_kinds[i].ext);
				if (strstr(de->d_name, tmpl) != NULL)
					(void)unlinkat(dirfd(dp), de->d_name,
					    0);
				continue;
			}
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
		closedir(dp);
		/* In name order, so what a run loads does not depend on it. */
		if (n > 1)
			qsort(names, n, sizeof(*names), state_name_cmp);
		for (j = 0; j < n; j++) {
			state_load_one(p, &state_kinds[i], dir, names[j]);
			free(names[j]);
		}
		free(names);
		free(dir);
	}
}

/* Add origin, or drop what only the engine may see. */
static json_t *
state_for_role(json_t *o, int engine, const char *origin)
{
	json_t *c = json_deep_copy(o);

	if (engine)
		json_object_set_new(c, "origin", json_string(origin));
	else {
		json_object_del(c, "provider");
		json_object_del(c, "cs_data");
	}
	return c;
}

static json_t *
state_merge_list(struct parent *p, json_t *conflist, const char *kind,
    int engine)
{
	json_t *out = json_array(), *o;
	const char *name;
	size_t i;

	json_array_foreach(conflist, i, o)
		json_array_append_new(out, state_for_role(o, engine, "config"));
	json_object_foreach(state_objects(p, kind), name, o)
		json_array_append_new(out, state_for_role(o, engine, "state"));
	return out;
}

int
parent_state_engine_only(const char *kind)
{
	const struct state_kind *k = state_kind_find(kind);

	return k != NULL && k->engine_only;
}

void
parent_state_merge(struct parent *p, json_t *view, int engine)
{
	json_t *nets, *provs, *o, *n;
	const char *name;
	size_t i;

	json_object_set_new(view, "appliances", state_merge_list(p,
	    json_object_get(view, "appliances"), "appliance", engine));
	json_object_set_new(view, "users", state_merge_list(p,
	    json_object_get(view, "users"), "user", engine));
	if (!engine)
		return;
	provs = json_object();
	json_object_foreach(state_objects(p, "provider"), name, o)
		json_object_set_new(provs, name, json_pack("{s:O,s:s}",
		    "yaml", o, "origin", "state"));
	json_object_set_new(view, "providers", provs);
	/* The engine's bootstrap records, to resume what did not finish. */
	json_object_set_new(view, "bootstraps", json_deep_copy(state_objects(p,
	    "bootstrap")));
	/* The appliances' SSH host keys it trusted on first use. */
	json_object_set_new(view, "hostkeys", json_deep_copy(state_objects(p,
	    "hostkey")));
	nets = json_array();
	json_array_foreach(p->conf->network_entries, i, o) {
		name = json_string_value(json_object_get(o, "name"));
		n = json_deep_copy(o);
		json_object_set_new(n, "origin", json_string("config"));
		json_object_set_new(n, "state", json_string(name != NULL &&
		    parent_net_find(p, name) ? "attached" : "detached"));
		json_array_append_new(nets, n);
	}
	json_object_foreach(state_objects(p, "network"), name, o) {
		n = json_deep_copy(json_object_get(o, "entry"));
		json_object_set_new(n, "origin", json_string("state"));
		if (parent_net_find(p, name) != NULL)
			json_object_set_new(n, "state", json_string("attached"));
		else {
			json_object_set_new(n, "state", json_string("error"));
			json_object_set_new(n, "error", json_object_get(o,
			    "error") ? json_incref(json_object_get(o,
			    "error")) : json_string("not attached"));
		}
		json_array_append_new(nets, n);
	}
	json_object_set_new(view, "networks", nets);
}

/* Forget the state in memory (networks are detached with the rest). */
void
parent_state_free(struct parent *p)
{
	json_decref(p->state);
	p->state = NULL;
}

/* Is the network spec the same (byte for byte, as parsed)? */
static const struct netns_spec *
state_conf_net(const struct broker_config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nnetworks; i++)
		if (strcmp(conf->networks[i].name, name) == 0)
			return &conf->networks[i];
	return NULL;
}

/*
 * SIGHUP, once parent.c has read and checked broker.yaml (key material,
 * user, role programs, listeners: everything that can refuse the whole
 * reload): what the roles are told (appliances, users, dns_suffix, each
 * role's settings) and the networks change now.  A network that cannot
 * be attached is reported and left out; the rest of the reload goes on.
 */
void
parent_config_reload(struct parent *p, struct broker_config *n)
{
	struct broker_config *o = p->conf;
	const struct netns_spec *sp;
	char *cause = NULL;
	json_t *tmpj;
	size_t i;
	int r;

	/* Networks: detach what went or changed, attach what is new. */
	for (i = 0; i < o->nnetworks; i++) {
		sp = state_conf_net(n, o->networks[i].name);
		if (sp != NULL && memcmp(sp, &o->networks[i],
		    sizeof(*sp)) == 0)
			continue;
		if (parent_net_find(p, o->networks[i].name) != NULL &&
		    parent_net_detach(p, o->networks[i].name, &cause) != 0) {
			log_error("%s", cause);
			free(cause);
			cause = NULL;
		}
	}
	for (i = 0; i < n->nnetworks; i++) {
		if (parent_net_find(p, n->networks[i].name) != NULL)
			continue;	/* unchanged, or registered: kept */
		if (json_object_get(state_objects(p, "network"),
		    n->networks[i].name) != NULL) {
			log_error("SIGHUP: network %s is registered through "
			    "the API; remove it there first",
			    n->networks[i].name);
			continue;
		}
		if ((r = parent_net_attach(p, &n->networks[i], &cause)) != 0) {
			log_error("SIGHUP: network %s: %s", n->networks[i].name,
			    cause);
			free(cause);
			cause = NULL;
		}
	}
	/* Swap in what the roles are told; the rest stays. */
	tmpj = o->view;
	o->view = n->view;
	n->view = tmpj;
	for (i = 0; i < ROLE_MAX; i++) {
		tmpj = o->role_settings[i];
		o->role_settings[i] = n->role_settings[i];
		n->role_settings[i] = tmpj;
	}
	tmpj = o->network_entries;
	o->network_entries = n->network_entries;
	n->network_entries = tmpj;
	sp = o->networks;
	i = o->nnetworks;
	o->networks = n->networks;
	o->nnetworks = n->nnetworks;
	n->networks = (struct netns_spec *)sp;
	n->nnetworks = i;
	o->log_level = n->log_level;
	o->restart_backoff_max = n->restart_backoff_max;
	parent_views_push(p);
}
