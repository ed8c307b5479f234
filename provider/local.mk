noinst_LIBRARIES += provider/libprovider.a
provider_libprovider_a_SOURCES = \
	provider/ydoc.c provider/ydoc.h
provider_libprovider_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) $(PCRE2_CFLAGS)

include provider/jsonpath.mk
include provider/template.mk
include provider/dict.mk
include provider/exec.mk
include provider/sshx.mk
include provider/run.mk
