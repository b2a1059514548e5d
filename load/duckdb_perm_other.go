//go:build !unix

package load

// ddbPrivateFiles is a no-op where there is no umask.
func ddbPrivateFiles() (release func()) { return func() {} }
