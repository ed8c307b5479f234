/*
 * Unit tests for broker/parent-state.c: the state directory.  Real files
 * in a temporary directory; the namespace calls are stubbed (attaching
 * needs root and is covered by tests/integration/engine-state.sh).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "broker/parent.h"
#include "broker/proxy-keys.h"
#include "broker/ssh-hostkeys.h"
#include "broker/state-records.h"
#include "common/error.h"
#include "common/xmalloc.h"

/* --- stubs: networks are names in a list; attach can be made to fail */
static char attached[8][NETNS_NAME_MAX + 1];
static size_t nattached;
static int attach_fails;
static int pushes;

struct netns_net *
parent_net_find(struct parent *p, const char *name)
{
	size_t i;

	(void)p;
	for (i = 0; i < nattached; i++)
		if (strcmp(attached[i], name) == 0)
			return (struct netns_net *)attached[i];
	return NULL;
}

int
parent_net_attach(struct parent *p, const struct netns_spec *spec,
    char **cause)
{
	if (attach_fails) {
		*cause = xstrdup("no such link");
		return VB_ENOTFOUND;
	}
	if (parent_net_find(p, spec->name) != NULL) {
		*cause = xstrdup("attached already");
		return VB_EEXIST;
	}
	strcpy(attached[nattached++], spec->name);
	return 0;
}

int
parent_net_detach(struct parent *p, const char *name, char **cause)
{
	size_t i;

	(void)p;
	for (i = 0; i < nattached; i++)
		if (strcmp(attached[i], name) == 0)
			break;
	if (i == nattached) {
		*cause = xstrdup("not attached");
		return VB_ENOTFOUND;
	}
	memmove(attached[i], attached[i + 1], (nattached - i - 1) *
	    sizeof(attached[0]));
	nattached--;
	return 0;
}

void
parent_views_push(struct parent *p)
{
	(void)p;
	pushes++;
}

int
sshr_hostkeys_setup(struct broker_config *conf, char **cause)
{
	(void)conf;
	(void)cause;
	return 0;
}

int
proxy_keys_prepare(struct broker_config *conf, char **cause)
{
	(void)conf;
	(void)cause;
	return 0;
}

/* --- fixtures */
static char dir[64];

static const char conf_fmt[] =
    "state_dir: %s\n"
    "networks:\n"
    "  - {name: cn, veth: {peer: p0}, addresses: [198.18.9.2/24]}\n"
    "appliances:\n"
    "  - {name: cfg-app, network: cn, address: 198.18.9.10, ports: [22]}\n"
    "users:\n"
    "  - {name: ops, grants: [{appliances: [cfg-app]}]}\n";

static const char net1[] =
    "{\"name\": \"n1\", \"veth\": {\"peer\": \"p1\"},"
    " \"addresses\": [\"198.18.8.2/24\"]}";
static const char app1[] =
    "{\"name\": \"a1\", \"network\": \"n1\", \"address\": \"198.18.8.10\","
    " \"ports\": [22, 443], \"provider\": \"fw\","
    " \"cs_data\": {\"password\": \"pw\"}}";
static const char prov[] = "name: fw\ndescription: a firewall\n";

static void
parent_setup(struct parent *p)
{
	struct diags d;
	char *text;

	memset(p, 0, sizeof(*p));
	text = xasprintf(conf_fmt, dir);
	diags_init(&d, "broker.yaml");
	p->conf = config_parse(text, strlen(text), "broker.yaml", &d);
	diags_free(&d);
	free(text);
	assert_non_null(p->conf);
}

static void
parent_teardown(struct parent *p)
{
	parent_state_free(p);
	config_free(p->conf);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test-parent-state.XXXXXX");
	assert_non_null(mkdtemp(dir));
	nattached = 0;
	attach_fails = 0;
	pushes = 0;
	return 0;
}

static int
teardown(void **state)
{
	char *cmd;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static int
file_mode(const char *rel)
{
	struct stat st;
	char *path = xasprintf("%s/%s", dir, rel);
	int r;

	r = stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
	free(path);
	return r;
}

static int
put(struct parent *p, const char *kind, const char *name, const char *text,
    char **cause)
{
	*cause = NULL;
	return parent_state_put(p, kind, name, text, strlen(text), cause);
}

/* --- tests */
static void
test_put_and_files(void **state)
{
	struct parent p;
	char *cause;

	(void)state;
	parent_setup(&p);
	parent_state_load(&p);
	assert_int_equal(file_mode("networks"), 0700);
	assert_int_equal(file_mode("users"), 0700);
	assert_int_equal(put(&p, "network", "n1", net1, &cause), 0);
	assert_non_null(parent_net_find(&p, "n1"));
	assert_int_equal(file_mode("networks/n1.json"), 0600);
	/* the same again: nothing changes */
	assert_int_equal(put(&p, "network", "n1", net1, &cause), 1);
	assert_int_equal(put(&p, "provider", "fw", prov, &cause), 0);
	assert_int_equal(file_mode("providers/fw.yaml"), 0600);
	assert_int_equal(put(&p, "appliance", "a1", app1, &cause), 0);
	assert_int_equal(file_mode("appliances/a1.json"), 0600);
	assert_int_equal(put(&p, "user", "u1", "{\"name\": \"u1\", \"grants\":"
	    " [{\"appliances\": [\"a1\", \"cfg-app\"]}]}", &cause), 0);
	parent_teardown(&p);
}

static void
test_refusals(void **state)
{
	struct parent p;
	char *cause;

	(void)state;
	parent_setup(&p);
	parent_state_load(&p);
	/* broker.yaml's objects are read-only */
	assert_int_equal(put(&p, "appliance", "cfg-app", "{\"name\": "
	    "\"cfg-app\", \"network\": \"cn\", \"address\": \"198.18.9.11\", "
	    "\"ports\": [22]}", &cause), VB_ENOTOWNED);
	assert_non_null(strstr(cause, "broker.yaml"));
	free(cause);
	assert_int_equal(parent_state_del(&p, "network", "cn", &cause),
	    VB_ENOTOWNED);
	free(cause);
	/* the parser's own checks, with position */
	assert_int_equal(put(&p, "appliance", "a2", "{\"name\": \"a2\",\n"
	    "\"network\": \"cn\", \"address\": \"nope\", \"ports\": [22]}",
	    &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "appliances/a2.json:2:"));
	assert_non_null(strstr(cause, "address"));
	free(cause);
	assert_int_equal(file_mode("appliances/a2.json"), -1);
	/* an unknown network; an unregistered provider */
	assert_int_equal(put(&p, "appliance", "a2", "{\"name\": \"a2\", "
	    "\"network\": \"zz\", \"address\": \"198.18.9.3\", \"ports\": [22]}",
	    &cause), VB_ECONFIG);
	free(cause);
	assert_int_equal(put(&p, "appliance", "a2", "{\"name\": \"a2\", "
	    "\"network\": \"cn\", \"address\": \"198.18.9.3\", \"ports\": [22],"
	    " \"provider\": \"ghost\"}", &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "not registered"));
	free(cause);
	/* the name in the body must be the one asked for */
	assert_int_equal(put(&p, "user", "u1", "{\"name\": \"u2\"}", &cause),
	    VB_ECONFIG);
	free(cause);
	/* names by broker.yaml's rule */
	assert_int_equal(put(&p, "user", "../x", "{}", &cause), VB_ECONFIG);
	free(cause);
	/* a provider is UTF-8 text */
	assert_int_equal(put(&p, "provider", "bin", "name: \xff\xfe\n",
	    &cause), VB_ECONFIG);
	free(cause);
	/* a network that cannot be attached leaves no file */
	attach_fails = 1;
	assert_int_equal(put(&p, "network", "n1", net1, &cause),
	    VB_ENOTFOUND);
	free(cause);
	assert_int_equal(file_mode("networks/n1.json"), -1);
	assert_null(parent_net_find(&p, "n1"));
	parent_teardown(&p);
}

static void
test_delete(void **state)
{
	struct parent p;
	char *cause;

	(void)state;
	parent_setup(&p);
	parent_state_load(&p);
	assert_int_equal(put(&p, "network", "n1", net1, &cause), 0);
	assert_int_equal(put(&p, "provider", "fw", prov, &cause), 0);
	assert_int_equal(put(&p, "appliance", "a1", app1, &cause), 0);
	assert_int_equal(parent_state_del(&p, "network", "n1", &cause),
	    -EBUSY);
	assert_non_null(strstr(cause, "a1"));
	free(cause);
	assert_int_equal(parent_state_del(&p, "provider", "fw", &cause),
	    -EBUSY);
	free(cause);
	assert_int_equal(parent_state_del(&p, "appliance", "zz", &cause),
	    VB_ENOTFOUND);
	free(cause);
	cause = NULL;
	assert_int_equal(parent_state_del(&p, "appliance", "a1", &cause), 0);
	assert_int_equal(file_mode("appliances/a1.json"), -1);
	assert_int_equal(parent_state_del(&p, "provider", "fw", &cause), 0);
	assert_int_equal(parent_state_del(&p, "network", "n1", &cause), 0);
	assert_null(parent_net_find(&p, "n1"));
	assert_int_equal(file_mode("networks/n1.json"), -1);
	parent_teardown(&p);
}

static void
test_reload_and_views(void **state)
{
	struct parent p;
	json_t *view, *a;
	char *cause, *path;
	FILE *fp;

	(void)state;
	parent_setup(&p);
	parent_state_load(&p);
	assert_int_equal(put(&p, "network", "n1", net1, &cause), 0);
	assert_int_equal(put(&p, "provider", "fw", prov, &cause), 0);
	assert_int_equal(put(&p, "appliance", "a1", app1, &cause), 0);
	parent_teardown(&p);
	/* a corrupt file and a leftover temporary file */
	path = xasprintf("%s/appliances/bad.json", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("{\"name\": \"bad\",\n \"ports\": }\n", fp);
	fclose(fp);
	free(path);
	path = xasprintf("%s/appliances/.a1.json.Ab12Cd", dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	nattached = 0;
	parent_setup(&p);
	parent_state_load(&p);
	assert_int_equal(access(path, F_OK), -1);	/* removed */
	free(path);
	assert_non_null(parent_net_find(&p, "n1"));	/* attached again */

	view = json_pack("{s:[{s:s,s:s}],s:[]}", "appliances", "name",
	    "cfg-app", "network", "cn", "users");
	parent_state_merge(&p, view, 0);
	assert_int_equal(json_array_size(json_object_get(view, "appliances")),
	    2);		/* bad.json was skipped */
	a = json_array_get(json_object_get(view, "appliances"), 1);
	assert_string_equal(json_string_value(json_object_get(a, "name")),
	    "a1");
	assert_null(json_object_get(a, "cs_data"));	/* not for ssh/proxy */
	assert_null(json_object_get(a, "provider"));
	json_decref(view);

	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 1);
	a = json_array_get(json_object_get(view, "appliances"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "origin")),
	    "state");
	assert_non_null(json_object_get(a, "cs_data"));
	assert_non_null(json_object_get(json_object_get(view, "providers"),
	    "fw"));
	assert_int_equal(json_array_size(json_object_get(view, "networks")),
	    2);
	json_decref(view);
	parent_teardown(&p);
}

/* The bootstrap kind: the engine's records, checked for shape only. */
static void
test_bootstrap(void **state)
{
	static const char rec[] = "{\"name\": \"a1\", \"job\": "
	    "\"0a1b-3\", \"started\": 1764300000, \"finished\": false, "
	    "\"progress\": {\"phase\": \"actions\", \"pending\": "
	    "{\"index\": 1, \"password\": \"n3w-pass\"}}}";
	struct parent p;
	json_t *view, *b;
	char *cause, *path;
	FILE *fp;

	(void)state;
	parent_setup(&p);
	parent_state_load(&p);
	assert_int_equal(file_mode("bootstraps"), 0700);
	assert_int_equal(put(&p, "network", "n1", net1, &cause), 0);
	assert_int_equal(put(&p, "provider", "fw", prov, &cause), 0);
	assert_int_equal(put(&p, "appliance", "a1", app1, &cause), 0);
	assert_int_equal(put(&p, "bootstrap", "a1", rec, &cause), 0);
	assert_int_equal(file_mode("bootstraps/a1.json"), 0600);
	assert_int_equal(put(&p, "bootstrap", "a1", rec, &cause), 1);
	/* an appliance of broker.yaml has one too */
	assert_int_equal(put(&p, "bootstrap", "cfg-app", "{\"name\": "
	    "\"cfg-app\", \"job\": \"1-1\", \"started\": 1, \"finished\": "
	    "true, \"progress\": {}, \"result\": {\"status\": \"failed\"}}",
	    &cause), 0);

	/* refused: no such appliance, bad JSON (with its position), not an
	 * object, a wrong type, a missing or unknown field, another name */
	assert_int_equal(put(&p, "bootstrap", "ghost", "{\"name\": "
	    "\"ghost\", \"job\": \"1-1\", \"started\": 1, \"finished\": "
	    "false, \"progress\": {}}", &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "neither in broker.yaml nor registered"));
	free(cause);
	assert_int_equal(put(&p, "bootstrap", "a1", "{\"name\": \"a1\",\n"
	    "  \"job\": }", &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "bootstraps/a1.json:2:"));
	free(cause);
	assert_int_equal(put(&p, "bootstrap", "a1", "[1]", &cause),
	    VB_ECONFIG);
	free(cause);
	assert_int_equal(put(&p, "bootstrap", "a1", "{\"name\": \"a1\", "
	    "\"job\": \"1-1\", \"started\": 1, \"finished\": false, "
	    "\"progress\": \"phase 2\"}", &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "progress: expected an object"));
	free(cause);
	assert_int_equal(put(&p, "bootstrap", "a1", "{\"name\": \"a1\", "
	    "\"job\": \"1-1\", \"started\": 1, \"progress\": {}}",
	    &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "finished: missing"));
	free(cause);
	assert_int_equal(put(&p, "bootstrap", "a1", "{\"name\": \"a1\", "
	    "\"job\": \"1-1\", \"started\": 1, \"finished\": false, "
	    "\"progress\": {}, \"colour\": 1}", &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "colour: unknown field"));
	free(cause);
	assert_int_equal(put(&p, "bootstrap", "a1", "{\"name\": \"cfg-app\", "
	    "\"job\": \"1-1\", \"started\": 1, \"finished\": false, "
	    "\"progress\": {}}", &cause), VB_ECONFIG);
	free(cause);
	/* what was refused changed nothing */
	path = xasprintf("%s/bootstraps/a1.json", dir);
	assert_non_null(fp = fopen(path, "r"));
	fclose(fp);

	/* the engine's view holds the records; ssh and proxy get none */
	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 1);
	b = json_object_get(json_object_get(view, "bootstraps"), "a1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(b, "progress"), "pending"), "password")),
	    "n3w-pass");
	json_decref(view);
	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 0);
	assert_null(json_object_get(view, "bootstraps"));
	json_decref(view);

	/* loaded again at start */
	parent_teardown(&p);
	nattached = 0;
	parent_setup(&p);
	parent_state_load(&p);
	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 1);
	assert_int_equal(json_object_size(json_object_get(view, "bootstraps")),
	    2);
	json_decref(view);

	/* deleting the appliance deletes its record */
	cause = NULL;
	assert_int_equal(parent_state_del(&p, "appliance", "a1", &cause), 0);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 1);
	assert_null(json_object_get(json_object_get(view, "bootstraps"), "a1"));
	assert_non_null(json_object_get(json_object_get(view, "bootstraps"),
	    "cfg-app"));
	json_decref(view);
	parent_teardown(&p);
}

/* The hostkey kind: HOST:PORT to SHA256 fingerprints, by appliance. */
static void
test_hostkeys(void **state)
{
	static const char rec[] = "{\"name\": \"a1\", \"keys\": "
	    "{\"198.19.1.10:22\": \"SHA256:xSu4hVlTx+y6ZpwUrQXvY8MDmA6xbEFs"
	    "4AWwkpzu3z0\", \"[fd00::1]:2222\": \"SHA256:AAAA\"}}";
	static const struct {
		const char *body, *why;
	} bad[] = {
		{ "{\"name\": \"a1\"}", "keys: missing" },
		{ "{\"name\": \"a1\", \"keys\": []}", "keys: expected an "
		    "object" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10\": "
		    "\"SHA256:AAAA\"}}", "\"198.19.1.10\": not HOST:PORT" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10:65536\": "
		    "\"SHA256:AAAA\"}}", "not HOST:PORT" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10:022\": "
		    "\"SHA256:AAAA\"}}", "not HOST:PORT" },
		{ "{\"name\": \"a1\", \"keys\": {\"a b:22\": "
		    "\"SHA256:AAAA\"}}", "not HOST:PORT" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10:22\": "
		    "\"MD5:aa:bb\"}}", "keys.198.19.1.10:22: expected a "
		    "SHA256" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10:22\": "
		    "\"SHA256:\"}}", "expected a SHA256" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10:22\": "
		    "\"SHA256:a;b\"}}", "expected a SHA256" },
		{ "{\"name\": \"a1\", \"keys\": {\"198.19.1.10:22\": 7}}",
		    "expected a SHA256" },
		{ "{\"name\": \"cfg-app\", \"keys\": {}}", "does not "
		    "match the file's name \"a1\"" },
		{ "{\"name\": \"a1\", \"keys\": {}, \"when\": 1}",
		    "when: unknown field" },
	};
	struct parent p;
	json_t *view;
	char *cause, *body, *path;
	size_t i;

	(void)state;
	parent_setup(&p);
	parent_state_load(&p);
	assert_int_equal(file_mode("hostkeys"), 0700);
	assert_int_equal(put(&p, "network", "n1", net1, &cause), 0);
	assert_int_equal(put(&p, "provider", "fw", prov, &cause), 0);
	assert_int_equal(put(&p, "appliance", "a1", app1, &cause), 0);
	assert_int_equal(put(&p, "hostkey", "a1", rec, &cause), 0);
	assert_int_equal(file_mode("hostkeys/a1.json"), 0600);
	assert_int_equal(put(&p, "hostkey", "a1", rec, &cause), 1);
	assert_int_equal(put(&p, "hostkey", "cfg-app", "{\"name\": "
	    "\"cfg-app\", \"keys\": {}}", &cause), 0);
	assert_int_equal(put(&p, "hostkey", "ghost", "{\"name\": "
	    "\"ghost\", \"keys\": {}}", &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "neither in broker.yaml nor registered"));
	free(cause);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		assert_int_equal(put(&p, "hostkey", "a1", bad[i].body,
		    &cause), VB_ECONFIG);
		if (strstr(cause, bad[i].why) == NULL)
			fail_msg("%s: \"%s\" not in \"%s\"", bad[i].body,
			    bad[i].why, cause);
		assert_non_null(strstr(cause, "hostkeys/a1.json"));
		free(cause);
	}
	/* more keys than an appliance may have */
	body = xstrdup("{\"name\": \"a1\", \"keys\": {");
	for (i = 0; i <= STATE_HOSTKEYS_MAX; i++) {
		char *n = xasprintf("%s%s\"198.19.1.%zu:22\": \"SHA256:AA\"",
		    body, i > 0 ? ", " : "", i);

		free(body);
		body = n;
	}
	path = xasprintf("%s}}", body);
	free(body);
	assert_int_equal(put(&p, "hostkey", "a1", path, &cause), VB_ECONFIG);
	assert_non_null(strstr(cause, "more than the 64"));
	free(cause);
	free(path);

	/* the engine's view has them, the others' not */
	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(view, "hostkeys"), "a1"), "keys"),
	    "[fd00::1]:2222")), "SHA256:AAAA");
	json_decref(view);
	view = json_pack("{s:[],s:[]}", "appliances", "users");
	parent_state_merge(&p, view, 0);
	assert_null(json_object_get(view, "hostkeys"));
	json_decref(view);
	assert_true(parent_state_engine_only("hostkey"));

	/* loaded at start; deleted with the appliance, or by itself */
	parent_teardown(&p);
	nattached = 0;
	parent_setup(&p);
	parent_state_load(&p);
	cause = NULL;
	assert_int_equal(parent_state_del(&p, "appliance", "a1", &cause), 0);
	path = xasprintf("%s/hostkeys/a1.json", dir);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	assert_int_equal(parent_state_del(&p, "hostkey", "cfg-app", &cause),
	    0);
	path = xasprintf("%s/hostkeys/cfg-app.json", dir);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	assert_int_equal(parent_state_del(&p, "hostkey", "cfg-app", &cause),
	    VB_ENOTFOUND);
	free(cause);
	parent_teardown(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_and_views, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostkeys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
