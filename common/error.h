/*
 * Error codes.  Functions return 0 or a negative code: either -errno for a
 * system error, or one of the VB_E* codes below for the project's own.
 * err_str() names both.
 */
#ifndef VB_COMMON_ERROR_H
#define VB_COMMON_ERROR_H

enum {
	VB_EBASE = -4096,	/* below every errno value */
	VB_EPROTO,		/* peer broke the IPC protocol */
	VB_ETRUNC,		/* message shorter than its header says */
	VB_E2BIG,		/* message larger than the limit */
	VB_ETYPE,		/* unknown message type */
	VB_ESIZE,		/* payload size wrong for its type */
	VB_EFD,			/* descriptor missing, unexpected or extra */
	VB_EPERM,		/* request not permitted for this role */
	VB_ECONFIG,		/* configuration is invalid */
	VB_ENOTFOUND,		/* named object does not exist */
	VB_EEXIST,		/* named object exists already */
	VB_ENOTOWNED,		/* object exists but is not ours to touch */
	VB_ENOFD,		/* a descriptor came but we had no room */
	VB_ELAST
};

/* A static string for a code from either range. */
const char *err_str(int code);

#endif
