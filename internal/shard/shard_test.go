package shard

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// TestHashMatchesIcebergSpec checks the hash against the test vectors of
// the Apache Iceberg table spec (Appendix B, "32-bit Hash Requirements"):
// murmur3_x86_32 with seed 0 of a value's bytes as the spec serialises them.
func TestHashMatchesIcebergSpec(t *testing.T) {
	long34 := binary.LittleEndian.AppendUint64(nil, 34) // int and long hash as an 8-byte little-endian long
	cases := []struct {
		what  string
		bytes []byte
		want  int32
	}{
		{"string iceberg", []byte("iceberg"), 1210000089},
		{"int/long 34", long34, 2017239379},
		{"binary 00 01 02 03", []byte{0, 1, 2, 3}, -188683207},
		// uuid f79c3e09-677c-4bbd-a479-3f349cb785e7: its 16 bytes, big-endian
		{"uuid", []byte{0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd, 0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7}, 1488055340},
	}
	for _, c := range cases {
		if got := hash(c.bytes); got != c.want {
			t.Errorf("hash(%s) = %d, want %d", c.what, got, c.want)
		}
	}
}

// TestBucketIsIcebergBucket: Bucket is Iceberg's bucket transform of a
// string, (hash & MaxInt32) % n, and a LoginId buckets as its lower case.
func TestBucketIsIcebergBucket(t *testing.T) {
	for _, n := range []int{1, 2, 7, 16, 1000} {
		if got, want := Bucket("iceberg", n), 1210000089%n; got != want {
			t.Errorf("Bucket(iceberg, %d) = %d, want %d", n, got, want)
		}
	}
	// A negative hash keeps its low 31 bits: the binary vector's -188683207.
	if got, want := bucketOf(-188683207, 16), int((-188683207&0x7fffffff)%16); got != want {
		t.Errorf("bucket of a negative hash = %d, want %d", got, want)
	}
	id := "5E115EAC-1209-4F19-641C-08D6D484E2FE"
	if Bucket(id, 1<<20) != Bucket(strings.ToLower(id), 1<<20) {
		t.Errorf("upper and lower case of a LoginId land in different buckets")
	}
}

// guids returns n distinct GUIDs in mixed case.
func guids(n int) []string {
	out := make([]string, n)
	for i := range out {
		s := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*2654435761%(1<<32), i%65536, i%4096, (i*7)%4096, i*i)
		if i%2 == 1 {
			s = strings.ToUpper(s)
		}
		out[i] = s
	}
	return out
}

// TestShardsPartitionAnyList: for each N, every LoginId is in exactly one
// of the N shards, whatever its case, and Filter keeps the list's order.
func TestShardsPartitionAnyList(t *testing.T) {
	ids := guids(2000)
	for _, n := range []int{1, 2, 3, 8, 64} {
		seen := make(map[string]int, len(ids))
		total := 0
		for i := range n {
			s := Spec{Index: i, Count: n}
			got := s.Filter(ids)
			total += len(got)
			for _, id := range got {
				seen[id]++
				if !s.Has(strings.ToUpper(id)) || !s.Has(strings.ToLower(id)) {
					t.Errorf("%s has %s but not its other case", s, id)
				}
			}
			if n == 2 && (len(got) < 900 || len(got) > 1100) {
				t.Errorf("%s holds %d of 2000 logins: the hash does not spread them", s, len(got))
			}
		}
		if total != len(ids) || len(seen) != len(ids) {
			t.Errorf("%d shards hold %d logins (%d distinct) of %d", n, total, len(seen), len(ids))
		}
	}
	all := Spec{}.Filter(ids)
	if len(all) != len(ids) || all[0] != ids[0] || all[len(all)-1] != ids[len(ids)-1] {
		t.Errorf("the zero Spec keeps %d of %d logins", len(all), len(ids))
	}
	two := Spec{Index: 1, Count: 2}.Filter(ids)
	for i := 1; i < len(two); i++ {
		if indexOf(ids, two[i-1]) > indexOf(ids, two[i]) {
			t.Fatalf("Filter changed the order of the list")
		}
	}
}

func indexOf(ids []string, id string) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

// TestShardsOfABucketedTable: a table bucketed by bucket(S, login_id) with
// N dividing S puts each bucket's LoginIds in one shard.
func TestShardsOfABucketedTable(t *testing.T) {
	const s, n = 16, 4
	shardOf := map[int]int{}
	for _, id := range guids(1000) {
		b := Bucket(id, s)
		sh := Bucket(id, n)
		if prev, ok := shardOf[b]; ok && prev != sh {
			t.Fatalf("bucket %d of %d holds logins of shards %d and %d", b, s, prev, sh)
		}
		shardOf[b] = sh
	}
}

func TestParse(t *testing.T) {
	good := map[string]Spec{"0/1": {0, 1}, "3/8": {3, 8}, "7/8": {7, 8}, "0/2": {0, 2}}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("Parse(%q).String() = %q", in, got.String())
		}
	}
	bad := map[string]string{
		"":                       "I/N",
		"3":                      "I/N",
		"3/":                     "I/N",
		"/8":                     "I/N",
		"a/8":                    "I/N",
		"3/8/1":                  "I/N",
		"-1/8":                   "I/N",
		"+1/8":                   "I/N",
		" 1/8":                   "I/N",
		"1/0":                    "at least 1",
		"8/8":                    "less than",
		"9/8":                    "less than",
		"1/99999999999999999999": "I/N",
	}
	for in, msg := range bad {
		if got, err := Parse(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, %v; want an error saying %q", in, got, err, msg)
		}
	}
}

func TestFromJobIndex(t *testing.T) {
	if got, err := FromJobIndex(8, "3"); err != nil || got != (Spec{3, 8}) {
		t.Errorf("FromJobIndex(8, 3) = %v, %v", got, err)
	}
	bad := []struct {
		n     int
		index string
		msg   string
	}{
		{8, "", "not set"},
		{8, "x", "not an integer"},
		{8, "-1", "not an integer"},
		{8, "8", "from 0 to 7"},
		{8, " 3", "not an integer"},
		{0, "0", "at least 1"},
	}
	for _, c := range bad {
		if got, err := FromJobIndex(c.n, c.index); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("FromJobIndex(%d, %q) = %v, %v; want an error saying %q", c.n, c.index, got, err, c.msg)
		}
	}
}

func TestSpecString(t *testing.T) {
	if s := (Spec{}).String(); s != "" {
		t.Errorf("zero Spec String = %q, want empty", s)
	}
	if (Spec{}).Sharded() || !(Spec{0, 1}).Sharded() {
		t.Errorf("Sharded is wrong")
	}
	if got := (Spec{3, 8}).RunIDSuffix(); got != "-s3of8" {
		t.Errorf("RunIDSuffix = %q", got)
	}
	if got := (Spec{}).RunIDSuffix(); got != "" {
		t.Errorf("zero Spec RunIDSuffix = %q", got)
	}
}

func TestOfRunID(t *testing.T) {
	cases := map[string]Spec{
		"20260102T150405Z-0a1b2c3d-s3of8": {3, 8},
		"nightly-s0of1":                   {0, 1},
		"20260102T150405Z-0a1b2c3d":       {},
		"nightly-s8of8":                   {}, // not a shard: I >= N
		"nightly-s3of8x":                  {},
		"s3of8":                           {},
	}
	for id, want := range cases {
		got, ok := OfRunID(id)
		if got != want || ok != (want != Spec{}) {
			t.Errorf("OfRunID(%q) = %v, %v; want %v", id, got, ok, want)
		}
	}
}
