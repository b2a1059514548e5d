//go:build !unix

package main

import "os"

// writable reports whether path exists; elsewhere than on Unix, whether it
// may be written is known only by writing, which syncer check does not.
func writable(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
