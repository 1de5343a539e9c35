package sim

import "time"

// Time is a simulated instant: nanoseconds since the start of a run.
// The zero Time is the start of the run. Durations between instants are
// ordinary time.Duration values (also nanoseconds).
type Time int64

// Common simulated instants and spans.
const (
	// Never is later than any instant a run can reach; a run that is asked
	// to stop at Never runs until its queue is empty.
	Never Time = 1<<63 - 1
)

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Seconds returns t in seconds since the start of the run.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// Milliseconds returns t in milliseconds since the start of the run.
func (t Time) Milliseconds() float64 { return float64(t) / 1e6 }

// String renders t as a Go duration since the start ("1m30.5s"), or "never".
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	return time.Duration(t).String()
}

// At converts a duration since the start of the run into a Time.
func At(d time.Duration) Time { return Time(d) }

// Ms converts milliseconds (possibly fractional) into a time.Duration,
// rounded to the nearest nanosecond.
func Ms(ms float64) time.Duration { return time.Duration(ms*1e6 + copysignHalf(ms)) }

// DurationMs returns d in milliseconds as a float64.
func DurationMs(d time.Duration) float64 { return float64(d) / 1e6 }

func copysignHalf(x float64) float64 {
	if x < 0 {
		return -0.5
	}
	return 0.5
}
