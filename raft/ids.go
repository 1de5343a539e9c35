package raft

import "github.com/regionsim/regionsim/topology"

// RangeID names a range of a Model: its index in Model.Ranges, in the order
// tables and their ranges were added.
type RangeID int32

// reqID names an in-flight client request: an index into the model's
// request slab, reused once the request has ended and no event refers to it.
type reqID int32

// partID names one part of a request (the RPC to one range; see partState)
// or a lease transfer: an index into the model's part slab, reused like
// reqID.
type partID int32

// noRange and noReq mark a part slot that holds no range or no request (a
// free slot, or a lease transfer, which has no client request).
const (
	noRange RangeID = -1
	noReq   reqID   = -1
	noPart  partID  = -1
)

// Event arguments. Every event carries one int64 (sim.Event.Arg); each kind
// names in its declaration which of these encodings it uses, and only the
// functions below build or read them:
//
//   - a request: int64(reqID);
//   - a node: int64(topology.NodeID);
//   - a range: int64(RangeID);
//   - a fault: its index in AddFault order;
//   - a part message (partArg): the part in bits 32–63, the part's attempt
//     generation in bits 8–31 and a replica index (into Range.Replicas) in
//     bits 0–7, so that a message of an abandoned attempt is recognised
//     on delivery and discarded;
//   - a node or a range and a generation (nodeGenArg, rangeGenArg): the
//     node or range in bits 32–63 and the generation in bits 0–31 (a
//     store-dead timer of one down spell, a circuit-breaker timer of one
//     wait);
//   - a resolved intent (intentArg): the latch table entry in bits 32–63,
//     the transaction's lock id in bits 0–31;
//   - a closed-timestamp update (sideArg): the publication's tick number in
//     bits 24–63, the sending node in bits 12–23, the receiving node in
//     bits 0–11 (at most 4096 nodes).

// partGenMask keeps a part's attempt generation within partArg's 24 bits:
// generations wrap, and a message is recognised as long as fewer than 2^24
// attempts of its part start while it is in flight.
const partGenMask = 1<<24 - 1

// nextGen starts a new attempt of p: events of earlier ones become stale.
func (p *partState) nextGen() { p.gen = (p.gen + 1) & partGenMask }

// partArg encodes a message of part pi's attempt gen, about replica i.
func partArg(pi partID, gen int32, i int) int64 {
	return int64(pi)<<32 | int64(uint32(gen)<<8|uint32(i&0xff))
}

// splitPartArg decodes partArg.
func splitPartArg(arg int64) (pi partID, gen int32, i int) {
	x := uint32(arg)
	return partID(arg >> 32), int32(x >> 8), int(x & 0xff)
}

// nodeGenArg encodes node n and generation gen.
func nodeGenArg(n topology.NodeID, gen int32) int64 {
	return int64(n)<<32 | int64(uint32(gen))
}

// rangeGenArg encodes range r and generation gen, like nodeGenArg.
func rangeGenArg(r RangeID, gen int32) int64 { return int64(r)<<32 | int64(uint32(gen)) }

// splitRangeGenArg decodes rangeGenArg.
func splitRangeGenArg(arg int64) (RangeID, int32) { return RangeID(arg >> 32), int32(uint32(arg)) }

// splitNodeGenArg decodes nodeGenArg.
func splitNodeGenArg(arg int64) (topology.NodeID, int32) {
	return topology.NodeID(arg >> 32), int32(uint32(arg))
}

// maxNodes is the largest cluster sideArg can address.
const maxNodes = 1 << 12

// sideArg encodes closed-timestamp publication tick of node from, sent to
// node to.
func sideArg(tick int64, from, to topology.NodeID) int64 {
	return tick<<24 | int64(from)<<12 | int64(to)
}

// splitSideArg decodes sideArg.
func splitSideArg(arg int64) (tick int64, from, to topology.NodeID) {
	return arg >> 24, topology.NodeID(arg >> 12 & 0xfff), topology.NodeID(arg & 0xfff)
}
