# Examples (issue 6): one program per seed example, built into
# $(BUILD)/examples/<name>; `make examples` builds them all, `make run` runs the
# tour. Checks: each example runs on the virtual clock (ASYNC_VIRTUAL_TIME=1)
# and its output must equal examples/expected/<name>.txt; examples whose output
# holds measured numbers are checked line by line against a pattern and for
# their claim (examples/expected/<name>.re, see examples/check_example.sh).

EX_DIR := $(BUILD)/examples
# OS-free examples: only async.h and port.h (the embedded ports build these too).
EX_CORE := rock coroutine_object await_coro_vs_task futures homemade_sleep control_flow \
           sequential create_task dont_wait chess styles starvation event_loop errors
# gather needs the combinators (ASYNC_GATHER) in async.h.
EX_GATHER := $(if $(shell grep -l 'define ASYNC_GATHER' async.h 2>/dev/null),gather)
# Host examples: sockets, threads, processes through the libev runtime (src/).
EX_RT_AVAILABLE := $(if $(wildcard src/async_rt.h src/rules.mk),1)
EX_HOST := $(if $(EX_RT_AVAILABLE),greet io_vs_cpu nonblocking blocking network_io concurrency_table pstree)
EX_ALL := $(patsubst examples/%.c,%,$(wildcard $(patsubst %,examples/%.c,$(EX_CORE) $(EX_GATHER) $(EX_HOST))))
# Servers: they run until a signal, so they are checked against real clients
# (tests/servers.py: curl, redis-cli and a raw-socket client) instead.
EX_SERVERS := $(if $(EX_RT_AVAILABLE),http_server resp_server)

EX_CFLAGS := $(STRICT) -O2 -g -I. -Iexamples
EX_PORT_DEFS := $(if $(EX_RT_AVAILABLE),-DPORT_HOST_RT)
EX_LIBS := $(if $(EX_RT_AVAILABLE),$(BUILD)/libasync.a -lev) -pthread -lm
EX_COMMON := $(EX_DIR)/port_host.o $(EX_DIR)/port_fmt.o $(if $(EX_RT_AVAILABLE),$(BUILD)/libasync.a)

$(EX_DIR)/port_host.o: examples/port_host.c examples/port.h async.h $(wildcard src/async_rt.h)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) $(EX_PORT_DEFS) -c $< -o $@
$(EX_DIR)/port_fmt.o: examples/port_fmt.c examples/port.h async.h
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) -c $< -o $@

$(addprefix $(EX_DIR)/,$(EX_ALL) $(EX_SERVERS)): $(EX_DIR)/%: examples/%.c examples/port.h async.h $(EX_COMMON)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) $(EX_PORT_DEFS) $< $(EX_DIR)/port_host.o $(EX_DIR)/port_fmt.o $(EX_LIBS) -o $@

# The tour runs the other examples, so it depends on all of them.
$(EX_DIR)/tour: examples/tour.c $(addprefix $(EX_DIR)/,$(EX_ALL))
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) $< -o $@

.PHONY: examples
examples: $(addprefix $(EX_DIR)/,$(EX_ALL) $(EX_SERVERS)) $(EX_DIR)/tour
all: examples

# `make run`: build everything the tour shows, then take it (about a minute:
# short examples in real time, long ones on the virtual clock; it says which).
run: deps-run examples
	@$(EX_DIR)/tour

# One check per example.
EX_CHECKED := $(EX_ALL)
CHECKS += $(addprefix ex-,$(EX_CHECKED)) ex-tour
$(addprefix check-ex-,$(EX_CHECKED)): check-ex-%: $(EX_DIR)/%
	@$(CHECK) ex-$* 60 sh examples/check_example.sh $* $(EX_DIR)/$*
# The tour: every example it shows is built and found (running them is the
# other checks' job).
check-ex-tour: $(EX_DIR)/tour
	@$(CHECK) ex-tour 60 $(EX_DIR)/tour --list

# The OS-free examples once more under AddressSanitizer + UBSan, on the core's
# virtual clock (port_host.c's fallback backend: no runtime needed), with the
# same expected outputs.
EX_SAN := $(filter $(EX_CORE) gather,$(EX_ALL))
EX_SAN_DIR := $(BUILD)/examples-san
$(addprefix $(EX_SAN_DIR)/,$(EX_SAN)): $(EX_SAN_DIR)/%: examples/%.c examples/port.h examples/port_host.c examples/port_fmt.c async.h
	@mkdir -p $(@D)
	$(CC) $(STRICT) $(SAN_OPT) $(SAN) -I. -Iexamples $< examples/port_host.c examples/port_fmt.c -o $@
CHECKS += ex-san
check-ex-san: $(addprefix $(EX_SAN_DIR)/,$(EX_SAN))
	@$(CHECK) ex-san 120 sh -c 'for e in $(EX_SAN); do sh examples/check_example.sh $$e $(EX_SAN_DIR)/$$e || exit 1; done'

# The servers against real clients: curl and redis-cli (Debian's), plus
# malformed, oversized and vanishing peers from a raw-socket client; each
# server is stopped with SIGTERM and must shut down gracefully and exit 0.
DEPS_TEST += curl redis-tools
CHECKS += $(addprefix ex-,$(EX_SERVERS))
$(addprefix check-ex-,$(EX_SERVERS)): check-ex-%: $(EX_DIR)/% tests/servers.py
	@$(CHECK) ex-$* 120 python3 tests/servers.py $* $(EX_DIR)/$*
# The same, with the server under valgrind (leaks and invalid accesses fail).
CHECKS += $(addsuffix -valgrind,$(addprefix ex-,$(EX_SERVERS)))
$(addsuffix -valgrind,$(addprefix check-ex-,$(EX_SERVERS))): check-ex-%-valgrind: $(EX_DIR)/% tests/servers.py
	@SERVERS_WRAP="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite" \
	  $(CHECK) ex-$*-valgrind 300 python3 tests/servers.py $* $(EX_DIR)/$*
