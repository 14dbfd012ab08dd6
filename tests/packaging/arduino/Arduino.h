/* Arduino.h — the least of the Arduino core the AsyncBlink sketch uses, for
 * tests/packaging/check_arduino.sh: on the host it logs to stdout at the
 * simulated millis(); on AVR it only has to compile and link. */
#ifndef ARDUINO_STUB_H
#define ARDUINO_STUB_H
#include <stdint.h>
#define HIGH 1
#define LOW 0
#define OUTPUT 1
#define LED_BUILTIN 13
extern unsigned long stub_millis;
void stub_log(const char *what, long v);
inline unsigned long millis(void) { return stub_millis; }
inline void pinMode(int pin, int mode) { (void)pin; (void)mode; }
inline void digitalWrite(int pin, int v) { (void)pin; stub_log("led", v); }
struct StubSerial {
    void begin(long baud) { (void)baud; }
    void println(long v) { stub_log("serial", v); }
};
extern StubSerial Serial;
#endif
