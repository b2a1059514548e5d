//go:build !unix

package duckdb

// makeReadersFile does nothing on this platform (no flock): see readerWaiting.
func makeReadersFile(string) error { return nil }

// announceReader does nothing on this platform (no flock): see readerWaiting.
func announceReader(string) (done func()) { return func() {} }

// readerWaiting cannot tell on this platform, so a writer always leaves the
// file free between commits as if a reader waited.
func readerWaiting(string) bool { return true }
