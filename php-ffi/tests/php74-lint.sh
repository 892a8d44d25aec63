#!/usr/bin/env bash
# PHP 7.4 compatibility of the package, on a real PHP 7.4 (php-wasm from npm):
#  1. every file under php-ffi/src (and preload.php, bin/, and the classes skypebus-codegen
#     generates from tests/fixtures/introspection) parses on the local PHP and on 7.4;
#  2. the unit tests that need no FFI run on 7.4 with Debian's phpunit 9.6 (which supports 7.3+);
#     excluded: group "host" (child processes, FFI).
# Needs: node + npm (the npm registry), Debian's phpunit. Installs the @php-wasm packages pinned
# by tests/php74/package-lock.json into SKYPEBUS_PHP_WASM_DIR (default: <repo>/target/php-wasm).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
package=$(dirname "$here")
# node_modules (about 0.5 GB) lives outside the package, so that Composer path repositories
# that copy the package do not copy it: in the repository's target/, else in the cache.
if [ -f "$package/../Cargo.toml" ]; then
    default_dir="$(cd "$package/.." && pwd)/target/php-wasm"
else
    default_dir="${XDG_CACHE_HOME:-$HOME/.cache}/skypebus-php-wasm"
fi
wasm_dir="${SKYPEBUS_PHP_WASM_DIR:-$default_dir}"
cli="$wasm_dir/node_modules/.bin/php-wasm-cli"

if [ ! -x "$cli" ] || ! cmp -s "$here/php74/package-lock.json" "$wasm_dir/package-lock.json"; then
    echo "== installing @php-wasm/cli and @php-wasm/node-7-4 (tests/php74/package-lock.json) into $wasm_dir"
    mkdir -p "$wasm_dir"
    cp "$here/php74/package.json" "$here/php74/package-lock.json" "$wasm_dir/"
    (cd "$wasm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

php74() { PHP=7.4 "$cli" "$@"; }

# Classes skypebus-codegen writes for the dbusmock templates' XML (logind, NetworkManager,
# UPower) are linted too; inside the package, where php-wasm reads files, removed at exit.
generated=tests/.generated
rm -rf "${package:?}/$generated"
trap 'rm -rf "${package:?}/$generated"' EXIT
php -d ffi.enable=1 "$package/bin/skypebus-codegen" --namespace Lint --out "$package/$generated" \
    "$package"/tests/fixtures/introspection/*.xml >/dev/null

files=$(cd "$package" && { find src "$generated" -name '*.php'; echo preload.php; find bin -type f; } | sort)

echo "== PSR-12 (phpcs, php-ffi/phpcs.xml; the generated classes included)"
(cd "$package" && phpcs -q --report=summary) || { echo "PSR-12 check failed: run phpcs in php-ffi (phpcbf fixes most)"; exit 1; }

echo "== lint on $(php -r 'echo PHP_VERSION;')"
for f in $files; do
    php -l "$package/$f" >/dev/null
done

echo "== lint on PHP $(php74 -r 'echo PHP_VERSION;')"
# php-wasm's exit status is always 0: read its output instead. Eight files at a time.
results=$(cd "$package" && printf '%s\n' $files | PHP=7.4 xargs -P 8 -I{} "$cli" -l {} 2>&1 || true)
if [ "$(echo "$results" | grep -c '^No syntax errors detected')" -ne "$(echo "$files" | wc -l)" ]; then
    echo "$results" | grep -v '^No syntax errors detected'
    echo "PHP 7.4 lint failed"
    exit 1
fi
echo "   $(echo "$files" | wc -l) files parse on 7.4"

echo "== unit tests on PHP 7.4 (no FFI)"
out=$(cd "$package" && php74 -d include_path=.:/usr/share/php /usr/bin/phpunit -c phpunit.xml \
      --testsuite unit --exclude-group host --colors=never --verbose 2>&1 || true)
echo "$out" | tail -n 4
echo "$out" | grep -q '^OK' || { echo "$out"; echo "unit tests failed on PHP 7.4"; exit 1; }
echo "$out" | grep -qE 'Runtime: +PHP 7\.4' || { echo "$out" | head; echo "did not run on PHP 7.4"; exit 1; }
