/*
 * Serving a D-Bus object from C: own a name, export an object described by introspection XML,
 * and answer its method calls in one event loop. Try it with:
 *
 *   cc -Iinclude examples/c/serve.c -Ltarget/release -lskypebus -o serve && ./serve &
 *   gdbus call --session --dest com.example.CServe --object-path /com/example/CServe \
 *        --method com.example.CServe.Add 2 3                 # -> (5,)
 *   gdbus introspect --session --dest com.example.CServe --object-path /com/example/CServe
 *   gdbus call --session --dest com.example.CServe --object-path /com/example/CServe \
 *        --method com.example.CServe.Quit
 *
 * The library answers Introspect, Peer.Ping, property reads and unknown-method errors by
 * itself; this program only answers the methods it declares. Events arrive as JSON; a real
 * program would use a JSON parser, this one reads the few fields it needs with strstr/strtol.
 * Exits 0 after Quit (or SIGTERM/SIGINT), non-zero on errors.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skypebus.h"

static const char *NAME = "com.example.CServe";
static const char *PATH = "/com/example/CServe";
static const char *XML =
    "<node>\n"
    "  <interface name='com.example.CServe'>\n"
    "    <method name='Add'>\n"
    "      <arg name='a' type='i' direction='in'/>\n"
    "      <arg name='b' type='i' direction='in'/>\n"
    "      <arg name='sum' type='i' direction='out'/>\n"
    "    </method>\n"
    "    <method name='Hello'>\n"
    "      <arg name='greeting' type='s' direction='out'/>\n"
    "    </method>\n"
    "    <method name='Quit'/>\n"
    "    <signal name='Added'><arg name='sum' type='i'/></signal>\n"
    "    <property name='Calls' type='u' access='read'/>\n"
    "  </interface>\n"
    "</node>\n";

static volatile sig_atomic_t stop = 0;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int fail(const char *what, skypebus_error *err) {
    fprintf(stderr, "serve: %s: %s: %s\n", what, skypebus_error_name(err), skypebus_error_message(err));
    skypebus_error_free(err);
    return 1;
}

/* The value after `"key":` as a string (without quotes) copied into out. */
static void json_field(const char *json, const char *key, char *out, size_t size) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    out[0] = '\0';
    if (p != NULL) {
        p += strlen(pat);
        size_t n = strcspn(p, "\"");
        if (n >= size)
            n = size - 1;
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

static long long json_int(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

int main(void) {
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    if (skypebus_connection_open_private("session", &conn, &err) != SKYPEBUS_OK)
        return fail("connect", err);
    if (skypebus_export(conn, PATH, XML, "{\"properties\":{\"com.example.CServe\":{\"Calls\":0}}}", &err) != SKYPEBUS_OK)
        return fail("export", err);
    uint32_t answer = 0;
    if (skypebus_request_name(conn, NAME, SKYPEBUS_NAME_DO_NOT_QUEUE, &answer, &err) != SKYPEBUS_OK)
        return fail("request name", err);
    if (answer != SKYPEBUS_NAME_PRIMARY_OWNER) {
        fprintf(stderr, "serve: %s is taken\n", NAME);
        return 1;
    }
    printf("serving %s at %s\n", NAME, PATH);
    fflush(stdout);

    unsigned calls = 0;
    int status = 0;
    while (!stop) {
        char *event = NULL;
        /* Short waits keep the loop responsive to SIGTERM. */
        skypebus_result r = skypebus_next_event(conn, 200, &event, NULL);
        if (r == SKYPEBUS_EMPTY)
            continue;
        if (r != SKYPEBUS_OK) {
            fprintf(stderr, "serve: next_event failed (%d)\n", r);
            status = 1;
            break;
        }
        char kind[32], member[64];
        json_field(event, "kind", kind, sizeof kind);
        json_field(event, "member", member, sizeof member);
        if (strcmp(kind, "call") != 0) {
            printf("event: %s\n", event);
            skypebus_string_free(event);
            continue;
        }
        uint64_t call = (uint64_t)json_int(event, "call");
        char reply[128];
        r = SKYPEBUS_OK;
        if (strcmp(member, "Add") == 0) {
            long long a = 0, b = 0;
            const char *data = strstr(event, "\"data\":[");
            if (data != NULL && sscanf(data, "\"data\":[%lld,%lld]", &a, &b) == 2) {
                long long sum = a + b;
                if (sum > 2147483647LL || sum < -2147483648LL) {
                    r = skypebus_reply_error(conn, call, "com.example.CServe.Error.Overflow", "the sum does not fit an int32", &err);
                } else {
                    snprintf(reply, sizeof reply, "[%lld]", sum);
                    r = skypebus_reply(conn, call, reply, &err);
                    char signal_json[256];
                    snprintf(signal_json, sizeof signal_json,
                             "{\"path\":\"%s\",\"interface\":\"com.example.CServe\",\"member\":\"Added\",\"signature\":\"i\",\"args\":[%lld]}",
                             PATH, sum);
                    if (r == SKYPEBUS_OK)
                        r = skypebus_emit(conn, signal_json, &err);
                }
            } else {
                r = skypebus_reply_error(conn, call, "org.freedesktop.DBus.Error.InvalidArgs", "cannot read the arguments", &err);
            }
        } else if (strcmp(member, "Hello") == 0) {
            r = skypebus_reply(conn, call, "[\"Hello from C\"]", &err);
        } else if (strcmp(member, "Quit") == 0) {
            r = skypebus_reply(conn, call, NULL, &err);
            stop = 1;
        } else {
            r = skypebus_reply_error(conn, call, "org.freedesktop.DBus.Error.UnknownMethod", member, &err);
        }
        skypebus_string_free(event);
        if (r != SKYPEBUS_OK) {
            status = fail("answer", err);
            err = NULL;
            continue;
        }
        calls++;
        snprintf(reply, sizeof reply, "%u", calls);
        if (skypebus_set_property(conn, PATH, "com.example.CServe", "Calls", reply, &err) != SKYPEBUS_OK)
            status = fail("set property", err);
    }
    printf("served %u calls\n", calls);
    skypebus_connection_free(conn);
    return status;
}
