/*
 * One poll() loop for everything: serve an object, receive signals and make asynchronous calls
 * without ever blocking on a peer. Try it with:
 *
 *   cc -Iinclude examples/c/event_loop.c -Ltarget/release -lskypebus -o event_loop && ./event_loop &
 *   gdbus call --session --dest com.example.CLoop --object-path /com/example/CLoop \
 *        --method com.example.CLoop.Add 2 3                       # -> (5,)
 *   dbus-send --session --type=signal /x com.example.CLoop.Note string:hello
 *   gdbus call --session --dest com.example.CLoop --object-path /com/example/CLoop \
 *        --method com.example.CLoop.Quit
 *
 * At start it makes 50 asynchronous calls to the bus (GetNameOwner of its own name) and one
 * asynchronous call to its own Add method, which the same loop serves: nothing waits for
 * anything. The connection's event descriptor is readable exactly while an event waits (a call
 * to serve, a signal, a name event, a finished call), so the loop sleeps in poll() otherwise.
 *
 * With --lifecycle it first exercises cancelling a pending call, fork() with calls pending and
 * freeing a connection with calls pending (the test runs this under valgrind).
 *
 * Events arrive as JSON; a real program would use a JSON parser, this one reads the few fields
 * it needs with strstr/strtol. Exits 0 after Quit, non-zero on errors.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skypebus.h"

#define ASYNC_CALLS 50

static const char *NAME = "com.example.CLoop";
static const char *PATH = "/com/example/CLoop";
static const char *XML =
    "<node><interface name='com.example.CLoop'>"
    "<method name='Add'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
    "<arg type='i' direction='out'/></method>"
    "<method name='Quit'/>"
    "</interface></node>";

static int fail(const char *what, skypebus_error *err) {
    fprintf(stderr, "event_loop: %s: %s: %s\n", what, skypebus_error_name(err), skypebus_error_message(err));
    skypebus_error_free(err);
    return 1;
}

static long long json_int(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static int has(const char *json, const char *text) {
    return strstr(json, text) != NULL;
}

/* An asynchronous call of ours, by the id its call_finished event names. */
struct pending_slot {
    skypebus_pending_call *call;
    uint64_t id;
};

static struct pending_slot slots[ASYNC_CALLS + 1];
static int finished = 0, finished_ok = 0;

static int start(skypebus_connection *conn, const char *request, int slot) {
    skypebus_error *err = NULL;
    if (skypebus_call_start(conn, request, &slots[slot].call, &err) != SKYPEBUS_OK)
        return fail("call_start", err);
    slots[slot].id = skypebus_pending_call_id(slots[slot].call);
    return 0;
}

/* A call finished: take its result and free its handle. */
static void on_finished(uint64_t id) {
    for (int i = 0; i <= ASYNC_CALLS; i++) {
        if (slots[i].call == NULL || slots[i].id != id)
            continue;
        char *reply = NULL;
        skypebus_error *err = NULL;
        if (skypebus_pending_call_wait(slots[i].call, 0, &reply, &err) == SKYPEBUS_OK) {
            finished_ok++;
            if (i == ASYNC_CALLS)
                printf("async call to ourselves: %s\n", reply);
            skypebus_string_free(reply);
        } else {
            fprintf(stderr, "async call %d failed: %s\n", i, skypebus_error_message(err));
            skypebus_error_free(err);
        }
        skypebus_pending_call_free(slots[i].call);
        slots[i].call = NULL;
        finished++;
        if (finished == ASYNC_CALLS + 1)
            printf("async: %d calls finished, %d with a reply\n", finished, finished_ok);
        fflush(stdout);
        return;
    }
}

/* Cancel, fork and free with calls pending: the handles, not the peer, decide. */
static int lifecycle(const char *address) {
    skypebus_connection *caller = NULL, *silent = NULL;
    skypebus_error *err = NULL;
    char *unique = NULL;
    if (skypebus_connection_open_private(address, &caller, &err) != SKYPEBUS_OK ||
        skypebus_connection_open_private(address, &silent, &err) != SKYPEBUS_OK ||
        skypebus_export(silent, PATH, XML, NULL, &err) != SKYPEBUS_OK ||
        skypebus_connection_unique_name(silent, &unique, &err) != SKYPEBUS_OK)
        return fail("lifecycle setup", err);
    /* Calls to a connection that never takes its events stay pending. */
    char request[256];
    snprintf(request, sizeof request,
             "{\"destination\":\"%s\",\"path\":\"%s\",\"interface\":\"com.example.CLoop\","
             "\"method\":\"Add\",\"args\":[1,2]}",
             unique, PATH);
    skypebus_string_free(unique);
    skypebus_pending_call *p[3];
    for (int i = 0; i < 3; i++)
        if (skypebus_call_start(caller, request, &p[i], &err) != SKYPEBUS_OK)
            return fail("lifecycle call_start", err);
    if (!skypebus_pending_call_cancel(p[0]) || skypebus_pending_call_cancel(p[0])) {
        fprintf(stderr, "event_loop: cancel did not report the running call once\n");
        return 1;
    }
    char *reply = NULL;
    if (skypebus_pending_call_wait(p[0], 0, &reply, NULL) != SKYPEBUS_INVALID_REQUEST) {
        fprintf(stderr, "event_loop: a cancelled call gave a result\n");
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        /* The child: the parent's calls fail at once and are freed without touching them. */
        int ok = skypebus_pending_call_ready(p[1]) &&
                 skypebus_pending_call_wait(p[1], 1000, &reply, NULL) == SKYPEBUS_DISCONNECTED;
        for (int i = 0; i < 3; i++)
            skypebus_pending_call_free(p[i]);
        skypebus_connection_free(caller);
        skypebus_connection_free(silent);
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "event_loop: the forked child saw its parent's calls wrongly\n");
        return 1;
    }
    /* Freeing the connection with calls pending: they end with SKYPEBUS_DISCONNECTED. */
    skypebus_connection_free(caller);
    if (skypebus_pending_call_wait(p[1], 5000, &reply, NULL) != SKYPEBUS_DISCONNECTED) {
        fprintf(stderr, "event_loop: a call of a freed connection did not end\n");
        return 1;
    }
    for (int i = 0; i < 3; i++)
        skypebus_pending_call_free(p[i]); /* p[2] still in flight in the library: cancelled */
    skypebus_connection_free(silent);
    printf("lifecycle: cancel, fork and free with calls pending passed\n");
    return 0;
}

int main(int argc, char **argv) {
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS") ? getenv("DBUS_SESSION_BUS_ADDRESS") : "session";
    if (argc > 1 && strcmp(argv[1], "--lifecycle") == 0 && lifecycle(address) != 0)
        return 1;
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    uint32_t answer = 0;
    uint64_t sub = 0;
    int fd = -1;
    if (skypebus_connection_open_private(address, &conn, &err) != SKYPEBUS_OK)
        return fail("open", err);
    if (skypebus_export(conn, PATH, XML, NULL, &err) != SKYPEBUS_OK ||
        skypebus_subscribe(conn, "{\"interface\":\"com.example.CLoop\",\"member\":\"Note\"}", &sub, &err) != SKYPEBUS_OK ||
        skypebus_request_name(conn, NAME, SKYPEBUS_NAME_DO_NOT_QUEUE, &answer, &err) != SKYPEBUS_OK ||
        skypebus_connection_event_fd(conn, &fd, &err) != SKYPEBUS_OK) {
        int r = fail("setup", err);
        skypebus_connection_free(conn);
        return r;
    }
    char request[256];
    snprintf(request, sizeof request,
             "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\","
             "\"interface\":\"org.freedesktop.DBus\",\"method\":\"GetNameOwner\",\"args\":[\"%s\"]}",
             NAME);
    for (int i = 0; i < ASYNC_CALLS; i++)
        if (start(conn, request, i) != 0)
            return 1;
    /* A call to ourselves: served by this very loop, so it must not block. */
    snprintf(request, sizeof request,
             "{\"destination\":\"%s\",\"path\":\"%s\",\"interface\":\"com.example.CLoop\","
             "\"method\":\"Add\",\"args\":[20,22]}",
             NAME, PATH);
    if (start(conn, request, ASYNC_CALLS) != 0)
        return 1;
    printf("ready\n");
    fflush(stdout);

    int served = 0, signals = 0, quit = 0, status = 0;
    while (!quit) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 60000) == 0) {
            fprintf(stderr, "event_loop: nothing happened for 60 s\n");
            status = 1;
            break;
        }
        char *event = NULL;
        skypebus_result r;
        while ((r = skypebus_next_event(conn, 0, &event, NULL)) == SKYPEBUS_OK) {
            if (has(event, "\"kind\":\"call_finished\"")) {
                on_finished((uint64_t)json_int(event, "id"));
            } else if (has(event, "\"kind\":\"signal\"")) {
                signals++;
                printf("signal %d\n", signals);
            } else if (has(event, "\"kind\":\"call\"")) {
                uint64_t call = (uint64_t)json_int(event, "call");
                char values[64] = "[]";
                if (has(event, "\"member\":\"Add\"")) {
                    const char *data = strstr(event, "\"data\":[");
                    long a = 0, b = 0;
                    if (data != NULL)
                        sscanf(data + 8, "%ld,%ld", &a, &b);
                    snprintf(values, sizeof values, "[%ld]", a + b);
                } else {
                    quit = 1;
                }
                if (skypebus_reply(conn, call, values, &err) != SKYPEBUS_OK)
                    status = fail("reply", err);
                served++;
            }
            fflush(stdout);
            skypebus_string_free(event);
        }
        if (r != SKYPEBUS_EMPTY) {
            fprintf(stderr, "event_loop: next_event failed with %d\n", (int)r);
            status = 1;
            break;
        }
    }
    for (int i = 0; i <= ASYNC_CALLS; i++)
        skypebus_pending_call_free(slots[i].call);
    printf("served %d calls, %d signals, %d async calls finished\n", served, signals, finished);
    skypebus_connection_free(conn);
    return status;
}
