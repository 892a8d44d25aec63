#!/usr/bin/env bash
# Runs examples/c/serve.c (path given as $1, optionally under the command in $VALGRIND) on the
# private bus in DBUS_SESSION_BUS_ADDRESS and calls it with gdbus and busctl, peers we did not
# write. Exits non-zero on the first failed check; never leaves the server running.
set -euo pipefail
server=${1:?usage: test_serve_example.sh path/to/serve}
: "${DBUS_SESSION_BUS_ADDRESS:?must point at a private bus}"
name=com.example.CServe
path=/com/example/CServe
log=$(mktemp)
# shellcheck disable=SC2086
${VALGRIND:-} "$server" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

fails=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}

timeout 60 gdbus wait --session --timeout 60 "$name"
call() { gdbus call --session --timeout 20 --dest "$name" --object-path "$path" --method "$@"; }

check "Add from gdbus" "(5,)" "$(call com.example.CServe.Add 2 3)"
check "negative values" "(-10,)" "$(call com.example.CServe.Add -- -4 -6)"
check "Hello from gdbus" "('Hello from C',)" "$(call com.example.CServe.Hello)"
check "Add from busctl" "i 42" "$(busctl --user call "$name" "$path" com.example.CServe Add ii 40 2)"
err=$(call com.example.CServe.Add 2147483647 1 2>&1 || true)
check "application error name" "yes" "$(grep -q 'com.example.CServe.Error.Overflow' <<<"$err" && echo yes || echo "$err")"
err=$(call com.example.CServe.add 1 2 2>&1 || true)
check "exact-case lookup" "yes" "$(grep -q 'org.freedesktop.DBus.Error.UnknownMethod' <<<"$err" && echo yes || echo "$err")"
check "property kept by the library (5 calls so far)" "u 5" "$(busctl --user get-property "$name" "$path" com.example.CServe Calls)"
intro=$(gdbus introspect --session --dest "$name" --object-path "$path")
check "introspection lists Add" "yes" "$(grep -q 'Add(in  i a,' <<<"$intro" && echo yes || echo "$intro")"
check "Quit" "()" "$(call com.example.CServe.Quit)"
status=0
wait "$pid" || status=$?
check "server exit status" "0" "$status"
check "server summary" "served 6 calls" "$(grep -o 'served [0-9]* calls' "$log" || cat "$log")"
[ $fails -eq 0 ] || { cat "$log"; exit 1; }
echo "example: all checks passed"
