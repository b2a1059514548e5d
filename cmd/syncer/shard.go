package main

import (
	"github.com/spf13/pflag"

	"github.com/syncer/syncer/internal/shard"
)

// shardFlags are --shard I/N and --shards N (I from JOB_COMPLETION_INDEX):
// the LoginIds a sync, backfill, retry, schedule or status covers (see
// internal/shard). Neither given: every LoginId, as before sharding.
type shardFlags struct {
	text   string // --shard
	count  int    // --shards
	fs     *pflag.FlagSet
	getenv func(string) string
	spec   shard.Spec // set by validate; the zero Spec when unsharded
}

func (s *shardFlags) addFlags(fs *pflag.FlagSet, env *environment) {
	fs.StringVar(&s.text, "shard", "", "only shard I of N, e.g. 3/8: the LoginIds whose hash mod N is I (Iceberg's bucket hash of the lower-cased LoginId)")
	fs.IntVar(&s.count, "shards", 0, "N shards, this process's I from "+shard.IndexEnv+" (a Kubernetes Indexed Job's pod index)")
	s.fs, s.getenv = fs, env.getenv
}

// validate resolves the shard: --shard's, checked against --shards N when
// both are given; else with --shards N, I from JOB_COMPLETION_INDEX. Every
// mistake is a usage error.
func (s *shardFlags) validate() error {
	given, counted := s.fs.Changed("shard"), s.fs.Changed("shards")
	switch {
	case given:
		spec, err := shard.Parse(s.text)
		if err != nil {
			return usagef("--shard: %v", err)
		}
		if counted && s.count != spec.Count {
			return usagef("--shard %s and --shards %d disagree on the number of shards", spec, s.count)
		}
		s.spec = spec
	case counted:
		spec, err := shard.FromJobIndex(s.count, s.getenv(shard.IndexEnv))
		if err != nil {
			return usagef("--shards %d: %v; or give --shard I/%d", s.count, err, max(s.count, 1))
		}
		s.spec = spec
	}
	return nil
}

// checkRunID refuses a --run-id that names a shard other than this run's
// (its suffix, shard.OfRunID): it would file the run under that shard.
func (s *shardFlags) checkRunID(runID string) error {
	other, ok := shard.OfRunID(runID)
	if ok && s.spec.Sharded() && other != s.spec {
		return usagef("--run-id %q names shard %s, but this run is shard %s: drop the suffix %s (it is added) or give this shard's",
			runID, other, s.spec, other.RunIDSuffix())
	}
	return nil
}

// runID is id named after the shard: with its suffix (shard.RunIDSuffix)
// added unless it ends with it already.
func (s *shardFlags) runID(id string) string {
	if other, ok := shard.OfRunID(id); ok && other == s.spec {
		return id
	}
	return id + s.spec.RunIDSuffix()
}

// rerun are the flags that make a next command (retry, status) cover the
// same shard: --shard I/N, resolved, since whoever reads the summary has no
// JOB_COMPLETION_INDEX.
func (s *shardFlags) rerun() []string {
	if !s.spec.Sharded() {
		return nil
	}
	return []string{"--shard", s.spec.String()}
}
