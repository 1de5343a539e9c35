// Command benchtable reads `go test -bench` output on stdin and prints the
// short table of `make bench`: one row per benchmark, and for each of the
// metrics that tell regionsim's performance story (simulated requests and
// engine events per wall second, events, allocations and CPU per request,
// peak heap, seconds per run, and the CPU per request of 81 nodes against
// 9 that issue #16 bounds, from the interleaved runs of Scale/nodes=81:9,
// 10 simulated seconds, and Scale/nodes=81:9,full, the default's 70) the
// median over the -count runs with their min and max, and below it the
// same ratio from the medians of Scale/nodes=81 and Scale/nodes=9.
//
//	go test -run '^$' -bench 'Scenario/' -count 5 ./scenarios | go run ./cmd/benchtable
//
// Lines that are not benchmark results pass through to stderr, so a failing
// benchmark is not hidden.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

func main() {
	tab, err := parse(os.Stdin, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(tab.names) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	if err := tab.write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// columns are the metrics the table shows, in order, with their headings;
// a column no benchmark reports is left out.
var columns = []struct{ unit, heading string }{
	{"sim-req/s", "sim-req/s"},
	{"events/s", "events/s"},
	{"events/req", "events/req"},
	{"ns/req", "ns/req"},
	{"allocs/req", "allocs/req"},
	{"peak-heap-MiB", "peak heap MiB"},
	{"s/run", "s/run"},
	{"cpu-ratio", "CPU/req ratio"},
}

// table holds every value of every metric of every benchmark, in the order
// the benchmarks first appeared.
type table struct {
	names  []string
	values map[string]map[string][]float64
}

// parse reads benchmark result lines ("BenchmarkX-2  10  123 ns/op  4.5 unit
// ..."); every other line is copied to other.
func parse(r io.Reader, other io.Writer) (*table, error) {
	t := &table{values: map[string]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			fmt.Fprintln(other, line)
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		if t.values[name] == nil {
			t.values[name] = map[string][]float64{}
			t.names = append(t.names, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			var v float64
			if _, err := fmt.Sscan(f[i], &v); err != nil {
				return nil, fmt.Errorf("%s: value %q of %s is not a number", f[0], f[i], f[i+1])
			}
			t.values[name][f[i+1]] = append(t.values[name][f[i+1]], v)
		}
	}
	return t, sc.Err()
}

// write prints the table: the median of each metric, with [min, max] when
// the runs differ.
func (t *table) write(w io.Writer) error {
	var cols []int
	for i, c := range columns {
		for _, n := range t.names {
			if len(t.values[n][c.unit]) > 0 {
				cols = append(cols, i)
				break
			}
		}
	}
	fmt.Fprintln(w, "each cell: median [min, max] over the runs")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "benchmark\truns\t")
	for _, i := range cols {
		fmt.Fprintf(tw, "%s\t", columns[i].heading)
	}
	fmt.Fprintln(tw)
	for _, n := range t.names {
		runs := len(t.values[n]["ns/op"])
		fmt.Fprintf(tw, "%s\t%d\t", n, runs)
		for _, i := range cols {
			fmt.Fprintf(tw, "%s\t", cell(t.values[n][columns[i].unit]))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range ratios {
		a, b := t.values[r.num]["ns/req"], t.values[r.den]["ns/req"]
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		_, ma, _ := spread(a)
		_, mb, _ := spread(b)
		if _, err := fmt.Fprintf(w, "%s / %s, CPU per request: %.2f× (medians; %s)\n", r.num, r.den, ma/mb, r.note); err != nil {
			return err
		}
	}
	return nil
}

// ratios are the quotients of two benchmarks' CPU per request that a bound
// of issue #16 is about, printed below the table when both ran.
var ratios = []struct{ num, den, note string }{
	{"Scale/nodes=81", "Scale/nodes=9", "the bound is 1.5; Scale/nodes=81:9 and nodes=81:9,full measure it with the two interleaved"},
}

// cell formats the median of vs with its range, e.g. "482k [455k, 501k]";
// "–" when there are none.
func cell(vs []float64) string {
	if len(vs) == 0 {
		return "–"
	}
	lo, med, hi := spread(vs)
	if short(lo) == short(hi) {
		return short(med)
	}
	return fmt.Sprintf("%s [%s, %s]", short(med), short(lo), short(hi))
}

// spread returns the min, median and max of vs (not empty).
func spread(vs []float64) (lo, med, hi float64) {
	s := append([]float64(nil), vs...)
	for i := 1; i < len(s); i++ { // insertion sort: a handful of runs
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

// short prints v with three significant digits and a k/M/G suffix.
func short(v float64) string {
	switch a := abs(v); {
	case a >= 1e9:
		return fmt.Sprintf("%.3gG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
