# A thin wrapper over CMake. `make` builds build/kite and libkite; `make test` runs every
# test; `make demo` runs the bundled example. CMAKE_FLAGS (e.g. -DKITE_WERROR=ON) is passed
# to CMake on every run, so changing it reconfigures an existing build directory.
# `make bench` runs the benchmark suite (bench/run.sh, docs/performance.md); `make
# bench-quick` only checks every benchmark's output against native at small sizes.
BUILD ?= build
SAN_BUILD ?= build-sanitize
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
MAKEFLAGS += --no-print-directory

.PHONY: all configure test test-sanitize demo install clean fixtures bench bench-quick fuzz fuzz-smoke test-tsan

all: configure
	@cmake --build $(BUILD) -j $(JOBS)

configure:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

test: all
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# A sanitizer report exits 86, never 1, so tests expecting `kite` to exit 1 still catch it.
test-sanitize:
	@cmake -S . -B $(SAN_BUILD) -DKITE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
		UBSAN_OPTIONS=print_stacktrace=1:exitcode=86 ctest --output-on-failure -j $(JOBS)

# The threads tests (the atomics stress test, the embedding API on many threads, validation
# on several threads, the threads script and a wasi-threads program) under ThreadSanitizer, in $(TSAN_BUILD)/.
# GCC's -Wtsan only says that TSan does not model atomic_thread_fence (used for atomic.fence).
TSAN_BUILD ?= build-tsan
TSAN_FLAGS = -fsanitize=thread -g -O1
test-tsan:
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_C_FLAGS="$(TSAN_FLAGS) -Wno-tsan" \
		-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
		$(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target test_threads test_api_threads test_valid_threads kite
	@export TSAN_OPTIONS=halt_on_error=1:exitcode=66; \
		$(TSAN_BUILD)/test_threads && $(TSAN_BUILD)/test_api_threads && \
		$(TSAN_BUILD)/test_valid_threads && \
		$(TSAN_BUILD)/kite wast --features=all tests/cli/data/threads.wast && \
		$(TSAN_BUILD)/kite run tests/fixtures/threads_counter.wat && echo "test-tsan: clean"

demo: all
	@bash examples/demo.sh $(BUILD)/kite

install: all
	@cmake --install $(BUILD) --prefix $(PREFIX)

# Rebuild the committed .wasm fixtures from their C sources (needs clang-19, lld-19, wasi-libc).
fixtures:
	@$(MAKE) -C tests/fixtures
	@$(MAKE) -C examples/wasi

bench: all
	@NATIVE_DIR=$(BUILD)/bench-native bash bench/run.sh --kite $(BUILD)/kite

bench-quick: all
	@NATIVE_DIR=$(BUILD)/bench-native bash bench/run.sh --quick --kite $(BUILD)/kite

# libFuzzer targets (clang, in build-fuzz/; see fuzz/Makefile). fuzz-smoke runs each one
# FUZZ_SECONDS (default 60) from seeds made from the suite and fails on any finding; it
# is skipped, with a note, when no clang with libFuzzer is installed.
fuzz:
	@$(MAKE) -C fuzz

fuzz-smoke:
	@if [ -z "$$(bash fuzz/find_cc.sh)" ]; then \
		echo "fuzz-smoke: skipped: no clang with libFuzzer (-fsanitize=fuzzer)"; \
	else $(MAKE) -j $(JOBS) -C fuzz smoke; fi

clean:
	@rm -rf $(BUILD) $(SAN_BUILD) $(TSAN_BUILD) build-fuzz
