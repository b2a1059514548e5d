package load

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files of the dataset are 0600 and directories 0700, whatever the umask.
const (
	parquetFileMode = 0o600
	parquetDirMode  = 0o700
)

// tempMarker is in the name of every file being written. Readers' globs
// (*.parquet) never match a temp file, and Open sweeps those a crash left.
const tempMarker = ".tmp-"

// stagingDir holds each commit's new files until they are renamed into
// place; readers' globs (DIR/<table>/...) never reach it.
const stagingDir = "_staging"

// journalFile lists the renames and removals of a commit being published,
// so a crash in the middle of publishing is rolled forward at the next open.
const journalFile = "_commit.journal"

// stepHook, when set (by the crash test's child process only), is called
// after each durable step of a commit, so the test can kill the process at
// varied points of the protocol.
var stepHook func(step string)

func step(name string) {
	if stepHook != nil {
		stepHook(name)
	}
}

// tempName returns a fresh temp path next to rel (both dataset-relative).
func tempName(rel string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return rel + tempMarker + hex.EncodeToString(b[:])
}

// mkdirAll creates dir and its parents as 0700, correcting the mode against
// the umask for the directories it creates.
func mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, parquetDirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(dir, parquetDirMode)
}

// syncDir fsyncs a directory so the renames and removals in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncFile makes a finished temp file durable and private.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Chmod(parquetFileMode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFileAtomic writes data to dir/rel: temp file in the same directory,
// fsync, rename, fsync the directory. The temp is removed on any error.
func writeFileAtomic(dir, rel string, data []byte) error {
	final := filepath.Join(dir, filepath.FromSlash(rel))
	if err := mkdirAll(filepath.Dir(final)); err != nil {
		return err
	}
	tmp := filepath.Join(dir, filepath.FromSlash(tempName(rel)))
	if err := writeTemp(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(final))
}

// writeTemp creates path with data, fsynced and 0600; removes it on error.
func writeTemp(path string, data []byte) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, parquetFileMode)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Chmod(parquetFileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// journal is what a commit publishes: each temp file renamed over its final
// name, and each emptied partition file removed. Paths are dataset-relative.
type journal struct {
	Renames []rename `json:"renames"`
	Removes []string `json:"removes,omitempty"`
}

type rename struct {
	Temp  string `json:"temp"`
	Final string `json:"final"`
}

// publish makes a prepared commit visible: the journal is written durably,
// then every rename and removal is done, the touched directories are synced,
// and the journal is deleted. A crash after the journal is durable is rolled
// forward by recoverJournal, so a commit is published whole or not at all
// (once the dataset is next opened).
func publish(dir string, j journal) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(dir, journalFile, raw); err != nil {
		return fmt.Errorf("parquet: write commit journal: %w", err)
	}
	step("journal")
	if err := applyJournal(dir, j); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, journalFile)); err != nil {
		return fmt.Errorf("parquet: remove commit journal: %w", err)
	}
	return syncDir(dir)
}

// applyJournal does the journal's renames and removals; it is idempotent, so
// a recovery may repeat the steps a crashed publish already did.
func applyJournal(dir string, j journal) error {
	dirs := map[string]bool{}
	for _, r := range j.Renames {
		tmp := filepath.Join(dir, filepath.FromSlash(r.Temp))
		final := filepath.Join(dir, filepath.FromSlash(r.Final))
		if err := os.Rename(tmp, final); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // done before a crash
			}
			return fmt.Errorf("parquet: publish %s: %w", r.Final, err)
		}
		step("rename")
		dirs[filepath.Dir(final)] = true
	}
	for _, rel := range j.Removes {
		final := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.Remove(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("parquet: remove %s: %w", rel, err)
		}
		dirs[filepath.Dir(final)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("parquet: sync directory: %w", err)
		}
	}
	return nil
}

// recoverJournal rolls forward a commit whose publishing a crash interrupted.
// It reports whether there was one.
func recoverJournal(dir string) (bool, error) {
	raw, err := os.ReadFile(filepath.Join(dir, journalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("parquet: read commit journal: %w", err)
	}
	var j journal
	if err := json.Unmarshal(raw, &j); err != nil {
		// The journal is written atomically, so it is never torn.
		return false, fmt.Errorf("parquet: commit journal: %w", err)
	}
	if err := applyJournal(dir, j); err != nil {
		return true, err
	}
	if err := os.Remove(filepath.Join(dir, journalFile)); err != nil {
		return true, err
	}
	return true, syncDir(dir)
}

// sweepTemps removes the temp files (and staging directories) a crashed
// writer left behind and returns how many files it removed. Call it after
// recoverJournal, with the lock held.
func sweepTemps(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (!strings.Contains(d.Name(), tempMarker) && !strings.Contains(path, string(filepath.Separator)+stagingDir+string(filepath.Separator))) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err == nil {
		err = os.RemoveAll(filepath.Join(dir, stagingDir))
	}
	return n, err
}
