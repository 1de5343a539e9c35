package advise

import (
	"testing"

	"github.com/regionsim/regionsim/scenarios"
)

// BenchmarkClosedFormStage measures the per-configuration cost of the
// closed-form stage (validate, place, expectations) on movr, which
// decides how long advise takes before it simulates anything.
func BenchmarkClosedFormStage(b *testing.B) {
	s, err := scenarios.Load("movr")
	if err != nil {
		b.Fatal(err)
	}
	cs := Enumerate(s)
	c := cs[len(cs)-1-2-17] // region survival, 5 voters: one that validates
	for b.Loop() {
		v, err := c.Apply(s)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := closedForm(v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "configs/s")
}
