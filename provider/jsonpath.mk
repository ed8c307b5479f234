# JSONPath (RFC 9535): rules added by its author.
provider_libprovider_a_SOURCES += \
	provider/jsonpath.c provider/jsonpath.h provider/jsonpath-int.h \
	provider/jsonpath-eval.c provider/jsonpath-func.c \
	provider/jsonpath-iregexp.c

JSONPATH_LIBS = provider/libprovider.a $(JANSSON_LIBS) $(PCRE2_LIBS)

check_PROGRAMS += tests/unit/provider/test-jsonpath
TESTS += tests/unit/provider/test-jsonpath
tests_unit_provider_test_jsonpath_SOURCES = tests/unit/provider/test-jsonpath.c
tests_unit_provider_test_jsonpath_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(PCRE2_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_provider_test_jsonpath_LDADD = $(JSONPATH_LIBS) $(CMOCKA_LIBS)

# The compliance suite lives beside the checkout, in shared/; the runner
# skips (77) when it is absent, as in a distcheck tree.
check_PROGRAMS += tests/unit/provider/jsonpath-cts
TESTS += tests/unit/provider/jsonpath-cts
tests_unit_provider_jsonpath_cts_SOURCES = tests/unit/provider/jsonpath-cts.c
tests_unit_provider_jsonpath_cts_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCTS_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_provider_jsonpath_cts_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_provider_jsonpath_cts_LDADD = $(JSONPATH_LIBS)

if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-jsonpath
noinst_PROGRAMS += tests/fuzz/fuzz-jsonpath
tests_fuzz_fuzz_jsonpath_SOURCES = tests/fuzz/fuzz-jsonpath.c
tests_fuzz_fuzz_jsonpath_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_jsonpath_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_jsonpath_LDADD = $(JSONPATH_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-jsonpath.c docs/jsonpath.md
