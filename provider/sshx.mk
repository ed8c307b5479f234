# SSH executor (libssh client): rules added by its author.
provider_libprovider_a_SOURCES += provider/sshx.c provider/sshx.h
provider_libprovider_a_CFLAGS += $(LIBSSH_CFLAGS)

SSHX_LIBS = provider/libprovider.a common/libcommon.a $(LIBSSH_LIBS) \
	$(PCRE2_LIBS)

# Driven by tests/integration/provider-sshx.sh, which starts a real sshd on
# 127.0.0.1 (root; skips, 77, otherwise).
check_PROGRAMS += tests/integration/provider/sshx-test
tests_integration_provider_sshx_test_SOURCES = \
	tests/integration/provider/sshx-test.c
tests_integration_provider_sshx_test_CFLAGS = $(AM_CFLAGS) $(LIBSSH_CFLAGS)
tests_integration_provider_sshx_test_LDADD = $(SSHX_LIBS)

TESTS += tests/integration/provider-sshx.sh
EXTRA_DIST += tests/integration/provider-sshx.sh \
	tests/integration/provider/router-cli.py docs/ssh-executor.md

if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-sshx-clean
noinst_PROGRAMS += tests/fuzz/fuzz-sshx-clean
tests_fuzz_fuzz_sshx_clean_SOURCES = tests/fuzz/fuzz-sshx-clean.c
tests_fuzz_fuzz_sshx_clean_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_sshx_clean_LDADD = $(SSHX_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-sshx-clean.c
