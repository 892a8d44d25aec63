#!/usr/bin/env bash
# The benchmarks (bench/README.md): builds what they need, starts a private bus with a native
# zbus echo service and a dbus-python echo service, runs every client interleaved (bench/driver.py),
# prints the table and writes bench/results/<timestamp>.json. Leaves no process behind.
#
#   bench/run.sh             everything (what `make bench` runs)
#   bench/run.sh --driving   the C Ping/Echo loop in the three I/O designs (a build with the
#                            io-experiments feature: SKYPEBUS_DRIVE, SKYPEBUS_SOCKET)
#   bench/run.sh -- CMD...   runs CMD instead, with the bus and the services up and the bus's
#                            address in DBUS_SESSION_BUS_ADDRESS (e.g. to profile a client)
#
# Environment: see bench/README.md (SKYPEBUS_BENCH_ROUNDS, _SECONDS, _RSS_CALLS, _PECL_DBUS, _CPUS,
# ...).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

mode=()
command=()
while (($#)); do
  case "$1" in
    --driving) mode=(--driving) ;;
    --) shift; command=("$@"); break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

work=$(mktemp -d /tmp/skypebus-bench.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '== %s\n' "$*" >&2; }

# --- Build: the library (a no-op after `make build`), the zbus package, the C client.
step "building"
cargo build --release -p skypebus --lib --quiet
ln -sf libskypebus.so target/release/libskypebus.so.0
CARGO_TARGET_DIR="$ROOT/target/bench-zbus" \
  cargo build --release --quiet --locked --manifest-path bench/zbus/Cargo.toml
mkdir -p target/bench
cc_flags=(-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -O2 -g -Iinclude -Ltarget/release -lskypebus
          "-Wl,-rpath,$ROOT/target/release")
# Tells bench/driver.py whether the C client has the *_many workloads.
export SKYPEBUS_BENCH_C_CALL_MANY=0
if grep -q 'skypebus_call_many' include/skypebus.h; then
  if gcc -DSKYPEBUS_BENCH_CALL_MANY -o target/bench/call_loop bench/c/call_loop.c "${cc_flags[@]}" \
      2>"$work/cc.log"; then
    SKYPEBUS_BENCH_C_CALL_MANY=1
  else
    echo "bench: the header has skypebus_call_many, but call_loop.c does not build against it" \
         "(C *_many rows skipped):" >&2
    cat "$work/cc.log" >&2
  fi
fi
if [ "$SKYPEBUS_BENCH_C_CALL_MANY" = 0 ]; then
  gcc -o target/bench/call_loop bench/c/call_loop.c "${cc_flags[@]}"
fi
export SKYPEBUS_LIBRARY="$ROOT/target/release/libskypebus.so"

# pecl/dbus, the compiled extension the PHP package is compared with (bench/README.md,
# "pecl/dbus"): SKYPEBUS_BENCH_PECL_DBUS names a built dbus.so or a source directory; unset, the
# source is looked for in shared/peers/pecl-dbus beside this checkout (or beside the repository's
# main worktree, for a checkout made with `git worktree`). A source is copied into
# target/pecl-dbus/ and built there with phpize (rebuilt when the source changes); the driver
# gets the dbus.so in SKYPEBUS_BENCH_PECL_DBUS, or in SKYPEBUS_BENCH_PECL_WHY why there is none.
pecl_source() {
  local given=${SKYPEBUS_BENCH_PECL_DBUS:-} dir common
  if [ -n "$given" ]; then
    echo "$given"
    return
  fi
  common=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  for dir in "$(dirname "$ROOT")" ${common:+"$(dirname "$(dirname "$common")")"}; do
    if [ -f "$dir/shared/peers/pecl-dbus/config.m4" ]; then
      echo "$dir/shared/peers/pecl-dbus"
      return
    fi
  done
}
build_pecl() { # source directory -> prints the built dbus.so, or fails with the log on stderr
  local src=$1 out="$ROOT/target/pecl-dbus" stamp
  stamp="$src $(cd "$src" && find . -type f \( -name '*.c' -o -name '*.h' -o -name config.m4 \) \
    -exec md5sum {} + | sort | md5sum)"
  if [ -f "$out/src/modules/dbus.so" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$out/src/modules/dbus.so"
    return
  fi
  command -v phpize >/dev/null || { echo "phpize not found (php8.2-dev: make bench-deps)" >&2; return 1; }
  rm -rf "$out" && mkdir -p "$out" && cp -r "$src" "$out/src" && chmod -R u+w "$out/src"
  if ! (cd "$out/src" && phpize && ./configure && make) >"$out/build.log" 2>&1; then
    tail -n 20 "$out/build.log" >&2
    return 1
  fi
  echo "$stamp" >"$out/stamp"
  echo "$out/src/modules/dbus.so"
}
export SKYPEBUS_BENCH_PECL_WHY=""
pecl=$(pecl_source)
if [ -z "$pecl" ]; then
  SKYPEBUS_BENCH_PECL_WHY="no pecl/dbus: no source beside the checkout and SKYPEBUS_BENCH_PECL_DBUS unset"
elif [ -d "$pecl" ]; then
  step "building pecl/dbus from $pecl"
  if so=$(build_pecl "$pecl" 2>"$work/pecl.log"); then
    pecl=$so
  else
    cat "$work/pecl.log" >&2
    SKYPEBUS_BENCH_PECL_WHY="pecl/dbus did not build from $pecl: $(tail -n 1 "$work/pecl.log")"
    pecl=""
  fi
elif [ ! -f "$pecl" ]; then
  SKYPEBUS_BENCH_PECL_WHY="SKYPEBUS_BENCH_PECL_DBUS=$pecl is neither a dbus.so nor a source directory"
  pecl=""
fi
export SKYPEBUS_BENCH_PECL_DBUS=$pecl

# The designs the chosen ones were measured against (SKYPEBUS_DRIVE=background, SKYPEBUS_SOCKET=zbus)
# exist only in a build with the io-experiments feature (docs/driving.md "Experiments"). It gets a
# target directory of its own, so the library of `make build` and the tests stays the default one;
# --driving runs all three designs with this build and its own C client.
if ((${#mode[@]})); then
  step "building the library with the io-experiments feature"
  CARGO_TARGET_DIR="$ROOT/target/io-experiments" \
    cargo build --release --lib --quiet --features io-experiments
  ln -sf libskypebus.so target/io-experiments/release/libskypebus.so.0
  many=()
  [ "$SKYPEBUS_BENCH_C_CALL_MANY" = 1 ] && many=(-DSKYPEBUS_BENCH_CALL_MANY)
  gcc "${many[@]}" -o target/bench/call_loop_experiments bench/c/call_loop.c \
    -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -O2 -g -Iinclude -Ltarget/io-experiments/release \
    -lskypebus "-Wl,-rpath,$ROOT/target/io-experiments/release"
fi

# SKYPEBUS_BENCH_CPUS (a taskset CPU list such as 0) runs the bus, the services and every client
# on those CPUs only (bench/README.md "Placement").
pin=()
if [ -n "${SKYPEBUS_BENCH_CPUS:-}" ]; then
  pin=(taskset -c "$SKYPEBUS_BENCH_CPUS")
fi

# --- A private bus and the echo services (never the machine's own buses).
step "starting a private bus and the echo services"
"${pin[@]}" dbus-daemon --config-file=tests/support/bus.conf --nofork --print-address=3 \
  3>"$work/address" 2>"$work/bus.log" &
pids+=($!)
for _ in $(seq 100); do
  [ -s "$work/address" ] && break
  sleep 0.05
done
address=$(head -n1 "$work/address")
[ -n "$address" ] || { echo "bench: dbus-daemon did not start:" >&2; cat "$work/bus.log" >&2; exit 1; }

start_service() { # name command...
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do
    grep -q READY "$work/$name.out" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: the $name echo service did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}
start_service zbus "${pin[@]}" target/bench-zbus/release/skypebus-bench-zbus-echo "$address"
start_service python "${pin[@]}" /usr/bin/python3 bench/python/echo_service.py "$address"

if ((${#command[@]})); then
  step "running ${command[*]}"
  DBUS_SESSION_BUS_ADDRESS=$address "${pin[@]}" "${command[@]}"
  exit
fi

# --- Measure.
step "measuring (${SKYPEBUS_BENCH_ROUNDS:-7} rounds)"
"${pin[@]}" /usr/bin/python3 bench/driver.py "$address" "${mode[@]}"
