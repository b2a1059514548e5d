package loadtest

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// testForget: Forget of one login of three, over two days of history,
// deletes exactly that login's rows from every table that names logins
// (and says how many per table), leaves the other logins' rows as they
// were, and commits the erasures row record gives; a second Forget finds
// nothing, deletes nothing and records again.
func (s *suite) testForget(t *testing.T) {
	dir := t.TempDir()
	s.load(t, dir, Batches(9, 3, Day1), Batches(9, 3, Day1.AddDate(0, 0, 1)))
	gone := LoginID(1)
	before := s.loginRows(t, dir)
	if before[schema.Accounts.Name][gone] == 0 || before[schema.Positions.Name][gone] == 0 {
		t.Fatal("the generated login to forget has no accounts or positions")
	}

	sink := s.h.Open(t, dir)
	f, ok := sink.(load.Forgetter)
	if !ok {
		sink.Close()
		t.Fatalf("%T does not implement load.Forgetter", sink)
	}
	record := func(id string) func(map[string]int64) schema.Batch {
		return func(removed map[string]int64) schema.Batch {
			var total int64
			for _, n := range removed {
				total += n
			}
			row := fill(schema.Erasures, map[string]any{"erasure_id": id, "login_hash": "0123456789ab",
				"erased_at": Day1.Add(time.Hour), "rows_removed": total, "tables": "{}"})
			return schema.Batch{RunID: id, Rows: map[string][]schema.Row{schema.Erasures.Name: {row}}}
		}
	}
	removed, err := f.Forget(context.Background(), gone, record("forget-1"))
	if err != nil {
		sink.Close()
		t.Fatalf("Forget: %v", err)
	}
	again, err := f.Forget(context.Background(), gone, record("forget-2"))
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("Forget again, or Close: %v", err)
	}

	after := s.loginRows(t, dir)
	for _, tbl := range load.LoginTables() {
		want := maps.Clone(before[tbl.Name])
		if removed[tbl.Name] != want[gone] {
			t.Errorf("%s: Forget says it removed %d rows, the login had %d", tbl.Name, removed[tbl.Name], want[gone])
		}
		if again[tbl.Name] != 0 {
			t.Errorf("%s: the second Forget removed %d rows", tbl.Name, again[tbl.Name])
		}
		delete(want, gone)
		if !maps.Equal(after[tbl.Name], want) {
			t.Errorf("%s: rows per login after Forget %v, want %v", tbl.Name, after[tbl.Name], want)
		}
	}
	s.read(t, dir, func(db *sql.DB) {
		var total int64
		for _, n := range removed {
			total += n
		}
		got := queryString(t, db, `SELECT string_agg(erasure_id || ':' || rows_removed, ' ' ORDER BY erasure_id) FROM erasures`)
		if want := fmt.Sprintf("forget-1:%d forget-2:0", total); got != want {
			t.Errorf("erasures: %s, want %s", got, want)
		}
	})
}

// loginRows counts, for every table that names logins, its rows per login.
func (s *suite) loginRows(t *testing.T, dir string) map[string]map[string]int64 {
	t.Helper()
	out := map[string]map[string]int64{}
	s.read(t, dir, func(db *sql.DB) {
		for _, tbl := range load.LoginTables() {
			rows, err := db.Query(fmt.Sprintf("SELECT login_id, count(*) FROM %s GROUP BY login_id", duckdb.QuoteIdent(tbl.Name)))
			if err != nil {
				t.Fatal(err)
			}
			out[tbl.Name] = map[string]int64{}
			for rows.Next() {
				var login string
				var n int64
				if err := rows.Scan(&login, &n); err != nil {
					t.Fatal(err)
				}
				out[tbl.Name][login] = n
			}
			rows.Close()
		}
	})
	return out
}
