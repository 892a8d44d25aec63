#!/usr/bin/env bash
# The main demo (`make demo`): a private session bus, the Skype API emulator on it, and
# examples/php/demo.php, which sends a Skype chat message from PHP with the one-call function,
# shows what Skype saw and the SENT notification, then makes generic calls to the bus itself.
# Never touches the machine's own buses; every process it starts is gone when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."

release=target/release
if [ ! -f "$release/libskypebus.so" ] || [ ! -x "$release/skypebus-skype-emulator" ]; then
  make build
fi
# The package's Composer autoloader (classes by PSR-4, skype_send_chat_message() by "files"),
# generated offline from php-ffi/composer.json into target/, so the checkout stays as it is.
autoload_dir="$PWD/target/demo-vendor"
(cd php-ffi && COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_VENDOR_DIR="$autoload_dir" \
  composer dump-autoload --quiet --no-interaction)

work=$(mktemp -d /tmp/skypebus-demo.XXXXXX)
bus_pid="" emulator_pid=""
cleanup() {
  local status=$?
  for pid in $emulator_pid $bus_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # Every process of the demo has $work on its command line.
  if left=$(pgrep -a -f "$work"); then
    echo "processes left behind:" >&2
    echo "$left" >&2
    status=1
  else
    echo "(private bus and emulator stopped; pgrep finds nothing left behind)"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private session bus (tests/support/bus.conf) listening in the work directory.
dbus-daemon --config-file=tests/support/bus.conf --address="unix:path=$work/bus" \
  --nofork --print-address=3 3>"$work/address" 2>"$work/dbus-daemon.log" &
bus_pid=$!
for _ in $(seq 200); do [ -s "$work/address" ] && break; sleep 0.05; done
address=$(head -n 1 "$work/address")
[ -n "$address" ] || { echo "dbus-daemon did not start:" >&2; cat "$work/dbus-daemon.log" >&2; exit 1; }

# The Skype emulator on it, with a transcript of everything it receives and sends.
"$release/skypebus-skype-emulator" --address "$address" --transcript "$work/skype-transcript.log" \
  --ready-file "$work/ready" >/dev/null &
emulator_pid=$!
for _ in $(seq 200); do [ -s "$work/ready" ] && break; sleep 0.05; done
[ -s "$work/ready" ] || { echo "the Skype emulator did not start" >&2; exit 1; }

echo "private session bus: $address"
echo "Skype emulator:      $(cat "$work/ready") (owns com.Skype.API)"

DBUS_SESSION_BUS_ADDRESS="$address" SKYPE_TRANSCRIPT="$work/skype-transcript.log" \
  SKYPEBUS_AUTOLOAD="$autoload_dir/autoload.php" php -d ffi.enable=1 examples/php/demo.php
