package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/syncer/syncer/internal/durable"
)

// loginHash is the form of extract.HashLogin.
var loginHash = regexp.MustCompile(`^[0-9a-f]{12}$`)

// Forget deletes every answer of the login with this hash (extract.HashLogin)
// from every run of the archive at dir, for `syncer forget`, and returns how
// many answers it deleted. A run's manifest keeps listing them by hash and
// digest, which is no personal data. Each .meta.json goes before its object,
// so a crash part-way leaves no entry naming a missing object, and calling
// Forget again deletes what is left.
func Forget(dir, hash string) (int, error) {
	if !loginHash.MatchString(hash) {
		return 0, fmt.Errorf("archive: %q is not a login hash", hash)
	}
	runs := filepath.Join(dir, runsDir)
	des, err := os.ReadDir(runs)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	n := 0
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		removed, err := forgetInRun(filepath.Join(runs, de.Name()), hash)
		n += removed
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// forgetInRun deletes the files of one run named by the login hash: its
// .meta.json files first, then the objects; it returns the answers deleted.
func forgetInRun(runDir, hash string) (int, error) {
	des, err := os.ReadDir(runDir)
	if err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	var metas, objects []string
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, hash+".") {
			continue
		}
		if strings.HasSuffix(name, metaSuffix) {
			metas = append(metas, name)
		} else {
			objects = append(objects, name)
		}
	}
	for _, name := range append(metas, objects...) {
		if err := os.Remove(filepath.Join(runDir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("archive: %w", err)
		}
	}
	if len(metas)+len(objects) > 0 {
		if err := durable.SyncDir(runDir); err != nil {
			return 0, fmt.Errorf("archive: %w", err)
		}
	}
	return len(objects), nil
}
