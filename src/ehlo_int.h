/*
 * EHLO internals: RFC syntax checks generated from grammar/ehlo.rl (the
 * machines of grammar/common.rl). Never installed.
 */
#ifndef POSTEL_EHLO_INT_H
#define POSTEL_EHLO_INT_H

#include "internal.h"

/* RFC 5321 §4.1.1.1: the first line's Domain / address-literal (U-labels
 * of RFC 6531 §3.3 pass). */
int postel__ehlo_is_domain(postel_span s);
/* RFC 5321 §4.1.1.1 ehlo-keyword. */
int postel__ehlo_is_keyword(postel_span s);
/* RFC 4422 §3.1 sasl-mech (any case). */
int postel__ehlo_is_mech(postel_span s);
/* RFC 3339 §5.6 date-time (RFC 4865 §3). */
int postel__ehlo_is_datetime(postel_span s);

#endif
