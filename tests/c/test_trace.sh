#!/usr/bin/env bash
# The message trace of C programs (SKYPEBUS_TRACE, docs/c.md "Tracing"): runs tests/c/test_trace.c
# (path given as $1) on the private bus in DBUS_SESSION_BUS_ADDRESS with the variable set to a
# file, to 1 (standard error), unset, and to a file that cannot be opened, and checks the lines:
# a call and its reply (by cookie), an error reply, a signal out and in, a child's call after
# fork(). Exits non-zero when a check fails.
set -euo pipefail
program=${1:?usage: test_trace.sh path/to/test_trace}
: "${DBUS_SESSION_BUS_ADDRESS:?must point at a private bus}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fails=0
check() { # check DESCRIPTION COMMAND...: the command's success
    local what=$1
    shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
has() { grep -qE -- "$1" "$2"; } # has REGEX FILE

echo "# SKYPEBUS_TRACE=<file>"
env SKYPEBUS_TRACE="$dir/trace.log" "$program" run >"$dir/out" 2>"$dir/err" || { cat "$dir/out" "$dir/err"; exit 1; }
trace=$dir/trace.log
me=$(sed -n 's/^unique //p' "$dir/out")
child=$(sed -n 's/^child //p' "$dir/out")
p='skypebus\[[0-9]+\]'
check "the call: method_call with cookie, sender, destination, path, interface, member" \
    has "^$p -> method_call cookie=[0-9]+ sender=$me destination=org\.freedesktop\.DBus path=/org/freedesktop/DBus interface=org\.freedesktop\.DBus member=GetId \[\]$" "$trace"
cookie=$(grep -oE -- "-> method_call cookie=[0-9]+ sender=$me .*member=GetId " "$trace" | grep -oE 'cookie=[0-9]+' | head -n1)
check "its reply: method_return with reply_cookie = the call's cookie ($cookie), signature and value" \
    has "^$p <- method_return cookie=[0-9]+ reply_$cookie sender=org\.freedesktop\.DBus destination=$me signature=s \[\"[0-9a-f]{32}\"\]$" "$trace"
check "the error reply: error_name and message" \
    has "^$p <- error cookie=[0-9]+ reply_cookie=[0-9]+ sender=org\.freedesktop\.DBus destination=$me error_name=org\.freedesktop\.DBus\.Error\.NameHasNoOwner signature=s \[\".*org\.example\.Nobody.*\"\]$" "$trace"
check "the match rule sent for the subscription (the library's own call)" \
    has "^$p -> method_call .* member=AddMatch signature=s \[\".*com\.example\.Trace.*\"\]$" "$trace"
check "the signal emitted" \
    has "^$p -> signal cookie=[0-9]+ sender=$me path=/com/example/Trace interface=com\.example\.Trace member=Ping signature=su \[\"hi\",7\]$" "$trace"
check "the signal received" \
    has "^$p <- signal cookie=[0-9]+ sender=$me path=/com/example/Trace interface=com\.example\.Trace member=Ping signature=su \[\"hi\",7\]$" "$trace"
check "the child after fork() traces to the same file under its own pid" \
    has "^skypebus\[$child\] -> method_call .* member=GetConnectionUnixProcessID signature=s \[\"org\.freedesktop\.DBus\"\]$" "$trace"
check "one line per message: every line is a trace line" \
    test "$(grep -cvE "^$p (->|<-) (method_call|method_return|error|signal) cookie=[0-9]+" "$trace")" = 0
check "nothing on standard error" test ! -s "$dir/err"

echo "# SKYPEBUS_TRACE=1"
env SKYPEBUS_TRACE=1 "$program" run >"$dir/out" 2>"$dir/err" || { cat "$dir/out" "$dir/err"; exit 1; }
check "the lines go to standard error" has "^$p -> method_call .* member=GetId \[\]$" "$dir/err"
check "and not to standard output" test "$(grep -c -- '-> method_call' "$dir/out")" = 0

echo "# SKYPEBUS_TRACE unset, and 0"
env -u SKYPEBUS_TRACE "$program" run >"$dir/out" 2>"$dir/err" || { cat "$dir/out" "$dir/err"; exit 1; }
check "unset: no line" test ! -s "$dir/err"
env SKYPEBUS_TRACE=0 "$program" run >"$dir/out" 2>"$dir/err" || { cat "$dir/out" "$dir/err"; exit 1; }
check "0: no line" test ! -s "$dir/err"

echo "# SKYPEBUS_TRACE=<a file that cannot be opened>"
env SKYPEBUS_TRACE="$dir/missing/trace.log" "$program" open-fails >"$dir/out" 2>&1 || { cat "$dir/out"; exit 1; }
check "opening a connection fails with a message naming the variable and the file" \
    has "^error SKYPEBUS_TRACE=$dir/missing/trace\.log: the trace file cannot be opened for appending: .*\(use 1 for standard error\)$" "$dir/out"

if [ "$fails" -ne 0 ]; then
    echo "--- $trace:"
    cat "$trace"
    exit 1
fi
echo "trace: every check passed"
