# Templates and data schemas (provider/template*.c, provider/schema.c).
provider_libprovider_a_SOURCES += \
	provider/template.c provider/template.h provider/template-int.h \
	provider/template-render.c \
	provider/schema.c provider/schema.h

TEMPLATE_LIBS = provider/libprovider.a common/libcommon.a \
	$(JANSSON_LIBS) $(PCRE2_LIBS) $(YAML_LIBS)

check_PROGRAMS += tests/unit/provider/test-template
TESTS += tests/unit/provider/test-template
tests_unit_provider_test_template_SOURCES = \
	tests/unit/provider/test-template.c
tests_unit_provider_test_template_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_provider_test_template_LDADD = $(TEMPLATE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/provider/test-schema
TESTS += tests/unit/provider/test-schema
tests_unit_provider_test_schema_SOURCES = tests/unit/provider/test-schema.c
tests_unit_provider_test_schema_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(PCRE2_CFLAGS) $(YAML_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_provider_test_schema_LDADD = $(TEMPLATE_LIBS) $(CMOCKA_LIBS)

if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-template tests/fuzz/fuzz-schema
noinst_PROGRAMS += tests/fuzz/fuzz-template tests/fuzz/fuzz-schema
tests_fuzz_fuzz_template_SOURCES = tests/fuzz/fuzz-template.c
tests_fuzz_fuzz_template_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_template_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_template_LDADD = $(TEMPLATE_LIBS)
tests_fuzz_fuzz_schema_SOURCES = tests/fuzz/fuzz-schema.c
tests_fuzz_fuzz_schema_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(YAML_CFLAGS)
tests_fuzz_fuzz_schema_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_schema_LDADD = $(TEMPLATE_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-template.c tests/fuzz/fuzz-schema.c \
	docs/templates.md
EXTRA_DIST += tests/fuzz/corpus/template/json-body \
	tests/fuzz/corpus/template/url tests/fuzz/corpus/template/cli \
	tests/fuzz/corpus/template/header tests/fuzz/corpus/template/form \
	tests/fuzz/corpus/template/text-env \
	tests/fuzz/corpus/schema/full tests/fuzz/corpus/schema/errors
