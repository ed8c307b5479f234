# The SSH jump host role: rules added by its author.

SSHR_CFLAGS = $(AM_CFLAGS) $(LIBSSH_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)

# Parsers shared by the role, its tests and fuzzers: authorized_keys lines,
# certificates (with OpenSSL for the CA signature).
noinst_LIBRARIES += broker/libsshr.a
broker_libsshr_a_SOURCES = \
	broker/ssh-authkeys.c broker/ssh-authkeys.h \
	broker/ssh-cert.c broker/ssh-cert.h
broker_libsshr_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)

# The role program, installed as $(libexecdir)/vnf-broker/vnf-broker-ssh.
pkglibexec_PROGRAMS += broker/vnf-broker-ssh
broker_vnf_broker_ssh_SOURCES = \
	broker/ssh-role.h broker/ssh-settings.h \
	broker/ssh-main.c broker/ssh-session.c broker/ssh-auth.c \
	broker/ssh-splice.c broker/ssh-console.c
broker_vnf_broker_ssh_CFLAGS = $(SSHR_CFLAGS)
# -lcrypt: ssh_password_hash, checked by librole's pwcheck_verify, as the
# proxy's proxy_password_hash.
broker_vnf_broker_ssh_LDADD = broker/libsshr.a broker/librole.a \
	common/libcommon.a $(LIBSSH_LIBS) $(LIBEVENT_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) -lcrypt -lpthread

# In the parent: the `ssh:` section checks users' authorized_keys lines
# (pure parsing), and the host keys are loaded or made with libssh.
broker_libparent_a_SOURCES += broker/ssh-authkeys.c broker/ssh-authkeys.h \
	broker/ssh-settings.h
broker_vnf_brokerd_SOURCES += broker/ssh-hostkeys.c broker/ssh-hostkeys.h
broker_vnf_brokerd_CFLAGS += $(LIBSSH_CFLAGS)
broker_vnf_brokerd_LDADD += $(LIBSSH_LIBS)

# Unit tests (cmocka), one per source file.
check_PROGRAMS += tests/unit/broker/test-ssh-authkeys
TESTS += tests/unit/broker/test-ssh-authkeys
tests_unit_broker_test_ssh_authkeys_CFLAGS = $(UNIT_CFLAGS)
tests_unit_broker_test_ssh_authkeys_LDADD = broker/libsshr.a \
	common/libcommon.a $(OPENSSL_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/broker/test-ssh-cert
TESTS += tests/unit/broker/test-ssh-cert
tests_unit_broker_test_ssh_cert_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_broker_test_ssh_cert_LDADD = broker/libsshr.a \
	common/libcommon.a $(OPENSSL_LIBS) $(CMOCKA_LIBS)

# Fuzz targets for the parsers that read operator and client input.
if FUZZERS
FUZZ_PROGS += tests/fuzz/fuzz-authkeys tests/fuzz/fuzz-sshcert
noinst_PROGRAMS += tests/fuzz/fuzz-authkeys tests/fuzz/fuzz-sshcert
tests_fuzz_fuzz_authkeys_SOURCES = tests/fuzz/fuzz-authkeys.c
tests_fuzz_fuzz_authkeys_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_authkeys_LDADD = broker/libsshr.a common/libcommon.a \
	$(OPENSSL_LIBS)
tests_fuzz_fuzz_sshcert_SOURCES = tests/fuzz/fuzz-sshcert.c
tests_fuzz_fuzz_sshcert_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_sshcert_LDADD = broker/libsshr.a common/libcommon.a \
	$(OPENSSL_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz-authkeys.c tests/fuzz/fuzz-sshcert.c \
	tests/fuzz/corpus/authkeys/options.txt \
	tests/fuzz/corpus/sshcert/ed25519-ca.bin \
	tests/fuzz/corpus/sshcert/rsa-ca.bin

# Integration: real OpenSSH clients and servers in namespaces (root).
TESTS += tests/integration/ssh-jump.sh tests/integration/ssh-audit.sh \
	tests/integration/ssh-limits.sh
EXTRA_DIST += tests/integration/ssh-jump.sh tests/integration/ssh-audit.sh \
	tests/integration/ssh-limits.sh \
	tests/integration/ssh-lab.sh tests/bench/ssh-bench.sh

# The ssh integration tests share one lab (namespaces vbs-*, listener
# 127.0.0.1:42201): under make -j they must not run at the same time.
tests/integration/ssh-audit.log: tests/integration/ssh-jump.log
tests/integration/ssh-limits.log: tests/integration/ssh-audit.log
