# vnf-brokerctl, the operator's client of the control API (libcurl, jansson;
# libyaml only to find audit_log in broker.yaml).
sbin_PROGRAMS += broker/vnf-brokerctl
broker_vnf_brokerctl_SOURCES = broker/brokerctl.c
broker_vnf_brokerctl_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(YAML_CFLAGS)
broker_vnf_brokerctl_LDADD = $(CURL_LIBS) $(JANSSON_LIBS) $(YAML_LIBS)
