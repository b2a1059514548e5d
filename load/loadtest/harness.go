// Package loadtest is the conformance suite every load.Sink must pass, with
// the deterministic batch generator and table checksums it is built on.
//
// A sink's test runs the suite with a Harness:
//
//	func TestDuckDBConformance(t *testing.T) {
//		loadtest.Run(t, loadtest.Harness{Open: openDuckDB, Read: readDuckDB})
//	}
//
// The generator and the checksums are reusable on their own: the pipeline's
// end-to-end tests compare warehouses with Checksums.
package loadtest

import (
	"database/sql"
	"testing"

	"github.com/syncer/syncer/load"
)

// Harness connects the suite to one Sink implementation.
type Harness struct {
	// Open opens a sink that writes under dir: an empty directory on first
	// use, or one that earlier sinks opened by Open wrote to and closed.
	// Open is also called in a subprocess (the crash test), with a dir that
	// a killed process wrote to. It fails tb if the sink cannot be opened.
	Open func(tb testing.TB, dir string) load.Sink

	// Read opens a read-only view of what sinks opened on dir committed,
	// once they are closed (or killed): a *sql.DB, usually DuckDB, in which
	// every table of schema.Tables, empty or not, can be queried by its name
	// with the columns and types the schema defines. The suite closes it
	// before it opens dir again.
	Read func(tb testing.TB, dir string) *sql.DB
}
