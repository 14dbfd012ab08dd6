# Packaging (issue 11): every route to async.h gives #include <async/async.h>.
#   cmake-subdir          add_subdirectory(tree): async::core, async::rt
#   cmake-package         make install DESTDIR=... then find_package(async)
#   cmake-install         cmake --install of the tree's build, then find_package(async)
#   packaging-meta        Zephyr module, ESP-IDF component, Pico SDK library,
#                         PlatformIO library.json, Arduino library.properties:
#                         fields validated, build scripts run against stubs
#   packaging-arduino     the Arduino library and sketch: run on the host, built for the
#                         ATmega328P (avr-g++) and for the Uno by arduino-builder
# (rt-install, in src/rules.mk, checks the installed tree through pkg-config.)
DEPS_TEST += cmake python3-yaml python3-kconfiglib arduino-builder arduino-core-avr arduino-ctags
PKG_DEPS := $(wildcard tests/packaging/* tests/packaging/*/*) CMakeLists.txt $(wildcard cmake/*) \
            async.h src/async_rt.h $(wildcard include/async/*)
CHECKS += cmake-subdir cmake-package cmake-install packaging-meta packaging-arduino
check-cmake-subdir: $(PKG_DEPS)
	@$(CHECK) cmake-subdir 120 sh tests/packaging/check_cmake.sh subdir $(BUILD)/pkg/subdir
check-cmake-package: $(PKG_DEPS) $(BUILD)/libasync.a $(BUILD)/libasync.so
	@$(CHECK) cmake-package 120 sh tests/packaging/check_cmake.sh make-install $(BUILD)/pkg/make-install "$(MAKE) BUILD=$(BUILD)"
check-cmake-install: $(PKG_DEPS)
	@$(CHECK) cmake-install 120 sh tests/packaging/check_cmake.sh cmake-install $(BUILD)/pkg/cmake-install
check-packaging-meta: $(PKG_DEPS) $(wildcard zephyr/*) library.json idf_component.yml impl/async_impl.c
	@$(CHECK) packaging-meta 60 sh tests/packaging/check_meta.sh $(BUILD)/pkg/meta
check-packaging-arduino: $(PKG_DEPS) $(wildcard arduino/* arduino/*/*/*)
	@$(CHECK) packaging-arduino 60 sh tests/packaging/check_arduino.sh $(BUILD)/pkg/arduino

# The Arduino library, ready for Sketch > Include Library > Add .ZIP Library.
.PHONY: arduino-lib
arduino-lib:
	@sh arduino/package.sh $(BUILD)/arduino
