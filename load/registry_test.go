package load

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestRegistry: kinds come back in the order they were registered, and a
// name registered twice is refused.
func TestRegistry(t *testing.T) {
	none := func(*pflag.FlagSet, func(string) string) Location { return nil }
	var r Registry
	for _, name := range []string{"duckdb", "parquet", "iceberg"} {
		r.Register(Kind{Name: name, AddFlags: none})
	}
	var names []string
	for _, k := range r.Kinds() {
		names = append(names, k.Name)
	}
	if !slices.Equal(names, []string{"duckdb", "parquet", "iceberg"}) {
		t.Errorf("kinds %v, want them in registration order", names)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering parquet twice did not panic")
		}
	}()
	r.Register(Kind{Name: "parquet", AddFlags: none})
}

// TestCheckParent: a warehouse whose parent directory is missing, or is a
// file, is refused with the flag and the directory named.
func TestCheckParent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckParent("--db", filepath.Join(dir, "w.duckdb")); err != nil {
		t.Errorf("parent exists: %v", err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing", "w.duckdb"): "does not exist (create it first)",
		filepath.Join(file, "w.duckdb"):           "is not a directory",
	} {
		err := CheckParent("--db", path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "--db "+path) {
			t.Errorf("CheckParent(%s) = %v, want --db and %q", path, err, want)
		}
	}
}
