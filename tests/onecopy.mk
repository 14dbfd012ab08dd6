# The one-copy mode (ASYNC_CONFIG_INLINE=0 + one ASYNC_IMPLEMENTATION file) on
# a three-file program, C and C++: runs, one copy per function (nm), link
# errors when the implementation file is missing or a file disagrees on a
# layout option. See tests/onecopy/check.sh.
CHECKS += onecopy
check-onecopy: tests/onecopy/check.sh $(wildcard tests/onecopy/*) async.h
	@$(CHECK) onecopy 240 sh tests/onecopy/check.sh $(BUILD)/onecopy $(CC) $(CXX)

# Every core test again as one translation unit that defines
# ASYNC_IMPLEMENTATION: the extern bodies of the one-copy mode, and its misuse
# hook, under the same tests (about 1 s of compile each).
$(BUILD)/tests-onecopy/%: tests/%.c async.h $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -DASYNC_IMPLEMENTATION $(LOW_OPT) $< -o $@ $(TEST_LIBS)
CHECKS += $(addsuffix -onecopy,$(CORE_TESTS))
CHECKS_SELF_BUILT += $(addsuffix -onecopy,$(CORE_TESTS))
$(addprefix check-,$(addsuffix -onecopy,$(CORE_TESTS))): check-%-onecopy:
	$(call TEST_CHECK,$*-onecopy,$(BUILD)/tests-onecopy/$*,60)
