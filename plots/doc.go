// Package plots draws regionsim's charts with gonum/plot: latency CDFs,
// percentile bars per client region, latency and lease location over time
// with fault windows, RTT heatmaps and sweep summaries.
//
// Charts are built from scenarios.Result values only; package plots never
// reaches into the engine or the replication model.
package plots
