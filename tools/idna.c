/*
 * postel — full IDNA2008 check of a domain's U-labels for the tools
 * (libidn2). The core has no Unicode tables: it refuses only the code
 * points that are never valid in a U-label and flags the rest
 * (POSTEL_CMD_IDNA_UNCHECKED); `postel sink --strict` completes the
 * check here (RFC 6531 §3.3 -> RFC 5890, RFC 5891 §5.4).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "postel/common.h"

int tool_idna_valid(postel_span d);

/* 1 when every label of d (a Domain, RFC 5321 §4.1.2; octets >= 0x80 in
 * U-labels) is valid IDNA2008: IDN2_NO_TR46 is the lookup protocol of
 * RFC 5891 §5 without the UTS #46 mappings (no case folding, the input
 * must already be NFC), so what it accepts is what RFC 5890 calls a
 * U-label; it checks the RFC 5892 tables, the CONTEXTJ rules, Bidi (RFC
 * 5893) and the length of the A-labels. */
int tool_idna_valid(postel_span d)
{
	char buf[256]; /* RFC 5321 §4.5.3.1.2: 255 octets */
	uint8_t *out = NULL;
	int rc;
	if (d.n >= sizeof buf || memchr(d.p, 0, d.n))
		return 0;
	memcpy(buf, d.p, d.n);
	buf[d.n] = '\0';
	rc = idn2_lookup_u8((const uint8_t *)buf, &out, IDN2_NO_TR46);
	free(out);
	return rc == IDN2_OK;
}
