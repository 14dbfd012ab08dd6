// spawn peer: start a goroutine, let it run to completion and collect its
// result over a channel, per goroutine (what bench/spawn.c does with tasks).
package main

import (
	"fmt"
	"os"
	"sort"
	"time"
)

func child(x int, out chan<- int) { out <- x * 2 }

func parent(n int) {
	out := make(chan int)
	acc := 0
	for i := 0; i < n; i++ {
		go child(i, out)
		acc += <-out
	}
	if acc != n*(n-1) {
		fmt.Fprintln(os.Stderr, "bench: FAILED: spawn: wrong sum")
		os.Exit(1)
	}
}

func main() {
	n := 1000000
	reps := 5
	if q := os.Getenv("BENCH_QUICK"); q != "" && q != "0" {
		n /= 100
		reps = 3
	}
	parent(1000)
	t := make([]float64, reps)
	for i := range t {
		t0 := time.Now()
		parent(n)
		t[i] = float64(time.Since(t0).Nanoseconds()) / float64(n)
	}
	sort.Float64s(t)
	fmt.Printf("ROW\tspawn\tgo\t%.4g\tns\tlower\t\n", t[reps/2])
}
