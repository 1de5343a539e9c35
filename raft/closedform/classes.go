package closedform

import (
	"encoding/binary"

	"github.com/regionsim/regionsim/raft/placement"
)

// PositionClasses groups the positions of a row of region (Row.Range
// values 0 … Len(region)-1) into classes whose requests address layouts
// that are the same wherever a request looks: the row's range and the
// next span-1 of its list (span is 1 for a one-range request, TxnSpan for
// Txn), and the range at the row's position in each partition of regions
// partitions (REGIONAL BY ROW: the gateway's region for a read with
// locality-optimized search, every region for an insert with uniqueness
// checks, none otherwise). A method of Model returns the same for two
// positions of a class when the request looks nowhere else, so a sum over
// positions may evaluate one position per class (reps[i], the first
// position of class i) weighted by the class's size (counts[i]). Classes
// are in order of their first position. The first call for a set of
// arguments costs O(positions × (span + partitions)); the result is kept
// in t (Table is not safe for concurrent use). A one-range request on a
// table placed on a few nodes has a few dozen classes however many ranges
// it has.
func (t *Table) PositionClasses(region, span int, partitions []int) (reps, counts []int) {
	rs := t.ranges(Row{Region: region})
	n := t.count(rs)
	k := min(max(span, 1), n)
	var parts [][]int
	for _, r := range partitions {
		if r >= 0 && r < len(t.Partitions) && len(t.Partitions[r]) > 0 {
			parts = append(parts, t.Partitions[r])
		}
	}
	// The cache key: the row's home region, the span and the partitions,
	// 4 bytes each (fmt.Sprint cost more than a cached answer saves).
	var kb [64]byte
	ckb := binary.LittleEndian.AppendUint32(kb[:0], uint32(int32(t.HomeRegionOr(region))))
	ckb = binary.LittleEndian.AppendUint32(ckb, uint32(k))
	for _, r := range partitions {
		ckb = binary.LittleEndian.AppendUint32(ckb, uint32(int32(r)))
	}
	if c, ok := t.classes[string(ckb)]; ok {
		return c.reps, c.counts
	}
	ck := string(ckb)
	ids := t.layoutIDs()
	index := map[string]int{}
	key := make([]byte, 0, 4*(k+len(parts)))
	for pos := range n {
		key = key[:0]
		for i := range k {
			key = binary.LittleEndian.AppendUint32(key, ids[t.index(rs, (pos+i)%n)])
		}
		for _, p := range parts {
			key = binary.LittleEndian.AppendUint32(key, ids[p[pos%len(p)]])
		}
		c, ok := index[string(key)]
		if !ok {
			c = len(reps)
			index[string(key)] = c
			reps, counts = append(reps, pos), append(counts, 0)
		}
		counts[c]++
	}
	if t.classes == nil {
		t.classes = map[string]positionClasses{}
	}
	t.classes[ck] = positionClasses{reps, counts}
	return reps, counts
}

// positionClasses is a result of PositionClasses.
type positionClasses struct{ reps, counts []int }

// HomeRegionOr is HomeRegion on a REGIONAL BY ROW table and -1 on others
// (whose rows have no region).
func (t *Table) HomeRegionOr(region int) int {
	if t.Partitions == nil {
		return -1
	}
	return t.HomeRegion(region)
}

// TxnSpan is how many consecutive ranges a transaction addresses
// (TxnRanges, 3 when 0).
func (t *Table) TxnSpan() int {
	if t.TxnRanges <= 0 {
		return 3
	}
	return t.TxnRanges
}

// index returns the range index (Table.layout) of position i of range
// list rs.
func (t *Table) index(rs []int, i int) int {
	if rs == nil {
		return i
	}
	return rs[i]
}

// layoutIDs numbers the table's layouts so that two ranges get the same
// number exactly when their layouts are equal in every field, computed
// once per Table (by AddRange as it goes).
func (t *Table) layoutIDs() []uint32 {
	if t.ids != nil || t.distinct != nil {
		return t.ids
	}
	t.ids = make([]uint32, len(t.Ranges))
	seen := map[string]uint32{}
	var key []byte
	for i := range t.Ranges {
		key = appendLayoutKey(key[:0], &t.Ranges[i])
		id, ok := seen[string(key)]
		if !ok {
			id = uint32(len(seen))
			seen[string(key)] = id
		}
		t.ids[i] = id
	}
	return t.ids
}

// appendLayoutKey appends to b every field of l that a latency may depend
// on, each list prefixed by its length.
func appendLayoutKey(b []byte, l *placement.Layout) []byte {
	put := func(v int) { b = binary.AppendVarint(b, int64(v)) }
	put(l.Home)
	put(int(l.Leaseholder))
	put(l.MissingVoters)
	put(l.MissingNonVoters)
	if l.GlobalReads {
		put(1)
	} else {
		put(0)
	}
	put(len(l.Voters))
	for _, n := range l.Voters {
		put(int(n))
	}
	put(len(l.NonVoters))
	for _, n := range l.NonVoters {
		put(int(n))
	}
	put(len(l.LeasePreferences))
	for _, r := range l.LeasePreferences {
		put(r)
	}
	return b
}
