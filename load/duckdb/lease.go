package duckdb

import (
	"fmt"
	"os"
	"strings"
)

// The writer lease of a DuckDB warehouse is an exclusive lock on the file
// LeasePath(path) beside it, taken by Open and held until Close. It
// keeps a warehouse to a single writing process even while that process
// has released the database file itself between commits
// (Options.ReleaseBetweenCommits): readers never take it, so they
// open the file whenever no commit is running, while a second writer (a
// second sync) waits for the whole first run to end, as it waits for the
// file itself. Whatever the lease protects beside the file (Multi's journal,
// the Sidecar("journal") of the file's Location) is thus written by one
// process at a time. The kernel drops
// the lock when its process dies; the file stays, and is reused.
//
// The file names its holder ("/usr/bin/syncer (PID 4242)", as DuckDB names
// the holder of a database file), so a writer that gives up waiting can say
// who holds the warehouse.

// LeasePath is the writer lease file of the DuckDB warehouse at dbPath:
// dbPath + ".lock".
func LeasePath(dbPath string) string { return dbPath + ".lock" }

// leaseHolder reads what a held lease file says of its holder.
func leaseHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// thisProcess names the current process as DuckDB names a lock's holder.
func thisProcess() string {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return fmt.Sprintf("%s (PID %d)", exe, os.Getpid())
}
