# regionsim — see README.md. Every target uses the Go toolchain on PATH
# (or /usr/local/go/bin, where the project's machines keep it).
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
# PGO: the CPU profile the compiler optimises with (profile-guided inlining and
# devirtualisation; docs/decisions.md, "Profile-guided optimisation"). go build,
# go run and go test of ./cmd/regionsim pick it up by themselves (it is the main
# package's default.pgo); the benchmarks of other packages are built with it here.
PGO := $(CURDIR)/cmd/regionsim/default.pgo
PGOFLAG := $(if $(wildcard $(PGO)),-pgo=$(PGO))

.PHONY: run test bench bench-all build charts schema readme fmt clean fidelity pgo

## build: compile the CLI into bin/regionsim
build:
	$(GO) build -o bin/regionsim ./cmd/regionsim

## run: the main job: ZONE vs REGION survival on the built-in default scenario
## (tables on stdout; result files and charts in out/run, beside the other targets'
## out/bench.txt and out/gallery*, which an output set in out itself would refuse or replace)
run: build
	./bin/regionsim compare default --out out/run --charts summary

## charts: regenerate the README gallery in docs/img (default scenario; failover: users-by-city)
charts: build
	rm -rf out/gallery && ./bin/regionsim compare default --out out/gallery --charts all > /dev/null
	mkdir -p docs/img
	rm -f docs/img/bars-accounts.png
	cp out/gallery/cdf-accounts-write.png out/gallery/dots-accounts.png \
	   out/gallery/cdf-users-read.png out/gallery/rtt-heatmap.png docs/img/
	cp out/gallery/latency-heatmap-region.png docs/img/latency-heatmap.png
	rm -rf out/gallery-faults && ./bin/regionsim run users-by-city --out out/gallery-faults > /dev/null
	cp out/gallery-faults/timeline-users-write.png docs/img/failover-timeline.png

## schema: regenerate docs/schema/*.schema.json from the Go types (review the diff;
## a test fails while they are stale)
schema:
	$(GO) test ./scenarios/schema -run '^TestCommittedSchemasAreCurrent$$' -count=1 -update

## readme: regenerate the command output quoted in README.md, each block from the command named
## in its <!-- generated: … --> comment (the failover table's 40 runs included: a few minutes);
## 'make test' fails when a block differs from what its command prints
readme:
	$(GO) test -count=1 -timeout 30m -run '^TestREADME$$' ./cmd/regionsim -update

## test: formatting, vet, every test, and 4,000 inputs of the simulation fuzzer (about ten
## seconds). A count, not a duration: Go 1.26's fuzz coordinator can fail a target with
## "context deadline exceeded" as a -fuzztime duration ends (go.dev/issue/75804, fixed in 1.27)
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -run '^$$' -fuzz '^FuzzRun$$' -fuzztime 4000x ./scenarios

## fidelity: the two-sample test of every latency distribution against the committed
## baseline (testdata/fidelity; ~10^7 simulated requests, about 15 s); -short skips it
fidelity:
	$(GO) test -count=1 -run '^TestFidelity$$' -v ./scenarios

## bench: the benchmarks that tell the performance story, 5 runs each, as a short table
## (median [min, max]), built with the CLI's profile (PGO); the raw output, for benchstat,
## is kept in out/bench.txt
bench:
	mkdir -p out
	$(GO) test $(PGOFLAG) -run '^$$' -bench 'EngineHold/pending=(150|1000)$$' -count 5 ./sim > out/bench.txt
	$(GO) test $(PGOFLAG) -run '^$$' -bench 'Scenario/(default|movr|users-by-city)$$|Scale/' -benchtime 3x -count 5 ./scenarios >> out/bench.txt
	$(GO) run ./cmd/benchtable < out/bench.txt 2>/dev/null

## bench-all: every benchmark, with allocations
bench-all:
	$(GO) test $(PGOFLAG) -run '^$$' -bench . -benchmem ./...

## pgo: regenerate the compiler's profile (PGO) from the scenario benchmarks (about 80 s):
## every built-in scenario and the 9- and 81-node sizes; their output goes to out/pgo.txt.
## Do it after a change to the simulation's hot path: a stale profile still helps
pgo:
	mkdir -p out
	$(GO) test $(PGOFLAG) -run '^$$' -bench 'Scenario/|Scale/nodes=(9|81)$$' -benchtime 6s \
	  -cpuprofile out/pgo.pprof -o out/scenarios.test ./scenarios > out/pgo.txt
	cp out/pgo.pprof $(PGO)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin out
