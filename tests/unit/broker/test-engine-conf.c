/* Unit tests for broker/engine-conf.c: the `api:` section. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "broker/conf.h"

#define HASH_UP	"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
#define HASH_LO	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static struct broker_config *
parse(const char *text, char **report, size_t *nerrors)
{
	struct broker_config *conf;
	struct diags d;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	diags_init(&d, "broker.yaml");
	conf = config_parse(text, strlen(text), "broker.yaml", &d);
	fp = open_memstream(&buf, &len);
	diags_print(&d, fp);
	fclose(fp);
	*report = buf;
	*nerrors = d.nerrors;
	diags_free(&d);
	return conf;
}

static void
has(const char *report, const char *what)
{
	if (strstr(report, what) == NULL)
		fail_msg("report lacks \"%s\":\n%s", what, report);
}

static void
test_empty(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	(void)state;
	conf = parse("api: {}\n", &rep, &nerr);
	assert_non_null(conf);
	assert_int_equal(json_object_size(conf->role_settings[ROLE_ENGINE]),
	    0);
	config_free(conf);
	free(rep);
}

static void
test_values(void **state)
{
	struct broker_config *conf;
	json_t *s, *t;
	size_t nerr;
	char *rep;

	(void)state;
	conf = parse("api:\n"
	    "  tokens:\n"
	    "    - {name: cloudstack, sha256: " HASH_UP "}\n"
	    "  local_users: [root]\n"
	    "  socket: /run/x/api.sock\n"
	    "  max_body: 2048\n"
	    "  max_concurrent: 5\n"
	    "  request_timeout: 7\n"
	    "  wait: 0\n", &rep, &nerr);
	if (conf == NULL)
		fail_msg("%s", rep);
	s = conf->role_settings[ROLE_ENGINE];
	t = json_array_get(json_object_get(s, "tokens"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	    "cloudstack");
	/* Hex is kept lowercase, as the role compares it. */
	assert_string_equal(json_string_value(json_object_get(t, "sha256")),
	    HASH_LO);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(s,
	    "local_uids"), 0)), 0);
	assert_string_equal(json_string_value(json_object_get(s, "socket")),
	    "/run/x/api.sock");
	assert_int_equal(json_integer_value(json_object_get(s, "max_body")),
	    2048);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "max_concurrent")), 5);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "request_timeout")), 7);
	assert_int_equal(json_integer_value(json_object_get(s, "wait")), 0);
	config_free(conf);
	free(rep);
}

/* Every mistake is reported in one pass, each with its line. */
static void
test_errors(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	(void)state;
	conf = parse("api:\n"
	    "  tokens:\n"
	    "    - {name: a, sha256: abc}\n"
	    "    - {name: a, sha256: " HASH_LO "}\n"
	    "    - {sha256: " HASH_LO ", token: secret}\n"
	    "  local_users: [no-such-user-vea-unit]\n"
	    "  socket: relative/api.sock\n"
	    "  max_body: 10\n"
	    "  max_concurrent: 0\n"
	    "  tls_key: /nonexistent/vea.key\n"
	    "  colour: blue\n", &rep, &nerr);
	assert_null(conf);
	has(rep, "broker.yaml:3:");
	has(rep, "sha256: expected 64 hex digits");
	has(rep, "name: \"a\" given twice");
	has(rep, "name: missing");
	has(rep, "token");
	has(rep, "no such user \"no-such-user-vea-unit\"");
	has(rep, "expected an absolute path");
	has(rep, "max_body: expected bytes from 1024");
	has(rep, "max_concurrent: expected a count from 1");
	has(rep, "/nonexistent/vea.key");
	has(rep, "tls_certificate and tls_key go together");
	has(rep, "colour");
	assert_true(nerr >= 11);
	free(rep);
}

static void
test_socket_too_long(void **state)
{
	struct broker_config *conf;
	char text[512], longpath[200];
	size_t nerr;
	char *rep;

	(void)state;
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(text, sizeof(text), "api: {socket: %s}\n", longpath);
	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	has(rep, "longer than the 107 bytes");
	free(rep);
}

/* An enabled engine gets the unix listener "api_unix" by itself. */
static void
test_unix_listener(void **state)
{
	struct broker_config *conf;
	size_t nerr, i;
	char *rep;
	int found = 0;

	(void)state;
	conf = parse("roles: {engine: {program: /bin/true}}\n", &rep, &nerr);
	if (conf == NULL)
		fail_msg("%s", rep);
	for (i = 0; i < conf->nlisteners; i++)
		found += strcmp(conf->listeners[i].name, "api_unix") == 0;
	assert_int_equal(found, 1);
	config_free(conf);
	free(rep);
	conf = parse("api: {}\n", &rep, &nerr);
	assert_non_null(conf);
	for (i = 0; i < conf->nlisteners; i++)
		assert_string_not_equal(conf->listeners[i].name, "api_unix");
	config_free(conf);
	free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_socket_too_long),
		cmocka_unit_test(test_unix_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
