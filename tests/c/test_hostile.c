/*
 * The hostile-peer cases of tests/hostile.rs from C, run under valgrind by the test command: a
 * scripted peer (tests/support/hostile_peer.py) authenticates and answers Hello like
 * dbus-daemon, then sends the bytes of one case. Every case must end in its result code and
 * error name, on both wire paths (a unix address: the library's own socket; tcp: zbus' socket),
 * and a second call shows whether the connection was kept. After each case a call on the real
 * private bus (DBUS_SESSION_BUS_ADDRESS) must work.
 *
 * Prints one line per check and a closing "N passed, M failed" line; exits non-zero on failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skypebus.h"

#include "check.h"

#define OWN "net.skypebus.Error."
#define GO "{\"destination\":\"net.hostile.Peer\",\"path\":\"/\",\"interface\":\"net.hostile.Peer\"," \
           "\"method\":\"Go\",\"signature\":\"\",\"args\":[],\"timeout_ms\":2000}"

enum after { KEPT, CLOSED, STUCK, NO_CONNECTION };

struct hostile_case {
    const char *name;
    skypebus_result code; /* SKYPEBUS_OK: the call succeeds */
    const char *error_name;
    enum after after;
};

static const struct hostile_case CASES[] = {
    {"short-body", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"signature-mismatch", SKYPEBUS_INVALID_MESSAGE, OWN "InvalidMessage", KEPT},
    {"invalid-utf8", SKYPEBUS_INVALID_MESSAGE, OWN "InvalidMessage", KEPT},
    {"missing-nul", SKYPEBUS_INVALID_MESSAGE, OWN "InvalidMessage", KEPT},
    {"invalid-object-path", SKYPEBUS_INVALID_MESSAGE, OWN "InvalidMessage", KEPT},
    {"invalid-signature", SKYPEBUS_INVALID_MESSAGE, OWN "InvalidMessage", KEPT},
    {"arrays-too-deep", SKYPEBUS_LIMIT_EXCEEDED, OWN "LimitExceeded", KEPT},
    {"structs-too-deep", SKYPEBUS_LIMIT_EXCEEDED, OWN "LimitExceeded", KEPT},
    {"variants-too-deep", SKYPEBUS_LIMIT_EXCEEDED, OWN "LimitExceeded", KEPT},
    {"array-over-64-mib", SKYPEBUS_LIMIT_EXCEEDED, OWN "LimitExceeded", KEPT},
    {"message-over-128-mib", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"wrong-endianness", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"wrong-version", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"wrong-type", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"reply-for-no-call", SKYPEBUS_OK, NULL, KEPT},
    {"duplicate-reply", SKYPEBUS_OK, NULL, KEPT},
    {"error-without-name", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"fds-never-came", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"fd-index-out-of-range", SKYPEBUS_INVALID_MESSAGE, OWN "InvalidMessage", KEPT},
    {"half-message", SKYPEBUS_TIMEOUT, "org.freedesktop.DBus.Error.NoReply", STUCK},
    {"call-without-path", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"call-without-member", SKYPEBUS_DISCONNECTED, OWN "Disconnected", CLOSED},
    {"sasl-close", SKYPEBUS_CONNECT_FAILED, OWN "ConnectFailed", NO_CONNECTION},
    {"sasl-garbage", SKYPEBUS_CONNECT_FAILED, OWN "ConnectFailed", NO_CONNECTION},
    {"sasl-bare-newline", SKYPEBUS_CONNECT_FAILED, OWN "ConnectFailed", NO_CONNECTION},
};

/* Starts the peer of `name`; writes its address (at most `size` bytes) and returns its pid. */
static pid_t start_peer(const char *name, int tcp, char *address, size_t size) {
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", "tests/support/hostile_peer.py", name,
              tcp ? "--tcp" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    if (out == NULL || fgets(address, (int)size, out) == NULL) {
        fprintf(stderr, "the hostile peer printed no address\n");
        exit(2);
    }
    fclose(out);
    address[strcspn(address, "\n")] = '\0';
    return pid;
}

static void stop_peer(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Whether a call ends with `code` and `name` (NULL name: success). */
static int call_ends(skypebus_connection *conn, const char *req, skypebus_result code, const char *name) {
    char *reply = NULL;
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_call(conn, req, &reply, &err);
    int ok = r == code && (code == SKYPEBUS_OK ? reply != NULL && err == NULL
                                               : err != NULL && strcmp(skypebus_error_name(err), name) == 0);
    if (!ok)
        printf("# got %d %s: %s\n", r, err ? skypebus_error_name(err) : "(no error)",
               err ? skypebus_error_message(err) : (reply ? reply : ""));
    skypebus_string_free(reply);
    skypebus_error_free(err);
    return ok;
}

static void real_bus_works(const char *what) {
    skypebus_connection *conn = NULL;
    char line[400];
    snprintf(line, sizeof line, "%s: then a call on the real bus works", what);
    int ok = skypebus_connection_open_private("session", &conn, NULL) == SKYPEBUS_OK &&
             call_ends(conn, "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\","
                             "\"interface\":\"org.freedesktop.DBus\",\"method\":\"GetId\"}",
                       SKYPEBUS_OK, NULL);
    CHECK(ok, line);
    skypebus_connection_free(conn);
}

static void run(const struct hostile_case *c, int tcp) {
    char address[512], what[128], line[400];
    snprintf(what, sizeof what, "%s over %s", c->name, tcp ? "tcp (zbus' socket)" : "unix (own socket)");
    pid_t peer = start_peer(c->name, tcp, address, sizeof address);
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_connection_open_private(address, &conn, &err);
    if (c->after == NO_CONNECTION) {
        snprintf(line, sizeof line, "%s: the connect fails with %s", what, c->error_name);
        CHECK(r == c->code && err != NULL && strcmp(skypebus_error_name(err), c->error_name) == 0 &&
                  conn == NULL,
              line);
        if (err != NULL)
            printf("# %s\n", skypebus_error_message(err));
        skypebus_error_free(err);
    } else {
        CHECK(r == SKYPEBUS_OK, what);
        skypebus_error_free(err);
        snprintf(line, sizeof line, "%s: the call ends with %s", what, c->code == SKYPEBUS_OK ? "a reply" : c->error_name);
        CHECK(call_ends(conn, GO, c->code, c->error_name), line);
        static const skypebus_result next[] = {SKYPEBUS_OK, SKYPEBUS_DISCONNECTED, SKYPEBUS_TIMEOUT};
        static const char *next_name[] = {NULL, OWN "Disconnected", "org.freedesktop.DBus.Error.NoReply"};
        static const char *next_what[] = {"kept", "closed", "stuck"};
        snprintf(line, sizeof line, "%s: the connection is %s", what, next_what[c->after]);
        CHECK(call_ends(conn, GO, next[c->after], next_name[c->after]), line);
        skypebus_connection_free(conn);
    }
    stop_peer(peer);
    real_bus_works(what);
}

int main(void) {
    if (getenv("DBUS_SESSION_BUS_ADDRESS") == NULL) {
        fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        run(&CASES[i], 0);
        run(&CASES[i], 1);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
