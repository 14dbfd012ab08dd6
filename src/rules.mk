# The libev host runtime (src/): libasync.a / libasync.so, its tests
# (tests/rt_*.c, cmocka, under ASan+UBSan; the thread pool also under TSan),
# the core's conformance tests re-run on the libev backend, and `make install`.

RT_SRCS := $(wildcard src/*.c)
RT_HDRS := async.h src/async_rt.h src/rt_private.h
RT_CFLAGS := $(STRICT) -I. -Isrc -fPIC -pthread
RT_LDLIBS := -lev -pthread
RT_OBJS := $(patsubst src/%.c,$(BUILD)/rt/%.o,$(RT_SRCS))
RT_OBJS_SAN := $(patsubst src/%.c,$(BUILD)/rt-san/%.o,$(RT_SRCS))
RT_OBJS_TSAN := $(patsubst src/%.c,$(BUILD)/rt-tsan/%.o,$(RT_SRCS))
TSAN := -fsanitize=thread -fno-omit-frame-pointer
RT_VERSION := 0.1.0

$(BUILD)/rt/%.o: src/%.c $(RT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(RT_CFLAGS) $(OPT) -c $< -o $@
$(BUILD)/rt-san/%.o: src/%.c $(RT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(RT_CFLAGS) $(SAN_OPT) $(SAN) -c $< -o $@
$(BUILD)/rt-tsan/%.o: src/%.c $(RT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(RT_CFLAGS) -O1 -g $(TSAN) -c $< -o $@

$(BUILD)/libasync.a: $(RT_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libasync-san.a: $(RT_OBJS_SAN)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libasync-tsan.a: $(RT_OBJS_TSAN)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libasync.so: $(RT_OBJS)
	$(CC) -shared -Wl,-soname,libasync.so.0 -o $@ $^ $(RT_LDLIBS)

all: $(BUILD)/libasync.a $(BUILD)/libasync.so

# Runtime tests: one cmocka program per capability, ASan+UBSan.
RT_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/rt_*.c))
RT_TEST_FLAGS := $(STRICT) -I. -Isrc -Itests -pthread

$(BUILD)/rt-tests/%: tests/%.c $(BUILD)/libasync-san.a $(RT_HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(RT_TEST_FLAGS) $(SAN_OPT) $(SAN) $< -o $@ $(BUILD)/libasync-san.a -lcmocka $(RT_LDLIBS)
$(BUILD)/rt-tests-tsan/%: tests/%.c $(BUILD)/libasync-tsan.a $(RT_HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(RT_TEST_FLAGS) -O1 -g $(TSAN) $< -o $@ $(BUILD)/libasync-tsan.a -lcmocka $(RT_LDLIBS)

CHECKS += $(RT_TESTS)
$(addprefix check-,$(RT_TESTS)): check-%: $(BUILD)/rt-tests/%
	@$(CHECK) $* 120 $<

# The thread pool, the thread-safe entry point and the resolver (pool) under
# ThreadSanitizer, with no suppressions.
RT_TSAN_TESTS := rt_threads rt_net rt_cancel rt_multi rt_budget
CHECKS += $(addsuffix -tsan,$(RT_TSAN_TESTS))
$(addprefix check-,$(addsuffix -tsan,$(RT_TSAN_TESTS))): check-%-tsan: $(BUILD)/rt-tests-tsan/%
	@TSAN_OPTIONS="halt_on_error=1" $(CHECK) $*-tsan 180 $<

# The core's conformance tests, unchanged, on the libev backend (plain and ASan+UBSan).
RT_CORE_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
$(BUILD)/tests-ev/%: tests/%.c $(BUILD)/libasync.a $(RT_HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(STRICT) -DTEST_BACKEND_EV -I. -Isrc -Itests $(LOW_OPT) $< -o $@ $(BUILD)/libasync.a -lcmocka $(RT_LDLIBS)
$(BUILD)/tests-ev-san/%: tests/%.c $(BUILD)/libasync-san.a $(RT_HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(STRICT) -DTEST_BACKEND_EV -I. -Isrc -Itests $(SAN_OPT) $(SAN) $< -o $@ $(BUILD)/libasync-san.a -lcmocka $(RT_LDLIBS)

CHECKS += $(addsuffix -ev,$(RT_CORE_TESTS)) $(addsuffix -ev-san,$(RT_CORE_TESTS))
$(addprefix check-,$(addsuffix -ev,$(RT_CORE_TESTS))): check-%-ev: $(BUILD)/tests-ev/%
	@$(CHECK) $*-ev 60 $<
$(addprefix check-,$(addsuffix -ev-san,$(RT_CORE_TESTS))): check-%-ev-san: $(BUILD)/tests-ev-san/%
	@$(CHECK) $*-ev-san 120 $<

# make install PREFIX=/usr/local DESTDIR=/tmp/stage
# The headers go under include/async/ (a bare async.h at the include root would
# collide with naasking/async.h, which also defines ASYNC_DONE): programs write
# #include <async/async.h> / <async/async_rt.h>, and pkg-config, CMake's
# find_package(async) and add_subdirectory all give the directory above it.
PREFIX ?= /usr/local
DESTDIR ?=
RT_VERSION_MAJOR := $(firstword $(subst ., ,$(RT_VERSION)))
.PHONY: install
install: $(BUILD)/libasync.a $(BUILD)/libasync.so
	install -d $(DESTDIR)$(PREFIX)/include/async $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cmake/async
	install -m 644 async.h src/async_rt.h $(DESTDIR)$(PREFIX)/include/async/
	install -m 644 $(BUILD)/libasync.a $(DESTDIR)$(PREFIX)/lib/libasync.a
	install -m 755 $(BUILD)/libasync.so $(DESTDIR)$(PREFIX)/lib/libasync.so.$(RT_VERSION)
	ln -sf libasync.so.$(RT_VERSION) $(DESTDIR)$(PREFIX)/lib/libasync.so.0
	ln -sf libasync.so.0 $(DESTDIR)$(PREFIX)/lib/libasync.so
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	  'Name: async' 'Description: stackless coroutines for C with asyncio'"'"'s model, libev runtime' \
	  'Version: $(RT_VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lasync' \
	  'Libs.private: -lev -pthread' >$(DESTDIR)$(PREFIX)/lib/pkgconfig/async.pc
	install -m 644 cmake/asyncConfig.cmake $(DESTDIR)$(PREFIX)/lib/cmake/async/
	sed -e 's/@ASYNC_VERSION@/$(RT_VERSION)/' -e 's/@ASYNC_VERSION_MAJOR@/$(RT_VERSION_MAJOR)/' \
	  cmake/asyncConfigVersion.cmake.in >$(DESTDIR)$(PREFIX)/lib/cmake/async/asyncConfigVersion.cmake

# The installed tree works: headers under include/async/ and none at the root,
# another async.h earlier on the include path (decoy/) is never picked, a program links through pkg-config (shared and static) and runs.
CHECKS += rt-install
check-rt-install: $(BUILD)/libasync.a $(BUILD)/libasync.so tests/packaging/consumer.c
	@$(CHECK) rt-install 60 sh -c 'set -e; d=$(CURDIR)/$(BUILD)/inst; rm -rf $$d; \
	  $(MAKE) --no-print-directory -s install BUILD=$(BUILD) PREFIX=/opt/async DESTDIR=$$d >/dev/null; \
	  i=$$d/opt/async/include; [ -f $$i/async/async.h ] && [ -f $$i/async/async_rt.h ]; \
	  if ls $$i/*.h >/dev/null 2>&1; then echo "headers at the include root:"; ls $$i; exit 1; fi; \
	  mkdir -p $$d/decoy; echo "#error naasking/async.h was included" >$$d/decoy/async.h; \
	  pc="env PKG_CONFIG_SYSROOT_DIR=$$d PKG_CONFIG_PATH=$$d/opt/async/lib/pkgconfig pkg-config"; \
	  $(CC) -std=c99 -Wall -Werror -I$$d/decoy $$($$pc --cflags async) tests/packaging/consumer.c -o $$d/t $$($$pc --libs async) $(RT_LDLIBS); \
	  [ "$$(LD_LIBRARY_PATH=$$d/opt/async/lib $$d/t)" = "consumer: ok" ]; \
	  $(CC) -std=c99 -Wall -Werror $$($$pc --cflags async) tests/packaging/consumer.c -o $$d/ts $$d/opt/async/lib/libasync.a $$($$pc --static --libs-only-l async | sed "s/-lasync//"); \
	  [ "$$($$d/ts)" = "consumer: ok" ]; echo "installed under include/async/; a decoy async.h on the path is not picked; linked through pkg-config, shared and static"'

# Benchmarks of the runtime (bench/rules.mk runs them; see its header).
BENCH_PROGS += echo sleepers threads
$(foreach p,echo sleepers threads,$(eval BENCH_CFLAGS_$(p) := -Isrc -pthread)$(eval BENCH_LIBS_$(p) := -lev -pthread))
$(BUILD)/bench/echo $(BUILD)/bench/sleepers $(BUILD)/bench/threads: $(BUILD)/libasync.a src/async_rt.h
BENCH_PEERS += bench/peers/sleepers.py bench/peers/threads.py

# The runtime tests once more, unsanitized, under valgrind (memcheck: invalid
# accesses, uninitialised reads, definite leaks fail the check).
DEPS_TEST += valgrind
RT_VG_TESTS := rt_stream rt_stream_net rt_multi rt_process rt_loop rt_net rt_cancel rt_shutdown rt_stream_fuzz rt_debug rt_graceful rt_trace
$(BUILD)/rt-tests-plain/%: tests/%.c $(BUILD)/libasync.a $(RT_HDRS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(RT_TEST_FLAGS) $(LOW_OPT) $< -o $@ $(BUILD)/libasync.a -lcmocka $(RT_LDLIBS)
CHECKS += $(addsuffix -valgrind,$(RT_VG_TESTS))
$(addprefix check-,$(addsuffix -valgrind,$(RT_VG_TESTS))): check-%-valgrind: $(BUILD)/rt-tests-plain/%
	@$(CHECK) $*-valgrind 180 valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite $<

# A longer run of the stream readers' fuzz test (tests/rt_stream_fuzz.c, seeded
# random against a model; make test runs it for a second):
#   make fuzz FUZZ_SECONDS=300     make fuzz FUZZ_SEED=n (replays one case)
# (`fuzz` itself has no recipe here, so other fuzzers can hang off it too.)
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-streams
fuzz: fuzz-streams
fuzz-streams: $(BUILD)/rt-tests/rt_stream_fuzz
	$(if $(FUZZ_SEED),FUZZ_SEED=$(FUZZ_SEED) $(if $(filter command line environment,$(origin FUZZ_SECONDS)),FUZZ_SECONDS=$(FUZZ_SECONDS)),FUZZ_SECONDS=$(FUZZ_SECONDS)) $<

# A program built with another async.h configuration than libasync is refused
# (src/async_rt.h, src/config.c), never run into a crash: a different
# ASYNC_CONFIG_* fails to link, naming the option in the missing symbol; a
# different clock aborts at start naming ASYNC_TIME_T / ASYNC_TICKS_PER_SEC.
# The control, built like libasync, links and runs (as C and C++).
CHECKS += rt-config
RTCFG_DIR = $(BUILD)/rt-config
check-rt-config: $(BUILD)/libasync.a
	@mkdir -p $(RTCFG_DIR)
	@$(CHECK) rt-config 120 sh -c 'cd $(CURDIR) && d=$(RTCFG_DIR); src=tests/config/consumer.c; \
	  lib="$(BUILD)/libasync.a $(RT_LDLIBS)"; cc="$(CC) $(STRICT) -I."; \
	  $$cc $$src $$lib -o $$d/good && [ "$$($$d/good)" = ok ] || { echo "control does not build or run"; exit 1; }; \
	  $(CXX) -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror -I. -c $$src -o $$d/goodxx.o && \
	    $(CXX) $$d/goodxx.o $$lib -o $$d/goodxx && [ "$$($$d/goodxx)" = ok ] || { echo "C++ control does not build or run"; exit 1; }; \
	  for opt in TASK_INFO=0 FLOAT=0 LABELS=1 TRACE=1 DIRECT_RESUME=0 TIMER_WHEEL=0; do \
	    if $$cc -DASYNC_CONFIG_$$opt $$src $$lib -o $$d/bad >$$d/bad.log 2>&1; then echo "ASYNC_CONFIG_$$opt: linked"; exit 1; fi; \
	    grep -q "async_rt_abi_.*$${opt%=*}_$${opt#*=}" $$d/bad.log || { echo "ASYNC_CONFIG_$$opt: refused without naming it:"; cat $$d/bad.log; exit 1; }; \
	    echo "ASYNC_CONFIG_$$opt: refused at link time"; \
	  done; \
	  for opt in "ASYNC_TIME_T -DASYNC_TIME_T=uint32_t -DASYNC_STIME_T=int32_t" "ASYNC_TICKS_PER_SEC -DASYNC_TICKS_PER_SEC=1000"; do \
	    name=$${opt%% *}; $$cc -D$${opt#* -D} $$src $$lib -o $$d/bad || exit 1; \
	    if $$d/bad >$$d/bad.log 2>&1; then echo "$$name: ran"; exit 1; fi; \
	    grep -q "compiled with $$name" $$d/bad.log || { echo "$$name: refused without naming it:"; cat $$d/bad.log; exit 1; }; \
	    echo "$$name: refused at start"; \
	  done'
