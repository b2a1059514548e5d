package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/syncer/syncer/extract"
)

// ErrNoRun is wrapped by the error of Entries for a run the archive does not hold.
var ErrNoRun = errors.New("the archive holds no such run")

// Runs returns the manifests of the runs in the archive, oldest first (by
// start, then id). A directory without a readable manifest.json is not a
// run (a crash between its creation and its manifest, or a removal under
// way) and is skipped. An archive that does not exist holds no runs.
func (a *Archive) Runs(ctx context.Context) ([]Manifest, error) {
	ids, err := a.runDirs(ctx)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, id := range ids {
		m, err := a.manifest(ctx, id)
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Manifest) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.RunID, b.RunID)
	})
	return out, nil
}

// runDirs returns the names of the directories under runs/ that readers
// see (not those a removal took out of sight), runs or not.
func (a *Archive) runDirs(ctx context.Context) ([]string, error) {
	names, err := a.st.list(ctx, runsDir)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	var ids []string
	for _, name := range names {
		if id, ok := strings.CutSuffix(name, "/"); ok && !strings.HasPrefix(id, ".") {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (a *Archive) manifest(ctx context.Context, runID string) (Manifest, error) {
	var m Manifest
	b, err := a.st.get(ctx, join(runPath(runID), manifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if m.RunID != runID {
		return m, fmt.Errorf("archive: manifest of %s names run %q", runID, m.RunID)
	}
	return m, nil
}

// Entries returns the answers archived by run runID, from their .meta.json
// files (LoginID set), ordered by object name: a crashed run's too, as far
// as it went.
func (a *Archive) Entries(ctx context.Context, runID string) ([]Entry, error) {
	if err := checkRunID(runID); err != nil {
		return nil, err
	}
	if _, err := a.manifest(ctx, runID); err != nil {
		return nil, fmt.Errorf("archive: run %s: %w", runID, ErrNoRun)
	}
	names, err := a.st.list(ctx, runPath(runID))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	var out []Entry
	for _, name := range names {
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, metaSuffix) {
			continue
		}
		b, err := a.st.get(ctx, join(runPath(runID), name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // forgotten since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("archive: %s of run %s: %w", name, runID, err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Object, b.Object) })
	return out, nil
}

// Read returns the answer e describes, as the run archived it, checking
// its size and SHA-256.
func (a *Archive) Read(ctx context.Context, e Entry) (Answer, error) {
	if err := checkRunID(e.RunID); err != nil {
		return Answer{}, err
	}
	if e.LoginID == "" {
		return Answer{}, fmt.Errorf("archive: %s of run %s names no LoginId (a manifest entry, not a .meta.json?)", e.Object, e.RunID)
	}
	if strings.ContainsAny(e.Object, `/\`) || strings.HasPrefix(e.Object, ".") {
		return Answer{}, fmt.Errorf("archive: object name %q is not a file of the run", e.Object)
	}
	z, err := a.st.get(ctx, join(runPath(e.RunID), e.Object))
	if err != nil {
		return Answer{}, fmt.Errorf("archive: %w", err)
	}
	body, err := decoder.DecodeAll(z, make([]byte, 0, e.Bytes))
	if err != nil {
		return Answer{}, fmt.Errorf("archive: %s of run %s: %w", e.Object, e.RunID, err)
	}
	sum := sha256.Sum256(body)
	if int64(len(body)) != e.Bytes || !bytes.Equal(sum[:], mustHex(e.SHA256)) {
		return Answer{}, fmt.Errorf("archive: %s of run %s does not match its size or SHA-256", e.Object, e.RunID)
	}
	ans := Answer{LoginID: e.LoginID, Product: extract.Product(e.Product), Body: body, SyncedAt: e.SyncedAt}
	if e.LastRefresh != nil {
		ans.LastRefresh = e.LastRefresh.UTC()
	}
	if ans.AsOf, err = time.Parse(time.DateOnly, e.AsOf); err != nil {
		return Answer{}, fmt.Errorf("archive: %s of run %s: as_of: %w", e.Object, e.RunID, err)
	}
	return ans, nil
}

// decoder decompresses objects; DecodeAll is safe for concurrent use.
var decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
