/*
 * A real C program that links libskypebus through its header and exercises success and every
 * error path of the core C ABI. Run on a private bus (DBUS_SESSION_BUS_ADDRESS) by the test
 * command, under valgrind as well.
 *
 * Prints one line per check and a closing "N passed, M failed" line; exits non-zero on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skypebus.h"

#include "check.h"

static const char *bus_address(void) {
    const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (a == NULL) {
        fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        exit(2);
    }
    return a;
}

/* Calls and expects success; returns the reply (caller frees) or NULL. */
static char *call_ok(skypebus_connection *conn, const char *req) {
    char *reply = NULL;
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_call(conn, req, &reply, &err);
    if (r != SKYPEBUS_OK) {
        printf("# call failed: %d %s: %s\n", r, skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return NULL;
    }
    return reply;
}

/* Calls and expects failure with `code` and `name`. */
static int call_fails(skypebus_connection *conn, const char *req, skypebus_result code, const char *name) {
    char *reply = (char *)0x1; /* must stay untouched on failure */
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_call(conn, req, &reply, &err);
    int ok = r == code && err != NULL && skypebus_error_code(err) == code && reply == (char *)0x1 &&
             (name == NULL || strcmp(skypebus_error_name(err), name) == 0) &&
             skypebus_error_message(err) != NULL;
    if (!ok)
        printf("# got %d %s: %s\n", r, err ? skypebus_error_name(err) : "(no error)",
               err ? skypebus_error_message(err) : "");
    skypebus_error_free(err);
    return ok;
}

#define DRIVER "\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\",\"interface\":\"org.freedesktop.DBus\""

static void test_fork(const char *address) {
    skypebus_connection *conn = NULL;
    CHECK(skypebus_connection_open(address, &conn, NULL) == SKYPEBUS_OK, "open before fork");
    char *reply = call_ok(conn, "{" DRIVER ",\"method\":\"GetId\"}");
    CHECK(reply != NULL, "parent call before fork");
    skypebus_string_free(reply);

    pid_t pid = fork();
    if (pid == 0) {
        /* Child: the parent's connection is unusable here, freeing it only leaks it, and a fresh
         * connection works. Exit code says what went wrong. */
        int code = 0;
        char *r = NULL;
        skypebus_error *err = NULL;
        if (skypebus_call(conn, "{" DRIVER ",\"method\":\"GetId\"}", &r, &err) != SKYPEBUS_DISCONNECTED)
            code |= 1;
        skypebus_error_free(err);
        skypebus_connection_free(conn); /* leaked, parent's socket untouched */
        skypebus_connection *mine = NULL;
        if (skypebus_connection_open(address, &mine, NULL) != SKYPEBUS_OK)
            code |= 2;
        else {
            char *rr = call_ok(mine, "{" DRIVER ",\"method\":\"GetId\"}");
            if (rr == NULL)
                code |= 4;
            skypebus_string_free(rr);
            skypebus_connection_free(mine);
        }
        _exit(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: parent's handle refused, own connection works");
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        printf("# child exit code %d\n", WEXITSTATUS(status));
    /* The parent's connection still works after the child freed its copy and exited. */
    reply = call_ok(conn, "{" DRIVER ",\"method\":\"GetId\"}");
    CHECK(reply != NULL, "parent call after the child exited");
    skypebus_string_free(reply);
    skypebus_connection_free(conn);
}

int main(void) {
    const char *address = bus_address();

    CHECK(skypebus_abi_version() == SKYPEBUS_ABI_VERSION, "abi version matches the header");
    CHECK(strlen(skypebus_version()) > 0, "version string");

    /* NULL handling. */
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    CHECK(skypebus_connection_open(NULL, &conn, &err) == SKYPEBUS_NULL_ARGUMENT && conn == NULL, "open(NULL)");
    CHECK(err != NULL && strcmp(skypebus_error_name(err), "net.skypebus.Error.NullArgument") == 0, "NullArgument name");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_connection_open(address, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "open(out=NULL), err=NULL");
    skypebus_connection_free(NULL);
    skypebus_error_free(NULL);
    skypebus_string_free(NULL);
    CHECK(skypebus_error_code(NULL) == SKYPEBUS_NULL_ARGUMENT && skypebus_error_name(NULL) == NULL, "accessors on NULL");

    /* Bad addresses. */
    CHECK(skypebus_connection_open("unix:path=/nonexistent/socket", &conn, &err) == SKYPEBUS_CONNECT_FAILED, "connect to a missing socket");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_connection_open("\xff\xfe", &conn, &err) == SKYPEBUS_INVALID_UTF8, "invalid UTF-8 address");
    skypebus_error_free(err);
    err = NULL;

    CHECK(skypebus_connection_open(address, &conn, &err) == SKYPEBUS_OK && conn != NULL, "open the private bus");
    if (conn == NULL) {
        printf("%d passed, %d failed\n", passed, failed + 1);
        return 1;
    }
    char *name = NULL;
    CHECK(skypebus_connection_unique_name(conn, &name, NULL) == SKYPEBUS_OK && name && name[0] == ':', "unique name");
    skypebus_string_free(name);

    /* Success paths. */
    char *reply = call_ok(conn, "{" DRIVER ",\"method\":\"GetId\"}");
    CHECK(reply && strncmp(reply, "{\"type\":\"s\",\"data\":[\"", 21) == 0, "GetId reply envelope");
    skypebus_string_free(reply);
    /* skypebus_call_bytes: a reply that is not one byte array comes as JSON, bytes NULL. */
    {
        uint8_t *bytes = (uint8_t *)1;
        size_t len = 7;
        reply = NULL;
        CHECK(skypebus_call_bytes(conn, "{" DRIVER ",\"method\":\"GetId\"}", &reply, &bytes, &len, NULL) == SKYPEBUS_OK
                  && reply && strncmp(reply, "{\"type\":\"s\",\"data\":[\"", 21) == 0 && bytes == NULL && len == 0,
              "call_bytes: a string reply comes as JSON");
        skypebus_string_free(reply);
        reply = NULL;
        CHECK(skypebus_call_bytes(conn, "{" DRIVER ",\"method\":\"GetId\"}", &reply, NULL, &len, NULL) == SKYPEBUS_NULL_ARGUMENT,
              "call_bytes: NULL bytes_out");
        CHECK(skypebus_call_bytes(conn, "{" DRIVER ",\"method\":\"GetId\"}", &reply, &bytes, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT,
              "call_bytes: NULL bytes_len_out");
        skypebus_bytes_free(NULL, 0);
    }
    /* skypebus_call_into: the reply in the caller's buffer when it fits, else in a new one. */
    {
        uint8_t buf[256];
        uint8_t *big = (uint8_t *)1;
        size_t len = 0;
        skypebus_error *err = NULL;
        const char *ping = "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\","
                           "\"interface\":\"org.freedesktop.DBus.Peer\",\"method\":\"Ping\"}";
        const char *names = "{" DRIVER ",\"method\":\"ListNames\"}";
        CHECK(skypebus_call_into(conn, ping, SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len, &big, NULL) == SKYPEBUS_OK
                  && big == NULL && len == 13 && memcmp(buf, "a:00000000:{}", 13) == 0,
              "call_into: Ping in the PHP format, in the buffer");
        CHECK(skypebus_call_into(conn, ping, SKYPEBUS_REPLY_JSON, buf, sizeof buf, &len, &big, NULL) == SKYPEBUS_OK
                  && big == NULL && len == 21 && memcmp(buf, "{\"type\":\"\",\"data\":[]}", 21) == 0,
              "call_into: Ping in the JSON format, in the buffer");
        CHECK(skypebus_call_into(conn, names, SKYPEBUS_REPLY_PHP, buf, 4, &len, &big, NULL) == SKYPEBUS_OK
                  && big != NULL && len > 4 && memcmp(big, "a:00000001:{i:0;a:", 18) == 0,
              "call_into: a reply larger than the buffer comes in a new one");
        if (big != NULL && len > 4) {
            char *text = malloc(len + 1);
            memcpy(text, big, len);
            text[len] = '\0';
            CHECK(strstr(text, "s:20:\"org.freedesktop.DBus\";") != NULL && text[len - 1] == '}',
                  "call_into: ListNames in the PHP format");
            free(text);
        }
        skypebus_bytes_free(big, len);
        big = (uint8_t *)1;
        CHECK(skypebus_call_into(conn, ping, SKYPEBUS_REPLY_PHP, NULL, 0, &len, &big, NULL) == SKYPEBUS_OK && big != NULL
                  && len == 13 && memcmp(big, "a:00000000:{}", 13) == 0,
              "call_into: no buffer at all");
        skypebus_bytes_free(big, len);
        len = 99;
        big = (uint8_t *)1;
        CHECK(skypebus_call_into(conn, ping, 7, buf, sizeof buf, &len, &big, &err) == SKYPEBUS_INVALID_REQUEST
                  && err != NULL && len == 99 && big == (uint8_t *)1,
              "call_into: an unknown format is an error that writes nothing");
        skypebus_error_free(err);
        err = NULL;
        CHECK(skypebus_call_into(conn, "{" DRIVER ",\"method\":\"Nope\"}", SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len, &big,
                                 &err) == SKYPEBUS_DBUS_ERROR
                  && err != NULL && strcmp(skypebus_error_name(err), "org.freedesktop.DBus.Error.UnknownMethod") == 0,
              "call_into: an error reply");
        skypebus_error_free(err);
        CHECK(skypebus_call_into(conn, ping, SKYPEBUS_REPLY_PHP, NULL, 8, &len, &big, NULL) == SKYPEBUS_NULL_ARGUMENT,
              "call_into: NULL buf with a capacity");
        CHECK(skypebus_call_into(conn, ping, SKYPEBUS_REPLY_PHP, buf, sizeof buf, NULL, &big, NULL) == SKYPEBUS_NULL_ARGUMENT,
              "call_into: NULL len_out");
        CHECK(skypebus_call_into(conn, ping, SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT,
              "call_into: NULL big_out");
    }
    /* skypebus_call_packed_into: the arguments as the body itself, checked before sending. */
    {
        uint8_t buf[256];
        uint8_t *big = (uint8_t *)1;
        size_t len = 0;
        skypebus_error *err = NULL;
        const char *has_owner = "{" DRIVER ",\"method\":\"NameHasOwner\",\"signature\":\"s\"}";
        /* "org.freedesktop.DBus": length 20, the bytes, NUL. */
        const char body[] = "\x14\0\0\0org.freedesktop.DBus";
        CHECK(skypebus_call_packed_into(conn, has_owner, body, sizeof body, SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len, &big,
                                        NULL) == SKYPEBUS_OK
                  && big == NULL && len == 21 && memcmp(buf, "a:00000001:{i:0;b:1;}", 21) == 0,
              "call_packed_into: NameHasOwner with a packed string");
        CHECK(skypebus_call_packed_into(conn, has_owner, body, sizeof body - 1, SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len,
                                        &big, &err) == SKYPEBUS_INVALID_REQUEST
                  && err != NULL && strstr(skypebus_error_message(err), "not a valid body") != NULL,
              "call_packed_into: a string without its NUL is refused");
        skypebus_error_free(err);
        err = NULL;
        CHECK(skypebus_call_packed_into(conn, has_owner, "\x02\0\0\0\xff\xfe", 7, SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len,
                                        &big, &err) == SKYPEBUS_INVALID_UTF8,
              "call_packed_into: a string that is not UTF-8 is refused");
        skypebus_error_free(err);
        CHECK(skypebus_call_packed_into(conn, has_owner, NULL, 4, SKYPEBUS_REPLY_PHP, buf, sizeof buf, &len, &big, NULL)
                  == SKYPEBUS_NULL_ARGUMENT,
              "call_packed_into: NULL body with a length");
        CHECK(skypebus_call_packed_into(conn, "{" DRIVER ",\"method\":\"GetId\",\"signature\":\"\"}", NULL, 0,
                                        SKYPEBUS_REPLY_JSON, buf, sizeof buf, &len, &big, NULL) == SKYPEBUS_OK
                  && big == NULL && memcmp(buf, "{\"type\":\"s\"", 11) == 0,
              "call_packed_into: no arguments, a NULL body");
    }
    reply = call_ok(conn, "{" DRIVER ",\"method\":\"RequestName\",\"signature\":\"su\",\"args\":[\"com.example.C\",4]}");
    CHECK(reply && strcmp(reply, "{\"type\":\"u\",\"data\":[1]}") == 0, "RequestName -> 1");
    skypebus_string_free(reply);
    reply = call_ok(conn, "{" DRIVER ",\"method\":\"ListNames\"}");
    CHECK(reply && strstr(reply, "\"com.example.C\"") != NULL, "ListNames has our name");
    skypebus_string_free(reply);

    /* Error paths: each class with its own code and name. */
    CHECK(call_fails(conn, "{\"destination\":\"com.example.Nobody\",\"path\":\"/\",\"method\":\"X\"}",
                     SKYPEBUS_DBUS_ERROR, "org.freedesktop.DBus.Error.ServiceUnknown"), "unknown service");
    CHECK(call_fails(conn, "{" DRIVER ",\"method\":\"Nope\"}", SKYPEBUS_DBUS_ERROR,
                     "org.freedesktop.DBus.Error.UnknownMethod"), "unknown method");
    CHECK(call_fails(conn, "{" DRIVER ",\"method\":\"GetNameOwner\",\"signature\":\"u\",\"args\":[1]}",
                     SKYPEBUS_DBUS_ERROR, "org.freedesktop.DBus.Error.InvalidArgs"), "wrong argument types");
    CHECK(call_fails(conn, "{\"path\": ", SKYPEBUS_INVALID_JSON, "net.skypebus.Error.InvalidJson"), "malformed JSON");
    CHECK(call_fails(conn, "{\"path\":\"/\",\"method\":\"X\",\"extra\":1}", SKYPEBUS_INVALID_REQUEST,
                     "net.skypebus.Error.InvalidRequest"), "unknown request key");
    CHECK(call_fails(conn, "{\"path\":7,\"method\":\"X\"}", SKYPEBUS_INVALID_REQUEST, NULL), "wrongly typed field");
    CHECK(call_fails(conn, "{" DRIVER ",\"method\":\"RequestName\",\"signature\":\"su\",\"args\":[\"a.b\",-1]}",
                     SKYPEBUS_TYPE_MISMATCH, "net.skypebus.Error.TypeMismatch"), "out of range u");
    CHECK(call_fails(conn, "{" DRIVER ",\"method\":\"GetId\",\"signature\":\"a{vs}\",\"args\":[{}]}",
                     SKYPEBUS_INVALID_SIGNATURE, "net.skypebus.Error.InvalidSignature"), "invalid signature");
    CHECK(call_fails(conn, "{\"path\":\"bad path\",\"method\":\"X\"}", SKYPEBUS_INVALID_NAME,
                     "net.skypebus.Error.InvalidName"), "invalid object path");
    CHECK(call_fails(conn, "{\"path\":\"/\",\"method\":\"\xc3\x28\"}", SKYPEBUS_INVALID_UTF8,
                     "net.skypebus.Error.InvalidUtf8"), "invalid UTF-8 request");
    CHECK(call_fails(conn, "{" DRIVER ",\"method\":\"GetNameOwner\",\"args\":[null]}", SKYPEBUS_TYPE_MISMATCH, NULL),
          "null argument value");
    CHECK(skypebus_call(conn, NULL, &reply, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL request");
    CHECK(skypebus_call(NULL, "{}", &reply, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL connection");
    CHECK(skypebus_call(conn, "{}", NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL reply out");
    CHECK(skypebus_connection_set_timeout(conn, 0, NULL) == SKYPEBUS_INVALID_REQUEST, "timeout 0 refused");
    CHECK(skypebus_connection_set_timeout(conn, 5000, NULL) == SKYPEBUS_OK, "timeout set");

    /* Sharing: the same address gives the same connection; private ones are separate. */
    skypebus_connection *again = NULL, *mine = NULL;
    char *n1 = NULL, *n2 = NULL, *n3 = NULL;
    CHECK(skypebus_connection_open(address, &again, NULL) == SKYPEBUS_OK, "open the same bus again");
    CHECK(skypebus_connection_open_private(address, &mine, NULL) == SKYPEBUS_OK, "open a private connection");
    skypebus_connection_unique_name(conn, &n1, NULL);
    skypebus_connection_unique_name(again, &n2, NULL);
    skypebus_connection_unique_name(mine, &n3, NULL);
    CHECK(n1 && n2 && n3 && strcmp(n1, n2) == 0 && strcmp(n1, n3) != 0, "shared handles share a unique name, private does not");
    CHECK(skypebus_connection_is_shared(conn) && skypebus_connection_is_shared(again) && !skypebus_connection_is_shared(mine) &&
              !skypebus_connection_is_shared(NULL),
          "is_shared");
    skypebus_string_free(n1);
    skypebus_string_free(n2);
    skypebus_string_free(n3);
    skypebus_connection_free(again); /* releases only that handle */
    reply = call_ok(conn, "{" DRIVER ",\"method\":\"GetId\"}");
    CHECK(reply != NULL, "the other handle still works after one is freed");
    skypebus_string_free(reply);
    skypebus_connection_free(mine);
    skypebus_connection_free(conn);

    test_fork(address);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
