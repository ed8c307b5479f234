# CLI transforms, CloudStack signing, HTTP executor: rules added by their author.
provider_libprovider_a_SOURCES += \
	provider/cli.c provider/cli.h \
	provider/cssign.c provider/cssign.h \
	provider/http.c provider/http.h
provider_libprovider_a_CFLAGS += $(CURL_CFLAGS) $(OPENSSL_CFLAGS)

# provider/http.c logs through common/ (log_warn).
EXEC_LIBS = provider/libprovider.a common/libcommon.a $(CURL_LIBS) \
	$(OPENSSL_LIBS) $(JANSSON_LIBS) $(PCRE2_LIBS)

check_PROGRAMS += tests/unit/provider/test-cli
TESTS += tests/unit/provider/test-cli
tests_unit_provider_test_cli_SOURCES = tests/unit/provider/test-cli.c
tests_unit_provider_test_cli_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_provider_test_cli_LDADD = provider/libprovider.a \
	$(JANSSON_LIBS) $(PCRE2_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/provider/test-cssign
TESTS += tests/unit/provider/test-cssign
tests_unit_provider_test_cssign_SOURCES = tests/unit/provider/test-cssign.c
tests_unit_provider_test_cssign_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_provider_test_cssign_LDADD = provider/libprovider.a \
	$(OPENSSL_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)

# The vectors live beside the checkout, in shared/; the runner skips (77)
# when the file is absent, as in a distcheck tree.
check_PROGRAMS += tests/unit/provider/cssign-vectors
TESTS += tests/unit/provider/cssign-vectors
tests_unit_provider_cssign_vectors_SOURCES = \
	tests/unit/provider/cssign-vectors.c
tests_unit_provider_cssign_vectors_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCSSIGN_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_provider_cssign_vectors_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_provider_cssign_vectors_LDADD = provider/libprovider.a \
	$(OPENSSL_LIBS) $(JANSSON_LIBS)

# Starts python3 HTTP(S) servers on 127.0.0.1 (skips, 77, without python3
# or openssl); log_msg is wrapped to see the verify_tls warning.
check_PROGRAMS += tests/unit/provider/test-http
TESTS += tests/unit/provider/test-http
tests_unit_provider_test_http_SOURCES = tests/unit/provider/test-http.c
tests_unit_provider_test_http_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHTTP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_provider_test_http_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CURL_CFLAGS) $(OPENSSL_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_provider_test_http_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=log_msg
tests_unit_provider_test_http_LDADD = $(EXEC_LIBS) $(CMOCKA_LIBS)

if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-cli
noinst_PROGRAMS += tests/fuzz/fuzz-cli
tests_fuzz_fuzz_cli_SOURCES = tests/fuzz/fuzz-cli.c
tests_fuzz_fuzz_cli_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_cli_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cli_LDADD = provider/libprovider.a $(JANSSON_LIBS) \
	$(PCRE2_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-cli.c tests/integration/lib/http-server.py \
	docs/cli-transforms.md docs/http-executor.md
