#!/usr/bin/env bash
# The installation tests of tests/dist/run.sh (sections 5 and 6), as root: make install into
# /usr/local as docs/installing.md says, then make deb and the Debian packages, installed with
# dpkg and with apt as the docs say, used from C through pkg-config, from PHP through
# /usr/share/php/SkypeBus/autoload.php alone, by the packaged emulator and by a scratch Composer
# project outside the repository without SKYPEBUS_LIBRARY; then purged, leaving nothing.
#
# run.sh runs it through tests/dist/isolated.sh (throwaway /usr, /etc, /var); it also works on a
# machine itself, and then removes whatever of ours is installed when it exits, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d /tmp/skypebus-dist-system.XXXXXX)
# shellcheck source=tests/dist/lib.sh
. tests/dist/lib.sh
libdir=/usr/lib/$multiarch
remove_ours() {
    for p in "${packages[@]}"; do
        if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[a-z][^n]'; then
            dpkg --purge "$p" >/dev/null 2>&1 || true
        fi
    done
    make --no-print-directory -s uninstall >/dev/null 2>&1 || true
}
cleanup() {
    remove_ours
    rm -rf "$scratch"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ]; then
    echo "FAILED: $0 installs packages: run it as root (make test does on CI)" >&2
    exit 1
fi
# What an earlier, interrupted run on this machine left (this repository's own files) goes first.
# apt asks before it removes packages; the documented apt lines run as written, apt configured to
# answer yes as the user would.
printf 'APT::Get::Assume-Yes "true";\n' > "$scratch/apt.conf"
export APT_CONFIG=$scratch/apt.conf DEBIAN_FRONTEND=noninteractive
if [ -n "$(installed_state)" ]; then
    echo "   removing skypebus installed before: $(installed_state | tr '\n' ' ')"
    remove_ours
fi

# --- 5. make install into the system, as docs/installing.md says -------------------------------
echo "== make install (PREFIX=/usr/local), docs/installing.md (at ${SECONDS}s)"
c_dir=$scratch/c-usr-local
mkdir -p "$c_dir"
printf '%s' "$hello_c" > "$c_dir/hello.c"
check "docs/installing.md: make build; make install" run_block docs/installing.md make-install "$repo"
check "the library is on the linker path" bash -c "ldconfig -p | grep -q '^\s*libskypebus.so.$abi .*=> /usr/local/lib/libskypebus.so.$abi$'"
if run_block docs/installing.md pkg-config-static "$c_dir"; then
    out=$(on_bus "$c_dir/hello")
    if hello_ok "$out"; then ok "docs/installing.md: the program built with pkg-config"; else fail "hello printed: $out"; fi
    out=$(on_bus "$c_dir/hello-static")
    if hello_ok "$out"; then ok "docs/installing.md: the program linked statically"; else fail "hello-static printed: $out"; fi
    check "the statically linked program needs no libskypebus" \
        bash -c "! readelf -d '$c_dir/hello-static' | grep -q 'NEEDED.*libskypebus'"
else
    fail "docs/installing.md: the pkg-config build commands failed"
fi
check "docs/installing.md: make uninstall" run_block docs/installing.md make-uninstall "$repo"
same "files left in /usr/local" "" "$(find /usr/local -name '*skypebus*' 2>/dev/null)"
check "the linker cache forgot it" bash -c "! ldconfig -p | grep -q libskypebus"

# --- 6. the Debian packages --------------------------------------------------------------------
echo "== Debian packages (at ${SECONDS}s)"
check "docs/installing.md: make deb" run_block docs/installing.md make-deb "$repo"
debs=()
for p in "${packages[@]}"; do
    a=$arch
    [ "$p" = php-skypebus ] && a=all
    f=target/debian/${p}_${version}_$a.deb
    if [ -f "$f" ]; then debs+=("$f"); else fail "make deb made no $f"; fi
done
same "packages in target/debian" "${#packages[@]}" "$(find target/debian -name '*.deb' | wc -l)"
for f in "${debs[@]}"; do
    same "version of $(basename "$f")" "$version" "$(dpkg-deb -f "$f" Version)"
done
same "libskypebus-dev depends on" "libskypebus$abi (= $version)" "$(dpkg-deb -f target/debian/libskypebus-dev_"${version}"_"$arch".deb Depends)"
check "php-skypebus depends on the runtime package and php-cli" \
    bash -c "dpkg-deb -f target/debian/php-skypebus_${version}_all.deb Depends | grep -qx 'libskypebus$abi (>= $version), php-cli'"
check "libskypebus$abi declares its shlibs and the ldconfig trigger" bash -c \
    "dpkg-deb -I target/debian/libskypebus${abi}_${version}_$arch.deb shlibs | grep -qx 'libskypebus $abi libskypebus$abi (>= $version)' &&
     dpkg-deb -I target/debian/libskypebus${abi}_${version}_$arch.deb triggers | grep -qx 'activate-noawait ldconfig'"
same "functions in the symbols file of libskypebus$abi" \
    "$(nm -D --defined-only target/release/libskypebus.so | awk '$2 == "T"' | wc -l)" \
    "$(dpkg-deb -I "target/debian/libskypebus${abi}_${version}_$arch.deb" symbols | grep -c '@Base ')"
# lintian (--no-cfg: the machine's settings do not matter); root is fine for a test.
if lint=$(lintian --no-cfg --fail-on error,warning "${debs[@]}" 2>&1); then
    lint=$(echo "$lint" | grep -v '^running with root privileges' || true)
    ok "lintian: no errors or warnings${lint:+ ($(echo "$lint" | wc -l) other tags)}"
    [ -z "$lint" ] || echo "$lint" | sed 's/^/   /'
else
    fail "lintian: $lint"
fi

check "dpkg -i of every package" quiet dpkg -i "${debs[@]}"
echo "   the installed packages:"
for p in "${packages[@]}"; do
    echo "   $p ($(dpkg-query -W -f='${Installed-Size}' "$p") KiB):"
    dpkg -L "$p" | while read -r f; do
        if [ -L "$f" ]; then echo "     $f -> $(readlink "$f")";
        elif [ -f "$f" ]; then echo "     $f ($(stat -c %s "$f") bytes)"; fi
    done
done
check "libskypebus.so.$abi is on the linker path" bash -c "ldconfig -p | grep -Eq '^\s*libskypebus.so.$abi .*=> (/usr)?/lib/$multiarch/libskypebus.so.$abi$'"
same "pkg-config --modversion skypebus" "$version" "$(pkg-config --modversion skypebus)"
id=$(build_id "$libdir/$sofile")
check "the -dbgsym package has the library's debug info by build id" \
    test -f "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
deb_c=$scratch/c-deb
mkdir -p "$deb_c"
printf '%s' "$hello_c" > "$deb_c/hello.c"
block docs/c.md c-makefile > "$deb_c/Makefile"
for how in c-pkg-config c-makefile; do
    rm -f "$deb_c/hello"
    if [ $how = c-pkg-config ]; then run_block docs/c.md c-pkg-config "$deb_c"; else make -s -C "$deb_c" hello >/dev/null; fi &&
        out=$(on_bus "$deb_c/hello") && hello_ok "$out" &&
        ok "docs/c.md ($how): the program against the Debian packages" ||
        fail "docs/c.md ($how) against the Debian packages: ${out:-does not build}"
done
# The PHP package alone: its autoloader, the library from the linker path, outside the repository.
php_dir=$scratch/php-deb
mkdir -p "$php_dir"
block docs/installing.md debian-php > "$php_dir/script.php"
out=$(cd "$php_dir" && on_bus php script.php 2>&1) || true
if [[ "$out" =~ ^"libskypebus $version from libskypebus.so.$abi"$'\n'"Bus id: "[0-9a-f]{32}$ ]]; then
    ok "docs/installing.md: the PHP script with only SkypeBus/autoload.php"
else
    fail "the PHP script with SkypeBus/autoload.php printed: $out"
fi
# The emulator of its package, answering the Skype helper of the PHP package.
out=$(cd "$php_dir" && on_bus bash -c '
    skypebus-skype-emulator --exit-when-idle-ms 10000 --ready-file ready >/dev/null & emulator=$!
    for _ in $(seq 100); do [ -s ready ] && break; sleep 0.05; done
    php -r "require_once \"SkypeBus/autoload.php\"; echo SkypeBus\\skype_send_chat_message(\"bob\", \"Hello from the packages\");"
    status=$?; kill -TERM $emulator; wait $emulator; exit $status' 2>&1) || true
if [[ "$out" =~ ^[0-9]+$ ]]; then ok "the packaged emulator answers the packaged PHP Skype helper (message $out)"; else fail "emulator + PHP: $out"; fi
check "the emulator's manual page" test -f /usr/share/man/man1/skypebus-skype-emulator.1.gz
# A Composer project outside the repository, the package exported alone: the library comes from
# the linker path (no SKYPEBUS_LIBRARY, no repository build to find).
export_dir=$scratch/export/php-ffi
mkdir -p "$export_dir"
git ls-files -co --exclude-standard -z php-ffi | tar -c --null --ignore-failed-read -T - 2>/dev/null |
    tar -x -C "$scratch/export"
project=$scratch/composer-deb
composer_project "$project"
if (cd "$project" && "${composer_env[@]}" composer config repositories.skypebus path "$export_dir" &&
        "${composer_env[@]}" composer require -q --no-progress skypebus/skypebus:^0.1@dev) > "$project.log" 2>&1; then
    printf '%s' "$readme_example" > "$project/example.php"
    printf '<?php\nrequire __DIR__ . "/vendor/autoload.php";\n$bus = SkypeBus\\Bus::session();\necho SkypeBus\\Library::origin(), "\\n";\n' \
        > "$project/origin.php"
    out=$(cd "$project" && on_bus php example.php 2>&1) || true
    if example_ok "$out"; then ok "a Composer project outside the repository runs the README example"; else fail "Composer project: $out"; fi
    same "the Composer project's library" "libskypebus.so.$abi" "$(cd "$project" && on_bus php origin.php 2>&1)"
else
    fail "composer require in a project outside the repository: $(cat "$project.log")"
fi

files=$(for p in "${packages[@]}"; do dpkg -L "$p"; done | sort -u)
check "dpkg --purge of every package" quiet dpkg --purge "${packages[@]}"
left=$(while read -r f; do
    # Directories other packages share (/usr, /usr/share/php, ...) may stay; ours must not.
    if [ -L "$f" ] || [ -f "$f" ]; then echo "$f";
    elif [ -d "$f" ] && [[ "$f" == *skypebus* || "$f" == *SkypeBus* ]]; then echo "$f"; fi
done <<< "$files")
same "files left by the purged packages" "" "$left"
same "packages left" "" "$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null)"
check "the linker cache forgot the library" bash -c "! ldconfig -p | grep -q libskypebus"
check "pkg-config forgot skypebus" bash -c "! pkg-config --exists skypebus"

# The documented apt lines, as written (apt resolves the dependencies; nothing is missing here).
if passes "docs/installing.md: apt install" run_block docs/installing.md apt-install "$repo"; then
    rm -f "$deb_c/hello"
    out=$(on_bus bash -euo pipefail -c "cd '$deb_c' && $(block docs/installing.md pkg-config-build)" 2>&1) || true
    if hello_ok "$out"; then ok "docs/installing.md: the C program through pkg-config"; else fail "docs/installing.md: cc; ./hello: $out"; fi
    check "docs/installing.md: apt purge" run_block docs/installing.md apt-purge "$repo"
fi
# The README's lines for C: apt install (in the repository), cc (where hello.c is).
readme_c=$(block README.md install-c)
apt_line=$(echo "$readme_c" | grep '^apt install ' || true)
cc_line=$(echo "$readme_c" | grep '^cc ' || true)
same "README.md's C install lines (apt install, cc)" 2 "$(echo "$readme_c" | grep -c .)"
if passes "README.md: $apt_line" quiet bash -c "cd '$repo' && $apt_line"; then
    rm -f "$deb_c/hello"
    out=$(on_bus bash -euo pipefail -c "cd '$deb_c' && $cc_line && ./hello" 2>&1) || true
    if hello_ok "$out"; then ok "README.md: $cc_line"; else fail "README.md: $cc_line: $out"; fi
    check "apt-get purge of the README's two packages" quiet apt-get purge "libskypebus-dev" "libskypebus$abi"
    same "packages left after apt purge" "" "$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null)"
fi

echo "installation: $passed passed, $failed failed"
[ "$failed" = 0 ]
