#!/usr/bin/env bash
# The PHP package's suites: composer validate, PHPUnit (unit + integration on private buses,
# preload, Composer install), and the PHP 7.4 and 8.x syntax/unit runs through php-wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
exec php-ffi/tests/run.sh
