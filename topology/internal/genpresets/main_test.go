package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPresetsUpToDate regenerates the preset files into a temporary
// directory and compares them with topology/presets. It is skipped when the
// reference data (shared/reference/rtt beside the checkout) is not present.
func TestPresetsUpToDate(t *testing.T) {
	ref := filepath.Join("..", "..", "..", "..", "shared", "reference", "rtt")
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("reference data not found at %s", ref)
	}
	out := t.TempDir()
	for _, s := range specs {
		if err := generate(ref, out, s); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, s.out))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "presets", s.out))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("presets/%s is stale: run `go generate ./topology`", s.out)
		}
	}
}
