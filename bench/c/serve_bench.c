/*
 * Signals received per second and served calls per second, from C, on the bus in
 * DBUS_SESSION_BUS_ADDRESS (a private one: `make bench-serve`). The peer is a forked child
 * process with its own connection, as a real peer would be:
 *
 * - signals: the child emits N signals (skypebus_emit, as fast as it can); the parent pulls
 *   them with skypebus_next_event. Reports received/s, and how many the bounded queue dropped.
 * - calls: the child calls an exported method N times in a row (skypebus_call, one at a time);
 *   the parent answers each from its event loop (skypebus_next_event + skypebus_reply).
 *
 * Prints one JSON line per measurement, with the server's CPU µs per event.
 *
 *   serve_bench <signals> <calls>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* A private connection: subscribing and exporting need one (the shared handle refuses). */
static skypebus_connection *open_or_die(const char *address) {
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    if (skypebus_connection_open_private(address, &conn, &err) != SKYPEBUS_OK) {
        fprintf(stderr, "open: %s\n", skypebus_error_message(err));
        exit(1);
    }
    return conn;
}

/* Waits for one byte on fd (the other side is ready). */
static void wait_ready(int fd) {
    char c;
    if (read(fd, &c, 1) != 1)
        exit(1);
}

static void bench_signals(const char *address, long n) {
    int ready[2];
    if (pipe(ready) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        wait_ready(ready[0]);
        skypebus_connection *tx = open_or_die(address);
        char json[200];
        for (long i = 0; i < n; i++) {
            snprintf(json, sizeof json,
                     "{\"path\":\"/bench\",\"interface\":\"com.example.Bench\",\"member\":\"Tick\",\"signature\":\"xs\",\"args\":[%ld,\"payload\"]}", i);
            if (skypebus_emit(tx, json, NULL) != SKYPEBUS_OK)
                _exit(1);
        }
        skypebus_emit(tx, "{\"path\":\"/bench\",\"interface\":\"com.example.Bench\",\"member\":\"Done\"}", NULL);
        skypebus_connection_free(tx);
        _exit(0);
    }
    skypebus_connection *rx = open_or_die(address);
    uint64_t id;
    skypebus_connection_set_event_options(rx, "{\"queue_limit\": 1000000}", NULL);
    skypebus_subscribe(rx, "{\"interface\":\"com.example.Bench\"}", &id, NULL);
    if (write(ready[1], "g", 1) != 1)
        exit(1);
    long got = 0;
    double t0 = 0, c0 = cpu();
    for (;;) {
        char *event = NULL;
        skypebus_result r = skypebus_next_event(rx, 10000, &event, NULL);
        if (r != SKYPEBUS_OK) {
            fprintf(stderr, "signals: next_event %d after %ld\n", r, got);
            break;
        }
        int done = strstr(event, "\"member\":\"Done\"") != NULL;
        skypebus_string_free(event);
        if (done)
            break;
        if (got++ == 0)
            t0 = now();
    }
    double t = now() - t0, c = cpu() - c0;
    uint64_t dropped = 0;
    skypebus_dropped_signals(rx, &dropped, NULL);
    waitpid(pid, NULL, 0);
    printf("{\"bench\":\"signals_received\",\"signals\":%ld,\"dropped\":%llu,\"seconds\":%.3f,\"per_second\":%.0f,\"cpu_us_per_signal\":%.2f}\n",
           got, (unsigned long long)dropped, t, got / t, c * 1e6 / (got ? got : 1));
    skypebus_connection_free(rx);
}

static const char *XML = "<node><interface name='com.example.Bench'><method name='Add'>"
                         "<arg type='i' direction='in'/><arg type='i' direction='in'/><arg type='i' direction='out'/>"
                         "</method></interface></node>";

static void bench_calls(const char *address, long n) {
    int ready[2];
    if (pipe(ready) != 0)
        exit(1);
    int unique[2];
    if (pipe(unique) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char name[64] = {0};
        if (read(unique[0], name, sizeof name - 1) <= 0)
            _exit(1);
        skypebus_connection *client = open_or_die(address);
        char req[300];
        for (long i = 0; i < n; i++) {
            snprintf(req, sizeof req,
                     "{\"destination\":\"%s\",\"path\":\"/bench\",\"interface\":\"com.example.Bench\",\"method\":\"Add\",\"args\":[%ld,1]}",
                     name, i % 1000);
            char *reply = NULL;
            if (skypebus_call(client, req, &reply, NULL) != SKYPEBUS_OK)
                _exit(1);
            skypebus_string_free(reply);
        }
        skypebus_connection_free(client);
        _exit(0);
    }
    (void)ready;
    skypebus_connection *srv = open_or_die(address);
    skypebus_export(srv, "/bench", XML, NULL, NULL);
    char *me = NULL;
    skypebus_connection_unique_name(srv, &me, NULL);
    if (write(unique[1], me, strlen(me)) < 0)
        exit(1);
    skypebus_string_free(me);
    long served = 0;
    double t0 = 0, c0 = 0;
    while (served < n) {
        char *event = NULL;
        if (skypebus_next_event(srv, 10000, &event, NULL) != SKYPEBUS_OK) {
            fprintf(stderr, "calls: no call after %ld\n", served);
            break;
        }
        const char *p = strstr(event, "\"call\":");
        uint64_t call = p ? strtoull(p + 7, NULL, 10) : 0;
        long a = 0, b = 0;
        const char *d = strstr(event, "\"data\":[");
        if (d)
            sscanf(d, "\"data\":[%ld,%ld]", &a, &b);
        skypebus_string_free(event);
        char reply[32];
        snprintf(reply, sizeof reply, "[%ld]", a + b);
        skypebus_reply(srv, call, reply, NULL);
        if (served++ == 0) {
            t0 = now();
            c0 = cpu();
        }
    }
    double t = now() - t0, c = cpu() - c0;
    int status = 0;
    waitpid(pid, &status, 0);
    printf("{\"bench\":\"calls_served\",\"calls\":%ld,\"seconds\":%.3f,\"per_second\":%.0f,\"server_cpu_us_per_call\":%.2f,\"client_ok\":%s}\n",
           served - 1, t, (served - 1) / t, c * 1e6 / (served > 1 ? served - 1 : 1),
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "true" : "false");
    skypebus_connection_free(srv);
}

int main(int argc, char **argv) {
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (argc != 3 || address == NULL) {
        fprintf(stderr, "usage: DBUS_SESSION_BUS_ADDRESS=... %s <signals> <calls>\n", argv[0]);
        return 2;
    }
    bench_signals(address, atol(argv[1]));
    bench_calls(address, atol(argv[2]));
    return 0;
}
