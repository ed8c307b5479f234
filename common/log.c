#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_role = "vnf-broker";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_syslog;

static const char *const log_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(const char *role, enum log_level level, int to_syslog)
{
	log_role = role;
	log_level = level;
	if (log_syslog && !to_syslog)
		closelog();
	log_syslog = to_syslog;
	if (to_syslog)
		openlog("vnf-brokerd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_role(const char *role)
{
	log_role = role;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(log_names) / sizeof(log_names[0]))
		return "?";
	return log_names[level];
}

void
log_vmsg(enum log_level level, const char *func, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[2048], stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t i;
	int saved = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One event, one line: control characters never reach the log. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';

	if (log_syslog) {
		if (log_level >= LOG_LEVEL_DEBUG)
			syslog(prio[level], "%s: %s: %s", log_role, func, msg);
		else
			syslog(prio[level], "%s: %s", log_role, msg);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		if (log_level >= LOG_LEVEL_DEBUG)
			fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s: %s\n", stamp,
			    ts.tv_nsec / 1000000, log_role, (long)getpid(),
			    log_names[level], func, msg);
		else
			fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s\n", stamp,
			    ts.tv_nsec / 1000000, log_role, (long)getpid(),
			    log_names[level], msg);
	}
	errno = saved;
}

void
log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, func, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, func, fmt, ap);
	va_end(ap);
	exit(1);
}
