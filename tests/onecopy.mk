# The one-copy mode (ASYNC_CONFIG_INLINE=0 + one ASYNC_IMPLEMENTATION file) on
# a three-file program, C and C++: runs, one copy per function (nm), link
# errors when the implementation file is missing or a file disagrees on a
# layout option. See tests/onecopy/check.sh.
CHECKS += onecopy
check-onecopy: tests/onecopy/check.sh $(wildcard tests/onecopy/*) async.h
	@$(CHECK) onecopy 60 sh tests/onecopy/check.sh $(BUILD)/onecopy $(CC) $(CXX)
