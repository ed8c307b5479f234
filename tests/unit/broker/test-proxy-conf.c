/* Unit tests for broker/proxy-conf.c: the `proxy:` section. */
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
test_defaults_empty(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse("proxy: {}\n", &rep, &nerr);
	assert_non_null(conf);
	assert_int_equal(json_object_size(conf->role_settings[ROLE_PROXY]), 0);
	config_free(conf);
	free(rep);
}

static void
test_values(void **state)
{
	struct broker_config *conf;
	json_t *s;
	size_t nerr;
	char *rep;

	conf = parse("proxy:\n  connect_timeout: 3\n  idle_timeout: 60\n"
	    "  shutdown_grace: 2\n  max_connections: 500\n"
	    "  max_headers: 50\n  max_header_size: 16384\n"
	    "  max_request_line: 4096\n  request_timeout: 10\n"
	    "  auth_cache_ttl: 0\n  pac_proxy: broker.example:3128\n",
	    &rep, &nerr);
	assert_non_null(conf);
	s = conf->role_settings[ROLE_PROXY];
	assert_int_equal(json_integer_value(json_object_get(s,
	    "connect_timeout")), 3);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "max_connections")), 500);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "auth_cache_ttl")), 0);
	assert_string_equal(json_string_value(json_object_get(s,
	    "pac_proxy")), "broker.example:3128");
	config_free(conf);
	free(rep);
}

static void
test_errors(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse("proxy:\n  conect_timeout: 3\n  idle_timeout: 0\n"
	    "  max_headers: lots\n  pac_proxy: \"x\\\"; alert(1)\"\n"
	    "  tls_certificate: relative.pem\n"
	    "  client_certificate_required: true\n", &rep, &nerr);
	assert_null(conf);
	has(rep, "did you mean \"connect_timeout\"");
	has(rep, "idle_timeout: expected seconds from 1 to 86400");
	has(rep, "max_headers: expected a count");
	has(rep, "pac_proxy: expected HOST:PORT");
	has(rep, "expected an absolute path");
	has(rep, "client_certificate_required: needs client_ca");
	free(rep);
}

static void
test_pem_files(void **state)
{
	char dir[] = "/tmp/vbp-conf.XXXXXX", cert[64], key[64], text[512];
	struct broker_config *conf;
	json_t *s;
	size_t nerr;
	char *rep;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	fp = fopen(cert, "w");
	fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	    fp);
	fclose(fp);
	fp = fopen(key, "w");
	fputs("not pem\n", fp);
	fclose(fp);

	snprintf(text, sizeof(text), "proxy:\n  tls_certificate: %s\n"
	    "  tls_key: %s\n", cert, key);
	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	has(rep, "no PEM block");
	free(rep);

	snprintf(text, sizeof(text), "proxy:\n  tls_certificate: %s\n", cert);
	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	has(rep, "tls_certificate and tls_key go together");
	free(rep);

	fp = fopen(key, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n",
	    fp);
	fclose(fp);
	snprintf(text, sizeof(text), "proxy:\n  tls_certificate: %s\n"
	    "  tls_key: %s\n", cert, key);
	conf = parse(text, &rep, &nerr);
	assert_non_null(conf);
	s = conf->role_settings[ROLE_PROXY];
	assert_non_null(strstr(json_string_value(json_object_get(s,
	    "tls_key_pem")), "BBBB"));
	assert_string_equal(json_string_value(json_object_get(s,
	    "tls_certificate")), cert);
	config_free(conf);
	free(rep);

	snprintf(text, sizeof(text), "proxy:\n  client_ca: %s/none.pem\n",
	    dir);
	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	has(rep, "No such file");
	free(rep);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_empty),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pem_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
