package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary stand in for the regionsim binary: with
// REGIONSIM_TEST_MAIN=1 it runs main on its arguments, so a test can start
// shard processes as a batch engine would.
func TestMain(m *testing.M) {
	if os.Getenv("REGIONSIM_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	sh, err := parseShard("2/5", env())
	require.NoError(t, err)
	assert.Equal(t, "2/5", sh.String())
	sh, err = parseShard("auto/4", env("JOB_COMPLETION_INDEX", "3"))
	require.NoError(t, err)
	assert.Equal(t, "3/4", sh.String())
	// Slurm: --array=1-4 numbers tasks from 1.
	sh, err = parseShard("auto/4", env("SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_MIN", "1"))
	require.NoError(t, err)
	assert.Equal(t, "3/4", sh.String())
	for spec, want := range map[string]string{
		"3":      "want i/N",
		"x/3":    `i "x" is not a whole number`,
		"1/y":    `N "y" is not a whole number`,
		"3/3":    "index 3 is out of range [0, 2]",
		"0/0":    "0 slices is out of range",
		"-1/2":   "index -1 is out of range",
		"auto/2": "neither is set",
	} {
		_, err := parseShard(spec, env())
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want, spec)
	}
	_, err = parseShard("auto/2", env("JOB_COMPLETION_INDEX", "2"))
	assert.ErrorContains(t, err, "index 2 is out of range [0, 1]")
	_, err = parseShard("auto/2", env("SLURM_ARRAY_TASK_ID", "one"))
	assert.ErrorContains(t, err, `SLURM_ARRAY_TASK_ID="one"`)
}

// TestShardProcessesMergeToTheSweep runs the shards of a sweep as separate
// processes with the index in the environment exactly as Kubernetes (an
// Indexed Job: JOB_COMPLETION_INDEX from 0) and Slurm (a job array
// --array=1-3: SLURM_ARRAY_TASK_ID from 1, SLURM_ARRAY_TASK_MIN=1) set it,
// each writing its part into a shared directory, then merges the parts:
// the JSON equals the unsharded sweep's byte for byte, and so does the
// table.
func TestShardProcessesMergeToTheSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep four times")
	}
	sweep := []string{"sweep", "default", "--kinds", "region", "--seeds", "4", "--duration", "8s"}
	code, want, stderr := runCLI(append(sweep, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	_, wantTable, _ := runCLI(sweep...)

	engines := map[string]func(i int) []string{
		"kubernetes": func(i int) []string { return []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i)} },
		"slurm": func(i int) []string {
			return []string{"SLURM_ARRAY_TASK_ID=" + strconv.Itoa(i+1), "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=3"}
		},
	}
	for name, envOf := range engines {
		t.Run(name, func(t *testing.T) {
			parts := filepath.Join(t.TempDir(), "parts")
			for i := range 3 {
				cmd := exec.Command(os.Args[0], append(sweep, "--shard", "auto/3", "--out", parts, "--quiet")...)
				cmd.Env = append(os.Environ(), "REGIONSIM_TEST_MAIN=1")
				cmd.Env = append(cmd.Env, envOf(i)...)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "shard %d: %s", i, out)
				assert.FileExists(t, filepath.Join(parts, "sweep-part-"+strconv.Itoa(i)+"-of-3.json"))
			}
			code, got, stderr := runCLI("merge", parts, "--format", "json")
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, want, got, "merged JSON equals the unsharded sweep's")
			code, got, stderr = runCLI("merge", parts)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, wantTable, got)
		})
	}
}

// shardFull runs the literal acceptance: sweep default --seeds 4
// in 3 shards, merged, against the unsharded sweep (minutes of CPU).
var shardFull = flag.Bool("shard.full", false, "also shard the whole default sweep with 4 seeds (slow)")

// TestShardedDefaultSweep is `sweep default --seeds 4 --shard i/3` for i =
// 0, 1, 2 then merge, against `sweep default --seeds 4`, JSON byte for
// byte. It takes minutes, so it runs only with -shard.full;
// TestShardProcessesMergeToTheSweep checks the same on a smaller sweep.
func TestShardedDefaultSweep(t *testing.T) {
	if !*shardFull {
		t.Skip("with -shard.full")
	}
	sweep := []string{"sweep", "default", "--seeds", "4", "--quiet"}
	code, want, stderr := runCLI(append(sweep, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	parts := t.TempDir()
	for i := range 3 {
		code, _, stderr := runCLI(append(sweep, "--shard", strconv.Itoa(i)+"/3", "--out", parts)...)
		require.Equal(t, 0, code, stderr)
	}
	code, got, stderr := runCLI("merge", parts, "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, got)
}

// TestSeedShardProcessesMergeToTheRun: run --seeds 5 in 2 shard
// processes, the index set as a Kubernetes Indexed Job sets it, merged:
// the table equals the unsharded run's, and so does the JSON but for
// each run's wall time.
func TestSeedShardProcessesMergeToTheRun(t *testing.T) {
	run := []string{"run", "default", "--seeds", "5", "--duration", "4s"}
	code, want, stderr := runCLI(run...)
	require.Equal(t, 0, code, stderr)
	code, wantJSON, stderr := runCLI(append(run, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	parts := filepath.Join(t.TempDir(), "parts")
	for i := range 2 {
		cmd := exec.Command(os.Args[0], append(run, "--shard", "auto/2", "--out", parts, "--quiet")...)
		cmd.Env = append(os.Environ(), "REGIONSIM_TEST_MAIN=1", "JOB_COMPLETION_INDEX="+strconv.Itoa(i))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "shard %d: %s", i, out)
	}
	code, got, stderr := runCLI("merge", parts)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, got)
	code, gotJSON, stderr := runCLI("merge", parts, "--format", "json")
	require.Equal(t, 0, code, stderr)
	wall := regexp.MustCompile(`"wall_seconds": [0-9.e-]+`)
	assert.Equal(t, wall.ReplaceAllString(wantJSON, ""), wall.ReplaceAllString(gotJSON, ""))

	// A sweep part and a seeds part do not mix.
	sweepDir := t.TempDir()
	code, _, stderr = runCLI("sweep", "default", "--kinds", "region", "--seeds", "1", "--duration", "5s", "--shard", "0/1", "--out", sweepDir)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("merge", parts, sweepDir)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "cannot be merged together")
}

func TestMergeRefusesBadParts(t *testing.T) {
	dir := t.TempDir()
	sweep := []string{"sweep", "default", "--kinds", "region", "--seeds", "1", "--duration", "5s"}
	code, _, stderr := runCLI(append(sweep, "--shard", "0/2", "--out", dir)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "sweep-part-0-of-2.json")
	other := filepath.Join(dir, "other")
	code, _, stderr = runCLI(append(sweep, "--seed", "9", "--shard", "1/2", "--out", other)...)
	require.Equal(t, 0, code, stderr)
	run := filepath.Join(dir, "run.json")
	code, out, stderr := runCLI("run", "default", "--duration", "5s", "--format", "json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, os.WriteFile(run, []byte(out), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", dir}, "shard 1/2 missing"},
		{[]string{"merge", dir, other}, "is of another sweep"},
		{[]string{"merge", run}, `kind "run" is not a part`},
		{[]string{"merge", filepath.Join(dir, "nope.json")}, "no such file"},
		{[]string{"merge", t.TempDir()}, "no sweep-part-*.json, seeds-part-*.json or advise-part-*.json files"},
		{[]string{"merge"}, "requires at least 1 arg"},
		{append(sweep, "--shard", "0/2", "--format", "csv"), "--format csv with --shard"},
		{append(sweep, "--shard", "0/2", "--assert", "errors==0"), "--assert with --shard"},
	} {
		code, _, stderr := runCLI(tc.args...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}
