# The README's example is a check: it must compile strictly and print what the README says.
CHECKS += readme
check-readme: ; @$(CHECK) readme 60 sh tests/check_readme.sh $(BUILD)
