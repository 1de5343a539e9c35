package stats_test

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/sim/stats"
)

func ExampleHistogram() {
	var h stats.Histogram // the zero value has DefaultRelativeAccuracy
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	fmt.Println("count:", h.Count(), "mean:", h.Mean())
	fmt.Println("min:", h.Quantile(0), "max:", h.Quantile(1))
	// Interior quantiles are within 0.5% of the exact samples, 500ms and 990ms.
	fmt.Printf("p50: %.1fms p99: %.1fms\n",
		float64(h.Quantile(0.5))/1e6, float64(h.Quantile(0.99))/1e6)
	// Output:
	// count: 1000 mean: 500.5ms
	// min: 1ms max: 1s
	// p50: 497.5ms p99: 991.9ms
}

func ExampleHistogram_CDF() {
	h := stats.NewDefaultHistogram()
	for _, ms := range []int{1, 1, 1, 140, 140} {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	for _, p := range h.CDF() {
		fmt.Printf("%v %d %.2f %v\n", p.Value, p.Count, p.Fraction, h.Quantile(p.Fraction))
	}
	// Output:
	// 1ms 3 0.60 1ms
	// 140ms 5 1.00 140ms
}

func ExampleSeries() {
	s := stats.NewSeries(time.Second)
	// Requests are recorded when they finish, so start times arrive out of order.
	s.Record(int64(1500*time.Millisecond), 70*time.Millisecond, true)
	s.Record(int64(200*time.Millisecond), 2*time.Millisecond, true)
	s.Record(int64(1*time.Second), 6*time.Second, false) // timed out
	s.Record(int64(3*time.Second), 2*time.Millisecond, true)
	for _, b := range s.Bins() {
		fmt.Printf("t=%v count=%d errors=%d max=%v\n",
			time.Duration(b.Start), b.Count, b.Errors, b.Latency.Max())
	}
	// Output:
	// t=0s count=1 errors=0 max=2ms
	// t=1s count=2 errors=1 max=6s
	// t=2s count=0 errors=0 max=0s
	// t=3s count=1 errors=0 max=2ms
}
