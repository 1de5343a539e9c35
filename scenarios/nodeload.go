package scenarios

import (
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// SaturatedUtilisation is the CPU utilisation of one load interval at
// which NodeLoad.Saturated calls a node saturated: its CPUs were busy
// all but 1 % of the interval.
const SaturatedUtilisation = 0.99

// NodeLoad is one node's CPU and disk load over the measured span: means
// over its load intervals (Result.LoadIntervalSeconds wide, the timeline's)
// and the peak interval. Utilisations are fractions in [0, 1]: CPU time
// served over vcpus × interval (evaluations and Raft processing), and the
// share of the interval a Raft log sync was in flight.
type NodeLoad struct {
	Node   string `json:"node"`   // the node's name, "n1"
	Region string `json:"region"` // the node's region
	Zone   string `json:"zone"`   // the node's availability zone
	// VCPUs is the node's CPU count (topology.vcpus); 0 means no CPU
	// queue: evaluations never wait, and CPUUtil* count CPU time over
	// one CPU.
	VCPUs       int     `json:"vcpus"`
	CPUUtilMean float64 `json:"cpu_util_mean"` // mean CPU utilisation
	CPUUtilPeak float64 `json:"cpu_util_peak"` // CPU utilisation of the busiest interval
	// DiskUtilMean and DiskUtilPeak are the share of time a sync was in
	// flight, mean and busiest interval.
	DiskUtilMean float64 `json:"disk_util_mean"`
	DiskUtilPeak float64 `json:"disk_util_peak"`
	// QueueMean and QueuePeak are the mean number of evaluations waiting
	// for a CPU (their summed waits over the interval, Little's law), over
	// the span and in its worst interval.
	QueueMean float64 `json:"queue_mean"`
	QueuePeak float64 `json:"queue_peak"`
	// TimedOut counts the evaluations that arrived in the span and gave up
	// waiting for a CPU: a CPU would only have been free after their
	// client's timeout (cockroach.client_timeout, or 10 s without one).
	// Each failed its request.
	TimedOut int64 `json:"timed_out"`
	// AppendsPerSync is the mean number of Raft log appends one sync made
	// durable over the measured span's intervals (group commit; appends
	// and syncs counted by the interval they arrived or were queued in); 0
	// without appends.
	AppendsPerSync float64 `json:"appends_per_sync"`
	// Saturated is set when the node's CPUs were busy at least 99 % of
	// some interval (SaturatedUtilisation) or an evaluation timed out in
	// its queue: the node was offered more than it could serve.
	Saturated bool `json:"saturated"`
}

// RegionLoad is a region's load over the measured span: per interval, the
// mean of its nodes' utilisations; then the mean and the peak of that
// over the span's intervals.
type RegionLoad struct {
	Region      string  `json:"region"`        // the region's name
	Nodes       int     `json:"nodes"`         // nodes in the region
	CPUUtilMean float64 `json:"cpu_util_mean"` // mean CPU utilisation of the region's nodes
	CPUUtilPeak float64 `json:"cpu_util_peak"` // the busiest interval's
	// DiskUtilMean and DiskUtilPeak are the region's mean disk (sync)
	// utilisation and its busiest interval's.
	DiskUtilMean float64 `json:"disk_util_mean"`
	DiskUtilPeak float64 `json:"disk_util_peak"`
	TimedOut     int64   `json:"timed_out"` // evaluations timed out in its nodes' CPU queues
	Saturated    int     `json:"saturated"` // its nodes with NodeLoad.Saturated
}

// LoadPoint is one node's load in one interval of the whole run (warmup
// included), starting TS seconds after the start.
type LoadPoint struct {
	TS       float64 `json:"t_s"`       // the interval's start, seconds since the start of the run
	Node     string  `json:"node"`      // the node's name, "n1"
	CPUUtil  float64 `json:"cpu_util"`  // CPU utilisation, in [0, 1]
	DiskUtil float64 `json:"disk_util"` // share of the interval a sync was in flight
	Queue    float64 `json:"queue"`     // mean number of evaluations waiting for a CPU
	TimedOut int64   `json:"timed_out"` // evaluations that gave up waiting, by arrival
}

// loadResults fills res's NodeLoad, RegionLoad and LoadTimeline from m's
// node queues, measured over [from, until).
func loadResults(res *Result, m *raft.Model, c *topology.Cluster, from, until sim.Time) {
	width := m.LoadInterval()
	res.LoadIntervalSeconds = width.Seconds()
	load := m.NodeLoad()
	// Intervals wholly inside the measured span.
	first := int((int64(from) + int64(width) - 1) / int64(width))
	last := int(int64(until) / int64(width)) // exclusive
	last = max(last, first)
	atCount := func(s []int64, b int) int64 {
		if b < len(s) {
			return s[b]
		}
		return 0
	}
	at := func(s []time.Duration, b int) float64 {
		if b < len(s) {
			return float64(s[b])
		}
		return 0
	}
	nIntervals := int(int64(until) / int64(width))
	res.NodeLoad = make([]NodeLoad, len(load))
	regionCPU := make([][]float64, len(c.Regions))
	regionDisk := make([][]float64, len(c.Regions))
	for r := range c.Regions {
		regionCPU[r] = make([]float64, last-first)
		regionDisk[r] = make([]float64, last-first)
	}
	for n, l := range load {
		node := c.Nodes[n]
		vcpus := m.VCPUs(topology.NodeID(n))
		capacity := float64(max(vcpus, 1)) * float64(width)
		nl := NodeLoad{
			Node: topology.NodeID(n).String(), Region: c.Regions[node.Region].Name,
			Zone: c.Zones[node.Zone].Name, VCPUs: vcpus,
		}
		var appends, syncs int64
		for b := first; b < last; b++ {
			appends += atCount(l.Appends, b)
			syncs += atCount(l.Syncs, b)
		}
		if syncs > 0 {
			nl.AppendsPerSync = float64(appends) / float64(syncs)
		}
		for b := 0; b < nIntervals; b++ {
			p := LoadPoint{
				TS: (time.Duration(b) * width).Seconds(), Node: nl.Node,
				CPUUtil:  at(l.CPUBusy, b) / capacity,
				DiskUtil: at(l.DiskBusy, b) / float64(width),
				Queue:    at(l.Waiting, b) / float64(width),
			}
			if b < len(l.TimedOut) {
				p.TimedOut = l.TimedOut[b]
			}
			res.LoadTimeline = append(res.LoadTimeline, p)
			if b < first || b >= last {
				continue
			}
			nl.CPUUtilMean += p.CPUUtil
			nl.DiskUtilMean += p.DiskUtil
			nl.QueueMean += p.Queue
			nl.CPUUtilPeak = max(nl.CPUUtilPeak, p.CPUUtil)
			nl.DiskUtilPeak = max(nl.DiskUtilPeak, p.DiskUtil)
			nl.QueuePeak = max(nl.QueuePeak, p.Queue)
			nl.TimedOut += p.TimedOut
			regionCPU[node.Region][b-first] += p.CPUUtil
			regionDisk[node.Region][b-first] += p.DiskUtil
		}
		if k := float64(last - first); k > 0 {
			nl.CPUUtilMean /= k
			nl.DiskUtilMean /= k
			nl.QueueMean /= k
		}
		nl.Saturated = nl.TimedOut > 0 || nl.CPUUtilPeak >= SaturatedUtilisation
		res.NodeLoad[n] = nl
	}
	res.RegionLoad = make([]RegionLoad, len(c.Regions))
	for r, reg := range c.Regions {
		rl := RegionLoad{Region: reg.Name}
		for n, node := range c.Nodes {
			if node.Region == r {
				rl.Nodes++
				rl.TimedOut += res.NodeLoad[n].TimedOut
				if res.NodeLoad[n].Saturated {
					rl.Saturated++
				}
			}
		}
		k := float64(rl.Nodes)
		for b := range regionCPU[r] {
			cpu, disk := regionCPU[r][b]/k, regionDisk[r][b]/k
			rl.CPUUtilMean += cpu
			rl.DiskUtilMean += disk
			rl.CPUUtilPeak = max(rl.CPUUtilPeak, cpu)
			rl.DiskUtilPeak = max(rl.DiskUtilPeak, disk)
		}
		if k := float64(len(regionCPU[r])); k > 0 {
			rl.CPUUtilMean /= k
			rl.DiskUtilMean /= k
		}
		res.RegionLoad[r] = rl
	}
}
