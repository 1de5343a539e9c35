package sim

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oracleEntry is one pending event in the naive model.
type oracleEntry struct {
	at    Time
	order int // scheduling order: the naive model's tie-breaker
	id    int64
	timer TimerID
}

// lockstep drives the engine and a naive sorted-slice model of it with the
// same random decisions and checks, at every dispatch, that the engine
// delivers the event the naive model says is next.
type lockstep struct {
	t       *testing.T
	e       *Engine
	h       HandlerID
	r       interface{ IntN(int) int }
	naive   []oracleEntry
	order   int
	nextID  int64
	budget  int
	trace   []int64
	maxSize int
	// wide draws delays from nanoseconds to minutes, so that events wait
	// in every tier of the queue (near heap, rung, far heap).
	wide bool
}

// delay draws a follow-up's delay.
func (l *lockstep) delay() time.Duration {
	if !l.wide {
		if l.r.IntN(3) > 0 {
			return time.Duration(l.r.IntN(5)) * time.Millisecond
		}
		return 0
	}
	// At a tier's boundary: the horizon, the rung's end, or one
	// nanosecond before either, when that is not in the past.
	if l.r.IntN(5) == 0 {
		at := [...]Time{l.e.horizon, l.e.horizon - 1, l.e.rungBase + rungSpan, l.e.rungBase + rungSpan - 1}[l.r.IntN(4)]
		if at >= l.e.Now() {
			return at.Sub(l.e.Now())
		}
	}
	switch l.r.IntN(6) {
	case 0:
		return 0
	case 1:
		return time.Duration(l.r.IntN(2000)) // within a bucket
	case 2:
		return time.Duration(l.r.IntN(5)) * time.Millisecond
	case 3:
		return time.Duration(l.r.IntN(1100)) * time.Millisecond // the rung's span
	case 4:
		return time.Duration(l.r.IntN(3)) * (1 << 30) // about a rung's span
	default:
		return time.Duration(l.r.IntN(120)) * time.Second // the far heap
	}
}

func (l *lockstep) schedule(delay time.Duration, cancellable bool) {
	l.nextID++
	l.order++
	at := l.e.Now().Add(delay)
	oe := oracleEntry{at: at, order: l.order, id: l.nextID}
	if cancellable {
		oe.timer = l.e.StartTimer(at, l.h, 7, l.nextID)
	} else {
		l.e.Schedule(at, l.h, 7, l.nextID)
	}
	l.naive = append(l.naive, oe)
	if len(l.naive) > l.maxSize {
		l.maxSize = len(l.naive)
	}
}

func (l *lockstep) Handle(ev *Event) {
	sort.Slice(l.naive, func(i, j int) bool {
		if l.naive[i].at != l.naive[j].at {
			return l.naive[i].at < l.naive[j].at
		}
		return l.naive[i].order < l.naive[j].order
	})
	require.NotEmpty(l.t, l.naive, "engine dispatched an event the model does not have")
	want := l.naive[0]
	l.naive = l.naive[1:]
	require.Equal(l.t, want.id, ev.Arg, "event order differs from the sorted oracle")
	require.Equal(l.t, want.at, ev.At)
	require.Equal(l.t, Kind(7), ev.Kind)
	require.Equal(l.t, ev.At, l.e.Now())
	l.trace = append(l.trace, ev.Arg)
	if l.budget <= 0 {
		return
	}
	// Schedule 0–3 follow-ups, some at the same instant (delay 0) to
	// exercise FIFO ties, some cancellable; cancel a random pending timer.
	for k := l.r.IntN(4); k > 0 && l.budget > 0; k-- {
		l.budget--
		l.schedule(l.delay(), l.r.IntN(2) == 0)
	}
	if len(l.naive) > 0 && l.r.IntN(3) == 0 {
		i := l.r.IntN(len(l.naive))
		if l.naive[i].timer != 0 {
			require.True(l.t, l.e.Cancel(l.naive[i].timer), "cancel of a pending timer failed")
			require.False(l.t, l.e.Cancel(l.naive[i].timer), "second cancel must be a no-op")
			l.naive = append(l.naive[:i], l.naive[i+1:]...)
		}
	}
	require.Equal(l.t, len(l.naive), l.e.Pending())
}

func runLockstep(t *testing.T, seed uint64, initial, budget int) []int64 {
	e := NewEngine()
	l := &lockstep{t: t, e: e, r: NewRand(seed, 1), budget: budget}
	l.h = e.Register(l)
	for i := 0; i < initial; i++ {
		l.schedule(time.Duration(l.r.IntN(20))*time.Millisecond, l.r.IntN(2) == 0)
	}
	e.Run()
	assert.Empty(t, l.naive, "events left in the model after the engine drained")
	assert.Equal(t, 0, e.Pending())
	assert.Equal(t, uint64(len(l.trace)), e.Events())
	return l.trace
}

func TestEngineMatchesSortedOracle(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		trace := runLockstep(t, seed, 1+int(seed)*10, 2000)
		require.Greater(t, len(trace), 100)
	}
}

// TestEngineNearNever: events due within a rung's span of Never (none in
// a run) keep their order and are all dispatched, those at Never included.
func TestEngineNearNever(t *testing.T) {
	for _, start := range []Time{Never - 100, Never - rungSpan - 5, Never - 2*rungSpan} {
		e := NewEngine()
		var got []int64
		var h HandlerID
		h = e.Register(HandlerFunc(func(ev *Event) {
			got = append(got, ev.Arg)
			switch ev.Arg {
			case 1:
				e.Schedule(Never-99, h, 0, 3) // between the two pending
				e.Schedule(Never, h, 0, 4)
				e.Schedule(Never, h, 0, 5)
			case 5:
				e.Schedule(Never, h, 0, 6)
			}
		}))
		e.Schedule(start, h, 0, 1)
		e.Schedule(Never-50, h, 0, 2)
		e.Run()
		assert.Equal(t, []int64{1, 3, 2, 4, 5, 6}, got, "first event at Never-%d", Never-start)
		assert.Equal(t, 0, e.Pending())
	}
	// A rung that starts before rungLimit and reaches past it, and an
	// event scheduled later into that stretch (found by a review).
	{
		e := NewEngine()
		var got []Time
		var h HandlerID
		h = e.Register(HandlerFunc(func(ev *Event) {
			got = append(got, ev.At)
			if ev.Arg == 1 {
				e.Schedule(rungLimit+5*rungWidth, h, 0, 3)
			}
		}))
		e.Schedule(rungLimit-rungSpan/2, h, 0, 1)
		e.Schedule(rungLimit+10*rungWidth, h, 0, 2)
		e.Run()
		assert.Equal(t, []Time{rungLimit - rungSpan/2, rungLimit + 5*rungWidth, rungLimit + 10*rungWidth}, got)
	}
	// A chain at Never itself, after the clock was moved close to it.
	e := NewEngine()
	n := 0
	var h HandlerID
	h = e.Register(HandlerFunc(func(ev *Event) {
		if n++; n < 3 {
			e.After(0, h, 0, 0)
		}
	}))
	e.RunUntil(Never - 1)
	e.After(0, h, 0, 0)
	e.Schedule(Never, h, 0, 0)
	e.Run()
	assert.Equal(t, 4, n)
	assert.Equal(t, Never, e.Now())
}

// TestEngineTiersMatchOracle is the oracle test with delays from 0 to two
// minutes, cancellations in every tier, and runs in slices (RunUntil) that
// leave the clock between events: events wait in the near heap, the rung's
// buckets and the far heap, and must come out in the same order.
func TestEngineTiersMatchOracle(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		e := NewEngine()
		l := &lockstep{t: t, e: e, r: NewRand(seed, 2), budget: 5000, wide: true}
		l.h = e.Register(l)
		for i := 0; i < 1+int(seed)*20; i++ {
			l.schedule(l.delay(), l.r.IntN(2) == 0)
		}
		for step := 0; e.Pending() > 0; step++ {
			e.RunUntil(e.Now().Add(time.Duration(l.r.IntN(3000)) * time.Millisecond))
			// Between slices, schedule and cancel as a caller would.
			l.schedule(l.delay(), true)
			if i := l.r.IntN(len(l.naive)); l.naive[i].timer != 0 {
				require.True(t, e.Cancel(l.naive[i].timer))
				l.naive = append(l.naive[:i], l.naive[i+1:]...)
			}
			require.Equal(t, len(l.naive), e.Pending())
			require.Less(t, step, 1_000_000)
		}
		assert.Empty(t, l.naive, "seed %d", seed)
		require.Greater(t, len(l.trace), 1000)
	}
}

func TestEngineFIFOAtSameInstant(t *testing.T) {
	e := NewEngine()
	var got []int64
	h := e.Register(HandlerFunc(func(ev *Event) { got = append(got, ev.Arg) }))
	for i := int64(0); i < 100; i++ {
		e.Schedule(At(time.Second), h, 0, i)
	}
	e.Run()
	require.Len(t, got, 100)
	for i := range got {
		assert.Equal(t, int64(i), got[i])
	}
}

func TestEngineCancel(t *testing.T) {
	e := NewEngine()
	var got []int64
	h := e.Register(HandlerFunc(func(ev *Event) { got = append(got, ev.Arg) }))
	assert.False(t, e.Cancel(0), "zero TimerID must not cancel anything")
	t1 := e.StartTimer(10, h, 0, 1)
	t2 := e.StartTimer(20, h, 0, 2)
	t3 := e.TimerAfter(30, h, 0, 3)
	e.Schedule(15, h, 0, 4)
	require.Equal(t, 4, e.Pending())
	assert.True(t, e.Cancel(t2))
	assert.Equal(t, 3, e.Pending(), "a cancelled timer leaves the queue at once")
	assert.False(t, e.Cancel(t2))
	e.RunUntil(12)
	assert.Equal(t, []int64{1}, got)
	assert.Equal(t, Time(12), e.Now(), "RunUntil advances the clock to its bound")
	assert.False(t, e.Cancel(t1), "a fired timer cannot be cancelled")
	// Reuse of t2's slot must not revive t2's id.
	t5 := e.StartTimer(40, h, 0, 5)
	assert.False(t, e.Cancel(t2))
	assert.NotEqual(t, t2, t5)
	assert.True(t, e.Cancel(t3))
	e.Run()
	assert.Equal(t, []int64{1, 4, 5}, got)
	assert.Equal(t, Time(40), e.Now())
}

func TestEngineRunUntilAndStop(t *testing.T) {
	e := NewEngine()
	var got []Time
	var h HandlerID
	h = e.Register(HandlerFunc(func(ev *Event) {
		got = append(got, ev.At)
		if ev.Arg == 1 {
			e.Stop()
		}
	}))
	e.Schedule(5, h, 0, 0)
	e.Schedule(10, h, 0, 0)
	e.Schedule(10, h, 0, 1)
	e.Schedule(10, h, 0, 0)
	e.Schedule(20, h, 0, 0)
	e.RunUntil(10)
	assert.Equal(t, []Time{5, 10, 10}, got, "Stop returns after the current event")
	assert.Equal(t, Time(10), e.Now())
	e.RunUntil(15)
	assert.Equal(t, []Time{5, 10, 10, 10}, got)
	assert.Equal(t, Time(15), e.Now())
	assert.True(t, e.Step())
	assert.False(t, e.Step())
	assert.Equal(t, Time(20), e.Now())
}

func TestEnginePanicsOnPastEvent(t *testing.T) {
	e := NewEngine()
	h := e.Register(HandlerFunc(func(*Event) {}))
	e.Schedule(10, h, 0, 0)
	e.Run()
	assert.PanicsWithValue(t, "sim: event scheduled at 5ns, before now (10ns)", func() { e.Schedule(5, h, 0, 0) })
	assert.Panics(t, func() { e.Schedule(20, h+1, 0, 0) })
}

func TestEngineDeterministicTrace(t *testing.T) {
	a := runLockstep(t, 42, 50, 3000)
	b := runLockstep(t, 42, 50, 3000)
	c := runLockstep(t, 43, 50, 3000)
	assert.Equal(t, a, b, "same seed must give the same trace")
	assert.NotEqual(t, a, c, "different seeds should give different traces")
}

func TestStreamsIndependent(t *testing.T) {
	const n = 20000
	draw := func(seed, stream uint64) []float64 {
		r := NewRand(seed, stream)
		out := make([]float64, n)
		for i := range out {
			out[i] = r.Float64()
		}
		return out
	}
	assert.Equal(t, draw(7, 3), draw(7, 3), "a stream is a pure function of (seed, stream)")
	pairs := [][2][]float64{
		{draw(7, 3), draw(7, 4)},
		{draw(7, 3), draw(8, 3)},
		{draw(1, StreamID("network", 0)), draw(1, StreamID("network", 1))},
		{draw(1, StreamID("network", 0)), draw(1, StreamID("client", 0))},
	}
	for i, p := range pairs {
		// Pearson correlation of independent uniforms: sd ≈ 1/sqrt(n) ≈ 0.007.
		assert.Less(t, math.Abs(pearson(p[0], p[1])), 0.03, "pair %d correlated", i)
		same := 0
		for j := range p[0] {
			if p[0][j] == p[1][j] {
				same++
			}
		}
		assert.Zero(t, same, "pair %d shares draws", i)
	}
	assert.NotEqual(t, StreamID("network", 0), StreamID("network", 1))
	assert.NotEqual(t, StreamID("a", 1), StreamID("b", 0))
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

// holdHandler implements the classic hold model: every event schedules one
// successor a random delay later, so the queue size stays constant.
type holdHandler struct {
	e      *Engine
	id     HandlerID
	delays []time.Duration
	i      int
	timers bool
}

func (h *holdHandler) Handle(ev *Event) {
	d := h.delays[h.i&(len(h.delays)-1)]
	h.i++
	if h.timers {
		h.e.TimerAfter(d, h.id, ev.Kind, ev.Arg)
		return
	}
	h.e.After(d, h.id, ev.Kind, ev.Arg)
}

func newHold(pending int, timers bool) *holdHandler {
	e := NewEngine()
	r := NewRand(1, StreamID("hold", 0))
	h := &holdHandler{e: e, delays: make([]time.Duration, 1<<16), timers: timers}
	for i := range h.delays {
		h.delays[i] = time.Duration(r.ExpFloat64() * float64(time.Millisecond))
	}
	h.id = e.Register(h)
	for i := 0; i < pending; i++ {
		e.After(h.delays[r.IntN(len(h.delays))], h.id, 1, int64(i))
	}
	return h
}

func TestEngineHoldAllocatesNothing(t *testing.T) {
	for _, timers := range []bool{false, true} {
		h := newHold(1000, timers)
		for i := 0; i < 10000; i++ { // warm up: grow the timer table
			h.e.Step()
		}
		allocs := testing.AllocsPerRun(10000, func() { h.e.Step() })
		assert.Zero(t, allocs, "timers=%v", timers)
		assert.Equal(t, 1000, h.e.Pending())
	}
}

// BenchmarkEngineHold measures dispatch throughput with a constant number of
// pending events (pop one, push one a random delay later); 150 is about
// what the default scenario keeps pending.
func BenchmarkEngineHold(b *testing.B) {
	for _, pending := range []int{150, 1000, 100_000, 1_000_000} {
		for _, timers := range []bool{false, true} {
			name := fmt.Sprintf("pending=%d", pending)
			if timers {
				name += "/timers"
			}
			b.Run(name, func(b *testing.B) {
				h := newHold(pending, timers)
				for i := 0; i < pending; i++ { // reach steady state
					h.e.Step()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					h.e.Step()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

func TestPackUnpack(t *testing.T) {
	for _, c := range [][2]int32{{0, 0}, {1, 2}, {-1, 7}, {math.MaxInt32, math.MinInt32}, {-5, -6}} {
		a, b := Unpack(Pack(c[0], c[1]))
		assert.Equal(t, c[0], a)
		assert.Equal(t, c[1], b)
	}
}

func TestTimeHelpers(t *testing.T) {
	assert.Equal(t, 33*time.Millisecond, Ms(33))
	assert.Equal(t, 250*time.Microsecond, Ms(0.25))
	assert.Equal(t, -time.Millisecond, Ms(-1))
	assert.InDelta(t, 1.5, At(1500*time.Millisecond).Seconds(), 1e-12)
	assert.InDelta(t, 66.0, DurationMs(66*time.Millisecond), 1e-12)
	assert.Equal(t, Time(3e9), At(time.Second).Add(2*time.Second))
	assert.Equal(t, time.Second, At(3*time.Second).Sub(At(2*time.Second)))
	assert.Equal(t, "1.5s", At(1500*time.Millisecond).String())
	assert.Equal(t, "never", Never.String())
}

func TestEventLimit(t *testing.T) {
	e := NewEngine()
	var fired int
	var h HandlerID
	h = e.Register(HandlerFunc(func(ev *Event) {
		fired++
		e.After(time.Millisecond, h, 0, 0)
	}))
	e.Schedule(0, h, 0, 0)
	e.SetEventLimit(10)
	e.RunUntil(At(time.Second))
	assert.Equal(t, 10, fired)
	assert.True(t, e.LimitReached())
	assert.Equal(t, At(9*time.Millisecond), e.Now(), "the clock stays at the last event")
	assert.False(t, e.Step())
	e.SetEventLimit(0)
	assert.False(t, e.LimitReached())
	e.RunUntil(At(20 * time.Millisecond))
	assert.Equal(t, 21, fired)
}

// NewSource is the source under NewRand: the same stream, draw for draw.
func TestNewSourceIsNewRandsSource(t *testing.T) {
	for _, id := range []uint64{0, 1, StreamID("raft/net", 3)} {
		r, s := NewRand(42, id), NewSource(42, id)
		for i := range 1000 {
			if a, b := r.Uint64(), s.Uint64(); a != b {
				t.Fatalf("stream %d, draw %d: NewRand %d, NewSource %d", id, i, a, b)
			}
		}
	}
}

// IntN and Float64 on a source give rand.Rand's IntN and Float64 on the
// same stream, draw for draw: bounds of every kind (1, powers of two,
// small, odd, near 2^63, where rejections are frequent), interleaved.
func TestIntNAndFloat64AreRandRands(t *testing.T) {
	bounds := []int{1, 2, 3, 7, 64, 1000, 1 << 20, 1<<20 + 1, 1 << 30}
	if bits.UintSize == 64 {
		for _, n := range []uint64{3 << 61, 1<<62 + 1, 1<<63 - 1} {
			bounds = append(bounds, int(n))
		}
	}
	r, s := NewRand(7, 1), NewSource(7, 1)
	for i := range 200000 {
		n := bounds[i%len(bounds)]
		if a, b := r.IntN(n), IntN(s, n); a != b {
			t.Fatalf("draw %d: IntN(%d): rand.Rand %d, IntN %d", i, n, a, b)
		}
		if i%3 == 0 {
			if a, b := r.Float64(), Float64(s); a != b {
				t.Fatalf("draw %d: Float64: rand.Rand %v, Float64 %v", i, a, b)
			}
		}
	}
	assert.Panics(t, func() { IntN(s, 0) })
}

// Position is the event being handled — the last one handled after Step —
// and, once RunUntil has run everything due by its end, that end with the
// largest number; a number taken with ReserveSeq sorts among the events'
// as the event it stands for would have, and leaves the numbers of the
// events queued after it as they would have been; ScheduleReserved queues
// that event later, where it would have run.
func TestPositionAndReserveSeq(t *testing.T) {
	type pos struct {
		at  Time
		seq uint64
	}
	before := func(a, b pos) bool { return a.at < b.at || a.at == b.at && a.seq < b.seq }
	e := NewEngine()
	ms := func(n int) Time { return At(time.Duration(n) * time.Millisecond) }
	seen := map[int64]pos{}
	var order []int64
	var reserved pos
	var h HandlerID
	h = e.Register(HandlerFunc(func(ev *Event) {
		at, seq := e.Position()
		assert.Equal(t, ev.At, at)
		seen[ev.Arg] = pos{at, seq}
		order = append(order, ev.Arg)
		switch ev.Arg {
		case 'A':
			// Stands for an event X at 1 ms queued now, then D is.
			reserved = pos{ms(1), e.ReserveSeq()}
			e.Schedule(ms(1), h, 0, 'D')
		case 'B':
			// X is queued now, with its number: it runs before D.
			e.ScheduleReserved(reserved.at, reserved.seq, h, 0, 'X')
		}
	}))
	e.Schedule(ms(1), h, 0, 'A')
	e.Schedule(ms(1), h, 0, 'B')
	e.Schedule(ms(2), h, 0, 'C')
	e.RunUntil(ms(1))
	at, seq := e.Position()
	assert.Equal(t, pos{ms(1), ^uint64(0)}, pos{at, seq}, "every event due by 1 ms has run")
	assert.True(t, before(seen['A'], seen['B']))
	assert.True(t, before(seen['B'], reserved), "the reserved event comes after B, queued before it")
	assert.True(t, before(reserved, seen['D']), "and before D, queued after it")
	assert.Equal(t, reserved.seq+1, seen['D'].seq)
	assert.Equal(t, []int64{'A', 'B', 'X', 'D'}, order)
	assert.Equal(t, reserved, seen['X'])
	assert.Panics(t, func() { e.ScheduleReserved(ms(2), e.seq+1, h, 0, 'Y') }, "a number not taken")
	require.True(t, e.Step())
	at, seq = e.Position()
	assert.Equal(t, seen['C'], pos{at, seq}, "after Step, the event it ran")
	e.RunUntil(ms(1))
	at, seq = e.Position()
	assert.Equal(t, seen['C'], pos{at, seq}, "a RunUntil before the clock runs nothing and moves nothing")
	e.RunUntil(ms(3))
	at, seq = e.Position()
	assert.Equal(t, pos{ms(3), ^uint64(0)}, pos{at, seq})
}
