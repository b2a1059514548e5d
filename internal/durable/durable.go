// Package durable makes the files of the sinks and of Multi's journal appear
// whole or not at all, private to their user: a temp file in the same
// directory, written, fsynced and renamed over its final name, then the
// directory fsynced. Files are 0600 and directories 0700, whatever the umask.
package durable

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of the files and directories the sinks create.
const (
	FileMode = 0o600
	DirMode  = 0o700
)

// TempMarker is in the name of every file being written. Readers' globs
// (*.parquet, group-*.json) never match a temp file, and opening a sink or
// a journal sweeps those a crash left.
const TempMarker = ".tmp-"

// TempName returns a fresh temp name next to name (a path or a file name).
func TempName(name string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return name + TempMarker + hex.EncodeToString(b[:])
}

// MkdirAll creates dir and its parents as DirMode, correcting the mode
// against the umask for the directories it creates.
func MkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, DirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(dir, DirMode)
}

// SyncDir fsyncs a directory so the renames and removals in it are durable.
func SyncDir(dir string) error {
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

// SyncFile makes a finished temp file durable and private.
func SyncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Chmod(FileMode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteAtomic writes data to dir/rel (rel slash-separated): temp file in the
// same directory, fsync, rename, fsync the directory. The temp is removed on
// any error.
func WriteAtomic(dir, rel string, data []byte) error {
	final := filepath.Join(dir, filepath.FromSlash(rel))
	if err := MkdirAll(filepath.Dir(final)); err != nil {
		return err
	}
	tmp := filepath.Join(dir, filepath.FromSlash(TempName(rel)))
	if err := WriteTemp(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(final))
}

// WriteTemp creates path with data, fsynced and FileMode; it removes the
// file on error.
func WriteTemp(path string, data []byte) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Chmod(FileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
