package topology

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func summary(t *testing.T, cfg Config) string {
	t.Helper()
	c, err := Build(cfg)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, c.WriteSummary(&b))
	out := b.String()
	for line := range strings.Lines(out) {
		require.Equal(t, strings.TrimRight(line, " \n"), strings.TrimSuffix(line, "\n"), "trailing space")
	}
	return out
}

func TestWriteSummary(t *testing.T) {
	t.Run("aws tails", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.RTT = "aws"
		out := summary(t, cfg)
		assert.Contains(t, out, `RTT between regions, ms: p50 / p90 from rtt "aws"`)
		assert.Contains(t, out, "us-east-1  -            64.4 / 69.3  69.6 / 74.6\n")
		assert.Contains(t, out, "Source: preset aws:")
	})
	t.Run("roachprod mirrored", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.RTT, cfg.Jitter = "roachprod", JitterNone
		out := summary(t, cfg)
		assert.Contains(t, out, "us-west1      64*       -         132\n")
		assert.Contains(t, out, "* the data gives only the reverse direction")
		assert.Contains(t, out, "Jitter none: every hop takes its p50; one-way delay = RTT/2.")
		assert.NotContains(t, out, "Modelled")
	})
	t.Run("csv sources", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lab.csv")
		require.NoError(t, os.WriteFile(path, []byte("from,to,p50_ms,source\nx,y,12.34,my lab 2026\n"), 0o644))
		cfg := DefaultConfig()
		cfg.RTT = path
		cfg.Regions = []string{"y", "x"}
		out := summary(t, cfg)
		assert.Contains(t, out, "Source: file "+path+"\n  my lab 2026\n")
		assert.Contains(t, out, "y          -     12.3*\nx          12.3  -\n")
	})
	t.Run("layout only", func(t *testing.T) {
		c, err := NewLayout([]string{"r"}, 1, 2)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, c.WriteSummary(&b))
		assert.Contains(t, b.String(), "Topology: 1 region, 1 zone, 2 nodes\n")
		assert.Contains(t, b.String(), "r       r-a   n1    region=r,zone=r-a\n              n2")
		assert.Contains(t, b.String(), "(no latency model)")
	})
}
