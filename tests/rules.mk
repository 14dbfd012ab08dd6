# Core tests: one cmocka program per feature in tests/test_*.c, built twice:
# plain (-O2) and with ASan+UBSan. The core's strict compiles are checks too.

CORE_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
TEST_CFLAGS := $(STRICT) -I. -Itests
TEST_LIBS := -lcmocka

$(BUILD)/tests/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(TEST_OPT) $< -o $@ $(TEST_LIBS)

$(BUILD)/tests-san/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN_OPT) $(SAN) $< -o $@ $(TEST_LIBS)

CHECKS += $(CORE_TESTS) $(addsuffix -san,$(CORE_TESTS))
CHECKS_SELF_BUILT += $(CORE_TESTS) $(addsuffix -san,$(CORE_TESTS))

# $(call TEST_CHECK,NAME,PROGRAM,SECONDS[,RUNNER]): build PROGRAM, then run it
# (under RUNNER, e.g. valgrind) as check NAME. A program that does not build
# counts as a failed check (with the compiler's output) instead of silently
# missing from the summary.
define TEST_CHECK
@mkdir -p $(BUILD)/results; \
if $(MAKE) --no-print-directory -s $(2) >$(BUILD)/results/$(1).build 2>&1; then \
  $(CHECK) $(1) $(3) $(4) $(2); \
else \
  echo "0 1" >$(BUILD)/results/$(1).count; echo "FAIL $(1): does not build:"; \
  tail -n 25 $(BUILD)/results/$(1).build | sed 's/^/    /'; \
fi
endef

$(addprefix check-,$(CORE_TESTS)): check-%:
	$(call TEST_CHECK,$*,$(BUILD)/tests/$*,60)
$(addprefix check-,$(addsuffix -san,$(CORE_TESTS))): check-%-san:
	$(call TEST_CHECK,$*-san,$(BUILD)/tests-san/$*,120)

# Every core test again with label-address resume points (-DASYNC_CONFIG_LABELS=1),
# optimised, since GCC's -Wdangling-pointer only looks at label stores when
# optimising; test_macros.c adds a user `switch` containing resume points.
$(BUILD)/tests-labels/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -DASYNC_CONFIG_LABELS=1 $(TEST_OPT) $< -o $@ $(TEST_LIBS)

CHECKS += $(addsuffix -labels,$(CORE_TESTS))
CHECKS_SELF_BUILT += $(addsuffix -labels,$(CORE_TESTS))
$(addprefix check-,$(addsuffix -labels,$(CORE_TESTS))): check-%-labels:
	$(call TEST_CHECK,$*-labels,$(BUILD)/tests-labels/$*,60)

# Every core test compiled as C++ (the core is meant to be used from C++): the
# macros must keep working where C++ is stricter (jumps over initialisations,
# casts, linkage). Brace-initialised frames ({{0}, ...}) are fine C, hence the
# one relaxed warning.
CXX_TEST_FLAGS := -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror -Wno-missing-field-initializers -I. -Itests
$(BUILD)/tests-cxx/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CXX) $(CXX_TEST_FLAGS) -Og $< -o $@ $(TEST_LIBS)

CHECKS += $(addsuffix -cxx,$(CORE_TESTS))
CHECKS_SELF_BUILT += $(addsuffix -cxx,$(CORE_TESTS))
$(addprefix check-,$(addsuffix -cxx,$(CORE_TESTS))): check-%-cxx:
	$(call TEST_CHECK,$*-cxx,$(BUILD)/tests-cxx/$*,60)

# Every core test under valgrind (memcheck, definite leaks are errors; no
# suppressions: the core never reads memory it has not initialised).
DEPS_TEST += valgrind
CHECKS += $(addsuffix -valgrind,$(CORE_TESTS))
CHECKS_SELF_BUILT += $(addsuffix -valgrind,$(CORE_TESTS))
# The plain programs serve two checks: built before the checks run, so that
# the two never build one file at the same time.
CHECK_PREBUILD += $(addprefix $(BUILD)/tests/,$(CORE_TESTS))
$(addprefix check-,$(addsuffix -valgrind,$(CORE_TESTS))): check-%-valgrind:
	$(call TEST_CHECK,$*-valgrind,$(BUILD)/tests/$*,180,env TEST_WATCHDOG=170 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)

# Every core test without the task info (-DASYNC_CONFIG_TASK_INFO=0, what
# embedded users build), with ASan+UBSan: misuse detection must not depend on it.
$(BUILD)/tests-noinfo/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -DASYNC_CONFIG_TASK_INFO=0 $(SAN_OPT) $(SAN) $< -o $@ $(TEST_LIBS)

CHECKS += $(addsuffix -noinfo,$(CORE_TESTS))
CHECKS_SELF_BUILT += $(addsuffix -noinfo,$(CORE_TESTS))
$(addprefix check-,$(addsuffix -noinfo,$(CORE_TESTS))): check-%-noinfo:
	$(call TEST_CHECK,$*-noinfo,$(BUILD)/tests-noinfo/$*,120)

# async.h alone, as C99, C11, C++ (GCC and Clang), both resume styles, freestanding;
# -Wshadow too (the macros must not make a user's -Wshadow -Werror build fail).
STRICT_VARIANTS := gcc-c99 gcc-c11 gxx clang-c99 clangxx gcc-labels clang-labels gcc-freestanding gcc-noinfo gcc-shadow clang-shadow
CHECKS += $(addprefix strict-,$(STRICT_VARIANTS))
STRICT_SRC := tests/strict_compile.c
STRICT_W := -Wall -Wextra -Werror
check-strict-gcc-c99:        ; @$(CHECK) strict-gcc-c99 60 gcc -std=c99 -pedantic $(STRICT_W) -I. -c $(STRICT_SRC) -o /dev/null
check-strict-gcc-c11:        ; @$(CHECK) strict-gcc-c11 60 gcc -std=c11 -pedantic $(STRICT_W) -I. -c $(STRICT_SRC) -o /dev/null
check-strict-gxx:            ; @$(CHECK) strict-gxx 60 g++ -x c++ -std=c++11 -pedantic $(STRICT_W) -I. -c $(STRICT_SRC) -o /dev/null
check-strict-clang-c99:      ; @$(CHECK) strict-clang-c99 60 sh -c 'command -v clang >/dev/null || { echo "clang not installed"; exit 0; }; clang -std=c99 -pedantic $(STRICT_W) -I. -c $(STRICT_SRC) -o /dev/null'
check-strict-clangxx:        ; @$(CHECK) strict-clangxx 60 sh -c 'command -v clang++ >/dev/null || { echo "clang++ not installed"; exit 0; }; clang++ -x c++ -std=c++11 -pedantic $(STRICT_W) -I. -c $(STRICT_SRC) -o /dev/null'
check-strict-gcc-labels:     ; @$(CHECK) strict-gcc-labels 60 gcc -std=c99 -pedantic $(STRICT_W) -DASYNC_CONFIG_LABELS=1 -I. -c $(STRICT_SRC) -o /dev/null
check-strict-clang-labels:   ; @$(CHECK) strict-clang-labels 60 sh -c 'command -v clang >/dev/null || { echo "clang not installed"; exit 0; }; clang -std=c99 -pedantic $(STRICT_W) -DASYNC_CONFIG_LABELS=1 -I. -c $(STRICT_SRC) -o /dev/null'
check-strict-gcc-freestanding: ; @$(CHECK) strict-gcc-freestanding 60 gcc -std=c99 -pedantic $(STRICT_W) -ffreestanding -nostdinc -isystem $$(gcc -print-file-name=include) -DASYNC_FREESTANDING -I. -c $(STRICT_SRC) -o /dev/null
check-strict-gcc-shadow:     ; @$(CHECK) strict-gcc-shadow 60 sh -c 'for x in c c++; do gcc -x $$x -pedantic $(STRICT_W) -Wshadow -I. -c $(STRICT_SRC) -o /dev/null || exit 1; done'
check-strict-clang-shadow:   ; @$(CHECK) strict-clang-shadow 60 sh -c 'command -v clang >/dev/null || { echo "clang not installed"; exit 0; }; clang -std=c99 -pedantic $(STRICT_W) -Wshadow -I. -c $(STRICT_SRC) -o /dev/null'
check-strict-gcc-noinfo:     ; @$(CHECK) strict-gcc-noinfo 60 gcc -std=c99 -pedantic $(STRICT_W) -DASYNC_CONFIG_TASK_INFO=0 -DASYNC_CONFIG_FLOAT=0 -I. -c $(STRICT_SRC) -o /dev/null

# Without the examples issue's tour, `make run` shows the seed's Rock program.

# Misuses that must not compile, each next to a control that must: two resume
# points on one line (both resume styles), a resume point past line 65535
# (switch mode stores the line in 16 bits); and the frame misuses of
# tests/compile_fail/frames.c (async_frame hdr not first, or not an
# async_frame; a frame of the wrong type for AWAIT_CO, AWAIT_CO_CATCH,
# TASK_CREATE, CORO_INIT; a try block in a frame without ASYNC_TRY_FRAME;
# an ASYNC_FINALLY inside a block of its own), a resume point on line 2
# (lines 1 and 2 are the states FINALLY and done):
# hard errors even without -Werror, in C and C++,
# while the control builds strictly in both, with both resume styles.
CF_DIR = $(BUILD)/compile-fail
CF_HEAD := '\#include <async.h>' 'struct f { async_frame hdr; };' 'ASYNC_FN(co, struct f) {' 'ASYNC_BEGIN();'
CF_TAIL := 'ASYNC_END();' '}'
CF_LINE_BAD := '\#line 70000'
CF_LINE_GOOD := '\#line 60000'
CF_LOW_BAD := '\#line 2'
CF_LOW_GOOD := '\#line 3'
CHECKS += compile-fail
check-compile-fail:
	@mkdir -p $(CF_DIR)
	@printf '%s\n' $(CF_HEAD) 'ASYNC_SLEEP0(); ASYNC_SLEEP0();' $(CF_TAIL) >$(CF_DIR)/two_bad.c
	@printf '%s\n' $(CF_HEAD) 'ASYNC_SLEEP0();' 'ASYNC_SLEEP0();' $(CF_TAIL) >$(CF_DIR)/two_good.c
	@printf '%s\n' $(CF_HEAD) $(CF_LINE_BAD) 'ASYNC_SLEEP0();' $(CF_TAIL) >$(CF_DIR)/line_bad.c
	@printf '%s\n' $(CF_HEAD) $(CF_LINE_GOOD) 'ASYNC_SLEEP0();' $(CF_TAIL) >$(CF_DIR)/line_good.c
	@printf '%s\n' $(CF_HEAD) $(CF_LOW_BAD) 'ASYNC_SLEEP0();' $(CF_TAIL) >$(CF_DIR)/low_bad.c
	@printf '%s\n' $(CF_HEAD) $(CF_LOW_GOOD) 'ASYNC_SLEEP0();' $(CF_TAIL) >$(CF_DIR)/low_good.c
	@$(CHECK) compile-fail 60 sh -c 'cd $(CF_DIR) && set -- "" -DASYNC_CONFIG_LABELS=1; \
	  for mode in "$$@"; do for t in two line low; do \
	    case "$$t$$mode" in line-D*|low-D*) continue;; esac; \
	    cc="$(CC) -std=c99 -Wall -Wextra -pedantic -Werror $$mode -I$(CURDIR) -c -o /dev/null"; \
	    $$cc $${t}_good.c || { echo "control $$t $$mode does not compile"; exit 1; }; \
	    if $$cc $${t}_bad.c 2>/dev/null; then echo "misuse $$t $$mode compiled"; exit 1; fi; \
	    echo "$$t $$mode: rejected at compile time"; \
	  done; done; \
	  f=$(CURDIR)/tests/compile_fail/frames.c; inc=-I$(CURDIR); \
	  for mode in "" -DASYNC_CONFIG_LABELS=1; do \
	    $(CC) -std=c99 -Wall -Wextra -pedantic -Werror $$mode $$inc -c $$f -o /dev/null || { echo "frames control $$mode does not compile"; exit 1; }; \
	  done; \
	  $(CXX) -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror $$inc -c $$f -o /dev/null || { echo "frames control does not compile as C++"; exit 1; }; \
	  for bad in FIRST HDR_TYPE AWAIT_CO AWAIT_CO_CATCH TASK_CREATE VOID_FRAME CORO_INIT TRY_FRAME FINALLY_BLOCK; do \
	    if $(CC) -std=c99 -w -DBAD_$$bad $$inc -c $$f -o /dev/null 2>/dev/null; then echo "frames BAD_$$bad compiled"; exit 1; fi; \
	    if $(CXX) -x c++ -std=c++11 -w -DBAD_$$bad $$inc -c $$f -o /dev/null 2>/dev/null; then echo "frames BAD_$$bad compiled as C++"; exit 1; fi; \
	    echo "frames BAD_$$bad: rejected at compile time (C, C++)"; \
	  done'

# The boards' small clocks: 32-bit and 16-bit ticks at 1 kHz (conversions
# saturate instead of wrapping, deadlines compare modulo wrap, "no timeout"
# is not a tick value), with ASan+UBSan.
CLOCK32_FLAGS := -DASYNC_TIME_T=uint32_t -DASYNC_STIME_T=int32_t -DASYNC_TICKS_PER_SEC=1000
CLOCK16_FLAGS := -DASYNC_TIME_T=uint16_t -DASYNC_STIME_T=int16_t -DASYNC_TICKS_PER_SEC=1000
CLOCK_TESTS := test_time test_sleep test_timeout test_timers test_timer_wheel test_wait test_wait_for test_as_completed test_gather
# test_sleep sleeps hours, beyond a 16-bit clock's 32.7 s
CLOCK16_TESTS := $(filter-out test_sleep,$(CLOCK_TESTS))
$(BUILD)/tests-clock32/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(CLOCK32_FLAGS) $(SAN_OPT) $(SAN) $< -o $@ $(TEST_LIBS)
$(BUILD)/tests-clock16/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(CLOCK16_FLAGS) $(SAN_OPT) $(SAN) $< -o $@ $(TEST_LIBS)
CHECKS += $(addsuffix -clock32,$(CLOCK_TESTS)) $(addsuffix -clock16,$(CLOCK16_TESTS))
CHECKS_SELF_BUILT += $(addsuffix -clock32,$(CLOCK_TESTS)) $(addsuffix -clock16,$(CLOCK16_TESTS))
$(addprefix check-,$(addsuffix -clock32,$(CLOCK_TESTS))): check-%-clock32:
	$(call TEST_CHECK,$*-clock32,$(BUILD)/tests-clock32/$*,60)
$(addprefix check-,$(addsuffix -clock16,$(CLOCK16_TESTS))): check-%-clock16:
	$(call TEST_CHECK,$*-clock16,$(BUILD)/tests-clock16/$*,60)

# make fuzz: long runs of the fuzzers (not part of make test; each stops at the
# first failure and prints its seed). FUZZ_SCHED_N sets the number of programs.
FUZZ_SCHED_N ?= 200000
.PHONY: fuzz fuzz-sched
fuzz: fuzz-sched
fuzz-sched: $(BUILD)/tests-san/test_fuzz_sched
	FUZZ_SCHED_N=$(FUZZ_SCHED_N) TEST_WATCHDOG=3000 $(BUILD)/tests-san/test_fuzz_sched
