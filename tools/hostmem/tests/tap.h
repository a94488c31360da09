/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal TAP producer for the userspace unit tests. */
#ifndef HOSTMEM_TAP_H
#define HOSTMEM_TAP_H

#include <math.h>
#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	tap_n++;							\
	if (cond) {							\
		printf("ok %d - ", tap_n);				\
	} else {							\
		tap_failed++;						\
		printf("not ok %d - %s:%d: ", tap_n, __FILE__, __LINE__); \
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

#define ok_eq(a, b, name) do {						\
	long _a = (a), _b = (b);					\
	ok(_a == _b, "%s (got %ld, want %ld)", name, _a, _b);		\
} while (0)

#define ok_near(a, b, name) do {					\
	double _a = (a), _b = (b);					\
	ok((isnan(_a) && isnan(_b)) || fabs(_a - _b) < 1e-6,		\
	   "%s (got %g, want %g)", name, _a, _b);			\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
