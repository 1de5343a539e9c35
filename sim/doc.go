// Package sim is regionsim's discrete-event engine: simulated time, an event
// queue ordered by (time, sequence), cancellable timers, handler dispatch and
// seeded random streams.
//
// Simulated time is an int64 count of nanoseconds since the start of a run
// (Time); nothing in the engine reads the wall clock. Events scheduled for the
// same instant run in the order they were scheduled (FIFO), so a run replays
// exactly for the same inputs and seed.
//
// Components register a Handler once and then schedule events addressed to
// its HandlerID with a small integer Kind and two integer arguments. Event
// payloads larger than that live in the component's own tables and travel as
// indexes, so scheduling and dispatching an event allocates nothing.
//
// Random draws come from streams derived from one root seed and a stream id
// (NewRand, StreamID): each component owns its stream, so adding a component
// does not shift the draws of the others.
//
// Package sim imports nothing from this project; its sub-package sim/stats
// holds the streaming histograms and time series that recorders use.
package sim
