package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/syncer/syncer/internal/durable"
)

// store holds an archive's files under slash-separated names relative to
// its root: a local directory (localStore) or a prefix of an S3 bucket
// (s3Store).
type store interface {
	// put writes data as name, whole or not at all: a reader sees the
	// previous file, or none, or all of data.
	put(ctx context.Context, name string, data []byte) error
	// get reads name; the error wraps fs.ErrNotExist when there is none.
	get(ctx context.Context, name string) ([]byte, error)
	// list returns the names of the files directly in dir and, with a
	// trailing slash, of its subdirectories; none when dir does not exist.
	list(ctx context.Context, dir string) ([]string, error)
	// remove deletes the named files; one that is missing is no error.
	remove(ctx context.Context, names ...string) error
	// newDir makes dir, which must not exist (the error then wraps
	// fs.ErrExist).
	newDir(ctx context.Context, dir string) error
	// dropDir deletes dir and everything in it such that readers never
	// see part of it: either at once, or by deleting dir/first before the
	// rest (readers then take dir for no run).
	dropDir(ctx context.Context, dir, first string) error
	// sweep finishes the dropDirs under dir that a crash cut short.
	sweep(ctx context.Context, dir, first string) error
	// sync makes the removals under dir durable.
	sync(dir string) error
}

// openStore returns the store at location: s3://bucket/prefix, or a local
// directory.
func openStore(ctx context.Context, location string) (store, error) {
	if rest, ok := strings.CutPrefix(location, "s3://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("archive: %q names no bucket (want s3://bucket/prefix)", location)
		}
		return newS3Store(ctx, bucket, strings.Trim(prefix, "/"))
	}
	if strings.Contains(location, "://") {
		return nil, fmt.Errorf("archive: %q: want a directory or s3://bucket/prefix", location)
	}
	return localStore(location), nil
}

// localStore is an archive in a local directory: files 0600, directories
// 0700, each file written atomically (internal/durable).
type localStore string

func (s localStore) path(name string) string {
	return filepath.Join(string(s), filepath.FromSlash(name))
}

func (s localStore) put(_ context.Context, name string, data []byte) error {
	return durable.WriteAtomic(string(s), name, data)
}

func (s localStore) get(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(s.path(name))
}

func (s localStore) list(_ context.Context, dir string) ([]string, error) {
	des, err := os.ReadDir(s.path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		if de.IsDir() {
			names = append(names, de.Name()+"/")
		} else {
			names = append(names, de.Name())
		}
	}
	return names, nil
}

func (s localStore) remove(_ context.Context, names ...string) error {
	for _, name := range names {
		if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func (s localStore) newDir(_ context.Context, dir string) error {
	p := s.path(dir)
	if err := durable.MkdirAll(filepath.Dir(p)); err != nil {
		return err
	}
	if err := os.Mkdir(p, DirMode); err != nil {
		return err
	}
	if err := os.Chmod(p, DirMode); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(p))
}

// droppedPrefix names a directory being deleted: readers skip names
// starting with a dot.
const droppedPrefix = ".pruned-"

// dropDir renames dir out of sight, then deletes it.
func (s localStore) dropDir(_ context.Context, dir, _ string) error {
	p := s.path(dir)
	gone := filepath.Join(filepath.Dir(p), droppedPrefix+filepath.Base(p))
	if err := os.Rename(p, gone); err != nil {
		return err
	}
	if err := durable.SyncDir(filepath.Dir(p)); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}

func (s localStore) sweep(_ context.Context, dir, _ string) error {
	des, err := os.ReadDir(s.path(dir))
	if err != nil {
		return nil
	}
	var errs []error
	for _, de := range des {
		if strings.HasPrefix(de.Name(), droppedPrefix) {
			errs = append(errs, os.RemoveAll(filepath.Join(s.path(dir), de.Name())))
		}
	}
	return errors.Join(errs...)
}

func (s localStore) sync(dir string) error { return durable.SyncDir(s.path(dir)) }

// join joins store names.
func join(elem ...string) string { return path.Join(elem...) }
