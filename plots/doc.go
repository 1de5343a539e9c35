// Package plots draws regionsim's charts with gonum/plot: latency CDFs,
// percentile bars per client region, latency and lease location over time
// with fault windows, and RTT heatmaps.
//
// Charts are built from scenarios.Result values only; package plots never
// reaches into the engine or the replication model. It imports the
// standard library, gonum.org/v1/plot and gonum.org/v1/gonum, the types of
// package scenarios and sim/stats (for the latency histograms behind the
// CDFs), and nothing that runs a simulation.
//
// Each chart function (LatencyCDF, PercentileBars, LatencyOverTime,
// LeaseTimeline, RTTHeatmap, and SweepUnavailability for a
// scenarios.SweepResult) returns a Chart: plain gonum plots plus a
// legend strip, Width points wide (WidthPx pixels in PNG), which renders
// as PNG or SVG. A chart function returns an error wrapping ErrNoData when
// its input has nothing to draw; WriteResult and WriteComparison write
// every chart with data for a Result or a Comparison into a directory
// under stable file names and skip the others; WriteSweep writes a sweep's.
//
// Charts are deterministic: they read no clock and no random source, and
// iterate inputs in slice order, so the same Result gives the same SVG
// bytes. Series are told apart by dash pattern and marker shape as well as
// colour, and bars by shade and hatching, so charts read in grayscale.
package plots
