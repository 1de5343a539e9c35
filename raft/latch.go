package raft

import (
	"fmt"
	"slices"
	"time"

	"github.com/regionsim/regionsim/topology"
)

// This file is the concurrency control of keyed requests (Request.Keyed):
// requests that name one row of a workload's key set, so that two of them
// may touch the same row. CockroachDB serialises such requests at the
// leaseholder in two places (pkg/kv/kvserver/concurrency,
// concurrency_control.go): the latch manager (spanlatch) makes a request
// wait, before it evaluates, for every earlier request whose latches
// conflict with its own; the lock table makes it wait for the intents
// (write locks) of unfinished transactions. A single-row write is a
// one-phase commit (the batch's EndTxn commits it in the same Raft
// command, replica_write.go canAttempt1PCEvaluation) and leaves no intent:
// what serialises it is its write latch, which is held from evaluation
// through replication until the command has applied — endCmds.done, which
// releases the latches (concMgr.FinishReq), runs "after a write request has
// achieved consensus and been applied" (replica_send.go endCmds; the
// proposal's endCmds are released in its application,
// replica_application_result.go / replica_proposal.go).
//
// Latch conflicts follow spanlatch's timestamp rules (spanlatch/doc.go):
// write latches conflict with every other write latch on the key; a read
// waits for write latches at or below its timestamp, and a write does not
// wait for reads at lower timestamps. The model orders timestamps by
// arrival at the leaseholder, so a write never waits for a read and a
// consistent read (or a uniqueness check or locality-optimized probe)
// waits for every write that holds or awaits the key's latch when it
// arrives. Reads hold no latch the model needs (a write never waits for
// them). Reads served below the closed timestamp (stale, bounded) and
// present-time reads of GLOBAL ranges, whose writes carry future
// timestamps, never conflict: GLOBAL reads keep the uncertainty rule of
// read.go.
//
// Per key, waiters queue first come first served, as spanlatch's
// sequence numbers order them. Only keys with a latch holder, an intent or
// a waiter have an entry (latchTable), so memory follows the keys in
// contention, not the rows.

// keyLatch is the latch of one key with a holder, an intent or waiters:
// holder is the write holding its latch (noPart: none), lockID the
// transaction whose intent is on it (reqState.lockID; 0: none), head and
// tail the first and last of the parts waiting for it, linked through
// partState.latchNext.
type keyLatch struct {
	rng        RangeID
	key        int32
	holder     partID
	lockID     uint32
	head, tail partID
}

// latchTable maps (range, key) to the keyLatch of every key that has a
// latch holder, an intent or a waiter: an open-addressing hash table with linear probing
// and backward-shift deletion over a slab of entries with a free list.
// Lookup, insert and remove are O(1) expected and allocate nothing once
// the slab and the table have grown to the most keys in contention at once.
type latchTable struct {
	slots   []int32 // entry index + 1; 0 marks an empty slot
	entries []keyLatch
	free    []int32 // entry indexes to reuse
	used    int     // occupied slots
	waiting int     // parts queued on any entry
}

func latchHash(rng RangeID, key int32) uint64 {
	return (uint64(uint32(rng))<<32 | uint64(uint32(key))) * 0x9e3779b97f4a7c15
}

// home returns the table slot where (rng, key) hashes.
func (t *latchTable) home(rng RangeID, key int32) int {
	return int(latchHash(rng, key) >> 32 & uint64(len(t.slots)-1))
}

// lookup returns the entry of (rng, key), or -1.
func (t *latchTable) lookup(rng RangeID, key int32) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	mask := len(t.slots) - 1
	for i := t.home(rng, key); ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			return -1
		}
		if k := &t.entries[e-1]; k.rng == rng && k.key == key {
			return e - 1
		}
	}
}

// insert adds an entry for (rng, key), which has none, and returns it.
func (t *latchTable) insert(rng RangeID, key int32) int32 {
	if 2*(t.used+1) > len(t.slots) {
		t.grow()
	}
	var e int32
	if n := len(t.free); n > 0 {
		e = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.entries = append(t.entries, keyLatch{})
		e = int32(len(t.entries) - 1)
	}
	t.entries[e] = keyLatch{rng: rng, key: key, holder: noPart, head: noPart, tail: noPart}
	t.place(e)
	t.used++
	return e
}

// place puts entry e into its first free slot.
func (t *latchTable) place(e int32) {
	k := &t.entries[e]
	mask := len(t.slots) - 1
	i := t.home(k.rng, k.key)
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = e + 1
}

// grow doubles the table (at least 16 slots) and re-places every entry.
func (t *latchTable) grow() {
	old := t.slots
	t.slots = make([]int32, max(16, 2*len(old)))
	for _, e := range old {
		if e != 0 {
			t.place(e - 1)
		}
	}
}

// remove deletes entry e, shifting back the entries that probed past its
// slot so that lookups still find them.
func (t *latchTable) remove(e int32) {
	k := &t.entries[e]
	mask := len(t.slots) - 1
	i := t.home(k.rng, k.key)
	for t.slots[i] != e+1 {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		o := &t.entries[t.slots[j]-1]
		h := t.home(o.rng, o.key)
		// The entry at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.used--
	t.free = append(t.free, e)
}

// active returns how many keys have a latch holder or waiters.
func (t *latchTable) active() int { return t.used }

// latched reports whether part pi takes the key-latch path on arrival:
// a keyed request's consistent read, check or write at a leaseholder
// (Request.Keyed; unkeyed requests never collide). Of a transaction's
// writes only the one to its named row, on its first range, is keyed: the
// rows it writes on the ranges after it are taken never to collide, so no
// two transactions can wait for each other's intents (the model has no
// deadlock detection; CockroachDB's txnwait queue breaks such cycles).
func (m *Model) latched(pi partID) bool {
	p := m.parts.at(pi)
	if p.req == noReq || !m.reqs.at(p.req).keyed {
		return false
	}
	if s := m.reqs.at(p.req); s.op == OpTxn && p.rng != s.rng {
		return false
	}
	return p.kind == partRead || p.kind == partWrite || p.kind == partCheck
}

// latchArrive runs when keyed part pi reaches replica p.node, before it
// evaluates (kLatchArrive; its evaluation time is p.svc). At the
// leaseholder it sequences the part on its key: with no conflicting latch
// it evaluates at once (a write then holds the key's latch); otherwise it
// joins the key's queue. At another replica it evaluates as any request
// does and meets the lease check (evalDone).
func (m *Model) latchArrive(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	if p.node != r.Leaseholder {
		// Not sequenced: evalDone redirects it, unless the lease has come
		// here meanwhile; then it sequences before it is served.
		p.unlatched = true
		m.evaluate(pi, 0, p.svc)
		return
	}
	p.unlatched = false
	key := m.reqs.at(p.req).key
	e := m.latches.lookup(p.rng, key)
	if own := m.reqs.at(p.req).lockID; e >= 0 && own != 0 && m.latches.entries[e].lockID == own &&
		m.latches.entries[e].holder == noPart {
		// Its own transaction's intent (a retry of a write that applied):
		// a transaction never waits for itself (the lock table lets a
		// request through a lock its transaction holds). A write takes
		// the latch; the intent stays.
		if p.kind == partWrite {
			m.latches.entries[e].holder = pi
			p.latch = e + 1
		}
		m.evaluate(pi, 0, p.svc)
		return
	}
	if e < 0 {
		if p.kind == partWrite {
			e = m.latches.insert(p.rng, key)
			m.latches.entries[e].holder = pi
			p.latch = e + 1
		}
		m.evaluate(pi, 0, p.svc)
		return
	}
	if m.reqs.at(p.req).done {
		// Its client gave up while it travelled: its context is cancelled,
		// so it does not queue.
		m.partDone(pi)
		return
	}
	// A write holds or awaits the key's latch: wait behind it.
	k := &m.latches.entries[e]
	m.onPart(pi, CompLatchWait)
	p.latch, p.latchWaiting, p.latchNext, p.waitFrom = e+1, true, noPart, m.eng.Now()
	if k.tail != noPart {
		m.parts.at(k.tail).latchNext = pi
	} else {
		k.head = pi
	}
	k.tail = pi
	m.latches.waiting++
	m.startLatchGiveUp(p.req)
	if m.tracer != nil {
		behind := "queued writes"
		switch {
		case k.holder != noPart:
			behind = fmt.Sprintf("the write of req=%d", m.reqs.at(m.parts.at(k.holder).req).tag)
		case k.lockID != 0:
			behind = "a transaction's intent"
		}
		m.traceStep(pi, "latch-wait", fmt.Sprintf("key %d: behind %s", key, behind))
	}
}

// startLatchGiveUp starts the give-up of request ri, one of whose parts
// has just joined a row's queue, when its client has no timeout of its
// own: once it has waited OverloadTimeout for rows, over all its
// attempts, it fails (kDeadline), as it would after as long in a CPU
// queue (admitEval) — regionsim's stand-in for the statement timeout
// every real client has. Without it, open-loop clients of a row offered
// more writes than it serves would queue without bound. With a client
// timeout, its deadline (started at submission) ends the wait instead.
// The clock (queueClock) runs while any of its parts waits — an insert's
// uniqueness checks may wait at several rows at once, and count once —
// and keeps what earlier attempts waited (a part redirected by a lease
// transfer queues again at the new leaseholder).
func (m *Model) startLatchGiveUp(ri reqID) {
	if m.cfg.ClientTimeout > 0 {
		return
	}
	if s := m.reqs.at(ri); s.deadline == 0 {
		s.queueClock = m.eng.Now() - s.queueClock
		s.inFlight++
		s.deadline = m.eng.StartTimer(max(m.eng.Now(), s.queueClock.Add(OverloadTimeout)), m.id, kDeadline, int64(ri))
	}
}

// stopLatchGiveUp cancels request ri's give-up (startLatchGiveUp) once
// none of its parts waits for a row (granted, redirected, or over).
func (m *Model) stopLatchGiveUp(ri reqID) {
	if m.cfg.ClientTimeout > 0 || ri == noReq {
		return
	}
	s := m.reqs.at(ri)
	for pi := s.parts; pi != noPart; pi = m.parts.at(pi).sibNext {
		if m.parts.at(pi).latchWaiting {
			return
		}
	}
	if s.deadline == 0 {
		return // none waited, or the give-up has fired
	}
	if m.eng.Cancel(s.deadline) {
		s.inFlight--
	}
	s.deadline = 0
	s.queueClock = m.eng.Now() - s.queueClock
}

// QueuedOnRows returns how many requests' parts wait at a leaseholder for
// a row's latch or intent (keyed requests only).
func (m *Model) QueuedOnRows() int { return m.latches.waiting }

// dropLatch releases part pi's latch, or takes it out of the queue it
// waits in: its write applied (or was rejected at apply), or its attempt
// at this replica is over (a redirect, a wait for the lease, an RPC error,
// a failure, the request given up). Idempotent; a no-op for a part that
// neither holds nor awaits a latch.
func (m *Model) dropLatch(pi partID) {
	p := m.parts.at(pi)
	if p.latch == 0 {
		return
	}
	e := p.latch - 1
	p.latch = 0
	k := &m.latches.entries[e]
	if p.latchWaiting {
		p.latchWaiting = false
		m.latches.waiting--
		m.recordWait(pi)
		m.stopLatchGiveUp(p.req)
		prev := noPart
		for q := k.head; q != pi; q = m.parts.at(q).latchNext {
			prev = q
		}
		if prev == noPart {
			k.head = p.latchNext
		} else {
			m.parts.at(prev).latchNext = p.latchNext
		}
		if k.tail == pi {
			k.tail = prev
		}
		p.latchNext = noPart
		// A write at the head with no holder would wait for nothing.
		m.grantLatch(e)
		return
	}
	k.holder = noPart
	m.grantLatch(e)
}

// grantLatch lets the waiters of entry e that no longer conflict go on,
// in queue order: reads ahead of the first write evaluate now; the first
// write takes the latch and evaluates, and those behind it keep waiting.
// An entry left with neither holder nor waiter is removed.
func (m *Model) grantLatch(e int32) {
	k := &m.latches.entries[e]
	// The granted parts are a prefix of the queue, still linked by
	// latchNext from first to last.
	first, last := noPart, noPart
	for k.holder == noPart && k.lockID == 0 && k.head != noPart {
		q := k.head
		qp := m.parts.at(q)
		k.head = qp.latchNext
		if k.head == noPart {
			k.tail = noPart
		}
		qp.latchWaiting = false
		m.latches.waiting--
		m.recordWait(q)
		m.stopLatchGiveUp(qp.req)
		if qp.kind == partWrite {
			k.holder = q
		} else {
			qp.latch = 0
		}
		if m.tracer != nil {
			m.traceStep(q, "latch-acquired", fmt.Sprintf("key %d", k.key))
		}
		if first == noPart {
			first = q
		}
		last = q
	}
	if last != noPart {
		m.parts.at(last).latchNext = noPart
	}
	if k.holder == noPart && k.lockID == 0 && k.head == noPart {
		m.latches.remove(e)
	}
	// Only now, with the entry settled, do the granted parts evaluate: an
	// evaluation can end its part at once (its CPU queue sheds it), which
	// releases its latch and re-enters grantLatch for this entry.
	for q := first; q != noPart; {
		next := m.parts.at(q).latchNext
		m.parts.at(q).latchNext = noPart
		if m.parts.at(q).stage != stageDone {
			m.closePart(q) // its latch wait ends
			m.evaluate(q, 0, m.parts.at(q).svc)
		}
		q = next
	}
}

// applied runs when part pi's command commits at its leaseholder. It
// releases the part's latch, except for a keyed transaction's write that
// applies under its lease while its transaction is still running: that
// write leaves an intent, so the key stays locked, now by the
// transaction, until the intent is resolved (resolveIntents). A 1PC
// write leaves none.
func (m *Model) applied(pi partID) {
	p := m.parts.at(pi)
	if p.latch == 0 || p.latchWaiting || p.req == noReq {
		m.dropLatch(pi)
		return
	}
	s := m.reqs.at(p.req)
	if s.op != OpTxn || s.done || p.leaseSeq != m.ranges[p.rng].leaseSeq {
		m.dropLatch(pi)
		return
	}
	k := &m.latches.entries[p.latch-1]
	k.holder, k.lockID = noPart, s.lockID
	p.latch = 0
	if m.tracer != nil {
		m.traceStep(pi, "intent", fmt.Sprintf("key %d locked until resolved", k.key))
	}
}

// resolveIntents runs when keyed transaction ri ends at its gateway
// (committed, or given up: its intent is then aborted the same way).
// Parallel commits make the commit explicit afterwards: the coordinator
// sends EndTxn(COMMITTED) to the range of the transaction record (kvcoord
// txn_interceptor_committer.go makeTxnCommitExplicitAsync), whose
// evaluation resolves the intents on that range (batcheval
// cmd_end_transaction.go resolveLocalLocks); intents on other ranges are
// resolved after it applies, one ResolveIntent command per range
// (replica_write.go: the EndTxn result's CleanupTxnIntentsAsync). A keyed
// transaction contends only on its named row, on its first range, where
// its record is: that key unlocks when the EndTxn applies — the lock table
// hears of it (OnLockUpdated) as the command applies. The model draws the
// EndTxn's hop, evaluation and quorum as the request path would and
// schedules the release (kIntentResolved); it does not simulate the
// command's failures. An intent written after the transaction ended (its
// client gave up first) is released at once (applied).
func (m *Model) resolveIntents(ri reqID) {
	s := m.reqs.at(ri)
	e := m.latches.lookup(s.rng, s.key)
	if e < 0 || m.latches.entries[e].lockID != s.lockID {
		return // no intent there (yet)
	}
	lh := m.ranges[s.rng].Leaseholder
	d := m.oneWay(s.gateway, lh) + m.service(lh) + m.commitDelay(s.rng, lh)
	m.eng.After(d, m.id, kIntentResolved, intentArg(e, s.lockID))
}

// commitDelay draws how long a command leaseholder lh proposes for range
// rng takes to commit: the Quorum-th fastest of its own append and each
// other voter's MsgApp, fsync and ack (replicate, voterAppended), on a
// healthy cluster.
func (m *Model) commitDelay(rng RangeID, lh topology.NodeID) time.Duration {
	r := &m.ranges[rng]
	var acks [32]time.Duration
	key := m.netSrc[lh].Uint64()
	n := 0
	for i, v := range r.Replicas[:r.NumVoters] {
		if v == lh {
			acks[n] = m.fsync(lh)
		} else {
			acks[n] = 2*m.pairHalf(key, pairReplica+uint64(i), lh, v) + m.fsync(v)
		}
		n++
	}
	slices.Sort(acks[:n])
	return acks[r.Quorum-1]
}

// intentArg encodes latch entry e and the lock id of the intent on it.
func intentArg(e int32, lockID uint32) int64 { return int64(e)<<32 | int64(lockID) }

// intentResolved runs when the resolution of an intent applies: its key
// unlocks and its waiters go on, unless the entry no longer holds that
// intent.
func (m *Model) intentResolved(arg int64) {
	e, id := int32(arg>>32), uint32(arg)
	if int(e) >= len(m.latches.entries) {
		return
	}
	k := &m.latches.entries[e]
	if k.lockID != id {
		return
	}
	if m.tracer != nil {
		m.traceNote(m.ranges[k.rng].Leaseholder, "intent-resolved", fmt.Sprintf("r%d key %d", k.rng, k.key))
	}
	k.lockID = 0
	m.grantLatch(e)
}

// recordWait adds the time part pi has waited in its key's queue to its
// request's contention wait.
func (m *Model) recordWait(pi partID) {
	p := m.parts.at(pi)
	s := m.reqs.at(p.req)
	s.waited += m.eng.Now().Sub(p.waitFrom)
	s.didWait = true
}

// ContentionSink is an optional ability of a Sink (found by type assertion
// in New): just before Complete, it hears how long each keyed request
// (Request.Keyed) waited for latches on its key at the leaseholder, summed
// over its parts and attempts (0 when it never waited; waited reports
// whether it queued at all).
type ContentionSink interface {
	Sink
	Contended(tag int64, wait time.Duration, waited bool)
}
