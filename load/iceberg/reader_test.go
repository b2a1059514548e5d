package iceberg_test

import (
	"context"
	"testing"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/load/loadtest"
)

// A reader opened for its ledger only (a run asking which logins the lake
// knows) copies the ledger's tables and no others; a reader for sql copies
// them all.
func TestLedgerOnlyReaderCopiesTheLedger(t *testing.T) {
	ctx := context.Background()
	wh, cat := localLake(t.TempDir())
	commitInCalls(t, wh, cat, loadtest.Batches(4, 4, loadtest.Day1), 4)

	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	loc := iceberg.Kind.AddFlags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--iceberg", wh, "--catalog", cat}); err != nil {
		t.Fatal(err)
	}
	count := func(rd load.Reader, table string) string {
		t.Helper()
		res, err := rd.Query(ctx, "SELECT count(*) FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		return res.Text(0, 0)
	}
	for _, c := range []struct {
		ledgerOnly bool
		positions  string
	}{{true, "0"}, {false, "nonzero"}} {
		rd, err := loc.OpenReader(ctx, load.ReadOptions{LedgerOnly: c.ledgerOnly})
		if err != nil {
			t.Fatal(err)
		}
		known, err := rd.KnownLogins(ctx)
		if err != nil || len(known) != 4 {
			t.Errorf("ledger only %v: known logins %v, %v; want the 4 committed", c.ledgerOnly, known, err)
		}
		got := count(rd, "positions")
		if (c.positions == "0") != (got == "0") {
			t.Errorf("ledger only %v: %s positions rows, want %s", c.ledgerOnly, got, c.positions)
		}
		if err := rd.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
