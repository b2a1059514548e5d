package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
)

// TestVersion: `syncer version` and `syncer --version` print the module
// version, the Go version and the DuckDB library's; `--format json` prints
// them as one JSON object.
func TestVersion(t *testing.T) {
	want := []string{"syncer", currentBuild().Version, runtime.Version(), duckdb.LibraryVersion()}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runInProcess(t, args...)
		if r.code != exitOK {
			t.Fatalf("%v\n%s", args, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: output lacks %q:\n%s", args, w, r.stdout)
			}
		}
	}
	r := runInProcess(t, "version", "--format", "json")
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	var b buildInfo
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("version --format json: %v\n%s", err, r.stdout)
	}
	if b != currentBuild() || !strings.HasPrefix(b.DuckDB, "v") || b.GoVersion != runtime.Version() {
		t.Errorf("version --format json: %+v, want %+v", b, currentBuild())
	}
	if r := runInProcess(t, "version", "--format", "yaml"); r.code != exitUsage {
		t.Errorf("version --format yaml: exit %d, want 2", r.code)
	}
}
