package raft

import "github.com/regionsim/regionsim/sim"

// futureWrites remembers, per key of a GLOBAL range, the timestamp of the
// latest committed write whose timestamp is still in the future. Only such
// a write can lie in a present-time read's uncertainty window (read.go), so
// entries whose timestamp has passed are dropped whenever the table is
// rebuilt: memory follows the writes of the last lead interval (the 800 ms
// a GLOBAL write's timestamp leads the present), not the table's rows.
//
// It is an open-addressing hash table with linear probing; get and put
// allocate nothing except when put rebuilds it. The table is allocated at
// the first put: a range holds one pointer until its first GLOBAL write.
type futureWrites struct {
	t *writeTable
}

// writeTable is futureWrites' hash table.
type writeTable struct {
	keys []int32    // key + 1; 0 marks an empty slot
	ts   []sim.Time // the write timestamp of keys[i]
	used int        // occupied slots
}

// get returns the latest remembered write timestamp of key k, or -1.
func (fw *futureWrites) get(k int32) sim.Time {
	w := fw.t
	if w == nil {
		return -1
	}
	mask := len(w.keys) - 1
	for i := hashKey(k) & mask; ; i = (i + 1) & mask {
		switch w.keys[i] {
		case 0:
			return -1
		case k + 1:
			return w.ts[i]
		}
	}
}

// put records a write of key k at timestamp ts (keeping the later of two
// writes to a key); now is the current time, below which entries expire.
func (fw *futureWrites) put(k int32, ts, now sim.Time) {
	if fw.t == nil {
		fw.t = &writeTable{}
	}
	w := fw.t
	if 2*(w.used+1) > len(w.keys) {
		w.rebuild(now)
	}
	mask := len(w.keys) - 1
	for i := hashKey(k) & mask; ; i = (i + 1) & mask {
		switch w.keys[i] {
		case 0:
			w.keys[i], w.ts[i] = k+1, ts
			w.used++
			return
		case k + 1:
			w.ts[i] = max(w.ts[i], ts)
			return
		}
	}
}

// rebuild drops the entries whose timestamp has passed and re-sizes the
// table to four times the entries left (at least 16 slots).
func (w *writeTable) rebuild(now sim.Time) {
	oldKeys, oldTS := w.keys, w.ts
	live := 0
	for i, k := range oldKeys {
		if k != 0 && oldTS[i] > now {
			live++
		}
	}
	size := 16
	for size < 4*(live+1) {
		size *= 2
	}
	w.keys, w.ts, w.used = make([]int32, size), make([]sim.Time, size), 0
	mask := size - 1
	for i, k := range oldKeys {
		if k == 0 || oldTS[i] <= now {
			continue
		}
		j := hashKey(k-1) & mask
		for w.keys[j] != 0 {
			j = (j + 1) & mask
		}
		w.keys[j], w.ts[j] = k, oldTS[i]
		w.used++
	}
}

// hashKey spreads consecutive keys over the table (Fibonacci hashing).
func hashKey(k int32) int { return int(uint32(k) * 0x9e3779b1 >> 8) }
