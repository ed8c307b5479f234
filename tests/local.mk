# A role program that exercises the parent's privileged protocol.
check_PROGRAMS += tests/roles/test-role
tests_roles_test_role_SOURCES = tests/roles/test-role.c
tests_roles_test_role_LDADD = broker/librole.a netns/libnetns.a \
	common/libcommon.a $(JANSSON_LIBS) $(LIBNL_LIBS)

# Unit tests: one cmocka binary per source file, mirroring the tree.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

check_PROGRAMS += tests/unit/common/test-ipc
TESTS += tests/unit/common/test-ipc
tests_unit_common_test_ipc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_common_test_ipc_LDADD = common/libcommon.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/common/test-diag
TESTS += tests/unit/common/test-diag
tests_unit_common_test_diag_CFLAGS = $(UNIT_CFLAGS)
tests_unit_common_test_diag_LDADD = common/libcommon.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/broker/test-config
TESTS += tests/unit/broker/test-config
tests_unit_broker_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_broker_test_config_LDADD = broker/libparent.a \
	provider/libprovider.a netns/libnetns.a common/libcommon.a \
	$(YAML_LIBS) $(JANSSON_LIBS) $(LIBNL_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/broker/test-access
TESTS += tests/unit/broker/test-access
tests_unit_broker_test_access_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_broker_test_access_LDADD = broker/librole.a common/libcommon.a \
	$(JANSSON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/provider/test-ydoc
TESTS += tests/unit/provider/test-ydoc
tests_unit_provider_test_ydoc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_provider_test_ydoc_LDADD = provider/libprovider.a \
	common/libcommon.a $(YAML_LIBS) $(CMOCKA_LIBS)

# Fuzz targets for the broker's own parsers.
if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-config
noinst_PROGRAMS += tests/fuzz/fuzz-config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_LDADD = broker/libparent.a provider/libprovider.a \
	netns/libnetns.a common/libcommon.a $(YAML_LIBS) $(JANSSON_LIBS) \
	$(LIBNL_LIBS)
FUZZ_PROGS += tests/fuzz/fuzz-ipc
noinst_PROGRAMS += tests/fuzz/fuzz-ipc
tests_fuzz_fuzz_ipc_SOURCES = tests/fuzz/fuzz-ipc.c
tests_fuzz_fuzz_ipc_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_ipc_LDADD = netns/libnetns.a common/libcommon.a $(LIBNL_LIBS)
FUZZ_PROGS += tests/fuzz/fuzz-state
noinst_PROGRAMS += tests/fuzz/fuzz-state
tests_fuzz_fuzz_state_SOURCES = tests/fuzz/fuzz-state.c
tests_fuzz_fuzz_state_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_state_LDADD = broker/libparent.a provider/libprovider.a \
	netns/libnetns.a common/libcommon.a $(YAML_LIBS) $(JANSSON_LIBS) \
	$(LIBNL_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-config.c tests/fuzz/fuzz-ipc.c \
	tests/fuzz/fuzz-state.c
EXTRA_DIST += tests/fuzz/corpus/config/good.yaml \
	tests/fuzz/corpus/state/network.json \
	tests/fuzz/corpus/state/appliance.json \
	tests/fuzz/corpus/state/appliance.yaml \
	tests/fuzz/corpus/state/user.json \
	tests/fuzz/corpus/state/bootstrap.json \
	tests/fuzz/corpus/state/hostkey.json

# Integration tests: real namespaces, real processes (root; skip otherwise).
# H2: the registry and the state directory, through the API (root).
TESTS += tests/integration/engine-state.sh
EXTRA_DIST += tests/integration/engine-state.sh
check_PROGRAMS += tests/unit/broker/test-parent-state
TESTS += tests/unit/broker/test-parent-state
tests_unit_broker_test_parent_state_SOURCES = \
	tests/unit/broker/test-parent-state.c broker/parent-state.c
tests_unit_broker_test_parent_state_CFLAGS = $(UNIT_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_broker_test_parent_state_LDADD = broker/libparent.a \
	provider/libprovider.a netns/libnetns.a common/libcommon.a \
	$(YAML_LIBS) $(JANSSON_LIBS) $(LIBNL_LIBS) $(PCRE2_LIBS) \
	$(CMOCKA_LIBS)
TESTS += tests/integration/broker-netns.sh
EXTRA_DIST += tests/integration/broker-netns.sh \
	tests/integration/lib/common.sh tests/integration/lib/name-server.py

# The control API: the OpenAPI document checked against a running engine,
# and vnf-brokerctl against the same (real vnf-brokerd, engine role).
TESTS += tests/integration/engine-openapi.sh tests/integration/brokerctl.sh
EXTRA_DIST += tests/integration/engine-openapi.sh \
	tests/integration/brokerctl.sh tests/integration/lib/engine.sh \
	tests/integration/lib/openapi-check.py tests/integration/lib/api.sh

# H3: operations, jobs, health and bootstrap of the engine role against
# VyOS simulators (real vnf-brokerd, engine role, curl on the unix socket).
TESTS += tests/integration/engine-ops.sh
EXTRA_DIST += tests/integration/engine-ops.sh
TESTS += tests/integration/engine-bootstrap.sh
EXTRA_DIST += tests/integration/engine-bootstrap.sh
# SSH host keys trusted on first use survive restarts; forgetting them.
TESTS += tests/integration/engine-hostkeys.sh
EXTRA_DIST += tests/integration/engine-hostkeys.sh

# /metrics against the audit log: the ssh and proxy roles' shared counters.
TESTS += tests/integration/broker-metrics.sh
EXTRA_DIST += tests/integration/broker-metrics.sh tests/integration/lib/echo.py

# The ssh and proxy roles out of file descriptors: they pause accepting.
TESTS += tests/integration/accept-emfile.sh
EXTRA_DIST += tests/integration/accept-emfile.sh

# SIGHUP applies broker.yaml as a whole: listeners kept, added and
# removed, roles replaced while their tunnels drain; the listener diff.
TESTS += tests/integration/broker-reload.sh
EXTRA_DIST += tests/integration/broker-reload.sh
check_PROGRAMS += tests/unit/broker/test-parent-listen
TESTS += tests/unit/broker/test-parent-listen
tests_unit_broker_test_parent_listen_SOURCES = \
	tests/unit/broker/test-parent-listen.c broker/parent-listen.c
tests_unit_broker_test_parent_listen_CFLAGS = $(UNIT_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_broker_test_parent_listen_LDADD = broker/libparent.a \
	provider/libprovider.a netns/libnetns.a common/libcommon.a \
	$(YAML_LIBS) $(JANSSON_LIBS) $(LIBNL_LIBS) $(PCRE2_LIBS) \
	$(CMOCKA_LIBS)

# Documentation: every configuration key has its entry in the man page.
TESTS += tests/docs-keys.sh
EXTRA_DIST += tests/docs-keys.sh

# Benchmark programs, run by tools/bench (not by make check).
noinst_PROGRAMS += tests/bench/bench-netns
tests_bench_bench_netns_SOURCES = tests/bench/bench-netns.c
tests_bench_bench_netns_LDADD = netns/libnetns.a common/libcommon.a \
	$(LIBNL_LIBS)

noinst_PROGRAMS += tests/bench/bench-provider
tests_bench_bench_provider_SOURCES = tests/bench/bench-provider.c
tests_bench_bench_provider_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_bench_bench_provider_LDADD = provider/libprovider.a common/libcommon.a \
	$(YAML_LIBS) $(JANSSON_LIBS) $(PCRE2_LIBS)
EXTRA_DIST += tests/bench/provider-bench.sh
