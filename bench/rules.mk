# Benchmarks: programs, not timed tests. `make bench` builds every program in
# BENCH_PROGS with -O2, runs them and the peers (asyncio, uvloop, node, go where
# installed) and prints ONE table. Run one by hand: build-x/bench/NAME.
#
# HOW TO ADD A WORKLOAD (other engineers: read this)
#   C program:  bench/NAME.c, then in a rules.mk fragment
#                 BENCH_PROGS += NAME
#                 BENCH_LIBS_NAME := -lev            (extra link flags, optional)
#                 BENCH_CFLAGS_NAME := -Isrc         (extra compile flags, optional)
#                 $(BUILD)/bench/NAME: $(BUILD)/libfoo.a   (extra prerequisites, optional;
#                                                            .a/.o ones are linked in)
#               It is built as $(BUILD)/bench/NAME from bench/NAME.c with
#               $(STRICT) -O2 -I. -Ibench. Include "bench.h" first for the timer,
#               median, RSS and ROW helpers (see bench/bench.h).
#   Peer:       bench/peers/NAME.py (python3 asyncio), .js (node) or .go (go run);
#                 BENCH_PEERS += bench/peers/NAME.py
#               A peer runs only when its interpreter is installed. A .py peer is
#               run twice when uvloop is importable: BENCH_LOOP=asyncio, then
#               BENCH_LOOP=uvloop (install uvloop's event loop policy then, and
#               print who=uvloop; print nothing if the loop does not matter).
#               bench/peers/benchlib.py has the same helpers for Python, benchlib.js
#               for Node. Do not name a .py peer like a standard module (queue.py
#               shadows `queue` for every peer: uvloop then fails to import).
#   Budget:     the whole `make bench` should take under ~2-3 minutes on 2 cores;
#               the runner prints the slowest programs at the end.
#
# THE ROW FORMAT (one line per figure, on stdout, tab-separated)
#   ROW<TAB>workload<TAB>who<TAB>value<TAB>unit<TAB>better<TAB>target
#     workload  the table's row key: ours and the peers use the same string
#               ("pingpong", "park", "spawn N=1e6")
#     who       "ours", or the peer's name: asyncio, uvloop, node, go, python,
#               libev-plain, c-switch, ...
#     value     a number (%g); ns per operation for times (median of several runs)
#     unit      ns, B, req/s, s, ...
#     better    lower or higher (decides the ratio's wording)
#     target    free text, e.g. "<= 25 ns (goal <= 10)"; may be empty
#   NOTE<TAB>text  is printed under the table. Anything else a program prints goes
#   to $(BUILD)/bench/logs/NAME.log only. A program must exit 0; a program that
#   computed a wrong result exits non-zero and its rows are not trusted.
#   BENCH_QUICK=1 in the environment asks for a quick run (bench_n() / 100): the
#   check `bench-smoke` runs every program that way and checks the ROW lines.
#   BENCH_N=n makes every bench_n() return n; BENCH_SCALE=f multiplies the counts.
#
# INSTRUCTION COUNTS (make bench, when valgrind is installed)
#   COUNT<TAB>workload<TAB>who  (printed by bench_time_row()) asks the runner to
#   run the program again under callgrind with BENCH_ONLY=workload BENCH_WHO=who
#   at BENCH_N=2000 and 12000 (BENCH_ICOUNT_N1/N2 override): the program then
#   measures that row only, once, at exactly n operations, still checking its
#   result. (I2 - I1) / (N2 - N1) becomes the row "workload, instr/op" (unit
#   instr), next to the same figure of any C peer (c-switch, c-proto); targets in
#   bench/instr_targets.txt. Rows named "resume depth D (send|task)", "spawn
#   N=1eK" and "sleepers N=1eK (virtual)" go to the scaling tables under the
#   main one. bench-smoke runs each COUNT row alone natively (BENCH_N=200).
#   The COUNT rows of the programs in BENCH_SYSCALLS also run under strace -c
#   at the same two sizes: "workload, syscalls/op" (unit syscalls).

BENCH_CFLAGS := $(STRICT) -O2 -I. -Ibench
BENCH_OUT = $(BUILD)/bench

BENCH_PROGS += send pingpong spawn park park_noinfo nesting scaling proto
BENCH_PEERS += bench/peers/send.py bench/peers/pingpong.py bench/peers/spawn.py bench/peers/park.py
BENCH_PEERS += bench/peers/pingpong.js bench/peers/spawn.js bench/peers/park.js
BENCH_PEERS += bench/peers/pingpong.go bench/peers/spawn.go bench/peers/park.go

# Combinators, sync and queues (issue 4).
BENCH_PROGS += gather queue lock wait_for
BENCH_PEERS += bench/peers/gather.py bench/peers/queue_peer.py bench/peers/lock.py bench/peers/wait_for.py

# uvloop for the Python peers (small; `make bench` carries on without it).
DEPS_BENCH += python3-uvloop
# valgrind for the instruction counts (without it the table has none and says so).
DEPS_BENCH += valgrind

$(BENCH_OUT)/%: bench/%.c async.h $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(BENCH_CFLAGS_$*) $< $(filter %.a %.o,$^) -o $@ $(BENCH_LIBS_$*)

# park_noinfo is park.c with ASYNC_CONFIG_TASK_INFO=0 (it includes park.c);
# pingpong_ev and spawn_ev are pingpong.c and spawn.c on src/'s libev loop.
$(BENCH_OUT)/park_noinfo: bench/park.c
BENCH_PROGS += pingpong_ev spawn_ev
$(foreach p,pingpong_ev spawn_ev,$(eval BENCH_CFLAGS_$(p) := -Isrc)$(eval BENCH_LIBS_$(p) := -lev -pthread))
$(BENCH_OUT)/pingpong_ev: bench/pingpong.c $(BUILD)/libasync.a src/async_rt.h
$(BENCH_OUT)/spawn_ev: bench/spawn.c $(BUILD)/libasync.a src/async_rt.h
# System calls per operation (strace) for the rows these programs count.
BENCH_SYSCALLS += pingpong_ev spawn_ev
DEPS_BENCH += strace

.PHONY: bench-build
bench-build: $(addprefix $(BENCH_OUT)/,$(BENCH_PROGS))

# Missing packages or a program that does not build do not stop the others:
# the runner names what is missing.
bench:
	@mkdir -p $(BUILD)
	@sh tools/deps.sh $(DEPS_BENCH) || echo "bench: carrying on without the packages above"
	@$(MAKE) --no-print-directory -k bench-build >$(BENCH_OUT)-build.log 2>&1 || \
	    { echo "bench: some programs did not build (see $(BENCH_OUT)-build.log):"; grep -E 'error|Error' $(BENCH_OUT)-build.log | head -20; }
	@BENCH_SYSCALLS="$(BENCH_SYSCALLS)" sh bench/run.sh $(BENCH_OUT) "$(BENCH_PROGS)" "$(BENCH_PEERS)"

# The example servers under wrk and redis-benchmark, next to raw libev
# servers (bench/servers.c; issue 10).
DEPS_BENCH += wrk redis-tools
BENCH_PROGS += servers
BENCH_CFLAGS_servers := -DEXAMPLES_DIR='"$(BUILD)/examples"'
BENCH_LIBS_servers := -lev
$(BENCH_OUT)/servers: $(BUILD)/examples/http_server $(BUILD)/examples/resp_server

# Smoke check: every bench program runs (quick mode), exits 0 and prints
# well-formed ROW lines. It times nothing.
# (After every fragment's BENCH_PROGS: the prerequisites are expanded here.)
CHECKS += bench-smoke
check-bench-smoke: $(addprefix $(BENCH_OUT)/,$(BENCH_PROGS))
	@$(CHECK) bench-smoke 120 sh bench/run.sh --smoke $(BENCH_OUT) "$(BENCH_PROGS)"
