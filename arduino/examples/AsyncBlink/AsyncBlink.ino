// AsyncBlink — two coroutines on async.h: the LED blinks every 500 ms while a
// second task prints a count every second. Each pass of loop() runs one
// iteration of the scheduler, so other code in loop() keeps running.
#include <async_h.h>

static async_time board_ticks(void) { return (async_time)millis(); }
// Returns at once: loop() comes back, and the scheduler checks the clock again.
static void board_idle(const async_time *deadline) { (void)deadline; }
static const async_bare board = {board_ticks, board_idle};

struct blinker { async_frame hdr; async_timer t; int on; };
static ASYNC_FN(blink_co, struct blinker) {
  ASYNC_BEGIN();
  for (;;) {
    self->on = !self->on;
    digitalWrite(LED_BUILTIN, self->on ? HIGH : LOW);
    ASYNC_SLEEP_TICKS(&self->t, async_ms(500));
  }
  ASYNC_END();
}

struct counter { async_frame hdr; async_timer t; long n; };
static ASYNC_FN(count_co, struct counter) {
  ASYNC_BEGIN();
  for (self->n = 1;; self->n++) {
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1000));
    Serial.println(self->n);
  }
  ASYNC_END();
}

static async_loop sched;
static async_task blink_task, count_task;
static struct blinker blink_frame;
static struct counter count_frame;

void setup() {
  pinMode(LED_BUILTIN, OUTPUT);
  Serial.begin(9600);
  async_loop_init_bare(&sched, &board);
  async_task_create(&sched, &blink_task, blink_co, &blink_frame, "blink");
  async_task_create(&sched, &count_task, count_co, &count_frame, "count");
}

void loop() {
  async_loop_run_once(&sched);
}
