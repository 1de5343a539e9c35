// Package plots draws regionsim's charts with gonum/plot: latency CDFs on a
// percentile axis, p50/p99 dot plots per client region, latency and lease
// location over time with fault windows, and latency and RTT heatmaps.
//
// Charts are built from scenarios.Result values only; package plots never
// reaches into the engine or the replication model. It imports the
// standard library, gonum.org/v1/plot and gonum.org/v1/gonum, the types of
// package scenarios and sim/stats (for the latency histograms behind the
// CDFs), and nothing that runs a simulation.
//
// Each chart function (LatencyCDF, LatencyCDFByRegion, PercentileDots,
// LatencyOverTime, LatencyOverTimeCompare, LeaseTimeline, LatencyHeatmap,
// RTTHeatmap, and SweepUnavailability for a scenarios.SweepResult) returns
// a Chart: plain gonum plots plus a legend strip and a caption, Width
// points wide (WidthPx pixels in PNG, 2x), which renders as PNG or SVG. A
// chart function returns an error wrapping ErrNoData when its input has
// nothing to draw; WriteResult and WriteComparison write a ChartSet
// (summary, all or none) of a Result or a Comparison into a directory under
// stable file names, skipping charts without data, and an index
// (IndexName) that shows every chart with its caption; WriteSweep writes a
// sweep's.
//
// A percentile is drawn only from enough requests (minRequests: p99 needs
// 100): CDF markers and timeline bins with fewer are left off or drawn as
// sparse. The timelines draw Result.TimelineCompleted, requests binned by
// the instant they completed, so a fault's slow requests show where they
// ended rather than before the fault; a Result without it (an older
// result.json) falls back to Result.Timeline, by request start, and the
// axis says which.
//
// Charts are deterministic: they read no clock and no random source, and
// iterate inputs in slice order, so the same Result gives the same SVG
// bytes. Series are told apart by dash pattern and marker shape as well as
// colour, and bars by shade and hatching, so charts read in grayscale.
package plots
