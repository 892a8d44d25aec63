/*
 * The Skype helper's C ABI against the emulator, from a real C program: attach, send a chat
 * message (multi-line UTF-8), take the SENT notification, commands and Skype errors, and every
 * documented failure (Skype absent, refusal, not signed in, authorisation slower than the timeout)
 * plus the transparent re-attach after Skype restarts. Run on a private bus
 * (DBUS_SESSION_BUS_ADDRESS) by the test command, under valgrind as well. The program starts the
 * emulators itself (SKYPEBUS_EMULATOR, else target/release/skypebus-skype-emulator).
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

/* A running emulator. */
typedef struct {
    pid_t pid;
} emulator;

/* Starts the emulator on the session bus with up to four extra arguments (NULL-terminated
 * early); waits for READY. */
static emulator start_emulator(const char *a1, const char *a2, const char *a3, const char *a4) {
    const char *program = getenv("SKYPEBUS_EMULATOR");
    if (program == NULL)
        program = "target/release/skypebus-skype-emulator";
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
        execl(program, program, a1, a2, a3, a4, (char *)NULL);
        perror(program);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    if (strncmp(line, "READY ", 6) != 0) {
        fprintf(stderr, "the emulator did not start (%s): %s\n", program, line);
        exit(2);
    }
    return (emulator){pid};
}

static void stop_emulator(emulator *e) {
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        waitpid(e->pid, NULL, 0);
        e->pid = 0;
    }
}

/* Attaches and expects failure with `code` (and `name`, `skype_code` when given). */
static int attach_fails(const char *address, uint32_t timeout_ms, skypebus_result code, const char *name,
                        int64_t skype_code, const char *text) {
    skypebus_skype *skype = (skypebus_skype *)0x1; /* must stay untouched on failure */
    skypebus_error *err = NULL;
    skypebus_result r = skypebus_skype_attach(address, "c-test", 8, timeout_ms, &skype, &err);
    int ok = r == code && err != NULL && skype == (skypebus_skype *)0x1 &&
             (name == NULL || strcmp(skypebus_error_name(err), name) == 0) &&
             skypebus_error_skype_code(err) == skype_code &&
             (text == NULL || strstr(skypebus_error_message(err), text) != NULL);
    if (!ok)
        printf("# got %d %s (skype code %lld): %s\n", r, err ? skypebus_error_name(err) : "(no error)",
               err ? (long long)skypebus_error_skype_code(err) : 0LL, err ? skypebus_error_message(err) : "");
    skypebus_error_free(err);
    return ok;
}

/* Waits up to ~10 s for the notification `want`; frees the others. */
static int wait_notification(skypebus_skype *skype, const char *want) {
    for (int i = 0; i < 50; i++) {
        char *n = NULL;
        skypebus_result r = skypebus_skype_next_notification(skype, 200, &n, NULL);
        if (r == SKYPEBUS_EMPTY)
            continue;
        if (r != SKYPEBUS_OK)
            return 0;
        int found = strcmp(n, want) == 0;
        skypebus_string_free(n);
        if (found)
            return 1;
    }
    return 0;
}

/* Copies the string value of "key" from a flat JSON object into `out` (no escapes expected). */
static int json_field(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(json, pattern);
    if (p == NULL)
        return 0;
    p += strlen(pattern);
    const char *end = strchr(p, '"');
    if (end == NULL || (size_t)(end - p) >= size)
        return 0;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 1;
}

static int all_digits(const char *s) {
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int main(void) {
    if (getenv("DBUS_SESSION_BUS_ADDRESS") == NULL) {
        fprintf(stderr, "DBUS_SESSION_BUS_ADDRESS must point at a private bus\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    /* Arguments. */
    skypebus_skype *skype = NULL;
    CHECK(skypebus_skype_attach(NULL, "c", 8, 0, &skype, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL address");
    CHECK(skypebus_skype_attach("session", NULL, 8, 0, &skype, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL app name");
    CHECK(skypebus_skype_attach("session", "c", 8, 0, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL out");
    CHECK(skypebus_skype_attach("session", "", 8, 0, &skype, NULL) == SKYPEBUS_INVALID_REQUEST, "empty app name");
    CHECK(skypebus_skype_protocol(NULL) == 0, "protocol of NULL is 0");
    skypebus_skype_free(NULL);

    /* Skype absent. */
    CHECK(attach_fails("session", 5000, SKYPEBUS_DBUS_ERROR, "org.freedesktop.DBus.Error.ServiceUnknown", 0,
                       "Skype is not running"),
          "Skype absent: ServiceUnknown, \"Skype is not running\"");

    /* Attach, send, notification. */
    emulator emu = start_emulator("--first-id", "290", NULL, NULL);
    skypebus_error *err = NULL;
    CHECK(skypebus_skype_attach("session", "c-test", 0, 5000, &skype, &err) == SKYPEBUS_OK && err == NULL,
          "attach");
    CHECK(skypebus_skype_protocol(skype) == 8, "protocol 0 asks for 8");
    CHECK(wait_notification(skype, "USERSTATUS ONLINE"), "attach notifications");

    char *json = NULL;
    char chat[128] = "", message[32] = "", want[128];
    CHECK(skypebus_skype_send_chat_message(skype, "bob", "h\xc3\xa9llo\nw\xc3\xb6rld", &json, NULL) == SKYPEBUS_OK,
          "send a multi-line UTF-8 chat message");
    CHECK(json != NULL && json_field(json, "chat", chat, sizeof chat) && json_field(json, "message", message, sizeof message),
          "result JSON has chat and message");
    CHECK(strncmp(chat, "#alice/$bob;", 12) == 0 && strlen(chat) == 12 + 16, "chat id #alice/$bob;<16 hex>");
    CHECK(all_digits(message), "message id is a number");
    skypebus_string_free(json);
    snprintf(want, sizeof want, "CHATMESSAGE %s STATUS SENT", message);
    CHECK(wait_notification(skype, want), "SENT notification");

    char *reply = NULL;
    char command[160];
    snprintf(command, sizeof command, "GET CHATMESSAGE %s BODY", message);
    CHECK(skypebus_skype_command(skype, command, 0, &reply, NULL) == SKYPEBUS_OK, "GET CHATMESSAGE BODY");
    snprintf(want, sizeof want, "CHATMESSAGE %s BODY h\xc3\xa9llo\nw\xc3\xb6rld", message);
    CHECK(reply != NULL && strcmp(reply, want) == 0, "body kept byte for byte, no id prefix");
    skypebus_string_free(reply);
    reply = NULL;
    CHECK(skypebus_skype_command(skype, "PING", 1000, &reply, NULL) == SKYPEBUS_OK && strcmp(reply, "PONG") == 0, "PING");
    skypebus_string_free(reply);

    /* Skype errors. */
    reply = (char *)0x1;
    err = NULL;
    CHECK(skypebus_skype_command(skype, "FOO", 0, &reply, &err) == SKYPEBUS_SKYPE_ERROR && reply == (char *)0x1 &&
              skypebus_error_code(err) == SKYPEBUS_SKYPE_ERROR && skypebus_error_skype_code(err) == 2 &&
              strcmp(skypebus_error_message(err), "Unknown command") == 0 &&
              strcmp(skypebus_error_name(err), "net.skypebus.Error.Skype") == 0,
          "unknown command: Skype error 2 \"Unknown command\"");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_skype_command(skype, "CHATMESSAGE #alice/$nobody;0000000000000000 hi", 0, &reply, &err) ==
                  SKYPEBUS_SKYPE_ERROR &&
              skypebus_error_skype_code(err) == 510,
          "unknown chat: Skype error 510");
    skypebus_error_free(err);
    err = NULL;
    CHECK(skypebus_skype_send_chat_message(skype, "bob", "", &json, &err) == SKYPEBUS_SKYPE_ERROR &&
              skypebus_error_skype_code(err) == 43 &&
              strcmp(skypebus_error_message(err), "cannot send empty message") == 0,
          "empty message: Skype error 43");
    skypebus_error_free(err);
    CHECK(skypebus_skype_command(skype, "#1 PING", 0, &reply, NULL) == SKYPEBUS_INVALID_REQUEST, "own #n prefix refused");
    CHECK(skypebus_skype_send_chat_message(skype, "", "hi", &json, NULL) == SKYPEBUS_INVALID_REQUEST, "empty handle refused");
    CHECK(skypebus_skype_command(NULL, "PING", 0, &reply, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL skype");
    CHECK(skypebus_skype_command(skype, NULL, 0, &reply, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL command");
    CHECK(skypebus_skype_command(skype, "PING", 0, NULL, NULL) == SKYPEBUS_NULL_ARGUMENT, "NULL reply out");

    /* Nothing more to read: SKYPEBUS_EMPTY, output untouched. */
    char *n = NULL;
    while (skypebus_skype_next_notification(skype, 300, &n, NULL) == SKYPEBUS_OK) {
        skypebus_string_free(n);
        n = NULL;
    }
    n = (char *)0x1;
    err = (skypebus_error *)0x1;
    CHECK(skypebus_skype_next_notification(skype, 50, &n, &err) == SKYPEBUS_EMPTY && n == (char *)0x1 &&
              err == (skypebus_error *)0x1,
          "no notification in time: SKYPEBUS_EMPTY, *err untouched");
    err = NULL;

    /* Skype restarts between two messages: the helper attaches again by itself. */
    stop_emulator(&emu);
    err = NULL;
    json = NULL;
    CHECK(skypebus_skype_send_chat_message(skype, "bob", "while away", &json, &err) == SKYPEBUS_DBUS_ERROR &&
              strcmp(skypebus_error_name(err), "org.freedesktop.DBus.Error.ServiceUnknown") == 0,
          "Skype gone: ServiceUnknown");
    skypebus_error_free(err);
    emu = start_emulator(NULL, NULL, NULL, NULL);
    CHECK(skypebus_skype_send_chat_message(skype, "bob", "after the restart", &json, NULL) == SKYPEBUS_OK,
          "send after Skype restarted (transparent re-attach)");
    CHECK(json != NULL && json_field(json, "message", message, sizeof message), "message id after the restart");
    skypebus_string_free(json);
    snprintf(want, sizeof want, "CHATMESSAGE %s STATUS SENT", message);
    CHECK(wait_notification(skype, want), "SENT notification after the restart");
    skypebus_skype_free(skype);
    stop_emulator(&emu);

    /* Refusal, not signed in, authorisation slower than the timeout. */
    emu = start_emulator("--auth", "refuse", NULL, NULL);
    CHECK(attach_fails("session", 5000, SKYPEBUS_SKYPE_ERROR, "net.skypebus.Error.Skype", 68,
                       "access denied by the user"),
          "refused: Skype error 68");
    stop_emulator(&emu);
    emu = start_emulator("--auth", "offline", NULL, NULL);
    CHECK(attach_fails("session", 5000, SKYPEBUS_SKYPE_ERROR, "net.skypebus.Error.SkypeNotSignedIn", 0, "not signed in"),
          "not signed in: SkypeNotSignedIn");
    stop_emulator(&emu);
    emu = start_emulator("--auth", "pending", "--auth-delay-ms", "3000");
    CHECK(attach_fails("session", 300, SKYPEBUS_TIMEOUT, "org.freedesktop.DBus.Error.NoReply", 0, NULL),
          "authorisation slower than the timeout: SKYPEBUS_TIMEOUT");
    stop_emulator(&emu);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
