package archive

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// loginHash is the form of extract.HashLogin.
var loginHash = regexp.MustCompile(`^[0-9a-f]{12}$`)

// Forget deletes every answer of the login with this hash (extract.HashLogin)
// from every run of the archive, for `syncer forget`, and returns how many
// answers it deleted. A run's manifest keeps listing them by hash and
// digest, which is no personal data. Each .meta.json goes before its object,
// so a crash part-way leaves no entry naming a missing object, and calling
// Forget again deletes what is left.
func (a *Archive) Forget(ctx context.Context, hash string) (int, error) {
	if !loginHash.MatchString(hash) {
		return 0, fmt.Errorf("archive: %q is not a login hash", hash)
	}
	ids, err := a.runDirs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		removed, err := a.forgetInRun(ctx, runPath(id), hash)
		n += removed
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// forgetInRun deletes the files of one run named by the login hash: its
// .meta.json files first, then the objects; it returns the answers deleted.
func (a *Archive) forgetInRun(ctx context.Context, dir, hash string) (int, error) {
	names, err := a.st.list(ctx, dir)
	if err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	var metas, objects []string
	for _, name := range names {
		if !strings.HasPrefix(name, hash+".") || strings.HasSuffix(name, "/") {
			continue
		}
		if strings.HasSuffix(name, metaSuffix) {
			metas = append(metas, join(dir, name))
		} else {
			objects = append(objects, join(dir, name))
		}
	}
	if len(metas)+len(objects) == 0 {
		return 0, nil
	}
	if err := a.st.remove(ctx, metas...); err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	if err := a.st.sync(dir); err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	if err := a.st.remove(ctx, objects...); err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	if err := a.st.sync(dir); err != nil {
		return 0, fmt.Errorf("archive: %w", err)
	}
	return len(objects), nil
}
