/*
 * Logging: one line per event, tagged with the process role.
 *
 * Lines go to stderr (with a UTC timestamp) or to syslog.  At debug level
 * every line also names the function it came from, as OpenSSH does, so a
 * debug log reads as a trace.  Never call these from a signal handler.
 */
#ifndef VB_COMMON_LOG_H
#define VB_COMMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Set the role tag ("parent", "ssh", ...), the level and the destination. */
void	log_init(const char *role, enum log_level level, int to_syslog);
void	log_set_role(const char *role);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info" or "debug"; returns 0 or -1. */
int	log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void	log_msg(enum log_level level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_vmsg(enum log_level level, const char *func, const char *fmt,
	    va_list ap) __attribute__((format(printf, 3, 0)));
void	log_fatal(const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	do {						\
	if (log_get_level() >= LOG_LEVEL_DEBUG)				\
		log_msg(LOG_LEVEL_DEBUG, __func__, __VA_ARGS__);	\
} while (0)
/* Only at start-up, on a broken invariant, or on a protocol breach. */
#define fatal(...)	log_fatal(__func__, __VA_ARGS__)

#endif
