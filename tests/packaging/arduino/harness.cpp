/* harness.cpp — runs the AsyncBlink sketch as the Arduino core would (setup,
 * then loop() over and over) for 3 simulated seconds, several passes per ms. */
#include "Arduino.h"
#include "AsyncBlink.ino"

unsigned long stub_millis;
StubSerial Serial;
#ifdef __AVR__
volatile long stub_sink;
void stub_log(const char *what, long v) { stub_sink = v + what[0]; }
#else
#include <stdio.h>
void stub_log(const char *what, long v) { printf("%5lu ms  %s %ld\n", stub_millis, what, v); }
#endif

int main() {
    setup();
    for (stub_millis = 0; stub_millis <= 3000; stub_millis++)
        for (int i = 0; i < 3; i++) loop();
    return 0;
}
