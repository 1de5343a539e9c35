// Package offheap maps memory outside the Go heap for the large,
// long-lived, pointer-free arrays of a run: a saturated run's request
// state and event queue. The collector neither scans such memory nor
// counts it when it paces itself, so it does not let the heap grow to
// twice their size before collecting (docs/decisions.md, "Request state
// off the heap"). Whoever maps memory unmaps it, and nothing may point
// into it afterwards; it must hold no Go pointers, since the collector
// does not look inside it.
package offheap

import (
	"fmt"
	"reflect"
	"sync/atomic"
)

// mapped counts the bytes mapped and not yet unmapped in the process.
var mapped atomic.Int64

// Bytes returns the bytes the process holds mapped by Map: the runtime's
// memory statistics do not include them.
func Bytes() uint64 { return uint64(max(0, mapped.Load())) }

// Map returns n zeroed bytes mapped outside the Go heap, or nil where the
// system does not map them (Supported false) or refuses: the caller then
// allocates on the heap.
func Map(n int) []byte {
	b := mapAnon(n)
	if b != nil {
		mapped.Add(int64(len(b)))
	}
	return b
}

// Unmap returns memory from Map to the system.
func Unmap(b []byte) {
	if b == nil {
		return
	}
	mapped.Add(-int64(len(b)))
	unmap(b)
}

// CheckPointerFree panics unless values of type t hold no Go pointer (a
// pointer, slice, string, map, channel, function or interface): only
// such values may live in mapped memory.
func CheckPointerFree(t reflect.Type) {
	if holdsPointers(t) {
		panic(fmt.Sprintf("offheap: %v holds Go pointers and cannot live off the heap", t))
	}
}

func holdsPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && holdsPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}
