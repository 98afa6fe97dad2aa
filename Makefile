# Makefile - a thin wrapper over CMake; the build itself is CMakeLists.txt.
#
#   make                 libraries, tests, examples and benchmarks into build/
#   make run             build, then run the showcase build/examples/tour
#   make test            build, then run the tests (ctest) in build/
#   make test-asan       the same under AddressSanitizer, in build-asan/
#   make test-tsan       the same under ThreadSanitizer, in build-tsan/
#   make test-valgrind   the tests but big, gdb and stall under valgrind's
#                        memcheck, in build-valgrind/ (-O1 -g; each test
#                        program through tools/valgrind-test)
#   make bench           weft against the peer implementations (bench/run.sh;
#                        RUNS=1 ONCE=0 QUICK=1 make bench for a quick look)
#   make bench-io        the I/O benchmarks: examples/httpd against nginx and
#                        Go under wrk, file reads (bench/httpd.sh; QUICK=1
#                        for 2 s points)
#   make install PREFIX=/some/where    (default /usr/local)
#   make clean           remove build/ and the build-* directories
#
# Variables: BUILD_TYPE (Release; the sanitizer builds use RelWithDebInfo),
# CMAKE_ARGS (extra configure arguments), BUILD_JOBS (parallel compile jobs:
# nproc), WEFT_TEST_SCALE (10, sanitizer runs only); for bench, RUNS, ONCE,
# QUICK and JOB_TIMEOUT (see bench/run.sh); for bench-io, QUICK, DURATION,
# CONNS and IMPLS (see bench/httpd.sh).
# A build directory is configured once; `make clean` (or editing CMakeLists,
# which CMake notices by itself) starts over.

# cmake --build runs make again: keep its "Entering directory" lines out.
MAKEFLAGS  += --no-print-directory

CMAKE      ?= cmake
CTEST      ?= ctest
PREFIX     ?= /usr/local
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
WEFT_TEST_SCALE ?= 10

BUILD      := build
BUILD_ASAN := build-asan
BUILD_TSAN := build-tsan
BUILD_VG   := build-valgrind
CTEST_ARGS := --output-on-failure -j2

# configure(dir, build type, extra cmake arguments): once, when dir has no cache
define configure
test -f $(1)/CMakeCache.txt || \
  $(CMAKE) -S . -B $(1) -DCMAKE_BUILD_TYPE=$(2) $(3) $(CMAKE_ARGS)
endef

all:
	@$(call configure,$(BUILD),$(BUILD_TYPE))
	$(CMAKE) --build $(BUILD) -j $(BUILD_JOBS)

run: all
	@test -x $(BUILD)/examples/tour || \
	  { echo "make run: no $(BUILD)/examples/tour (is examples/tour.c there?)" >&2; exit 1; }
	./$(BUILD)/examples/tour

test: all
	$(CTEST) --test-dir $(BUILD) $(CTEST_ARGS)

# Sanitizer builds: smaller workloads (the tests divide their big counts by
# WEFT_TEST_SCALE), longer timeouts (tests/CMakeLists.txt multiplies each
# test's timeout by WEFT_TEST_TIMEOUT_FACTOR), and stop at the first report.
SAN_CMAKE_ARGS := -DWEFT_TEST_TIMEOUT_FACTOR=3
test-asan:
	@$(call configure,$(BUILD_ASAN),RelWithDebInfo,-DWEFT_SANITIZE=address $(SAN_CMAKE_ARGS))
	$(CMAKE) --build $(BUILD_ASAN) -j $(BUILD_JOBS)
	WEFT_TEST_SCALE=$(WEFT_TEST_SCALE) \
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
	  $(CTEST) --test-dir $(BUILD_ASAN) $(CTEST_ARGS)

# TSan maps its shadow memory at fixed addresses; kernels with a larger mmap
# randomisation (vm.mmap_rnd_bits > 28) break it, so ASLR is switched off for
# the run when setarch can do it.
SETARCH := $(shell setarch $$(uname -m) -R true >/dev/null 2>&1 && echo "setarch $$(uname -m) -R")

test-tsan:
	@$(call configure,$(BUILD_TSAN),RelWithDebInfo,-DWEFT_SANITIZE=thread $(SAN_CMAKE_ARGS))
	$(CMAKE) --build $(BUILD_TSAN) -j $(BUILD_JOBS)
	WEFT_TEST_SCALE=$(WEFT_TEST_SCALE) \
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  $(SETARCH) $(CTEST) --test-dir $(BUILD_TSAN) $(CTEST_ARGS)

# Valgrind: every test program through tools/valgrind-test (memcheck; any
# error or definite leak fails the test). Scaled-down workloads, timeouts
# x10. Left out: the labels in VG_EXCLUDE (big: valgrind runs one thread at
# a time, ~50x slower; gdb: gdb cannot attach under valgrind; stall: the
# serialized threads look stalled, and valgrind keeps SIGRTMAX for itself)
# and the tests that need what valgrind does not emulate: the MXCSR and x87
# rounding modes (sched.fpu_control_per_thread, pthread.create_inherits_fenv)
# and a queued signal to oneself delivered before the call returns
# (psignal.sigqueue_self: valgrind delivers it a little later); and
# io.poll_efault, which hands the kernel a NULL array on purpose (memcheck
# reports the system call's argument).
VG_EXCLUDE := big|gdb|stall
VG_EXCLUDE_TESTS := ^(sched\.fpu_control_per_thread|pthread\.create_inherits_fenv|psignal\.sigqueue_self|io(_epoll)?\.poll_efault)$$
VG_CMAKE_ARGS := -DWEFT_TEST_TIMEOUT_FACTOR=10 -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
  -DWEFT_BUILD_EXAMPLES=OFF -DWEFT_BUILD_BENCH=OFF \
  -DCMAKE_CROSSCOMPILING_EMULATOR=$(CURDIR)/tools/valgrind-test
test-valgrind:
	@command -v valgrind >/dev/null || { echo "make test-valgrind: no valgrind" >&2; exit 1; }
	@$(call configure,$(BUILD_VG),Debug,$(VG_CMAKE_ARGS))
	$(CMAKE) --build $(BUILD_VG) -j $(BUILD_JOBS)
	WEFT_TEST_SCALE=$(WEFT_TEST_SCALE) \
	  $(CTEST) --test-dir $(BUILD_VG) $(CTEST_ARGS) -LE '^($(VG_EXCLUDE))$$' \
	  -E '$(VG_EXCLUDE_TESTS)'

bench: all
	BUILD_DIR=$(CURDIR)/$(BUILD) bench/run.sh

# The I/O benchmarks (bench/httpd.sh): examples/httpd on weft and on glibc,
# nginx and Go's net/http under wrk; 4 KiB random reads by 1000 threads.
bench-io: all
	BUILD_DIR=$(CURDIR)/$(BUILD) BUILD_JOBS=$(BUILD_JOBS) bench/httpd.sh

install: all
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_VG)

.PHONY: all run test test-asan test-tsan test-valgrind bench bench-io install clean
