# embedded/rules.mk — issue 5: the core on microcontrollers.
#   Cross builds of the OS-free examples (and of footprint programs) for
#   Cortex-M0, M3, M4, RV32 and ATmega328P; emulated runs on QEMU (M3, M4,
#   RV32) and simavr (ATmega328P) compared with the host's ASYNC_VIRTUAL_TIME=1
#   output; the footprint report (`make embedded`). See embedded/README.md.

# Toolchains and emulators. A missing one fails its checks with one line
# naming the package (never a silent skip).
DEPS_TEST += gcc-arm-none-eabi gcc-riscv64-unknown-elf gcc-avr avr-libc simavr qemu-system-arm
# qemu-system-riscv32 (the RV32 runs) is in qemu-system-misc.
DEPS_TEST += qemu-system-misc
# The blinky test bench links simavr as a library.
DEPS_TEST += libsimavr-dev libelf-dev

EMB := $(BUILD)/embedded
# The tutorial examples that need no OS; each is built and run as soon as its
# file exists in examples/.
EMB_WANT := sequential gather create_task dont_wait await_coro_vs_task rock futures \
            homemade_sleep control_flow chess
EMB_EX := $(filter $(EMB_WANT),$(patsubst examples/%.c,%,$(wildcard examples/*.c)))
EMB_TARGETS := m0 m3 m4 rv32 avr
EMB_RUN_BOARDS := m3 m4 rv32 avr

# The issue's flags for every target, -Os. The boards' clock, 1 ms ticks in
# 32 bits (49 days before wrap-around, compared modulo wrap anyway), and no
# double are async.h's freestanding defaults.
EMB_CFLAGS := -std=c99 -pedantic -Wall -Wextra -Werror -ffreestanding -Os -ffunction-sections \
              -fdata-sections -I. -Iexamples -Iembedded -Iembedded/footprint -Iports
# The lean configuration of the footprint report: no task names/positions, no doubles.
EMB_LEAN := -DASYNC_CONFIG_TASK_INFO=0 -DASYNC_CONFIG_FLOAT=0

EMB_CM_BOARD := embedded/cortexm/startup.c
EMB_CM_LINK := -nostdlib -Wl,--gc-sections -T embedded/cortexm/cortexm.ld -lgcc
EMB_CC_m0 := arm-none-eabi-gcc
EMB_CC_m3 := arm-none-eabi-gcc
EMB_CC_m4 := arm-none-eabi-gcc
EMB_CC_rv32 := riscv64-unknown-elf-gcc
EMB_CC_avr := avr-gcc
EMB_PKG_m0 := gcc-arm-none-eabi
EMB_PKG_m3 := gcc-arm-none-eabi
EMB_PKG_m4 := gcc-arm-none-eabi
EMB_PKG_rv32 := gcc-riscv64-unknown-elf
EMB_PKG_avr := gcc-avr
EMB_CM_HZ := -DASYNC_PORT_CPU_HZ=25000000
EMB_ARCH_m0 := -mthumb -mcpu=cortex-m0 $(EMB_CM_HZ)
EMB_ARCH_m3 := -mthumb -mcpu=cortex-m3 $(EMB_CM_HZ)
# M4 runs its critical sections on BASEPRI (masking priorities 0x80 and
# below, where the port puts SysTick), M0 and M3 on PRIMASK.
EMB_ARCH_m4 := -mthumb -mcpu=cortex-m4 -mfloat-abi=soft $(EMB_CM_HZ) -DASYNC_CONFIG_CRITICAL_BASEPRI=0x80
EMB_ARCH_rv32 := -march=rv32imac -mabi=ilp32 -mcmodel=medany -nostdlib
EMB_ARCH_avr := -mmcu=atmega328p -DF_CPU=16000000UL
EMB_START_m0 := $(EMB_CM_BOARD)
EMB_START_m3 := $(EMB_CM_BOARD)
EMB_START_m4 := $(EMB_CM_BOARD)
EMB_START_rv32 := embedded/rv32/startup.c
EMB_START_avr :=
# The board (console, exit, start-up) and the CPU's port (ports/: tick,
# critical sections, idle).
EMB_PORT_m0 := embedded/cortexm/port_cortexm.c ports/cortexm/async_port.c
EMB_PORT_m3 := $(EMB_PORT_m0)
EMB_PORT_m4 := $(EMB_PORT_m0)
EMB_PORT_rv32 := embedded/rv32/port_rv32.c ports/riscv/async_port.c
EMB_PORT_avr := embedded/avr/port_avr.c ports/avr/async_port.c
EMB_LINK_m0 := $(EMB_CM_LINK)
EMB_LINK_m3 := $(EMB_CM_LINK)
EMB_LINK_m4 := $(EMB_CM_LINK)
EMB_LINK_rv32 := -Wl,--gc-sections -T embedded/rv32/rv32.ld -lgcc
EMB_LINK_avr := -Wl,--gc-sections

EMB_DEPS := async.h examples/port.h examples/port_fmt.c $(wildcard ports/*.h) embedded/rules.mk \
            $(wildcard embedded/footprint/*.h)
EMB_FP := fp_empty fp_one_task fp_one_task_lean

# Programs of a board's own (embedded/<dir>/<name>.c with the board's port).
EMB_OWN_avr := blinky
EMB_OWN_DIR_avr := avr
EMB_OWN_rv32 := tickless
EMB_OWN_DIR_rv32 := rv32

# A build rule never stops make: it leaves the ELF, or a log and no ELF, and
# the check that needs the ELF reports the failure (so it is counted).
EMB_COMPILE = $(EMB_CC_$(1)) $(EMB_CFLAGS) $(EMB_ARCH_$(1))
define EMB_TARGET_RULES
$(EMB)/$(1)/%.elf: examples/%.c $(EMB_START_$(1)) $(EMB_PORT_$(1)) $(EMB_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) $(EMB_PORT_$(1)) examples/port_fmt.c $$< $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(if $(EMB_OWN_$(1)),$(EMB)/$(1)/$(EMB_OWN_$(1)).elf): $(EMB)/$(1)/%.elf: embedded/$(EMB_OWN_DIR_$(1))/%.c $(EMB_START_$(1)) $(EMB_PORT_$(1)) $(EMB_DEPS) embedded/board.h
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) $(EMB_PORT_$(1)) examples/port_fmt.c $$< $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/fp_%.elf: embedded/footprint/fp_%.c $(EMB_START_$(1)) $(EMB_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) $$< $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/fp_%_lean.elf: embedded/footprint/fp_%.c $(EMB_START_$(1)) $(EMB_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_LEAN) $(EMB_START_$(1)) $$< $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/fp_sizes.o: embedded/footprint/fp_sizes.c $(EMB_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) -c $$< -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/fp_sizes_lean.o: embedded/footprint/fp_sizes.c $(EMB_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_LEAN) -c $$< -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
EMB_ELFS_$(1) := $(addprefix $(EMB)/$(1)/,$(addsuffix .elf,$(EMB_EX) $(EMB_FP) $(EMB_OWN_$(1)))) \
                 $(EMB)/$(1)/fp_sizes.o $(EMB)/$(1)/fp_sizes_lean.o
check-embedded-build-$(1): $$(EMB_ELFS_$(1))
	@$(CHECK) embedded-build-$(1) 60 sh embedded/check_build.sh $(1) $(EMB_CC_$(1)) $(EMB_PKG_$(1)) $$^
endef
$(foreach t,$(EMB_TARGETS),$(eval $(call EMB_TARGET_RULES,$(t))))
CHECKS += $(addprefix embedded-build-,$(EMB_TARGETS))

# Host builds of the same examples (virtual clock via ASYNC_VIRTUAL_TIME=1):
# the reference output of every emulated run.
$(EMB)/host/%: examples/%.c examples/port_host.c examples/port_fmt.c examples/port.h async.h
	@mkdir -p $(@D)
	@$(CC) $(STRICT) -O1 -I. -Iexamples examples/port_host.c examples/port_fmt.c $< -o $@ >$@.log 2>&1 || { rm -f $@; echo "build failed: $@"; }
$(EMB)/host/fp_sizes.o $(EMB)/host/fp_sizes_lean.o: $(EMB)/host/fp_sizes%.o: embedded/footprint/fp_sizes.c async.h
	@mkdir -p $(@D)
	@$(CC) $(STRICT) $(if $(filter _lean,$*),$(EMB_LEAN)) -I. -c $< -o $@

# Emulated runs: one check per board and example.
define EMB_RUN_RULES
check-embedded-run-$(1)-$(2): $(EMB)/$(1)/$(2).elf $(EMB)/host/$(2)
	@$(CHECK) embedded-run-$(1)-$(2) 40 sh embedded/run.sh $(1) $$^ examples/expected/$(2).txt
CHECKS += embedded-run-$(1)-$(2)
endef
$(foreach b,$(EMB_RUN_BOARDS),$(foreach e,$(EMB_EX),$(eval $(call EMB_RUN_RULES,$(b),$(e)))))

# The footprint report, and a check that it meets the issue's targets.
# `make embedded` also runs the examples on the emulators for their peak
# stack (run.sh leaves it in <elf>.stack); the check uses what is there.
EMB_FP_INPUTS := $(foreach t,$(EMB_TARGETS),$(EMB_ELFS_$(t))) $(EMB)/host/fp_sizes.o $(EMB)/host/fp_sizes_lean.o
define EMB_STACK_RULE
$(EMB)/$(1)/%.elf.stack: $(EMB)/$(1)/%.elf $(EMB)/host/%
	@sh embedded/run.sh $(1) $$^ >$$@.log 2>&1 || { echo "run failed: $$@.log"; cat $$@.log; }
endef
$(foreach b,m3 rv32 avr,$(eval $(call EMB_STACK_RULE,$(b))))
EMB_STACKS := $(foreach b,m3 rv32 avr,$(addprefix $(EMB)/$(b)/,$(addsuffix .elf.stack,$(EMB_EX))))

check-embedded-footprint: $(EMB_FP_INPUTS)
	@$(CHECK) embedded-footprint 60 sh embedded/footprint.sh $(EMB) check
CHECKS += embedded-footprint

# The embedded example: blinky + button + UART on the ATmega328P, in a simavr
# test bench that presses the button and types on the UART; its trace must
# be embedded/avr/blinky.expected (without libsimavr's "Loaded N .text"
# lines, which it prints on stdout and which follow the code size).
$(EMB)/sim_blinky: embedded/avr/sim_blinky.c
	@mkdir -p $(@D)
	@$(CC) $(STRICT) -O1 $< -o $@ -lsimavr -lelf >$@.log 2>&1 || { rm -f $@; echo "build failed: $@"; }
check-embedded-blinky: $(EMB)/avr/blinky.elf $(EMB)/sim_blinky
	@$(CHECK) embedded-blinky 30 sh -c '[ -x $(EMB)/sim_blinky ] || { echo "test bench not built (needs Debian packages libsimavr-dev libelf-dev):"; cat $(EMB)/sim_blinky.log; exit 1; }; \
	    [ -f $(EMB)/avr/blinky.elf ] || { echo "blinky not built:"; cat $(EMB)/avr/blinky.elf.log; exit 1; }; \
	    $(EMB)/sim_blinky $(EMB)/avr/blinky.elf >$(EMB)/blinky.raw 2>$(EMB)/blinky.err; rc=$$?; \
	    grep -v "^Loaded [0-9]* \." $(EMB)/blinky.raw >$(EMB)/blinky.trace; \
	    sed -n "s/^board: peak stack \([0-9]*\) B$$/\1/p" $(EMB)/blinky.err >$(EMB)/avr/blinky.elf.stack; \
	    cat $(EMB)/blinky.trace; [ $$rc -eq 0 ] && diff -u embedded/avr/blinky.expected $(EMB)/blinky.trace'
# For `make embedded`: blinky's peak stack comes from its test bench.
$(EMB)/avr/blinky.elf.stack: $(EMB)/avr/blinky.elf $(EMB)/sim_blinky
	@$(EMB)/sim_blinky $< 2>&1 >/dev/null | sed -n 's/^board: peak stack \([0-9]*\) B$$/\1/p' >$@
EMB_STACKS += $(EMB)/avr/blinky.elf.stack
CHECKS += embedded-blinky

# Task info on AVR: where a task is suspended, read from program memory
# (embedded/avr/where.expected). Built apart from the examples, so the
# footprint report does not list it.
$(EMB)/avr-where/where.elf: embedded/avr/where.c $(EMB_PORT_avr) $(EMB_DEPS) embedded/board.h
	@mkdir -p $(@D)
	@$(call EMB_COMPILE,avr) $(EMB_PORT_avr) examples/port_fmt.c $< $(EMB_LINK_avr) -o $@ >$@.log 2>&1 || { rm -f $@; echo "build failed: $@"; }
check-embedded-where: $(EMB)/avr-where/where.elf
	@$(CHECK) embedded-where 30 sh -c '[ -f $< ] || { echo "not built:"; cat $<.log; exit 1; }; \
	    command -v simavr >/dev/null || { echo "MISSING: simavr (Debian package simavr)"; exit 1; }; \
	    timeout -k 2 20 simavr -m atmega328p -f 16000000 $< </dev/null >$(EMB)/where.raw 2>&1; rc=$$?; \
	    sed "s/\x1b\[[0-9;]*m//g; s/\.$$//; /^Loaded [0-9]* \./d; /^board: peak stack/d" $(EMB)/where.raw | sed "$$ { /^$$/d }" >$(EMB)/where.out; \
	    cat $(EMB)/where.out; [ $$rc -eq 0 ] && diff -u embedded/avr/where.expected $(EMB)/where.out'
CHECKS += embedded-where

# Tickless idle on RV32 (ports/riscv): one timer interrupt per sleep, in
# real time on QEMU (embedded/rv32/tickless.expected).
check-embedded-tickless: $(EMB)/rv32/tickless.elf
	@$(CHECK) embedded-tickless 30 sh -c '[ -f $< ] || { echo "not built:"; cat $<.log; exit 1; }; \
	    command -v qemu-system-riscv32 >/dev/null || { echo "MISSING: qemu-system-riscv32 (Debian package qemu-system-misc)"; exit 1; }; \
	    timeout -k 2 20 qemu-system-riscv32 -M virt -bios none -nographic -monitor none -serial stdio -kernel $< </dev/null >$(EMB)/tickless.raw 2>&1; rc=$$?; \
	    grep -v "^board: peak stack" $(EMB)/tickless.raw >$(EMB)/tickless.out; cat $(EMB)/tickless.out; \
	    [ $$rc -eq 0 ] && diff -u embedded/rv32/tickless.expected $(EMB)/tickless.out'
CHECKS += embedded-tickless

.PHONY: embedded
embedded: $(EMB_FP_INPUTS) $(EMB_STACKS)
	@sh embedded/footprint.sh $(EMB) report

# Rewrite the footprint tables of embedded/README.md, and the layout block by
# async_task in async.h (its header line kept), with the current figures.
.PHONY: embedded-readme
embedded-readme: $(EMB_FP_INPUTS) $(EMB_STACKS)
	@sh embedded/footprint.sh $(EMB) report >$(EMB)/footprint.md
	@awk -v f=$(EMB)/footprint.md '/<!-- footprint:begin/ { print; while ((getline l < f) > 0) print l; skip = 1; next } \
	    /<!-- footprint:end/ { skip = 0 } !skip' embedded/README.md >$(EMB)/README.md && cp $(EMB)/README.md embedded/README.md
	@awk -v f=$(EMB)/layout.txt '/ \* layout:begin/ { print; getline; print; while ((getline l < f) > 0) print l; skip = 1; next } \
	    / \* layout:end/ { skip = 0 } !skip' async.h >$(EMB)/async.h && cp $(EMB)/async.h async.h
