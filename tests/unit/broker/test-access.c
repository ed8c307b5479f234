/* Unit tests for broker/access.c: target names and grants. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "broker/access.h"

static const char view_json[] =
    "{\"dns_suffix\": \"vnf.internal\","
    " \"networks\": [\"guest-42\", \"guest-43\", \"lab.a\"],"
    " \"appliances\": ["
    "   {\"name\": \"pfsense-001\", \"network\": \"guest-42\","
    "    \"address\": \"10.1.1.5\", \"ports\": [22, 443]},"
    "   {\"name\": \"vyos-1\", \"network\": \"guest-43\","
    "    \"address\": \"10.1.1.5\", \"ports\": [443]},"
    "   {\"name\": \"v6box\", \"network\": \"guest-43\","
    "    \"address\": \"fd00::5\", \"ports\": [22]},"
    "   {\"name\": \"gone\", \"network\": \"guest-99\","
    "    \"address\": \"10.9.9.9\", \"ports\": [22]}],"
    " \"users\": ["
    "   {\"name\": \"ops\", \"grants\": [{\"appliances\": [\"pfsense-001\"]},"
    "     {\"networks\": [\"lab.a\"], \"ports\": [8080]}]},"
    "   {\"name\": \"admin\", \"grants\": [{\"appliances\": [\"*\"]}]},"
    "   {\"name\": \"web\", \"grants\": [{\"appliances\": [\"*\"],"
    "     \"ports\": [443]}]},"
    "   {\"name\": \"nobody\", \"grants\": []}]}";

static int
setup(void **state)
{
	json_error_t e;
	json_t *view = json_loads(view_json, 0, &e);
	char *cause = NULL;

	assert_non_null(view);
	*state = access_load(view, &cause);
	assert_non_null(*state);
	json_decref(view);
	return 0;
}

static int
teardown(void **state)
{
	access_free(*state);
	return 0;
}

static void
test_appliance_names(void **state)
{
	struct target t;
	const char *why;

	assert_int_equal(access_resolve(*state, "pfsense-001", 22, &t, &why),
	    ACCESS_OK);
	assert_string_equal(t.appliance, "pfsense-001");
	assert_string_equal(t.network, "guest-42");
	assert_string_equal(t.address, "10.1.1.5");
	assert_int_equal(((struct sockaddr_in *)&t.sa)->sin_port, htons(22));
	/* case, suffix and a trailing dot make no difference */
	assert_int_equal(access_resolve(*state, "PfSense-001.VNF.internal.",
	    443, &t, &why), ACCESS_OK);
	assert_string_equal(t.appliance, "pfsense-001");
	assert_string_equal(t.name, "PfSense-001.VNF.internal.");
	/* the same address in another network is another appliance */
	assert_int_equal(access_resolve(*state, "vyos-1", 443, &t, &why),
	    ACCESS_OK);
	assert_string_equal(t.network, "guest-43");
	assert_string_equal(t.address, "10.1.1.5");
}

static void
test_address_targets(void **state)
{
	struct target t;
	const char *why;

	assert_int_equal(access_resolve(*state, "10.1.1.7.guest-42", 80, &t,
	    &why), ACCESS_OK);
	assert_string_equal(t.appliance, "");
	assert_string_equal(t.network, "guest-42");
	assert_string_equal(t.address, "10.1.1.7");
	/* an appliance's own address is that appliance */
	assert_int_equal(access_resolve(*state, "10.1.1.5.guest-43", 443, &t,
	    &why), ACCESS_OK);
	assert_string_equal(t.appliance, "vyos-1");
	/* network names may hold dots; suffix stripped first */
	assert_int_equal(access_resolve(*state, "198.18.1.10.lab.a.vnf.internal",
	    8080, &t, &why), ACCESS_OK);
	assert_string_equal(t.network, "lab.a");
	assert_string_equal(t.address, "198.18.1.10");
	/* IPv6 with '-' for ':' */
	assert_int_equal(access_resolve(*state, "fd00--5.GUEST-43", 22, &t,
	    &why), ACCESS_OK);
	assert_string_equal(t.network, "guest-43");
	assert_string_equal(t.address, "fd00::5");
	assert_string_equal(t.appliance, "v6box");
	assert_int_equal(t.sa.ss_family, AF_INET6);
}

static void
test_unknown_targets(void **state)
{
	static const char *const bad[] = { "", "nosuch", "10.1.1.5",
	    "10.1.1.5.", "10.1.1.5.guest-44", "10.1.1.256.guest-42",
	    "fd00--5", "zz--5.guest-43", "1.2.3.guest-42", ".guest-42",
	    "gone", NULL };
	struct target t;
	const char *why;
	char big[400];
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		why = NULL;
		assert_int_equal(access_resolve(*state, bad[i], 22, &t, &why),
		    ACCESS_UNKNOWN_TARGET);
		assert_non_null(why);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(access_resolve(*state, big, 22, &t, &why),
	    ACCESS_UNKNOWN_TARGET);
	assert_int_equal(access_resolve(*state, "gone", 22, &t, &why),
	    ACCESS_UNKNOWN_TARGET);
	assert_string_equal(why, "the appliance's network is not attached");
}

static void
test_grants(void **state)
{
	struct target t;
	const char *why;

	access_resolve(*state, "pfsense-001", 22, &t, &why);
	assert_int_equal(access_check(*state, "ops", &t, &why), ACCESS_OK);
	assert_int_equal(access_check(*state, "admin", &t, &why), ACCESS_OK);
	/* default deny */
	assert_int_equal(access_check(*state, "nobody", &t, &why),
	    ACCESS_NOT_PERMITTED);
	assert_string_equal(why, "not permitted");
	assert_int_equal(access_check(*state, "stranger", &t, &why),
	    ACCESS_NOT_PERMITTED);
	/* user names are case-sensitive */
	assert_int_equal(access_check(*state, "OPS", &t, &why),
	    ACCESS_NOT_PERMITTED);
	/* a grant's own port list narrows it */
	assert_int_equal(access_check(*state, "web", &t, &why),
	    ACCESS_NOT_PERMITTED);
	access_resolve(*state, "pfsense-001", 443, &t, &why);
	assert_int_equal(access_check(*state, "web", &t, &why), ACCESS_OK);
	/* the appliance's ports bound every grant, even "*" */
	access_resolve(*state, "pfsense-001", 8443, &t, &why);
	assert_int_equal(access_check(*state, "admin", &t, &why),
	    ACCESS_PORT_NOT_ALLOWED);
	assert_string_equal(why, "port not allowed for this appliance");
	/* ops's grant names pfsense-001, not vyos-1 */
	access_resolve(*state, "vyos-1", 443, &t, &why);
	assert_int_equal(access_check(*state, "ops", &t, &why),
	    ACCESS_NOT_PERMITTED);
	/* network grants: any address, only the granted ports */
	access_resolve(*state, "198.18.1.99.lab.a", 8080, &t, &why);
	assert_int_equal(access_check(*state, "ops", &t, &why), ACCESS_OK);
	access_resolve(*state, "198.18.1.99.lab.a", 22, &t, &why);
	assert_int_equal(access_check(*state, "ops", &t, &why),
	    ACCESS_NOT_PERMITTED);
	/* an appliance grant does not open the rest of its network */
	access_resolve(*state, "10.1.1.6.guest-42", 22, &t, &why);
	assert_int_equal(access_check(*state, "ops", &t, &why),
	    ACCESS_NOT_PERMITTED);
}

static void
test_bad_view(void **state)
{
	json_t *v = json_pack("{s:[]}", "users");
	char *cause = NULL;

	assert_null(access_load(v, &cause));
	assert_non_null(cause);
	free(cause);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_appliance_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_address_targets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_targets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
		cmocka_unit_test(test_bad_view),
	};

	return cmocka_run_group_tests_name("broker/access", tests, NULL, NULL);
}
