#include "config.h"

#include <string.h>

#include "common/error.h"

static const char *const err_names[] = {
	[VB_EPROTO - VB_EBASE] = "protocol error",
	[VB_ETRUNC - VB_EBASE] = "truncated message",
	[VB_E2BIG - VB_EBASE] = "message too large",
	[VB_ETYPE - VB_EBASE] = "unknown message type",
	[VB_ESIZE - VB_EBASE] = "wrong payload size for message type",
	[VB_EFD - VB_EBASE] = "file descriptor missing or unexpected",
	[VB_EPERM - VB_EBASE] = "request not permitted",
	[VB_ECONFIG - VB_EBASE] = "invalid configuration",
	[VB_ENOTFOUND - VB_EBASE] = "not found",
	[VB_EEXIST - VB_EBASE] = "already exists",
	[VB_ENOTOWNED - VB_EBASE] = "exists and is not owned by vnf-broker",
	[VB_ENOFD - VB_EBASE] = "a descriptor was sent but this process has "
	    "no room for one (RLIMIT_NOFILE)",
};

const char *
err_str(int code)
{
	if (code == 0)
		return "success";
	if (code > VB_EBASE && code < VB_ELAST)
		return err_names[code - VB_EBASE];
	if (code < 0 && code > VB_EBASE)
		return strerror(-code);
	return "unknown error";
}
