// pingpong peer: two goroutines hand a token back and forth over unbuffered
// channels, per round trip (Go's way of doing what bench/pingpong.c does with
// futures). Prints a ROW line (format: bench/rules.mk).
package main

import (
	"fmt"
	"os"
	"sort"
	"time"
)

func game(n int) {
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			v := <-pong
			ping <- v + 1
		}
		close(done)
	}()
	acc := 0
	for i := 0; i < n; i++ {
		pong <- i
		acc += <-ping
	}
	<-done
	if acc != n+n*(n-1)/2 {
		fmt.Fprintln(os.Stderr, "bench: FAILED: pingpong: wrong sum")
		os.Exit(1)
	}
}

func main() {
	n := 2000000
	reps := 5
	if q := os.Getenv("BENCH_QUICK"); q != "" && q != "0" {
		n /= 100
		reps = 3
	}
	game(1000)
	t := make([]float64, reps)
	for i := range t {
		t0 := time.Now()
		game(n)
		t[i] = float64(time.Since(t0).Nanoseconds()) / float64(n)
	}
	sort.Float64s(t)
	fmt.Printf("ROW\tpingpong\tgo\t%.4g\tns\tlower\t\n", t[reps/2])
}
