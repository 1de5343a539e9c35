package quorum

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSize(t *testing.T) {
	for voters, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4} {
		assert.Equal(t, want, Size(voters), "%d voters", voters)
	}
	assert.Panics(t, func() { Size(0) })
}

func TestVote(t *testing.T) {
	tests := []struct {
		voters, yes, no int
		want            Result
	}{
		{1, 0, 0, Pending},
		{1, 1, 0, Won},
		{1, 0, 1, Lost},
		{3, 1, 0, Pending},
		{3, 2, 0, Won},
		{3, 2, 1, Won},
		{3, 1, 1, Pending},
		{3, 1, 2, Lost},
		{3, 0, 2, Lost},
		{5, 2, 2, Pending},
		{5, 3, 2, Won},
		{5, 2, 3, Lost},
		{5, 0, 3, Lost},
		{4, 2, 2, Lost}, // an even group needs 3 of 4
		{4, 2, 1, Pending},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Vote(tc.voters, tc.yes, tc.no), "%d voters, %d yes, %d no", tc.voters, tc.yes, tc.no)
	}
	assert.Panics(t, func() { Vote(3, 2, 2) })
	assert.Panics(t, func() { Vote(3, -1, 0) })
	assert.True(t, Committed(5, 3))
	assert.False(t, Committed(5, 2))
	assert.Equal(t, "won", Won.String())
}

// TestVoteBruteForce checks Vote against the definition: Won iff some
// majority is made of yes voters alone, Lost iff every majority contains a
// no voter.
func TestVoteBruteForce(t *testing.T) {
	for voters := 1; voters <= 7; voters++ {
		for yes := 0; yes <= voters; yes++ {
			for no := 0; yes+no <= voters; no++ {
				// Voters 0..yes-1 said yes, the next no said no.
				won, lost := false, true
				for set := 0; set < 1<<voters; set++ {
					members, yesOnly, hasNo := 0, true, false
					for v := 0; v < voters; v++ {
						if set&(1<<v) == 0 {
							continue
						}
						members++
						if v >= yes {
							yesOnly = false
						}
						if v >= yes && v < yes+no {
							hasNo = true
						}
					}
					if 2*members <= voters {
						continue // not a majority
					}
					won = won || yesOnly
					lost = lost && hasNo
				}
				want := Pending
				switch {
				case won:
					want = Won
				case lost:
					want = Lost
				}
				require.Equal(t, want, Vote(voters, yes, no), "%d voters, %d yes, %d no", voters, yes, no)
			}
		}
	}
}

func TestCommittedAt(t *testing.T) {
	const never = math.MaxInt64
	tests := []struct {
		acks []int64
		want int64
	}{
		{[]int64{5}, 5},
		{[]int64{0, 3, 2}, 2},     // leader at 0, the nearer follower decides
		{[]int64{0, never, 9}, 9}, // one follower unreachable
		{[]int64{0, never, never}, never},
		{[]int64{0, 2, 66, 67, 64}, 64}, // REGION survival: the nearest other region
		{[]int64{0, 2, never, never, 64}, 64},
		{[]int64{0, 2, never, never, never}, never},
	}
	for _, tc := range tests {
		got := CommittedAt(slices.Clone(tc.acks))
		assert.Equal(t, tc.want, got, "%v", tc.acks)
	}
	assert.Panics(t, func() { CommittedAt([]int64{}) })
}

// TestCommittedAtOracle checks CommittedAt against the earliest instant at
// which counting acknowledgements reaches a majority.
func TestCommittedAtOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.IntN(7)
		acks := make([]int64, n)
		for i := range acks {
			acks[i] = int64(r.IntN(20))
		}
		want := int64(-1)
		for at := int64(0); at < 20 && want < 0; at++ {
			k := 0
			for _, a := range acks {
				if a <= at {
					k++
				}
			}
			if Committed(n, k) {
				want = at
			}
		}
		require.Equal(t, want, CommittedAt(slices.Clone(acks)), "%v", acks)
	}
}

func TestCommittedAtAllocatesNothing(t *testing.T) {
	acks := []int64{5, 1, 4, 2, 3}
	assert.Zero(t, testing.AllocsPerRun(100, func() { CommittedAt(acks) }))
}
