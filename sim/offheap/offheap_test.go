package offheap

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMapIsZeroedAndCounted: mapped memory is zeroed and writable, Bytes
// counts it until Unmap.
func TestMapIsZeroedAndCounted(t *testing.T) {
	before := Bytes()
	b := Map(1 << 20)
	if !Supported {
		assert.Nil(t, b)
		return
	}
	require.Len(t, b, 1<<20)
	assert.Equal(t, before+1<<20, Bytes())
	for i := range b {
		if b[i] != 0 {
			t.Fatalf("byte %d is %d, not zero", i, b[i])
		}
		b[i] = byte(i)
	}
	assert.Equal(t, byte(255), b[1<<20-1])
	Unmap(b)
	assert.Equal(t, before, Bytes())
	Unmap(nil) // what Map returns where it maps nothing
	assert.Equal(t, before, Bytes())
}

// TestCheckPointerFree: values with no Go pointer pass; any pointer,
// slice, string, map, channel, function or interface, however deep, is
// refused.
func TestCheckPointerFree(t *testing.T) {
	type inner struct {
		a [3]uint32
		b float64
	}
	type flat struct {
		x int64
		y [4]inner
		z bool
		w uintptr
	}
	assert.NotPanics(t, func() { CheckPointerFree(reflect.TypeFor[flat]()) })
	assert.NotPanics(t, func() { CheckPointerFree(reflect.TypeFor[[0]*int]()) })
	for _, typ := range []reflect.Type{
		reflect.TypeFor[*int](),
		reflect.TypeFor[struct{ s string }](),
		reflect.TypeFor[[2]struct{ x []int }](),
		reflect.TypeFor[struct{ m map[int]int }](),
		reflect.TypeFor[struct{ c chan int }](),
		reflect.TypeFor[struct{ f func() }](),
		reflect.TypeFor[struct{ i any }](),
		reflect.TypeFor[struct {
			a int
			b [1]struct{ p *flat }
		}](),
	} {
		assert.Panics(t, func() { CheckPointerFree(typ) }, "%v", typ)
	}
}
