# Provider dictionaries and vnf-provider: rules added by their author.
provider_libprovider_a_SOURCES += \
	provider/dict.c provider/dict.h provider/dict-int.h \
	provider/dict-ops.c provider/dict-render.c

DICT_LIBS = provider/libprovider.a common/libcommon.a $(YAML_LIBS) \
	$(JANSSON_LIBS) $(PCRE2_LIBS)

bin_PROGRAMS += provider/vnf-provider
provider_vnf_provider_SOURCES = provider/vnf-provider.c
provider_vnf_provider_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
provider_vnf_provider_LDADD = $(DICT_LIBS)
dist_man_MANS += docs/vnf-provider.1

check_PROGRAMS += tests/unit/provider/test-dict
TESTS += tests/unit/provider/test-dict
tests_unit_provider_test_dict_SOURCES = tests/unit/provider/test-dict.c
tests_unit_provider_test_dict_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURES='"$(abs_top_srcdir)/tests/provider/fixtures"'
tests_unit_provider_test_dict_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_provider_test_dict_LDADD = $(DICT_LIBS) $(CMOCKA_LIBS)

# Shell tests of the tool and of the JSON Schema against the fixtures.
TESTS += tests/provider/vnf-provider-lint.sh tests/provider/vnf-provider-render.sh \
	tests/provider/schema-check.sh tests/provider/dict-docs-keys.sh
EXTRA_DIST += tests/provider/vnf-provider-lint.sh \
	tests/provider/vnf-provider-render.sh tests/provider/schema-check.sh \
	tests/provider/dict-docs-keys.sh \
	tests/provider/fixtures/opnsense-firewall.yaml \
	tests/provider/fixtures/cisco-iosxe.yaml \
	tests/provider/fixtures/routeros-bootstrap.yaml \
	tests/provider/fixtures/broken.yaml \
	docs/provider-dictionary.md docs/provider-dictionary.schema.json

if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-dict
noinst_PROGRAMS += tests/fuzz/fuzz-dict
tests_fuzz_fuzz_dict_SOURCES = tests/fuzz/fuzz-dict.c
tests_fuzz_fuzz_dict_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_dict_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_dict_LDADD = $(DICT_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-dict.c tests/fuzz/corpus/dict/opnsense-firewall.yaml \
	tests/fuzz/corpus/dict/cisco-iosxe.yaml \
	tests/fuzz/corpus/dict/routeros-bootstrap.yaml \
	tests/fuzz/corpus/dict/broken.yaml
