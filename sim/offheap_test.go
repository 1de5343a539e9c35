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

// TestQueueOffHeap: an engine whose queue is mapped off the heap
// (KeepQueueOffHeap) dispatches a queue of a hundred thousand events,
// grown past the mapping threshold, in the same order as one on the heap,
// counts the mapping while it holds it, and returns it on Release.
func TestQueueOffHeap(t *testing.T) {
	run := func(off bool) ([]int64, uint64) {
		e := NewEngine()
		before := offheap.Bytes()
		if off {
			e.KeepQueueOffHeap()
		}
		r := &recorder{e: e}
		r.h = e.Register(r)
		rnd := NewRand(7, 1)
		for i := range int64(100_000) {
			e.After(time.Duration(rnd.IntN(1000))*time.Microsecond, r.h, 1, i)
		}
		held := offheap.Bytes() - before
		e.Run()
		e.Release()
		assert.Equal(t, before, offheap.Bytes(), "the mapping is returned")
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
