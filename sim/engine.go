package sim

import (
	"fmt"
	"math/bits"
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

// entry is one pending event, 32 bytes, stored by value in a 4-ary heap
// ordered by (at, seq). meta packs the handler (bits 40–63), the kind (bits
// 32–39) and the timer slot + 1 (bits 0–31; 0 when the event cannot be
// cancelled).
type entry struct {
	at   Time
	seq  uint64
	arg  int64
	meta uint64
}

func (x *entry) slot() int32 { return int32(uint32(x.meta)) - 1 }

// timerSlot tracks where a cancellable entry sits in the heap.
type timerSlot struct {
	pos int32  // heap index, or -1 when free
	gen uint32 // bumped whenever the slot is released
}

// Engine is a discrete-event simulator: a clock and a queue of pending events.
// It is not safe for concurrent use; parallel runs use one Engine each.
//
// Scheduling and dispatching an event cost O(log n) for n pending events and
// allocate nothing once the queue's backing arrays have grown to the run's
// peak size.
type Engine struct {
	now      Time
	seq      uint64
	events   uint64
	heap     []entry
	timers   []timerSlot
	free     []int32
	handlers []Handler
	cur      Event
	stopped  bool
	// limit is the most events Run and RunUntil dispatch in all (0: none).
	limit uint64
	// offHeap: the heap's backing array is mapped (KeepQueueOffHeap);
	// mapped is its mapping, nil while it is on the Go heap.
	offHeap bool
	mapped  []byte
}

// NewEngine returns an engine at time 0 with an empty queue.
func NewEngine() *Engine { return &Engine{} }

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
func (e *Engine) Pending() int { return len(e.heap) }

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
// returns its id. Cancelling removes the event from the queue at once.
func (e *Engine) StartTimer(at Time, h HandlerID, kind Kind, arg int64) TimerID {
	var slot int32
	if n := len(e.free); n > 0 {
		slot = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		slot = int32(len(e.timers))
		e.timers = append(e.timers, timerSlot{pos: -1, gen: 1})
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
	ts := e.timers[slot]
	if ts.gen != uint32(id>>32) || ts.pos < 0 {
		return false
	}
	e.removeAt(int(ts.pos))
	e.release(slot)
	return true
}

// Step dispatches the earliest pending event and reports whether there was
// one (false too once the event limit is reached).
func (e *Engine) Step() bool {
	if len(e.heap) == 0 || e.LimitReached() {
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
	for len(e.heap) > 0 && e.heap[0].at <= until && !e.stopped && e.events < limit {
		e.dispatch()
	}
	if !e.stopped && until != Never && until > e.now && e.events < limit {
		e.now = until
	}
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

func (e *Engine) dispatch() {
	top := e.heap[0]
	n := len(e.heap) - 1
	last := e.heap[n]
	e.heap = e.heap[:n]
	if n > 0 {
		e.siftDown(0, last)
	}
	if slot := top.slot(); slot >= 0 {
		e.release(slot)
	}
	e.now = top.at
	e.events++
	e.cur = Event{At: top.at, Kind: Kind(top.meta >> 32), Arg: top.arg}
	e.handlers[top.meta>>40].Handle(&e.cur)
}

func (e *Engine) push(at Time, h HandlerID, kind Kind, arg int64, slot int32) {
	if at < e.now {
		panic(fmt.Sprintf("sim: event scheduled at %v, before now (%v)", at, e.now))
	}
	if int(h) >= len(e.handlers) {
		panic(fmt.Sprintf("sim: event for unregistered handler %d", h))
	}
	e.seq++
	if n := len(e.heap); n == cap(e.heap) {
		e.grow()
	}
	e.heap = e.heap[:len(e.heap)+1]
	meta := uint64(h)<<40 | uint64(kind)<<32 | uint64(uint32(slot+1))
	e.siftUp(len(e.heap)-1, entry{at: at, seq: e.seq, arg: arg, meta: meta})
}

// grow doubles the heap's backing array. append grows a large slice by
// a quarter at a time, and the arrays it leaves behind are garbage until
// the collector runs: for a queue of a million events (a saturated
// cluster) they came to five times the queue. Doubling leaves about one
// queue's worth.
func (e *Engine) grow() {
	n := max(256, 2*cap(e.heap))
	var h []entry
	var b []byte
	if e.offHeap && n >= mapMin {
		b = offheap.Map(n * int(unsafe.Sizeof(entry{})))
	}
	if b != nil {
		h = unsafe.Slice((*entry)(unsafe.Pointer(unsafe.SliceData(b))), n)[:len(e.heap)]
	} else {
		h = make([]entry, len(e.heap), n)
	}
	copy(h, e.heap)
	offheap.Unmap(e.mapped)
	e.heap, e.mapped = h, b
}

// mapMin is the smallest queue array (in entries) KeepQueueOffHeap maps:
// smaller ones stay on the heap, where they cost less than a mapping.
const mapMin = 1 << 14

// KeepQueueOffHeap makes the engine keep its event queue, once its array
// grows to mapMin entries (past 8,192 events), in memory mapped outside
// the Go heap where the system allows (sim/offheap): a saturated run
// queues a million, and on the heap the collector would let the heap grow
// by as much again before collecting. The owner must call Release once
// done with the engine.
func (e *Engine) KeepQueueOffHeap() { e.offHeap = true }

// Release returns the memory KeepQueueOffHeap mapped and empties the
// queue; Now and Events stay. The engine must not schedule or dispatch
// events afterwards. Releasing twice is harmless.
func (e *Engine) Release() {
	offheap.Unmap(e.mapped)
	e.heap, e.mapped = nil, nil
}

func (e *Engine) release(slot int32) {
	e.timers[slot].pos = -1
	e.timers[slot].gen++
	e.free = append(e.free, slot)
}

// removeAt deletes the entry at heap index i.
func (e *Engine) removeAt(i int) {
	n := len(e.heap) - 1
	last := e.heap[n]
	e.heap = e.heap[:n]
	if i == n {
		return
	}
	if i > 0 && less(&last, &e.heap[(i-1)/4]) {
		e.siftUp(i, last)
	} else {
		e.siftDown(i, last)
	}
}

// less reports whether x comes before y: (at, seq) compared as one 128-bit
// unsigned number (at is never negative), by subtraction with borrow and
// without a branch, so that siftDown chooses the smallest child by
// arithmetic instead of hard-to-predict jumps.
func less(x, y *entry) bool { return before(x, y) != 0 }

// before is less as a number: 1 if x comes before y, else 0.
func before(x, y *entry) uint64 {
	_, borrow := bits.Sub64(x.seq, y.seq, 0)
	_, borrow = bits.Sub64(uint64(x.at), uint64(y.at), borrow)
	return borrow
}

// place stores x at heap index i and records the position of a timer entry.
func (e *Engine) place(i int, x entry) {
	e.heap[i] = x
	if uint32(x.meta) != 0 {
		e.timers[uint32(x.meta)-1].pos = int32(i)
	}
}

// siftUp places x, conceptually at hole i, at its position towards the root.
func (e *Engine) siftUp(i int, x entry) {
	for i > 0 {
		p := (i - 1) / 4
		if !less(&x, &e.heap[p]) {
			break
		}
		e.place(i, e.heap[p])
		i = p
	}
	e.place(i, x)
}

// siftDown places x, conceptually at hole i, at its position towards the
// leaves of the 4-ary heap.
func (e *Engine) siftDown(i int, x entry) {
	h := e.heap
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
		e.place(i, h[best])
		i = best
	}
	e.place(i, x)
}

// HandlerFunc adapts a function to the Handler interface. It is convenient
// in tests and for rare events; hot-path components implement Handler on
// their own type.
type HandlerFunc func(ev *Event)

// Handle calls f(ev).
func (f HandlerFunc) Handle(ev *Event) { f(ev) }
