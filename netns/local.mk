noinst_LIBRARIES += netns/libnetns.a
netns_libnetns_a_SOURCES = netns/netns.c netns/netns.h \
	netns/netns-parse.c
netns_libnetns_a_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS)

# Unit test: parsing and spec checks, no privilege.
check_PROGRAMS += tests/unit/netns/test-netns-parse
TESTS += tests/unit/netns/test-netns-parse
tests_unit_netns_test_netns_parse_SOURCES = \
	tests/unit/netns/test-netns-parse.c
tests_unit_netns_test_netns_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_netns_test_netns_parse_LDADD = netns/libnetns.a \
	common/libcommon.a $(CMOCKA_LIBS)

# Integration test: real namespaces and links; skips (77) unless root.
check_PROGRAMS += tests/integration/netns/netns-test
TESTS += tests/integration/netns/netns-test
tests_integration_netns_netns_test_SOURCES = \
	tests/integration/netns/netns-test.c
tests_integration_netns_netns_test_LDADD = netns/libnetns.a \
	common/libcommon.a $(LIBNL_LIBS)
