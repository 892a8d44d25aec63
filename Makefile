# skypebus: one entry point.
#   make demo   - set everything up and run the main demo (private bus, Skype emulator, PHP)
#   make test   - set everything up and run every test (Rust, C, PHP, emulator)
#   make bench  - run the benchmarks (see bench/README.md)
# Other targets: deps, build, header, check-header, lint, fuzz, clean.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
CBINDGEN_VERSION := 0.29.2
RELEASE := target/release
LIB := $(RELEASE)/libskypebus.so
CFLAGS := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O1 -g -Iinclude
VALGRIND := valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --show-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no
RUN_BUS := dbus-run-session --config-file=tests/support/bus.conf --

.PHONY: all deps build header check-header lint test test-rust test-c test-php test-emulator \
        demo bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

build:
	cargo build --release --lib --bins
	ln -sf libskypebus.so $(RELEASE)/libskypebus.so.0

header:
	cbindgen --config cbindgen.toml --crate skypebus --output include/skypebus.h

# Fails when include/skypebus.h differs from what the pinned cbindgen generates from src/.
check-header:
	@# (cbindgen warns about items it skips on purpose; only the diff matters)
	@command -v cbindgen >/dev/null || cargo install cbindgen --version $(CBINDGEN_VERSION) --locked
	@test "$$(cbindgen --version)" = "cbindgen $(CBINDGEN_VERSION)" || \
		{ echo "cbindgen $(CBINDGEN_VERSION) is required"; exit 1; }
	cbindgen --quiet --config cbindgen.toml --crate skypebus --output target/skypebus.h.check
	@diff -u include/skypebus.h target/skypebus.h.check && echo "header is up to date" || \
		{ echo "include/skypebus.h is stale: run 'make header' and commit it"; exit 1; }

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	@# the measured alternatives of docs/driving.md "Experiments" must keep building
	cargo clippy --lib --features io-experiments -- -D warnings

$(RELEASE)/test_%: tests/c/test_%.c tests/c/check.h include/skypebus.h build
	gcc $(CFLAGS) -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

test-rust:
	cargo test --release 2>&1 | tee target/test-rust.log

test-c: $(RELEASE)/test_call $(RELEASE)/test_skype
	tests/c/readme_examples.sh
	php -d ffi.enable=1 tests/php/ffi_header.php include/skypebus.h $(LIB)
	$(RUN_BUS) $(RELEASE)/test_call
	$(RUN_BUS) $(VALGRIND) --suppressions=tests/c/valgrind.supp $(RELEASE)/test_call > target/valgrind-test_call.log
	$(RUN_BUS) $(RELEASE)/test_skype
	$(RUN_BUS) $(VALGRIND) --suppressions=tests/c/valgrind.supp $(RELEASE)/test_skype > target/valgrind-test_skype.log
	@echo "valgrind: no definitely or indirectly lost blocks, no invalid accesses"

# --- Signals and serving (issue 5): C test under valgrind, C example called by gdbus/busctl ---
$(RELEASE)/test_serve: tests/c/test_serve.c tests/c/check.h include/skypebus.h build
	gcc $(CFLAGS) -pthread -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

$(RELEASE)/serve: examples/c/serve.c include/skypebus.h build
	gcc $(CFLAGS) -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

.PHONY: test-c-serve
test-c-serve: $(RELEASE)/test_serve $(RELEASE)/serve
	$(RUN_BUS) $(RELEASE)/test_serve
	$(RUN_BUS) $(VALGRIND) --suppressions=tests/c/valgrind.supp $(RELEASE)/test_serve > target/valgrind-test_serve.log
	$(RUN_BUS) env VALGRIND="$(VALGRIND) --suppressions=tests/c/valgrind.supp" tests/c/test_serve_example.sh $(RELEASE)/serve
	@echo "serve: C test and example passed (valgrind: no definitely or indirectly lost blocks)"

test-c: test-c-serve

# Signals received/s and served calls/s from C against a forked peer (numbers, not a test).
$(RELEASE)/serve_bench: bench/c/serve_bench.c include/skypebus.h build
	gcc $(CFLAGS) -O2 -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

.PHONY: bench-serve
bench-serve: $(RELEASE)/serve_bench
	$(RUN_BUS) $(RELEASE)/serve_bench 100000 20000
# --- end of signals and serving ---

test-php: build
	@if [ -f php-ffi/phpunit.xml ]; then scripts/test-php.sh; else echo "php-ffi not present yet"; fi

test-emulator: build
	@if [ -d tests/skype ]; then scripts/test-emulator.sh; else echo "emulator tests not present yet"; fi

test: deps build check-header lint test-rust test-c test-php test-emulator
	@echo "all test suites passed"

demo: deps build
	scripts/demo.sh

bench: deps build
	bench/run.sh

# Coverage-guided fuzzing of the decoder, the encoder and the request parsers (libFuzzer through
# cargo-fuzz; RUSTC_BOOTSTRAP lets the stable toolchain build with the sanitizer flags).
FUZZ_SECONDS ?= 60
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in decode_body encode request; do \
		RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 || exit 1; \
	done

clean:
	cargo clean
