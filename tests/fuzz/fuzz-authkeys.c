/*
 * Fuzz target: an authorized_keys line as the parent (at configuration
 * load) and the role (at every login) parse it, then the address-list
 * matcher on its from= and the permitopen matcher on its entries.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ssh-authkeys.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshr_authkey k;
	char *line, *cause = NULL;
	size_t i;

	if (size > SSHR_LINE_MAX + 16)
		return 0;
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	if (sshr_authkey_parse(line, &k, &cause) == 0) {
		if (k.from != NULL) {
			sshr_addr_match("198.18.5.1", k.from, 1);
			sshr_addr_match("fd00::5", k.from, 1);
		}
		for (i = 0; i < k.npermitopen; i++)
			sshr_permitopen_match(&k.permitopen[i], "vnf-a", 22);
	}
	free(cause);
	sshr_authkey_clear(&k);
	/* The same bytes as an address list in both syntaxes. */
	sshr_addr_match("198.18.5.1", line, 1);
	sshr_addr_match("::1", line, 0);
	free(line);
	return 0;
}
