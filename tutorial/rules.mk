# Tutorial (issue 6): tutorial/NN-title.md chapters quote the examples and their
# output; this check fails when a quoted source, excerpt or output no longer
# matches what the code is and prints (tutorial/check_tutorial.py).
DEPS_TEST += python3
CHECKS += tutorial
check-tutorial: $(addprefix $(BUILD)/examples/,$(EX_ALL))
	@$(CHECK) tutorial 120 python3 tutorial/check_tutorial.py $(BUILD)
.PHONY: tutorial
tutorial: check-tutorial
