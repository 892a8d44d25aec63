#!/usr/bin/env bash
# Every test of the PHP package, from any directory:
#   composer validate --strict; phpunit (unit + integration on private buses); the PHP 7.4 and
#   8.x check (php-wasm);
#   and a check that no test process (dbus-daemon, dbusmock, service) was left behind.
# Needs: php8.2-cli with FFI, phpunit, composer, dbus-daemon, python3-dbusmock, python3-gi,
# node + npm; and the library: cargo build --release (or SKYPEBUS_LIBRARY=/path/to/libskypebus.so).
set -euo pipefail

package=$(cd "$(dirname "$0")/.." && pwd)
repository=$(dirname "$package")

if [ -z "${SKYPEBUS_LIBRARY:-}" ] && [ ! -f "$repository/target/release/libskypebus.so" ] \
   && [ ! -f "$repository/target/debug/libskypebus.so" ]; then
    echo "== building libskypebus (cargo build --release --lib)"
    (cd "$repository" && cargo build --release --lib)
fi

echo "== composer validate --strict"
(cd "$package" && composer validate --strict --no-interaction)

echo "== phpunit (PHP $(php -r 'echo PHP_VERSION;'))"
# In the background to learn its process id: the private buses of this run are named after it.
phpunit -c "$package/phpunit.xml" --colors=never &
phpunit_pid=$!
wait "$phpunit_pid"

echo "== PHP 7.4 and 8.x (php-wasm)"
"$package/tests/php-wasm-check.sh"

left=$(pgrep -f -a "skypebus-php-test-$phpunit_pid-" || true)
if [ -n "$left" ]; then
    echo "processes left behind by the tests:"
    echo "$left"
    exit 1
fi
echo "== all PHP tests passed"
