// go-preempt: Go's side of weft's preempt_latency bench (bench/weft.c):
// a goroutine sleeps 5 ms 200 times while another spins, on one P
// (run with GOMAXPROCS=1); prints the same result line, impl=go-p1.
// Go has no priorities: its sysmon preempts a goroutine that ran 10 ms.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync/atomic"
	"time"
)

const samples = 200
const sleep = 5 * time.Millisecond

func run(spin bool) ([]float64, float64) {
	var done int32
	fin := make(chan struct{})
	v := make([]float64, samples)
	sum := 0.0
	for i := -5; i < samples; i++ {
		if i == 0 && spin {
			go func() {
				n := 0
				for atomic.LoadInt32(&done) == 0 {
					n++
				}
				_ = n
				close(fin)
			}()
		}
		t0 := time.Now()
		time.Sleep(sleep)
		late := float64(time.Since(t0) - sleep)
		if i >= 0 {
			v[i] = late
			sum += late
		}
	}
	atomic.StoreInt32(&done, 1)
	if spin {
		<-fin
	}
	sort.Float64s(v)
	return v, sum
}

func main() {
	impl := fmt.Sprintf("go-p%d", runtime.GOMAXPROCS(0))
	base, _ := run(false)
	v, sum := run(true)
	fmt.Printf("bench=preempt_latency impl=%s n=%d ns_per_op=%.2f p50_ns=%.0f p99_ns=%.0f max_ns=%.0f base_p50_ns=%.0f base_p99_ns=%.0f base_max_ns=%.0f\n",
		impl, samples, sum/samples, v[samples/2], v[samples*99/100], v[samples-1],
		base[samples/2], base[samples*99/100], base[samples-1])
	os.Exit(0)
}
