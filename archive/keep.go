package archive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keep says which runs an archive keeps (--archive-keep): those started
// within Age of now, or the newest Runs runs. Exactly one is set; the zero
// Keep keeps everything.
type Keep struct {
	Age  time.Duration
	Runs int
}

// ParseKeep reads --archive-keep: a count of runs ("10": the ten newest),
// or an age in days ("90d") or as a Go duration ("36h").
func ParseKeep(s string) (Keep, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Keep{}, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return Keep{}, fmt.Errorf("a count of runs to keep must be at least 1, not %d", n)
		}
		return Keep{Runs: n}, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return Keep{}, fmt.Errorf("%q is neither a count of runs (10) nor an age (90d, 36h)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return Keep{}, fmt.Errorf("%q is neither a count of runs (10) nor an age (90d, 36h)", s)
		}
	}
	if d <= 0 {
		return Keep{}, fmt.Errorf("an age to keep must be positive, not %q", s)
	}
	return Keep{Age: d}, nil
}

// String renders k as ParseKeep reads it ("" for keep everything).
func (k Keep) String() string {
	switch {
	case k.Runs > 0:
		return strconv.Itoa(k.Runs)
	case k.Age > 0 && k.Age%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", k.Age/(24*time.Hour))
	case k.Age > 0:
		return k.Age.String()
	}
	return ""
}

// Prune removes, whole, the runs of the archive that k does not keep at
// now, never the run current, and returns their ids. A run's age is from
// its start (manifest.json). In a directory, directories that are not runs
// (no manifest) are left alone; in a bucket, a run's prefix without a
// manifest is what a cut-short removal left, and is deleted. A run
// disappears from readers' sight at once (renamed out of sight in a
// directory, its manifest deleted first in a bucket) and is then deleted,
// so a crash mid-way never leaves half a run visible; the next Prune
// finishes such a removal.
func (a *Archive) Prune(ctx context.Context, k Keep, now time.Time, current string) ([]string, error) {
	if k.Age <= 0 && k.Runs <= 0 {
		return nil, nil
	}
	runs, err := a.Runs(ctx)
	if err != nil {
		return nil, err
	}
	var pruned []string
	var errs []error
	kept := 0
	for i := len(runs) - 1; i >= 0; i-- { // newest first
		m := runs[i]
		if m.RunID == current || keeps(k, m, now, kept) {
			kept++
			continue
		}
		if err := a.st.dropDir(ctx, runPath(m.RunID), manifestName); err != nil {
			errs = append(errs, fmt.Errorf("archive: %w", err))
			continue
		}
		pruned = append(pruned, m.RunID)
	}
	if err := a.st.sweep(ctx, runsDir, manifestName); err != nil {
		errs = append(errs, fmt.Errorf("archive: %w", err))
	}
	return pruned, errors.Join(errs...)
}

// keeps reports whether k keeps run m at now, kept newer runs being kept already.
func keeps(k Keep, m Manifest, now time.Time, kept int) bool {
	if k.Runs > 0 {
		return kept < k.Runs
	}
	return !m.StartedAt.Before(now.Add(-k.Age))
}
