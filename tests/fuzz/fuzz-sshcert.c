/*
 * Fuzz target: an OpenSSH certificate blob as a client offers it, through
 * the jump host's parser, its checks and the CA signature verification
 * (which must fail cleanly on anything that is not a real signature).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "broker/ssh-cert.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "ops", "admin" };
	struct sshr_cert c;
	const char *why;

	if (sshr_cert_parse(data, size, &c, &why) == 0) {
		sshr_cert_check(&c, 1700000000, "198.18.5.1", names, 2, &why);
		sshr_cert_verify(&c, &why);
	}
	sshr_cert_clear(&c);
	return 0;
}
