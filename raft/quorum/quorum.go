// Package quorum decides majorities, as go.etcd.io/raft's quorum package
// does: pure functions from who acknowledged (or when) to a decision, with
// no state, no clock and no network. Data ranges (write commits, leader
// reachability, consensus round trips) and the node-liveness range use the
// same functions, so the two cannot drift apart.
//
// It imports nothing of regionsim's.
package quorum

import (
	"fmt"
	"slices"
)

// Size returns the number of voters that make a majority of voters voters:
// voters/2 + 1. A group of 3 needs 2, a group of 5 needs 3 (etcd raft's
// MajorityConfig, CockroachDB's quorum for every range). It panics if voters
// is not positive.
func Size(voters int) int {
	if voters <= 0 {
		panic(fmt.Sprintf("quorum: %d voters", voters))
	}
	return voters/2 + 1
}

// Result is the outcome of a vote.
type Result uint8

const (
	// Pending: neither a majority for nor a majority against yet.
	Pending Result = iota
	// Won: a majority agreed (acknowledged, granted, is reachable).
	Won
	// Lost: so many refused (or cannot answer) that no majority can form.
	Lost
)

var resultNames = [...]string{"pending", "won", "lost"}

// String returns "pending", "won" or "lost".
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", r)
}

// Vote returns the outcome of a vote among voters voters of which yes agreed
// and no refused or cannot answer: Won once yes reaches Size(voters), Lost
// once no exceeds voters − Size(voters), Pending otherwise (etcd raft's
// MajorityConfig.VoteResult). It panics if the counts are negative or add
// up to more than voters.
func Vote(voters, yes, no int) Result {
	if yes < 0 || no < 0 || yes+no > voters {
		panic(fmt.Sprintf("quorum: %d yes and %d no of %d voters", yes, no, voters))
	}
	q := Size(voters)
	switch {
	case yes >= q:
		return Won
	case no > voters-q:
		return Lost
	}
	return Pending
}

// Committed reports whether acks acknowledgements from distinct voters of a
// group of voters voters (the leader's own durable append included) commit
// an entry: Vote(voters, acks, 0) == Won.
func Committed(voters, acks int) bool { return Vote(voters, acks, 0) == Won }

// CommittedAt returns when a majority of a group has acknowledged, given
// each voter's acknowledgement time (or delay) in acks, one entry per voter;
// a voter that will never acknowledge holds a value larger than any real
// one (sim.Never, say), which is then what a group without a reachable
// majority returns. It is the Size(len(acks))-th smallest value: the
// time-ordered counterpart of etcd raft's MajorityConfig.CommittedIndex,
// which takes the largest index a majority has reached.
//
// CommittedAt sorts acks in place and allocates nothing. It panics if acks
// is empty.
func CommittedAt[T ~int64](acks []T) T {
	slices.Sort(acks)
	return acks[Size(len(acks))-1]
}
