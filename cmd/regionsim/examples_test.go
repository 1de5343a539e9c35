package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helpExamples returns the command lines of the Example section of a
// command's help: the lines that start with "regionsim", without a
// trailing "# comment".
func helpExamples(help string) []string {
	_, section, ok := strings.Cut(help, "\nExample:\n")
	if !ok {
		return nil
	}
	var lines []string
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if !strings.HasPrefix(line, "regionsim ") {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		lines = append(lines, line)
	}
	return lines
}

// TestHelpExamples runs, in-process, every example line of every command's
// help (the root's included); each must exit 0. A trailing "> FILE" is
// dropped: the output is captured instead.
func TestHelpExamples(t *testing.T) {
	// Examples that write files (sweep --shard --out parts, then merge
	// parts) write them here, in order.
	t.Chdir(t.TempDir())
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if !sub.Hidden {
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
	}
	walk(newRoot(io.Discard, io.Discard), nil)
	require.Greater(t, len(paths), 10)
	ran := 0
	for _, path := range paths {
		code, help, stderr := runCLI(append(path, "--help")...)
		require.Equal(t, 0, code, "%v --help: %s", path, stderr)
		examples := helpExamples(help)
		assert.NotEmpty(t, examples, "regionsim %s --help has no Example section", strings.Join(path, " "))
		for _, ex := range examples {
			words, err := shellWords(ex)
			require.NoError(t, err, ex)
			if i := indexOf(words, ">"); i >= 0 {
				words = words[:i]
			}
			t.Run(ex, func(t *testing.T) {
				code, stdout, stderr := runCLI(words[1:]...)
				assert.Equal(t, 0, code, "stderr: %s", stderr)
				assert.NotEmpty(t, stdout+stderr, "prints its output, or names the files it wrote")
			})
			ran++
		}
	}
	t.Logf("ran %d examples from %d commands", ran, len(paths))
}

func indexOf(words []string, w string) int {
	for i, x := range words {
		if x == w {
			return i
		}
	}
	return -1
}

func TestHelpExamplesParse(t *testing.T) {
	help := "Usage: regionsim x\n\nExamples: --assert 'a<1'\n\nExample:\n  regionsim x a   # note\n  regionsim x 'b c' > f\n\nFlags:\n  regionsim not-an-example\n"
	assert.Equal(t, []string{"regionsim x a", "regionsim x 'b c' > f"}, helpExamples(help))
}
