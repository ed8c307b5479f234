sbin_PROGRAMS += broker/vnf-brokerd

# The role side of the privileged protocol, for role programs.
noinst_LIBRARIES += broker/librole.a
broker_librole_a_SOURCES = \
	broker/privclient.c broker/privclient.h broker/priv-proto.h \
	broker/role.c broker/role.h broker/role-int.h broker/role-spare.c \
	broker/role-stats.c broker/role-stats.h \
	broker/access.c broker/access.h broker/audit.c broker/audit.h \
	broker/pwcheck.c broker/pwcheck.h
broker_librole_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)

# The parent's pieces, in a library so unit tests link them too.
noinst_LIBRARIES += broker/libparent.a
broker_libparent_a_SOURCES = \
	broker/conf.c broker/conf.h broker/conf-int.h broker/conf-access.c \
	broker/ssh-conf.c broker/proxy-conf.c \
	broker/state-records.c broker/state-records.h
broker_libparent_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS)

broker_vnf_brokerd_SOURCES = \
	broker/parent.c broker/parent.h \
	broker/parent-nets.c broker/parent-roles.c broker/parent-priv.c \
	broker/parent-listen.c broker/parent-state.c broker/parent-stats.c \
	broker/privdrop.c
broker_vnf_brokerd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
broker_vnf_brokerd_LDADD = broker/libparent.a provider/libprovider.a \
	netns/libnetns.a common/libcommon.a \
	$(LIBEVENT_LIBS) $(YAML_LIBS) $(JANSSON_LIBS) $(LIBNL_LIBS)

# Each role's program and its own rules.
include broker/ssh.mk
include broker/proxy.mk
include broker/engine.mk
# The control API's client.
include broker/brokerctl.mk

# Password hashes checked on a worker thread (librole's pwcheck).
check_PROGRAMS += tests/unit/broker/test-pwcheck
TESTS += tests/unit/broker/test-pwcheck
tests_unit_broker_test_pwcheck_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_broker_test_pwcheck_LDADD = broker/librole.a common/libcommon.a \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(CMOCKA_LIBS) -lcrypt -lpthread
