package scenarios

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// shapeReader turns fuzz bytes into choices; past the end every choice is
// 0, so any input yields a scenario.
type shapeReader struct {
	b []byte
	i int
}

// pick returns a choice in [0, n).
func (r *shapeReader) pick(n int) int {
	if n <= 1 {
		return 0
	}
	var v int
	if r.i < len(r.b) {
		v = int(r.b[r.i])
		r.i++
	}
	return v % n
}

// genScenario writes a small valid-looking scenario from fuzz bytes: a
// topology of 1–3 regions × 1–3 zones × 1–2 nodes of 0, 1, 2 or 8 vCPUs
// (the small ones saturate and shed), 1–3 tables of any locality, 1–3
// workload entries with any op mix, keyed (1–20 rows) or not, and 0–5
// faults of every
// kind and mode (crashed or blackholed nodes, gateways among them), with
// the liveness range and the clients' gateways sometimes pinned to nodes,
// within a budget of about 20,000 requests.
func genScenario(shape []byte) string {
	r := &shapeReader{b: shape}
	allRegions := []string{"us-east1", "us-west1", "europe-west1"}
	regions := allRegions[:1+r.pick(3)]
	zones := []int{3, 3, 2, 1}[r.pick(4)] // mostly enough for ZONE survival's 3 voters
	nodes := 1 + r.pick(2)
	var b strings.Builder
	duration := 5 + r.pick(16) // s
	warmup := r.pick(4)
	fmt.Fprintf(&b, "name: fuzz\nduration: %ds\nwarmup: %ds\n", duration, warmup)
	jitter := []string{"lognormal", "none"}[r.pick(2)]
	vcpus := []int{8, 1, 2, 0}[r.pick(4)] // 1–2 vCPUs saturate: the CPU queues shed
	fmt.Fprintf(&b, "topology: {rtt: crdb-demo, regions: [%s], zones_per_region: %d, nodes_per_zone: %d, jitter: %s, vcpus: %d}\n",
		strings.Join(regions, ", "), zones, nodes, jitter, vcpus)
	version := []string{"22.2", "23.1", "24.3", "25.2"}[r.pick(4)]
	timeout := []string{"0s", "1s", "5s"}[r.pick(3)]
	perRegion := zones * nodes
	liveness := ""
	if k := r.pick(4); k > 0 { // the liveness range pinned to the first k nodes
		var names []string
		for i := range min(k, len(regions)*perRegion) {
			names = append(names, fmt.Sprintf("n%d", i+1))
		}
		liveness = ", liveness_nodes: [" + strings.Join(names, ", ") + "]"
	}
	fmt.Fprintf(&b, "cockroach: {version: %q, client_timeout: %s%s}\n", version, timeout, liveness)
	multi := len(regions) > 1 || r.pick(2) == 0
	if multi {
		survival := "zone"
		if len(regions) >= 3 && r.pick(2) == 0 {
			survival = "region"
		}
		fmt.Fprintf(&b, "database: {primary_region: %s, survival: %s}\n", regions[0], survival)
	}
	b.WriteString("tables:\n")
	ntables := 1 + r.pick(3)
	for i := range ntables {
		loc := "none"
		if multi {
			loc = []string{"regional-by-table", "regional-by-row", "global", "regional-by-table"}[r.pick(4)]
		}
		fmt.Fprintf(&b, "  - {name: t%d, locality: %s, ranges: %d, rows: %d", i, loc, 1+r.pick(6), 10+r.pick(200))
		if loc == "regional-by-row" {
			fmt.Fprintf(&b, ", lookup: %s, primary_key: %s", []string{"los", "region"}[r.pick(2)], []string{"plain", "gen_random_uuid"}[r.pick(2)])
		}
		if loc == "regional-by-table" && len(regions) > 1 && r.pick(2) == 0 {
			fmt.Fprintf(&b, ", home_region: %s", regions[r.pick(len(regions))])
		}
		b.WriteString("}\n")
	}
	b.WriteString("workload:\n")
	var work []workEntry // written after the faults, which may add options
	nwork := 1 + r.pick(3)
	budget := 20000 / (duration + warmup) / nwork // requests/s per entry
	ops := []string{"read", "write", "stale_read", "bounded_read", "insert", "txn"}
	for range nwork {
		rate := 10 + r.pick(max(1, budget-10))
		// Shares that sum to 1.
		var weights [6]int
		sum := 0
		for i := range ops {
			weights[i] = r.pick(4)
			sum += weights[i]
		}
		if sum == 0 {
			weights[0], sum = 1, 1
		}
		var mix []string
		left, rest := 1.0, sum
		for i, op := range ops {
			if weights[i] == 0 {
				continue
			}
			share := float64(weights[i]) / float64(sum)
			if rest -= weights[i]; rest == 0 {
				share = left // the last share takes what is left, exactly
			}
			left -= share
			mix = append(mix, fmt.Sprintf("%s: %v", op, share))
		}
		region := r.pick(len(regions))
		gateways := ""
		if r.pick(3) == 0 { // keyed: its requests contend on 1–20 rows
			gateways = fmt.Sprintf(", keys: %d", 1+r.pick(20))
		}
		if r.pick(3) == 0 { // clients pinned to one node of their region
			gateways += fmt.Sprintf(", gateways: [n%d]", region*perRegion+1+r.pick(perRegion))
		}
		work = append(work, workEntry{
			line:    fmt.Sprintf("  - {region: %s, rate: %d, table: t%d, mix: {%s}%s", regions[region], rate, r.pick(ntables), strings.Join(mix, ", "), gateways),
			bounded: weights[3] > 0, pinned: strings.Contains(gateways, "gateways:"),
		})
	}
	var faults strings.Builder
	writeFaults(&faults, r, regions, zones, nodes, duration, warmup)
	// Options drawn after everything else, so that inputs written before
	// they existed (the corpus) still give the scenarios they gave.
	for _, w := range work {
		b.WriteString(w.line)
		if w.bounded && r.pick(2) == 1 {
			fmt.Fprintf(&b, ", bounded_read: {max_staleness: %s, nearest_only: %v}",
				[]string{"10s", "0s", "3s", "5s"}[r.pick(4)], r.pick(2) == 1)
		}
		switch r.pick(4) {
		case 1:
			b.WriteString(", gateway: local")
		case 2:
			if !w.pinned {
				b.WriteString(", gateway: any")
			}
		}
		if r.pick(2) == 1 {
			fmt.Fprintf(&b, ", app: {region: %s, client_rtt: %dms}", regions[r.pick(len(regions))], r.pick(50))
		}
		b.WriteString("}\n")
	}
	b.WriteString(faults.String())
	return b.String()
}

// workEntry is a workload line of genScenario without its closing brace.
type workEntry struct {
	line            string
	bounded, pinned bool // a bounded_read share; gateways pinned
}

// writeFaults writes genScenario's 0–5 faults section.
func writeFaults(b *strings.Builder, r *shapeReader, regions []string, zones, nodes, duration, warmup int) {
	nfaults := r.pick(6)
	if nfaults == 0 {
		return
	}
	b.WriteString("faults:\n")
	total := (duration + warmup) * 1000 // ms
	zone := func() string { return fmt.Sprintf("%s-%c", regions[r.pick(len(regions))], 'a'+rune(r.pick(zones))) }
	node := func() string { return fmt.Sprintf("n%d", 1+r.pick(len(regions)*zones*nodes)) }
	for range nfaults {
		at := r.pick(total-100) + r.pick(50)
		length := 100 + r.pick(15000)
		if at+length > total {
			length = total - at
		}
		if length <= 0 {
			continue
		}
		// Crash or blackhole, or the kind's default.
		mode := func() string { return []string{"", ", mode: crash", ", mode: blackhole"}[r.pick(3)] }
		switch r.pick(4) {
		case 0:
			fmt.Fprintf(b, "  - {at: %dms, kind: node, target: %s, for: %dms%s}\n", at, node(), length, mode())
		case 1:
			fmt.Fprintf(b, "  - {at: %dms, kind: zone, target: %s, for: %dms%s}\n", at, zone(), length, mode())
		case 2:
			fmt.Fprintf(b, "  - {at: %dms, kind: region, target: %s, for: %dms%s}\n", at, regions[r.pick(len(regions))], length, mode())
		default:
			side := func() string {
				switch r.pick(3) {
				case 0:
					return regions[r.pick(len(regions))]
				case 1:
					return zone()
				}
				return node()
			}
			fmt.Fprintf(b, "  - {at: %dms, kind: partition, between: [[%s], [%s]], for: %dms, one_way: %v}\n",
				at, side(), side(), length, r.pick(3) == 0)
		}
	}
}

// FuzzRun generates scenarios (topology, tables, workload, faults) and
// runs them with the model's invariant checks on: no panic, every request
// ends exactly once, requests served only by the one valid leaseholder
// outside its range's outages, writes applied only at the leaseholder of
// the lease they were proposed under with a quorum of durable appends,
// bookkeeping that adds up (raft.Model.CheckInvariants, Audit), and no
// storm of events (a budget far above what the requests need).
//
//	go test ./scenarios -run '^$' -fuzz '^FuzzRun$' -fuzztime 1h
func FuzzRun(f *testing.F) {
	f.Add(uint64(1), []byte{})
	f.Add(uint64(2), []byte{2, 2, 1, 10, 0, 0, 1, 1, 0, 2, 0, 3, 0, 0, 5, 50, 1, 2, 3, 1, 2, 3, 0, 1, 5})
	f.Add(uint64(3), []byte{2, 2, 0, 15, 3, 1, 3, 2, 0, 0, 1, 1, 4, 100, 1, 2, 0, 0, 0, 3, 0, 0, 9, 99, 1, 2, 0, 3})
	f.Add(uint64(4), []byte{1, 1, 1, 20, 1, 0, 2, 1, 1, 3, 3, 9, 7, 3, 3, 3, 3, 3, 3, 5, 200, 12, 3, 3, 1, 1, 2, 2})
	f.Fuzz(func(t *testing.T, seed uint64, shape []byte) {
		text := genScenario(shape)
		s, err := Parse([]byte(text), "fuzz.yaml")
		if err != nil {
			return // the generator may write what validation refuses
		}
		s.Seed = seed
		if err := s.Validate(); err != nil {
			return
		}
		// About 20,000 requests cost a few hundred thousand events; ten
		// million means the model is stuck in a storm of events.
		res, err := run(s, RunOptions{checks: true, Budget: Budget{MaxEvents: 10_000_000}})
		var bad *Error
		if errors.As(err, &bad) && bad.Field == "workload" {
			return // keyed workloads that saturate a hot row under a client timeout longer than the drain: bad input, said so
		}
		if err != nil {
			t.Fatalf("%v\nscenario (seed %d):\n%s", err, seed, text)
		}
		var count uint64
		for _, st := range res.Stats {
			count += st.Count
		}
		if count != res.Requests {
			t.Fatalf("stats count %d requests, the run measured %d\nscenario (seed %d):\n%s", count, res.Requests, seed, text)
		}
	})
}

// TestGenScenarioCoversQueuesAndKeys: the fuzz generator writes valid
// scenarios with saturating CPUs and with keyed workloads, so FuzzRun
// reaches CPU-queue shedding and row latches.
func TestGenScenarioCoversQueuesAndKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var keyed, small int
	for range 400 {
		shape := make([]byte, 64)
		for i := range shape {
			shape[i] = byte(r.IntN(256))
		}
		text := genScenario(shape)
		s, err := Parse([]byte(text), "fuzz.yaml")
		if err != nil || s.Validate() != nil {
			continue
		}
		if strings.Contains(text, "keys:") {
			keyed++
		}
		if strings.Contains(text, "vcpus: 1}") || strings.Contains(text, "vcpus: 2}") {
			small++
		}
	}
	assert.Positive(t, keyed)
	assert.Positive(t, small)
}
