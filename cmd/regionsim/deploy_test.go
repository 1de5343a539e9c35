package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The deployment files under deploy/ cannot be run here (no docker,
// kubectl or Slurm), so these tests check what can be checked: the files
// parse, the numbers that must agree do, and the command lines they give
// regionsim are accepted by regionsim and, run as the engine would run
// them (index variables set as the engine sets them), merge to the
// unsharded sweep.

// Paths of the deployment files, from this package's directory.
const (
	deployDockerfile = "deploy/Dockerfile"
	deployK8s        = "deploy/kubernetes/sweep-job.yaml"
	deploySlurm      = "deploy/slurm"
)

// shardN returns the N of the --shard auto/N in args, failing the test
// when there is none.
func shardN(t *testing.T, args []string) int {
	t.Helper()
	i := slices.Index(args, "--shard")
	require.True(t, i >= 0 && i+1 < len(args), "no --shard in %q", args)
	spec, ok := strings.CutPrefix(args[i+1], "auto/")
	require.True(t, ok, "--shard %s: want auto/N, so the engine sets the index", args[i+1])
	n, err := strconv.Atoi(spec)
	require.NoError(t, err, "--shard %s", args[i+1])
	return n
}

// unshardedSweep is args (a sweep --shard command line) without --shard,
// --out and --quiet: the sweep the shards are slices of.
func unshardedSweep(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--shard", "--out":
			i++
		case "--quiet":
		default:
			out = append(out, args[i])
		}
	}
	return out
}

// shortRun is appended to a deployment's sweep command line in the tests
// that run it: later flags win, so every run is 5 s with one seed.
var shortRun = []string{"--duration", "5s", "--seeds", "1"}

func TestDeployDockerfile(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go ([0-9.]+)\s*$`).FindSubmatch(mod)
	require.NotNil(t, goVersion, "go.mod has a go directive")

	src, err := os.ReadFile(deployDockerfile)
	require.NoError(t, err)
	// Instructions: comments dropped, continuation lines joined.
	var instrs [][]string
	var line string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if line == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(l, `\`); ok {
			line += s + " "
			continue
		}
		instrs = append(instrs, strings.Fields(line+l))
		line = ""
	}
	var froms [][]string
	var build, entrypoint string
	var copyFrom []string
	cgoOff := false
	for _, in := range instrs {
		switch strings.ToUpper(in[0]) {
		case "FROM":
			froms = append(froms, in[1:])
		case "ENV", "ARG":
			cgoOff = cgoOff || slices.Contains(in, "CGO_ENABLED=0")
		case "RUN":
			r := strings.Join(in[1:], " ")
			if strings.Contains(r, "go build") {
				build = r
				cgoOff = cgoOff || strings.Contains(r, "CGO_ENABLED=0")
			}
		case "COPY":
			if strings.HasPrefix(in[1], "--from=") {
				copyFrom = in[1:]
			}
		case "ENTRYPOINT":
			entrypoint = strings.Join(in[1:], " ")
		}
	}
	require.GreaterOrEqual(t, len(froms), 2, "multi-stage: a build stage and the final image")
	image, tag, _ := strings.Cut(froms[0][0], ":")
	assert.Equal(t, "golang", image, "the build stage is the Go image")
	assert.Regexp(t, `^`+regexp.QuoteMeta(string(goVersion[1]))+`(\.[0-9]+)?(-.*)?$`, tag,
		"the build stage's Go is go.mod's go %s", goVersion[1])
	final := froms[len(froms)-1][0]
	assert.True(t, final == "scratch" || strings.HasPrefix(final, "gcr.io/distroless/static"),
		"the final stage is distroless static or scratch, not %s", final)

	assert.True(t, cgoOff, "CGO_ENABLED=0: a static binary")
	assert.Contains(t, build, "-trimpath")
	fields := strings.Fields(build)
	assert.Equal(t, "./cmd/regionsim", fields[len(fields)-1], "builds the CLI")
	o := slices.Index(fields, "-o")
	require.True(t, o >= 0 && o+1 < len(fields), "go build -o names the binary: %s", build)
	require.Len(t, copyFrom, 3, "COPY --from=build BINARY DEST")
	assert.Equal(t, fields[o+1], copyFrom[1], "the final stage copies the binary built")
	var ep []string
	require.NoError(t, json.Unmarshal([]byte(entrypoint), &ep), "ENTRYPOINT in exec form")
	assert.Equal(t, []string{copyFrom[2]}, ep, "the binary is the entrypoint")

	ignore, err := os.ReadFile(deployDockerfile + ".dockerignore")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^\.git$`, string(ignore), "the build context leaves out .git")
}

// k8sObject holds the fields of a Kubernetes object the tests check.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		AccessModes    []string `yaml:"accessModes"`
		CompletionMode string   `yaml:"completionMode"`
		Completions    *int     `yaml:"completions"`
		Parallelism    *int     `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Image        string   `yaml:"image"`
					Command      []string `yaml:"command"`
					Args         []string `yaml:"args"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim *struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// readK8s parses every YAML document of the manifest.
func readK8s(t *testing.T) []k8sObject {
	t.Helper()
	fh, err := os.Open(deployK8s)
	require.NoError(t, err)
	defer fh.Close()
	var objs []k8sObject
	dec := yaml.NewDecoder(fh)
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "document %d", len(objs))
		objs = append(objs, o)
	}
	return objs
}

// TestDeployKubernetes checks the manifest's PVC, shard Job and merge Job,
// then runs the Jobs' command lines as the pods would: each shard with
// JOB_COMPLETION_INDEX set, the volume a temporary directory, then the
// merge, whose table equals the unsharded sweep's.
func TestDeployKubernetes(t *testing.T) {
	objs := readK8s(t)
	byName := map[string]k8sObject{}
	for _, o := range objs {
		byName[o.Kind+"/"+o.Metadata.Name] = o
	}
	require.Len(t, objs, 3, "a PVC, the shard Job and the merge Job")
	pvc, shard, merge := objs[0], objs[1], objs[2]
	assert.Len(t, byName, 3, "names are distinct")

	assert.Equal(t, "v1", pvc.APIVersion)
	assert.Equal(t, "PersistentVolumeClaim", pvc.Kind)
	assert.Equal(t, []string{"ReadWriteMany"}, pvc.Spec.AccessModes, "pods on different nodes share the parts")

	for _, job := range []k8sObject{shard, merge} {
		assert.Equal(t, "batch/v1", job.APIVersion, job.Metadata.Name)
		assert.Equal(t, "Job", job.Kind, job.Metadata.Name)
		assert.Equal(t, "Never", job.Spec.Template.Spec.RestartPolicy, job.Metadata.Name)
		require.Len(t, job.Spec.Template.Spec.Containers, 1, job.Metadata.Name)
		c := job.Spec.Template.Spec.Containers[0]
		assert.NotEmpty(t, c.Image, job.Metadata.Name)
		assert.Empty(t, c.Command, "%s: the image's entrypoint is regionsim; args are its command line", job.Metadata.Name)
		require.Len(t, job.Spec.Template.Spec.Volumes, 1, job.Metadata.Name)
		v := job.Spec.Template.Spec.Volumes[0]
		require.NotNil(t, v.PersistentVolumeClaim, job.Metadata.Name)
		assert.Equal(t, pvc.Metadata.Name, v.PersistentVolumeClaim.ClaimName, job.Metadata.Name)
		require.Len(t, c.VolumeMounts, 1, job.Metadata.Name)
		assert.Equal(t, v.Name, c.VolumeMounts[0].Name, job.Metadata.Name)
	}
	assert.Equal(t, shard.Spec.Template.Spec.Containers[0].Image, merge.Spec.Template.Spec.Containers[0].Image)
	// kubectl apply -l selects the merge Job apart from the rest.
	assert.Equal(t, "merge", merge.Metadata.Labels["app.kubernetes.io/component"])
	for _, o := range []k8sObject{pvc, shard} {
		assert.NotEqual(t, "merge", o.Metadata.Labels["app.kubernetes.io/component"], o.Metadata.Name)
	}

	assert.Equal(t, "Indexed", shard.Spec.CompletionMode, "the pods get JOB_COMPLETION_INDEX")
	require.NotNil(t, shard.Spec.Completions)
	require.NotNil(t, shard.Spec.Parallelism)
	sc := shard.Spec.Template.Spec.Containers[0]
	n := shardN(t, sc.Args)
	assert.Equal(t, n, *shard.Spec.Completions, "completions is the N of --shard auto/N")
	assert.True(t, *shard.Spec.Parallelism >= 1 && *shard.Spec.Parallelism <= n, "parallelism %d", *shard.Spec.Parallelism)
	assert.Equal(t, "sweep", sc.Args[0])
	assert.Nil(t, merge.Spec.Completions, "one merge")
	mc := merge.Spec.Template.Spec.Containers[0]
	require.GreaterOrEqual(t, len(mc.Args), 2)
	assert.Equal(t, "merge", mc.Args[0])

	// The volume is a temporary directory; every path under a mount point
	// is moved there.
	vol := t.TempDir()
	local := func(args []string, mountPath string) []string {
		out := slices.Clone(args)
		for i, a := range out {
			if rest, ok := strings.CutPrefix(a, mountPath); ok && (rest == "" || rest[0] == '/') {
				out[i] = vol + rest
			}
		}
		return out
	}
	shardArgs := local(sc.Args, sc.VolumeMounts[0].MountPath)
	mergeArgs := local(mc.Args, mc.VolumeMounts[0].MountPath)
	out := slices.Index(shardArgs, "--out")
	require.True(t, out >= 0 && out+1 < len(shardArgs), "the shard writes its part with --out: %q", sc.Args)
	require.True(t, strings.HasPrefix(shardArgs[out+1], vol), "--out %s is on the volume", sc.Args[out+1])
	assert.Equal(t, shardArgs[out+1], mergeArgs[1], "merge reads the directory the shards write")
	if o := slices.Index(mergeArgs, "--out"); o >= 0 {
		require.True(t, strings.HasPrefix(mergeArgs[o+1], vol), "merge --out %s is on the volume", mc.Args[o+1])
	}

	// Every index is accepted as given (--dry-run: estimates only).
	for i := range n {
		t.Setenv(envK8sIndex, strconv.Itoa(i))
		code, _, stderr := runCLI(append(slices.Clone(shardArgs), "--dry-run")...)
		assert.Equal(t, 0, code, "index %d: %s", i, stderr)
	}
	if testing.Short() {
		t.Skip("runs the sweep twice")
	}
	for i := range n {
		t.Setenv(envK8sIndex, strconv.Itoa(i))
		code, _, stderr := runCLI(append(slices.Clone(shardArgs), shortRun...)...)
		require.Equal(t, 0, code, "index %d: %s", i, stderr)
	}
	code, got, stderr := runCLI(mergeArgs...)
	require.Equal(t, 0, code, stderr)
	code, want, stderr := runCLI(append(unshardedSweep(sc.Args), shortRun...)...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, got, "the merge Job prints the unsharded sweep")
	if o := slices.Index(mergeArgs, "--out"); o >= 0 {
		assert.FileExists(t, filepath.Join(mergeArgs[o+1], "sweep.json"))
	}
}

// sbatchArray matches the job array directive: --array=FIRST-LAST[%MAX].
var sbatchArray = regexp.MustCompile(`(?m)^#SBATCH --array=([0-9]+)-([0-9]+)(%[0-9]+)?\s*$`)

// TestDeploySlurm checks the Slurm scripts: they parse (bash -n), the array
// has N tasks for --shard auto/N, and run by bash with the variables Slurm
// sets in each task (regionsim replaced by this test binary) the tasks and
// then the merge print the unsharded sweep; submit.sh, with sbatch
// replaced by a recorder, makes the merge depend on the array.
func TestDeploySlurm(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, f := range []string{"sweep.sbatch", "merge.sbatch", "submit.sh"} {
		out, err := exec.Command(bash, "-n", filepath.Join(deploySlurm, f)).CombinedOutput()
		assert.NoError(t, err, "bash -n %s: %s", f, out)
	}
	sweepScript, err := filepath.Abs(filepath.Join(deploySlurm, "sweep.sbatch"))
	require.NoError(t, err)
	src, err := os.ReadFile(sweepScript)
	require.NoError(t, err)
	arr := sbatchArray.FindAllStringSubmatch(string(src), -1)
	require.Len(t, arr, 1, "one #SBATCH --array=FIRST-LAST")
	first, _ := strconv.Atoi(arr[0][1])
	last, _ := strconv.Atoi(arr[0][2])
	var cmdLine []string
	for l := range strings.Lines(string(src)) {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "exec" && f[1] == `"$REGIONSIM"` {
			cmdLine = f[2:]
		}
	}
	require.NotEmpty(t, cmdLine, `sweep.sbatch runs exec "$REGIONSIM" sweep …`)
	n := shardN(t, cmdLine)
	// --array=0-(N-1), or any N consecutive indexes: auto/N subtracts
	// SLURM_ARRAY_TASK_MIN.
	assert.Equal(t, n, last-first+1, "the array has N tasks for --shard auto/%d", n)

	// submit.sh: the merge job depends on the whole array.
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	log := filepath.Join(dir, "sbatch.log")
	require.NoError(t, os.WriteFile(filepath.Join(bin, "sbatch"), []byte(`#!/bin/sh
echo "$@" >> "$SBATCH_LOG"
echo "$(( 100 + $(wc -l < "$SBATCH_LOG") ));cluster"
`), 0o755))
	submit := exec.Command(bash, filepath.Join(deploySlurm, "submit.sh"), "--partition=batch")
	submit.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "SBATCH_LOG="+log)
	out, err := submit.CombinedOutput()
	require.NoError(t, err, "%s", out)
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	abs, err := filepath.Abs(deploySlurm)
	require.NoError(t, err)
	assert.Equal(t, "--parsable --partition=batch "+filepath.Join(abs, "sweep.sbatch")+"\n"+
		"--parsable --partition=batch --dependency=afterok:101 "+filepath.Join(abs, "merge.sbatch")+"\n", string(calls))

	if testing.Short() {
		t.Skip("runs the sweep twice")
	}
	// The tasks and the merge, with regionsim the test binary (TestMain)
	// and every sweep shortened.
	self, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	regionsim := filepath.Join(bin, "regionsim")
	require.NoError(t, os.WriteFile(regionsim, []byte(`#!/bin/sh
if [ "$1" = sweep ]; then set -- "$@" `+strings.Join(shortRun, " ")+`; fi
REGIONSIM_TEST_MAIN=1 exec "`+self+`" "$@"
`), 0o755))
	work := filepath.Join(dir, "work")
	require.NoError(t, os.Mkdir(work, 0o755))
	env := append(os.Environ(), "REGIONSIM="+regionsim)
	for i := first; i <= last; i++ {
		task := exec.Command(bash, sweepScript)
		task.Dir = work // sbatch runs the script in the submitting directory
		task.Env = append(slices.Clone(env),
			"SLURM_ARRAY_JOB_ID=101", "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i),
			"SLURM_ARRAY_TASK_MIN="+strconv.Itoa(first), "SLURM_ARRAY_TASK_MAX="+strconv.Itoa(last),
			"SLURM_ARRAY_TASK_COUNT="+strconv.Itoa(n))
		out, err := task.CombinedOutput()
		require.NoError(t, err, "task %d: %s", i, out)
	}
	mergeScript, err := filepath.Abs(filepath.Join(deploySlurm, "merge.sbatch"))
	require.NoError(t, err)
	merge := exec.Command(bash, mergeScript)
	merge.Dir = work
	merge.Env = env
	var stdout, stderr bytes.Buffer
	merge.Stdout, merge.Stderr = &stdout, &stderr
	require.NoError(t, merge.Run(), stderr.String())
	code, want, errs := runCLI(append(unshardedSweep(cmdLine), shortRun...)...)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, want, stdout.String(), "the merge job prints the unsharded sweep")
	assert.FileExists(t, filepath.Join(work, "regionsim-results", "sweep.json"))
}
