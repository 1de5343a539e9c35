package sim

import (
	"fmt"
	mbits "math/bits"
	"time"
	"unsafe"

	"github.com/regionsim/regionsim/sim/offheap"
)

// HandlerID names a registered Handler; events are addressed to it.
type HandlerID uint32

// Kind tells a handler what an event means (a message type, a timer). Each
// handler defines its own kinds; 256 are available per handler.
type Kind uint8

// MaxHandlers is how many handlers one engine can register.
const MaxHandlers = 1 << 24

// Event is what a handler receives: the instant it fires, its kind and one
// integer argument whose meaning the handler defines (typically an index
// into the handler's own tables, see Pack for two 32-bit values). Handlers
// must not keep the *Event they are given past the call: it points into the
// engine and is reused.
type Event struct {
	At   Time
	Kind Kind
	Arg  int64
}

// Pack combines two 32-bit values into one event argument; Unpack splits it.
func Pack(a, b int32) int64 { return int64(uint64(uint32(a))<<32 | uint64(uint32(b))) }

// Unpack splits an argument made by Pack.
func Unpack(arg int64) (a, b int32) { return int32(uint64(arg) >> 32), int32(uint32(arg)) }

// Handler reacts to events addressed to it. A handler typically keeps the
// *Engine it registered with and schedules further events from Handle.
type Handler interface {
	Handle(ev *Event)
}

// TimerID identifies a cancellable event. The zero TimerID is never issued,
// so it can stand for "no timer". A TimerID becomes invalid once its event
// fires or is cancelled; cancelling it again is a harmless no-op.
type TimerID uint64

// entry is one pending event, 32 bytes, ordered by (at, seq). meta packs the
// handler (bits 40–63), the kind (bits 32–39) and the timer slot + 1 (bits
// 0–31; 0 when the event cannot be cancelled).
type entry struct {
	at   Time
	seq  uint64
	arg  int64
	meta uint64
}

func (x *entry) slot() int32 { return int32(uint32(x.meta)) - 1 }

// The queue has three tiers (docs/decisions.md, "A rung of buckets before
// the heap"), and every pending event is in exactly one:
//
//   - near: a 4-ary heap of the events due before horizon;
//   - the rung: rungSize buckets of rungWidth each, from rungBase, holding
//     unsorted the events due from horizon to the rung's end; the bucket of
//     an instant is found by a shift, and a bucket moves into the heap, whole,
//     when the heap runs out (horizon then moves to the bucket's end);
//   - far: a second 4-ary heap of the events due after the rung; when the
//     heap and the rung are both empty, a new rung starts at the earliest of
//     them and takes those that fit.
//
// The earliest event is therefore always the near heap's first once it is
// refilled, and events come out in (at, seq) order whatever tier they
// waited in: the order is the heap's alone. What the rung saves is the
// heap's depth: a run with thousands of requests polling at backoffs of up
// to a second keeps in the heap only the quarter millisecond ahead. The
// widths were measured: 2^18 ns × 4096 beat 2^20 × 1024 by about 3 %, and
// 2^22 × 1024 and 2^16 × 1024 were slower (docs/decisions.md).
const (
	rungShift = 18                   // a bucket spans 2^18 ns, about 262 µs
	rungWidth = Time(1) << rungShift // a bucket's span
	rungSize  = 4096                 // buckets in the rung: about 1.07 s
	rungSpan  = rungWidth * rungSize // the rung's span
	// rungLimit: a rung starts only at an event due before it, so that its
	// end (and the horizon) never passes Never; when only later events
	// are left, the near heap takes them all (refill).
	rungLimit = Never - rungSpan
	noNode    = -1            // end of a bucket's list
	rungWords = rungSize / 64 // words of the rung's occupancy bitmap
	inNear    = uint8(0)      // timerSlot.where: the near heap
	inFar     = uint8(1)      // the far heap
	inRung    = uint8(2)      // a bucket
	cancelled = uint8(3)      // a bucket, cancelled: dropped when the bucket drains
)

// node is a bucket's entry: the event and the next node of its bucket.
type node struct {
	e    entry
	next int32
}

// timerSlot tracks where a cancellable entry is.
type timerSlot struct {
	pos   int32  // index in its heap (near or far); 0 in a bucket; -1 when free
	gen   uint32 // bumped whenever the slot is released or cancelled
	where uint8  // inNear, inFar, inRung or cancelled
}

// Engine is a discrete-event simulator: a clock and a queue of pending events.
// It is not safe for concurrent use; parallel runs use one Engine each.
//
// Scheduling and dispatching an event cost O(log n) for the n pending events
// due within a quarter millisecond of each other, O(1) more for one due within
// the next second, O(log n) more for a later one, and allocate nothing once
// the queue's backing arrays have grown to the run's peak size.
type Engine struct {
	now      Time
	seq      uint64
	events   uint64
	pending  int // events waiting, cancelled timers excluded
	heap     []entry
	horizon  Time // every event in heap is due before it, every other one at or after
	rungBase Time // bucket i spans [rungBase + i·rungWidth, rungBase + (i+1)·rungWidth)
	rungNext int  // the first bucket not yet moved into heap
	inRungN  int  // nodes in the rung, cancelled ones included
	heads    [rungSize]int32
	occupied [rungWords]uint64 // bit i: bucket i has a node
	nodes    []node
	freeNode int32 // a list through node.next of unused nodes
	far      []entry
	timers   []timerSlot
	free     []int32
	handlers []Handler
	cur      Event
	// curSeq is the sequence number of the event being handled (or last
	// handled), ^0 once RunUntil has handled every event due by its end
	// (Position).
	curSeq  uint64
	stopped bool
	// limit is the most events Run and RunUntil dispatch in all (0: none).
	limit uint64
	// offHeap: the queue's backing arrays are mapped (KeepQueueOffHeap)
	// once large; mapped holds their mappings (heap, far, nodes), nil
	// while on the Go heap.
	offHeap bool
	mapped  [3][]byte
}

// NewEngine returns an engine at time 0 with an empty queue.
func NewEngine() *Engine {
	e := &Engine{freeNode: noNode}
	for i := range e.heads {
		e.heads[i] = noNode
	}
	return e
}

// Register adds a handler and returns the id to address events to it.
func (e *Engine) Register(h Handler) HandlerID {
	if h == nil {
		panic("sim: Register(nil)")
	}
	if len(e.handlers) >= MaxHandlers {
		panic("sim: too many handlers")
	}
	e.handlers = append(e.handlers, h)
	return HandlerID(len(e.handlers) - 1)
}

// Now returns the current simulated time: the instant of the event being
// handled, or the time the last Run stopped at.
func (e *Engine) Now() Time { return e.now }

// Events returns how many events have been dispatched so far.
func (e *Engine) Events() uint64 { return e.events }

// Pending returns how many events are waiting (cancelled timers excluded).
func (e *Engine) Pending() int { return e.pending }

// Schedule queues an event for handler h at instant at, which must not be in
// the past. Events at the same instant run in the order they were scheduled.
func (e *Engine) Schedule(at Time, h HandlerID, kind Kind, arg int64) {
	e.push(at, h, kind, arg, -1)
}

// After queues an event for handler h d from now (d >= 0).
func (e *Engine) After(d time.Duration, h HandlerID, kind Kind, arg int64) {
	e.push(e.now+Time(d), h, kind, arg, -1)
}

// StartTimer queues a cancellable event for handler h at instant at and
// returns its id. Cancelling voids the event at once: Pending stops counting
// it and it never runs.
func (e *Engine) StartTimer(at Time, h HandlerID, kind Kind, arg int64) TimerID {
	var slot int32
	if n := len(e.free); n > 0 {
		slot = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		slot = int32(len(e.timers))
		e.timers = append(e.timers, timerSlot{pos: -1, gen: 1, where: inNear})
	}
	e.push(at, h, kind, arg, slot)
	return TimerID(uint64(e.timers[slot].gen)<<32 | uint64(slot+1))
}

// TimerAfter is StartTimer at d from now.
func (e *Engine) TimerAfter(d time.Duration, h HandlerID, kind Kind, arg int64) TimerID {
	return e.StartTimer(e.now+Time(d), h, kind, arg)
}

// Cancel removes a timer's event from the queue. It reports whether the timer
// was still pending; a fired, cancelled or zero TimerID yields false.
func (e *Engine) Cancel(id TimerID) bool {
	slot := int32(uint32(id)) - 1
	if slot < 0 || int(slot) >= len(e.timers) {
		return false
	}
	ts := &e.timers[slot]
	if ts.gen != uint32(id>>32) || ts.pos < 0 || ts.where == cancelled {
		return false
	}
	e.pending--
	switch ts.where {
	case inRung:
		// Its node stays in the bucket until the bucket drains, which
		// drops it and frees the slot; the id is void from now on.
		ts.where = cancelled
		ts.gen++
		return true
	case inFar:
		e.far = e.removeAt(e.far, inFar, int(ts.pos))
	default:
		e.heap = e.removeAt(e.heap, inNear, int(ts.pos))
	}
	e.release(slot)
	return true
}

// Step dispatches the earliest pending event and reports whether there was
// one (false too once the event limit is reached).
func (e *Engine) Step() bool {
	if e.pending == 0 || e.LimitReached() {
		return false
	}
	e.dispatch()
	return true
}

// Run dispatches events until the queue is empty or Stop is called.
func (e *Engine) Run() { e.RunUntil(Never) }

// RunUntil dispatches every event due at or before until, then advances the
// clock to until (unless until is Never, or Stop was called). Events due
// later stay queued, so a run can be continued.
func (e *Engine) RunUntil(until Time) {
	e.stopped = false
	limit := e.limit
	if limit == 0 {
		limit = ^uint64(0)
	}
	for e.pending > 0 && !e.stopped && e.events < limit {
		if len(e.heap) == 0 {
			e.refill()
		}
		if e.heap[0].at > until {
			break
		}
		e.dispatch()
	}
	if !e.stopped && e.events < limit && until >= e.now {
		// Every event due by until has run, the last at the current
		// instant included. (An until before the clock, after Step, says
		// nothing of the events still due now.)
		e.curSeq = ^uint64(0)
		if until != Never && until > e.now {
			e.now = until
		}
	}
}

// Position returns where the run stands in the order of events, (instant,
// sequence number): an event queued for instant at with sequence number seq
// has run if and only if (at, seq) comes before it (an earlier instant, or
// the same and a smaller number). While a handler runs, and after Step or a
// Run stopped early, it is the event handled last; once RunUntil has run
// every event due by its end, it is that end and ^uint64(0). A handler that
// keeps work off the queue, to be done when the state it touches is next
// read (ReserveSeq), does at that moment the work whose (instant, number)
// comes before Position.
func (e *Engine) Position() (Time, uint64) { return e.now, e.curSeq }

// ReserveSeq takes the sequence number the next event queued would get,
// without queuing one, and returns it: work kept off the queue, due at an
// instant, is thereby ordered among the queue's events as that event
// would have been (Position), and the events queued after it get the
// numbers they would have had.
func (e *Engine) ReserveSeq() uint64 {
	e.seq++
	return e.seq
}

// ScheduleReserved queues for handler h, at instant at (not in the past),
// the event a number taken with ReserveSeq stood for: it runs where an
// event queued when the number was taken would have. seq must be such a
// number, used once.
func (e *Engine) ScheduleReserved(at Time, seq uint64, h HandlerID, kind Kind, arg int64) {
	if seq == 0 || seq > e.seq {
		panic(fmt.Sprintf("sim: ScheduleReserved for handler %d with number %d (taken: %d)", h, seq, e.seq))
	}
	e.pushSeq(at, seq, h, kind, arg, -1)
}

// Stop makes the current Run or RunUntil return after the event being
// handled.
func (e *Engine) Stop() { e.stopped = true }

// SetEventLimit makes Run, RunUntil and Step dispatch no more than n events
// in all, counted from the engine's start (0 removes the limit). Once the
// limit is reached they return at once, leaving the clock where the last
// event put it; LimitReached tells.
func (e *Engine) SetEventLimit(n uint64) { e.limit = n }

// LimitReached reports whether the event limit stopped the engine.
func (e *Engine) LimitReached() bool { return e.limit > 0 && e.events >= e.limit }

// dispatch runs the earliest event; there must be one (pending > 0).
func (e *Engine) dispatch() {
	if len(e.heap) == 0 {
		e.refill()
	}
	top := e.heap[0]
	n := len(e.heap) - 1
	last := e.heap[n]
	e.heap = e.heap[:n]
	if n > 0 {
		e.siftDown(e.heap, inNear, 0, last)
	}
	if slot := top.slot(); slot >= 0 {
		e.release(slot)
	}
	e.pending--
	e.now = top.at
	e.curSeq = top.seq
	e.events++
	e.cur = Event{At: top.at, Kind: Kind(top.meta >> 32), Arg: top.arg}
	e.handlers[top.meta>>40].Handle(&e.cur)
}

// push queues an event under the next sequence number.
func (e *Engine) push(at Time, h HandlerID, kind Kind, arg int64, slot int32) {
	e.seq++
	e.pushSeq(at, e.seq, h, kind, arg, slot)
}

// pushSeq queues an event under sequence number seq, in the tier its
// instant falls in: the near heap before the horizon, the rung within its
// span, else the far heap.
func (e *Engine) pushSeq(at Time, seq uint64, h HandlerID, kind Kind, arg int64, slot int32) {
	if at < e.now {
		panic(fmt.Sprintf("sim: event scheduled at %v, before now (%v)", at, e.now))
	}
	if int(h) >= len(e.handlers) {
		panic(fmt.Sprintf("sim: event for unregistered handler %d", h))
	}
	e.pending++
	x := entry{at: at, seq: seq, arg: arg, meta: uint64(h)<<40 | uint64(kind)<<32 | uint64(uint32(slot+1))}
	switch {
	case at < e.horizon:
		e.heap = e.pushHeap(e.heap, inNear, x)
	case at-e.rungBase < rungSpan:
		e.pushRung(x)
	default:
		e.far = e.pushHeap(e.far, inFar, x)
	}
}

// pushHeap adds x to heap h (the near or far one, as where says) and
// returns it.
func (e *Engine) pushHeap(h []entry, where uint8, x entry) []entry {
	if len(h) == cap(h) {
		h = grow(h, &e.mapped[where], e.offHeap)
	}
	h = h[:len(h)+1]
	e.siftUp(h, where, len(h)-1, x)
	return h
}

// pushRung adds x, due within the rung, to its bucket.
func (e *Engine) pushRung(x entry) {
	if e.freeNode == noNode {
		n := len(e.nodes)
		e.nodes = grow(e.nodes, &e.mapped[2], e.offHeap)
		e.nodes = e.nodes[:cap(e.nodes)]
		for i := len(e.nodes) - 1; i >= n; i-- {
			e.nodes[i].next = e.freeNode
			e.freeNode = int32(i)
		}
	}
	i := e.freeNode
	nd := &e.nodes[i]
	e.freeNode = nd.next
	b := int((x.at - e.rungBase) >> rungShift)
	nd.e, nd.next = x, e.heads[b]
	e.heads[b] = i
	e.occupied[uint(b)/64] |= 1 << (uint(b) % 64) // b >= 0: unsigned, no sign fix-up
	e.inRungN++
	if uint32(x.meta) != 0 {
		ts := &e.timers[uint32(x.meta)-1]
		ts.where, ts.pos = inRung, 0
	}
}

// refill moves into the empty near heap the next bucket that has a live
// event, starting a new rung from the far heap when the rung is empty.
// There must be a pending event.
func (e *Engine) refill() {
	for len(e.heap) == 0 {
		if e.inRungN == 0 && e.far[0].at >= rungLimit {
			// Within a rung's span of Never (nothing a run schedules):
			// no rung, the near heap takes everything that is left, and
			// keeps what is scheduled before Never (push).
			for len(e.far) > 0 {
				x := e.far[0]
				e.far = e.removeAt(e.far, inFar, 0)
				e.heap = e.pushHeap(e.heap, inNear, x)
			}
			e.horizon = Never
			continue
		}
		if e.inRungN == 0 {
			// A new rung from the earliest far event: it takes every
			// far event due within its span.
			e.rungBase = e.far[0].at &^ (rungWidth - 1)
			e.rungNext = 0
			e.horizon = e.rungBase
			e.far = e.takeIntoRung(e.far)
		}
		b := e.nextBucket()
		e.rungNext = b + 1
		e.horizon = e.rungBase + Time(b+1)<<rungShift
		e.occupied[uint(b)/64] &^= 1 << (uint(b) % 64)
		for i := e.heads[b]; i != noNode; {
			nd := &e.nodes[i]
			x, next := nd.e, nd.next
			nd.next = e.freeNode
			e.freeNode = i
			e.inRungN--
			i = next
			if slot := x.slot(); slot >= 0 && e.timers[slot].where == cancelled {
				e.release(slot)
				continue
			}
			if len(e.heap) == 0 && cap(e.heap) > 0 {
				// The bucket's first event: the heap is empty, so it is
				// the root (most buckets hold one or two events).
				e.heap = e.heap[:1]
				e.place(e.heap, inNear, 0, x)
				continue
			}
			e.heap = e.pushHeap(e.heap, inNear, x)
		}
		e.heads[b] = noNode
	}
}

// takeIntoRung moves every event of the far heap h due within the new
// rung's span into the rung's buckets, in one pass, and rebuilds the heap
// of those left (bottom-up, O(len(h))), which it returns. Popping them one
// by one cost a sift through the whole heap each: with thousands of
// requests polling at backoffs of about a second, most of the far heap
// enters each new rung. The order in which events enter a bucket does not
// matter: refill orders a bucket's events by (at, seq) in the near heap.
func (e *Engine) takeIntoRung(h []entry) []entry {
	n := 0
	for i := range h {
		x := h[i]
		if x.at-e.rungBase < rungSpan {
			e.pushRung(x)
			continue
		}
		e.place(h, inFar, n, x)
		n++
	}
	h = h[:n]
	for i := (n - 2) / 4; n > 1 && i >= 0; i-- {
		e.siftDown(h, inFar, i, h[i])
	}
	return h
}

// nextBucket returns the first occupied bucket from rungNext on; the rung
// must have a node.
func (e *Engine) nextBucket() int {
	w := uint(e.rungNext) / 64 // rungNext >= 0: unsigned, no sign fix-up
	bits := e.occupied[w] &^ (1<<(uint(e.rungNext)%64) - 1)
	for bits == 0 {
		w++
		bits = e.occupied[w]
	}
	return int(w)*64 + mbits.TrailingZeros64(bits)
}

// grow doubles a queue array, in a mapping when the engine keeps its queue
// off the heap and the array is large (mapped is the array's current
// mapping, replaced). append grows a large slice by a quarter at a time,
// and the arrays it leaves behind are garbage until the collector runs:
// for a queue of a million events (a saturated cluster) they came to five
// times the queue. Doubling leaves about one queue's worth.
func grow[T any](s []T, mapped *[]byte, offHeap bool) []T {
	n := max(256, 2*cap(s))
	var t []T
	var b []byte
	if offHeap && n >= mapMin {
		var z T
		b = offheap.Map(n * int(unsafe.Sizeof(z)))
	}
	if b != nil {
		t = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)[:len(s)]
	} else {
		t = make([]T, len(s), n)
	}
	copy(t, s)
	offheap.Unmap(*mapped)
	*mapped = b
	return t
}

// mapMin is the smallest queue array (in entries) KeepQueueOffHeap maps:
// smaller ones stay on the heap, where they cost less than a mapping,
// which is faulted in page by page each time, while the heap reuses what
// the last run freed (docs/decisions.md, "Small runs stay on the heap").
const mapMin = 1 << 17

// KeepQueueOffHeap makes the engine keep its event queue's arrays (the
// near and far heaps and the rung's nodes), each once it grows to mapMin
// entries (past 65,536 events), in memory mapped outside
// the Go heap where the system allows (sim/offheap): a saturated run
// queues a million, and on the heap the collector would let the heap grow
// by as much again before collecting. The owner must call Release once
// done with the engine.
func (e *Engine) KeepQueueOffHeap() { e.offHeap = true }

// Release returns the memory KeepQueueOffHeap mapped and empties the
// queue; Now and Events stay. The engine must not schedule or dispatch
// events afterwards. Releasing twice is harmless.
func (e *Engine) Release() {
	for i := range e.mapped {
		offheap.Unmap(e.mapped[i])
		e.mapped[i] = nil
	}
	e.heap, e.far, e.nodes = nil, nil, nil
	e.timers, e.free = nil, nil // every TimerID is void: Cancel says false
	e.pending, e.inRungN, e.freeNode = 0, 0, noNode
	for i := range e.heads {
		e.heads[i] = noNode
	}
	e.occupied = [rungWords]uint64{}
}

func (e *Engine) release(slot int32) {
	e.timers[slot].pos = -1
	e.timers[slot].gen++
	e.timers[slot].where = inNear
	e.free = append(e.free, slot)
}

// removeAt deletes the entry at index i of heap h (where says which) and
// returns the heap.
func (e *Engine) removeAt(h []entry, where uint8, i int) []entry {
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	if i == n {
		return h
	}
	if i > 0 && less(&last, &h[(i-1)/4]) {
		e.siftUp(h, where, i, last)
	} else {
		e.siftDown(h, where, i, last)
	}
	return h
}

// less reports whether x comes before y: (at, seq) compared as one 128-bit
// unsigned number (at is never negative), by subtraction with borrow and
// without a branch, so that siftDown chooses the smallest child by
// arithmetic instead of hard-to-predict jumps.
func less(x, y *entry) bool { return before(x, y) != 0 }

// before is less as a number: 1 if x comes before y, else 0.
func before(x, y *entry) uint64 {
	_, borrow := mbits.Sub64(x.seq, y.seq, 0)
	_, borrow = mbits.Sub64(uint64(x.at), uint64(y.at), borrow)
	return borrow
}

// place stores x at index i of heap h and records the position of a
// timer entry.
func (e *Engine) place(h []entry, where uint8, i int, x entry) {
	h[i] = x
	if uint32(x.meta) != 0 {
		ts := &e.timers[uint32(x.meta)-1]
		ts.pos, ts.where = int32(i), where
	}
}

// siftUp places x, conceptually at hole i of heap h, at its position
// towards the root.
func (e *Engine) siftUp(h []entry, where uint8, i int, x entry) {
	for i > 0 {
		p := (i - 1) / 4
		if !less(&x, &h[p]) {
			break
		}
		e.place(h, where, i, h[p])
		i = p
	}
	e.place(h, where, i, x)
}

// siftDown places x, conceptually at hole i of heap h, at its position
// towards the leaves of the 4-ary heap.
func (e *Engine) siftDown(h []entry, where uint8, i int, x entry) {
	n := len(h)
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		var best int
		if c+3 < n {
			// A full family: a tournament whose first two rounds are
			// independent, each choice made with a mask, not a jump.
			f := h[c : c+4 : c+4]
			a := c ^ (c^(c+1))&-int(before(&f[1], &f[0]))
			b := (c + 2) ^ ((c+2)^(c+3))&-int(before(&f[3], &f[2]))
			best = a ^ (a^b)&-int(before(&h[b], &h[a]))
		} else {
			best = c
			for j := c + 1; j < n; j++ {
				best ^= (best ^ j) & -int(before(&h[j], &h[best]))
			}
		}
		if !less(&h[best], &x) {
			break
		}
		e.place(h, where, i, h[best])
		i = best
	}
	e.place(h, where, i, x)
}

// HandlerFunc adapts a function to the Handler interface. It is convenient
// in tests and for rare events; hot-path components implement Handler on
// their own type.
type HandlerFunc func(ev *Event)

// Handle calls f(ev).
func (f HandlerFunc) Handle(ev *Event) { f(ev) }
