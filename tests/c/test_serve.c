/*
 * Signals and serving through the C ABI: subscribe/emit/next_event, the EMPTY result, the
 * pollable descriptor, names, an exported object answered from C while another thread calls
 * it, errors, expiry and release of unanswered call handles. Run on a private bus
 * (DBUS_SESSION_BUS_ADDRESS) by the test command, under valgrind as well.
 *
 * Prints one line per check and a closing "N passed, M failed" line; exits non-zero on failure.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skypebus.h"

#include "check.h"

static const char *XML =
    "<node>"
    " <interface name='com.example.CTest'>"
    "  <method name='Add'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
    "   <arg type='i' direction='out'/></method>"
    "  <method name='Fail'/>"
    "  <method name='Slow'><arg type='s' direction='in'/><arg type='s' direction='out'/></method>"
    "  <property name='Count' type='u' access='read'/>"
    " </interface>"
    "</node>";

#define NAME "com.example.CTest"
#define PATH "/com/example/CTest"

/* Takes the next event or returns NULL; prints unexpected errors. */
static char *next_event(skypebus_connection *conn, uint32_t ms) {
    char *json = NULL;
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_next_event(conn, ms, &json, &err);
    if (r != SKYPEBUS_OK) {
        if (r != SKYPEBUS_EMPTY)
            printf("# next_event: %d %s: %s\n", r, skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return NULL;
    }
    return json;
}

/* The integer after `"key":` in a JSON text (enough for our own flat event objects). */
static long long json_int(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

struct client_call {
    const char *address;
    const char *request;
    skypebus_result result;
    char *reply;
    char *error_name;
};

/* A client thread: its own connection, one call, the outcome kept for the main thread. */
static void *client_thread(void *arg) {
    struct client_call *c = arg;
    skypebus_connection *conn = NULL;
    if (skypebus_connection_open(c->address, &conn, NULL) != SKYPEBUS_OK) {
        c->result = SKYPEBUS_CONNECT_FAILED;
        return NULL;
    }
    skypebus_error *err = NULL;
    c->result = skypebus_call(conn, c->request, &c->reply, &err);
    if (err != NULL) {
        c->error_name = strdup(skypebus_error_name(err));
        skypebus_error_free(err);
    }
    skypebus_connection_free(conn);
    return NULL;
}

static void test_signals(const char *address) {
    skypebus_connection *rx = NULL, *tx = NULL;
    CHECK(skypebus_connection_open_private(address, &rx, NULL) == SKYPEBUS_OK, "open receiver");
    CHECK(skypebus_connection_open(address, &tx, NULL) == SKYPEBUS_OK, "open emitter");

    /* EMPTY is no error: no output written, and *err left alone (no error object is made). */
    char *json = (char *)0x1;
    skypebus_error *err = (skypebus_error *)0x1;
    CHECK(skypebus_next_event(rx, 0, &json, &err) == SKYPEBUS_EMPTY && json == (char *)0x1, "poll: EMPTY, output untouched");
    CHECK(err == (skypebus_error *)0x1, "EMPTY: *err untouched");
    err = NULL;
    CHECK(skypebus_next_event(rx, 30, &json, NULL) == SKYPEBUS_EMPTY, "wait 30 ms: EMPTY, err NULL allowed");
    CHECK(skypebus_next_event(rx, 0, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL output");
    CHECK(skypebus_next_event(NULL, 0, &json, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL connection");

    uint64_t id = 0, id2 = 0;
    CHECK(skypebus_subscribe(rx, "{\"interface\":\"com.example.CSig\",\"member\":\"Ping\"}", &id, NULL) == SKYPEBUS_OK && id > 0, "subscribe");
    CHECK(skypebus_subscribe(rx, "{\"interface\":\"com.example.CSig\",\"arg0\":\"x\"}", &id2, NULL) == SKYPEBUS_OK && id2 > id, "second subscription");
    CHECK(skypebus_subscribe(rx, "{\"bogus\":1}", &id, &err) == SKYPEBUS_INVALID_REQUEST, "bad match key");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_subscribe(tx, "{\"member\":\"Ping\"}", &id, NULL) == SKYPEBUS_INVALID_REQUEST,
          "subscribing on a shared handle is refused");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_subscribe(rx, "{\"sender\":\"not valid\"}", &id, NULL) == SKYPEBUS_INVALID_NAME, "bad sender");
    CHECK(skypebus_subscribe(rx, "{", &id, NULL) == SKYPEBUS_INVALID_JSON, "bad JSON");

    /* The pollable descriptor follows the queue. */
    int fd = -1;
    CHECK(skypebus_connection_event_fd(rx, &fd, NULL) == SKYPEBUS_OK && fd >= 0, "event fd");
    int fd2 = -2;
    skypebus_connection_event_fd(rx, &fd2, NULL);
    CHECK(fd2 == fd, "same fd every time");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 0) == 0, "fd not readable while empty");

    CHECK(skypebus_emit(tx, "{\"path\":\"/c\",\"interface\":\"com.example.CSig\",\"member\":\"Ping\",\"args\":[\"x\",42]}", NULL) == SKYPEBUS_OK, "emit");
    CHECK(skypebus_emit(tx, "{\"path\":\"/c\",\"interface\":\"com.example.CSig\",\"member\":\"Pong\",\"args\":[\"y\"]}", NULL) == SKYPEBUS_OK, "emit (matches nothing)");
    CHECK(skypebus_emit(tx, "{\"path\":\"/c\",\"interface\":\"com.example.CSig\"}", NULL) == SKYPEBUS_INVALID_REQUEST, "emit without member");
    CHECK(skypebus_emit(tx, "{\"path\":\"/c\",\"interface\":\"com.example.CSig\",\"member\":\"M\",\"signature\":\"u\",\"args\":[-1]}", NULL) == SKYPEBUS_TYPE_MISMATCH, "emit with a bad value");

    pfd.revents = 0;
    CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "fd readable once a signal waits");
    json = next_event(rx, 0);
    CHECK(json != NULL && strstr(json, "\"kind\":\"signal\"") && strstr(json, "\"member\":\"Ping\"") &&
              strstr(json, "\"type\":\"si\"") && strstr(json, "\"data\":[\"x\",42]"),
          "signal event JSON");
    char want[64];
    snprintf(want, sizeof want, "\"subscriptions\":[%llu,%llu]", (unsigned long long)id, (unsigned long long)id2);
    CHECK(json != NULL && strstr(json, want) != NULL, "both matching subscriptions listed once");
    if (json)
        printf("# %s\n", json);
    skypebus_string_free(json);
    pfd.revents = 0;
    CHECK(poll(&pfd, 1, 0) == 0, "fd not readable after the queue emptied");

    /* Queue bound and drop counter. */
    CHECK(skypebus_connection_set_event_options(rx, "{\"queue_limit\": 3}", NULL) == SKYPEBUS_OK, "queue_limit 3");
    CHECK(skypebus_connection_set_event_options(rx, "{\"queue_limit\": 0}", NULL) == SKYPEBUS_INVALID_REQUEST, "queue_limit 0 refused");
    for (int i = 0; i < 10; i++) {
        char sig[160];
        snprintf(sig, sizeof sig, "{\"path\":\"/c\",\"interface\":\"com.example.CSig\",\"member\":\"Ping\",\"args\":[\"n\",%d]}", i);
        skypebus_emit(tx, sig, NULL);
    }
    /* A round trip on the emitter, then one on the receiver: all ten have arrived. */
    char *reply = NULL;
    skypebus_call(tx, "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\",\"method\":\"GetId\"}", &reply, NULL);
    skypebus_string_free(reply);
    reply = NULL;
    skypebus_call(rx, "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\",\"method\":\"GetId\"}", &reply, NULL);
    skypebus_string_free(reply);
    uint64_t dropped = 0;
    CHECK(skypebus_dropped_signals(rx, &dropped, NULL) == SKYPEBUS_OK && dropped == 7, "7 of 10 dropped");
    json = next_event(rx, 0);
    CHECK(json != NULL && strstr(json, "\"data\":[\"n\",7]"), "oldest dropped: first kept is #7");
    skypebus_string_free(json);
    char *stats = NULL;
    CHECK(skypebus_event_stats(rx, &stats, NULL) == SKYPEBUS_OK && stats && json_int(stats, "queued_signals") == 2 &&
              json_int(stats, "subscriptions") == 2,
          "stats");
    skypebus_string_free(stats);

    CHECK(skypebus_unsubscribe(rx, id, NULL) == SKYPEBUS_OK, "unsubscribe");
    CHECK(skypebus_unsubscribe(rx, id, NULL) == SKYPEBUS_INVALID_REQUEST, "unsubscribe twice");
    /* Two signals stay queued (they also match id2) and are freed with the connection. */
    skypebus_connection_free(rx);
    skypebus_connection_free(tx);
}

static void test_serving(const char *address) {
    skypebus_connection *srv = NULL;
    CHECK(skypebus_connection_open_private(address, &srv, NULL) == SKYPEBUS_OK, "open server");
    uint32_t answer = 0;
    CHECK(skypebus_request_name(srv, NAME, SKYPEBUS_NAME_DO_NOT_QUEUE, &answer, NULL) == SKYPEBUS_OK &&
              answer == SKYPEBUS_NAME_PRIMARY_OWNER,
          "request name: primary owner");
    CHECK(skypebus_request_name(srv, NAME, 0, &answer, NULL) == SKYPEBUS_OK && answer == SKYPEBUS_NAME_ALREADY_OWNER, "already owner");
    CHECK(skypebus_request_name(srv, "bad name", 0, &answer, NULL) == SKYPEBUS_INVALID_NAME, "bad name");
    CHECK(skypebus_request_name(srv, NAME, 64, &answer, NULL) == SKYPEBUS_INVALID_REQUEST, "bad flags");
    char *json = next_event(srv, 5000);
    CHECK(json && strcmp(json, "{\"kind\":\"name_acquired\",\"name\":\"" NAME "\"}") == 0, "name_acquired event");
    skypebus_string_free(json);

    skypebus_error *err = NULL;
    CHECK(skypebus_export(srv, PATH, "<node><interface", NULL, &err) == SKYPEBUS_INVALID_REQUEST, "bad XML refused");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_export(srv, PATH, NULL, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL XML");
    CHECK(skypebus_export(srv, "no/path", XML, NULL, NULL) == SKYPEBUS_INVALID_NAME, "bad path");
    CHECK(skypebus_export(srv, PATH, XML, "{\"properties\":{\"com.example.CTest\":{\"Count\":0}}}", NULL) == SKYPEBUS_OK, "export");
    CHECK(skypebus_export(srv, PATH, XML, NULL, NULL) == SKYPEBUS_INVALID_REQUEST, "export twice");

    /* A client thread calls Add; this thread serves it. */
    struct client_call c = {.address = address,
                            .request = "{\"destination\":\"" NAME "\",\"path\":\"" PATH "\",\"interface\":\"com.example.CTest\","
                                       "\"method\":\"Add\",\"args\":[40,2]}"};
    pthread_t t;
    pthread_create(&t, NULL, client_thread, &c);
    json = next_event(srv, 10000);
    CHECK(json && strstr(json, "\"kind\":\"call\"") && strstr(json, "\"member\":\"Add\"") && strstr(json, "\"data\":[40,2]"),
          "call event JSON");
    uint64_t call = json ? (uint64_t)json_int(json, "call") : 0;
    skypebus_string_free(json);
    CHECK(skypebus_reply(srv, call, "[\"not an int\"]", &err) == SKYPEBUS_TYPE_MISMATCH, "ill-typed reply refused");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_reply(srv, call, "[1,2]", NULL) == SKYPEBUS_TYPE_MISMATCH, "wrong number of values refused");
    CHECK(skypebus_reply(srv, call, "{\"args\":[42]}", NULL) == SKYPEBUS_OK, "reply (the handle survived the refused ones)");
    CHECK(skypebus_reply(srv, call, "[42]", NULL) == SKYPEBUS_INVALID_REQUEST, "a handle answers once");
    pthread_join(t, NULL);
    CHECK(c.result == SKYPEBUS_OK && c.reply && strcmp(c.reply, "{\"type\":\"i\",\"data\":[42]}") == 0, "the client got 42");
    free(c.reply);
    free(c.error_name);
    CHECK(skypebus_set_property(srv, PATH, "com.example.CTest", "Count", "1", NULL) == SKYPEBUS_OK, "set property");
    CHECK(skypebus_set_property(srv, PATH, "com.example.CTest", "Count", "-1", NULL) == SKYPEBUS_TYPE_MISMATCH, "property type checked");
    CHECK(skypebus_set_property(srv, PATH, "com.example.CTest", "Nope", "1", NULL) == SKYPEBUS_INVALID_REQUEST, "unknown property");

    /* An error reply keeps its name. */
    struct client_call f = {.address = address,
                            .request = "{\"destination\":\"" NAME "\",\"path\":\"" PATH "\",\"interface\":\"com.example.CTest\","
                                       "\"method\":\"Fail\"}"};
    pthread_create(&t, NULL, client_thread, &f);
    json = next_event(srv, 10000);
    call = json ? (uint64_t)json_int(json, "call") : 0;
    skypebus_string_free(json);
    CHECK(skypebus_reply_error(srv, call, "bad name", "x", NULL) == SKYPEBUS_INVALID_NAME, "invalid error name refused");
    CHECK(skypebus_reply_error(srv, call, "com.example.Error.Nope", "it failed", NULL) == SKYPEBUS_OK, "reply_error");
    pthread_join(t, NULL);
    CHECK(f.result == SKYPEBUS_DBUS_ERROR && f.error_name && strcmp(f.error_name, "com.example.Error.Nope") == 0, "the client got the error name");
    free(f.reply);
    free(f.error_name);

    /* A method not in the XML, and wrong case: the library answers. */
    struct client_call u = {.address = address,
                            .request = "{\"destination\":\"" NAME "\",\"path\":\"" PATH "\",\"interface\":\"com.example.CTest\","
                                       "\"method\":\"add\",\"args\":[1,2]}"};
    client_thread(&u);
    CHECK(u.result == SKYPEBUS_DBUS_ERROR && u.error_name && strcmp(u.error_name, "org.freedesktop.DBus.Error.UnknownMethod") == 0,
          "undeclared member: UnknownMethod");
    free(u.reply);
    free(u.error_name);

    /* An unanswered handle expires: the caller gets NoReply, the handle is released. */
    CHECK(skypebus_connection_set_event_options(srv, "{\"call_timeout_ms\": 200}", NULL) == SKYPEBUS_OK, "call_timeout_ms 200");
    struct client_call s = {.address = address,
                            .request = "{\"destination\":\"" NAME "\",\"path\":\"" PATH "\",\"interface\":\"com.example.CTest\","
                                       "\"method\":\"Slow\",\"args\":[\"z\"],\"timeout_ms\":20000}"};
    pthread_create(&t, NULL, client_thread, &s);
    json = next_event(srv, 10000);
    call = json ? (uint64_t)json_int(json, "call") : 0;
    skypebus_string_free(json);
    pthread_join(t, NULL);
    CHECK(s.result == SKYPEBUS_DBUS_ERROR && s.error_name && strcmp(s.error_name, "org.freedesktop.DBus.Error.NoReply") == 0,
          "expired call: the caller got NoReply");
    free(s.reply);
    free(s.error_name);
    CHECK(skypebus_reply(srv, call, "[\"late\"]", NULL) == SKYPEBUS_INVALID_REQUEST, "expired handle is gone");
    char *stats = NULL;
    skypebus_event_stats(srv, &stats, NULL);
    CHECK(stats && json_int(stats, "pending_calls") == 0 && json_int(stats, "expired_calls") == 1, "no handle left");
    skypebus_string_free(stats);

    /* A handle still open when the connection is freed is released with it (valgrind checks). */
    CHECK(skypebus_connection_set_event_options(srv, "{\"call_timeout_ms\": 25000}", NULL) == SKYPEBUS_OK, "call_timeout_ms back");
    struct client_call o = {.address = address,
                            .request = "{\"destination\":\"" NAME "\",\"path\":\"" PATH "\",\"interface\":\"com.example.CTest\","
                                       "\"method\":\"Slow\",\"args\":[\"open\"],\"timeout_ms\":20000}"};
    pthread_create(&t, NULL, client_thread, &o);
    json = next_event(srv, 10000);
    CHECK(json && strstr(json, "\"data\":[\"open\"]"), "call pulled, left open");
    skypebus_string_free(json);

    CHECK(skypebus_unexport(srv, PATH, NULL) == SKYPEBUS_OK, "unexport");
    CHECK(skypebus_unexport(srv, PATH, NULL) == SKYPEBUS_INVALID_REQUEST, "unexport twice");
    CHECK(skypebus_release_name(srv, NAME, &answer, NULL) == SKYPEBUS_OK && answer == SKYPEBUS_NAME_RELEASED, "release name");
    CHECK(skypebus_release_name(srv, NAME, &answer, NULL) == SKYPEBUS_OK && answer == SKYPEBUS_NAME_NON_EXISTENT, "release again");
    json = next_event(srv, 5000);
    CHECK(json && strcmp(json, "{\"kind\":\"name_lost\",\"name\":\"" NAME "\"}") == 0, "name_lost event");
    skypebus_string_free(json);
    skypebus_connection_free(srv);
    pthread_join(t, NULL);
    CHECK(o.result == SKYPEBUS_DBUS_ERROR && o.error_name && strcmp(o.error_name, "org.freedesktop.DBus.Error.NoReply") == 0,
          "server gone: the caller got NoReply from the bus");
    free(o.reply);
    free(o.error_name);
}

/* The schema of an export, without a connection. */
static void test_schema(void) {
    char *json = NULL;
    skypebus_error *err = NULL;
    CHECK(skypebus_export_schema(XML, &json, &err) == SKYPEBUS_OK && json != NULL, "schema");
    CHECK(json != NULL && strstr(json, "\"name\":\"Add\",\"in_signature\":\"ii\",\"out_signature\":\"i\"") &&
              strstr(json, "\"access\":\"read\",\"emits_changed\":\"true\""),
          "schema JSON names the methods and properties");
    skypebus_string_free(json);
    json = (char *)0x1;
    CHECK(skypebus_export_schema("<node><interface", &json, &err) == SKYPEBUS_INVALID_REQUEST && json == (char *)0x1,
          "schema of bad XML refused, output untouched");
    skypebus_error_free(err);
    CHECK(skypebus_export_schema(NULL, &json, NULL) == SKYPEBUS_NULL_ARGUMENT, "schema: NULL XML");
    CHECK(skypebus_export_schema(XML, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "schema: NULL output");
}

int main(void) {
    test_schema();
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address == NULL) {
        fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        return 2;
    }
    test_signals(address);
    test_serving(address);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
