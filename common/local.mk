noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/log.c common/log.h \
	common/error.c common/error.h \
	common/xmalloc.c common/xmalloc.h \
	common/ipc.c common/ipc.h \
	common/diag.c common/diag.h \
	common/strutil.c common/strutil.h
