/*
 * The C client of the benchmarks: tight loops of skypebus_call (and of skypebus_call_many when
 * the library has it: built with -DSKYPEBUS_BENCH_CALL_MANY) over the workloads of
 * bench/README.md. Client CPU is getrusage(RUSAGE_SELF): user + system of the whole process,
 * the library's helper thread included.
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

/* One workload: the request, the reply expected (same length and type prefix; dict key order
 * may differ), and whether it is a batch of MANY calls. */
typedef struct {
    buf request, expected;
    int many;
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

/* Fills w for the workload `name`; returns 0 if this client has no such workload. */
static int make_workload(const char *name, workload *w) {
    memset(w, 0, sizeof *w);
    buf args = {0};
    const char *base = name;
    char single[64];
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, "_many") == 0) {
#ifndef SKYPEBUS_BENCH_CALL_MANY
        return 0;
#endif
        snprintf(single, sizeof single, "%.*s", (int)(n - 5), name);
        base = single;
        w->many = 1;
    }
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

/* One call (or batch); on failure writes a message to `error`. Returns the calls made, 0 on
 * failure. With `reply_out`, hands the reply over instead of freeing it. */
static long run_once(skypebus_connection *conn, const workload *w, char **reply_out, char *error, size_t cap) {
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
    if (reply_out)
        *reply_out = reply;
    else
        skypebus_string_free(reply);
    return w->many ? MANY : 1;
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
    char *reply = NULL;
    long ok = run_once(conn, &w, &reply, error, sizeof error);
    if (ok && w.expected.s) {
        size_t plen = strcspn(w.expected.s + (w.many ? 1 : 0), ",") + (w.many ? 1 : 0);
        if (strlen(reply) != w.expected.len || strncmp(reply, w.expected.s, plen) != 0) {
            snprintf(error, sizeof error, "the reply differs from the argument: %.200s", reply);
            ok = 0;
        }
    }
    skypebus_string_free(reply);
    double start = now(), warm = (seconds < 1 ? seconds : 1) / 10;
    while (ok && now() - start < warm) ok = run_once(conn, &w, NULL, error, sizeof error);
    long calls = 0, ops = 0;
    double t0 = now(), c0 = cpu();
    while (ok && (ops < 3 || now() - t0 < seconds)) {
        ok = run_once(conn, &w, NULL, error, sizeof error);
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
    free(w.request.s);
    free(w.expected.s);
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 4) {
        fprintf(stderr,
                "usage: %s <address> [<workload> <seconds> | show <workload>]\n"
                "workloads: ping echo echo_nosig echo_py dict20 ai100k ay1m struct ping_many echo_many\n",
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
        if (!run_once(conn, &w, &reply, error, sizeof error)) {
            printf("error: %s\n", error);
            return 1;
        }
        printf("reply:   %.300s%s\n", reply, strlen(reply) > 300 ? "..." : "");
        skypebus_string_free(reply);
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
    skypebus_connection_free(conn);
    return 0;
}
