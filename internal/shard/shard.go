// Package shard splits LoginIds among N processes that sync side by side:
// shard I of N holds the LoginIds whose bucket (Bucket) is I.
//
// The bucket is Apache Iceberg's bucket transform of the LoginId as a
// string: murmur3_x86_32, seed 0, of the UTF-8 bytes of the lower-cased
// LoginId, then (hash & 0x7fffffff) % N. So a LoginId's shard never changes
// for a given N, whatever the process, machine or release, and an Iceberg
// table partitioned by bucket(S, login_id) with N dividing S keeps each
// shard's rows in partitions of their own ((h mod S) mod N = h mod N).
package shard

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/murmur3"
)

// IndexEnv is the environment variable a Kubernetes Indexed Job sets to the
// pod's index: with --shards N, the shard's I.
const IndexEnv = "JOB_COMPLETION_INDEX"

// Spec is one shard: the LoginIds whose Bucket(id, Count) is Index. The zero
// value is no sharding: it holds every LoginId.
type Spec struct {
	Index int // 0 <= Index < Count
	Count int // N; 0 for the zero value
}

// Parse reads "I/N" (decimal digits only, 0 <= I < N).
func Parse(s string) (Spec, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := digits(i)
	count, err2 := digits(n)
	if !ok || err1 != nil || err2 != nil {
		return Spec{}, fmt.Errorf("%q is not a shard: want I/N, e.g. 3/8 (shard 3 of 8, numbered from 0)", s)
	}
	return newSpec(index, count)
}

// FromJobIndex is shard I of count, I read from index, the value of IndexEnv
// (passed in, not read here): a decimal integer from 0 to count-1.
func FromJobIndex(count int, index string) (Spec, error) {
	if count < 1 {
		return Spec{}, fmt.Errorf("the number of shards must be at least 1, not %d", count)
	}
	if index == "" {
		return Spec{}, fmt.Errorf("%s is not set (a Kubernetes Indexed Job sets it to the pod's index)", IndexEnv)
	}
	i, err := digits(index)
	if err != nil {
		return Spec{}, fmt.Errorf("%s=%q is not an integer from 0 to %d", IndexEnv, index, count-1)
	}
	if i >= count {
		return Spec{}, fmt.Errorf("%s=%d is out of range: with %d shards it goes from 0 to %d", IndexEnv, i, count, count-1)
	}
	return Spec{Index: i, Count: count}, nil
}

// newSpec checks 0 <= index < count.
func newSpec(index, count int) (Spec, error) {
	switch {
	case count < 1:
		return Spec{}, fmt.Errorf("the number of shards N of I/N must be at least 1, not %d", count)
	case index >= count:
		return Spec{}, fmt.Errorf("shard %d/%d: I must be less than N (the shards of %d are numbered 0 to %d)", index, count, count, count-1)
	}
	return Spec{Index: index, Count: count}, nil
}

var errNotDigits = errors.New("not a decimal integer")

// digits reads a non-negative decimal integer: digits only, no sign, no
// spaces, no overflow.
func digits(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errNotDigits
	}
	return strconv.Atoi(s)
}

// Sharded reports whether s selects a shard (not the zero value).
func (s Spec) Sharded() bool { return s.Count > 0 }

// Has reports whether loginID is in the shard (always, for the zero value).
func (s Spec) Has(loginID string) bool {
	return !s.Sharded() || Bucket(loginID, s.Count) == s.Index
}

// Filter returns the LoginIds of ids in the shard, in their order (ids
// itself for the zero value).
func (s Spec) Filter(ids []string) []string {
	if !s.Sharded() {
		return ids
	}
	var out []string
	for _, id := range ids {
		if s.Has(id) {
			out = append(out, id)
		}
	}
	return out
}

// String is "I/N", as Parse reads it; "" for the zero value.
func (s Spec) String() string {
	if !s.Sharded() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// RunIDSuffix is what names the shard at the end of a run id: "-sIofN"
// (e.g. "-s3of8"); "" for the zero value. OfRunID reads it back.
func (s Spec) RunIDSuffix() string {
	if !s.Sharded() {
		return ""
	}
	return fmt.Sprintf("-s%dof%d", s.Index, s.Count)
}

// OfRunID returns the shard a run id names by its RunIDSuffix, and false
// when it names none.
func OfRunID(runID string) (Spec, bool) {
	dash := strings.LastIndex(runID, "-s")
	if dash < 1 {
		return Spec{}, false
	}
	i, n, ok := strings.Cut(runID[dash+2:], "of")
	index, err1 := digits(i)
	count, err2 := digits(n)
	if !ok || err1 != nil || err2 != nil {
		return Spec{}, false
	}
	s, err := newSpec(index, count)
	return s, err == nil
}

// Bucket is Iceberg's bucket transform of loginID, lower-cased, as a string
// into n buckets (n >= 1): (murmur3_x86_32(utf8(lower(id))) & 0x7fffffff) % n.
func Bucket(loginID string, n int) int {
	return bucketOf(hash([]byte(strings.ToLower(loginID))), n)
}

// hash is the Iceberg spec's 32-bit hash: murmur3_x86_32 with seed 0.
func hash(b []byte) int32 { return int32(murmur3.Sum32(b)) }

// bucketOf is the Iceberg bucket of a hash: its low 31 bits mod n.
func bucketOf(h int32, n int) int { return int(h&0x7fffffff) % n }
