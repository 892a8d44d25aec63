/*
 * Replies in SKYPEBUS_REPLY_BODY from C: packed calls (and JSON ones) to two GDBus echoes that
 * test_body.sh starts on the private bus, one answering little endian, one big endian, with the
 * values read out of the body here (ai summed in place, s compared byte for byte with the
 * request, a{sv} walked entry by entry). Builds in docs/c.md's two blocks (reading an ai reply,
 * the call with a buffer grown after big_out). Run under valgrind as well.
 *
 * Prints one line per check and a closing "N passed, M failed" line; exits non-zero on failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skypebus.h"

#include "check.h"

/* docs/c.md: sum_ai() */
#include "body_ai.inc"

#define NUMBERS "\"destination\":\"org.example.Numbers\",\"path\":\"/\",\"interface\":\"org.example.Numbers\""
#define BIG "\"destination\":\"net.skypebus.BigEndian\",\"path\":\"/\",\"interface\":\"org.example.Numbers\""

/* A reply in the body format, taken apart (pointers into the reply). */
typedef struct {
    uint32_t body_len, n_fds;
    const char *sig; /* NUL-terminated */
    const unsigned char *body;
} parsed;

/* Takes a reply apart, checking its layout (padding zero, lengths adding up); 0 if it is wrong. */
static int parse(const unsigned char *reply, size_t len, parsed *p) {
    if (len < 16) return 0;
    memcpy(&p->body_len, reply, 4);
    memcpy(&p->n_fds, reply + 4, 4);
    size_t s = reply[8], body = (9 + s + 1 + 7) & ~(size_t)7;
    p->sig = (const char *)reply + 9;
    p->body = reply + body;
    for (size_t i = 9 + s; i < body; i++)
        if (reply[i] != 0) return 0;
    size_t fds = (body + p->body_len + 3) & ~(size_t)3;
    for (size_t i = body + p->body_len; i < fds && i < len; i++)
        if (reply[i] != 0) return 0;
    return fds + 4 * (size_t)p->n_fds == len && strlen(p->sig) == s;
}

/* A reusable 8-aligned buffer, grown when a reply came in big_out. */
static uint64_t *buf;
static size_t cap;
static unsigned char *reply;
static size_t reply_len;
static unsigned char *big;

/* One packed call in the body format; the reply in `reply`/`reply_len` until the next call. */
static int packed(skypebus_connection *conn, const char *request, const void *body, size_t body_len) {
    if (big) skypebus_bytes_free(big, reply_len);
    big = NULL;
    skypebus_error *err = NULL;
    if (skypebus_call_packed_into(conn, request, body, body_len, SKYPEBUS_REPLY_BODY, (uint8_t *)buf,
                                  cap * 8, &reply_len, &big, &err) != SKYPEBUS_OK) {
        printf("# %s: %s: %s\n", request, skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return 0;
    }
    reply = big ? big : (unsigned char *)buf;
    if (big) {
        free(buf);
        cap = (reply_len + 7) / 8;
        buf = malloc(cap * 8);
        if (!buf) abort();
    }
    return 1;
}

/* Waits (up to 30 s) for a name on the bus, asking in the body format (a boolean, uint32). */
static int wait_for(skypebus_connection *conn, const char *name) {
    char request[512];
    snprintf(request, sizeof request,
             "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\","
             "\"interface\":\"org.freedesktop.DBus\",\"method\":\"NameHasOwner\",\"signature\":\"s\"}");
    unsigned char arg[128];
    uint32_t n = (uint32_t)strlen(name);
    memcpy(arg, &n, 4);
    memcpy(arg + 4, name, n + 1);
    for (int i = 0; i < 1500; i++) {
        parsed p;
        uint32_t owned = 0;
        if (packed(conn, request, arg, 4 + n + 1) && parse(reply, reply_len, &p) && strcmp(p.sig, "b") == 0)
            memcpy(&owned, p.body, 4);
        if (owned) return 1;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* The body of an ai of `n` elements 0, 1, ..., n-1, written as a program would. */
static unsigned char *ai_body(uint32_t n, size_t *len) {
    int32_t *values = malloc(n * 4 + 1);
    for (uint32_t i = 0; i < n; i++) values[i] = (int32_t)i;
    unsigned char *body = malloc(4 + n * 4);
    uint32_t bytes = n * 4;
    memcpy(body, &bytes, 4);
    memcpy(body + 4, values, n * 4);
    free(values);
    *len = 4 + n * 4;
    return body;
}

/* The sum of the int32 values of an a{sv} whose variants hold s or i; counts the strings. */
static long long walk_dict(const unsigned char *body, uint32_t body_len, int *strings) {
    uint32_t bytes;
    memcpy(&bytes, body, 4);
    size_t at = 8, end = 8 + bytes; /* entries are 8-aligned: after the length, 4 bytes of padding */
    long long sum = 0;
    if (end > body_len) return -1;
    while (at < end) {
        at = (at + 7) & ~(size_t)7;
        uint32_t key_len;
        memcpy(&key_len, body + at, 4);
        at += 4 + key_len + 1;
        size_t sig_len = body[at];
        const char *sig = (const char *)body + at + 1;
        at += 1 + sig_len + 1;
        if (sig_len == 1 && sig[0] == 'i') {
            at = (at + 3) & ~(size_t)3;
            int32_t v;
            memcpy(&v, body + at, 4);
            sum += v;
            at += 4;
        } else if (sig_len == 1 && sig[0] == 's') {
            at = (at + 3) & ~(size_t)3;
            uint32_t n;
            memcpy(&n, body + at, 4);
            at += 4 + n + 1;
            ++*strings;
        } else {
            return -1;
        }
    }
    return at == end ? sum : -1;
}

/* docs/c.md's call block, in a function of its own (the echo of an empty ai). */
static long long docs_call(skypebus_connection *conn) {
    skypebus_error *err = NULL;
    long long result = -1;
#include "body_call.inc"
    result = sum;
    return result;
}

int main(void) {
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address == NULL) {
        fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        return 2;
    }
    skypebus_connection *conn = NULL;
    if (skypebus_connection_open(address, &conn, NULL) != SKYPEBUS_OK) return 2;
    CHECK(wait_for(conn, "org.example.Numbers") && wait_for(conn, "net.skypebus.BigEndian"), "the echoes are on the bus");

    /* ai: summed in place, from both byte orders; the first reply comes in big_out (the buffer
     * is small), the next in the grown buffer. */
    size_t len;
    unsigned char *body = ai_body(100000, &len);
    const long long want = 100000LL * 99999 / 2;
    free(buf);
    buf = malloc(64);
    cap = 8;
    const char *echo_ai = "{" NUMBERS ",\"method\":\"Echo\",\"signature\":\"ai\"}";
    CHECK(packed(conn, echo_ai, body, len) && big != NULL && sum_ai(reply, reply_len) == want,
          "ai of 100000: the sum, from big_out");
    CHECK(packed(conn, echo_ai, body, len) && big == NULL && sum_ai(reply, reply_len) == want,
          "ai of 100000 again: the sum, in the grown buffer");
    parsed p;
    CHECK(parse(reply, reply_len, &p) && p.body_len == len && memcmp(p.body, body, len) == 0 && p.n_fds == 0,
          "ai: the body is the request's, byte for byte");
    CHECK(packed(conn, "{" BIG ",\"method\":\"Echo\",\"signature\":\"ai\"}", body, len) &&
              sum_ai(reply, reply_len) == want && parse(reply, reply_len, &p) && memcmp(p.body, body, len) == 0,
          "ai from a big-endian peer: rewritten little endian");
    free(body);

    /* s: the body equals the request's. */
    const char text[] = "Hello from the skypebus bench";
    unsigned char s_body[64];
    uint32_t n = sizeof text - 1;
    memcpy(s_body, &n, 4);
    memcpy(s_body + 4, text, n + 1);
    CHECK(packed(conn, "{" NUMBERS ",\"method\":\"Echo\",\"signature\":\"s\"}", s_body, 4 + n + 1) &&
              parse(reply, reply_len, &p) && strcmp(p.sig, "s") == 0 && p.body_len == 4 + n + 1 &&
              memcmp(p.body, s_body, p.body_len) == 0 && strcmp((const char *)p.body + 4, text) == 0,
          "s: the string, read in place");

    /* a{sv} from a JSON request (skypebus_call_into), walked entry by entry. */
    const char *dict = "{" BIG ",\"method\":\"Echo\",\"signature\":\"a{sv}\",\"args\":[{\"a\":\"x\",\"b\":2,"
                       "\"c\":\"yy\",\"d\":40}]}";
    size_t dict_len = 0;
    uint8_t *dict_big = NULL;
    CHECK(skypebus_call_into(conn, dict, SKYPEBUS_REPLY_BODY, (uint8_t *)buf, cap * 8, &dict_len, &dict_big, NULL) ==
                  SKYPEBUS_OK &&
              dict_big == NULL,
          "a{sv} through skypebus_call_into, in the buffer");
    int strings = 0;
    CHECK(parse((unsigned char *)buf, dict_len, &p) && strcmp(p.sig, "a{sv}") == 0 &&
              walk_dict(p.body, p.body_len, &strings) == 42 && strings == 2,
          "a{sv} from a big-endian peer: two strings, the ints sum to 42");

    /* No reply: 16 zero bytes. */
    static const unsigned char zeros[16];
    CHECK(packed(conn, "{" NUMBERS ",\"method\":\"Echo\",\"signature\":\"\",\"no_reply\":true}", NULL, 0) &&
              reply_len == 16 && memcmp(reply, zeros, 16) == 0,
          "no_reply: B = F = S = 0");

    /* A malformed request body is refused, nothing written. */
    const unsigned char bad[] = {9, 0, 0, 0, 'a', 0};
    skypebus_error *err = NULL;
    size_t untouched = 12345;
    uint8_t *none = NULL;
    CHECK(skypebus_call_packed_into(conn, "{" NUMBERS ",\"method\":\"Echo\",\"signature\":\"s\"}", (const char *)bad,
                                    sizeof bad, SKYPEBUS_REPLY_BODY, (uint8_t *)buf, cap * 8, &untouched, &none,
                                    &err) == SKYPEBUS_INVALID_REQUEST &&
              untouched == 12345,
          "a malformed packed body is refused");
    skypebus_error_free(err);

    /* docs/c.md's call. */
    CHECK(docs_call(conn) == 0, "docs/c.md: the sum of the echo of an empty ai");

    if (big) skypebus_bytes_free(big, reply_len);
    free(buf);
    skypebus_connection_free(conn);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
