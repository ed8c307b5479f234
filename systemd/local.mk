systemdunitdir = $(prefix)/lib/systemd/system
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d

systemdunit_DATA = systemd/vnf-brokerd.service
CLEANFILES += systemd/vnf-brokerd.service
EXTRA_DIST += systemd/vnf-brokerd.service.in \
	systemd/vnf-broker.sysusers systemd/vnf-broker.tmpfiles

systemd/vnf-brokerd.service: systemd/vnf-brokerd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/systemd/vnf-brokerd.service.in >$@

install-data-local:
	$(MKDIR_P) $(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir)
	$(INSTALL_DATA) $(srcdir)/systemd/vnf-broker.sysusers \
	    $(DESTDIR)$(sysusersdir)/vnf-broker.conf
	$(INSTALL_DATA) $(srcdir)/systemd/vnf-broker.tmpfiles \
	    $(DESTDIR)$(tmpfilesdir)/vnf-broker.conf

uninstall-local:
	rm -f $(DESTDIR)$(sysusersdir)/vnf-broker.conf \
	    $(DESTDIR)$(tmpfilesdir)/vnf-broker.conf
