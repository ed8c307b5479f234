# The engine role (control API + provider engine): rules added by its authors.
pkglibexec_PROGRAMS += broker/vnf-broker-engine
# proxy-tls.c (the TLS context: TLS 1.2/1.3, certificate or self-signed,
# client CA) and proxy-http.c (the strict request-head parser) are shared
# with the proxy role, compiled again here.
broker_vnf_broker_engine_SOURCES = \
	broker/engine.h broker/engine-main.c broker/engine-http.c \
	broker/engine-metrics.c broker/engine-registry.c broker/engine-ops.c \
	broker/engine-jobs.c broker/engine-health.c broker/engine-ops-int.h \
	broker/engine-hostkeys.c \
	broker/proxy-tls.c broker/proxy-tls.h \
	broker/proxy-http.c broker/proxy-http.h
broker_vnf_broker_engine_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS) $(CURL_CFLAGS) \
	$(LIBSSH_CFLAGS)
broker_vnf_broker_engine_LDADD = broker/librole.a \
	provider/libprovider.a common/libcommon.a \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) $(YAML_LIBS) \
	$(PCRE2_LIBS) $(CURL_LIBS) $(LIBSSH_LIBS) -lcrypt -lpthread

# The `api:` section parser runs in the parent (libparent).
broker_libparent_a_SOURCES += broker/engine-conf.c

# Unit tests of the `api:` section parser (in the parent's library).
check_PROGRAMS += tests/unit/broker/test-engine-conf
TESTS += tests/unit/broker/test-engine-conf
tests_unit_broker_test_engine_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_unit_broker_test_engine_conf_LDADD = broker/libparent.a \
	provider/libprovider.a netns/libnetns.a common/libcommon.a \
	$(YAML_LIBS) $(JANSSON_LIBS) $(LIBNL_LIBS) $(CMOCKA_LIBS)

# Integration: the API server with real TLS, tokens, unix socket, limits.
TESTS += tests/integration/engine-api.sh
EXTRA_DIST += tests/integration/engine-api.sh
EXTRA_DIST += tests/bench/api-bench.sh
