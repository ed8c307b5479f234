# The HTTP(S) proxy role: rules added by its author.
pkglibexec_PROGRAMS += broker/vnf-broker-proxy
broker_vnf_broker_proxy_SOURCES = \
	broker/proxy.h broker/proxy-main.c broker/proxy-conn.c \
	broker/proxy-splice.c broker/proxy-pump.c broker/proxy-auth.c broker/proxy-pac.c \
	broker/proxy-tls.c broker/proxy-tls.h \
	broker/proxy-http.c broker/proxy-http.h
broker_vnf_broker_proxy_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
broker_vnf_broker_proxy_LDADD = broker/librole.a common/libcommon.a \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) -lcrypt -lpthread

# In the parent: the self-signed certificate kept in state_dir
# (proxy_keys_prepare(), called by parent.c before the roles start).
broker_vnf_brokerd_SOURCES += broker/proxy-keys.c broker/proxy-keys.h \
	broker/proxy-tls.c broker/proxy-tls.h
broker_vnf_brokerd_LDADD += $(OPENSSL_LIBS)

# Unit tests of the request-head parser.
check_PROGRAMS += tests/unit/broker/test-proxy-http
TESTS += tests/unit/broker/test-proxy-http
tests_unit_broker_test_proxy_http_SOURCES = \
	tests/unit/broker/test-proxy-http.c broker/proxy-http.c
tests_unit_broker_test_proxy_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_broker_test_proxy_http_LDADD = $(CMOCKA_LIBS)

# Unit tests of the `proxy:` section parser (in the parent's library).
check_PROGRAMS += tests/unit/broker/test-proxy-conf
TESTS += tests/unit/broker/test-proxy-conf
tests_unit_broker_test_proxy_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_unit_broker_test_proxy_conf_LDADD = broker/libparent.a \
	provider/libprovider.a netns/libnetns.a common/libcommon.a \
	$(YAML_LIBS) $(JANSSON_LIBS) $(LIBNL_LIBS) $(CMOCKA_LIBS)

if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-proxy-http
noinst_PROGRAMS += tests/fuzz/fuzz-proxy-http
tests_fuzz_fuzz_proxy_http_SOURCES = tests/fuzz/fuzz-proxy-http.c \
	broker/proxy-http.c
tests_fuzz_fuzz_proxy_http_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/fuzz-proxy-http.c \
	tests/fuzz/corpus/proxy-http/connect.txt \
	tests/fuzz/corpus/proxy-http/get.txt \
	tests/fuzz/corpus/proxy-http/chunked.txt

# Integration: the proxy role with real namespaces and real clients.
TESTS += tests/integration/proxy-broker.sh
EXTRA_DIST += tests/integration/proxy-broker.sh

# Side by side with tinyproxy and squid (tools/bench runs it).
EXTRA_DIST += tests/bench/proxy-bench.sh docs/proxy.md
