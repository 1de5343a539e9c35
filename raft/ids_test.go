package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPartArgRoundTrips: a part message decodes to the part, attempt and
// replica it was sent with, and the attempt generation wraps within the 24
// bits partArg keeps, so a slot reused more than 2^24 times still
// recognises its current attempt's messages.
func TestPartArgRoundTrips(t *testing.T) {
	p := partState{gen: partGenMask - 1}
	for range 3 {
		for _, i := range []int{0, 5, 255} {
			pi, gen, j := splitPartArg(partArg(123456, p.gen, i))
			assert.Equal(t, partID(123456), pi)
			assert.Equal(t, p.gen, gen, "current attempt recognised")
			assert.Equal(t, i, j)
		}
		prev := p.gen
		p.nextGen()
		_, gen, _ := splitPartArg(partArg(1, prev, 0))
		assert.NotEqual(t, p.gen, gen, "an earlier attempt is stale")
	}
	assert.Equal(t, int32(1), p.gen, "wrapped: mask-1 -> mask -> 0 -> 1")
}
