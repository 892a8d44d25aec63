/*
 * The one check macro of the C test programs: prints "ok - ..." or "not ok - ... (line N)" and
 * counts both, for the closing "N passed, M failed" line each program prints.
 */
#ifndef SKYPEBUS_TEST_CHECK_H
#define SKYPEBUS_TEST_CHECK_H

#include <stdio.h>

static int passed = 0, failed = 0;

#define CHECK(cond, what)                                                                      \
    do {                                                                                       \
        if (cond) {                                                                            \
            passed++;                                                                          \
            printf("ok - %s\n", what);                                                         \
        } else {                                                                               \
            failed++;                                                                          \
            printf("not ok - %s (line %d)\n", what, __LINE__);                                 \
        }                                                                                      \
    } while (0)

#endif
