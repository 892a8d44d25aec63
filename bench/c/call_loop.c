/*
 * A tight loop of skypebus_call from C: prints calls/s and client CPU µs per call (getrusage,
 * user+system of the whole process, helper thread included) as one JSON line.
 *
 *   call_loop <address> <calls> <request-json>
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "skypebus.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <address> <calls> <request-json>\n", argv[0]);
        return 2;
    }
    long calls = atol(argv[2]);
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    if (skypebus_connection_open(argv[1], &conn, &err) != SKYPEBUS_OK) {
        fprintf(stderr, "open: %s\n", skypebus_error_message(err));
        return 1;
    }
    /* Warm up. */
    for (int i = 0; i < 200; i++) {
        char *reply = NULL;
        if (skypebus_call(conn, argv[3], &reply, &err) != SKYPEBUS_OK) {
            fprintf(stderr, "call: %s: %s\n", skypebus_error_name(err), skypebus_error_message(err));
            return 1;
        }
        skypebus_string_free(reply);
    }
    double t0 = now(), c0 = cpu();
    for (long i = 0; i < calls; i++) {
        char *reply = NULL;
        if (skypebus_call(conn, argv[3], &reply, &err) != SKYPEBUS_OK) {
            fprintf(stderr, "call: %s: %s\n", skypebus_error_name(err), skypebus_error_message(err));
            return 1;
        }
        skypebus_string_free(reply);
    }
    double dt = now() - t0, dc = cpu() - c0;
    printf("{\"calls\": %ld, \"seconds\": %.4f, \"calls_per_s\": %.0f, \"cpu_us_per_call\": %.2f}\n", calls, dt,
           calls / dt, dc * 1e6 / calls);
    skypebus_connection_free(conn);
    return 0;
}
