/*
 * The message trace from C (SKYPEBUS_TRACE): the program tests/c/test_trace.sh runs with the
 * variable set to a file, to "1", unset, and to a file that cannot be opened, then reads the
 * lines. It makes a call and gets its reply, gets an error reply, emits a signal and receives
 * it, and (in a child after fork()) makes one more call.
 *
 *   test_trace run           the messages above; prints "unique <name>" and "child <pid>"
 *   test_trace open-fails    expects opening a connection to fail; prints the error message
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skypebus.h"

#include "check.h"

#define DRIVER "\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\",\"interface\":\"org.freedesktop.DBus\""

static skypebus_result call(skypebus_connection *conn, const char *request) {
    char *reply = NULL;
    skypebus_result r = skypebus_call(conn, request, &reply, NULL);
    skypebus_string_free(reply);
    return r;
}

static int run(const char *address) {
    skypebus_connection *conn = NULL;
    CHECK(skypebus_connection_open_private(address, &conn, NULL) == SKYPEBUS_OK, "open");
    if (conn == NULL)
        return 1;
    char *name = NULL;
    CHECK(skypebus_connection_unique_name(conn, &name, NULL) == SKYPEBUS_OK && name != NULL, "unique name");
    printf("unique %s\n", name ? name : "?");
    skypebus_string_free(name);

    CHECK(call(conn, "{" DRIVER ",\"method\":\"GetId\"}") == SKYPEBUS_OK, "a call");
    CHECK(call(conn, "{" DRIVER ",\"method\":\"GetNameOwner\",\"args\":[\"org.example.Nobody\"]}") ==
              SKYPEBUS_DBUS_ERROR,
          "an error reply");
    uint64_t id = 0;
    CHECK(skypebus_subscribe(conn, "{\"interface\":\"com.example.Trace\",\"member\":\"Ping\"}", &id, NULL) ==
              SKYPEBUS_OK,
          "subscribe");
    CHECK(skypebus_emit(conn, "{\"path\":\"/com/example/Trace\",\"interface\":\"com.example.Trace\","
                              "\"member\":\"Ping\",\"signature\":\"su\",\"args\":[\"hi\",7]}",
                        NULL) == SKYPEBUS_OK,
          "emit");
    char *event = NULL;
    CHECK(skypebus_next_event(conn, 5000, &event, NULL) == SKYPEBUS_OK && event != NULL &&
              strstr(event, "\"member\":\"Ping\"") != NULL,
          "the signal arrives");
    skypebus_string_free(event);

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        /* The child keeps the parent's trace setting and destination. */
        skypebus_connection *own = NULL;
        int ok = skypebus_connection_open_private(address, &own, NULL) == SKYPEBUS_OK &&
                 call(own, "{" DRIVER ",\"method\":\"GetConnectionUnixProcessID\",\"args\":[\"org.freedesktop.DBus\"]}") ==
                     SKYPEBUS_OK;
        skypebus_connection_free(own);
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a call from a child after fork()");
    printf("child %d\n", (int)child);
    skypebus_connection_free(conn);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

static int open_fails(const char *address) {
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_connection_open_private(address, &conn, &err);
    CHECK(r == SKYPEBUS_INVALID_REQUEST && conn == NULL && err != NULL, "open fails with SKYPEBUS_INVALID_REQUEST");
    if (err != NULL)
        printf("error %s\n", skypebus_error_message(err));
    skypebus_error_free(err);
    skypebus_connection_free(conn);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address == NULL || argc != 2) {
        fprintf(stderr, "usage: DBUS_SESSION_BUS_ADDRESS=... test_trace run|open-fails\n");
        return 2;
    }
    if (strcmp(argv[1], "run") == 0)
        return run(address);
    if (strcmp(argv[1], "open-fails") == 0)
        return open_fails(address);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
