package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/plots"
	"github.com/regionsim/regionsim/scenarios/report"
)

// outMarker is the file that marks a directory as a regionsim output set
// and lists its files, one per line: --out replaces such a directory
// without --force.
const outMarker = ".regionsim-out"

// checkOut refuses, before anything runs, an --out directory that exists
// and holds files that are not a previous regionsim output set, unless
// force is set.
func checkOut(dir string, force bool) error {
	if dir == "" || force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return badInputf("--out %s: %v", dir, err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, outMarker)); err != nil {
		return badInputf("--out %s: the directory holds other files than a regionsim output set (--force replaces it all)", dir)
	}
	return nil
}

// writeOut writes the files of a result, comparison or sweep (JSON, CSV
// and the resolved scenario: report.ResultFiles and its kin) and its
// charts as one set into dir, if set, and names the files on stderr, the
// data files in their order, then the charts by name. The set is written
// into a temporary directory beside dir and renamed into place at the end,
// so dir holds either the previous set or the whole new one, never a mix
// or a truncated file; a previous set is replaced.
func writeOut(dir string, force bool, stderr io.Writer, files []report.File, charts func(string) ([]string, error)) error {
	if dir == "" {
		return nil
	}
	if err := checkOut(dir, force); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return badInputf("--out: %v", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return badInputf("--out: %v", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	var names []string
	for _, f := range files {
		if err := writeFile(filepath.Join(tmp, f.Name), f.Write); err != nil {
			return err
		}
		names = append(names, f.Name)
	}
	var paths []string
	if charts != nil {
		if paths, err = charts(tmp); err != nil {
			return fmt.Errorf("writing charts: %w", err)
		}
	}
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if err := writeFile(filepath.Join(tmp, outMarker), func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(names, "\n")+"\n")
		return err
	}); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := replaceDir(dir, tmp); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	slices.Sort(names[len(files):])
	fmt.Fprintln(stderr, wroteLine(dir, names[:len(files)], names[len(files):]))
	return nil
}

// wroteLine is the one line that names what writeOut wrote into dir: the
// data files by name, the charts by count (their index names them all),
// so that it does not push the result off the screen.
func wroteLine(dir string, data, charts []string) string {
	line := "wrote " + dir + ": " + strings.Join(data, ", ")
	images, index := 0, ""
	for _, c := range charts {
		switch {
		case c == plots.IndexName:
			index = c
		case strings.HasSuffix(c, ".png"):
			images++
		}
	}
	if images > 0 {
		noun := "charts"
		if images == 1 {
			noun = "chart"
		}
		line += fmt.Sprintf("; %d %s (PNG and SVG)", images, noun)
		if index != "" {
			line += ", shown with their captions in " + filepath.Join(dir, index)
		}
	}
	return line
}

// writeFile writes a file with write and syncs it.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := write(f)
	if serr := f.Sync(); werr == nil {
		werr = serr
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// replaceDir puts directory tmp in dir's place: dir, if it exists, is
// moved aside and removed once tmp is in place.
func replaceDir(dir, tmp string) error {
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir) // put the previous set back
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
