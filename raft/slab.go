package raft

import (
	"time"
	"unsafe"
)

// slabShift sets a slab's chunk: 1<<slabShift elements (about 400 KB of
// parts).
const slabShift = 10

const slabMask = 1<<slabShift - 1

// slab is a growable array of T, indexed by I, kept in fixed-size
// chunks: growing it allocates one more chunk and never moves what it
// holds. A run holds every request in flight in one (at ten times a
// cluster's capacity, about a million): an array grown by append would
// copy it, old and new copies alive together, each time it grew, and its
// peak memory would be about twice what it holds (docs/decisions.md,
// "Memory at overload"). Pointers to its elements stay valid as it grows.
// Slots given back with put are handed out again, zeroed, by take.
type slab[I ~int32, T any] struct {
	chunks []*[1 << slabShift]T
	n      I
	free   []I // slots given back (put), for take
}

// at returns element i (0 <= i < len).
func (s *slab[I, T]) at(i I) *T { return &s.chunks[i>>slabShift][i&slabMask] }

// len returns the number of elements.
func (s *slab[I, T]) len() I { return s.n }

// add appends a zero element and returns its index.
func (s *slab[I, T]) add() I {
	i := s.n
	if int(i>>slabShift) == len(s.chunks) {
		s.chunks = append(s.chunks, new([1 << slabShift]T))
	}
	s.n++
	return i
}

// take returns a zeroed slot: the last one given back, else a new one.
func (s *slab[I, T]) take() I {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		var zero T
		*s.at(i) = zero
		return i
	}
	return s.add()
}

// put gives slot i back for take.
func (s *slab[I, T]) put(i I) { s.free = append(s.free, i) }

// StateBytes returns the bytes the model holds for a request in flight
// and for each of its parts in flight (their slab slots), and what their
// side slabs add once used: a request's path components after a
// decision (decided), a part's proposal state and its non-attempt path
// components (proposed). For estimates of a run's memory
// (scenarios.Estimate).
func StateBytes() (request, part, decided, proposed int) {
	return int(unsafe.Sizeof(reqState{})), int(unsafe.Sizeof(partState{})),
		int(unsafe.Sizeof([NumComponents]time.Duration{})),
		int(unsafe.Sizeof(propState{}) + unsafe.Sizeof([numWaitComps]time.Duration{}))
}
