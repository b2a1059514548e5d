//go:build !unix

package duckdb

// privateFiles is a no-op where there is no umask.
func privateFiles() (release func()) { return func() {} }
