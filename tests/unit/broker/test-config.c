/* Unit tests for broker/config.c: defaults, networks, and every error. */
#include "config.h"

#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "broker/conf.h"

/* Parse text; return the configuration and all diagnostics as one string. */
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
test_embedded_default(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse(config_default_yaml, &rep, &nerr);
	assert_non_null(conf);
	assert_int_equal(nerr, 0);
	assert_string_equal(conf->user, "vnf-broker");
	assert_int_equal(conf->nnetworks, 0);
	assert_int_equal(conf->log_level, LOG_LEVEL_INFO);
	for (int i = 0; i < ROLE_MAX; i++)
		assert_false(conf->roles[i].enabled);
	config_free(conf);
	free(rep);
}

static void
test_empty_file_is_defaults(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse("", &rep, &nerr);
	assert_non_null(conf);
	assert_string_equal(conf->run_dir, RUNSTATEDIR "/vnf-broker");
	config_free(conf);
	free(rep);
}

static const char good[] =
    "user: nobody\n"
    "state_dir: /tmp/vb-state\n"
    "run_dir: /tmp/vb-run\n"
    "log: {level: debug, target: syslog}\n"
    "roles:\n"
    "  engine:\n"
    "    program: /bin/true\n"
    "    args: [--report, /tmp/r]\n"
    "  ssh: {enabled: false}\n"
    "networks:\n"
    "  - name: guest-42\n"
    "    mac: 02:00:5E:00:53:01\n"
    "    ifname: eth1\n"
    "    mtu: 1450\n"
    "    addresses: [198.18.1.2/24, 'fd00:42::2/64']\n"
    "    gateway: 198.18.1.1\n"
    "    gateway6: fd00:42::1\n"
    "    routes:\n"
    "      - {to: 198.19.0.0/16, via: 198.18.1.254}\n"
    "  - name: lab.a\n"
    "    veth: {peer: lab-a-p, peer_netns: lab-a}\n"
    "    addresses: [198.18.1.2/24]\n";

static void
test_good(void **state)
{
	struct broker_config *conf;
	struct netns_spec *n;
	size_t nerr;
	char *rep;

	conf = parse(good, &rep, &nerr);
	assert_string_equal(rep, "");
	assert_non_null(conf);
	assert_string_equal(conf->user, "nobody");
	assert_string_equal(conf->state_dir, "/tmp/vb-state");
	assert_int_equal(conf->log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(conf->log_syslog, 1);
	assert_true(conf->roles[ROLE_ENGINE].enabled);
	assert_string_equal(conf->roles[ROLE_ENGINE].program, "/bin/true");
	assert_int_equal(conf->roles[ROLE_ENGINE].nargs, 2);
	assert_string_equal(conf->roles[ROLE_ENGINE].args[1], "/tmp/r");
	assert_null(conf->roles[ROLE_ENGINE].args[2]);
	assert_false(conf->roles[ROLE_SSH].enabled);
	assert_false(conf->roles[ROLE_PROXY].enabled);

	assert_int_equal(conf->nnetworks, 2);
	n = &conf->networks[0];
	assert_string_equal(n->name, "guest-42");
	assert_int_equal(n->kind, NETNS_LINK_MAC);
	assert_int_equal(n->mac[0], 0x02);
	assert_int_equal(n->mac[5], 0x01);
	assert_string_equal(n->ifname, "eth1");
	assert_int_equal(n->mtu, 1450);
	assert_int_equal(n->naddrs, 2);
	assert_int_equal(n->addrs[0].family, AF_INET);
	assert_int_equal(n->addrs[0].prefixlen, 24);
	assert_int_equal(n->addrs[1].family, AF_INET6);
	assert_int_equal(n->gateway4.family, AF_INET);
	assert_int_equal(n->gateway6.family, AF_INET6);
	assert_int_equal(n->nroutes, 1);
	assert_int_equal(n->routes[0].dst.prefixlen, 16);
	n = &conf->networks[1];
	assert_int_equal(n->kind, NETNS_LINK_VETH);
	assert_string_equal(n->veth_peer, "lab-a-p");
	assert_string_equal(n->veth_peer_netns, "lab-a");
	config_free(conf);
	free(rep);
}

/* Every mistake in one file is reported, each at its line and column. */
static void
test_all_errors_in_one_run(void **state)
{
	static const char bad[] =
	    "usr: nobody\n"					/* 1 */
	    "log: {level: loud}\n"				/* 2 */
	    "state_dir: relative/path\n"			/* 3 */
	    "roles:\n"						/* 4 */
	    "  enginee: {program: /bin/true}\n"			/* 5 */
	    "networks:\n"					/* 6 */
	    "  - name: n1\n"					/* 7 */
	    "    mac: 02:00:5e:00:53\n"				/* 8 */
	    "    addresses: [198.18.1.2/33]\n"			/* 9 */
	    "  - name: n2\n"					/* 10 */
	    "    mac: 02:00:5e:00:53:02\n"			/* 11 */
	    "    addresses: [198.18.1.2/24]\n"			/* 12 */
	    "    gateway: 198.18.2.1\n"				/* 13 */
	    "  - name: n2\n"					/* 14 */
	    "    mac: 02:00:5e:00:53:03\n"			/* 15 */
	    "    addresses: [198.18.3.2/24]\n"			/* 16 */
	    "  - name: bad/name\n"				/* 17 */
	    "    veth: {peer: p}\n"				/* 18 */
	    "    mac: 02:00:5e:00:53:04\n"			/* 19 */
	    "    addresses: [198.18.4.2/24]\n"			/* 20 */
	    "    mtu: 9\n";					/* 21 */
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse(bad, &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, "broker.yaml:1:1: error: unknown key "
	    "\"usr\"; did you mean \"user\"?"));
	assert_non_null(strstr(rep, "broker.yaml:2:14: error: log.level: "
	    "expected one of error, warn, info, debug; found \"loud\""));
	assert_non_null(strstr(rep, "broker.yaml:3:12: error: state_dir: "
	    "expected an absolute path"));
	assert_non_null(strstr(rep, "broker.yaml:5:3: error: roles: unknown "
	    "role \"enginee\" (did you mean \"engine\"?)"));
	assert_non_null(strstr(rep, "broker.yaml:8:10: error: networks[0] "
	    "(n1): mac: expected six hex octets"));
	assert_non_null(strstr(rep, "broker.yaml:9:17: error: networks[0] "
	    "(n1).addresses[0]: expected an address with its prefix"));
	assert_non_null(strstr(rep, "broker.yaml:13:14: error: networks[1] "
	    "(n2).gateway: 198.18.2.1 is outside every address of the "
	    "network"));
	assert_non_null(strstr(rep, "broker.yaml:14:11: error: networks: "
	    "duplicate network name \"n2\" (first at line 10)"));
	assert_non_null(strstr(rep, "broker.yaml:17:11: error: networks[3]: "
	    "name: \"bad/name\" is not a valid network name"));
	assert_non_null(strstr(rep, "broker.yaml:18:11: error: networks[3]: "
	    "give either mac"));
	assert_non_null(strstr(rep, "broker.yaml:21:10: error: networks[3]: "
	    "mtu: expected a number from 68 to 65535, found \"9\""));
	assert_int_equal(nerr, 11);
	/* reported in file order, whatever order they were found in */
	assert_true(strstr(rep, ":2:14:") < strstr(rep, ":3:12:"));
	free(rep);
}

static void
test_required_fields(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse("networks:\n  - {}\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":2:5: error: networks[0]: name: required"));
	assert_non_null(strstr(rep, "mac: required"));
	assert_non_null(strstr(rep, "addresses: required"));
	free(rep);

	conf = parse("roles:\n  engine: {}\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":2:11: error: roles.engine: program: "
	    LIBEXECDIR "/vnf-broker/vnf-broker-engine: No such file"));
	free(rep);
	conf = parse("roles:\n  engine: {program: /nonexistent/x}\n", &rep,
	    &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":2:21: error: roles.engine: program: "
	    "/nonexistent/x: No such file or directory"));
	free(rep);
}

static void
test_wrong_types(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse("networks: {name: x}\nlog: debug\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":1:11: error: networks: expected a "
	    "sequence, found a map"));
	assert_non_null(strstr(rep, ":2:6: error: log: expected a map, found "
	    "a scalar"));
	assert_int_equal(nerr, 2);
	free(rep);

	conf = parse("- a\n- b\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, "expected a map, found a sequence"));
	free(rep);
}

static void
test_route_checks(void **state)
{
	static const char text[] =
	    "networks:\n"
	    "  - name: r\n"
	    "    mac: 02:00:5e:00:53:01\n"
	    "    addresses: [198.18.1.2/24]\n"
	    "    routes:\n"
	    "      - {to: 198.19.0.0/16, via: 198.18.9.9}\n"
	    "      - {to: 198.19.0.0/16}\n"
	    "      - {to: 'fd00::/8', via: 198.18.1.1}\n"
	    "      - {too: 1, to: 198.20.0.0/16, via: 198.18.1.1}\n";
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":6:34: error: networks[0] (r).routes[0]: "
	    "198.18.9.9 is outside every address"));
	assert_non_null(strstr(rep, ":7:9: error: networks[0] (r).routes[1]: "
	    "both to (a prefix) and via"));
	assert_non_null(strstr(rep, "routes[2]: expected an IPv6 address, "
	    "found 198.18.1.1"));
	assert_non_null(strstr(rep, "routes[3]: unknown key \"too\"; did you "
	    "mean \"to\"?"));
	free(rep);
}

static void
test_yaml_hazards(void **state)
{
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse("user: a\nuser: b\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":2:1: error: duplicate key \"user\" "
	    "(first at line 1)"));
	free(rep);

	conf = parse("a: &x [1]\nb: *x\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, "anchors (&name) are not supported"));
	free(rep);

	conf = parse("user: [unclosed\n", &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, "YAML syntax"));
	free(rep);
}

static void
test_access_sections(void **state)
{
	static const char text[] =
	    "listen: {ssh: ['127.0.0.1:2222', '[::1]:2222'], proxy: ['0.0.0.0:3128']}\n"
	    "dns_suffix: vnf.internal\n"
	    "audit_log: /var/log/vnf-broker/audit.log\n"
	    "users:\n"
	    "  - name: ops\n"
	    "    ssh_authorized_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICvWLsP71GqQ3yrUyVPg/tfjNHjDbhaovS3mx5O77fIb ops']\n"
	    "    proxy_password_hash: '$y$j9T$abcdefgh$0123456789'\n"
	    "    grants: [{appliances: [pfsense-001]}, {networks: [g42], ports: [22]}]\n"
	    "appliances:\n"
	    "  - {name: pfsense-001, network: g42, address: 10.1.1.5, ports: [22, 443]}\n"
	    "networks:\n"
	    "  - {name: g42, mac: '02:00:5e:00:53:01', addresses: [10.1.1.2/24]}\n";
	struct broker_config *conf;
	size_t nerr;
	char *rep, *view;

	conf = parse(text, &rep, &nerr);
	assert_string_equal(rep, "");
	assert_non_null(conf);
	assert_int_equal(conf->nlisteners, 3);
	assert_string_equal(conf->listeners[1].name, "ssh");
	assert_string_equal(conf->listeners[1].addr, "[::1]:2222");
	assert_string_equal(conf->audit_log, "/var/log/vnf-broker/audit.log");
	view = json_dumps(conf->view, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(strstr(view, "\"dns_suffix\":\"vnf.internal\""));
	assert_non_null(strstr(view, "{\"address\":\"10.1.1.5\",\"name\":"
	    "\"pfsense-001\",\"network\":\"g42\",\"ports\":[22,443]}"));
	assert_non_null(strstr(view, "\"grants\":[{\"appliances\":"
	    "[\"pfsense-001\"]},{\"networks\":[\"g42\"],\"ports\":[22]}]"));
	free(view);
	config_free(conf);
	free(rep);
}

static void
test_access_errors(void **state)
{
	static const char text[] =
	    "listen: {ssh: ['localhost:22'], sssh: ['127.0.0.1:1']}\n"	/* 1 */
	    "dns_suffix: 'bad..suffix'\n"				/* 2 */
	    "users:\n"							/* 3 */
	    "  - name: ops\n"						/* 4 */
	    "    proxy_password_hash: hunter2\n"			/* 5 */
	    "    grants:\n"						/* 6 */
	    "      - {appliances: [nosuch]}\n"				/* 7 */
	    "      - {networks: [g42]}\n"				/* 8 */
	    "      - {ports: [22]}\n"					/* 9 */
	    "  - name: ops\n"						/* 10 */
	    "appliances:\n"						/* 11 */
	    "  - {name: a1, network: g43, address: 10.1.1.5, ports: [0]}\n" /* 12 */
	    "  - {name: a1, network: g42, address: x, ports: [22]}\n"	/* 13 */
	    "  - {name: a2}\n"						/* 14 */
	    "networks:\n"
	    "  - {name: g42, mac: '02:00:5e:00:53:01', addresses: [10.1.1.2/24]}\n";
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":1:16: error: listen.ssh: expected "
	    "ADDRESS:PORT"));
	assert_non_null(strstr(rep, ":1:33: error: listen: unknown listener "
	    "\"sssh\" (did you mean \"ssh\"?)"));
	assert_non_null(strstr(rep, ":2:13: error: dns_suffix: expected a "
	    "domain"));
	assert_non_null(strstr(rep, ":5:26: error: users[0] (ops): "
	    "proxy_password_hash: expected a crypt(3) hash"));
	assert_null(strstr(rep, "hunter2"));	/* never echo a password */
	assert_non_null(strstr(rep, ":7:23: error: users[0] (ops).grants[0]: "
	    "appliance \"nosuch\" is not defined"));
	assert_non_null(strstr(rep, ":8:9: error: users[0] (ops).grants[1]: "
	    "ports: required for a network grant"));
	assert_non_null(strstr(rep, ":9:9: error: users[0] (ops).grants[2]: "
	    "a grant names appliances, networks or both"));
	assert_non_null(strstr(rep, ":10:11: error: users[1]: duplicate user "
	    "\"ops\" (first at line 4)"));
	assert_non_null(strstr(rep, ":12:25: error: appliances[0]: network: "
	    "\"g43\" is not one of the networks"));
	assert_non_null(strstr(rep, ":12:57: error: appliances[0]: expected a "
	    "port from 1 to 65535, found \"0\""));
	assert_non_null(strstr(rep, ":13:12: error: appliances[1]: duplicate "
	    "appliance name \"a1\" (first at line 12)"));
	assert_non_null(strstr(rep, ":13:39: error: appliances[1]: address: "
	    "expected an IPv4 or IPv6 address, found \"x\""));
	assert_non_null(strstr(rep, ":14:5: error: appliances[2]: network: "
	    "required"));
	free(rep);
}

/* The jump host: its default listener, its switches, ssh_password_hash. */
static void
test_ssh_section(void **state)
{
	static const char text[] =
	    "roles: {ssh: {program: /bin/true}}\n"
	    "ssh: {console: true, password_authentication: true,\n"
	    "      keepalive_interval: 1, idle_timeout: 0}\n"
	    "users:\n"
	    "  - name: ops\n"
	    "    ssh_password_hash: '$6$saltsalt$0123456789abcdef'\n";
	struct broker_config *conf;
	size_t nerr;
	char *rep, *js;

	conf = parse(text, &rep, &nerr);
	assert_string_equal(rep, "");
	assert_non_null(conf);
	/* No listen.ssh: the embedded default, loopback port 2222. */
	assert_int_equal(conf->nlisteners, 1);
	assert_string_equal(conf->listeners[0].name, "ssh");
	assert_string_equal(conf->listeners[0].addr, "127.0.0.1:2222");
	js = json_dumps(conf->role_settings[ROLE_SSH], JSON_COMPACT |
	    JSON_SORT_KEYS);
	assert_non_null(strstr(js, "\"console\":true"));
	assert_non_null(strstr(js, "\"password_authentication\":true"));
	assert_non_null(strstr(js, "\"keepalive_interval\":1"));
	assert_non_null(strstr(js, "\"idle_timeout\":0"));
	assert_non_null(strstr(js, "\"login_grace_time\":30"));
	free(js);
	js = json_dumps(conf->view, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(strstr(js, "\"ssh_password_hash\":"
	    "\"$6$saltsalt$0123456789abcdef\""));
	free(js);
	config_free(conf);
	free(rep);

	/* A listen.ssh given wins; a disabled role listens nowhere. */
	conf = parse("roles: {ssh: {program: /bin/true}}\n"
	    "listen: {ssh: ['0.0.0.0:22']}\n", &rep, &nerr);
	assert_non_null(conf);
	assert_int_equal(conf->nlisteners, 1);
	assert_string_equal(conf->listeners[0].addr, "0.0.0.0:22");
	assert_null(conf->role_settings[ROLE_SSH]);	/* no ssh: section */
	config_free(conf);
	free(rep);
	conf = parse("roles: {ssh: {enabled: false}}\n", &rep, &nerr);
	assert_non_null(conf);
	assert_int_equal(conf->nlisteners, 0);
	config_free(conf);
	free(rep);
	/* The embedded default says so. */
	assert_non_null(strstr(config_default_yaml, "127.0.0.1:2222"));
}

static void
test_ssh_errors(void **state)
{
	static const char text[] =
	    "ssh:\n"						/* 1 */
	    "  console: yes\n"					/* 2 */
	    "  password_authentication: 1\n"			/* 3 */
	    "  keepalive_count_max: 0\n"				/* 4 */
	    "  consol: true\n"					/* 5 */
	    "users:\n"						/* 6 */
	    "  - name: ops\n"					/* 7 */
	    "    ssh_password_hash: hunter2\n";			/* 8 */
	struct broker_config *conf;
	size_t nerr;
	char *rep;

	conf = parse(text, &rep, &nerr);
	assert_null(conf);
	assert_non_null(strstr(rep, ":2:12: error: ssh.console: expected "
	    "true or false, found \"yes\""));
	assert_non_null(strstr(rep, ":3:28: error: ssh.password_authentication"
	    ": expected true or false, found \"1\""));
	assert_non_null(strstr(rep, ":4:24: error: ssh.keepalive_count_max: "
	    "expected probes from 1 to 100, found \"0\""));
	assert_non_null(strstr(rep, "\"consol\""));
	assert_non_null(strstr(rep, ":8:24: error: users[0] (ops): "
	    "ssh_password_hash: expected a crypt(3) hash"));
	assert_null(strstr(rep, "hunter2"));	/* never echo a password */
	free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_all_errors_in_one_run),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_route_checks),
		cmocka_unit_test(test_yaml_hazards),
		cmocka_unit_test(test_access_sections),
		cmocka_unit_test(test_access_errors),
		cmocka_unit_test(test_ssh_section),
		cmocka_unit_test(test_ssh_errors),
	};

	return cmocka_run_group_tests_name("broker/config", tests, NULL, NULL);
}
