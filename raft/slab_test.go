package raft

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim/offheap"
)

// TestIDStack: last in, first out across chunk boundaries, all from the
// bottom up, and a popped stack reuses its chunks.
func TestIDStack(t *testing.T) {
	var s idStack[partID]
	_, ok := s.pop()
	assert.False(t, ok, "empty")
	n := 3<<slabShift + 5
	for i := range n {
		s.push(partID(i))
	}
	require.Equal(t, n, s.len())
	assert.Equal(t, partID(n-1), slices.Collect(s.all())[n-1])
	assert.Equal(t, partID(0), slices.Collect(s.all())[0])
	for i := n - 1; i >= 1<<slabShift; i-- {
		got, ok := s.pop()
		require.True(t, ok)
		require.Equal(t, partID(i), got)
	}
	chunks := len(s.chunks)
	for i := range 2 << slabShift {
		s.push(partID(-i))
	}
	assert.Equal(t, chunks, len(s.chunks), "no new chunk while the old ones have room")
	got, _ := s.pop()
	assert.Equal(t, partID(-(2<<slabShift - 1)), got)
}

// TestSlabOffHeap: a slab mapped off the heap (past its first
// slabHeapChunks chunks) hands out zeroed slots
// that keep their values as it grows, reuses slots it is given back
// zeroed, and returns its mapping on release; a type holding a Go
// pointer is refused.
func TestSlabOffHeap(t *testing.T) {
	before := offheap.Bytes()
	var s slab[int32, propState]
	s.add() // a chunk on the heap before mapOut
	s.mapOut()
	for range (slabHeapChunks - 1) << slabShift {
		i := s.add()
		require.Zero(t, *s.at(i))
		s.at(i).index = uint64(i)
	}
	assert.Equal(t, before, offheap.Bytes(), "the first chunks stay on the heap")
	for range 3 << slabShift {
		i := s.add()
		require.Zero(t, *s.at(i))
		s.at(i).index = uint64(i)
	}
	for i := int32(1); i < s.len(); i++ {
		require.Equal(t, uint64(i), s.at(i).index, "slot %d", i)
	}
	if offheap.Supported {
		assert.Greater(t, offheap.Bytes(), before, "mapped")
	}
	s.put(7)
	i := s.take()
	assert.Equal(t, int32(7), i)
	assert.Zero(t, *s.at(i), "a reused slot is zeroed")
	s.release()
	assert.Equal(t, before, offheap.Bytes())
	assert.Panics(t, func() { s.at(0) }, "a released slab holds nothing")
	var p slab[int32, *partState]
	assert.Panics(t, func() { p.mapOut() })
}

// TestSlabFullIsCapacityError fills a slab to its most (slabMaxChunks
// chunks), checks that every slot is its own, and that one more panics
// with a CapacityError, which runners recover as a budget stop.
func TestSlabFullIsCapacityError(t *testing.T) {
	var s slab[int32, [2]byte]
	most := slabMaxChunks << slabShift
	for k := range most {
		i := s.add()
		if i != int32(k) {
			t.Fatalf("add %d returned %d", k, i)
		}
		s.at(i)[0], s.at(i)[1] = byte(k), byte(k>>8)
	}
	for _, k := range []int{0, 1, 1<<slabShift - 1, 1 << slabShift, most/2 + 3, most - 1} {
		assert.Equal(t, [2]byte{byte(k), byte(k >> 8)}, *s.at(int32(k)), "slot %d", k)
	}
	defer func() {
		v := recover()
		require.IsType(t, CapacityError{}, v)
		ce := v.(CapacityError)
		assert.Equal(t, most, ce.Most)
		assert.Contains(t, ce.Error(), "8388608")
	}()
	s.add()
	t.Fatal("a slab past its most did not panic")
}

// TestSlabHolds names what each of the model's slabs holds.
func TestSlabHolds(t *testing.T) {
	assert.Equal(t, "requests", slabHolds[reqState]())
	assert.Equal(t, "parts", slabHolds[partState]())
	assert.Equal(t, "proposals", slabHolds[propState]())
}
