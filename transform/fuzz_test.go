package transform

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncer/syncer/payload"
)

// FuzzTransform: any body either fails with a typed error or gives rows that
// satisfy every invariant of checkBatch; nothing panics.
func FuzzTransform(f *testing.F) {
	for _, dir := range []string{"../testdata/payloads", "../testdata/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, false)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, keep bool) {
		c := goldenContext()
		c.KeepAccountNumbers = keep
		b, s, err := FromJSON(body, c)
		if err != nil {
			if !errors.Is(err, payload.ErrSyntax) && !errors.Is(err, payload.ErrShape) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if err := checkBatch(b, c); err != nil {
			t.Fatalf("invariant: %v", err)
		}
		if s.Positions != len(b.Rows["positions"]) || s.Rejected != len(b.Rows["rejected_records"]) {
			t.Fatalf("stats %+v disagree with rows", s)
		}
	})
}
