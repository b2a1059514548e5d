package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/syncer/syncer/transform"
)

// The holder key is the secret that keys account_holders.holder_key (an
// HMAC of a holder's normalised name and e-mail): equal holder_keys mean one
// person, across accounts, logins and runs, only while the key stays the same.
//
// SYNCER_HOLDER_KEY_FILE, when set, names a file holding the key (at least
// 32 bytes as hex digits, see transform.ParseHolderSecret; surrounding space
// is ignored): several warehouses sharing one key can count the same people.
// Otherwise the warehouse keeps its own key in a file beside it, made at the
// first banking sync from 32 random bytes (64 hex digits, mode 0600) and
// read at every later one: FILE.holder-key beside the DuckDB file, or
// DIR/_holder_key in the Parquet dataset with --no-db. Back it up with the
// warehouse; a new key gives every holder a new holder_key. The key is never
// logged or printed.
const holderKeyEnv = "SYNCER_HOLDER_KEY_FILE"

// holderKeyPath is where the warehouse of w keeps its own holder key: a
// sidecar file of the primary warehouse.
func holderKeyPath(w *warehouseFlags) string { return w.primary().Sidecar("holder-key") }

// holderKey returns the holder key: SYNCER_HOLDER_KEY_FILE's, else the
// warehouse's own, made if it has none yet.
func holderKey(env *environment, w *warehouseFlags) (transform.HolderSecret, error) {
	if file := env.getenv(holderKeyEnv); file != "" {
		return readHolderKey(file, holderKeyEnv+" names")
	}
	path := holderKeyPath(w)
	key, err := readHolderKey(path, "the warehouse's holder key")
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	raw := make([]byte, transform.HolderSecretLen)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("making the holder key: %w", err)
	}
	text := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		return readHolderKey(path, "the warehouse's holder key")
	}
	if err != nil {
		return nil, fmt.Errorf("making the holder key %s: %w", path, unwrapPath(err))
	}
	_, werr := f.WriteString(text + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("writing the holder key %s: %w", path, unwrapPath(err))
	}
	return transform.HolderSecret(raw), nil
}

// readHolderKey reads a key file; the error says what the file is without
// ever quoting its content.
func readHolderKey(path, what string) (transform.HolderSecret, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s: %w", what, path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %v", what, path, unwrapPath(err))
	}
	key, err := transform.ParseHolderSecret(b)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return key, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
