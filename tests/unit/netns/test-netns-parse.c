/*
 * Unit tests for netns/netns-parse.c: addresses, MACs, names and
 * netns_spec_check().  No privilege, no kernel.
 */
#include "config.h"

#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "netns/netns.h"

static void
parse_ok(const char *s, int want_prefix, int family, unsigned int plen,
    const char *back)
{
	struct netns_addr	a;
	char			buf[64];

	assert_int_equal(netns_addr_parse(s, want_prefix, &a), 0);
	assert_int_equal(a.family, family);
	assert_int_equal(a.prefixlen, plen);
	assert_string_equal(netns_addr_fmt(&a, want_prefix, buf, sizeof buf),
	    back);
}

static void
test_addr_parse(void **state)
{
	struct netns_addr	a;
	static const char *const bad_prefix[] = {
		"198.18.1.2", "198.18.1.2/", "198.18.1.2/33", "198.18.1.2/-1",
		"198.18.1.2/+24", "198.18.1.2/ 24", "198.18.1.2/24 ",
		"198.18.1.2/2a", "198.18.1.2/1000", "198.18.1/24",
		"198.18.1.256/24", "/24", "", "2001:db8::1/129",
		"2001:db8::1", "2001:db8::g/64", "fe80::1%eth0/64",
		"198.18.1.2/24/24", NULL
	};
	static const char *const bad_plain[] = {
		"198.18.1.2/24", "2001:db8::1/128", "", " 198.18.1.2",
		"198.18.1.2 ", "localhost", "1.2.3", NULL
	};
	int	i;

	(void)state;
	parse_ok("198.18.1.2/24", 1, AF_INET, 24, "198.18.1.2/24");
	parse_ok("198.18.0.0/15", 1, AF_INET, 15, "198.18.0.0/15");
	parse_ok("0.0.0.0/0", 1, AF_INET, 0, "0.0.0.0/0");
	parse_ok("198.18.1.2/32", 1, AF_INET, 32, "198.18.1.2/32");
	parse_ok("2001:db8::1/64", 1, AF_INET6, 64, "2001:db8::1/64");
	parse_ok("2001:DB8:0::1/128", 1, AF_INET6, 128, "2001:db8::1/128");
	parse_ok("::/0", 1, AF_INET6, 0, "::/0");
	parse_ok("198.18.1.1", 0, AF_INET, 32, "198.18.1.1");
	parse_ok("fe80::1", 0, AF_INET6, 128, "fe80::1");

	for (i = 0; bad_prefix[i] != NULL; i++) {
		memset(&a, 0xaa, sizeof a);
		assert_int_equal(netns_addr_parse(bad_prefix[i], 1, &a), -1);
		assert_int_equal(a.family, 0);
	}
	for (i = 0; bad_plain[i] != NULL; i++)
		assert_int_equal(netns_addr_parse(bad_plain[i], 0, &a), -1);
	assert_int_equal(netns_addr_parse(NULL, 0, &a), -1);
}

static void
test_addr_fmt(void **state)
{
	struct netns_addr	a;
	char			buf[64], small[8];

	(void)state;
	memset(&a, 0, sizeof a);
	assert_string_equal(netns_addr_fmt(&a, 1, buf, sizeof buf), "(none)");
	assert_int_equal(netns_addr_parse("198.18.100.200/24", 1, &a), 0);
	assert_string_equal(netns_addr_fmt(&a, 0, buf, sizeof buf),
	    "198.18.100.200");
	/* Truncated, still terminated. */
	assert_string_equal(netns_addr_fmt(&a, 1, small, sizeof small),
	    "198.18.");
}

static void
test_mac_parse(void **state)
{
	static const uint8_t	want[6] = {
		0x02, 0x00, 0x5e, 0x0a, 0xbc, 0xff
	};
	static const char *const bad[] = {
		"", "02:00:5e:0a:bc", "02:00:5e:0a:bc:ff:00",
		"02-00-5e-0a-bc-ff",
		"02:00:5e:0a:bc:fg", "2:00:5e:0a:bc:ff", "02:00:5e:0a:bc:ff ",
		"02:00:5e:0a:bcff:", "0200.5e0a.bcff", NULL
	};
	uint8_t			mac[6], keep[6];
	int			i;

	(void)state;
	assert_int_equal(netns_mac_parse("02:00:5e:0a:bc:ff", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(netns_mac_parse("02:00:5E:0A:BC:FF", mac), 0);
	assert_memory_equal(mac, want, 6);
	for (i = 0; bad[i] != NULL; i++) {
		memcpy(keep, mac, 6);
		assert_int_equal(netns_mac_parse(bad[i], mac), -1);
		assert_memory_equal(mac, keep, 6);	/* untouched */
	}
	assert_int_equal(netns_mac_parse(NULL, mac), -1);
}

static void
test_name_valid(void **state)
{
	char	long_name[NETNS_NAME_MAX + 2];

	(void)state;
	assert_true(netns_name_valid("guest-42"));
	assert_true(netns_name_valid("a"));
	assert_true(netns_name_valid("A_b.c-9"));
	assert_true(netns_name_valid("..."));
	assert_false(netns_name_valid(""));
	assert_false(netns_name_valid("."));
	assert_false(netns_name_valid(".."));
	assert_false(netns_name_valid("a/b"));
	assert_false(netns_name_valid("a b"));
	assert_false(netns_name_valid("a%d"));
	assert_false(netns_name_valid("é"));
	assert_false(netns_name_valid(NULL));
	memset(long_name, 'x', sizeof long_name);
	long_name[NETNS_NAME_MAX] = '\0';
	assert_true(netns_name_valid(long_name));
	long_name[NETNS_NAME_MAX] = 'x';
	long_name[NETNS_NAME_MAX + 1] = '\0';
	assert_false(netns_name_valid(long_name));
}

/* A valid veth spec: 198.18.1.2/24, gateway .1, one route. */
static void
spec_good(struct netns_spec *s)
{
	memset(s, 0, sizeof *s);
	strcpy(s->name, "n1");
	s->kind = NETNS_LINK_VETH;
	strcpy(s->veth_peer, "vbnp0");
	s->naddrs = 2;
	assert_int_equal(netns_addr_parse("198.18.1.2/24", 1, &s->addrs[0]),
	    0);
	assert_int_equal(netns_addr_parse("2001:db8::2/64", 1, &s->addrs[1]),
	    0);
	assert_int_equal(netns_addr_parse("198.18.1.1", 0, &s->gateway4), 0);
	assert_int_equal(netns_addr_parse("2001:db8::1", 0, &s->gateway6), 0);
	s->nroutes = 1;
	assert_int_equal(netns_addr_parse("198.18.100.0/24", 1,
	    &s->routes[0].dst), 0);
	assert_int_equal(netns_addr_parse("198.18.1.254", 0,
	    &s->routes[0].via), 0);
}

/* The spec fails the check with a cause containing want and the name. */
static void
check_bad(const struct netns_spec *s, const char *want)
{
	char	*cause = NULL;

	assert_int_equal(netns_spec_check(s, &cause), VB_ECONFIG);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void
test_spec_good(void **state)
{
	struct netns_spec	s;
	char			*cause = NULL;

	(void)state;
	spec_good(&s);
	assert_int_equal(netns_spec_check(&s, &cause), 0);
	assert_null(cause);

	/* MAC kind, no addresses, explicit ifname, mtu bounds. */
	memset(&s, 0, sizeof s);
	strcpy(s.name, "guest-42");
	s.kind = NETNS_LINK_MAC;
	assert_int_equal(netns_mac_parse("02:00:5e:00:53:01", s.mac), 0);
	strcpy(s.ifname, "eth0");
	s.mtu = 68;
	assert_int_equal(netns_spec_check(&s, &cause), 0);
	s.mtu = 65535;
	assert_int_equal(netns_spec_check(&s, &cause), 0);
	s.naddrs = NETNS_ADDR_MAX;
	for (unsigned int i = 0; i < NETNS_ADDR_MAX; i++) {
		assert_int_equal(netns_addr_parse("198.18.1.1/24", 1,
		    &s.addrs[i]), 0);
		s.addrs[i].addr[3] = (uint8_t)(i + 1);
	}
	assert_int_equal(netns_spec_check(&s, &cause), 0);
	assert_null(cause);
}

static void
test_spec_bad(void **state)
{
	struct netns_spec	s;

	(void)state;

	spec_good(&s);
	memset(s.name, 'x', sizeof s.name);
	check_bad(&s, "network name is not NUL-terminated");

	spec_good(&s);
	strcpy(s.name, "a/b");
	check_bad(&s, "network \"a/b\": invalid name");
	strcpy(s.name, "..");
	check_bad(&s, "invalid name");
	s.name[0] = '\0';
	check_bad(&s, "invalid name");
	strcpy(s.name, "bad\nname");
	check_bad(&s, "network \"bad?name\": invalid name");

	spec_good(&s);
	memset(s.ifname, 'e', sizeof s.ifname);
	check_bad(&s, "network \"n1\": an interface or namespace name is not "
	    "NUL-terminated");
	spec_good(&s);
	memset(s.veth_peer_netns, 'e', sizeof s.veth_peer_netns);
	check_bad(&s, "not NUL-terminated");
	spec_good(&s);
	strcpy(s.ifname, "eth:0");
	check_bad(&s, "network \"n1\": ifname \"eth:0\" is not a valid");
	strcpy(s.ifname, "eth%d");
	check_bad(&s, "ifname");

	spec_good(&s);
	s.veth_peer[0] = '\0';
	check_bad(&s, "network \"n1\": veth_peer \"\" is not a valid");
	spec_good(&s);
	strcpy(s.veth_peer_netns, "lab/a");
	check_bad(&s, "veth_peer_netns \"lab/a\" is not a valid namespace");
	strcpy(s.veth_peer_netns, "n1");
	check_bad(&s, "veth_peer_netns must not be the network itself");

	spec_good(&s);
	s.kind = 0;
	check_bad(&s, "network \"n1\": kind 0 is neither mac nor veth");
	s.kind = NETNS_LINK_MAC;
	check_bad(&s, "mac is 00:00:00:00:00:00");
	assert_int_equal(netns_mac_parse("01:00:5e:00:00:01", s.mac), 0);
	check_bad(&s, "mac 01:00:5e:00:00:01 is a multicast address");

	spec_good(&s);
	s.mtu = 67;
	check_bad(&s, "network \"n1\": mtu 67 is not in 68..65535");
	s.mtu = 65536;
	check_bad(&s, "mtu 65536");

	spec_good(&s);
	s.naddrs = NETNS_ADDR_MAX + 1;
	check_bad(&s, "9 addresses, at most 8");
	spec_good(&s);
	s.nroutes = NETNS_ROUTE_MAX + 1;
	check_bad(&s, "33 routes, at most 32");

	spec_good(&s);
	s.addrs[0].family = AF_UNIX;
	check_bad(&s, "address 1: address family");
	spec_good(&s);
	s.addrs[0].prefixlen = 33;
	check_bad(&s, "address 1: prefix length 33 is more than 32");
	spec_good(&s);
	s.addrs[1].prefixlen = 129;
	check_bad(&s, "address 2: prefix length 129 is more than 128");
	spec_good(&s);
	assert_int_equal(netns_addr_parse("0.0.0.0/8", 1, &s.addrs[0]), 0);
	check_bad(&s, "unspecified");
	spec_good(&s);
	assert_int_equal(netns_addr_parse("224.0.0.1/24", 1, &s.addrs[0]), 0);
	check_bad(&s, "multicast");

	spec_good(&s);
	s.naddrs = 3;
	assert_int_equal(netns_addr_parse("198.18.1.2/16", 1, &s.addrs[2]), 0);
	check_bad(&s, "address 198.18.1.2 is listed twice");

	spec_good(&s);
	assert_int_equal(netns_addr_parse("198.18.2.1", 0, &s.gateway4), 0);
	check_bad(&s, "network \"n1\": gateway 198.18.2.1 is outside every "
	    "address of the network");
	assert_int_equal(netns_addr_parse("198.18.1.2", 0, &s.gateway4), 0);
	check_bad(&s, "gateway 198.18.1.2 is one of the network's own");
	assert_int_equal(netns_addr_parse("2001:db8::1", 0, &s.gateway4), 0);
	check_bad(&s, "gateway: 2001:db8::1 is not an IPv4 address");
	spec_good(&s);
	assert_int_equal(netns_addr_parse("2001:db9::1", 0, &s.gateway6), 0);
	check_bad(&s, "gateway6 2001:db9::1 is outside every address");
	spec_good(&s);
	s.gateway4.family = 99;
	check_bad(&s, "gateway: address family 99");

	/* The prefix boundary is exact: /23 takes in 198.18.0.x. */
	spec_good(&s);
	s.addrs[0].prefixlen = 23;
	assert_int_equal(netns_addr_parse("198.18.0.1", 0, &s.gateway4), 0);
	{
		char	*cause = NULL;

		assert_int_equal(netns_spec_check(&s, &cause), 0);
		assert_null(cause);
	}
	s.addrs[0].prefixlen = 24;
	check_bad(&s, "gateway 198.18.0.1 is outside");

	spec_good(&s);
	assert_int_equal(netns_addr_parse("198.18.3.1", 0, &s.routes[0].via),
	    0);
	check_bad(&s, "route 198.18.100.0/24 via 198.18.3.1 is outside every "
	    "address");
	spec_good(&s);
	assert_int_equal(netns_addr_parse("2001:db8::9", 0, &s.routes[0].via),
	    0);
	check_bad(&s, "route 198.18.100.0/24 via: 2001:db8::9 is not an IPv4");
	spec_good(&s);
	s.routes[0].dst.prefixlen = 40;
	check_bad(&s, "route 1: prefix length 40");
	spec_good(&s);
	assert_int_equal(netns_addr_parse("198.18.100.1/24", 1,
	    &s.routes[0].dst), 0);
	check_bad(&s, "route 198.18.100.1/24 has bits set beyond its prefix");
	spec_good(&s);
	assert_int_equal(netns_addr_parse("0.0.0.0/0", 1, &s.routes[0].dst),
	    0);
	check_bad(&s, "route 0.0.0.0/0 duplicates the default route of "
	    "gateway");
	spec_good(&s);
	s.nroutes = 2;
	s.routes[1] = s.routes[0];
	check_bad(&s, "route 198.18.100.0/24 is listed twice");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_fmt),
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_spec_good),
		cmocka_unit_test(test_spec_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
