package duckdb

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/data-dictionary.md")

// TestDataDictionary fails when docs/data-dictionary.md is not what the
// definitions generate; run with -update to refresh it.
func TestDataDictionary(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "data-dictionary.md")
	want := Dictionary()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./load/duckdb -run TestDataDictionary -update)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./load/duckdb -run TestDataDictionary -update", path)
	}
}
