// Package topology owns the physical side of a simulated CockroachDB
// cluster: regions, availability zones and nodes with their locality tiers
// (region, zone), and the latency model between them — the inter-region RTT
// matrix, the inter-zone and intra-zone RTTs, the jitter distribution of
// every link, and node-local service-time and fsync distributions. It also
// owns the RTT data: built-in presets embedded from presets/*.csv (derived
// from the reference measurements by internal/genpresets) and the import of
// user CSV files, and where the presets' cloud regions are (RegionLocation,
// NearestRegion), to map a scenario's regions onto another provider's.
// Later it will also own who is up and which links are cut at a simulated
// instant.
//
// Build turns a Config (the `topology:` section of a scenario) into a
// Cluster. Times are time.Duration (nanoseconds of simulated time); RTTs in
// CSV files are milliseconds. Every random draw takes an explicit source
// from math/rand/v2 supplied by the caller (a rand.Source: a *rand.Rand, or
// the *rand.PCG under it); nothing here reads the wall clock or the global
// random source, so runs replay exactly.
//
// The latency distributions and their defaults are documented on Dist,
// FitLognormal, DefaultSpike, DefaultFloorGap and DefaultP99Excess, each
// with its source in shared/reference/latency-data.md.
//
// Package topology imports only the standard library: it sits below raft,
// scenarios and cmd and must not import any package of this project.
package topology
