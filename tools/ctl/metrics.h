/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl metrics: the status totals in the Prometheus text exposition format. */
#ifndef NFTARPIT_METRICS_H
#define NFTARPIT_METRICS_H

#include <stdio.h>

#include "status.h"

/* st as the Prometheus text exposition format (one series per counter, bounded labels). */
void metrics_print(FILE *f, const struct status *st);

#endif
