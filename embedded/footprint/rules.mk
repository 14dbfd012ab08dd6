# embedded/footprint/rules.mk — the footprint report's three-file program
# (fp3*.c: core + queue + wait_for) for every target, three ways: one file
# (fp3_one), three files all inline (fp3_inline, the default), three files
# with one copy of the code (fp3_onecopy: ASYNC_CONFIG_INLINE=0 + fp3_impl.c).
# No LTO (the issue's measurement). Included after embedded/rules.mk.
FP3_SRCS := embedded/footprint/fp3_main.c embedded/footprint/fp3_producer.c embedded/footprint/fp3_consumer.c
FP3_DEPS := $(EMB_DEPS) $(FP3_SRCS) embedded/footprint/fp3.h embedded/footprint/fp3_one.c embedded/footprint/fp3_impl.c
define FP3_RULES
$(EMB)/$(1)/fp3_one.elf: $(EMB_START_$(1)) $(FP3_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) embedded/footprint/fp3_one.c $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/fp3_inline.elf: $(EMB_START_$(1)) $(FP3_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) $(EMB_START_$(1)) $(FP3_SRCS) $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
$(EMB)/$(1)/fp3_onecopy.elf: $(EMB_START_$(1)) $(FP3_DEPS)
	@mkdir -p $$(@D)
	@$(call EMB_COMPILE,$(1)) -DASYNC_CONFIG_INLINE=0 $(EMB_START_$(1)) $(FP3_SRCS) embedded/footprint/fp3_impl.c $(EMB_LINK_$(1)) -o $$@ >$$@.log 2>&1 || { rm -f $$@; echo "build failed: $$@"; }
FP3_ELFS += $(EMB)/$(1)/fp3_one.elf $(EMB)/$(1)/fp3_inline.elf $(EMB)/$(1)/fp3_onecopy.elf
endef
$(foreach t,$(EMB_TARGETS),$(eval $(call FP3_RULES,$(t))))
check-embedded-footprint embedded embedded-readme: $(FP3_ELFS)
