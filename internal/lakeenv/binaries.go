package lakeenv

import (
	"errors"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// VersitygwModule is the S3 server the tests run, as go install takes it.
const VersitygwModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// pgBinGlob is where Debian's packages put each PostgreSQL version's
// binaries; a variable so that a test can pretend there are none.
var pgBinGlob = "/usr/lib/postgresql/*/bin"

// findVersitygw returns the path of versitygw: on PATH, else where go
// install puts it ($GOBIN, each $GOPATH's bin).
func findVersitygw() (string, error) {
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, gopath := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gopath, "bin"))
	}
	for _, dir := range dirs {
		if path := filepath.Join(dir, "versitygw"); executable(path) {
			return path, nil
		}
	}
	return "", fmt.Errorf("lakeenv: the S3 server versitygw is not on PATH nor in %s; install it with: go install %s",
		strings.Join(dirs, " or "), VersitygwModule)
}

// findPostgres returns the directory that holds PostgreSQL's initdb and
// postgres: PATH's, else the newest version's under glob (Debian's
// /usr/lib/postgresql/VERSION/bin).
func findPostgres(glob string) (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil && executable(filepath.Join(filepath.Dir(real), "postgres")) {
			return filepath.Dir(real), nil // the version's directory, not a directory of links to it
		}
	}
	var dirs []string
	if glob != "" {
		dirs, _ = filepath.Glob(glob) // the only error is a malformed pattern
	}
	dirs = slices.DeleteFunc(dirs, func(dir string) bool {
		return !executable(filepath.Join(dir, "initdb")) || !executable(filepath.Join(dir, "postgres"))
	})
	if len(dirs) == 0 {
		where := "on PATH"
		if glob != "" {
			where += " nor in " + glob
		}
		return "", errors.New("lakeenv: PostgreSQL's server (initdb, postgres) is not " + where +
			"; install it with: apt-get install postgresql (Debian, Ubuntu), or your system's PostgreSQL server package")
	}
	slices.SortFunc(dirs, func(a, b string) int { return compareVersions(versionOf(a), versionOf(b)) })
	return dirs[len(dirs)-1], nil
}

// versionOf is the version in a path like /usr/lib/postgresql/15/bin.
func versionOf(binDir string) string { return filepath.Base(filepath.Dir(binDir)) }

// compareVersions compares dotted versions as numbers, part by part ("9.6"
// before "15"); a missing part or one that is not a number sorts first.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	part := func(parts []string, i int) int {
		if i >= len(parts) {
			return -1
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return -1
		}
		return n
	}
	for i := range max(len(pa), len(pb)) {
		if d := part(pa, i) - part(pb, i); d != 0 {
			return d
		}
	}
	return 0
}

// executable reports whether path is a regular file someone may execute.
func executable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
