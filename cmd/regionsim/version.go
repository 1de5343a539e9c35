package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regionsim/regionsim/scenarios/report"
)

// version is the regionsim release; overridden at link time with
// -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func newVersionCmd(stdout, _ io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the regionsim version, the build's commit and Go version",
		Long: `Print the regionsim release, the module version Go stamped into the build
(a tagged version with 'go install …@vX.Y.Z', "(devel)" for a build from a
checkout) and the tool_version its JSON documents carry, the VCS commit,
its time and whether the tree was modified (when the build was stamped:
'go build' in a git checkout), and the Go toolchain. 'regionsim --version'
prints the same.`,
		Example: `  regionsim version
  regionsim --version`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(stdout, versionText())
			return err
		},
	}
}

// versionText is the output of 'regionsim version'.
func versionText() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(info)
}

// formatVersion renders the version lines from the build information info
// (nil when the binary has none).
func formatVersion(info *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "regionsim %s\n", version)
	module, modVersion := "github.com/regionsim/regionsim", "(unknown)"
	goVersion := runtime.Version()
	settings := map[string]string{}
	if info != nil {
		if info.Main.Path != "" {
			module = info.Main.Path
		}
		if info.Main.Version != "" {
			modVersion = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
	}
	fmt.Fprintf(&b, "module:   %s %s (tool_version %s)\n", module, modVersion, report.ToolVersion())
	if rev := settings["vcs.revision"]; rev != "" {
		line := settings["vcs"] + " " + rev
		if t := settings["vcs.time"]; t != "" {
			line += ", " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", modified"
		}
		fmt.Fprintf(&b, "commit:   %s\n", strings.TrimSpace(line))
	} else {
		fmt.Fprintln(&b, "commit:   not stamped (built without VCS information)")
	}
	fmt.Fprintf(&b, "go:       %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
