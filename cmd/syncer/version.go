package main

import (
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/syncer/syncer/load/duckdb"
)

// buildInfo says what this binary is: `syncer version` prints it and the
// scheduler exports it as syncer_build_info.
type buildInfo struct {
	Version   string `json:"version"`            // module version; "(devel)" for a build from a work tree
	Revision  string `json:"revision,omitempty"` // VCS revision, when the build recorded it
	Modified  bool   `json:"modified,omitempty"` // the work tree had changes not committed
	GoVersion string `json:"go_version"`
	DuckDB    string `json:"duckdb_version"` // the DuckDB library linked in, e.g. v1.5.6
}

// currentBuild reads the binary's build information once.
var currentBuild = sync.OnceValue(func() buildInfo {
	b := buildInfo{Version: "(devel)", GoVersion: runtime.Version(), DuckDB: duckdb.LibraryVersion()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if v := info.Main.Version; v != "" {
		b.Version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
})
