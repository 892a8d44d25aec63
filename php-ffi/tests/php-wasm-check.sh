#!/usr/bin/env bash
# The package on every PHP its constraint (>= 7.4) claims that this machine can run: real PHP
# builds compiled to WebAssembly (php-wasm from npm, without FFI) and the machine's own PHP.
#  1. PSR-12 (phpcs);
#  2. every file under php-ffi/src (and preload.php, bin/, and the classes skypebus-codegen
#     generates from tests/fixtures/introspection) parses on the local PHP and on 7.4;
#  3. the unit tests that need no FFI (excluded: group "host", child processes and FFI) run with
#     Debian's phpunit 9.6 on 7.4, 8.0, 8.1, 8.3, 8.4 and 8.5, each run first compiling every
#     class of src/ (tests/php-wasm/bootstrap.php); a deprecation, warning or notice that PHP
#     reports for a file of the package fails the run (phpunit's own, from /usr/share/php, are
#     left out: Debian's phpunit 9.6 predates PHP 8.4). 8.2 is the machine's PHP, with FFI: the
#     whole suite runs there (tests/run.sh).
# Needs: node + npm (the npm registry), Debian's phpunit. Installs the @php-wasm packages pinned
# by tests/php-wasm/package-lock.json into SKYPEBUS_PHP_WASM_DIR (default: <repo>/target/php-wasm).
# SKYPEBUS_PHP_WASM_VERSIONS="7.4 8.4" limits the unit runs to some versions.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
package=$(dirname "$here")
versions=${SKYPEBUS_PHP_WASM_VERSIONS:-7.4 8.0 8.1 8.3 8.4 8.5}
# node_modules (about 0.5 GB) lives outside the package, so that Composer path repositories
# that copy the package do not copy it: in the repository's target/, else in the cache.
if [ -f "$package/../Cargo.toml" ]; then
    default_dir="$(cd "$package/.." && pwd)/target/php-wasm"
else
    default_dir="${XDG_CACHE_HOME:-$HOME/.cache}/skypebus-php-wasm"
fi
wasm_dir="${SKYPEBUS_PHP_WASM_DIR:-$default_dir}"
cli="$wasm_dir/node_modules/.bin/php-wasm-cli"

if [ ! -x "$cli" ] || ! cmp -s "$here/php-wasm/package-lock.json" "$wasm_dir/package-lock.json"; then
    echo "== installing @php-wasm/cli and the PHP builds (tests/php-wasm/package-lock.json) into $wasm_dir"
    mkdir -p "$wasm_dir"
    cp "$here/php-wasm/package.json" "$here/php-wasm/package-lock.json" "$wasm_dir/"
    (cd "$wasm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

wasm() { # wasm VERSION ARGS...: php-wasm's PHP VERSION, in the package directory
    local version=$1
    shift
    (cd "$package" && PHP=$version "$cli" "$@")
}

# Classes skypebus-codegen writes for the dbusmock templates' XML (logind, NetworkManager,
# UPower) are checked too; inside the package, where php-wasm reads files. The unit runs' phpunit
# configuration (errors logged to a file instead of shown) is made from phpunit.xml. All removed
# at exit.
generated=tests/.generated
config=.phpunit-wasm.xml
log=tests/.php-wasm-errors.log
cleanup() { rm -rf "${package:?}/$generated" "${package:?}/$config" "${package:?}/$log"; }
cleanup
trap cleanup EXIT
php -d ffi.enable=1 "$package/bin/skypebus-codegen" --namespace Lint --out "$package/$generated" \
    "$package"/tests/fixtures/introspection/*.xml >/dev/null

files=$(cd "$package" && { find src "$generated" -name '*.php'; echo preload.php; find bin -type f; } | sort)

echo "== PSR-12 (phpcs, php-ffi/phpcs.xml; the generated classes included)"
(cd "$package" && phpcs -q --report=summary) || { echo "PSR-12 check failed: run phpcs in php-ffi (phpcbf fixes most)"; exit 1; }

echo "== lint on $(php -r 'echo PHP_VERSION;')"
for f in $files; do
    php -l "$package/$f" >/dev/null
done

echo "== lint on PHP $(wasm 7.4 -r 'echo PHP_VERSION;')"
# php-wasm's exit status is always 0: read its output instead. Eight files at a time.
results=$(cd "$package" && printf '%s\n' $files | PHP=7.4 xargs -P 8 -I{} "$cli" -l {} 2>&1 || true)
if [ "$(echo "$results" | grep -c '^No syntax errors detected')" -ne "$(echo "$files" | wc -l)" ]; then
    echo "$results" | grep -v '^No syntax errors detected'
    echo "PHP 7.4 lint failed"
    exit 1
fi
echo "   $(echo "$files" | wc -l) files parse on 7.4"

# phpunit.xml shows errors (a test that prints one is risky, which fails); here they go to $log,
# where the package's own are told apart from phpunit's.
sed -e 's|bootstrap="tests/bootstrap.php"|bootstrap="tests/php-wasm/bootstrap.php"|' \
    -e "s|<ini name=\"display_errors\" value=\"1\"/>|<ini name=\"display_errors\" value=\"0\"/><ini name=\"log_errors\" value=\"1\"/><ini name=\"error_log\" value=\"$package/$log\"/>|" \
    "$package/phpunit.xml" > "$package/$config"
grep -q 'php-wasm/bootstrap.php' "$package/$config" && grep -q 'error_log' "$package/$config" \
    || { echo "phpunit.xml changed: $config could not be made from it"; exit 1; }

for version in $versions; do
    echo "== unit tests on PHP $version (php-wasm, no FFI)"
    rm -f "$package/$log"
    out=$(wasm "$version" -d include_path=.:/usr/share/php -d error_reporting=-1 /usr/bin/phpunit -c "$config" \
          --testsuite unit --exclude-group host --colors=never --verbose 2>&1 || true)
    echo "$out" | grep -E '^(OK|Tests:|Runtime:)' | sed 's/^/   /'
    echo "$out" | grep -q '^OK' || { echo "$out"; echo "unit tests failed on PHP $version"; exit 1; }
    echo "$out" | grep -qE "Runtime: +PHP ${version//./\\.}\." || { echo "$out" | head; echo "did not run on PHP $version"; exit 1; }
    ours=$( { [ -f "$package/$log" ] && grep -E 'PHP (Deprecated|Warning|Notice|Fatal error|Parse error)' "$package/$log"; } \
            | grep -v ' in /usr/share/php/' || true)
    if [ -n "$ours" ]; then
        echo "$ours"
        echo "PHP $version reports the above for the package"
        exit 1
    fi
    echo "   no deprecation, warning or notice for the package's files"
done
