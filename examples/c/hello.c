/*
 * The smallest useful libskypebus program: connect to the session bus, make a few calls to
 * the bus itself, and print the JSON replies.
 *
 *   cc -Iinclude examples/c/hello.c -Ltarget/release -lskypebus -o hello
 */
#include <stdio.h>

#include "skypebus.h"

static int call(skypebus_connection *conn, const char *request) {
    char *reply = NULL;
    skypebus_error *err = NULL;
    if (skypebus_call(conn, request, &reply, &err) != SKYPEBUS_OK) {
        fprintf(stderr, "error: %s: %s\n", skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return 1;
    }
    printf("%s\n  -> %s\n", request, reply);
    skypebus_string_free(reply);
    return 0;
}

int main(void) {
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    if (skypebus_connection_open("session", &conn, &err) != SKYPEBUS_OK) {
        fprintf(stderr, "cannot connect: %s\n", skypebus_error_message(err));
        skypebus_error_free(err);
        return 1;
    }
    int failures = 0;
    failures += call(conn, "{\"destination\": \"org.freedesktop.DBus\", \"path\": \"/org/freedesktop/DBus\","
                           " \"interface\": \"org.freedesktop.DBus\", \"method\": \"GetId\"}");
    failures += call(conn, "{\"destination\": \"org.freedesktop.DBus\", \"path\": \"/org/freedesktop/DBus\","
                           " \"interface\": \"org.freedesktop.DBus\", \"method\": \"RequestName\","
                           " \"signature\": \"su\", \"args\": [\"com.example.Hello\", 4]}");
    failures += call(conn, "{\"destination\": \"org.freedesktop.DBus\", \"path\": \"/org/freedesktop/DBus\","
                           " \"interface\": \"org.freedesktop.DBus\", \"method\": \"ListNames\"}");
    skypebus_connection_free(conn);
    return failures == 0 ? 0 : 1;
}
