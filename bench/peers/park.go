// park peer: RSS growth per goroutine blocked on a channel (compare with
// bench/park.c, workload "park (RSS)").
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func main() {
	n := 200000
	if q := os.Getenv("BENCH_QUICK"); q != "" && q != "0" {
		n /= 100
	}
	gate := make(chan struct{})
	results := make(chan int, n)
	parked := make(chan struct{}, n)
	rss0 := rss()
	for i := 0; i < n; i++ {
		go func() {
			parked <- struct{}{}
			<-gate
			results <- 42
		}()
	}
	for i := 0; i < n; i++ {
		<-parked
	}
	rss1 := rss()
	close(gate)
	acc := 0
	for i := 0; i < n; i++ {
		acc += <-results
	}
	if acc != 42*n {
		fmt.Fprintln(os.Stderr, "bench: FAILED: park: wrong results")
		os.Exit(1)
	}
	fmt.Printf("ROW\tpark (RSS)\tgo\t%.4g\tB\tlower\t\n", float64(rss1-rss0)/float64(n))
}
