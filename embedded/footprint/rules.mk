# embedded/footprint/rules.mk — the footprint report's split programs, for
# every target, three ways: one file (NAME_one.c includes the others), split
# all inline (NAME_inline, the default), split with one copy of the code
# (NAME_onecopy: ASYNC_CONFIG_INLINE=0 in each file + fp_impl.c). No LTO (the
# issue's measurement). Included after embedded/rules.mk.
#   fp3: producer, consumer, main task with wait_for: each file uses another part of the library
#   fpw: three workers from the same code in three files + main: they use the same parts
FP_SPLIT_fp3 := embedded/footprint/fp3_main.c embedded/footprint/fp3_producer.c embedded/footprint/fp3_consumer.c
FP_SPLIT_fpw := embedded/footprint/fpw_main.c embedded/footprint/fpw_1.c embedded/footprint/fpw_2.c embedded/footprint/fpw_3.c
FP_SPLIT_DEPS := $(EMB_DEPS) $(wildcard embedded/footprint/fp3* embedded/footprint/fpw*) embedded/footprint/fp_impl.c embedded/footprint/rules.mk
define FP_SPLIT_RULES
$(EMB)/$(1)/$(2)_one.elf: $(EMB_START_$(1)) $(FP_SPLIT_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) embedded/footprint/$(2)_one.c $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/$(2)_inline.elf: $(EMB_START_$(1)) $(FP_SPLIT_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) $(FP_SPLIT_$(2)) $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/$(2)_onecopy.elf: $(EMB_START_$(1)) $(FP_SPLIT_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) -DASYNC_CONFIG_INLINE=0 $(EMB_START_$(1)) $(FP_SPLIT_$(2)) embedded/footprint/fp_impl.c $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
FP_SPLIT_ELFS += $(EMB)/$(1)/$(2)_one.elf $(EMB)/$(1)/$(2)_inline.elf $(EMB)/$(1)/$(2)_onecopy.elf
endef
$(foreach t,$(EMB_TARGETS),$(foreach p,fp3 fpw,$(eval $(call FP_SPLIT_RULES,$(t),$(p)))))
check-embedded-footprint embedded embedded-readme: $(FP_SPLIT_ELFS)
