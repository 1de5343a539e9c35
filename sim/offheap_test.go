package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim/offheap"
)

// recorder keeps the arguments of the events it handles, in order, and
// reschedules every third one (so that the queue changes while it drains).
type recorder struct {
	e     *Engine
	h     HandlerID
	trace []int64
}

func (r *recorder) Handle(ev *Event) {
	r.trace = append(r.trace, ev.Arg)
	if ev.Arg%3 == 0 && ev.Arg > 0 {
		r.e.After(time.Duration(ev.Arg%7)*time.Millisecond, r.h, 1, -ev.Arg)
	}
}

// newRecorded returns an engine, its queue kept off the heap if off, with
// a recorder registered, and the bytes mapped before it (released).
func newRecorded(off bool) (e *Engine, r *recorder, before uint64) {
	e = NewEngine()
	before = offheap.Bytes()
	if off {
		e.KeepQueueOffHeap()
	}
	r = &recorder{e: e}
	r.h = e.Register(r)
	return e, r, before
}

// released releases e and checks that every mapping it held is returned.
func released(t *testing.T, e *Engine, before uint64) {
	t.Helper()
	e.Release()
	assert.Equal(t, before, offheap.Bytes(), "the mapping is returned")
}

// TestQueueOffHeap: an engine whose queue is mapped off the heap
// (KeepQueueOffHeap) dispatches a queue of a hundred thousand events,
// grown past the mapping threshold, in the same order as one on the heap,
// counts the mapping while it holds it, and returns it on Release.
func TestQueueOffHeap(t *testing.T) {
	run := func(off bool) ([]int64, uint64) {
		e, r, before := newRecorded(off)
		rnd := NewRand(7, 1)
		for i := range int64(100_000) {
			e.After(time.Duration(rnd.IntN(1000))*time.Microsecond, r.h, 1, i)
		}
		held := offheap.Bytes() - before
		e.Run()
		released(t, e, before)
		return r.trace, held
	}
	want, onHeap := run(false)
	got, mapped := run(true)
	require.Len(t, want, 100_000+33_333)
	assert.Equal(t, want, got, "same dispatch order")
	assert.Zero(t, onHeap)
	if offheap.Supported {
		assert.GreaterOrEqual(t, mapped, uint64(100_000*32), "the queue is mapped")
	}
}

// TestQueueOffHeapHeaps: the near and far heaps, not only the rung's
// nodes, grow past the mapping threshold and are mapped: 150,000 events
// due at one instant beyond the first rung wait in the far heap, then move
// through one bucket into the near heap at once. With cancellable timers
// among them (their slots follow them into the mapped arrays), the
// dispatch order is the same as on the heap, and Release returns every
// mapping.
func TestQueueOffHeapHeaps(t *testing.T) {
	const n = 150_000
	run := func(off bool) (trace []int64, farMapped, nearMapped bool) {
		e, r, before := newRecorded(off)
		var cancel []TimerID
		for i := range int64(n) {
			if i%10 == 0 {
				id := e.StartTimer(At(10*time.Second), r.h, 1, i)
				if i%20 == 0 {
					cancel = append(cancel, id)
				}
				continue
			}
			e.Schedule(At(10*time.Second), r.h, 1, i)
		}
		farMapped = e.mapped[inFar] != nil
		for _, id := range cancel {
			require.True(t, e.Cancel(id))
		}
		// The far heap's events enter a rung, whose one bucket moves
		// into the near heap.
		e.RunUntil(At(10 * time.Second).Add(-1))
		nearMapped = e.mapped[inNear] != nil
		e.Run()
		released(t, e, before)
		return r.trace, farMapped, nearMapped
	}
	want, onFar, onNear := run(false)
	got, mappedFar, mappedNear := run(true)
	// The timers of every 20th event are cancelled; every handled
	// positive multiple of 3 is rescheduled once.
	require.Len(t, want, n-n/20+(n-1)/3-(n-1)/60)
	assert.Equal(t, want, got, "same dispatch order")
	assert.False(t, onFar || onNear)
	if offheap.Supported {
		assert.True(t, mappedFar, "the far heap is mapped")
		assert.True(t, mappedNear, "the near heap is mapped")
	}
}
