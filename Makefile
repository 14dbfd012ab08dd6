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
test: deps-test
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	@echo $(sort $(CHECKS)) | tr ' ' '\n' >$(BUILD)/results/expected.list
	@$(MAKE) --no-print-directory -k -j$(JOBS) --output-sync=target checks || true
	@RESULTS=$(BUILD)/results sh tests/summary.sh

# The order in which make starts them (-j keeps the list's order): first the
# checks that take longest in wall time (a run on the real clock, a build of
# several programs inside one check), then the rest, the many short core tests
# last, so that the run does not end with one long check alone on one core.
CHECKS_FIRST := bench-smoke embedded-footprint onecopy cmake-install cmake-subdir packaging-meta \
                rt-config cmake-package packaging-arduino rt_shutdown-valgrind rt_cancel-valgrind \
                ex-http_server-valgrind ex-resp_server-valgrind
CHECKS_ORDER = $(foreach c,$(CHECKS_FIRST),$(filter $(c),$(CHECKS))) \
               $(filter-out $(CHECKS_FIRST) test_%,$(CHECKS)) $(filter test_%,$(CHECKS))
checks: $(addprefix check-,$(CHECKS_ORDER))

clean:
	rm -rf $(BUILD)
