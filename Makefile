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
        demo bench bench-deps fuzz clean

all: build

deps:
	@scripts/install-deps.sh

# The library and the emulator are built apart: one cargo run for both would unify their
# dependencies' features, and the library would carry tokio's signal handling and multi-thread
# runtime that only the emulator asks for.
build:
	cargo build --release -p skypebus --lib
	cargo build --release -p skypebus-skype-emulator
	ln -sf libskypebus.so $(RELEASE)/libskypebus.so.0

# The C header (cbindgen), then what the PHP package loads, generated from it: php-ffi's
# include/skypebus.h (for FFI) and src/Internal/{ResultCode,HeaderConstants}.php.
header:
	cbindgen --config cbindgen.toml --crate skypebus --output include/skypebus.h
	scripts/php-header.py include/skypebus.h php-ffi

# Fails when include/skypebus.h differs from what the pinned cbindgen generates from src/, or
# when a file generated from it for PHP differs from what scripts/php-header.py makes of it.
check-header:
	@# (cbindgen warns about items it skips on purpose; only the diff matters)
	@command -v cbindgen >/dev/null || cargo install cbindgen --version $(CBINDGEN_VERSION) --locked
	@test "$$(cbindgen --version)" = "cbindgen $(CBINDGEN_VERSION)" || \
		{ echo "cbindgen $(CBINDGEN_VERSION) is required"; exit 1; }
	cbindgen --quiet --config cbindgen.toml --crate skypebus --output target/skypebus.h.check
	@diff -u include/skypebus.h target/skypebus.h.check && echo "header is up to date" || \
		{ echo "include/skypebus.h is stale: run 'make header' and commit it"; exit 1; }
	scripts/php-header.py --check include/skypebus.h php-ffi && echo "PHP's generated files are up to date"

# fmt and clippy cover the whole workspace (the library and emulator/); check-citations fails when
# a tracked file cites a document the repository does not have.
lint:
	cargo fmt --check
	rustfmt --check --edition 2024 fuzz/fuzz_targets/*.rs   # the fuzz crate is outside the workspace
	cargo clippy --all-targets -- -D warnings
	cd php-ffi && phpcs -q --report=summary   # PSR-12 (php-ffi/phpcs.xml)
	scripts/check-citations.py
	scripts/check-modules.py   # no import circle between the library's top-level modules
	@# the measured alternatives of docs/driving.md "Experiments" must keep building
	cargo clippy --lib --features io-experiments -- -D warnings

$(RELEASE)/test_%: tests/c/test_%.c tests/c/check.h include/skypebus.h build
	gcc $(CFLAGS) -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

# Per package, as in build (tests/skype_helper.rs runs the emulator that build made).
test-rust: build
	cargo test --release -p skypebus 2>&1 | tee target/test-rust.log
	cargo test --release -p skypebus-skype-emulator 2>&1 | tee -a target/test-rust.log

# The header from C++ (issue 15): extern "C" guard, warnings as errors, one real call.
$(RELEASE)/test_cpp: tests/c/test_cpp.cpp include/skypebus.h build
	g++ -std=c++17 -Wall -Wextra -Werror -pedantic -O1 -g -Iinclude -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

test-c: $(RELEASE)/test_call $(RELEASE)/test_skype $(RELEASE)/test_cpp $(RELEASE)/test_trace
	tests/c/readme_examples.sh
	LD_LIBRARY_PATH=$(RELEASE) php -d ffi.enable=1 tests/php/ffi_header.php php-ffi/include/skypebus.h $(LIB)
	$(RUN_BUS) $(RELEASE)/test_cpp
	$(RUN_BUS) tests/c/test_trace.sh $(RELEASE)/test_trace
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

# --- A hostile peer (issue 18): the cases of tests/hostile.rs from C, on both wire paths, under
# valgrind (the valgrind run checks every case as a plain run would) ---
$(RELEASE)/test_hostile: tests/c/test_hostile.c tests/c/check.h include/skypebus.h build
	gcc $(CFLAGS) -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

.PHONY: test-c-hostile
test-c-hostile: $(RELEASE)/test_hostile
	$(RUN_BUS) $(VALGRIND) --suppressions=tests/c/valgrind.supp $(RELEASE)/test_hostile > target/valgrind-test_hostile.log 2> target/valgrind-test_hostile.err || { cat target/valgrind-test_hostile.err; exit 1; }
	@! grep -n "panicked" target/valgrind-test_hostile.err || { echo "a caught panic was printed to stderr"; exit 1; }
	@echo "hostile peer: every case ends in its error, no panic printed (valgrind: no definitely or indirectly lost blocks, no invalid accesses)"

test-c: test-c-hostile

# --- Event loops (issue 14): the C example (serve, signals, asynchronous calls in one poll()
# loop; cancel, fork and free with calls pending) run by gdbus and dbus-send, under valgrind ---
$(RELEASE)/event_loop: examples/c/event_loop.c include/skypebus.h build
	gcc $(CFLAGS) -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

.PHONY: test-c-event-loop
test-c-event-loop: $(RELEASE)/event_loop
	$(RUN_BUS) tests/c/test_event_loop_example.sh $(RELEASE)/event_loop
	$(RUN_BUS) env VALGRIND="$(VALGRIND) --suppressions=tests/c/valgrind.supp" tests/c/test_event_loop_example.sh $(RELEASE)/event_loop
	@echo "event loop: C example passed (valgrind: no definitely or indirectly lost blocks, forked child included)"

test-c: test-c-event-loop

# --- File descriptors (issue 13): send, receive and close descriptors from C against dbusmock's
# logind and a GDBus service, docs/fds.md's C sample built in, under valgrind ---
$(RELEASE)/test_fds: tests/c/test_fds.c tests/c/check.h include/skypebus.h docs/fds.md build
	@mkdir -p target/c-docs
	tests/dist/doc_block.py docs/fds.md fds-inhibit.c > target/c-docs/fds_sample.inc
	gcc $(CFLAGS) -Itarget/c-docs -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

.PHONY: test-c-fds
test-c-fds: $(RELEASE)/test_fds
	$(RUN_BUS) tests/c/test_fds.sh $(RELEASE)/test_fds
	$(RUN_BUS) env VALGRIND="$(VALGRIND) --suppressions=tests/c/valgrind.supp" tests/c/test_fds.sh $(RELEASE)/test_fds > target/valgrind-test_fds.log
	@echo "fds: descriptors sent, received and closed from C (valgrind: no definitely or indirectly lost blocks)"

test-c: test-c-fds

# --- Replies as the body itself (SKYPEBUS_REPLY_BODY): packed calls to a little- and a
# big-endian GDBus echo, values read out of the body, docs/c.md's blocks built in, under valgrind ---
$(RELEASE)/test_body: tests/c/test_body.c tests/c/check.h include/skypebus.h docs/c.md build
	@mkdir -p target/c-docs
	tests/dist/doc_block.py docs/c.md body-ai.c > target/c-docs/body_ai.inc
	tests/dist/doc_block.py docs/c.md body-call.c > target/c-docs/body_call.inc
	gcc $(CFLAGS) -Itarget/c-docs -o $@ $< -L$(RELEASE) -lskypebus -Wl,-rpath,$(CURDIR)/$(RELEASE)

.PHONY: test-c-body
test-c-body: $(RELEASE)/test_body
	$(RUN_BUS) tests/c/test_body.sh $(RELEASE)/test_body
	$(RUN_BUS) env VALGRIND="$(VALGRIND) --suppressions=tests/c/valgrind.supp" tests/c/test_body.sh $(RELEASE)/test_body > target/valgrind-test_body.log
	@echo "body format: values read out of the body from C (valgrind: no definitely or indirectly lost blocks)"

test-c: test-c-body

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

test: deps build check-header lint test-rust test-c test-php test-emulator test-fuzz
	@echo "all test suites passed"

demo: deps build
	scripts/demo.sh

# The benchmarks' deps are the tests' plus what pecl/dbus builds with (bench/README.md).
bench-deps:
	@scripts/install-deps.sh --bench

bench: bench-deps build
	bench/run.sh

# Coverage-guided fuzzing of the decoder, the encoder, the request parsers and the incoming path
# as the socket sees it (libFuzzer through cargo-fuzz; RUSTC_BOOTSTRAP lets the stable toolchain
# build with the sanitizer flags). Each target's corpus grows in fuzz/corpus/<target>; the seeds
# committed in fuzz/seeds/<target> (real traffic, fuzz/capture-seeds.sh) are read as well. A run
# that finds a crash, a panic or an input slower than FUZZ_TIMEOUT seconds fails.
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_TARGETS ?= decode_body encode request incoming
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		mkdir -p corpus/$$t; \
		RUSTC_BOOTSTRAP=1 cargo fuzz run $$t corpus/$$t $$(test -d seeds/$$t && echo seeds/$$t) -- \
			-max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=4096 || exit 1; \
	done

# The short run of every target that make test includes.
.PHONY: test-fuzz
test-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=20

clean:
	cargo clean

# --- Distribution (issue 15): install like a system library, Debian packages ----------------
# make install / uninstall   the stripped shared library (SONAME libskypebus.so.<ABI>, the usual
#                            symlinks, its debug info in $(LIBDIR)/.debug/), the static library,
#                            skypebus.h and skypebus.pc; PREFIX, LIBDIR, INCLUDEDIR, DESTDIR.
# make deb                   the Debian packages, into target/debian/ (docs/installing.md).
# make doc                   rustdoc of the crate, into target/doc/.
# make test-dist             the packaging tests (tests/dist/run.sh; part of make test).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
ABI := $(shell sed -n '/^\[package.metadata.skypebus\]/,/^\[/s/^abi *= *\([0-9][0-9]*\).*/\1/p' Cargo.toml)
# The real file is libskypebus.so.<ABI>.<minor>.<patch>; ldconfig names it by its SONAME.
SOFILE := libskypebus.so.$(ABI).$(word 2,$(subst ., ,$(VERSION))).$(word 3,$(subst ., ,$(VERSION)))
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(EXEC_PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DIST := target/dist
EMULATOR := $(RELEASE)/skypebus-skype-emulator
# What the static library needs from the system when linked into a C program (rustc
# --print native-static-libs on Linux); skypebus.pc's Libs.private.
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

.PHONY: dist-files install uninstall deb doc test-dist

# The installed forms of the release build: stripped, with the debug info in .debug files that
# the stripped files name (.gnu_debuglink), so gdb and perf find it; the static library without
# its debug sections. Reuses target/release (no second build).
dist-files: build
	@test -n "$(ABI)" || { echo "Cargo.toml has no abi in [package.metadata.skypebus]"; exit 1; }
	@readelf -d $(LIB) | grep -q 'SONAME.*\[libskypebus.so.$(ABI)\]' || \
		{ echo "$(LIB) has no SONAME libskypebus.so.$(ABI)"; exit 1; }
	mkdir -p $(DIST)
	scripts/strip-debug.sh $(LIB) $(DIST)/$(SOFILE)
	strip --strip-debug --remove-section=.comment -o $(DIST)/libskypebus.a $(RELEASE)/libskypebus.a
	@if [ -f $(EMULATOR) ]; then scripts/strip-debug.sh $(EMULATOR) $(DIST)/skypebus-skype-emulator; fi
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' skypebus.pc.in > $(DIST)/skypebus.pc

install: dist-files
	install -d $(DESTDIR)$(LIBDIR)/.debug $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 $(DIST)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sfn $(SOFILE) $(DESTDIR)$(LIBDIR)/libskypebus.so.$(ABI)
	ln -sfn libskypebus.so.$(ABI) $(DESTDIR)$(LIBDIR)/libskypebus.so
	install -m 0644 $(DIST)/$(SOFILE).debug $(DESTDIR)$(LIBDIR)/.debug/$(SOFILE).debug
	install -m 0644 $(DIST)/libskypebus.a $(DESTDIR)$(LIBDIR)/libskypebus.a
	install -m 0644 include/skypebus.h $(DESTDIR)$(INCLUDEDIR)/skypebus.h
	install -m 0644 $(DIST)/skypebus.pc $(DESTDIR)$(PKGCONFIGDIR)/skypebus.pc
	@# The linker cache, when installing into the running system as root.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SOFILE) $(DESTDIR)$(LIBDIR)/libskypebus.so.$(ABI) \
	      $(DESTDIR)$(LIBDIR)/libskypebus.so $(DESTDIR)$(LIBDIR)/.debug/$(SOFILE).debug \
	      $(DESTDIR)$(LIBDIR)/libskypebus.a $(DESTDIR)$(INCLUDEDIR)/skypebus.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/skypebus.pc
	@rmdir $(DESTDIR)$(LIBDIR)/.debug 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

deb: build
	scripts/build-deb.sh

doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib

test-dist: deps build doc
	tests/dist/run.sh

test: test-dist
# --- end of distribution ---
