/*
 * Unix file descriptors ("h") from C, against peers we did not write that test_fds.sh starts on
 * the private bus: dbusmock's logind template and a GDBus service in python3-gi
 * (tests/support/fd_service.py). Sends a descriptor (read back by the service), receives ones
 * (read here, then closed), runs docs/fds.md's C sample (built in from the document), checks the
 * error paths of skypebus_fd_open/_dup/_close, and that 200 received descriptors, closed, leave
 * the process's descriptor count as it was. Run under valgrind as well (no leak).
 *
 * Prints one line per check and a closing "N passed, M failed" line; exits non-zero on failure.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "skypebus.h"

#include "check.h"

#define FDS "\"destination\":\"net.skypebus.Fds\",\"path\":\"/net/skypebus/Fds\",\"interface\":\"net.skypebus.Fds\""
#define LOGIN "\"destination\":\"org.freedesktop.login1\",\"path\":\"/org/freedesktop/login1\"," \
              "\"interface\":\"org.freedesktop.login1.Manager\""

/* The calls of this program: the reply (caller frees), or NULL after printing the error. */
static char *call(skypebus_connection *conn, const char *request) {
    char *reply = NULL;
    skypebus_error *err = NULL;
    if (skypebus_call(conn, request, &reply, &err) != SKYPEBUS_OK) {
        printf("# %s failed: %s: %s\n", request, skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return NULL;
    }
    return reply;
}

/* Whether `reply` (freed here) is exactly `expected`. */
static int reply_is(char *reply, const char *expected) {
    int same = reply != NULL && strcmp(reply, expected) == 0;
    if (reply != NULL && !same)
        printf("# got %s\n", reply);
    skypebus_string_free(reply);
    return same;
}

/* Waits (up to 30 s) for a name on the bus. */
static int wait_for(skypebus_connection *conn, const char *name) {
    char request[512];
    snprintf(request, sizeof request,
             "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\","
             "\"interface\":\"org.freedesktop.DBus\",\"method\":\"NameHasOwner\",\"signature\":\"s\","
             "\"args\":[\"%s\"]}", name);
    for (int i = 0; i < 1500; i++) {
        char *reply = call(conn, request);
        int owned = reply != NULL && strstr(reply, "true") != NULL;
        skypebus_string_free(reply);
        if (owned)
            return 1;
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

static int open_descriptors(void) {
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;
    if (dir == NULL)
        return -1;
    while (readdir(dir) != NULL)
        n++;
    closedir(dir);
    return n;
}

/* The one descriptor of a reply {"type":"h","data":[N]}, or -1. */
static int reply_fd(char *reply) {
    int fd = -1;
    if (reply == NULL || sscanf(reply, "{\"type\":\"h\",\"data\":[%d]}", &fd) != 1)
        fd = -1;
    skypebus_string_free(reply);
    return fd;
}

/* What the file behind `fd` holds, from its start. */
static int holds(int fd, const char *text) {
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n < 0)
        return 0;
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

static int fails_with(skypebus_result r, skypebus_error *err, skypebus_result code) {
    int ok = r == code && err != NULL && skypebus_error_code(err) == code && skypebus_error_message(err)[0] != '\0';
    if (!ok)
        printf("# got %d %s\n", r, err != NULL ? skypebus_error_message(err) : "(no error)");
    skypebus_error_free(err);
    return ok;
}

/* docs/fds.md's C sample, as the document has it. */
static void docs_sample(skypebus_connection *conn) {
#include "fds_sample.inc"
}

int main(void) {
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address == NULL) {
        fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        return 2;
    }
    skypebus_connection *conn = NULL;
    if (skypebus_connection_open(address, &conn, NULL) != SKYPEBUS_OK)
        return 2;
    CHECK(wait_for(conn, "org.freedesktop.login1") && wait_for(conn, "net.skypebus.Fds"), "the peers are on the bus");

    /* Sending: a file opened by path; the service reads it; the descriptor stays ours. */
    char path[] = "/tmp/skypebus-test-fds-XXXXXX";
    int tmp = mkstemp(path);
    CHECK(tmp >= 0 && write(tmp, "sent from C", 11) == 11, "a temporary file");
    close(tmp);
    int fd = -1;
    skypebus_error *err = NULL;
    skypebus_result r;
    CHECK(skypebus_fd_open(path, "r", &fd, &err) == SKYPEBUS_OK && fd >= 0, "skypebus_fd_open");
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "opened close-on-exec");
    char request[512];
    snprintf(request, sizeof request, "{" FDS ",\"method\":\"ReadFd\",\"signature\":\"h\",\"args\":[%d]}", fd);
    CHECK(reply_is(call(conn, request), "{\"type\":\"s\",\"data\":[\"sent from C\"]}"), "the GDBus service reads the file sent");
    CHECK(fcntl(fd, F_GETFD) >= 0, "the sent descriptor stays the caller's");
    int copy = -1;
    CHECK(skypebus_fd_dup(fd, &copy, NULL) == SKYPEBUS_OK && copy != fd && holds(copy, "sent from C"), "skypebus_fd_dup");
    CHECK(skypebus_fd_close(copy, NULL) == SKYPEBUS_OK, "skypebus_fd_close of the copy");
    CHECK(skypebus_fd_close(fd, NULL) == SKYPEBUS_OK, "skypebus_fd_close");
    err = NULL;
    r = skypebus_fd_close(fd, &err);
    CHECK(fails_with(r, err, SKYPEBUS_TYPE_MISMATCH), "closing it again: not open");
    unlink(path);

    /* Receiving: a descriptor of the service's, ours to read and close. */
    int got = reply_fd(call(conn, "{" FDS ",\"method\":\"OpenFd\",\"signature\":\"s\",\"args\":[\"made by GDBus\"]}"));
    CHECK(got >= 0 && holds(got, "made by GDBus"), "a received descriptor holds the service's file");
    CHECK((fcntl(got, F_GETFD) & FD_CLOEXEC) != 0, "received close-on-exec");
    CHECK(close(got) == 0, "the receiver closes it");

    /* The error paths. */
    err = NULL;
    r = skypebus_fd_open(path, "r", &fd, &err);
    CHECK(fails_with(r, err, SKYPEBUS_IO_ERROR), "a missing file: SKYPEBUS_IO_ERROR");
    err = NULL;
    r = skypebus_fd_open("/dev/null", "rw", &fd, &err);
    CHECK(fails_with(r, err, SKYPEBUS_INVALID_REQUEST), "mode rw: SKYPEBUS_INVALID_REQUEST");
    err = NULL;
    r = skypebus_fd_open(NULL, "r", &fd, &err);
    CHECK(fails_with(r, err, SKYPEBUS_NULL_ARGUMENT), "NULL path");
    err = NULL;
    r = skypebus_fd_dup(0, NULL, &err);
    CHECK(fails_with(r, err, SKYPEBUS_NULL_ARGUMENT), "NULL fd_out");
    err = NULL;
    r = skypebus_fd_dup(-1, &fd, &err);
    CHECK(fails_with(r, err, SKYPEBUS_TYPE_MISMATCH), "dup of -1: not open");

    /* docs/fds.md: take a logind inhibitor and release it by closing its descriptor. */
    int before = open_descriptors();
    docs_sample(conn);
    CHECK(open_descriptors() == before, "docs/fds.md's sample closes what it received");
    int released = 0;
    for (int i = 0; i < 250 && !released; i++) {
        released = reply_is(call(conn, "{" LOGIN ",\"method\":\"ListInhibitors\"}"), "{\"type\":\"a(ssssuu)\",\"data\":[[]]}");
        if (!released) {
            struct timespec pause = {0, 20 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    CHECK(released, "the inhibitor is gone once its descriptor is closed");

    /* 200 received descriptors, each closed: none left behind. */
    before = open_descriptors();
    int all = 1;
    for (int i = 0; i < 200; i++) {
        int n = reply_fd(call(conn, "{" FDS ",\"method\":\"OpenFd\",\"signature\":\"s\",\"args\":[\"again\"]}"));
        all = all && n >= 0 && close(n) == 0;
    }
    CHECK(all && open_descriptors() == before, "200 received and closed descriptors leave the count as it was");

    skypebus_connection_free(conn);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
