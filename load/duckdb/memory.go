package duckdb

import (
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
)

// DefaultMemoryLimit is the one default of DuckDB's memory limit for a
// warehouse the syncer writes (--memory-limit, env SYNCER_MEMORY_LIMIT,
// Options.MemoryLimit). DuckDB's own default, 80% of the machine's RAM,
// leaves its buffer pool unbounded in practice; a commit group's merge
// needs far less, and what exceeds the limit spills to PATH.tmp. It bounds
// the buffer pool, not the process (BENCHMARKS.md, issue 15).
const DefaultMemoryLimit int64 = 256 << 20

// DefaultThreads is how many threads the warehouse's DuckDB runs a commit's
// merges with (Options.Threads). Each thread holds buffers of its own, so
// DuckDB's default, one per core, would need a larger memory limit on a big
// machine; a commit group's merges are small and gain little beyond two.
const DefaultThreads = 2

// minMemoryLimit is the smallest memory limit accepted: below it DuckDB
// fails a merge of a commit group instead of spilling.
const minMemoryLimit int64 = 32 << 20

// memoryUnits are the units a memory limit may be written in, as DuckDB
// spells them (case does not matter).
var memoryUnits = map[string]int64{
	"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseMemoryLimit parses a memory size such as "256MiB", "1.5GiB" or
// "500MB" (a decimal number, optional space, then B, KB, MB, GB, TB, KiB,
// MiB, GiB or TiB, any case) into bytes, rounding down. It refuses a size
// without a unit, a negative one and one under 32 MiB.
func ParseMemoryLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' })
	num, unit := strings.TrimSpace(s[:i+1]), strings.ToLower(strings.TrimSpace(s[i+1:]))
	scale, ok := memoryUnits[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("%q is not a size such as 256MiB or 1GiB (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", s)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || r.Sign() < 0 {
		return 0, fmt.Errorf("%q is not a size such as 256MiB or 1GiB", s)
	}
	exact := new(big.Rat).Mul(r, new(big.Rat).SetInt64(scale))
	bytes := new(big.Int).Quo(exact.Num(), exact.Denom())
	if !bytes.IsInt64() || bytes.Int64() > 1<<50 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if bytes.Int64() < minMemoryLimit {
		return 0, fmt.Errorf("%q is under the minimum of %s", s, FormatMemoryLimit(minMemoryLimit))
	}
	return bytes.Int64(), nil
}

// FormatMemoryLimit writes bytes as ParseMemoryLimit reads it back: in
// the largest binary unit that divides it, else in bytes.
func FormatMemoryLimit(bytes int64) string {
	for _, u := range []string{"TiB", "GiB", "MiB", "KiB"} {
		if scale := memoryUnits[strings.ToLower(u)]; bytes >= scale && bytes%scale == 0 {
			return strconv.FormatInt(bytes/scale, 10) + u
		}
	}
	return strconv.FormatInt(bytes, 10) + "B"
}

// settingsDSN is the DSN query of the settings a writer's DuckDB runs
// with: memory_limit and threads from o (the defaults when zero).
func (o Options) settingsDSN() string {
	limit, threads := o.MemoryLimit, o.Threads
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	if threads == 0 {
		threads = DefaultThreads
	}
	return "&memory_limit=" + url.QueryEscape(strconv.FormatInt(limit, 10)+"B") + "&threads=" + strconv.Itoa(threads)
}
