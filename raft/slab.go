package raft

import (
	"fmt"
	"iter"
	"reflect"
	"time"
	"unsafe"

	"github.com/regionsim/regionsim/sim/offheap"
)

// slabShift sets a slab's chunk: 1<<slabShift elements (about 400 KB of
// parts).
const slabShift = 10

const slabMask = 1<<slabShift - 1

// slabMaxChunks is how many chunks a slab can hold: 8.4 M elements. At
// 500 times default's rates a saturated cluster holds about a million
// requests and a million parts in flight (docs/decisions.md, "Memory at
// overload"); eight times that would need about 3 GB of their state,
// more than --max-memory's default lets a run estimated so start. The
// directory is 64 KB a slab.
const slabMaxChunks = 1 << 13

// MaxInFlight is the most requests, and the most parts, a model holds in
// flight at once (its slabs' capacity): past it a run stops with a
// CapacityError.
const MaxInFlight = slabMaxChunks << slabShift

// slabHeapChunks is how many chunks a slab kept off the heap (mapOut)
// still allocates on the heap before it maps the rest: a mapping is
// faulted in page by page each time, where the heap reuses what the last
// run freed, and mapping every chunk made a sweep's thousand short runs
// 7 % slower (docs/decisions.md, "Small runs stay on the heap"). Eight
// chunks are 3.2 MB of parts (1.3 MB of requests; the side slabs less);
// a saturated run's million requests are still mapped.
const slabHeapChunks = 8

// slab is a growable array of T, indexed by I, kept in fixed-size
// chunks: growing it allocates one more chunk and never moves what it
// holds. A run holds every request in flight in one (at ten times a
// cluster's capacity, about a million): an array grown by append would
// copy it, old and new copies alive together, each time it grew, and its
// peak memory would be about twice what it holds (docs/decisions.md,
// "Memory at overload"). Pointers to its elements stay valid as it grows.
// Slots given back with put are handed out again, zeroed, by take.
//
// A slab set to keep its chunks off the heap (mapOut) maps each from the
// system, past its first slabHeapChunks, instead of allocating it
// (docs/decisions.md, "Request state off the heap"): the collector then
// neither scans it nor counts it when it decides how far the heap may grow
// before the next collection, and the owner returns it with release.
type slab[I ~int32, T any] struct {
	// chunks is a fixed directory, not a slice: at, the hottest
	// accessor of the request path (a tenth of the instructions of
	// default), then indexes it without a bounds check against a length
	// it would first load (docs/decisions.md, "A slab's fixed directory").
	chunks  [slabMaxChunks]*[1 << slabShift]T
	nChunks int32
	n       I
	free    idStack[I] // slots given back (put), for take
	// maps holds, once mapOut was called, the mapping of each chunk from
	// then on (nil: allocated on the heap, as are the chunks before).
	maps    [][]byte
	offHeap bool
}

// CapacityError is what a model panics with when asked to hold more
// requests or parts in flight at once than its slabs can (slabMaxChunks):
// a run far past its cluster's saturation. A runner recovers it as it
// would stop a run over its memory budget (scenarios.Run), not as a bug.
type CapacityError struct {
	What string // "requests", "parts", ...
	Most int
}

// Error says what overflowed.
func (e CapacityError) Error() string {
	return fmt.Sprintf("more than %d %s in flight at once, the most the model holds", e.Most, e.What)
}

// slabHolds names what a slab of T holds, for CapacityError.
func slabHolds[T any]() string {
	switch any(*new(T)).(type) {
	case reqState:
		return "requests"
	case partState:
		return "parts"
	case propState:
		return "proposals"
	}
	return "critical paths"
}

// at returns element i (0 <= i < len).
func (s *slab[I, T]) at(i I) *T {
	return &s.chunks[uint32(i)>>slabShift&(slabMaxChunks-1)][uint32(i)&slabMask]
}

// len returns the number of elements.
func (s *slab[I, T]) len() I { return s.n }

// add appends a zero element and returns its index.
func (s *slab[I, T]) add() I {
	i := s.n
	if int32(i>>slabShift) == s.nChunks {
		if s.nChunks == slabMaxChunks {
			panic(CapacityError{What: slabHolds[T](), Most: MaxInFlight})
		}
		s.chunks[s.nChunks] = s.newChunk()
		s.nChunks++
	}
	s.n++
	return i
}

// newChunk returns a zeroed chunk: mapped if the slab is off the heap and
// the system maps it, else allocated.
func (s *slab[I, T]) newChunk() *[1 << slabShift]T {
	if !s.offHeap {
		return new([1 << slabShift]T)
	}
	var b []byte // nil: this chunk is on the heap
	if s.nChunks >= slabHeapChunks {
		b = offheap.Map(int(unsafe.Sizeof([1 << slabShift]T{})))
	}
	s.maps = append(s.maps, b)
	if b == nil {
		return new([1 << slabShift]T)
	}
	return (*[1 << slabShift]T)(unsafe.Pointer(unsafe.SliceData(b)))
}

// mapOut makes the slab map its chunks from now on, where the system can
// (offheap.Map). T must hold no Go pointers — the collector does not look
// inside mapped memory, so what they point to could be freed — and mapOut
// panics if it does.
func (s *slab[I, T]) mapOut() {
	offheap.CheckPointerFree(reflect.TypeFor[T]())
	if !s.offHeap {
		s.offHeap = true
		s.maps = make([][]byte, s.nChunks)
	}
}

// release returns the slab's mapped chunks to the system and empties it:
// every pointer into them is invalid from now on, and at panics.
func (s *slab[I, T]) release() {
	for _, b := range s.maps {
		offheap.Unmap(b)
	}
	*s = slab[I, T]{}
}

// take returns a zeroed slot: the last one given back, else a new one.
func (s *slab[I, T]) take() I {
	if i, ok := s.free.pop(); ok {
		var zero T
		*s.at(i) = zero
		return i
	}
	return s.add()
}

// put gives slot i back for take.
func (s *slab[I, T]) put(i I) { s.free.push(i) }

// claim returns the element that *ref names — 1 + its index, 0 for none,
// so that a zeroed owner holds none — taking a zeroed slot for it first
// if it has none. Side slabs hand out their entries this way.
func (s *slab[I, T]) claim(ref *I) *T {
	if *ref == 0 {
		*ref = s.take() + 1
	}
	return s.at(*ref - 1)
}

// drop gives back the element *ref names, if any, and clears *ref.
func (s *slab[I, T]) drop(ref *I) {
	if *ref != 0 {
		s.put(*ref - 1)
		*ref = 0
	}
}

// idStack is a stack of slot indexes kept in chunks, like a slab's: it
// grows by a chunk and never copies what it holds. A saturated run's
// drain frees a million slots at the end, and free lists grown by append
// left their old arrays behind as garbage, tens of MB at the process's
// peak.
type idStack[I ~int32] struct {
	chunks []*[1 << slabShift]I
	n      int
}

// push adds i on top.
func (s *idStack[I]) push(i I) {
	if s.n>>slabShift == len(s.chunks) {
		s.chunks = append(s.chunks, new([1 << slabShift]I))
	}
	s.chunks[s.n>>slabShift][s.n&slabMask] = i
	s.n++
}

// pop removes and returns the index on top, if any.
func (s *idStack[I]) pop() (I, bool) {
	if s.n == 0 {
		return 0, false
	}
	s.n--
	return s.chunks[s.n>>slabShift][s.n&slabMask], true
}

// len returns how many indexes the stack holds.
func (s *idStack[I]) len() int { return s.n }

// all yields the indexes from the bottom of the stack up.
func (s *idStack[I]) all() iter.Seq[I] {
	return func(yield func(I) bool) {
		for k := range s.n {
			if !yield(s.chunks[k>>slabShift][k&slabMask]) {
				return
			}
		}
	}
}

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

// KeepStateOffHeap makes the model keep the state of its requests and
// parts in flight — its slabs, past their first slabHeapChunks chunks —
// in memory mapped outside the Go heap, where the system allows (Unix),
// until Release. A saturated run holds a
// million requests there (docs/decisions.md, "Request state off the
// heap"); on the heap, the collector would let the heap grow to twice
// that before collecting the little garbage a run makes. The owner must
// call Release once it is done with the model and anything it returned
// that points into it. Call it before the model handles an event.
func (m *Model) KeepStateOffHeap() {
	m.reqs.mapOut()
	m.parts.mapOut()
	m.comps.mapOut()
	m.waits.mapOut()
	m.props.mapOut()
}

// Release returns the memory KeepStateOffHeap mapped, once every request
// has ended. Its requests and parts are gone: the model must not handle
// another event or request, though what it reports of its ranges, leases,
// outages, load and traffic stays. Releasing twice is harmless.
func (m *Model) Release() {
	m.settleAll() // the node loads (NodeLoad) count the appends made by now
	m.reqs.release()
	m.parts.release()
	m.comps.release()
	m.waits.release()
	m.props.release()
	m.freeReqs, m.freeParts = idStack[reqID]{}, idStack[partID]{}
}
