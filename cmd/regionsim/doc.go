// Command regionsim simulates a CockroachDB-style multi-region cluster and
// reports read and write latency and availability per table locality,
// survival goal and client region.
//
// Package main only wires commands (spf13/cobra) and their flags (spf13/pflag)
// to library calls:
// every rule and every renderer lives in the library packages, which it may
// all import; nothing imports it.
package main
