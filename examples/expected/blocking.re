a ticker ticks every 100 ms; a worker waits 500 ms
blocking call in a task    ticks while the worker waited: [0-9]+
await asyncio.sleep        ticks while the worker waited: [0-9]+
blocking call on the pool  ticks while the worker waited: [0-9]+
the blocking call held the loop \([0-9]+ ticks\); the others let it run
