# Operation runner, health checks, bootstrap; vnf-provider run, health and
# bootstrap; the shipped dictionaries.  Rules added by their author.
provider_libprovider_a_SOURCES += \
	provider/runner.c provider/runner.h provider/runner-int.h \
	provider/runner-pool.c provider/runner-conns.c \
	provider/health.c provider/health.h \
	provider/bootstrap.c provider/bootstrap.h

# Everything a program that runs operations links (order matters for
# static archives: libprovider before libcommon, then the system ones).
RUN_LIBS = provider/libprovider.a common/libcommon.a $(CURL_LIBS) \
	$(LIBSSH_LIBS) $(OPENSSL_LIBS) $(YAML_LIBS) $(JANSSON_LIBS) \
	$(PCRE2_LIBS) -lpthread

provider_vnf_provider_LDADD += $(CURL_LIBS) $(LIBSSH_LIBS) $(OPENSSL_LIBS) \
	-lpthread

# The dictionaries vnf-broker ships, for providers to register or copy.
dictdir = $(pkgdatadir)/dictionaries
dist_dict_DATA = provider/dictionaries/linux-nftables.yaml

check_PROGRAMS += tests/unit/provider/test-runner
TESTS += tests/unit/provider/test-runner
tests_unit_provider_test_runner_SOURCES = tests/unit/provider/test-runner.c
tests_unit_provider_test_runner_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS) -pthread
tests_unit_provider_test_runner_LDADD = $(RUN_LIBS) $(CMOCKA_LIBS)

# Every shipped dictionary passes lint --strict.
TESTS += tests/provider/shipped-dicts.sh
EXTRA_DIST += tests/provider/shipped-dicts.sh

# A Debian VNF in namespaces (sshd + nftables), driven by vnf-provider
# run/health/bootstrap, proven with real traffic.  Root; skips otherwise.
TESTS += tests/integration/linux-vnf.sh
EXTRA_DIST += tests/integration/linux-vnf.sh \
	tests/integration/linux-vnf/lab.sh \
	tests/integration/linux-vnf/tcp.py \
	tests/integration/linux-vnf/faults.yaml \
	docs/provider-engine.md docs/providers/linux-nftables.md

# Callbacks (cloudstack-api signature checked by the receiver, plain HTTP)
# and the HTTP auth kinds form and login, against a local python3 server.
TESTS += tests/integration/provider-callbacks.sh
EXTRA_DIST += tests/integration/provider-callbacks.sh \
	tests/integration/provider-callbacks/server.py \
	tests/integration/provider-callbacks/callbacks.yaml

# Benchmarks, run by tools/bench (not by make check).
noinst_PROGRAMS += tests/bench/bench-workflow
tests_bench_bench_workflow_SOURCES = tests/bench/bench-workflow.c
tests_bench_bench_workflow_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -pthread
tests_bench_bench_workflow_LDADD = $(RUN_LIBS)
EXTRA_DIST += tests/bench/workflow-bench.sh tests/bench/workflow-http.yaml

# Both integration tests add and remove local users: useradd and userdel
# lock /etc/passwd, so under make -j they must not overlap.
tests/integration/linux-vnf.log: tests/integration/provider-sshx.log
