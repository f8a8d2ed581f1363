// SPDX-License-Identifier: MIT
// Go twin of ringo's core benchmarks (bench/yield.c, cancel.c,
// spawn_gather.c, sleepers.c, million.c), on one OS thread
// (GOMAXPROCS=1), the single-loop equivalent. Prints "<metric> <value>"
// lines as the asyncio twins do; million also prints "peak_rss_kb".
//
// Usage: core yield|cancel|spawn_gather|sleepers|million
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// best of five rounds after a warm-up, as bench_best_of does
func best(f func() time.Duration) time.Duration {
	b := f()
	for i := 0; i < 5; i++ {
		if d := f(); i == 0 || d < b {
			b = d
		}
	}
	return b
}

// sleep(0): 100 goroutines yielding 1,000,000 times in all
func yield() {
	const tasks, yields = 100, 1000000
	d := best(func() time.Duration {
		t0 := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < tasks; i++ {
			wg.Add(1)
			go func() {
				for j := 0; j < yields/tasks; j++ {
					runtime.Gosched()
				}
				wg.Done()
			}()
		}
		wg.Wait()
		return time.Since(t0)
	})
	fmt.Printf("yield_ns %.1f\n", float64(d.Nanoseconds())/yields)
}

// cancel 100,000 sleeping goroutines (a context each, as a Go service
// cancels a request) and wait until all have returned
func cancel() {
	const n = 100000
	d := best(func() time.Duration {
		var started, done sync.WaitGroup
		cancels := make([]context.CancelFunc, n)
		for i := 0; i < n; i++ {
			ctx, c := context.WithCancel(context.Background())
			cancels[i] = c
			started.Add(1)
			done.Add(1)
			go func() {
				t := time.NewTimer(10 * time.Second)
				started.Done()
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				done.Done()
			}()
		}
		started.Wait()
		t0 := time.Now()
		for _, c := range cancels {
			c()
		}
		done.Wait()
		return time.Since(t0)
	})
	fmt.Printf("cancel_ns %.1f\n", float64(d.Nanoseconds())/n)
}

// spawn 100,000 goroutines that return their index, gather the results
func spawnGather() {
	const n = 100000
	results := make([]int, n)
	d := best(func() time.Duration {
		t0 := time.Now()
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func(i int) {
				results[i] = i
				wg.Done()
			}(i)
		}
		wg.Wait()
		return time.Since(t0)
	})
	for i, r := range results {
		if r != i {
			os.Exit(1)
		}
	}
	fmt.Printf("spawn_gather_ns %.1f\n", float64(d.Nanoseconds())/n)
}

func sleepersRound(n int, delay time.Duration) time.Duration {
	t0 := time.Now()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			time.Sleep(delay)
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(t0)
}

// 100,000 goroutines each sleeping 50 ms: wall time until all are done
func sleepers() {
	d := best(func() time.Duration { return sleepersRound(100000, 50*time.Millisecond) })
	fmt.Printf("sleepers_ms %.1f\n", float64(d.Nanoseconds())/1e6)
}

func peakRSSkB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		var kb int64
		if n, _ := fmt.Sscanf(l, "VmHWM: %d kB", &kb); n == 1 {
			return kb
		}
	}
	return -1
}

// 1,000,000 goroutines alive at once, each sleeping 1 s: cold, one round
func million() {
	d := sleepersRound(1000000, time.Second)
	fmt.Printf("million_s %.3f\npeak_rss_kb %d\n", d.Seconds(), peakRSSkB())
}

// crossloop: two goroutines, unbuffered channels both ways, GOMAXPROCS=2
// (bench/crossloop.c's channel ping-pong between two loops); best of three
// runs of 50,000 round trips. Go's scheduler usually runs both goroutines
// on one thread, handing over without a system call; the second figure
// locks each to an OS thread of its own (runtime.LockOSThread), so that
// every hop wakes the other thread, as every hop between two ringo loops
// does.
func crossloopRun(locked bool) time.Duration {
	const rounds = 50000
	var b time.Duration
	for run := 0; run < 3; run++ {
		ping, pong := make(chan int), make(chan int)
		done := make(chan time.Duration)
		go func() {
			if locked {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			for v := range ping {
				pong <- v
			}
		}()
		go func() {
			if locked {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			t0 := time.Now()
			for i := 0; i < rounds; i++ {
				ping <- i
				if <-pong != i {
					panic("crossloop: wrong value")
				}
			}
			d := time.Since(t0)
			close(ping)
			done <- d
		}()
		d := <-done
		if run == 0 || d < b {
			b = d
		}
	}
	return b / rounds
}

func crossloop() {
	runtime.GOMAXPROCS(2)
	fmt.Printf("crossloop_us %.3f\n", float64(crossloopRun(false).Nanoseconds())/1e3)
	fmt.Printf("crossloop_locked_us %.3f\n", float64(crossloopRun(true).Nanoseconds())/1e3)
}

func main() {
	runtime.GOMAXPROCS(1)
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: core yield|cancel|spawn_gather|sleepers|million|crossloop")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "yield":
		yield()
	case "cancel":
		cancel()
	case "spawn_gather":
		spawnGather()
	case "sleepers":
		sleepers()
	case "million":
		million()
	case "crossloop":
		crossloop()
	default:
		fmt.Fprintln(os.Stderr, "unknown benchmark", os.Args[1])
		os.Exit(2)
	}
}
