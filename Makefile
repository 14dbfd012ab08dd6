# async.h — build, test, run, bench. `make test` and `make run` install the
# Debian packages they need (tools/deps.sh) and say which one is missing if
# they cannot. Each area keeps its rules in its own fragment (*/rules.mk).

CC      ?= cc
CXX     ?= c++
BUILD   := build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
STRICT  := -std=c99 -Wall -Wextra -pedantic -Werror
OPT     := -O2 -g
# The test programs' levels. Debug info is line tables (-g1): all that the
# reports of valgrind and the sanitizers print (file:line, inlined frames
# too), and the code is the same as with -g (GCC's -g never changes it).
#   TEST_OPT  builds whose point includes the optimiser (plain: what users
#             build, and what valgrind runs; labels: -Wdangling-pointer).
#   LOW_OPT   builds whose point is not the optimiser (one-copy linkage, the
#             libev backend): -O1 compiles in half the time of -O2.
#   SAN_OPT   ASan+UBSan builds: -Og still runs the flow analysis that
#             -Wmaybe-uninitialized needs and keeps every sanitizer check
#             (optimising only removes checks), at a third of -O1's compile
#             time with the sanitizers (-O1 inlines, then instruments, far more).
TEST_OPT := -O2 -g1
LOW_OPT  := -O1 -g1
SAN_OPT  := -Og -g1
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CHECK   := RESULTS=$(BUILD)/results sh tests/run-check.sh

# Debian packages, by purpose. Fragments add to them.
DEPS_TEST  := libcmocka-dev libev-dev
DEPS_RUN   := libev-dev
DEPS_BENCH := libev-dev

# Checks that `make test` runs: each NAME has a rule `check-NAME`.
CHECKS :=
# Those of them that build their program inside their recipe (see test:).
CHECKS_SELF_BUILT :=
# Files that `make test` builds before it runs the checks (see test:).
CHECK_PREBUILD :=

.PHONY: all test run bench clean deps-test deps-run deps-bench checks

all:

include tests/rules.mk
include tests/readme.mk
include tests/onecopy.mk
include tests/packaging.mk
-include src/rules.mk
-include bench/rules.mk
-include examples/rules.mk
-include tutorial/rules.mk
-include embedded/rules.mk
-include embedded/footprint/rules.mk

deps-test:
	@sh tools/deps.sh $(DEPS_TEST)
deps-run:
	@sh tools/deps.sh $(DEPS_RUN)
deps-bench:
	@sh tools/deps.sh $(DEPS_BENCH)

# Every check runs (keep going), in parallel; the summary's last line is
# "N passed, N failed" and decides the exit status.
# A check whose program fails to build leaves no result: the summary counts it failed.
#
# Two steps. GNU make (4.3) starts the recipe of a target whose prerequisites
# it had to build only on its next walk over the whole goal list, and the
# first walk lasts until every core test has been started: without the first
# step, every check with a built prerequisite (the runtime's, the examples',
# bench-smoke, the emulated runs) ran at the end, one long check alone last.
#  1. Build what those checks need (their recipes with CHECK=true run
#     nothing), and CHECK_PREBUILD (files that two self-building checks share).
#  2. Run the checks, in CHECKS_ORDER: those that wait on the real clock or on
#     a process (sleeps, servers, emulators, valgrind) interleaved with the
#     CPU-bound core tests (CHECKS_SELF_BUILT: each builds its program in its
#     recipe), so that a waiting check leaves its core to a compiler; the
#     short core tests last, so that no long check ends the run alone.
test: deps-test
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	@echo $(sort $(CHECKS)) | tr ' ' '\n' >$(BUILD)/results/expected.list
	@$(MAKE) --no-print-directory -k -j$(JOBS) --output-sync=target CHECK=true \
	    $(addprefix check-,$(filter-out $(CHECKS_SELF_BUILT),$(CHECKS))) $(CHECK_PREBUILD) || true
	@$(MAKE) --no-print-directory -k -j$(JOBS) --output-sync=target checks || true
	@RESULTS=$(BUILD)/results sh tests/summary.sh

# The checks that take longest in wall time, longest first (they start first).
CHECKS_FIRST := bench-smoke embedded-footprint onecopy cmake-install cmake-subdir packaging-meta \
                rt-config cmake-package packaging-arduino rt_shutdown-valgrind rt_cancel-valgrind \
                ex-http_server-valgrind ex-resp_server-valgrind ex-greet
# $(call interleave,A,B): a1 b1 a2 b2 ..., then the rest of the longer list.
interleave = $(if $(strip $(1)$(2)),$(firstword $(1)) $(firstword $(2)) \
    $(call interleave,$(wordlist 2,$(words $(1)),$(1)),$(wordlist 2,$(words $(2)),$(2))))
CHECKS_WAITING = $(foreach c,$(CHECKS_FIRST),$(filter $(c),$(CHECKS))) \
                 $(filter-out $(CHECKS_FIRST) $(CHECKS_SELF_BUILT),$(CHECKS))
CHECKS_ORDER = $(call interleave,$(CHECKS_WAITING),$(filter $(CHECKS_SELF_BUILT),$(CHECKS)))
checks: $(addprefix check-,$(CHECKS_ORDER))

clean:
	rm -rf $(BUILD)
