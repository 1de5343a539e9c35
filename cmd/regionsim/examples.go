package main

// The Example sections of the commands' help. TestHelpExamples runs every
// line that starts with "regionsim" (a trailing "> FILE" is dropped), so
// each is kept cheap: a short --duration, or --dry-run for a long run.
const (
	runExamples = `  regionsim run default --duration 5s
  regionsim run movr --survival region --max-offset 250ms --duration 5s
  regionsim run default --duration 5s --format json --quiet > result.json
  regionsim run default --duration 5s --assert 'accounts.write.p99<150ms' --assert 'errors==0'
  regionsim run users-by-city --dry-run       # the cost of the run, without running it
  regionsim run default --rtt aws --duration 5s
  regionsim run default --survival region --voters 7 --duration 5s   # 7 voters, 2 of them in the home region`

	compareExamples = `  regionsim compare default --duration 5s
  regionsim compare users-by-city --dry-run
  regionsim compare default --duration 5s --format markdown
  regionsim compare default --duration 5s --assert 'accounts.write.p99<150ms' --assert 'errors==0'
  regionsim compare default --vary voters=3,5 --nodes-per-zone 2 --duration 5s   # 5 ZONE voters need 5 nodes per region (with 3: under-replicated, and it says so)`

	sweepExamples = `  regionsim sweep default --kinds region --dry-run
  regionsim sweep default --kinds region --seeds 1 --duration 5s
  regionsim sweep default --kinds region --seeds 1 --duration 5s --format csv
  regionsim sweep default --kinds region --seeds 2 --duration 5s --shard 0/2 > part-0.json   # half the runs, for merge`

	scenariosExamples = `  regionsim scenarios
  regionsim scenarios --format json`

	presetsExamples = `  regionsim presets
  regionsim presets --format csv`

	topologyExamples = `  regionsim topology --rtt aws --regions us-east-1,eu-central-1,ap-southeast-1
  regionsim topology users-by-city
  regionsim topology default --format json
  regionsim topology --rtt aws --format markdown`
)
