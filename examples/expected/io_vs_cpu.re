two tasks, each with 500 ms of I/O wait or 300 ms of computing:
I/O-bound, one thread:       [0-9]+\.[0-9]{2} s \(they overlap\)
CPU-bound, one thread:       [0-9]+\.[0-9]{2} s \(one after the other\)
CPU-bound, thread pool:      [0-9]+\.[0-9]{2} s \(in parallel on [0-9]+ cores\)
elapsed: io [0-9.]+ s, cpu [0-9.]+ s, pool [0-9.]+ s
