# async.h — build, test, run, bench. `make test` and `make run` install the
# Debian packages they need (tools/deps.sh) and say which one is missing if
# they cannot. Each area keeps its rules in its own fragment (*/rules.mk).

CC      ?= cc
CXX     ?= c++
BUILD   := build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
STRICT  := -std=c99 -Wall -Wextra -pedantic -Werror
OPT     := -O2 -g
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

checks: $(addprefix check-,$(CHECKS))

clean:
	rm -rf $(BUILD)
