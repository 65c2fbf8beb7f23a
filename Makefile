# Ember: the two commands are `make demo` and `make test`; everything else is here for
# developers. Every target installs missing Debian packages and configures on its own.

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
TSAN_DIR  ?= build-tsan
CLANG_DIR ?= build-clang
CLANG_CXX ?= clang++-16
JOBS      ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test test-asan test-tsan check-thread-safety check-headers fuzz bench install format clean

all: build

deps:
	@scripts/setup-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Streaming word count on the embedded text source, 1 s batches, until Ctrl-C.
demo: build
	$(BUILD_DIR)/examples/demo_word_count

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300 -LE bench

# Sanitizer builds: -O1 with line tables only (-g1) compiles in half the time of -O2 -g and
# still gives file:line in every report.
SAN_FLAGS = "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"

$(ASAN_DIR)/build.ninja: | deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(SAN_FLAGS) \
	  -DEMBER_SANITIZE=ON -DEMBER_BUILD_BENCH=OFF $(CMAKE_FLAGS)

# The compile_fail and install tests check what compiles and links, not what runs: `make
# test` runs them; under ASan they would only cost time (the install test runs alone).
test-asan: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE "bench|no-asan|compile_fail|install"

# ThreadSanitizer on the tests of the modules in EMBER_CONCURRENCY_MODULES (tests/CMakeLists.txt: the programs
# whose threads share state), building only those programs. A report fails its test.
$(TSAN_DIR)/build.ninja: | deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(SAN_FLAGS) -DEMBER_TSAN=ON \
	  -DEMBER_BUILD_BENCH=OFF -DEMBER_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS)

test-tsan: deps $(TSAN_DIR)/build.ninja
	cmake --build $(TSAN_DIR) -j $(JOBS) --target concurrency-tests
	cd $(TSAN_DIR) && TSAN_OPTIONS="second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp $(TSAN_OPTIONS)" \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -L '^(rdd|dstream|receiver|checkpoint)$$' -LE "bench|no-tsan"

# clang's -Wthread-safety on the lock annotations (EMBER_GUARDED_BY ..., see
# include/ember/internal/thread_annotations.hpp), warnings as errors: the library, every
# public header and tests/thread_safety/instantiate.cpp compiled unoptimised, nothing run.
$(CLANG_DIR)/build.ninja:
	@scripts/setup-deps.sh --clang
	CXX=$(CLANG_CXX) cmake -S . -B $(CLANG_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_EXAMPLES=OFF \
	  -DEMBER_BUILD_BENCH=OFF -DEMBER_BUILD_FUZZ=ON $(CMAKE_FLAGS)

check-thread-safety: deps $(CLANG_DIR)/build.ninja
	cmake --build $(CLANG_DIR) -j $(JOBS) --target check-thread-safety

# libFuzzer on every parser of outside input (HTTP request heads, checkpoint files, batch
# logs, write-ahead log segments, raw socket frames, configuration files, the codecs),
# FUZZ_SECONDS each (fuzz/run.sh), in the clang build dir. A finding fails the target and is kept in
# $(CLANG_DIR)/fuzz/findings/.
FUZZ_SECONDS ?= 20
fuzz: $(CLANG_DIR)/build.ninja
	@scripts/setup-deps.sh --clang
	cmake -S . -B $(CLANG_DIR) -DEMBER_BUILD_FUZZ=ON > /dev/null
	cmake --build $(CLANG_DIR) -j $(JOBS) --target fuzzers
	fuzz/run.sh $(CLANG_DIR)/fuzz $(FUZZ_SECONDS)

check-headers: configure
	cmake --build $(BUILD_DIR) --target check-headers -j $(JOBS)

# Runs every workload (about 5 minutes), prints the tables, rewrites the generated part of
# docs/benchmarks.md and draws docs/img/benchmarks.svg (installs gnuplot if missing).
bench: build
	@scripts/setup-deps.sh --bench
	bench/run.sh $(BUILD_DIR) 10 --update-docs 1

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(CLANG_DIR)
