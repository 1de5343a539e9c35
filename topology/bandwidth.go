package topology

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Link is one entry of topology.links: the capacity of the network path
// between two regions, in each direction, overriding topology.bandwidth for
// that pair.
type Link struct {
	// Between names the two regions (topology regions, different).
	Between []string `yaml:"between"`
	// Bandwidth is the pair's capacity per direction, as in
	// Config.Bandwidth ("100Mbps"); required.
	Bandwidth string `yaml:"bandwidth"`
}

// bandwidthUnits are the suffixes ParseBandwidth takes, in bits per second
// (decimal, as network capacities are quoted).
var bandwidthUnits = []struct {
	suffix string
	bits   float64
}{
	{"Tbps", 1e12}, {"Gbps", 1e9}, {"Mbps", 1e6}, {"Kbps", 1e3}, {"bps", 1},
}

// ParseBandwidth parses a link capacity such as "1Gbps", "100Mbps" or
// "2.5Gbps" (units bps, Kbps, Mbps, Gbps, Tbps; decimal) and returns it in
// bytes per second. It fails on anything else, on zero and on negative
// values.
func ParseBandwidth(s string) (float64, error) {
	t := strings.TrimSpace(s)
	for _, u := range bandwidthUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				break
			}
			// In bytes per second it must stay positive and finite too
			// (1e300Tbps, 5e-324bps are not).
			if b := v * u.bits / 8; b > 0 && !math.IsInf(b, 0) {
				return b, nil
			}
			break
		}
	}
	return 0, fmt.Errorf("%q is not a bandwidth > 0 (want e.g. 1Gbps, 100Mbps; units bps, Kbps, Mbps, Gbps, Tbps)", s)
}

// FormatBandwidth writes a capacity in bytes per second as ParseBandwidth
// reads it, in the largest unit that keeps the number at least 1
// ("100Mbps", "2.5Gbps", "0.5bps").
func FormatBandwidth(bytesPerSec float64) string {
	bits := bytesPerSec * 8
	for _, u := range bandwidthUnits {
		if bits >= u.bits || u.bits == 1 {
			return strconv.FormatFloat(bits/u.bits, 'g', 4, 64) + u.suffix
		}
	}
	return ""
}

// validateBandwidth checks topology.bandwidth and topology.links without
// the regions (Build checks the names).
func (c Config) validateBandwidth() error {
	if c.Bandwidth != "" {
		if _, err := ParseBandwidth(c.Bandwidth); err != nil {
			return fmt.Errorf("topology.bandwidth: %w", err)
		}
	}
	for i, l := range c.Links {
		if len(l.Between) != 2 || l.Between[0] == "" || l.Between[1] == "" || l.Between[0] == l.Between[1] {
			return fmt.Errorf("topology.links[%d].between: %q (want two different regions)", i, l.Between)
		}
		if _, err := ParseBandwidth(l.Bandwidth); err != nil {
			return fmt.Errorf("topology.links[%d].bandwidth: %w", i, err)
		}
	}
	return nil
}

// buildBandwidth fills c.bandwidth from cfg: bytes per second of each
// directed region pair, 0 for unlimited.
func (c *Cluster) buildBandwidth(cfg Config) error {
	r := len(c.Regions)
	c.bandwidth = make([]float64, r*r)
	if cfg.Bandwidth != "" {
		bw, _ := ParseBandwidth(cfg.Bandwidth)
		for a := range r {
			for b := range r {
				if a != b {
					c.bandwidth[a*r+b] = bw
				}
			}
		}
	}
	for i, l := range cfg.Links {
		bw, _ := ParseBandwidth(l.Bandwidth)
		a, b := c.RegionIndex(l.Between[0]), c.RegionIndex(l.Between[1])
		for j, ix := range []int{a, b} {
			if ix < 0 {
				return fmt.Errorf("topology.links[%d].between[%d]: %q is not a topology region", i, j, l.Between[j])
			}
		}
		c.bandwidth[a*r+b], c.bandwidth[b*r+a] = bw, bw
	}
	return nil
}

// Bandwidth returns the capacity of the directed link from region a to
// region b in bytes per second; 0 means unlimited (messages take no
// transmission time), as do links within a region.
func (c *Cluster) Bandwidth(a, b int) float64 {
	if c.bandwidth == nil {
		return 0
	}
	return c.bandwidth[a*len(c.Regions)+b]
}

// HasBandwidth reports whether any link of c has a finite capacity.
func (c *Cluster) HasBandwidth() bool {
	for _, b := range c.bandwidth {
		if b > 0 {
			return true
		}
	}
	return false
}
