// Package archive keeps the Flinks data answers a run used, as Flinks sent
// them, so that the warehouse can be rebuilt later without asking Flinks
// again (syncer replay).
//
// An archive is a local directory or a prefix of an S3 bucket
// (s3://bucket/prefix); its layout, under that root:
//
//	runs/<run id>/manifest.json                     the run: id, command, start, end, entries
//	runs/<run id>/<login hash>.<product>.json.zst   one answer, zstd-compressed
//	runs/<run id>/<login hash>.<product>.meta.json  what replay needs to use it again
//
// The login hash is extract.HashLogin: no file name holds a LoginId. The
// .meta.json beside each object holds the LoginId itself (a replay writes
// rows under it), with the answer's Login.LastRefresh and the instant the
// run transformed it, so that a replay dates the snapshot exactly as the
// run did. An archive holds personal data by nature: in a directory every
// file is 0600 and every directory 0700, whatever the umask; in a bucket,
// access is the bucket's policy.
//
// Every file appears whole or not at all: in a directory it is written to
// a temp file beside it (NAME.tmp-…, which no reader's suffix matches),
// fsynced, renamed over its name, and the directory fsynced
// (internal/durable); an S3 object is whole by S3's semantics. An object
// is written before its .meta.json, so a .meta.json always names a whole
// object; a crash can leave an object without one, which replay ignores.
// manifest.json is written when the run opens the archive and again when it
// closes it; the .meta.json files, not the manifest, are what replay reads,
// so a run that crashed can be replayed as far as it went.
package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/internal/clock"
	"github.com/syncer/syncer/internal/durable"
)

// Modes of the archive's files and directories.
const (
	FileMode = durable.FileMode
	DirMode  = durable.DirMode
)

// Names inside the archive.
const (
	runsDir      = "runs"
	manifestName = "manifest.json"
	objectSuffix = ".json.zst"
	metaSuffix   = ".meta.json"
)

// Answer is one data answer a run used: the body of the final 200 answer of
// one product of one login.
type Answer struct {
	LoginID string
	Product extract.Product
	Body    []byte // as Flinks sent it
	// LastRefresh is Login.LastRefresh of the session that delivered the
	// answer (UTC), zero when Flinks gave none; SyncedAt is when the run
	// transformed it. Together they date the rows (transform.Context).
	LastRefresh time.Time
	SyncedAt    time.Time
	// AsOf is the snapshot date the run gave the answer's rows.
	AsOf time.Time
}

// Entry describes one archived answer: a line of the run's manifest, and
// (with LoginID) the object's .meta.json.
type Entry struct {
	RunID       string     `json:"run_id"`
	LoginHash   string     `json:"login_hash"`
	LoginID     string     `json:"login_id,omitempty"` // only in .meta.json, never in the manifest
	Product     string     `json:"product"`
	AsOf        string     `json:"as_of"`                  // the snapshot date, YYYY-MM-DD
	LastRefresh *time.Time `json:"last_refresh,omitempty"` // absent when Flinks gave none
	SyncedAt    time.Time  `json:"synced_at"`
	Bytes       int64      `json:"bytes"`  // of the answer, uncompressed
	SHA256      string     `json:"sha256"` // of the answer, uncompressed, hex
	Object      string     `json:"object"` // file name in the run's directory
	Compressed  int64      `json:"compressed_bytes"`
}

// Manifest is a run's manifest.json.
type Manifest struct {
	RunID      string     `json:"run_id"`
	Command    string     `json:"command"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"` // null while the run is open, or when it crashed
	Entries    []Entry    `json:"entries"`
}

// Archive is an archive of answers at a location: a directory, or
// s3://bucket/prefix.
type Archive struct {
	location string
	st       store
}

// At returns the archive at location (a directory, or s3://bucket/prefix),
// which need not exist yet: a directory is created by the first run
// archived into it.
func At(ctx context.Context, location string) (*Archive, error) {
	if location == "" {
		return nil, errors.New("archive: no location")
	}
	st, err := openStore(ctx, location)
	if err != nil {
		return nil, err
	}
	return &Archive{location: location, st: st}, nil
}

// String is the archive's location, as given to At.
func (a *Archive) String() string { return a.location }

// runPath is the store name of run id's directory.
func runPath(id string) string { return join(runsDir, id) }

// Run archives the answers of one run. Keep may be called from many
// goroutines at once.
type Run struct {
	st    store
	dir   string // the run's directory in st
	clock clock.Clock
	enc   *zstd.Encoder

	mu       sync.Mutex
	manifest Manifest
	names    map[string]bool // object names taken in this run
}

// Open starts archiving run runID (of command). The run must not be in the
// archive yet: run ids are unique.
func (a *Archive) Open(ctx context.Context, runID, command string, c clock.Clock) (*Run, error) {
	if err := checkRunID(runID); err != nil {
		return nil, err
	}
	c = clock.Or(c)
	dir := runPath(runID)
	if err := a.st.newDir(ctx, dir); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("archive: run %s is archived already", runID)
		}
		return nil, fmt.Errorf("archive: %w", err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	r := &Run{st: a.st, dir: dir, clock: c, enc: enc, names: map[string]bool{},
		manifest: Manifest{RunID: runID, Command: command, StartedAt: c.Now().UTC(), Entries: []Entry{}}}
	if err := r.writeManifest(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// checkRunID refuses a run id that cannot name a directory of its own.
func checkRunID(id string) error {
	if id == "" || strings.HasPrefix(id, ".") || strings.ContainsAny(id, `/\`+"\x00") {
		return fmt.Errorf("archive: run id %q cannot name an archive directory", id)
	}
	return nil
}

// Keep archives one answer: its object, then its .meta.json, each whole.
func (r *Run) Keep(ctx context.Context, a Answer) error {
	sum := sha256.Sum256(a.Body)
	e := Entry{RunID: r.manifest.RunID, LoginHash: extract.HashLogin(a.LoginID), LoginID: a.LoginID,
		Product: string(a.Product), AsOf: a.AsOf.UTC().Format(time.DateOnly), SyncedAt: a.SyncedAt.UTC(),
		Bytes: int64(len(a.Body)), SHA256: hex.EncodeToString(sum[:])}
	if !a.LastRefresh.IsZero() {
		t := a.LastRefresh.UTC()
		e.LastRefresh = &t
	}
	e.Object = r.takeName(e.LoginHash + "." + e.Product)
	z := r.enc.EncodeAll(a.Body, nil)
	e.Compressed = int64(len(z))
	if err := r.st.put(ctx, join(r.dir, e.Object), z); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	meta, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := r.st.put(ctx, join(r.dir, strings.TrimSuffix(e.Object, objectSuffix)+metaSuffix), meta); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	e.LoginID = ""
	r.mu.Lock()
	r.manifest.Entries = append(r.manifest.Entries, e)
	r.mu.Unlock()
	return nil
}

// takeName returns a free object name for base in this run: base, or, in
// the unlikely case that two LoginIds of the run share a hash, base-2, ...
func (r *Run) takeName(base string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := base + objectSuffix
	for i := 2; r.names[name]; i++ {
		name = fmt.Sprintf("%s-%d%s", base, i, objectSuffix)
	}
	r.names[name] = true
	return name
}

// Close writes the run's final manifest. The Run must not be used after.
func (r *Run) Close(ctx context.Context) error {
	defer r.enc.Close()
	r.mu.Lock()
	now := r.clock.Now().UTC()
	r.manifest.FinishedAt = &now
	slices.SortFunc(r.manifest.Entries, func(a, b Entry) int { return strings.Compare(a.Object, b.Object) })
	r.mu.Unlock()
	return r.writeManifest(ctx)
}

func (r *Run) writeManifest(ctx context.Context) error {
	r.mu.Lock()
	b, err := json.MarshalIndent(r.manifest, "", "  ")
	r.mu.Unlock()
	if err != nil {
		return err
	}
	if err := r.st.put(ctx, join(r.dir, manifestName), append(b, '\n')); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}
