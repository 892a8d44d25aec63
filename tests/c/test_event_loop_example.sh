#!/usr/bin/env bash
# Runs examples/c/event_loop.c (path given as $1, optionally under the command in $VALGRIND) on
# the private bus in DBUS_SESSION_BUS_ADDRESS with --lifecycle (cancel, fork and free with calls
# pending), then, while its poll() loop makes asynchronous calls, calls it with gdbus and sends
# it signals with dbus-send (peers we did not write). Never leaves the program running.
set -euo pipefail
program=${1:?usage: test_event_loop_example.sh path/to/event_loop}
: "${DBUS_SESSION_BUS_ADDRESS:?must point at a private bus}"
name=com.example.CLoop
path=/com/example/CLoop
log=$(mktemp)
# shellcheck disable=SC2086
${VALGRIND:-} "$program" --lifecycle >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

fails=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
wait_for() { # wait_for PATTERN: until the program printed it (60 s at most)
    for _ in $(seq 600); do grep -q "$1" "$log" && return 0; sleep 0.1; done
    echo "not ok - the program never printed [$1]"; cat "$log"; exit 1
}

timeout 90 gdbus wait --session --timeout 90 "$name"
call() { gdbus call --session --timeout 20 --dest "$name" --object-path "$path" --method "$@"; }
check "Add from gdbus while the loop makes calls" "(5,)" "$(call com.example.CLoop.Add 2 3)"
for i in 1 2 3; do dbus-send --session --type=signal /x com.example.CLoop.Note "string:n$i"; done
wait_for "signal 3"
wait_for "async: 51 calls finished"
check "every asynchronous call had a reply" "yes" "$(grep -q 'async: 51 calls finished, 51 with a reply' "$log" && echo yes || echo no)"
check "the call to ourselves, served by the same loop" "yes" "$(grep -q 'async call to ourselves: {"type":"i","data":\[42\]}' "$log" && echo yes || echo no)"
check "lifecycle checks" "yes" "$(grep -q 'lifecycle: cancel, fork and free with calls pending passed' "$log" && echo yes || echo no)"
check "Quit" "()" "$(call com.example.CLoop.Quit)"
status=0
wait "$pid" || status=$?
check "exit status" "0" "$status"
check "summary" "served 3 calls, 3 signals, 51 async calls finished" "$(grep -o 'served .* finished' "$log" || true)"
[ $fails -eq 0 ] || { cat "$log"; exit 1; }
echo "event loop example: all checks passed"
