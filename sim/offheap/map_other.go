//go:build !unix

package offheap

// Supported reports whether Map maps memory on this system: not on this
// one, where callers keep their arrays on the heap.
const Supported = false

func mapAnon(n int) []byte { return nil }

func unmap(b []byte) {}
