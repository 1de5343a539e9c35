package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseCount parses a non-negative whole number, also written as a float
// with an integral value ("2e9").
func parseCount(s string) (uint64, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f >= math.MaxUint64 {
		return 0, fmt.Errorf("%q is not a whole number >= 0", s)
	}
	return uint64(f), nil
}

// sizeUnits are the byte units parseSize takes; K, M, G and T are binary
// (KiB …), like the sizes of Go's and the kernel's memory tools.
var sizeUnits = []struct {
	suffix string
	bytes  float64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10},
	{"B", 1},
}

// parseSize parses a byte size such as 512MiB, 4GiB, 1.5G or 1000000.
func parseSize(s string) (uint64, error) {
	num, scale := strings.TrimSpace(s), 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, scale = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.bytes
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f*scale >= math.MaxUint64 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512MiB, 4GiB, or 0 for no limit)", s)
	}
	return uint64(f * scale), nil
}
