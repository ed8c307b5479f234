#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "broker/audit.h"
#include "broker/role.h"
#include "broker/role-stats.h"
#include "common/log.h"

static int audit_fd = ROLE_AUDIT_FD;
static const char *audit_role = "?";

void
audit_set_fd(int fd)
{
	audit_fd = fd;
}

void
audit_set_role(const char *role)
{
	audit_role = role;
}

void
audit_rec_init(struct audit_rec *rec, const char *event)
{
	memset(rec, 0, sizeof(*rec));
	rec->event = event;
	rec->port = -1;
	rec->bytes_up = -1;
	rec->bytes_down = -1;
	rec->duration_ms = -1;
	rec->status = -1;
}

static void
audit_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

static void
audit_int(json_t *o, const char *k, long long v)
{
	if (v >= 0)
		json_object_set_new(o, k, json_integer(v));
}

void
audit_write(const struct audit_rec *rec)
{
	struct timespec ts;
	struct tm tm;
	char stamp[40];
	json_t *o;
	char *line;
	size_t len;
	ssize_t n;

	/* Every refusal is audited, so /metrics counts them here. */
	if (rec->outcome != NULL && strcmp(rec->outcome, "denied") == 0)
		role_stat_add(RS_DENIED, 1);
	else if (rec->outcome != NULL && strcmp(rec->outcome, "error") == 0)
		role_stat_add(RS_ERRORS, 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp),
	    ".%03ldZ", ts.tv_nsec / 1000000);

	o = json_object();
	json_object_set_new(o, "time", json_string(stamp));
	json_object_set_new(o, "role", json_string(audit_role));
	audit_str(o, "event", rec->event);
	audit_str(o, "user", rec->user);
	audit_str(o, "credential", rec->credential);
	audit_str(o, "key_id", rec->key_id);
	audit_str(o, "source", rec->source);
	audit_str(o, "target", rec->target);
	audit_str(o, "method", rec->method);
	audit_str(o, "path", rec->path);
	audit_str(o, "network", rec->network);
	audit_str(o, "address", rec->address);
	audit_int(o, "port", rec->port);
	audit_int(o, "bytes_up", rec->bytes_up);
	audit_int(o, "bytes_down", rec->bytes_down);
	audit_int(o, "duration_ms", rec->duration_ms);
	audit_int(o, "status", rec->status);
	audit_str(o, "outcome", rec->outcome);
	audit_str(o, "reason", rec->reason);
	/* jansson escapes control characters: one record stays one line. */
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL)
		return;
	len = strlen(line);
	line[len] = '\n';	/* json_dumps leaves room: replace the NUL */
	/* One write(2) per record, so concurrent writers never interleave. */
	do {
		n = write(audit_fd, line, len + 1);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)len + 1)
		log_warn("audit record not written: %s",
		    n == -1 ? strerror(errno) : "short write");
	free(line);
}
