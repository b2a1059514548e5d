package parquet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/schema"
)

// runManifest is DIR/_runs/<run_id>.json: every file a run published (and
// every file it removed because its partition emptied), over all its commits.
type runManifest struct {
	RunID   string   `json:"run_id"`
	Commits int      `json:"commits"`
	Files   []string `json:"files"`
	Removed []string `json:"removed,omitempty"`
}

var safeRunName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,100}$`)

// manifestPath returns the dataset-relative manifest path of a run. A run id
// that is not a plain file name is replaced by a hash of it.
func manifestPath(runID string) string {
	name := runID
	if !safeRunName.MatchString(runID) {
		sum := sha256.Sum256([]byte(runID))
		name = "run-" + hex.EncodeToString(sum[:8])
	}
	return "_runs/" + name + ".json"
}

// prepareManifests writes, as temp files, the updated manifest of every run
// among the batches, adding the files this commit publishes or removes.
func (p *Sink) prepareManifests(batches []schema.Batch, files, removed []string) ([]rename, error) {
	runs := map[string]bool{}
	for _, b := range batches {
		runs[b.RunID] = true
	}
	var out []rename
	for _, run := range slices.Sorted(maps.Keys(runs)) {
		rel := manifestPath(run)
		m := runManifest{RunID: run}
		raw, err := os.ReadFile(p.abs(rel))
		if err == nil {
			if err := json.Unmarshal(raw, &m); err != nil {
				return out, fmt.Errorf("parquet: run manifest: %w", err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return out, fmt.Errorf("parquet: run manifest: %w", err)
		}
		m.Commits++
		m.Files = union(m.Files, files)
		m.Removed = union(m.Removed, removed)
		raw, _ = json.MarshalIndent(m, "", "  ")
		if err := durable.MkdirAll(filepath.Dir(p.abs(rel))); err != nil {
			return out, fmt.Errorf("parquet: %w", err)
		}
		tmp := durable.TempName(rel)
		if err := durable.WriteTemp(p.abs(tmp), append(raw, '\n')); err != nil {
			return out, fmt.Errorf("parquet: run manifest: %w", err)
		}
		out = append(out, rename{Temp: tmp, Final: rel})
	}
	return out, nil
}

func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range a {
		set[s] = true
	}
	for _, s := range b {
		set[s] = true
	}
	return slices.Sorted(maps.Keys(set))
}
