/*
 * The C client of the benchmarks: tight loops over the workloads of bench/README.md on the
 * fastest C path. A single call is skypebus_call_packed_into with the body written per call by a
 * small D-Bus writer here (an int array memcpy'd behind its length, as a program would) and the
 * reply in SKYPEBUS_REPLY_BODY, read in place from a reused 8-aligned buffer (grown when a reply
 * came in big_out): every reply is walked as a program would read it (the ai elements summed,
 * the string taken, the ay length checked, the dict entries read). The *_many workloads are
 * skypebus_call_many (JSON; built with -DSKYPEBUS_BENCH_CALL_MANY when the library has it), and
 * "<workload>_json" is the JSON path of old (skypebus_call with the arguments as JSON text, ay as
 * base64). Client CPU is getrusage(RUSAGE_SELF): user + system of the whole process, the
 * library's helper thread included.
 *
 *   call_loop <address>                      the bench driver's line protocol: a {"ready": ...}
 *                                            line, then one JSON result line for each
 *                                            "<workload> <seconds>" line on stdin
 *   call_loop <address> <workload> <seconds> one measurement, one JSON line
 *   call_loop <address> show <workload>      prints the request and the first reply
 *
 * A workload may also be a request JSON text ('{...}'): that call, its reply unchecked.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "skypebus.h"

#define BENCH_PATH "/net/skypebus/Bench"
#define BENCH_IFACE "net.skypebus.Bench"
#define ZBUS_SERVICE "net.skypebus.Bench.Zbus"
#define PYTHON_SERVICE "net.skypebus.Bench.Python"
#define ECHO_TEXT "Hello from the skypebus bench"
/* Calls per skypebus_call_many in the *_many workloads. */
#define MANY 100

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) abort();
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) abort();
        b->s[b->len] = 0;
    }
}

/* Appends n bytes (grows like put). */
static void put_bytes(buf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) abort();
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
}

/* --- A small D-Bus wire writer (little endian, the body starting 8-aligned at offset 0). --- */

static void wire_pad(buf *b, size_t to) {
    static const char zeros[8];
    put_bytes(b, zeros, (to - b->len % to) % to);
}

static void wire_u32(buf *b, uint32_t v) {
    wire_pad(b, 4);
    put_bytes(b, &v, 4);
}

static void wire_string(buf *b, const char *s) {
    uint32_t n = (uint32_t)strlen(s);
    wire_u32(b, n);
    put_bytes(b, s, n + 1);
}

/* An array's length, to be patched when its elements are written: returns where it is. */
static size_t wire_array_begin(buf *b, size_t elem_align, size_t *start) {
    wire_u32(b, 0);
    size_t at = b->len - 4;
    wire_pad(b, elem_align);
    *start = b->len;
    return at;
}

static void wire_array_end(buf *b, size_t at, size_t start) {
    uint32_t n = (uint32_t)(b->len - start);
    memcpy(b->s + at, &n, 4);
}

/* The program's data of the dict workloads: keyNN, and "value NN" for even NN. */
static char dict_keys[20][8], dict_values[20][12];

static void make_dict_data(void) {
    for (int i = 0; i < 20; i++) {
        snprintf(dict_keys[i], sizeof dict_keys[i], "key%02d", i);
        snprintf(dict_values[i], sizeof dict_values[i], "value %02d", i);
    }
}

/* a{sv} with the first n entries as put_dict writes them in JSON. */
static void wire_dict(buf *b, int n) {
    size_t start, at = wire_array_begin(b, 8, &start);
    for (int i = 0; i < n; i++) {
        wire_pad(b, 8);
        wire_string(b, dict_keys[i]);
        put_bytes(b, i % 2 == 0 ? "\1s" : "\1i", 3);
        if (i % 2 == 0)
            wire_string(b, dict_values[i]);
        else
            wire_u32(b, (uint32_t)i);
    }
    wire_array_end(b, at, start);
}

/* --- Reading a body in place (little endian, 8-aligned): each reader returns a checksum of
 * what it read (the same for equal values, whatever the dict order), or -1 if the body is not
 * what it should be. --- */

typedef struct {
    const unsigned char *p;
    size_t at, end;
} reader;

static int rd_align(reader *r, size_t to) {
    r->at = (r->at + to - 1) & ~(to - 1);
    return r->at <= r->end;
}

static int rd_u32(reader *r, uint32_t *v) {
    if (!rd_align(r, 4) || r->end - r->at < 4) return 0;
    memcpy(v, r->p + r->at, 4);
    r->at += 4;
    return 1;
}

/* A string: its length (the text is at r->p + the returned offset). */
static long long rd_string(reader *r, size_t *text_at) {
    uint32_t n;
    if (!rd_u32(r, &n) || r->end - r->at < (size_t)n + 1 || r->p[r->at + n] != 0) return -1;
    *text_at = r->at;
    r->at += n + 1;
    return n;
}

/* The checksum of a string: its length and its first and last bytes. */
static long long sum_string(reader *r) {
    size_t text;
    long long n = rd_string(r, &text);
    if (n < 0) return -1;
    return n == 0 ? 1 : n * 65536 + r->p[text] * 256 + r->p[text + n - 1];
}

/* a{sv} whose variants hold s or i: every key and value read. */
static long long sum_dict(reader *r) {
    uint32_t bytes;
    if (!rd_u32(r, &bytes) || !rd_align(r, 8) || r->end - r->at < bytes) return -1;
    size_t end = r->at + bytes;
    long long sum = 0;
    while (r->at < end) {
        long long k;
        if (!rd_align(r, 8) || (k = sum_string(r)) < 0 || end - r->at < 3 || r->p[r->at] != 1 ||
            r->p[r->at + 2] != 0)
            return -1;
        sum += k;
        char type = (char)r->p[r->at + 1];
        r->at += 3;
        if (type == 's') {
            long long v = sum_string(r);
            if (v < 0) return -1;
            sum += v;
        } else if (type == 'i') {
            uint32_t v;
            if (!rd_u32(r, &v)) return -1;
            sum += (int32_t)v;
        } else {
            return -1;
        }
    }
    return r->at == end ? sum : -1;
}

static long long read_empty(reader *r) { return r->end == 0 ? 0 : -1; }

static long long read_s(reader *r) {
    long long n = sum_string(r);
    return r->at == r->end ? n : -1;
}

/* ai: the elements summed, read in place. */
static long long read_ai(reader *r) {
    uint32_t bytes;
    if (!rd_u32(r, &bytes) || bytes % 4 || r->end - r->at != bytes) return -1;
    const int32_t *v = (const int32_t *)(r->p + r->at);
    long long sum = 0;
    for (uint32_t i = 0; i < bytes / 4; i++) sum += v[i];
    return sum;
}

/* ay: its length (and where its bytes are). */
static long long read_ay(reader *r) {
    uint32_t bytes;
    if (!rd_u32(r, &bytes) || r->end - r->at != bytes) return -1;
    return bytes;
}

static long long read_dict(reader *r) {
    long long sum = sum_dict(r);
    return r->at == r->end ? sum : -1;
}

/* (sa{sv}as) */
static long long read_struct(reader *r) {
    long long name = sum_string(r), dict = name < 0 ? -1 : sum_dict(r), sum = name + dict;
    uint32_t bytes;
    if (dict < 0 || !rd_u32(r, &bytes) || r->end - r->at != bytes) return -1;
    while (r->at < r->end) {
        long long item = sum_string(r);
        if (item < 0) return -1;
        sum += item;
    }
    return sum;
}

static void put_base64(buf *b, const unsigned char *p, size_t n) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) abort();
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
        *o++ = t[v >> 18], *o++ = t[v >> 12 & 63], *o++ = t[v >> 6 & 63], *o++ = t[v & 63];
    }
    if (i < n) {
        unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0);
        *o++ = t[v >> 18], *o++ = t[v >> 12 & 63];
        *o++ = i + 1 < n ? t[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    *o = 0;
    put(b, "%s", out);
    free(out);
}

/* a{sv} with n entries: keyNN => "value NN" for even NN, NN (an int32) for odd NN. */
static void put_dict(buf *b, int n) {
    put(b, "{");
    for (int i = 0; i < n; i++) {
        if (i % 2 == 0)
            put(b, "%s\"key%02d\":\"value %02d\"", i ? "," : "", i, i);
        else
            put(b, "%s\"key%02d\":%d", i ? "," : "", i, i);
    }
    put(b, "}");
}

/* One workload: the request, the reply expected (JSON: same length and type prefix; dict key
 * order may differ), and whether it is a batch of MANY calls; or, packed, the body's signature,
 * how the body is written before every call from `data` and how a reply body is read. */
typedef struct workload {
    buf request, expected;
    int many, packed;
    const char *sig;
    buf body;
    const void *data;
    size_t data_len;
    void (*write)(const struct workload *w, buf *body);
    long long (*read)(reader *r);
    int unordered; /* the reply may order dict entries differently from the request */
} workload;

static void echo_request(buf *req, const char *dest, const char *method, const char *sig, const char *args,
                         const char *extra) {
    put(req, "{\"destination\":\"%s\",\"path\":\"" BENCH_PATH "\",\"interface\":\"" BENCH_IFACE
             "\",\"method\":\"%s\",\"signature\":\"%s\",\"args\":[%s]%s}",
        dest, method, sig, args, extra);
}

#define PING_REQUEST                                                                               \
    "{\"destination\":\"org.freedesktop.DBus\",\"path\":\"/org/freedesktop/DBus\",\"interface\":" \
    "\"org.freedesktop.DBus.Peer\",\"method\":\"Ping\",\"signature\":\"\"}"

/* Fills w for the JSON workload `base` (w->many set for a batch); returns 0 if there is none. */
static int make_json_workload(const char *name, const char *base, workload *w) {
    buf args = {0};
    if (name[0] == '{') {
        put(&w->request, "%s", name);
        return 1; /* no expected reply */
    } else if (strcmp(base, "ping") == 0) {
        put(&w->request, PING_REQUEST);
        put(&w->expected, "{\"type\":\"\",\"data\":[]}");
    } else if (strcmp(base, "echo") == 0 || strcmp(base, "echo_py") == 0) {
        const char *dest = strcmp(base, "echo") == 0 ? ZBUS_SERVICE : PYTHON_SERVICE;
        echo_request(&w->request, dest, "Echo", "s", "\"" ECHO_TEXT "\"", "");
        put(&w->expected, "{\"type\":\"s\",\"data\":[\"" ECHO_TEXT "\"]}");
    } else if (strcmp(base, "echo_nosig") == 0 && !w->many) {
        /* No signature: the library types the argument from the service's introspection data. */
        put(&w->request,
            "{\"destination\":\"%s\",\"path\":\"" BENCH_PATH "\",\"interface\":\"" BENCH_IFACE
            "\",\"method\":\"Echo\",\"args\":[\"" ECHO_TEXT "\"]}",
            ZBUS_SERVICE);
        put(&w->expected, "{\"type\":\"s\",\"data\":[\"" ECHO_TEXT "\"]}");
    } else if (strcmp(base, "dict20") == 0 && !w->many) {
        put_dict(&args, 20);
        echo_request(&w->request, ZBUS_SERVICE, "EchoDict", "a{sv}", args.s, "");
        put(&w->expected, "{\"type\":\"a{sv}\",\"data\":[%s]}", args.s);
    } else if (strcmp(base, "ai100k") == 0 && !w->many) {
        put(&args, "[");
        for (int i = 0; i < 100000; i++) put(&args, i ? ",%d" : "%d", i);
        put(&args, "]");
        echo_request(&w->request, ZBUS_SERVICE, "EchoAi", "ai", args.s, "");
        put(&w->expected, "{\"type\":\"ai\",\"data\":[%s]}", args.s);
    } else if (strcmp(base, "ay1m") == 0 && !w->many) {
        /* Bytes both ways as base64: the typed form in, "bytes": "base64" out. */
        size_t len = 1 << 20;
        unsigned char *bytes = malloc(len);
        if (!bytes) abort();
        for (size_t i = 0; i < len; i++) bytes[i] = (unsigned char)(i % 256);
        buf b64 = {0};
        put_base64(&b64, bytes, len);
        free(bytes);
        put(&args, "{\"type\":\"ay\",\"data\":\"%s\"}", b64.s);
        echo_request(&w->request, ZBUS_SERVICE, "EchoAy", "ay", args.s, ",\"bytes\":\"base64\"");
        put(&w->expected, "{\"type\":\"ay\",\"data\":[\"%s\"]}", b64.s);
        free(b64.s);
    } else if (strcmp(base, "struct") == 0 && !w->many) {
        put(&args, "[\"bench-struct\",");
        put_dict(&args, 5);
        put(&args, ",[");
        for (int i = 0; i < 10; i++) put(&args, i ? ",\"item%d\"" : "\"item%d\"", i);
        put(&args, "]]");
        echo_request(&w->request, ZBUS_SERVICE, "EchoStruct", "(sa{sv}as)", args.s, "");
        put(&w->expected, "{\"type\":\"(sa{sv}as)\",\"data\":[%s]}", args.s);
    } else {
        return 0;
    }
    free(args.s);
    if (w->many) {
        /* A JSON array of MANY copies of the request; results: an array of MANY replies. */
        buf req = {0}, exp = {0};
        put(&req, "[");
        put(&exp, "[");
        for (int i = 0; i < MANY; i++) {
            put(&req, "%s%s", i ? "," : "", w->request.s);
            put(&exp, "%s%s", i ? "," : "", w->expected.s);
        }
        put(&req, "]");
        put(&exp, "]");
        free(w->request.s);
        free(w->expected.s);
        w->request = req;
        w->expected = exp;
    }
    return 1;
}

static void write_empty(const workload *w, buf *body) { (void)w, (void)body; }

static void write_string(const workload *w, buf *body) { wire_string(body, w->data); }

/* ai, ay: the length, then the elements memcpy'd from the program's array. */
static void write_array(const workload *w, buf *body) {
    wire_u32(body, (uint32_t)w->data_len);
    put_bytes(body, w->data, w->data_len);
}

static void write_dict20(const workload *w, buf *body) {
    (void)w;
    wire_dict(body, 20);
}

static void write_struct(const workload *w, buf *body) {
    (void)w;
    wire_string(body, "bench-struct");
    wire_dict(body, 5);
    static const char *const items[] = {"item0", "item1", "item2", "item3", "item4",
                                        "item5", "item6", "item7", "item8", "item9"};
    size_t start, at = wire_array_begin(body, 4, &start);
    for (int i = 0; i < 10; i++) wire_string(body, items[i]);
    wire_array_end(body, at, start);
}

/* Fills w for the packed workload `base`; returns 0 if there is none. */
static int make_packed_workload(const char *base, workload *w) {
    const char *dest = ZBUS_SERVICE, *method;
    make_dict_data();
    if (strcmp(base, "ping") == 0) {
        put(&w->request, PING_REQUEST);
        w->sig = "", w->write = write_empty, w->read = read_empty, w->packed = 1;
        return 1;
    } else if (strcmp(base, "echo") == 0 || strcmp(base, "echo_py") == 0) {
        dest = strcmp(base, "echo") == 0 ? ZBUS_SERVICE : PYTHON_SERVICE;
        method = "Echo", w->sig = "s", w->write = write_string, w->read = read_s;
        w->data = ECHO_TEXT;
    } else if (strcmp(base, "dict20") == 0) {
        method = "EchoDict", w->sig = "a{sv}", w->write = write_dict20, w->read = read_dict;
        w->unordered = 1;
    } else if (strcmp(base, "struct") == 0) {
        method = "EchoStruct", w->sig = "(sa{sv}as)", w->write = write_struct, w->read = read_struct;
        w->unordered = 1;
    } else if (strcmp(base, "ai100k") == 0) {
        int32_t *ints = malloc(100000 * sizeof *ints);
        if (!ints) abort();
        for (int i = 0; i < 100000; i++) ints[i] = i;
        method = "EchoAi", w->sig = "ai", w->write = write_array, w->read = read_ai;
        w->data = ints, w->data_len = 100000 * sizeof *ints;
    } else if (strcmp(base, "ay1m") == 0) {
        size_t len = 1 << 20;
        unsigned char *bytes = malloc(len);
        if (!bytes) abort();
        for (size_t i = 0; i < len; i++) bytes[i] = (unsigned char)(i % 256);
        method = "EchoAy", w->sig = "ay", w->write = write_array, w->read = read_ay;
        w->data = bytes, w->data_len = len;
    } else {
        return 0;
    }
    put(&w->request,
        "{\"destination\":\"%s\",\"path\":\"" BENCH_PATH "\",\"interface\":\"" BENCH_IFACE
        "\",\"method\":\"%s\",\"signature\":\"%s\"}",
        dest, method, w->sig);
    w->packed = 1;
    return 1;
}

/* Fills w for the workload `name`: "<base>_many" (skypebus_call_many), "<base>_json" (the JSON
 * path), a request JSON text, or a packed call; returns 0 if this client has no such workload. */
static int make_workload(const char *name, workload *w) {
    memset(w, 0, sizeof *w);
    char base[64];
    size_t n = strlen(name);
    if (name[0] == '{') return make_json_workload(name, name, w);
    if (n > 5 && n < sizeof base && strcmp(name + n - 5, "_many") == 0) {
#ifndef SKYPEBUS_BENCH_CALL_MANY
        return 0;
#endif
        snprintf(base, sizeof base, "%.*s", (int)(n - 5), name);
        w->many = 1;
        return make_json_workload(name, base, w);
    }
    if (n > 5 && n < sizeof base && strcmp(name + n - 5, "_json") == 0) {
        snprintf(base, sizeof base, "%.*s", (int)(n - 5), name);
        return make_json_workload(name, base, w);
    }
    return make_packed_workload(name, w) || make_json_workload(name, name, w);
}

static void free_workload(workload *w) {
    free(w->request.s);
    free(w->expected.s);
    free(w->body.s);
    if (w->write == write_array) free((void *)w->data);
}

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

/* The reply buffer of packed calls: 8-aligned, grown when a reply comes in big_out. */
static uint64_t *reply_buf;
static size_t reply_cap;
/* What the loop read of every reply, so that reading it is not optimized away. */
static volatile long long consumed;

/* Takes a reply in SKYPEBUS_REPLY_BODY apart: a reader over its body, if the header is right
 * (signature `sig`, no descriptors). */
static int body_reader(const unsigned char *reply, size_t len, const char *sig, reader *r) {
    uint32_t body_len, fds;
    if (len < 16) return 0;
    memcpy(&body_len, reply, 4);
    memcpy(&fds, reply + 4, 4);
    size_t s = reply[8], at = (9 + s + 1 + 7) & ~(size_t)7;
    if (fds != 0 || s != strlen(sig) || memcmp(reply + 9, sig, s) != 0 || at + body_len > len) return 0;
    r->p = reply + at, r->at = 0, r->end = body_len;
    return 1;
}

/* Whether a packed call's reply body is what the request body gives back: byte for byte, or
 * (dict order may differ, and with it the padding after the last entry) read the same. */
static int same_body(const workload *w, const reader *got) {
    if (!w->unordered) return got->end == w->body.len && memcmp(got->p, w->body.s, w->body.len) == 0;
    reader sent = {(const unsigned char *)w->body.s, 0, w->body.len}, again = *got;
    return got->end + 8 > w->body.len && w->body.len + 8 > got->end && w->read(&sent) == w->read(&again);
}

/* One packed call: the body written, the reply read (and with `check`, compared with the
 * request). */
static long run_packed(skypebus_connection *conn, workload *w, int check, char *error, size_t cap) {
    w->body.len = 0;
    w->write(w, &w->body);
    size_t len = 0;
    uint8_t *big = NULL;
    skypebus_error *err = NULL;
    if (skypebus_call_packed_into(conn, w->request.s, w->body.s, w->body.len, SKYPEBUS_REPLY_BODY,
                                  (uint8_t *)reply_buf, reply_cap, &len, &big, &err) != SKYPEBUS_OK) {
        snprintf(error, cap, "%s: %s", skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return 0;
    }
    reader r;
    int ok = body_reader(big ? big : (const unsigned char *)reply_buf, len, w->sig, &r);
    long long value = ok ? w->read(&r) : -1;
    ok = value >= 0 && (!check || same_body(w, &(reader){r.p, 0, r.end}));
    if (!ok) snprintf(error, cap, "the reply (%zu bytes, signature %s) differs from the argument", len, w->sig);
    consumed += value;
    if (big) {
        skypebus_bytes_free(big, len);
        free(reply_buf);
        reply_cap = (len + 7) & ~(size_t)7;
        reply_buf = malloc(reply_cap);
        if (!reply_buf) abort();
    }
    return ok;
}

/* One call (or batch); on failure writes a message to `error`. Returns the calls made, 0 on
 * failure. With `check`, the reply is compared with what the workload expects; with
 * `reply_out` (JSON only), the reply is handed over instead of freed. */
static long run_once(skypebus_connection *conn, workload *w, int check, char **reply_out, char *error, size_t cap) {
    if (w->packed) return run_packed(conn, w, check, error, cap);
    char *reply = NULL;
    skypebus_error *err = NULL;
    skypebus_result r;
#ifdef SKYPEBUS_BENCH_CALL_MANY
    if (w->many)
        r = skypebus_call_many(conn, w->request.s, &reply, &err);
    else
#endif
        r = skypebus_call(conn, w->request.s, &reply, &err);
    if (r != SKYPEBUS_OK) {
        snprintf(error, cap, "%s: %s", skypebus_error_name(err), skypebus_error_message(err));
        skypebus_error_free(err);
        return 0;
    }
    long ok = w->many ? MANY : 1;
    if (check && w->expected.s) {
        size_t plen = strcspn(w->expected.s + (w->many ? 1 : 0), ",") + (w->many ? 1 : 0);
        if (strlen(reply) != w->expected.len || strncmp(reply, w->expected.s, plen) != 0) {
            snprintf(error, cap, "the reply differs from the argument: %.200s", reply);
            ok = 0;
        }
    }
    if (reply_out)
        *reply_out = reply;
    else
        skypebus_string_free(reply);
    return ok;
}

/* Writes the JSON result line of one measurement to `out`. */
static void measure(skypebus_connection *conn, const char *name, double seconds, FILE *out) {
    const char *label = name[0] == '{' ? "request" : name;
    workload w;
    char error[1024] = "";
    if (!make_workload(name, &w)) {
        fprintf(out, "{\"workload\":\"%s\",\"skip\":\"not a workload of this client%s\"}\n", name,
                strstr(name, "_many") ? " (the library has no skypebus_call_many)" : "");
        return;
    }
    /* Warm-up; its first reply is checked. */
    long ok = run_once(conn, &w, 1, NULL, error, sizeof error);
    double start = now(), warm = (seconds < 1 ? seconds : 1) / 10;
    while (ok && now() - start < warm) ok = run_once(conn, &w, 0, NULL, error, sizeof error);
    long calls = 0, ops = 0;
    double t0 = now(), c0 = cpu();
    while (ok && (ops < 3 || now() - t0 < seconds)) {
        ok = run_once(conn, &w, 0, NULL, error, sizeof error);
        calls += ok;
        ops++;
    }
    double dt = now() - t0, dc = cpu() - c0;
    if (!ok) {
        for (char *p = error; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = ' ';
        fprintf(out, "{\"workload\":\"%s\",\"error\":\"%s\"}\n", label, error);
    } else {
        fprintf(out, "{\"workload\":\"%s\",\"calls\":%ld,\"seconds\":%.6f,\"cpu_seconds\":%.6f}\n", label, calls,
                dt, dc);
    }
    fflush(out);
    free_workload(&w);
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 4) {
        fprintf(stderr,
                "usage: %s <address> [<workload> <seconds> | show <workload>]\n"
                "workloads: ping echo echo_nosig echo_py dict20 ai100k ay1m struct ping_many echo_many,\n"
                "and <workload>_json for the JSON path of the single-call ones\n",
                argv[0]);
        return 2;
    }
    skypebus_connection *conn = NULL;
    skypebus_error *err = NULL;
    if (skypebus_connection_open(argv[1], &conn, &err) != SKYPEBUS_OK) {
        fprintf(stderr, "open: %s\n", skypebus_error_message(err));
        skypebus_error_free(err);
        return 1;
    }
    if (argc == 4 && strcmp(argv[2], "show") == 0) {
        workload w;
        char error[1024] = "", *reply = NULL;
        if (!make_workload(argv[3], &w)) return 2;
        printf("request: %.300s%s\n", w.request.s, w.request.len > 300 ? "..." : "");
        if (!run_once(conn, &w, 1, w.packed ? NULL : &reply, error, sizeof error)) {
            printf("error: %s\n", error);
            return 1;
        }
        if (w.packed)
            printf("packed:  body of %zu bytes, signature \"%s\"; the reply's body equals it\n", w.body.len, w.sig);
        else
            printf("reply:   %.300s%s\n", reply, strlen(reply) > 300 ? "..." : "");
        skypebus_string_free(reply);
        free_workload(&w);
    } else if (argc == 4) {
        measure(conn, argv[2], atof(argv[3]), stdout);
    } else {
        printf("{\"ready\":true,\"version\":\"%s\",\"call_many\":%s,\"drive\":\"%s\"}\n", skypebus_version(),
#ifdef SKYPEBUS_BENCH_CALL_MANY
               "true",
#else
               "false",
#endif
               getenv("SKYPEBUS_DRIVE") ? getenv("SKYPEBUS_DRIVE") : "default");
        fflush(stdout);
        char line[256], name[64];
        double seconds;
        while (fgets(line, sizeof line, stdin))
            if (sscanf(line, "%63s %lf", name, &seconds) == 2) measure(conn, name, seconds, stdout);
    }
    free(reply_buf);
    skypebus_connection_free(conn);
    return 0;
}
