a ticker ticks every 100 ms; a worker waits 500 ms
blocking call in a task    longest gap between ticks: [0-9]+ ms
await asyncio.sleep        longest gap between ticks: [0-9]+ ms
blocking call on the pool  longest gap between ticks: [0-9]+ ms
elapsed: the blocking call held the loop [0-9]+ ms; the others let it run
